// Reference IOSignal server (npm iosignal@2.2.1, unmodified) with the
// reference auth managers, wired the way the io-server CLI does it
// (`io-server -l WS -L CONG -t MS -d FILE | -e STR | -E -a reply sudo`): the
// auth manager is the second argument of `new Server(options, authManager)`.
//
//   node ref-auth-server.mjs --ws PORT --cong PORT [--timeout MS]
//        [--auth-file FILE | --auth-param 'id.key.level,...' | --auth-env]
//        [--members-only] [--quota-size]
//
//   --auth-file FILE   new Auth_File(FILE): auth_file.json rows [id, key, cid, level]
//   --auth-param STR   new Auth_Env(STR)
//   --auth-env         new Auth_Env(): reads BOHO_AUTH from the environment
//   --members-only     serverOption.memberOnly = true
//   --quota-size       serverOption.useQuota.signalSize and .disconnect = true
//                      (OVER_SIZE, then close)
//
// The last two are library settings the io-server CLI does not expose; they
// let the suite run the members-only and OVER_SIZE cases against the
// reference too (iosd has --members-only, and enforces signalSize by default).
//
// APIs: `reply` (api_reply) and `sudo` (api_sudo). The package resolves from
// tests/node_modules.
import { Auth_Env, Auth_File, Server, api_reply, api_sudo, serverOption } from 'iosignal'

function parseArgs(argv) {
  const opts = { timeout: 30000, auth: null }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--ws') opts.ws = Number(argv[++i])
    else if (flag === '--cong') opts.cong = Number(argv[++i])
    else if (flag === '--timeout') opts.timeout = Number(argv[++i])
    else if (flag === '--auth-file') opts.auth = ['file', argv[++i]]
    else if (flag === '--auth-param') opts.auth = ['param', argv[++i]]
    else if (flag === '--auth-env') opts.auth = ['env']
    else if (flag === '--members-only') opts.membersOnly = true
    else if (flag === '--quota-size') opts.quotaSize = true
    else throw new Error(`unknown option ${flag}`)
  }
  if (!opts.ws || !opts.cong) {
    throw new Error('usage: ref-auth-server.mjs --ws PORT --cong PORT [--timeout MS] '
      + '[--auth-file FILE | --auth-param STR | --auth-env]')
  }
  return opts
}

function authManager([kind, value] = []) {
  if (kind === 'file') return new Auth_File(value)
  if (kind === 'param') return new Auth_Env(value)
  if (kind === 'env') return new Auth_Env() // exits if BOHO_AUTH is unset
  return undefined
}

const opts = parseArgs(process.argv.slice(2))
if (opts.membersOnly) serverOption.memberOnly = true
if (opts.quotaSize) Object.assign(serverOption.useQuota, { signalSize: true, disconnect: true })
const server = new Server({ port: opts.ws, congPort: opts.cong, timeout: opts.timeout }, authManager(opts.auth ?? []))
server.api('reply', api_reply)
server.api('sudo', api_sudo)

const stop = () => process.exit(0)
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

// Reference IOSignal server (npm iosignal@2.2.1, unmodified), started the way
// the io-server CLI does it: `io-server -l WS -L CONG -t MS -a reply`.
//
//   node ref-server.mjs --ws PORT --cong PORT [--timeout MS]
//
// The package resolves from tests/node_modules.
import { Server, api_reply } from 'iosignal'

function parseArgs(argv) {
  const opts = { timeout: 30000 }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (flag === '--ws') opts.ws = Number(value)
    else if (flag === '--cong') opts.cong = Number(value)
    else if (flag === '--timeout') opts.timeout = Number(value)
    else throw new Error(`unknown option ${flag}`)
  }
  if (!opts.ws || !opts.cong) throw new Error('usage: ref-server.mjs --ws PORT --cong PORT [--timeout MS]')
  return opts
}

const opts = parseArgs(process.argv.slice(2))

// Server copies options.timeout into serverOption.timeout unconditionally
// (after a >=1000 check that it then overrides), so 500 ms works as with `-t 500`.
const server = new Server({ port: opts.ws, congPort: opts.cong, timeout: opts.timeout })
server.api('reply', api_reply)

const stop = () => process.exit(0)
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

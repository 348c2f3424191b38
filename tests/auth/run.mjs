#!/usr/bin/env node
// Auth suite runner: login, encryption, E2E, auth failures, duplicate login
// (and its close frames), quotas, the sudo API (with -d / -e devices),
// members-only, zero-key ENC_488, persistent retained signals and a second
// login on the same connection, with the unmodified npm iosignal@2.2.1
// clients, against the reference Node server (with its auth managers) or
// iosd.
//
// Output is TAP; the last line is `# N passed, M failed, K skipped`; the exit
// code is 0 only if nothing failed. Cases only iosd supports are reported as
// `ok N - name # SKIP reason` against the reference.
//
//   node tests/auth/run.mjs --server ref
//   node tests/auth/run.mjs --server iosd --bin build/iosd
//   options: --filter TEXT (cases whose name contains TEXT), --verbose
//            (client console output and server logs on stderr)
import path from 'node:path'
import { cases } from './cases.mjs'
import { RawCong, TimeoutError, killAllChildren, stopClient, withTimeout } from '../interop/lib.mjs'
import { AuthServer, RedisServer, cleanupAll, createClient, waitReady } from './lib.mjs'

const GLOBAL_TIMEOUT_MS = 120_000
const CASE_TIMEOUT_MS = 10_000
const CLEANUP_TIMEOUT_MS = 8_000

function parseArgs(argv) {
  const opts = { server: null, bin: null, filter: '', verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--server') opts.server = argv[++i]
    else if (arg === '--bin') opts.bin = argv[++i]
    else if (arg === '--filter') opts.filter = argv[++i]
    else if (arg === '--verbose') opts.verbose = true
    else usage(`unknown argument ${arg}`)
  }
  if (opts.server !== 'ref' && opts.server !== 'iosd') usage('--server must be ref or iosd')
  if (opts.server === 'iosd') {
    if (!opts.bin) usage('--server iosd needs --bin PATH')
    opts.bin = path.resolve(opts.bin)
  }
  return opts
}

function usage(message) {
  process.stderr.write(`${message}\nusage: run.mjs --server ref | --server iosd --bin PATH [--filter TEXT] [--verbose]\n`)
  process.exit(2)
}

const opts = parseArgs(process.argv.slice(2))
const out = (line) => process.stdout.write(`${line}\n`)
const diag = (text) => String(text).split('\n').forEach((line) => out(`# ${line}`))

// The npm clients console.log freely; keep stdout pure TAP.
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = opts.verbose ? (...args) => process.stderr.write(`[client] ${args.join(' ')}\n`) : () => {}
}

// ---------------------------------------------------------------- lifecycle

let current = null // the case running now, to attach stray errors to it
const tally = { planned: 0, passed: 0, skipped: 0 }

function summary() {
  const failed = tally.planned - tally.passed - tally.skipped
  out(`# ${tally.passed} passed, ${failed} failed, ${tally.skipped} skipped`)
}

function killEverything() {
  killAllChildren()
  cleanupAll()
}

/** Stop everything; cases that did not pass (or did not run) count as failed. */
function abort(reason, code = 1) {
  diag(reason)
  killEverything()
  summary()
  process.exit(code)
}

process.on('exit', killEverything)
process.on('SIGINT', () => abort('interrupted (SIGINT)', 130))
process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143))
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    if (current) current.stray.push(error)
    else diag(`${event} outside a case: ${error?.stack ?? error}`)
  })
}
setTimeout(() => abort(`Bail out! global timeout of ${GLOBAL_TIMEOUT_MS / 1000} s exceeded`), GLOBAL_TIMEOUT_MS).unref()

// ---------------------------------------------------------------- case context

/** What a case gets as `t`: factories whose products are cleaned up afterwards. */
class CaseContext {
  constructor() {
    this.mode = opts.server
    this.notes = []
    this.stray = []
    this.cleanups = []
    this.servers = []
    this.server = null // the first server started by the case
  }

  defer(fn) { this.cleanups.push(fn) }
  note(text) { this.notes.push(text) }

  /** A private server with a device configuration (see AuthServer), disposed of when the case ends. */
  async startServer(config = {}, { timeout } = {}) {
    const server = await AuthServer.create({ mode: opts.server, bin: opts.bin, verbose: opts.verbose, timeout }, config)
    this.servers.push(server)
    this.server ??= server
    this.defer(() => server.dispose())
    return server
  }

  /** A private redis-server, stopped when the case ends. */
  async redis() {
    const redis = await RedisServer.start()
    this.defer(() => redis.stop())
    return redis
  }

  /** A new npm client, not waited for (see createClient); stopped when the case ends. */
  newClient(kind, { server = this.server, id, key } = {}) {
    const io = createClient(server, kind, { id, key })
    this.defer(() => stopClient(io))
    return io
  }

  /** An anonymous READY npm client. */
  async client(kind = 'ws', { server = this.server } = {}) {
    const io = this.newClient(kind, { server })
    await waitReady(io)
    return io
  }

  /**
   * A logged-in READY npm client. how = 'auth': `io.auth(id, key)` before the
   * connection opens (automatic login on SERVER_READY); how = 'login': READY
   * anonymously first, then `io.login(id, key)` on the open connection, and
   * READY again with the enrolled CID.
   */
  async login(kind, id, key, { how = 'auth', server = this.server } = {}) {
    if (how === 'auth') {
      const io = this.newClient(kind, { server, id, key })
      await waitReady(io, 5000, `${kind} client READY after auth('${id}')`)
      return io
    }
    const io = await this.client(kind, { server })
    io.anonymousCid = io.cid
    const ready = waitReady(io, 5000, `${kind} client READY after login('${id}')`)
    io.login(id, key)
    await ready
    return io
  }

  async rawCong(server = this.server) {
    const sock = await RawCong.connect(server.congPort)
    this.defer(() => sock.destroy())
    return sock
  }

  async cleanup() {
    // Clients first (newest first), then servers.
    for (const fn of this.cleanups.reverse()) {
      try { await fn() } catch (error) { this.stray.push(error) }
    }
  }
}

// ---------------------------------------------------------------- running

function describeError(error) {
  if (error instanceof TimeoutError || !error?.stack) return String(error?.message ?? error)
  const frames = error.stack.split('\n').filter((l) => l.includes('/auth/')).slice(0, 2)
  return [error.message, ...frames.map((f) => f.trim())].join('\n')
}

async function runCase(testCase, number) {
  const t = new CaseContext()
  current = t
  const started = Date.now()
  const limit = testCase.timeout ?? CASE_TIMEOUT_MS
  let failure = null
  try {
    await withTimeout(Promise.resolve().then(() => testCase.run(t)), limit, `case '${testCase.name}'`)
  } catch (error) {
    failure = error
  }
  // Server logs are read before cleanup (dispose) in case of failure.
  const logs = failure ? t.servers.map((s) => [s.mode, s.logSince(0, 12)]) : []
  await withTimeout(t.cleanup(), CLEANUP_TIMEOUT_MS, 'cleanup').catch((error) => t.stray.push(error))
  current = null
  if (!failure && t.stray.length) failure = t.stray[0]

  const ms = Date.now() - started
  out(`${failure ? 'not ok' : 'ok'} ${number} - ${testCase.name} (${ms} ms)`)
  t.notes.forEach(diag)
  if (failure) {
    diag(describeError(failure))
    for (const [mode, lines] of logs) {
      if (lines.length) diag(`${mode} server log (last ${lines.length} lines):\n${lines.join('\n')}`)
    }
  }
  return !failure
}

async function main() {
  const selected = cases.filter((c) => c.name.includes(opts.filter))
  tally.planned = selected.length
  const started = Date.now()
  out('TAP version 13')
  out(`1..${selected.length}`)
  diag(`server: ${opts.server}${opts.bin ? ` (${opts.bin})` : ''}`)

  for (const [i, testCase] of selected.entries()) {
    if (testCase.iosdOnly && opts.server !== 'iosd') {
      out(`ok ${i + 1} - ${testCase.name} # SKIP iosd only: ${testCase.iosdOnly}`)
      tally.skipped++
    } else if (await runCase(testCase, i + 1)) {
      tally.passed++
    }
  }

  diag(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
  summary()
  process.exit(tally.passed + tally.skipped === tally.planned ? 0 : 1)
}

main().catch((error) => abort(`Bail out! runner error: ${error?.stack ?? error}`))

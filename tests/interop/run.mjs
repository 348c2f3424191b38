#!/usr/bin/env node
// Interop suite runner: the unmodified npm iosignal@2.2.1 clients against
// either the reference Node server or iosd. Output is TAP; the last line is
// `# N passed, M failed`; the exit code is 0 only if every case passed.
//
//   node tests/interop/run.mjs --server ref
//   node tests/interop/run.mjs --server iosd --bin build/iosd
//   options: --filter TEXT (run cases whose name contains TEXT), --verbose
//            (client console output and server logs on stderr)
import path from 'node:path'
import { cases } from './cases.mjs'
import {
  RawCong, ServerProcess, TimeoutError, connectClient, killAllChildren, rawWebSocket,
  stopClient, withTimeout,
} from './lib.mjs'

const GLOBAL_TIMEOUT_MS = 120_000
const CASE_TIMEOUT_MS = 10_000
const CLEANUP_TIMEOUT_MS = 5_000

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

// The npm clients console.log freely (IAM_RES, '.' when sending while
// disconnected, …); keep stdout pure TAP.
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = opts.verbose ? (...args) => process.stderr.write(`[client] ${args.join(' ')}\n`) : () => {}
}

// ---------------------------------------------------------------- lifecycle

let current = null // the case running now, to attach stray errors to it
const tally = { planned: 0, passed: 0 }

function summary() {
  out(`# ${tally.passed} passed, ${tally.planned - tally.passed} failed`)
}

/** Stop everything; cases that did not pass (or did not run) count as failed. */
function abort(reason, code = 1) {
  diag(reason)
  killAllChildren()
  summary()
  process.exit(code)
}

process.on('exit', killAllChildren)
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
  constructor(shared) {
    this.mode = opts.server
    this.server = shared
    this.notes = []
    this.stray = []
    this.cleanups = []
    this.servers = [{ server: shared, mark: shared.logMark() }]
  }

  defer(fn) { this.cleanups.push(fn) }
  note(text) { this.notes.push(text) }

  /** A READY npm client ('ws' → IO, 'cong' → IOCongSocket). */
  async client(kind = 'ws', { server = this.server, setup } = {}) {
    const io = await connectClient(server, kind, { setup })
    this.defer(() => stopClient(io))
    return io
  }

  async rawWebSocket(server = this.server) {
    const ws = await rawWebSocket(server.wsUrl)
    this.defer(() => ws.terminate())
    return ws
  }

  async rawCong(server = this.server) {
    const sock = await RawCong.connect(server.congPort)
    this.defer(() => sock.destroy())
    return sock
  }

  /** A private server instance (same mode/binary), stopped when the case ends. */
  async startServer({ timeout } = {}) {
    const server = await ServerProcess.create({ ...serverOptions(), timeout })
    this.servers.push({ server, mark: 0 })
    this.defer(() => server.stop())
    return server
  }

  async cleanup() {
    // Clients first (newest first), then private servers.
    for (const fn of this.cleanups.reverse()) {
      try { await fn() } catch (error) { this.stray.push(error) }
    }
  }
}

function serverOptions() {
  return { mode: opts.server, bin: opts.bin, verbose: opts.verbose }
}

// ---------------------------------------------------------------- running

function describeError(error) {
  if (error instanceof TimeoutError || !error?.stack) return String(error?.message ?? error)
  const frames = error.stack.split('\n').filter((l) => l.includes('/interop/')).slice(0, 2)
  return [error.message, ...frames.map((f) => f.trim())].join('\n')
}

async function runCase(testCase, number, shared) {
  const t = new CaseContext(shared)
  current = t
  const started = Date.now()
  const limit = testCase.timeout ?? CASE_TIMEOUT_MS
  let failure = null
  try {
    await withTimeout(Promise.resolve().then(() => testCase.run(t)), limit, `case '${testCase.name}'`)
  } catch (error) {
    failure = error
  }
  await withTimeout(t.cleanup(), CLEANUP_TIMEOUT_MS, 'cleanup').catch((error) => t.stray.push(error))
  current = null
  if (!failure && t.stray.length) failure = t.stray[0]

  const ms = Date.now() - started
  out(`${failure ? 'not ok' : 'ok'} ${number} - ${testCase.name} (${ms} ms)`)
  t.notes.forEach(diag)
  if (failure) {
    diag(describeError(failure))
    for (const { server, mark } of t.servers) {
      const lines = server.logSince(mark, 10)
      if (lines.length) diag(`${server.mode} server log during the case (last ${lines.length} lines):\n${lines.join('\n')}`)
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

  let shared = null
  try {
    shared = await ServerProcess.create(serverOptions())
    diag(`listening: ws ${shared.wsPort}, cong ${shared.congPort}`)
  } catch (error) {
    diag(`server did not start: ${error.message}`)
  }

  for (const [i, testCase] of selected.entries()) {
    if (!shared) {
      out(`not ok ${i + 1} - ${testCase.name}`)
      diag('not run: the server did not start')
    } else if (await runCase(testCase, i + 1, shared)) {
      tally.passed++
    }
  }

  await shared?.stop()
  diag(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
  summary()
  process.exit(tally.passed === tally.planned ? 0 : 1)
}

main().catch((error) => abort(`Bail out! runner error: ${error?.stack ?? error}`))

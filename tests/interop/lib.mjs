// Shared helpers of the interop suite: server processes (reference or iosd),
// unmodified npm clients (IO over ws://, IOCongSocket over cong://), raw
// WebSocket / CongSocket peers, and small waiting primitives.
//
// Nothing here sleeps blindly: every wait is on an event or a polled
// condition, bounded by a timeout.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { IO, IOCongSocket } from 'iosignal'
import { WebSocket } from 'ws'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REF_SERVER = path.join(HERE, 'ref-server.mjs')

export const MSG = {
  SERVER_READY: 0xc0,
  ECHO: 0xcc,
  PING: 0xcd,
  PONG: 0xce,
  SIGNAL: 0xd0,
  SIGNAL_E2E: 0xd2,
  IAM_RES: 0xda,
}

// ---------------------------------------------------------------- waiting

export class TimeoutError extends Error {}

/** Resolve with `promise`, or reject with TimeoutError after `ms`. */
export function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Next `event` on `emitter` (EventEmitter or eventemitter3), its arguments as an array. */
export function waitEvent(emitter, event, ms, what = `event '${event}'`) {
  let handler
  const fired = new Promise((resolve) => {
    handler = (...args) => resolve(args)
    emitter.once(event, handler)
  })
  return withTimeout(fired, ms, what).finally(() => emitter.removeListener(event, handler))
}

/** Poll `predicate` (may be async) every `step` ms until true; reject after `ms`. */
export async function poll(predicate, ms, what, step = 50) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await predicate()) return
    if (Date.now() >= deadline) throw new TimeoutError(`timed out after ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, step))
  }
}

/** Measure how long an async function takes, in ms. */
export async function timed(fn) {
  const t0 = Date.now()
  try {
    return { value: await fn(), ms: Date.now() - t0 }
  } catch (error) {
    return { error, ms: Date.now() - t0 }
  }
}

/**
 * A FIFO of things that arrive asynchronously, with bounded waits.
 * `next()` consumes in arrival order; `items` keeps everything ever pushed.
 */
export class Inbox {
  constructor(label) {
    this.label = label
    this.items = []
    this.cursor = 0
    this.waiters = []
  }

  push(item) {
    this.items.push(item)
    this.waiters.splice(0).forEach((wake) => wake())
  }

  get pending() {
    return this.items.length - this.cursor
  }

  /** The next unconsumed item, waiting up to `ms` for one to arrive. */
  async next(ms = 2000) {
    const deadline = Date.now() + ms
    while (this.pending === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new TimeoutError(`${this.label}: nothing arrived within ${ms} ms`)
      await withTimeout(this.#arrival(), left, `next item of ${this.label}`)
    }
    return this.items[this.cursor++]
  }

  /** The next `n` items, all within `ms`. */
  async take(n, ms = 3000) {
    const deadline = Date.now() + ms
    const out = []
    while (out.length < n) {
      const left = deadline - Date.now()
      if (left <= 0) throw new TimeoutError(`${this.label}: got ${out.length} of ${n} items within ${ms} ms`)
      out.push(await this.next(left).catch((e) => {
        throw new TimeoutError(`${this.label}: got ${out.length} of ${n} items within ${ms} ms (${e.message})`)
      }))
    }
    return out
  }

  /**
   * Negative check: nothing new arrives during a `ms` window. Fails as soon as
   * something does (this is a time window by nature, not a readiness wait).
   */
  async assertQuiet(ms) {
    if (this.pending > 0) throw new Error(`${this.label}: unexpected ${fmt(this.items[this.cursor])}`)
    const arrived = await withTimeout(this.#arrival().then(() => true), ms, 'quiet window').catch((e) => {
      if (e instanceof TimeoutError) return false
      throw e
    })
    if (arrived) throw new Error(`${this.label}: unexpected ${fmt(this.items[this.cursor])}`)
  }

  #arrival() {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

function fmt(item) {
  return JSON.stringify(item, (_, v) => (v?.type === 'Buffer' ? `<${Buffer.from(v.data).toString('hex')}>` : v))
}

// ---------------------------------------------------------------- ports

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    const done = (ok) => { sock.destroy(); resolve(ok) }
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}

// ---------------------------------------------------------------- servers

const children = new Set()

/** SIGKILL every server child still running (used on exit and on abort). */
export function killAllChildren() {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch { /* already gone */ }
  }
  children.clear()
}

/**
 * One server process, reference or iosd, on fixed ports (so it can be
 * restarted where the clients expect it).
 */
export class ServerProcess {
  /**
   * @param {{mode:'ref'|'iosd', bin?:string, timeout?:number, verbose?:boolean, env?:object}} opts
   * env: the child's environment (default: this process's).
   */
  constructor(opts) {
    this.mode = opts.mode
    this.env = opts.env
    this.bin = opts.bin
    this.timeout = opts.timeout ?? 30000
    this.verbose = !!opts.verbose
    this.log = []
    this.logCount = 0
    this.child = null
    // Its own database, kept across restarts, never the installed one.
    if (this.mode === 'iosd') {
      this.dbDir = mkdtempSync(path.join(os.tmpdir(), 'iosd-interop-'))
      process.on('exit', () => rmSync(this.dbDir, { recursive: true, force: true }))
    }
  }

  static async create(opts) {
    const server = new ServerProcess(opts)
    server.wsPort = await freePort()
    server.congPort = await freePort()
    await server.start()
    return server
  }

  get wsUrl() { return `ws://127.0.0.1:${this.wsPort}` }
  get congUrl() { return `cong://127.0.0.1:${this.congPort}` }

  command() {
    if (this.mode === 'ref') {
      return [process.execPath, [REF_SERVER, '--ws', this.wsPort, '--cong', this.congPort, '--timeout', this.timeout]]
    }
    return [this.bin, ['-l', `127.0.0.1:${this.wsPort}`, '-L', `127.0.0.1:${this.congPort}`, '-t', this.timeout,
      '-D', path.join(this.dbDir, 'iosd.db')]]
  }

  async start(readyMs = 5000) {
    if (this.mode === 'iosd' && !existsSync(this.bin)) throw new Error(`iosd binary not found: ${this.bin}`)
    const [cmd, args] = this.command()
    const child = spawn(cmd, args.map(String), { stdio: ['ignore', 'pipe', 'pipe'], env: this.env })
    this.child = child
    children.add(child)
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => { children.delete(child); resolve({ code, signal }) })
      child.once('error', (error) => { children.delete(child); resolve({ error }) })
    })
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8')
      stream.on('data', (text) => this.#record(text))
    }
    let exit = null
    this.exited.then((e) => { exit = e })
    try {
      await poll(async () => {
        if (exit) throw new Error(`server exited during start-up: ${JSON.stringify(exit.error?.message ?? exit)}`)
        return (await canConnect(this.wsPort)) && (await canConnect(this.congPort))
      }, readyMs, `server listening on ${this.wsPort}/${this.congPort}`)
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  /** Terminate (SIGTERM, then SIGKILL after `graceMs`) and wait for the exit. */
  async stop(graceMs = 3000) {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    try {
      await withTimeout(this.exited, graceMs, 'server exit after SIGTERM')
    } catch {
      child.kill('SIGKILL')
      await this.exited
    }
  }

  async restart() {
    await this.stop()
    await this.start()
  }

  /** Mark the log position; `logSince(mark)` returns later lines (at most n). */
  logMark() {
    return this.logCount
  }

  logSince(mark, n = 15) {
    const fresh = this.log.slice(Math.max(0, this.log.length - (this.logCount - mark)))
    return fresh.slice(-n)
  }

  #record(text) {
    for (const line of text.split('\n')) {
      if (!line) continue
      this.log.push(line)
      this.logCount++
      if (this.verbose) process.stderr.write(`[${this.mode}] ${line}\n`)
    }
    if (this.log.length > 500) this.log.splice(0, this.log.length - 500)
  }
}

// ---------------------------------------------------------------- clients

const READY_MS = 5000

/**
 * Create an unmodified npm client and resolve once it is READY (it has
 * received SERVER_READY, sent CID_REQ and got its CID): the client emits
 * 'ready' from its CID_RES handler and `io.cid` is set.
 * kind: 'ws' → `new IO(ws://…)`, 'cong' → `new IOCongSocket(cong://…)`.
 * Both constructors open the connection immediately. `setup(io)` runs right
 * after construction, before any data can arrive.
 */
export async function connectClient(server, kind = 'ws', { setup } = {}) {
  const io = kind === 'ws' ? new IO(server.wsUrl) : new IOCongSocket(server.congUrl)
  io.kind = kind
  setup?.(io) // before any data can arrive: the socket connects asynchronously
  io.on('error', () => { /* reconnection attempts report here; the tests wait on 'ready' */ })
  try {
    await waitReady(io)
  } catch (error) {
    stopClient(io)
    throw error
  }
  return io
}

export function waitReady(io, ms = READY_MS) {
  return waitEvent(io, 'ready', ms, `${io.kind} client READY`)
}

/** Stop a client for good: close its socket and its 3 s reconnect checker. */
export function stopClient(io) {
  // ws emits 'error' when a still-CONNECTING socket is closed, and IOWS.close()
  // has removed its handler by then; keep it from becoming an uncaught error.
  if (io.socket && typeof io.socket.on === 'function') io.socket.on('error', () => {})
  io.stop()
}

/**
 * Record what the client's listeners receive for `tag`. IOCore decodes the
 * payload and calls `emit(tag, ...values, tag)`; each item is { values, tag }.
 */
export function listen(io, tag) {
  const inbox = new Inbox(`${io.kind} client tag '${tag}'`)
  io.on(tag, (...args) => inbox.push({ values: args.slice(0, -1), tag: args.at(-1) }))
  return inbox
}

/**
 * Record the tag of every SIGNAL the client receives, whatever its listeners,
 * from the raw messages it emits as 'socket_data'. Used to assert that nothing
 * unexpected arrives.
 */
export function recordSignals(io) {
  const inbox = new Inbox(`${io.kind} client signals`)
  io.on('socket_data', (buf) => {
    if (buf[0] === MSG.SIGNAL || buf[0] === MSG.SIGNAL_E2E) {
      inbox.push(Buffer.from(buf.subarray(2, 2 + buf[1])).toString('utf8'))
    }
  })
  return inbox
}

/** SUBSCRIBE_REQ with a listener for `tag`; resolves once the server confirmed it. */
export async function subscribe(io, tag) {
  const inbox = listen(io, tag)
  const res = await io.subscribe_promise(tag)
  if (!res.ok) throw new Error(`subscribe_promise('${tag}') status ${res.status}`)
  return inbox
}

/**
 * A request/response round trip. The server handles one connection's
 * messages in order, so when it resolves, everything this client sent before
 * (signals, subscribes, unsubscribes) has been processed.
 */
export async function roundTrip(io) {
  const res = await io.req('reply', 'echo', 'barrier')
  if (!res.ok) throw new Error(`round trip failed, status ${res.status}`)
}

// ---------------------------------------------------------------- raw peers

/** A raw `ws` WebSocket; every binary message lands in `inbox` as a Buffer. */
export async function rawWebSocket(url) {
  const ws = new WebSocket(url)
  ws.inbox = new Inbox('raw WebSocket')
  ws.on('message', (data) => ws.inbox.push(Buffer.from(data)))
  ws.on('error', () => {})
  await waitEvent(ws, 'open', 3000, 'raw WebSocket open')
  return ws
}

/**
 * A raw TCP CongSocket peer. Raw received bytes are kept in `bytes`; complete
 * frames are parsed into `inbox` as { type, payload } (type = size of the
 * length field, 1..4); `closed` resolves with the time of the socket's close.
 */
export class RawCong {
  constructor(port) {
    this.socket = net.connect(port, '127.0.0.1')
    this.inbox = new Inbox('raw CongSocket')
    this.bytes = Buffer.alloc(0)
    this.pending = Buffer.alloc(0)
    this.socket.on('error', () => {})
    this.socket.on('data', (chunk) => this.#receive(chunk))
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now())))
  }

  static async connect(port) {
    const peer = new RawCong(port)
    await waitEvent(peer.socket, 'connect', 3000, 'raw CongSocket connect')
    peer.connectedAt = Date.now()
    return peer
  }

  write(bytes) { this.socket.write(bytes) }
  destroy() { this.socket.destroy() }

  #receive(chunk) {
    this.bytes = Buffer.concat([this.bytes, chunk])
    this.pending = Buffer.concat([this.pending, chunk])
    for (;;) {
      const size = this.pending[0]
      if (!(size >= 1 && size <= 4) || this.pending.length < 1 + size) return
      const end = 1 + size + this.pending.readUIntLE(1, size)
      if (this.pending.length < end) return
      this.inbox.push({ type: size, payload: this.pending.subarray(1 + size, end) })
      this.pending = this.pending.subarray(end)
    }
  }
}

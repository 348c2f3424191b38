// WebSocket conformance of iosd, in the manner of the Autobahn TestSuite
// (fuzzingclient): one fresh raw TCP connection per case, hand-built frames,
// and the server's answer checked against RFC 6455. Case numbers follow
// Autobahn's sections where one exists (1 framing, 2 ping/pong, 3 reserved
// bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close, 9 limits); 0 is the
// HTTP upgrade and 8 the length and masking rules Autobahn leaves out.
//
//   node tests/abuse/wsproto.mjs [--bin build/iosd]
//
// Binary messages carry IOSignal messages: ECHO (0xCC + bytes) is answered
// with the same bytes, which is how data paths are checked. Prints TAP, a
// "# wsproto: X/Y cases behaved as RFC 6455 requires" line and tap's
// "# N passed, M failed".
import net from 'node:net'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { startDaemon, tap } from '../lib/daemon.mjs'

const args = process.argv.slice(2)
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1] : 'build/iosd'

const MAX_SIGNAL = 1048576
const CASE_MS = 5000      // a case as a whole
const CLOSE_MS = 3000     // the server closes TCP within this after an error
const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 }
const OP_NAME = { 0: 'cont', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' }
const RSV1 = 4; const RSV2 = 2; const RSV3 = 1
const ECHO = 0xcc; const SERVER_READY = 0xc0; const OVER_SIZE = 0xfe
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

const hex = (b, max = 24) => b.length <= max
  ? b.toString('hex')
  : b.subarray(0, max).toString('hex') + `...(+${b.length - max})`
const utf8 = new TextDecoder('utf-8', { fatal: true })
const isUtf8 = b => { try { utf8.decode(b); return true } catch { return false } }

// Codes an endpoint may put in a close frame (RFC 6455 7.4, IANA registry):
// 1004, 1005, 1006 and 1015 are reserved and never sent.
const wireCode = c => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
  (c >= 3000 && c <= 4999)

// ---- client frames ----

// A client frame (RFC 6455 5.2), masked unless opts.mask === false.
// opts.fin (default true), opts.rsv (3 bits: RSV1 = 4), opts.form (16 or 64:
// that length encoding even when a shorter one fits), opts.declared (the
// length to announce whatever payload follows: truncated or huge frames).
function frame (opcode, payload = [], opts = {}) {
  const p = Buffer.from(payload)
  const b0 = (opts.fin === false ? 0 : 0x80) | ((opts.rsv || 0) << 4) | opcode
  const m = opts.mask === false ? 0 : 0x80
  const n = opts.declared !== undefined ? BigInt(opts.declared) : BigInt(p.length)
  let len
  if (opts.form === 64 || n > 65535n) {
    len = Buffer.alloc(9); len[0] = m | 127; len.writeBigUInt64BE(n, 1)
  } else if (opts.form === 16 || n > 125n) {
    len = Buffer.alloc(3); len[0] = m | 126; len.writeUInt16BE(Number(n), 1)
  } else len = Buffer.from([m | Number(n)])
  if (!m) return Buffer.concat([Buffer.from([b0]), len, p])
  const key = crypto.randomBytes(4)
  const body = Buffer.alloc(p.length)
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ key[i & 3]
  return Buffer.concat([Buffer.from([b0]), len, key, body])
}

const closeBody = (code, reason = '') => {
  const r = Buffer.from(reason)
  const b = Buffer.alloc(2 + r.length)
  b.writeUInt16BE(code, 0)
  r.copy(b, 2)
  return b
}

// An IOSignal ECHO message of n bytes in all: 0xCC and random bytes.
const echoMsg = n => { const b = crypto.randomBytes(n); b[0] = ECHO; return b }

// ---- the raw client ----

function describeMsg (m) {
  if (!m) return 'nothing'
  const name = OP_NAME[m.op] || `op${m.op}`
  if (m.op === OP.close) {
    const c = parseClose(m.data)
    return `close[${hex(m.data)}] code=${c.code ?? 'none'} reason=${JSON.stringify(c.reason)}`
  }
  return `${name}(${m.data.length})[${hex(m.data)}]` + (m.frames > 1 ? ` in ${m.frames} frames` : '')
}

function parseClose (data) {
  if (data.length < 2) return { code: null, reason: '', raw: Buffer.alloc(0) }
  const raw = data.subarray(2)
  return { code: data.readUInt16BE(0), reason: raw.toString('utf8'), raw }
}

// One connection: the HTTP response head, then the server's frames parsed
// out of a growing buffer into messages (fragments joined, control frames
// as they come). Waits are event driven: every arrival re-checks them.
class Peer {
  constructor (sock) {
    this.s = sock
    this.buf = Buffer.alloc(0)
    this.head = null
    this.frames = []
    this.msgs = []
    this.pos = 0            // next() returns msgs[pos]
    this.partial = null     // a fragmented server message in progress
    this.bad = []           // what the server itself got wrong in its frames
    this.gotClose = false
    this.closed = false
    this.error = null
    this.waiters = new Set()
    sock.setNoDelay(true)
    sock.on('data', d => this.onData(d))
    sock.on('error', e => { this.error = e.code || e.message })
    sock.on('close', () => { this.closed = true; this.poke() })
  }

  get status () { return this.head ? Number(this.head.split(' ')[1]) : null }
  send (b) { if (!this.s.destroyed) this.s.write(b) }

  onData (d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d
    if (this.head === null) {
      const i = this.buf.indexOf('\r\n\r\n')
      if (i >= 0) {
        this.head = this.buf.subarray(0, i + 4).toString('latin1')
        this.buf = this.buf.subarray(i + 4)
      }
    }
    if (this.status === 101) this.parse()
    this.poke()
  }

  parse () {
    for (;;) {
      const b = this.buf
      if (b.length < 2) return
      let len = b[1] & 127; let h = 2
      if (len === 126) {
        if (b.length < 4) return
        len = b.readUInt16BE(2); h = 4
      } else if (len === 127) {
        if (b.length < 10) return
        const big = b.readBigUInt64BE(2)
        if (big > 1n << 31n) { this.bad.push(`server frame declares ${big} bytes`); this.buf = Buffer.alloc(0); return }
        len = Number(big); h = 10
      }
      const masked = (b[1] & 0x80) !== 0
      if (masked) h += 4
      if (b.length < h + len) return
      const data = Buffer.from(b.subarray(h, h + len))
      if (masked) for (let i = 0; i < len; i++) data[i] ^= b[h - 4 + (i & 3)]
      this.buf = b.subarray(h + len)
      this.onFrame({ fin: (b[0] & 0x80) !== 0, rsv: (b[0] >> 4) & 7, op: b[0] & 15, masked, data })
    }
  }

  // The server must follow RFC 6455 too: unmasked, no RSV, well-formed
  // control frames, nothing after its close frame.
  onFrame (f) {
    this.frames.push(f)
    const bad = m => this.bad.push(`server sent ${m}`)
    if (f.masked) bad('a masked frame')
    if (f.rsv) bad(`a frame with RSV bits ${f.rsv}`)
    if (this.gotClose) bad(`a frame after its close frame (op ${f.op})`)
    if (f.op >= 8) {
      if (!f.fin) bad('a fragmented control frame')
      if (f.data.length > 125) bad('a control frame over 125 bytes')
      if (f.op === OP.close) {
        this.gotClose = true
        if (f.data.length === 1) bad('a close frame with a 1-byte payload')
      }
      this.msgs.push({ op: f.op, data: f.data, frames: 1 })
      return
    }
    if (f.op === OP.cont) {
      if (!this.partial) { bad('a continuation frame with no message'); return }
      this.partial.parts.push(f.data)
    } else {
      if (this.partial) bad('a new data frame inside a fragmented message')
      this.partial = { op: f.op, parts: [f.data] }
    }
    if (f.fin) {
      const p = this.partial
      this.partial = null
      this.msgs.push({ op: p.op, data: Buffer.concat(p.parts), frames: p.parts.length })
    }
  }

  poke () { for (const w of [...this.waiters]) w() }

  // Resolves with cond()'s value once true; rejects after ms naming what.
  wait (cond, ms, what) {
    return new Promise((resolve, reject) => {
      let timer = null
      const check = () => {
        const v = cond()
        if (!v) return false
        clearTimeout(timer); this.waiters.delete(check); resolve(v)
        return true
      }
      if (check()) return
      this.waiters.add(check)
      timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; received: ${this.describe()}`))
      }, ms)
    })
  }

  // The next message, or an error when the connection closes first.
  async next (what = 'a message', ms = CLOSE_MS) {
    await this.wait(() => this.msgs.length > this.pos || this.closed, ms, what)
    if (this.msgs.length > this.pos) return this.msgs[this.pos++]
    throw new Error(`connection closed while waiting for ${what}; received: ${this.describe()}`)
  }

  describe () {
    const out = this.msgs.map(describeMsg)
    if (this.head === null && this.buf.length) out.push(`no HTTP head, bytes [${hex(this.buf)}]`)
    else if (this.buf.length) out.push(`${this.buf.length} unparsed bytes [${hex(this.buf)}]`)
    if (this.partial) out.push(`an unfinished ${OP_NAME[this.partial.op]} message`)
    out.push(this.closed ? 'TCP closed' + (this.error ? ` (${this.error})` : '') : 'TCP still open')
    return out.join(', ')
  }
}

// ---- the run ----

const T = tap()
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsproto-'))
// No per-address connection limits, where the build has them: a hundred
// cases connect from 127.0.0.1 within a few seconds.
const help = spawnSync(bin, ['--help'], { encoding: 'utf8' })
const limits = ['--conn-rate', '--max-per-ip'].filter(o => `${help.stdout}${help.stderr}`.includes(o))
const d = await startDaemon(bin, ['-D', path.join(tmp, 'iosd.db'), '--max-signal', String(MAX_SIGNAL),
  '-t', '60000', ...limits.flatMap(o => [o, '0'])]).catch(e => {
  fs.rmSync(tmp, { recursive: true, force: true })
  throw e
})
let daemonExited = false
d.exited.then(() => { daemonExited = true })

function connect () {
  return new Promise((resolve, reject) => {
    const s = net.connect(d.ws, '127.0.0.1')
    s.once('connect', () => resolve(new Peer(s)))
    s.once('error', reject)
  })
}

function upgradeRequest (key, { host = true, version = '13' } = {}) {
  return 'GET / HTTP/1.1\r\n' + (host ? `Host: 127.0.0.1:${d.ws}\r\n` : '') +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n\r\n`
}

// Send one HTTP request on a new connection; resolves once the response
// head is in (or the server closed).
async function httpRequest (t, req) {
  const p = await connect()
  t.peers.push(p)
  p.send(req)
  await p.wait(() => p.head !== null || p.closed, CLOSE_MS, 'an HTTP response')
  return p
}

// A new upgraded connection with SERVER_READY already read.
async function open (t) {
  const key = crypto.randomBytes(16).toString('base64')
  const p = await httpRequest(t, upgradeRequest(key))
  if (p.status !== 101) throw new Error(`upgrade refused: ${p.head ? p.head.split('\r\n')[0] : 'no response'}`)
  const accept = crypto.createHash('sha1').update(key + GUID).digest('base64')
  const m = /\r\nsec-websocket-accept:[ \t]*(\S+)/i.exec(p.head)
  if (!m || m[1] !== accept) throw new Error(`Sec-WebSocket-Accept ${m && m[1]}, want ${accept}`)
  const first = await p.next('SERVER_READY')
  if (!(first.op === OP.binary && first.data.equals(Buffer.from([SERVER_READY])))) {
    throw new Error(`first message is not SERVER_READY but ${describeMsg(first)}`)
  }
  return p
}

// ---- what the server must do ----

// The next message is one binary message holding exactly msg.
async function expectBinary (t, p, msg, what = 'the ECHO answer') {
  const m = await p.next(what)
  t.ok(m.op === OP.binary && m.data.equals(msg),
    `${what}: got ${describeMsg(m)}, want binary(${msg.length})[${hex(msg)}]`)
}

async function expectPong (t, p, payload) {
  const m = await p.next(`the pong for a ${payload.length}-byte ping`)
  t.ok(m.op === OP.pong && m.data.equals(payload),
    `got ${describeMsg(m)}, want pong(${payload.length})[${hex(payload)}]`)
}

// What came before must have been ignored: an ECHO sent now is answered,
// and it is the very next message (no reply to what was ignored).
async function expectIgnored (t, p, what) {
  const probe = echoMsg(6)
  p.send(frame(OP.binary, probe))
  const m = await p.next(`the ECHO answer after ${what}`)
  t.ok(m.op === OP.binary && m.data.equals(probe),
    `after ${what} the next message is ${describeMsg(m)}, not the ECHO answer; received: ${p.describe()}`)
  t.ok(!p.gotClose && !p.closed, `the connection did not stay open after ${what}: ${p.describe()}`)
}

// The server failed the connection: a close frame with exactly this code,
// a reason (it detected the error itself), then TCP closed within 3 s.
// opts.only: nothing but the close frame may come after what was read.
async function expectFail (t, p, code, opts = {}) {
  await p.wait(() => p.closed, CLOSE_MS, `the server to close TCP after close ${code}`)
  const rest = p.msgs.slice(p.pos)
  const close = rest.find(m => m.op === OP.close)
  if (!close) {
    t.ok(false, `TCP closed with no close frame (want close ${code}); received: ${p.describe()}`)
    return
  }
  const c = parseClose(close.data)
  t.ok(c.code === code, `close code ${c.code ?? 'none (empty close payload)'}, want ${code}; received: ${p.describe()}`)
  // (An empty payload has no code either: already reported above.)
  if (c.code !== null) t.ok(c.raw.length > 0, `close ${c.code} has an empty reason (want one for a server-detected error); close payload [${hex(close.data)}]`)
  t.ok(isUtf8(c.raw), `close reason is not UTF-8: [${hex(c.raw)}]`)
  if (opts.only) {
    const other = rest.filter(m => m !== close)
    t.ok(other.length === 0, `sent ${other.map(describeMsg).join(', ')} while failing the connection`)
  }
}

// The client closed: the server answers with a close frame (its code, if
// any, one allowed on the wire; its reason UTF-8) and closes TCP. No data
// message may come after the client's close.
async function expectCloseReply (t, p) {
  await p.wait(() => p.closed, CLOSE_MS, 'the server to answer the close and close TCP')
  const rest = p.msgs.slice(p.pos)
  const close = rest.find(m => m.op === OP.close)
  if (!close) {
    t.ok(false, `TCP closed with no close frame in reply; received: ${p.describe()}`)
    return
  }
  const c = parseClose(close.data)
  t.ok(c.code === null || wireCode(c.code), `replied with close code ${c.code}, which is not allowed on the wire`)
  t.ok(isUtf8(c.raw), `close reason is not UTF-8: [${hex(c.raw)}]`)
  const data = rest.filter(m => m.op === OP.text || m.op === OP.binary)
  t.ok(data.length === 0, `sent data after the client's close: ${data.map(describeMsg).join(', ')}`)
}

// runCase registers a case; runAll runs them a few at a time (each on its
// own connections, so they cannot disturb one another, and a server that
// never closes costs 3 s per case only once per batch) and prints TAP in
// the order of registration. results tallies the summary line.
const cases = []
const results = []
const runCase = (name, fn) => { cases.push({ name, fn }) }

async function execCase ({ name, fn }) {
  const t = {
    fails: [],
    peers: [],
    ok (cond, msg) { if (!cond) this.fails.push(msg) }
  }
  let timer
  try {
    await Promise.race([fn(t), new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`case timed out after ${CASE_MS} ms; received: ` +
        t.peers.map(p => p.describe()).join(' | '))), CASE_MS)
    })])
  } catch (e) {
    t.fails.push(e.name === 'Error' ? e.message : String(e.stack).split('\n').slice(0, 3).join(' | '))
  }
  clearTimeout(timer)
  for (const p of t.peers) {
    // What the server got wrong in its own framing, each thing once.
    const bad = [...new Set(p.bad)]
    t.fails.push(...bad.slice(0, 5))
    if (bad.length > 5) t.fails.push(`... and ${bad.length - 5} more framing errors of the server`)
    p.s.destroy()
  }
  return { name, fails: t.fails }
}

async function runAll (list, workers = 8) {
  const done = new Array(list.length)
  let next = 0; let printed = 0
  const print = async () => {
    for (; printed < list.length && done[printed]; printed++) {
      const r = done[printed]
      results.push({ name: r.name, ok: r.fails.length === 0 })
      await T.test(r.name, async () => { for (const f of r.fails) T.ok(false, f) })
    }
  }
  let printing = Promise.resolve()
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < list.length) {
      const i = next++
      done[i] = await execCase(list[i])
      printing = printing.then(print)
    }
  }))
  await printing
}

// Send frames and expect a given close code (the table-driven error cases).
const failCase = (name, frames, code, opts = {}) => runCase(name, async t => {
  const p = await open(t)
  p.send(Buffer.concat(frames))
  for (const m of opts.before || []) await expectBinary(t, p, m, 'the answer to the valid frame before')
  await expectFail(t, p, code, opts)
})

// Send frames that must be ignored, then check the connection still works.
const ignoreCase = (name, frames, what) => runCase(name, async t => {
  const p = await open(t)
  p.send(Buffer.concat(frames))
  await expectIgnored(t, p, what)
})

try {
  // ---- 0 the HTTP upgrade ----

  runCase('0.1 upgrade: 101 with the right Sec-WebSocket-Accept, then SERVER_READY', async t => {
    const p = await open(t)
    t.ok(/\r\nupgrade:[ \t]*websocket[ \t]*\r\n/i.test(p.head), 'no "Upgrade: websocket" in the 101')
    t.ok(/\r\nconnection:[ \t]*upgrade[ \t]*\r\n/i.test(p.head), 'no "Connection: Upgrade" in the 101')
  })

  runCase('0.2 upgrade request without Host: 400, not upgraded', async t => {
    const key = crypto.randomBytes(16).toString('base64')
    const p = await httpRequest(t, upgradeRequest(key, { host: false }))
    t.ok(p.status === 400, p.status === 101
      ? 'upgraded without Host (101 Switching Protocols)'
      : `status ${p.status}, want 400: ${p.head && p.head.split('\r\n')[0]}`)
  })

  runCase('0.3 Sec-WebSocket-Version: 8: 426 naming version 13', async t => {
    const key = crypto.randomBytes(16).toString('base64')
    const p = await httpRequest(t, upgradeRequest(key, { version: '8' }))
    t.ok(p.status === 426, `status ${p.status}, want 426`)
    // RFC 6455 4.4: the answer names the versions the server supports.
    t.ok(/\r\nsec-websocket-version:[ \t]*13[ \t]*\r\n/i.test(p.head || ''), 'no "Sec-WebSocket-Version: 13" in the 426')
  })

  // ---- 1 unfragmented binary messages, every length encoding ----

  const sizes = [1, 125, 126, 127, 128, 65535, 65536, 262144]
  for (const [i, size] of sizes.entries()) {
    runCase(`1.2.${i + 1} binary ${size}-byte payload echoed`, async t => {
      const p = await open(t)
      const msg = echoMsg(size)
      p.send(frame(OP.binary, msg))
      await expectBinary(t, p, msg)
    })
  }

  runCase('1.2.9 binary 65536-byte payload written in 997-byte chunks echoed', async t => {
    const p = await open(t)
    const msg = echoMsg(65536)
    const f = frame(OP.binary, msg)
    for (let i = 0; i < f.length; i += 997) {
      await new Promise(resolve => p.s.write(f.subarray(i, i + 997), resolve))
    }
    await expectBinary(t, p, msg)
  })

  // ---- 2 ping and pong ----

  for (const [n, desc, payload] of [
    [1, 'no payload', Buffer.alloc(0)],
    [2, 'a text payload', Buffer.from('Hello, world!')],
    [3, 'a 125-byte binary payload', crypto.randomBytes(125)]
  ]) {
    runCase(`2.${n} ping with ${desc}: pong with the same payload`, async t => {
      const p = await open(t)
      p.send(frame(OP.ping, payload))
      await expectPong(t, p, payload)
    })
  }

  failCase('2.4 ping with a 126-byte payload: close 1002',
    [frame(OP.ping, crypto.randomBytes(126))], 1002, { only: true })

  ignoreCase('2.5 unsolicited pong without payload: ignored', [frame(OP.pong)], 'an unsolicited pong')
  ignoreCase('2.6 unsolicited pong with payload: ignored',
    [frame(OP.pong, 'unsolicited')], 'an unsolicited pong with payload')

  runCase('2.7 ten pings in a row: ten pongs in order', async t => {
    const p = await open(t)
    const payloads = Array.from({ length: 10 }, (_, i) => Buffer.from(`ping-${i}`))
    p.send(Buffer.concat(payloads.map(b => frame(OP.ping, b))))
    for (const b of payloads) await expectPong(t, p, b)
  })

  // ---- 3 reserved bits ----

  const okEcho = echoMsg(5)
  for (const [n, desc, frames, before] of [
    [1, 'text with RSV1', [frame(OP.text, 'Hello', { rsv: RSV1 })]],
    [2, 'binary with RSV2 after a valid ECHO', [frame(OP.binary, okEcho), frame(OP.binary, echoMsg(5), { rsv: RSV2 })], [okEcho]],
    [3, 'text with RSV3', [frame(OP.text, 'Hello', { rsv: RSV3 })]],
    [4, 'binary with RSV1+RSV2+RSV3', [frame(OP.binary, echoMsg(5), { rsv: 7 })]],
    [5, 'ping with RSV2', [frame(OP.ping, 'Hello', { rsv: RSV2 })]],
    [6, 'close with RSV1', [frame(OP.close, closeBody(1000), { rsv: RSV1 })]]
  ]) {
    // A ping with RSV bits must not be answered: only the close comes.
    failCase(`3.${n} ${desc}: close 1002`, frames, 1002, { before, only: true })
  }

  // ---- 4 reserved opcodes ----

  // 4.x.3 (as Autobahn): a valid ECHO, the reserved opcode, then a ping
  // that must not be answered. The others: the reserved frame alone,
  // with or without payload.
  function opcodeCase (group, n, op) {
    const kind = group === 1 ? 'non-control' : 'control'
    const name = `4.${group}.${n} reserved ${kind} opcode 0x${op.toString(16)}`
    if (n === 3) {
      const m = echoMsg(5)
      failCase(`${name} between a valid ECHO and a ping: close 1002`,
        [frame(OP.binary, m), frame(op, 'reserved'), frame(OP.ping)], 1002, { before: [m], only: true })
    } else {
      failCase(`${name}${n % 2 ? '' : ' with payload'}: close 1002`,
        [frame(op, n % 2 ? [] : 'reserved')], 1002, { only: true })
    }
  }

  for (const [i, op] of [3, 4, 5, 6, 7].entries()) opcodeCase(1, i + 1, op)
  for (const [i, op] of [0xb, 0xc, 0xd, 0xe, 0xf].entries()) opcodeCase(2, i + 1, op)

  // ---- 5 fragmentation ----

  failCase('5.1 fragmented ping (FIN=0): close 1002',
    [frame(OP.ping, 'fragment1', { fin: false })], 1002, { only: true })

  // Fragmented binary messages: split() cuts one ECHO message at the given
  // offsets (equal offsets make empty fragments); fragments() makes the
  // first part a binary frame and the rest continuations, FIN on the last.
  const split = (msg, cuts) => {
    const parts = []; let at = 0
    for (const c of [...cuts, msg.length]) { parts.push(msg.subarray(at, c)); at = c }
    return parts
  }
  const fragments = parts => parts.map((b, i) =>
    frame(i === 0 ? OP.binary : OP.cont, b, { fin: i === parts.length - 1 }))
  const m24 = echoMsg(24)
  for (const [n, desc, parts] of [
    [2, 'in 2 fragments', split(echoMsg(300), [150])],
    [3, 'in 8 fragments', split(echoMsg(8000), [1000, 2000, 3000, 4000, 5000, 6000, 7000])],
    [4, 'in 1-byte fragments', split(m24, Array.from({ length: 23 }, (_, i) => i + 1))],
    [5, 'with an empty first fragment', split(echoMsg(40), [0])],
    [6, 'with empty continuation frames in the middle and at the end', split(echoMsg(40), [20, 20, 40])]
  ]) {
    runCase(`5.${n} binary message ${desc}: echoed whole`, async t => {
      const p = await open(t)
      p.send(Buffer.concat(fragments(parts)))
      await expectBinary(t, p, Buffer.concat(parts))
    })
  }

  runCase('5.7 ping between two fragments: pong, then the whole message echoed', async t => {
    const p = await open(t)
    const msg = echoMsg(64)
    const [a, b] = fragments(split(msg, [32]))
    p.send(Buffer.concat([a, frame(OP.ping, 'between'), b]))
    await expectPong(t, p, Buffer.from('between'))
    await expectBinary(t, p, msg)
  })

  // The pongs must come while the message is still unfinished: each one is
  // waited for before the next fragment is sent.
  runCase('5.8 pings between 4 fragments, each pong awaited: pongs, then the echo', async t => {
    const p = await open(t)
    const msg = echoMsg(400)
    const fr = fragments(split(msg, [100, 200, 300]))
    for (let i = 0; i < 3; i++) {
      const ping = Buffer.from(`ping ${i}`)
      p.send(Buffer.concat([fr[i], frame(OP.ping, ping)]))
      await expectPong(t, p, ping)
    }
    p.send(fr[3])
    await expectBinary(t, p, msg)
  })

  failCase('5.9 continuation frame (FIN=1) with no message in progress: close 1002',
    [frame(OP.cont, echoMsg(5))], 1002, { only: true })
  failCase('5.10 continuation frame (FIN=0) with no message in progress: close 1002',
    [frame(OP.cont, echoMsg(5), { fin: false })], 1002, { only: true })
  failCase('5.11 new binary frame while a fragmented binary message is in progress: close 1002',
    [frame(OP.binary, echoMsg(5), { fin: false }), frame(OP.binary, echoMsg(5))], 1002, { only: true })
  failCase('5.12 new text frame while a fragmented binary message is in progress: close 1002',
    [frame(OP.binary, echoMsg(5), { fin: false }), frame(OP.text, 'Hello')], 1002, { only: true })

  ignoreCase('5.13 text message in 3 fragments: ignored', [
    frame(OP.text, 'frag', { fin: false }), frame(OP.cont, 'men', { fin: false }), frame(OP.cont, 'ted')
  ], 'a fragmented text message')
  // "€" is E2 82 AC: cut after its first and second byte.
  ignoreCase('5.14 text with a code point split across fragments: ignored', [
    frame(OP.text, [0x61, 0xe2], { fin: false }), frame(OP.cont, [0x82], { fin: false }), frame(OP.cont, [0xac, 0x62])
  ], 'a text message with "€" split across fragments')

  // ---- 6 UTF-8 in text messages ----

  ignoreCase('6.1 empty text message: ignored', [frame(OP.text)], 'an empty text message')
  ignoreCase('6.2 text "Hello-µ@ßöäüàá-UTF-8!!": ignored',
    [frame(OP.text, 'Hello-µ@ßöäüàá-UTF-8!!')], 'a valid UTF-8 text message')
  ignoreCase('6.3 text with 4-byte code points U+1F600 and U+10FFFF: ignored',
    [frame(OP.text, '\u{1F600}\u{10FFFF}')], 'text with 4-byte code points')
  const kosme = Buffer.from('κόσμε')
  ignoreCase('6.4 text "κόσμε" with every byte its own fragment: ignored',
    [...kosme].map((b, i) => frame(i ? OP.cont : OP.text, [b], { fin: i === kosme.length - 1 })),
    'a text message in 1-byte fragments')

  const invalid = [
    ['overlong "/" (C0 AF)', [0x61, 0xc0, 0xaf]],
    ['overlong 3-byte "/" (E0 80 AF)', [0x61, 0xe0, 0x80, 0xaf]],
    ['surrogate U+D800 (ED A0 80)', [0x61, 0xed, 0xa0, 0x80]],
    ['code point above U+10FFFF (F4 90 80 80)', [0x61, 0xf4, 0x90, 0x80, 0x80]],
    ['bytes FE FF', [0x61, 0xfe, 0xff]],
    ['lone continuation byte 80', [0x61, 0x80]],
    ['"κόσμε" truncated in its last code point', kosme.subarray(0, kosme.length - 1)]
  ]
  for (const [i, [desc, bytes]] of invalid.entries()) {
    failCase(`6.${5 + i} invalid UTF-8 text: ${desc}: close 1007`,
      [frame(OP.text, bytes)], 1007, { only: true })
  }
  let n6 = 5 + invalid.length
  failCase(`6.${n6++} invalid UTF-8 in a later fragment: close 1007`,
    [frame(OP.text, 'hello', { fin: false }), frame(OP.cont, [0x61, 0xff])], 1007, { only: true })
  failCase(`6.${n6++} fragmented text ending inside a code point (E2 82 then an empty final fragment): close 1007`,
    [frame(OP.text, [0x61, 0xe2, 0x82], { fin: false }), frame(OP.cont)], 1007, { only: true })

  // ---- 7 close ----

  runCase('7.1.1 close without payload: close frame back, TCP closed', async t => {
    const p = await open(t)
    p.send(frame(OP.close))
    await expectCloseReply(t, p)
  })

  runCase('7.1.2 ECHO sent after the close frame: ignored', async t => {
    const p = await open(t)
    p.send(Buffer.concat([frame(OP.close, closeBody(1000)), frame(OP.binary, echoMsg(5))]))
    await expectCloseReply(t, p)
  })

  runCase('7.1.3 close while a fragmented message is in progress: close frame back', async t => {
    const p = await open(t)
    p.send(Buffer.concat([frame(OP.binary, echoMsg(5), { fin: false }), frame(OP.close, closeBody(1000))]))
    await expectCloseReply(t, p)
  })

  failCase('7.3.1 close with a 1-byte payload: close 1002', [frame(OP.close, [0x03])], 1002, { only: true })

  for (const [n, desc, reason] of [
    [2, 'code 1000 and no reason', ''],
    [3, 'code 1000 and reason "Hello World!"', 'Hello World!'],
    [4, 'code 1000 and a 123-byte reason (125-byte payload)', '*'.repeat(123)]
  ]) {
    runCase(`7.3.${n} close with ${desc}: close frame back, TCP closed`, async t => {
      const p = await open(t)
      p.send(frame(OP.close, closeBody(1000, reason)))
      await expectCloseReply(t, p)
    })
  }

  failCase('7.3.5 close with a 124-byte reason (126-byte payload): close 1002',
    [frame(OP.close, closeBody(1000, '*'.repeat(124)))], 1002, { only: true })

  // Autobahn 7.5.1: "κόσμε" then an encoded surrogate in the reason.
  failCase('7.5.1 close 1000 with an invalid UTF-8 reason: close 1007', [frame(OP.close, Buffer.concat([
    closeBody(1000), Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex')]))], 1007, { only: true })

  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
  for (const [i, code] of valid.entries()) {
    const reason = i % 2 ? `reason for ${code} ✓` : ''
    runCase(`7.7.${i + 1} close with valid code ${code}${reason ? ' and a UTF-8 reason' : ''}: close frame back, TCP closed`, async t => {
      const p = await open(t)
      p.send(frame(OP.close, closeBody(code, reason)))
      await expectCloseReply(t, p)
    })
  }

  const invalidCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
  for (const [i, code] of invalidCodes.entries()) {
    failCase(`7.9.${i + 1} close with invalid code ${code}: close 1002`,
      [frame(OP.close, closeBody(code))], 1002, { only: true })
  }

  // ---- 8 masking and length encoding ----

  failCase('8.1 unmasked client frame: close 1002',
    [frame(OP.binary, echoMsg(5), { mask: false })], 1002, { only: true })
  failCase('8.2 16-bit length form for a 5-byte payload: close 1002',
    [frame(OP.binary, echoMsg(5), { form: 16 })], 1002, { only: true })
  failCase('8.3 64-bit length form for a 200-byte payload: close 1002',
    [frame(OP.binary, echoMsg(200), { form: 64 })], 1002, { only: true })
  // Only 16 payload bytes follow the impossible length.
  failCase('8.4 64-bit length with the most significant bit set: close 1002',
    [frame(OP.binary, echoMsg(16), { declared: (1n << 63n) | 16n })], 1002, { only: true })

  // ---- 9 the size limit ----

  // OVER_SIZE, then close 1009. Each case sends just enough: only the
  // declared length says the message is too big (and nothing is left
  // unread on the server to turn its close into a reset).
  const overSize = (name, frames, { binary = true } = {}) => runCase(name, async t => {
    const p = await open(t)
    p.send(Buffer.concat(frames))
    if (binary) await expectBinary(t, p, Buffer.from([OVER_SIZE]), 'OVER_SIZE (0xFE)')
    await expectFail(t, p, 1009, { only: true })
  })
  overSize('9.1.1 binary declaring 4 GiB, 100 payload bytes sent: OVER_SIZE, close 1009',
    [frame(OP.binary, echoMsg(100), { declared: 1n << 32n })])
  // wslay hands a frame over with its first payload byte, so the header
  // alone decides nothing yet; one byte later it is refused, unbuffered.
  overSize('9.1.2 binary declaring 4 GiB, header and 1 byte: OVER_SIZE, close 1009',
    [frame(OP.binary, [0xcc], { declared: 1n << 32n })])
  overSize(`9.1.3 binary declaring ${MAX_SIGNAL + 1} bytes (limit + 1), 1 KiB sent: OVER_SIZE, close 1009`,
    [frame(OP.binary, echoMsg(1024), { declared: MAX_SIGNAL + 1 })])
  overSize('9.1.4 binary fragments adding up past the limit (600 KiB + 600 KiB declared): OVER_SIZE, close 1009', [
    frame(OP.binary, echoMsg(600 * 1024), { fin: false }),
    frame(OP.cont, crypto.randomBytes(16), { declared: 600 * 1024 })])
  overSize('9.1.5 text declaring 2 MiB, 100 bytes sent: close 1009',
    [frame(OP.text, 'a'.repeat(100), { declared: 2 * MAX_SIGNAL })], { binary: false })

  await runAll(cases)

  // ---- 10 the daemon survived all of it (run alone, after the rest) ----

  cases.length = 0
  runCase('10.1 afterwards a new connection gets SERVER_READY and ECHO; the daemon runs', async t => {
    const p = await open(t)
    const msg = echoMsg(32)
    p.send(frame(OP.binary, msg))
    await expectBinary(t, p, msg)
    let alive = !daemonExited
    try { process.kill(d.pid, 0) } catch { alive = false }
    t.ok(alive, 'the daemon process is gone')
  })
  await runAll(cases)
} finally {
  const r = await d.stop(); if (process.env.DUMPLOG) fs.writeFileSync(process.env.DUMPLOG, d.log())
  fs.rmSync(tmp, { recursive: true, force: true })
  // Under a sanitizer build (make test runs one) a report fails the run.
  await T.test('10.2 the daemon exits 0 on SIGTERM, with no sanitizer report', async () => {
    T.eq(r.code, 0, 'exit status')
    const bad = /(AddressSanitizer|LeakSanitizer|runtime error)/.exec(d.log())
    T.ok(!bad, 'sanitizer report: ' + (bad && d.log().slice(bad.index, bad.index + 600)))
  })
}

const good = results.filter(r => r.ok).length
process.stdout.write(`# wsproto: ${good}/${results.length} cases behaved as RFC 6455 requires\n`)
T.done()

// Raw clients for the suites that play a hostile or a very plain peer:
// TCP connections from a chosen loopback address, WebSocket frames made
// by hand, CongSocket frames, and an IOSignal message reader for both.
import net from 'node:net'
import crypto from 'node:crypto'

// A TCP connection from `from` (any 127.x.y.z address is this host);
// resolves once connected, rejects on error.
export function connect (port, from = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from })
    s.once('connect', () => { s.removeListener('error', reject); resolve(s) })
    s.once('error', reject)
  })
}

// A CongSocket frame: the smallest header for the length, or `declared`.
export function congFrame (payload, declared) {
  const p = Buffer.from(payload)
  const n = declared ?? p.length
  let h
  if (n < 256) h = Buffer.from([1, n])
  else if (n < 65536) { h = Buffer.alloc(3); h[0] = 2; h.writeUInt16LE(n, 1) } else if (n < 1 << 24) { h = Buffer.alloc(4); h[0] = 3; h.writeUIntLE(n, 1, 3) } else { h = Buffer.alloc(5); h[0] = 4; h.writeUInt32LE(n, 1) }
  return Buffer.concat([h, p])
}

// A masked client WebSocket frame (binary unless opcode says otherwise);
// `declared` announces another length than the payload's.
export function wsFrame (payload, { opcode = 2, fin = true, declared } = {}) {
  const p = Buffer.from(payload)
  const n = BigInt(declared ?? p.length)
  let len
  if (n > 65535n) { len = Buffer.alloc(9); len[0] = 0x80 | 127; len.writeBigUInt64BE(n, 1) } else if (n > 125n) { len = Buffer.alloc(3); len[0] = 0x80 | 126; len.writeUInt16BE(Number(n), 1) } else len = Buffer.from([0x80 | Number(n)])
  const key = crypto.randomBytes(4)
  const body = Buffer.alloc(p.length)
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ key[i & 3]
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), len, key, body])
}

export function upgradeRequest (extra = '') {
  const key = crypto.randomBytes(16).toString('base64')
  return `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
}

// One peer speaking IOSignal over a raw socket: `ws` true for WebSocket
// (after the upgrade), false for CongSocket. msgs holds every IOSignal
// message received; status is the HTTP status (WebSocket); closeCode the
// server's WebSocket close code (1005: a close frame without one) and
// closeReason its reason; closed once TCP is closed.
export class Peer {
  constructor (sock, ws) {
    this.s = sock
    this.ws = ws
    this.buf = Buffer.alloc(0)
    this.status = ws ? null : 0
    this.msgs = []
    this.closeCode = null
    this.closeReason = null
    this.closed = false
    this.bytes = 0
    this.waiters = new Set()
    sock.on('data', d => this.onData(d))
    sock.on('error', () => {})
    sock.on('close', () => { this.closed = true; this.poke() })
  }

  // Connect (ws: and upgrade); resolves on the HTTP answer (ws) or at once.
  static async open (port, { ws = false, from = '127.0.0.1', ms = 3000 } = {}) {
    const p = new Peer(await connect(port, from), ws)
    if (ws) {
      p.s.write(upgradeRequest())
      await p.until(() => p.status !== null || p.closed, ms, 'the upgrade answer')
    }
    return p
  }

  onData (d) {
    this.bytes += d.length
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d
    if (this.ws && this.status === null) {
      const i = this.buf.indexOf('\r\n\r\n')
      if (i < 0) return
      this.status = Number(this.buf.subarray(0, i).toString('latin1').split(' ')[1])
      this.head = this.buf.subarray(0, i).toString('latin1')
      this.buf = this.buf.subarray(i + 4)
    }
    for (;;) {
      const m = this.ws ? this.wsNext() : this.congNext()
      if (m === null) break
      if (m !== undefined) this.msgs.push(m)
    }
    this.poke()
  }

  wsNext () {
    const b = this.buf
    if (this.status !== 101 || b.length < 2) return null
    let len = b[1] & 127; let h = 2
    if (len === 126) { if (b.length < 4) return null; len = b.readUInt16BE(2); h = 4 } else if (len === 127) { if (b.length < 10) return null; len = Number(b.readBigUInt64BE(2)); h = 10 }
    if (b.length < h + len) return null
    const op = b[0] & 15; const data = b.subarray(h, h + len)
    this.buf = b.subarray(h + len)
    if (op === 8) {
      this.closeCode = data.length >= 2 ? data.readUInt16BE(0) : 1005
      this.closeReason = data.subarray(2).toString('utf8')
      return undefined
    }
    return op === 2 ? Buffer.from(data) : undefined
  }

  congNext () {
    const b = this.buf
    if (b.length < 1) return null
    const hl = b[0] + 1
    if (b[0] < 1 || b[0] > 4 || b.length < hl) return null
    const n = b.readUIntLE(1, b[0])
    if (b.length < hl + n) return null
    this.buf = b.subarray(hl + n)
    return Buffer.from(b.subarray(hl, hl + n))
  }

  poke () { for (const w of [...this.waiters]) w() }

  until (cond, ms, what) {
    return new Promise((resolve, reject) => {
      let timer = null
      const check = () => {
        const v = cond()
        if (!v) return
        clearTimeout(timer); this.waiters.delete(check); resolve(v)
      }
      this.waiters.add(check)
      timer = setTimeout(() => { this.waiters.delete(check); reject(new Error('timed out waiting for ' + what)) }, ms)
      check()
    })
  }

  // Send one IOSignal message (raw bytes: for a frame of one's own, use
  // sendRaw).
  send (msg) { this.sendRaw(this.ws ? wsFrame(msg) : congFrame(msg)) }
  sendRaw (b) { if (!this.s.destroyed) this.s.write(b) }

  // The next message of the given type (first byte, or one of a list;
  // any when undefined), or null after ms or when the connection closes.
  async next (type, ms = 3000) {
    const want = type === undefined ? () => true
      : Array.isArray(type) ? m => type.includes(m[0]) : m => m[0] === type
    try {
      return await this.until(() => {
        const i = this.msgs.findIndex(want)
        if (i >= 0) return this.msgs.splice(i, 1)
        return this.closed ? [null] : null
      }, ms, 'a message').then(a => a[0])
    } catch { return null }
  }

  close () { this.s.destroy() }
}

export const MSG = {
  AUTH_NONCE: 0xb1, AUTH_ACK: 0xb3, AUTH_FAIL: 0xb4, SERVER_READY: 0xc0,
  CID_REQ: 0xc1, CID_RES: 0xc2, QUOTA_LEVEL: 0xc3, ECHO: 0xcc,
  SIGNAL: 0xd0, SUBSCRIBE: 0xd3, SUBSCRIBE_REQ: 0xd4, OVER_SIZE: 0xfe,
  RESPONSE: 0xdf
}

// Boho login at the wire (the npm `boho` package makes the messages):
// resolves with AUTH_ACK or AUTH_FAIL's type, or null on no answer.
export async function login (peer, Boho, id, key, ms = 6000) {
  const b = new Boho()
  b.set_id_key(`${id}.${key}`)
  peer.send(b.auth_req())
  const n = await peer.next(MSG.AUTH_NONCE, ms)
  if (!n) return null
  peer.send(b.auth_hmac(n))
  const a = await peer.next([MSG.AUTH_ACK, MSG.AUTH_FAIL], ms)
  return a ? a[0] : null
}

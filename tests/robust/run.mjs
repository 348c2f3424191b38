// Raw-socket robustness tests for iosd: malformed input of every kind, over
// CongSocket and WebSocket, must close the right connection with the right
// reason and leave the daemon running with bounded memory.
//
//   node tests/robust/run.mjs [--bin build/iosd]
//
// Prints TAP and ends with "# N passed, M failed".
import net from 'node:net'
import crypto from 'node:crypto'
import { startDaemon, tap } from '../lib/daemon.mjs'

const args = process.argv.slice(2)
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1] : 'build/iosd'

// ---- raw clients ----

function connect (port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

// Collect what a socket receives (the first 64 kB; `bytes` counts all);
// `closed` resolves with the time it took.
function collect (s) {
  const st = { data: Buffer.alloc(0), bytes: 0, closed: null, t0: Date.now() }
  st.closed = new Promise(resolve => {
    s.on('data', d => {
      st.bytes += d.length
      if (st.data.length < 65536) st.data = Buffer.concat([st.data, d])
    })
    s.on('close', () => resolve(Date.now() - st.t0))
    s.on('error', () => {})
  })
  return st
}

async function until (cond, ms = 3000, what = 'condition') {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return true
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  throw new Error('timed out waiting for ' + what)
}

function within (p, ms, what) {
  return Promise.race([p, new Promise((resolve, reject) =>
    setTimeout(() => reject(new Error('timed out: ' + what)), ms))])
}

const congFrame = (payload) => {
  const p = Buffer.from(payload)
  if (p.length < 256) return Buffer.concat([Buffer.from([1, p.length]), p])
  const h = Buffer.alloc(3); h[0] = 2; h.writeUInt16LE(p.length, 1)
  return Buffer.concat([h, p])
}

// A masked client frame (RFC 6455 5.2); opts.rsv / opts.mask / opts.fin.
function wsFrame (opcode, payload, opts = {}) {
  const p = Buffer.from(payload)
  const fin = opts.fin === false ? 0 : 0x80
  const head = [fin | ((opts.rsv || 0) << 4) | opcode]
  const masked = opts.mask === false ? 0 : 0x80
  let len
  if (opts.declared !== undefined) {
    len = Buffer.alloc(9); len[0] = masked | 127
    len.writeBigUInt64BE(BigInt(opts.declared), 1)
  } else if (p.length < 126) len = Buffer.from([masked | p.length])
  else if (p.length < 65536) { len = Buffer.alloc(3); len[0] = masked | 126; len.writeUInt16BE(p.length, 1) } else { len = Buffer.alloc(9); len[0] = masked | 127; len.writeBigUInt64BE(BigInt(p.length), 1) }
  if (!masked) return Buffer.concat([Buffer.from(head), len, p])
  const key = crypto.randomBytes(4)
  const body = Buffer.from(p.map((b, i) => b ^ key[i % 4]))
  return Buffer.concat([Buffer.from(head), len, key, body])
}

async function wsOpen (port) {
  const s = await connect(port)
  const st = collect(s)
  const key = crypto.randomBytes(16).toString('base64')
  s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  await until(() => st.data.indexOf('\r\n\r\n') >= 0, 3000, 'upgrade response')
  const end = st.data.indexOf('\r\n\r\n') + 4
  const head = st.data.subarray(0, end).toString()
  st.data = st.data.subarray(end)
  return { s, st, head }
}

// Parse server frames (unmasked) out of st.data.
function wsFrames (buf) {
  const out = []
  let i = 0
  while (i + 2 <= buf.length) {
    const op = buf[i] & 15; let len = buf[i + 1] & 127; let h = 2
    if (len === 126) { len = buf.readUInt16BE(i + 2); h = 4 } else if (len === 127) { len = Number(buf.readBigUInt64BE(i + 2)); h = 10 }
    if (i + h + len > buf.length) break
    out.push({ op, data: buf.subarray(i + h, i + h + len) })
    i += h + len
  }
  return out
}

const closeCode = (frames) => {
  const c = frames.find(f => f.op === 8)
  return c && c.data.length >= 2 ? c.data.readUInt16BE(0) : null
}

// ---- the tests ----

const T = tap()
const d = await startDaemon(bin, ['--max-signal', '65536', '--handshake-timeout', '500',
  '--send-queue-bytes', '1048576', '--send-queue-msgs', '256', '-t', '60000'])

async function congAlive () {
  const s = await connect(d.cong)
  const st = collect(s)
  s.write(congFrame([0xcc, 0x68, 0x69]))
  await until(() => st.data.includes(Buffer.from([1, 3, 0xcc, 0x68, 0x69])), 3000, 'echo')
  s.destroy()
  return true
}

try {
  await T.test('daemon answers ECHO over CongSocket', congAlive)

  await T.test('CongSocket 4 GiB length: OVER_SIZE, closed, no memory spent', async () => {
    const before = d.rss()
    const s = await connect(d.cong)
    const st = collect(s)
    s.write(Buffer.from([4, 0xff, 0xff, 0xff, 0xff]))
    await within(st.closed, 3000, 'close')
    T.eq(st.data.toString('hex'), '0101c0' + '0101fe', 'SERVER_READY then OVER_SIZE')
    T.ok(d.rss() - before < 1024, `RSS grew ${d.rss() - before} kB`)
  })

  await T.test('CongSocket length above --max-signal refused from the header', async () => {
    const s = await connect(d.cong)
    const st = collect(s)
    s.write(Buffer.from([3, 0x01, 0x00, 0x01]))  // 65537 declared, nothing sent
    await within(st.closed, 3000, 'close')
    T.ok(st.data.subarray(-3).equals(Buffer.from([1, 1, 0xfe])), 'OVER_SIZE')
  })

  for (const bad of [0x00, 0x05, 0x7f, 0xd0, 0xff]) {
    await T.test(`CongSocket bad header byte 0x${bad.toString(16)} closes`, async () => {
      const s = await connect(d.cong)
      const st = collect(s)
      s.write(congFrame([0xc1]))   // gets a CID first: still closed
      await until(() => st.data.length >= 5, 3000, 'CID_RES')
      s.write(Buffer.from([bad, 1, 2, 3]))
      await within(st.closed, 3000, 'close')
    })
  }

  await T.test('malformed messages of every type: ignored, connection kept', async () => {
    const s = await connect(d.cong)
    const st = collect(s)
    const junk = [
      [0xd0], [0xd0, 0x05, 0x61], [0xd0, 0xff], [0xd0, 0x02, 0xc3, 0x28, 0x01],
      [0xd2, 0x09], [0xd3], [0xd3, 0x05, 0x61], [0xd3, 0x01, 0xff], [0xd4, 0, 1],
      [0xd4, 0, 1, 0, 9, 0x61], [0xd5], [0xd5, 0x09, 0x61], [0xde], [0xde, 0, 1, 0, 0x10],
      [0xde, ...Buffer.from('[[1,2]]'), 0, 7], [0xdd, 0, 0], [0xb2, 1, 2], [0xb0],
      [0xb8, 1, 0, 0, 0], [0xb7, 0xff, 0xff, 0xff, 0xff, 1], [0xcf], [0x42], [0xdb, 3, 1],
      [0xd9, 0xff, 0xfe], [0xc0], [0xc2, 0x41], [0xd6, 0x7b], [0xfe], [0xf0], [0xc5, 1, 2]
    ]
    for (const j of junk) s.write(congFrame(j))
    s.write(Buffer.from([1, 0]))            // zero-length frame: dropped
    s.write(congFrame([0xcc, 0x6f, 0x6b]))  // then ECHO still works
    await until(() => st.data.includes(Buffer.from([1, 3, 0xcc, 0x6f, 0x6b])), 3000, 'echo after junk')
    s.destroy()
  })

  await T.test('CLOSE reasons in the log: text quoted, anything else (an Arduino sends 0xFE) in hex', async () => {
    const reasons = [
      [[0xfe], 'reason=0xfe\n'],
      [Buffer.from('bye'), 'reason="bye"\n'],
      [Buffer.from('잘 가'), 'reason="잘 가"\n'],
      [Buffer.from('a"b\n'), 'reason=0x6122620a\n'],
      [[0xc2, 0x9b, 0x41], 'reason=0xc29b41\n'],
      [Buffer.alloc(60, 0x78), `reason="${'x'.repeat(48)}"...\n`],
      [Buffer.alloc(60, 0xff), `reason=0x${'ff'.repeat(48)}...\n`]
    ]
    for (const [reason, logged] of reasons) {
      const s = await connect(d.cong)
      const st = collect(s)
      s.write(congFrame([0xcf, ...reason]))
      await within(st.closed, 3000, 'closed after CLOSE')
      await until(() => d.log().includes(logged), 3000, 'log line with ' + logged.trim())
    }
  })

  await T.test('SUBSCRIBE_REQ with a wrong length gets status 255', async () => {
    const s = await connect(d.cong)
    const st = collect(s)
    s.write(congFrame([0xd4, 0x00, 0x07, 0x00, 0x09, 0x61]))
    await until(() => st.data.includes(Buffer.from([0xdd, 0xff, 0x00, 0x07])), 3000, 'RESPONSE_MBP 255')
    s.destroy()
  })

  await T.test('WebSocket frame above the limit: OVER_SIZE then close 1009', async () => {
    const { s, st, head } = await wsOpen(d.ws)
    T.ok(head.startsWith('HTTP/1.1 101'), 'upgraded')
    // wslay reports a frame once payload bytes follow its header.
    s.write(wsFrame(2, Buffer.alloc(100), { declared: 1 << 20 }))
    await within(st.closed, 3000, 'close')
    const f = wsFrames(st.data)
    T.ok(f.some(x => x.op === 2 && x.data.equals(Buffer.from([0xfe]))), 'OVER_SIZE message')
    T.eq(closeCode(f), 1009, 'close code')
  })

  await T.test('WebSocket fragments adding up past the limit: 1009', async () => {
    const { s, st } = await wsOpen(d.ws)
    s.write(wsFrame(2, Buffer.alloc(40000), { fin: false }))
    s.write(wsFrame(0, Buffer.alloc(40000)))
    await within(st.closed, 3000, 'close')
    T.eq(closeCode(wsFrames(st.data)), 1009, 'close code')
  })

  for (const [desc, frame] of [
    ['reserved bit RSV1', wsFrame(2, [0xcc], { rsv: 4 })],
    ['reserved opcode 0x3', wsFrame(3, [0xcc])],
    ['reserved opcode 0xB', wsFrame(0xb, [])],
    ['unmasked client frame', wsFrame(2, [0xcc], { mask: false })],
    ['continuation without a start', wsFrame(0, [0xcc])]
  ]) {
    await T.test(`WebSocket ${desc}: close 1002`, async () => {
      const { s, st } = await wsOpen(d.ws)
      s.write(frame)
      await within(st.closed, 3000, 'close')
      T.eq(closeCode(wsFrames(st.data)), 1002, 'close code')
    })
  }

  await T.test('WebSocket invalid UTF-8 text: close 1007', async () => {
    const { s, st } = await wsOpen(d.ws)
    s.write(wsFrame(1, [0x61, 0xff, 0x62]))
    await within(st.closed, 3000, 'close')
    T.eq(closeCode(wsFrames(st.data)), 1007, 'close code')
  })

  await T.test('WebSocket valid text is ignored, binary ECHO answers', async () => {
    const { s, st } = await wsOpen(d.ws)
    s.write(wsFrame(1, 'hello'))
    s.write(wsFrame(2, [0xcc, 0x68, 0x69]))
    await until(() => wsFrames(st.data).some(f => f.op === 2 && f.data.equals(Buffer.from([0xcc, 0x68, 0x69]))), 3000, 'echo')
    T.eq(wsFrames(st.data).filter(f => f.op === 2).length, 2, 'SERVER_READY and ECHO only')
    s.write(wsFrame(8, Buffer.from([0x03, 0xe8])))
    await within(st.closed, 3000, 'close after close frame')
    T.eq(closeCode(wsFrames(st.data)), 1000, 'close echoed')
  })

  for (const [desc, req, status] of [
    ['garbage request line', 'HELLO\r\n\r\n', 400],
    ['POST', 'POST / HTTP/1.1\r\nHost: x\r\n\r\n', 405],
    ['no Upgrade', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 426],
    ['version 8', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n', 426],
    ['bad key', 'GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
    ['folded header', 'GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n', 400],
    ['headers over 8 KiB', 'GET / HTTP/1.1\r\nX: ' + 'a'.repeat(9000) + '\r\n\r\n', 431]
  ]) {
    await T.test(`HTTP ${desc}: ${status}`, async () => {
      const s = await connect(d.ws)
      const st = collect(s)
      s.write(req)
      await within(st.closed, 3000, 'close')
      T.eq(st.data.toString().split(' ')[1], String(status), 'status')
    })
  }

  await T.test('slow handshake closed at the deadline (500 ms)', async () => {
    const s = await connect(d.ws)
    const st = collect(s)
    s.write('GET / HTTP/1.1\r\nHost: x\r\n')
    const ms = await within(st.closed, 3000, 'close')
    T.ok(ms >= 400 && ms < 2500, `closed after ${ms} ms`)
  })

  await T.test('a subscriber that never reads is dropped; RSS stays bounded', async () => {
    const before = d.rss()
    const slow = await connect(d.cong)
    slow.pause()                                  // never read
    const fast = await connect(d.cong)
    const fst = collect(fast)
    const chan = Buffer.from('flood')
    const sub = Buffer.concat([Buffer.from([0xd3, chan.length]), chan])
    slow.write(congFrame(sub))
    fast.write(congFrame(sub))
    const pub = await connect(d.cong)
    const pst = collect(pub)
    const payload = Buffer.alloc(60000, 0x55)
    const sig = Buffer.concat([Buffer.from([0xd0, chan.length]), chan, Buffer.from([2]), payload])
    const frame = congFrame(sig)
    await new Promise(resolve => setTimeout(resolve, 100))
    // 24 MB through a 1 MiB queue, paced to the subscriber that reads:
    // what is tested is the one that stopped reading, not a race.
    let sent = 0
    for (let i = 0; i < 400; i += 8) {
      for (let k = 0; k < 8; k++) pub.write(frame)
      sent += 8
      await until(() => fst.bytes >= sent * frame.length + 3, 10000, `batch ${i}`)
    }
    try {
      await until(() => fst.bytes >= sent * frame.length + 3, 15000, 'fast subscriber gets everything')
    } catch (e) {
      throw new Error(`${e.message}: fast got ${fst.bytes} of ${sent * frame.length}, fast ${fast.readyState}; log: ${d.log().split('\n').slice(-6).join(' / ')}`)
    }
    const grew = d.rss() - before
    T.ok(grew < 32 * 1024, `RSS grew ${grew} kB`)
    // The slow one was cut off: reading now ends well short of 24 MB.
    let got = 0
    slow.on('data', d => { got += d.length })
    const closed = new Promise(resolve => slow.on('close', resolve))
    slow.on('error', () => {})
    slow.resume()
    await within(closed, 5000, 'slow subscriber closed')
    T.ok(got < sent * frame.length / 2, `slow subscriber got ${got} bytes of ${sent * frame.length}`)
    T.ok(pst.closed !== null && fast.readyState === 'open', 'publisher and fast subscriber still connected')
    pub.destroy(); fast.destroy()
  })

  await T.test('daemon still answers after all of it', congAlive)

  await T.test('out of descriptors: connections refused, no busy loop, recovery', async () => {
    const e = await startDaemon(bin, ['-t', '60000'], { nofile: 32 })
    try {
      const held = []
      for (let i = 0; i < 60; i++) {
        const s = net.connect(e.cong, '127.0.0.1')
        s.on('error', () => {})
        held.push(s)
      }
      await new Promise(resolve => setTimeout(resolve, 300))
      const cpu0 = e.cpu()
      await new Promise(resolve => setTimeout(resolve, 1000))
      const used = e.cpu() - cpu0
      T.ok(used < 0.3, `daemon used ${used.toFixed(2)} s of CPU in 1 s while full`)
      for (const s of held) s.destroy()
      await until(async () => {
        const s = net.connect(e.cong, '127.0.0.1')
        const st = collect(s)
        s.write(congFrame([0xcc, 0x31]))
        const ok = await Promise.race([
          until(() => st.data.includes(Buffer.from([1, 2, 0xcc, 0x31])), 500, 'echo').then(() => true, () => false),
          st.closed.then(() => false)])
        s.destroy()
        return ok
      }, 5000, 'service after descriptors came back')
      // Refused at --max-connections (what the descriptor limit leaves)
      // or, past it, at accept with no descriptor: logged either way.
      T.ok(/out of descriptors|admission: refused/.test(e.log()), 'logged')
    } finally {
      await e.stop()
    }
  })
} finally {
  const r = await d.stop()
  await T.test('SIGTERM: the daemon exits 0, with no sanitizer report', async () => {
    T.eq(r.code, 0, 'exit status')
    const bad = /(AddressSanitizer|LeakSanitizer|runtime error|Invalid (read|write)|definitely lost)/.exec(d.log())
    T.ok(!bad, 'sanitizer or valgrind report: ' + (bad && d.log().slice(bad.index, bad.index + 400)))
  })
}
T.done()

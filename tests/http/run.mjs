// HTTP on the WebSocket ports: GET /metrics (Prometheus text, checked by
// promtool), GET /healthz (200, or 503 when the store is down), 404, 405,
// 426, keep-alive, --no-metrics and --metrics-allow, the idle deadline.
//
//   node tests/http/run.mjs [--bin build/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, tap, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const T = tap({ timeout: 20000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-http-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// Raw HTTP: writes text, reads until `count` responses (by
// Content-Length) have come or the peer closed; {responses, closed}.
function http (port, text, { count = 1, from = '127.0.0.1', ms = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from })
    let buf = Buffer.alloc(0); const responses = []; let closed = false
    const t = setTimeout(() => { s.destroy(); resolve({ responses, closed }) }, ms)
    const parse = () => {
      for (;;) {
        const i = buf.indexOf('\r\n\r\n')
        if (i < 0) return
        const head = buf.subarray(0, i).toString()
        const len = Number((/content-length: *(\d+)/i.exec(head) || [0, 0])[1])
        const isHead = /^HEAD /.test(text.split('\r\n\r\n')[responses.length] || '')
        const blen = isHead ? 0 : len
        if (buf.length < i + 4 + blen) return
        const [status, ...hdrs] = head.split('\r\n')
        responses.push({
          status: Number(status.split(' ')[1]),
          headers: Object.fromEntries(hdrs.map(h => [h.split(':')[0].toLowerCase(), h.slice(h.indexOf(':') + 1).trim()])),
          body: buf.subarray(i + 4, i + 4 + blen).toString()
        })
        buf = buf.subarray(i + 4 + blen)
      }
    }
    s.on('data', d => {
      buf = Buffer.concat([buf, d]); parse()
      if (responses.length >= count) { clearTimeout(t); s.destroy(); resolve({ responses, closed }) }
    })
    s.on('end', () => { closed = true })
    s.on('close', () => { clearTimeout(t); resolve({ responses, closed: true }) })
    s.on('error', reject)
    s.write(text)
  })
}
const get = (port, p, extra = '', opts) => http(port, `GET ${p} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`, opts)
const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim()

const d = await startDaemon(bin, ['-D', path.join(tmp, 'a.db'), '-e', 'dev1.key1.2', '--handshake-timeout', '1500'])
const clients = []
try {
  await T.test('GET /healthz: 200 with a JSON status', async () => {
    const { responses: [r] } = await get(d.ws, '/healthz')
    T.eq(r.status, 200, 'status'); T.eq(r.headers['content-type'], 'application/json', 'type')
    const j = JSON.parse(r.body)
    T.eq(j.status, 'ok', 'ok'); T.eq(j.store.backend, 'sqlite', 'store'); T.eq(j.store.up, true, 'store up')
  })

  await T.test('GET /metrics: every family, live numbers, and promtool accepts it', async () => {
    const a = new IO(`ws://127.0.0.1:${d.ws}`); a.auth('dev1', 'key1'); clients.push(await ready(a))
    clients.push(await ready(new IO(`ws://127.0.0.1:${d.ws}`)))
    clients[1].signal('room', 'hello')
    await sleep(100)
    const { responses: [r] } = await get(d.ws, '/metrics')
    T.eq(r.status, 200, 'status'); T.ok(/^text\/plain; version=0\.0\.4/.test(r.headers['content-type']), 'content type')
    const m = r.body
    for (const fam of ['iosd_build_info', 'iosd_uptime_seconds', 'iosd_connections', 'iosd_connections_accepted_total',
      'iosd_messages_received_total', 'iosd_received_bytes_total', 'iosd_messages_sent_total', 'iosd_sent_bytes_total',
      'iosd_publishes_total', 'iosd_fanout_deliveries_total', 'iosd_drops_total', 'iosd_logins_total',
      'iosd_quota_violations_total', 'iosd_channels', 'iosd_retained_signals', 'iosd_store_lookup_duration_seconds',
      'iosd_store_up']) T.ok(m.includes(`# TYPE ${fam} `), `family ${fam}`)
    T.ok(m.includes('iosd_connections{transport="ws",auth="logged_in"} 1\n'), 'one logged-in ws connection')
    T.ok(m.includes('iosd_connections{transport="ws",auth="anonymous"} 1\n'), 'one anonymous')
    T.ok(m.includes('iosd_logins_total{result="ok"} 1\n'), 'one login')
    T.ok(/iosd_messages_received_total\{type="SIGNAL"\} [1-9]/.test(m), 'the SIGNAL counted')
    T.ok(/iosd_store_lookup_duration_seconds_count\{backend="sqlite"\} 0\n/.test(m), 'no store lookup (-e device)')
    T.ok(promtool !== '', 'promtool is installed (Debian prometheus)')
    if (promtool) {
      const p = spawnSync(promtool, ['check', 'metrics'], { input: m, encoding: 'utf8' })
      T.eq(p.status, 0, `promtool check metrics: ${(p.stdout + p.stderr).trim()}`)
    }
    const h = await http(d.ws, 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
    T.eq(h.responses[0].status, 200, 'HEAD'); T.eq(h.responses[0].body, '', 'HEAD has no body')
  })

  await T.test('404 for other paths, 405 for other methods, 426 for / without an upgrade', async () => {
    T.eq((await get(d.ws, '/nope')).responses[0].status, 404, '/nope')
    T.eq((await get(d.ws, '/metrics/x')).responses[0].status, 404, '/metrics/x')
    const p = await http(d.ws, 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')
    T.eq(p.responses[0].status, 405, 'POST /metrics'); T.eq(p.responses[0].headers.allow, 'GET, HEAD', 'Allow')
    T.eq((await http(d.ws, 'DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n')).responses[0].status, 405, 'DELETE /healthz')
    T.eq((await get(d.ws, '/')).responses[0].status, 426, 'GET / without an upgrade')
    T.eq((await get(d.ws, '/healthz?verbose=1')).responses[0].status, 200, 'a query string is ignored')
  })

  await T.test('keep-alive: requests on one connection; Connection: close and HTTP/1.0 close it', async () => {
    const two = await http(d.ws, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', { count: 2 })
    T.eq(two.responses.length, 2, 'two pipelined answers'); T.eq(two.responses[1].status, 200, 'the second')
    T.eq(two.responses[0].headers.connection, 'keep-alive', 'keep-alive said')
    const c = await get(d.ws, '/healthz', 'Connection: close\r\n', { count: 2, ms: 2000 })
    T.eq(c.responses.length, 1, 'one answer'); T.ok(c.closed, 'then closed')
    const old = await http(d.ws, 'GET /healthz HTTP/1.0\r\n\r\n', { count: 2, ms: 2000 })
    T.ok(old.closed && old.responses[0].headers.connection === 'close', 'HTTP/1.0: closed')
  })

  await T.test('an idle keep-alive connection is closed at the handshake deadline', async () => {
    const t0 = Date.now()
    const r = await get(d.ws, '/healthz', '', { count: 2, ms: 5000 })
    const ms = Date.now() - t0
    T.ok(r.closed && ms >= 1400 && ms < 4000, `closed after ${ms} ms (deadline 1500)`)
  })

  await T.test('WebSocket frames in the same packet as the upgrade, zero bytes and all, are taken', async () => {
    const got = await new Promise((resolve, reject) => {
      const s = net.connect(d.ws, '127.0.0.1')
      let buf = Buffer.alloc(0)
      s.on('data', x => { buf = Buffer.concat([buf, x]); if (buf.includes(Buffer.from([0x82, 0x06, 0xc2]))) { s.destroy(); resolve(buf) } })
      s.on('error', reject)
      setTimeout(() => { s.destroy(); resolve(buf) }, 3000)
      // CID_REQ in a masked binary frame whose mask key is all zero bytes.
      s.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'),
      Buffer.from([0x82, 0x81, 0, 0, 0, 0, 0xc1])]))
    })
    T.ok(/^HTTP\/1\.1 101/.test(got.toString('latin1')), 'switched: ' + got.toString('latin1').split('\r\n')[0])
    T.ok(got.includes(Buffer.from([0x82, 0x06, 0xc2])), 'and the CID_REQ that came with it was answered')
  })

  await T.test('the daemon still serves WebSocket clients', async () => {
    const io = await ready(new IO(`ws://127.0.0.1:${d.ws}`))
    T.ok(io.cid, 'a client got its CID'); io.stop()
  })
} finally {
  for (const c of clients) c.stop()
  await d.stop()
}

await T.test('--no-metrics: 404; --metrics-allow: 403 for others, 200 for the listed', async () => {
  const e = await startDaemon(bin, ['-D', path.join(tmp, 'b.db'), '--no-metrics'])
  try {
    T.eq((await get(e.ws, '/metrics')).responses[0].status, 404, '--no-metrics')
    T.eq((await get(e.ws, '/healthz')).responses[0].status, 200, 'healthz stays')
  } finally { await e.stop() }
  const f = await startDaemon(bin, ['-D', path.join(tmp, 'c.db'), '--metrics-allow', '127.0.0.2/32'])
  try {
    T.eq((await get(f.ws, '/metrics')).responses[0].status, 403, 'from 127.0.0.1')
    T.eq((await get(f.ws, '/metrics', '', { from: '127.0.0.2' })).responses[0].status, 200, 'from 127.0.0.2')
  } finally { await f.stop() }
})

await T.test('/healthz is 503 while the store cannot answer (Redis down)', async () => {
  const dead = await freePort()
  const e = await startDaemon(bin, ['-D', path.join(tmp, 'r.db'), `--redis=redis://127.0.0.1:${dead}`])
  try {
    const { responses: [r] } = await get(e.ws, '/healthz')
    T.eq(r.status, 503, 'status'); T.eq(JSON.parse(r.body).store.up, false, 'store down')
    T.ok((await get(e.ws, '/metrics')).responses[0].body.includes('iosd_store_up{backend="redis"} 0\n'), 'iosd_store_up 0')
  } finally { await e.stop() }
})
T.done()
process.exit()

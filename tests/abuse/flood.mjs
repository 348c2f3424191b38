// Floods against the real iosd, as an attacker on the network would try
// them: slowloris on the upgrade, 4 GiB length claims, a connection flood
// under a small descriptor limit, and a thousand connections each holding
// a partial message near its limit. Each case prints its figures ("# ...")
// and checks that everyone else is still served.
//
//   node tests/abuse/flood.mjs [--bin build/iosd]
import Boho from 'boho'
import { startDaemon, tap, until } from '../lib/daemon.mjs'
import { Peer, connect, congFrame, wsFrame, MSG, login } from '../lib/raw.mjs'
import { scratch, figure, tick, moreDescriptors, served, metric } from '../lib/abuse.mjs'

const args = process.argv.slice(2)
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1] : 'build/iosd'
const T = tap({ timeout: 60000 })
const { db } = scratch('iosd-flood-')

moreDescriptors(8192)

async function openMany (port, n, from, ws, first) {
  const out = []
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(100, n - i) },
      () => connect(port, from)))
    for (const b of batch) {
      if (b.status !== 'fulfilled') continue
      const p = new Peer(b.value, ws)
      if (first) p.sendRaw(first)
      out.push(p)
    }
  }
  return out
}

// Peak resident memory of the daemon while fn runs (sampled every 20 ms).
async function peakRss (d, fn) {
  let peak = d.rss()
  const t = setInterval(() => { try { peak = Math.max(peak, d.rss()) } catch {} }, 20)
  try { await fn() } finally { clearInterval(t) }
  return Math.max(peak, d.rss())
}

await T.test('slowloris on the upgrade: the slow are held at most --max-per-ip and dropped at the deadline; a fresh client is served', async () => {
  const d = await startDaemon(bin, [...db('slow'), '--handshake-timeout', '2000'])
  try {
    const t0 = Date.now()
    const slow = await openMany(d.ws, 150, '127.0.0.70', true, 'GET / HTTP/1.1\r\nHost: x\r\n')
    // One header byte every 250 ms, as slowloris does, for a second.
    for (let i = 0; i < 4; i++) {
      await tick(250)
      for (const p of slow) if (!p.closed) p.sendRaw('X')
    }
    const refused = slow.filter(p => p.status === 503).length
    const held = slow.filter(p => !p.closed && p.status === null).length
    const ms = await served(d)
    T.ok(held <= 64, `at most --max-per-ip (64) held: ${held}`)
    T.ok(refused >= slow.length - 64, `the rest refused with 503: ${refused}`)
    await until(() => slow.every(p => p.closed), 6000, 'the slow connections to be closed')
    const gone = Date.now() - t0
    const lines = (d.log().match(/handshake deadline/g) || []).length
    T.ok(lines <= 12, `handshake timeouts logged within the rate limit: ${lines} lines`)
    figure(`slowloris: ${slow.length} opened from one address, ${held} held, ${refused} refused (503); ` +
      `fresh client served in ${ms} ms; all slow closed after ${gone} ms; ${lines} log lines`)
  } finally { await d.stop() }
})

await T.test('4 GiB length claims over ws and cong, before and after login: refused from the first bytes, RSS grows < 20 MB', async () => {
  // Fifty admins: one device logged in twice would close both sessions.
  const admins = Array.from({ length: 50 }, (_, i) => `adm${i}`)
  const d = await startDaemon(bin, [...db('claims'), '--max-per-ip', '0', '--conn-rate', '0',
    '-e', admins.map(a => `${a}.k${a}.255`).join(',')])
  try {
    const rss0 = d.rss()
    const results = {}
    const peak = await peakRss(d, async () => {
      for (const ws of [true, false]) {
        for (const admin of [false, true]) {
          const name = `${ws ? 'ws' : 'cong'} ${admin ? 'admin' : 'anonymous'}`
          let refused = 0
          await Promise.all(admins.map(async a => {
            const p = await Peer.open(ws ? d.ws : d.cong, { ws })
            await p.next(MSG.SERVER_READY)
            if (admin && await login(p, Boho, a, `k${a}`) !== MSG.AUTH_ACK) throw new Error(`${a}: login`)
            const body = Buffer.alloc(4096, 0x61); body[0] = MSG.ECHO
            p.sendRaw(ws ? wsFrame(body, { declared: 2 ** 32 }) : congFrame(body, 2 ** 32 - 1))
            const over = await p.next(MSG.OVER_SIZE)
            await p.until(() => p.closed, 3000, 'the close')
            if (over && (!ws || p.closeCode === 1009)) refused++
          }))
          results[name] = refused
        }
      }
      // Within the anonymous limit (1 MiB) but never all sent: memory
      // is spent for the bytes that came, not for the claim.
      const held = await Promise.all(Array.from({ length: 50 }, async () => {
        const q = await Peer.open(d.cong)
        await q.next(MSG.SERVER_READY)
        q.sendRaw(congFrame(Buffer.alloc(65536, 0x62), 1048000))
        return q
      }))
      await tick(300)
      results['cong, 1 MiB claimed, 64 KiB sent, held'] = held.filter(p => !p.closed).length
      for (const p of held) p.close()
    })
    const grew = (peak - rss0) / 1024
    for (const [k, v] of Object.entries(results)) {
      if (!k.includes('held')) T.eq(v, 50, `${k}: OVER_SIZE then close for each claim`)
    }
    T.ok(grew < 20, `RSS grew ${grew.toFixed(1)} MB`)
    T.ok(await served(d) >= 0, 'served afterwards')
    figure(`length claims: ${Object.entries(results).map(([k, v]) => `${k} ${v}/50`).join(', ')}; ` +
      `RSS ${(rss0 / 1024).toFixed(1)} MB before, peak ${(peak / 1024).toFixed(1)} MB (+${grew.toFixed(1)} MB)`)
  } finally { await d.stop() }
})

await T.test('connection flood from one address under prlimit --nofile=256: refused cheaply, no CPU spin, recovers', async () => {
  for (const [label, extra] of [['default limits', []], ['no per-address limits', ['--max-per-ip', '0', '--conn-rate', '0']]]) {
    const d = await startDaemon(bin, [...db('flood'), ...extra], { prefix: ['prlimit', '--nofile=256:256'] })
    try {
      const peers = await openMany(d.ws, 1500, '127.0.0.80', true, null)
      await until(() => peers.filter(p => p.status !== null || p.closed).length > peers.length - 300, 8000,
        'the refused to be answered')
      await tick(200)
      const cpu0 = d.cpu()
      await tick(1000)
      const cpu = d.cpu() - cpu0
      const refused = peers.filter(p => p.status === 503).length
      const open = peers.filter(p => !p.closed && p.status === null).length
      T.ok(cpu < 0.3, `${label}: CPU while flooded ${cpu.toFixed(2)} s in 1 s`)
      T.ok(open <= 256, `${label}: at most the descriptors held open (${open})`)
      T.ok(refused > 0 && open + refused >= peers.length - 50, `${label}: the rest refused with 503 (${refused})`)
      for (const p of peers) p.close()
      const ms = await until(async () => { try { return await served(d) + 1 } catch { return 0 } }, 5000,
        'service after the flood')
      const reasons = {}
      for (const r of ['max_connections', 'per_ip', 'rate']) {
        reasons[r] = await metric(d, `iosd_admission_refused_total{reason="${r}"}`)
      }
      figure(`connection flood (${label}, nofile 256): ${peers.length} connected, ${open} held, ${refused} got 503 ` +
        `(max_connections ${reasons.max_connections}, per_ip ${reasons.per_ip}, rate ${reasons.rate}); ` +
        `CPU ${cpu.toFixed(2)} s/s while full; fresh client served ${ms - 1} ms after release`)
    } finally { await d.stop() }
  }
})

await T.test('1,000 connections each holding a near-limit partial message: buffers stay within --max-buffer-memory, the largest are closed, others served', async () => {
  const budget = 32 << 20
  const d = await startDaemon(bin, [...db('budget'), '--max-per-ip', '0', '--conn-rate', '0',
    '--max-signal', '262144', '--max-buffer-memory', String(budget), '--handshake-timeout', '30000', '-t', '60000'])
  try {
    // First idle: what 1,000 connections cost before any buffer.
    const peers = []
    for (const ws of [true, false]) {
      for (let i = 0; i < 500; i += 50) {
        peers.push(...await Promise.all(Array.from({ length: 50 }, () => Peer.open(ws ? d.ws : d.cong, { ws }))))
      }
    }
    await until(() => peers.every(p => p.msgs.some(m => m[0] === MSG.SERVER_READY)), 10000, 'every SERVER_READY')
    const idle = d.rss()
    const part = 250 * 1024
    const peak = await peakRss(d, async () => {
      for (const p of peers) {
        const body = Buffer.alloc(part, 0x63); body[0] = MSG.ECHO
        p.sendRaw(p.ws ? wsFrame(body, { declared: 262144 - 16 }) : congFrame(body, 262144 - 16))
      }
      await until(async () => (await metric(d, 'iosd_buffer_memory_bytes')) > budget * 0.8 ||
        peers.filter(p => p.closed).length > 800, 20000, 'the budget to fill')
      await tick(500)
    })
    const used = await metric(d, 'iosd_buffer_memory_bytes')
    const closed = await metric(d, 'iosd_drops_total{reason="buffer_memory"}')
    const grew = peak - idle
    T.ok(used <= budget, `buffer memory ${used} within the budget ${budget}`)
    T.ok(closed > 0, `the largest consumers were closed (${closed})`)
    T.ok(grew * 1024 < budget * 1.25, `RSS over the idle connections grew ${(grew / 1024).toFixed(1)} MB for a ${budget >> 20} MB budget`)
    const ms = await served(d)
    const alive = peers.filter(p => !p.closed).length
    for (const p of peers) p.close()
    figure(`partial messages: 1000 connections x ${part >> 10} KiB of a ${256} KiB limit; ` +
      `budget ${budget >> 20} MB, buffers ${(used / 1048576).toFixed(1)} MB, ${closed} closed for memory, ${alive} still open; ` +
      `RSS ${(idle / 1024).toFixed(1)} MB idle, peak ${(peak / 1024).toFixed(1)} MB (+${(grew / 1024).toFixed(1)} MB); ` +
      `fresh client served in ${ms} ms`)
  } finally { await d.stop() }
})

await T.test('a WebSocket frame cut short holds a frame context, charged to the budget, only until the frame is whole; idle connections hold no buffer', async () => {
  const d = await startDaemon(bin, [...db('cut'), '--max-per-ip', '0', '--conn-rate', '0', '-t', '60000'])
  try {
    const n = 200
    const peers = []
    for (let i = 0; i < n; i += 50) {
      peers.push(...await Promise.all(Array.from({ length: 50 }, () => Peer.open(d.ws, { ws: true }))))
    }
    await until(() => peers.every(p => p.msgs.some(m => m[0] === MSG.SERVER_READY)), 10000, 'every SERVER_READY')
    // Send queues are given back once a second: wait for the idle floor.
    const idle = await until(async () => {
      const v = await metric(d, 'iosd_buffer_memory_bytes')
      return v < n * 64 ? { v } : null
    }, 5000, 'idle connections to give their buffers back')
    const frames = peers.map(() => wsFrame([MSG.ECHO, 7, 7, 7]))
    peers.forEach((p, i) => p.sendRaw(frames[i].subarray(0, 1)))
    const held = await until(async () => {
      const v = await metric(d, 'iosd_buffer_memory_bytes')
      return v >= idle.v + n * 4000 ? v : null
    }, 5000, 'the cut frames to be charged').catch(() => NaN)
    T.ok(held >= idle.v + n * 4000, `${n} cut frames charged ${held - idle.v} bytes (want >= ${n} x 4000)`)
    peers.forEach((p, i) => p.sendRaw(frames[i].subarray(1)))
    await until(() => peers.every(p => p.msgs.some(m => m[0] === MSG.ECHO)), 10000, 'every ECHO answer')
    const back = await until(async () => {
      const v = await metric(d, 'iosd_buffer_memory_bytes')
      return v <= idle.v ? { v } : null
    }, 5000, 'the frame contexts to be given back').catch(() => ({ v: NaN }))
    T.ok(back.v <= idle.v, `after the whole frames, buffers ${back.v} bytes (idle floor ${idle.v})`)
    T.ok(peers.every(p => !p.closed), 'every connection still open')
    for (const p of peers) p.close()
    figure(`${n} ws frames cut after one byte: buffers ${idle.v} -> ${held} -> ${back.v} bytes`)
  } finally { await d.stop() }
})

T.done()
process.exit()

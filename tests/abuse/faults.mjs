// Faults from outside the protocol, against the real iosd: allocations
// failing at random under load (libfiu), the wall clock stepped back and
// forth (libfaketime), a brute force on one device id while its owner logs
// in, a flood of refused subscriptions and late handshakes against the
// log, and failed logins against the audit table. Each case prints its
// figures ("# ...") and checks that the daemon lives and serves.
//
//   node tests/abuse/faults.mjs [--bin build/iosd] [--only WORD]
//
// FIU_P=0.05 injects at 5% instead of 1%; FIU_CORE=1 lets a crash under
// libfiu leave a core (in the current directory); DUMPLOG=FILE writes the
// daemons' logs there.
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import Boho from 'boho'
import { IO, IOCongSocket } from 'iosignal'
import { startDaemon, tap, until } from '../lib/daemon.mjs'
import { Peer, MSG, login, upgradeRequest } from '../lib/raw.mjs'
import { scratch, figure, tick, moreDescriptors, served, metric } from '../lib/abuse.mjs'

const args = process.argv.slice(2)
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1] : 'build/iosd'
const ctlBin = path.join(path.dirname(bin).replace(/\/asan$/, ''), 'iosctl')
const T = tap({ timeout: 60000, quiet: true })
// --only WORD: the cases whose name has it.
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null
const test = (name, fn, ms) => only && !name.includes(only) ? null : T.test(name, fn, ms)
const { tmp, db } = scratch('iosd-faults-')

moreDescriptors(4096)

// Whether the process is there (and not a zombie).
function alive (pid) {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch { return false }
}

// iosctl against a daemon's control socket, as JSON.
function ctl (sock, ...argv) {
  const r = spawnSync(ctlBin, ['-c', sock, '--json', ...argv], { encoding: 'utf8', timeout: 10000 })
  if (r.status !== 0) throw new Error(`iosctl ${argv.join(' ')}: exit ${r.status}: ${r.stdout}${r.stderr}`)
  return JSON.parse(r.stdout)
}

// The same without waiting: resolves with the exit status (for load).
function ctlAsync (sock, ...argv) {
  return new Promise(resolve => {
    const c = spawn(ctlBin, ['-c', sock, '--json', ...argv], { stdio: 'ignore' })
    const t = setTimeout(() => c.kill('SIGKILL'), 10000)
    c.on('exit', code => { clearTimeout(t); resolve(code) })
    c.on('error', () => { clearTimeout(t); resolve(-1) })
  })
}

const tagMsg = (type, tag) => { const t = Buffer.from(tag); return [type, t.length, ...t] }
const signal = (tag, text) => Buffer.concat([Buffer.from(tagMsg(MSG.SIGNAL, tag)),
  Buffer.from([1]), Buffer.from(text), Buffer.from([0])])
// SUBSCRIBE_REQ: type, mid (16 BE), length of the list (16 BE), the list.
function subscribeReq (mid, tags) {
  const t = Buffer.from(tags)
  const h = Buffer.alloc(5); h[0] = MSG.SUBSCRIBE_REQ; h.writeUInt16BE(mid, 1); h.writeUInt16BE(t.length, 3)
  return Buffer.concat([h, t])
}
const RESPONSE_MBP = 0xdd
// A Peer over wss (the certificate is ours, self-signed).
async function wssPeer (port, ms = 3000) {
  const s = await new Promise((resolve, reject) => {
    const late = setTimeout(() => { t.destroy(); reject(new Error('TLS handshake timed out')) }, ms)
    const t = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => { clearTimeout(late); resolve(t) })
    t.once('error', e => { clearTimeout(late); reject(e) })
  })
  const p = new Peer(s, true)
  p.s.write(upgradeRequest())
  await p.until(() => p.status !== null || p.closed, ms, 'the upgrade answer')
  return p
}
// An npm client (ws or cong) that reconnects by itself; stop() for good.
function npmClient (kind, d, id, key) {
  const io = kind === 'ws' ? new IO(`ws://127.0.0.1:${d.ws}`) : new IOCongSocket(`cong://127.0.0.1:${d.cong}`)
  io.on('error', () => {})
  if (id) io.login(id, key)
  return io
}
function npmStop (io) {
  if (io.socket && typeof io.socket.on === 'function') io.socket.on('error', () => {})
  io.stop()
}
const within = (p, ms) => Promise.race([p, tick(ms).then(() => { throw new Error('no answer') })])
const ENC_488 = 0xb8 // what a logged-in client gets over ws and cong: encrypted

// ---------------------------------------------------------------- libfiu

// A self-signed certificate for the wss listener (GnuTLS allocates too).
// Ed25519: an ECDSA key has every handshake DER-encode its signature with
// libtasn1, whose structure copy (_asn1_copy_structure3, 4.19) writes
// through the NULL of a failed allocation; that crash is the library's,
// whatever the daemon does. Ed25519 signatures are raw bytes.
function selfSigned () {
  const f = name => path.join(tmp, name)
  const run = (...a) => {
    const r = spawnSync('certtool', a, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`certtool ${a.join(' ')}: ${r.stderr}`)
  }
  fs.writeFileSync(f('cert.tmpl'), 'cn = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n')
  run('--generate-privkey', '--key-type', 'ed25519', '--outfile', f('key.pem'))
  run('--generate-self-signed', '--load-privkey', f('key.pem'), '--template', f('cert.tmpl'), '--outfile', f('cert.pem'))
  return ['--tls-cert', f('cert.pem'), '--tls-key', f('key.pem')]
}

await test('allocations failing at random under load (libfiu): connections close, the daemon lives, serves and counts them', async () => {
  const fifo = path.join(tmp, 'fiu')
  const sock = path.join(tmp, 'fiu.sock')
  // Devices for the long-lived clients, for the npm clients, and for the
  // short ones (never the same: a second login closes the first).
  const devs = Array.from({ length: 8 }, (_, i) => `fd${i}`)
  const npmDevs = ['np0', 'np1']
  const churnDevs = Array.from({ length: 4 }, (_, i) => `fc${i}`)
  const d = await startDaemon(bin, ['-D', path.join(tmp, 'fiu.db'), '-c', sock, '-W', '127.0.0.1:0', ...selfSigned(),
    '--max-per-ip', '0', '--conn-rate', '0', '--auth-fail-delay', '50', '--no-quota',
    '-f', tmp, '-e', [...devs, ...npmDevs, ...churnDevs].map(x => `${x}.k${x}.3`).join(',')],
  { prefix: [...(process.env.FIU_CORE ? ['prlimit', '--core=unlimited'] : []), 'fiu-run', '-x', '-f', fifo] })
  const wss = ctl(sock, 'status').listeners.find(l => l.transport === 'wss').port
  const fiu = cmd => {
    const r = spawnSync('fiu-ctrl', ['-f', fifo, '-c', cmd, String(d.pid)], { encoding: 'utf8', timeout: 5000 })
    if (r.status !== 0) throw new Error(`fiu-ctrl ${cmd}: ${r.status} ${r.stderr}`)
  }
  const points = ['libc/mm/malloc', 'libc/mm/calloc', 'libc/mm/realloc']
  const probability = Number(process.env.FIU_P || 0.01)
  const peers = []
  const npm = []
  let stop = false
  const st = { churned: 0, ready: 0, openFailed: 0, logins: 0, reqs: 0, reqsOk: 0, ctl: 0, metrics: 0, signals: 0 }
  try {
    T.ok(fs.existsSync(`${fifo}-${d.pid}.in`), 'fiu-run exec\'d the daemon: the control fifo is under the daemon\'s pid')
    // Long-lived subscribers over ws, cong and wss, some logged in.
    for (let i = 0; i < 42; i++) {
      const kind = ['ws', 'cong', 'wss'][i % 3]
      const p = kind === 'wss' ? await wssPeer(wss) : await Peer.open(kind === 'ws' ? d.ws : d.cong, { ws: kind === 'ws' })
      await p.next(MSG.SERVER_READY)
      if (i < devs.length && await login(p, Boho, devs[i], `k${devs[i]}`) !== MSG.AUTH_ACK) throw new Error(`${devs[i]}: login`)
      p.send(tagMsg(MSG.SUBSCRIBE, 'room'))
      p.send(subscribeReq(i + 1, `room${i % 5},all,news$`))
      peers.push(p)
    }
    // (Logged-in clients over ws and cong get theirs encrypted: ENC_488.)
    await until(() => peers.every(p => p.msgs.some(m => m[0] === RESPONSE_MBP || m[0] === ENC_488)), 5000,
      'every SUBSCRIBE_REQ answered')
    // npm clients, two logged in, that reconnect by themselves.
    for (const [i, kind] of ['ws', 'cong', 'ws', 'cong'].entries()) {
      const io = npmClient(kind, d, npmDevs[i], npmDevs[i] && `k${npmDevs[i]}`)
      npm.push(io)
      await new Promise((resolve, reject) => {
        io.once('ready', resolve); setTimeout(() => reject(new Error('npm client not ready')), 5000)
      })
      io.subscribe('room,all')
    }
    const pubs = peers.slice(-4)
    const loops = []
    // Publishers: to the room (every subscriber), to smaller rooms, and a
    // retained signal now and then.
    loops.push((async () => {
      const text = 'x'.repeat(200)
      while (!stop) {
        for (const p of pubs) {
          for (let i = 0; i < 5 && !p.closed; i++) {
            p.send(signal('room', text)); p.send(signal(`room${st.signals % 5}`, text))
            if (st.signals % 50 === 0) p.send(signal('news$', `retained ${st.signals}`))
            st.signals += 2
          }
        }
        await tick(5)
      }
    })())
    // Short-lived clients on every transport: login (right and wrong
    // keys), subscribe, CID, echo, gone.
    for (let w = 0; w < 6; w++) {
      loops.push((async () => {
        while (!stop) {
          const kind = ['ws', 'cong', 'wss'][w % 3]
          let p = null
          try {
            p = kind === 'wss' ? await wssPeer(wss, 2000)
              : await Peer.open(kind === 'ws' ? d.ws : d.cong, { ws: kind === 'ws', ms: 2000 })
            st.churned++
            if (await p.next(MSG.SERVER_READY, 2000)) {
              st.ready++
              if (w < 2) {
                const dev = churnDevs[(w * 2 + st.churned) % churnDevs.length]
                await login(p, Boho, dev, st.churned % 3 ? 'wrong' : `k${dev}`, 2000)
                st.logins++
              }
              p.send(subscribeReq(7, `c${st.churned % 50},room,news$`))
              p.send([MSG.CID_REQ])
              p.send([MSG.ECHO, 1, 2, 3])
              await p.next(MSG.ECHO, 1000)
            }
          } catch { st.openFailed++ } finally { if (p) p.close() }
        }
      })())
    }
    // REQUESTs from the npm clients (the reply API: jansson, MBP).
    for (const io of npm) {
      loops.push((async () => {
        while (!stop) {
          try {
            st.reqs++
            const r = await within(io.req('reply', 'echo', `hello ${st.reqs}`), 1000)
            if (r && r.ok) st.reqsOk++
            io.signal('room', 'from npm')
          } catch { await tick(50) }
        }
      })())
    }
    // The operator: iosctl (JSON, the store) and /metrics.
    loops.push((async () => {
      while (!stop) {
        await Promise.all([ctlAsync(sock, 'status'), ctlAsync(sock, 'clients'), ctlAsync(sock, 'audit', '--limit', '5'),
          ctlAsync(sock, 'channels'), ctlAsync(sock, 'devices')])
        st.ctl += 5
        try { await fetch(`http://127.0.0.1:${d.ws}/metrics`).then(r => r.text()); st.metrics++ } catch {}
        await tick(20)
      }
    })())
    await tick(1000) // the load under way before the faults
    const openBefore = peers.filter(p => !p.closed).length
    const before = { ...st }
    const t0 = Date.now()
    for (const pt of points) fiu(`enable_random name=${pt},probability=${probability}`)
    await tick(4000)
    for (const pt of points) fiu(`disable name=${pt}`)
    const injected = Date.now() - t0
    const closedDuring = openBefore - peers.filter(p => !p.closed).length
    const during = Object.fromEntries(Object.keys(st).map(k => [k, st[k] - before[k]]))
    await tick(500) // the load goes on without faults a little
    stop = true
    await Promise.all(loops)
    T.ok(alive(d.pid), 'the daemon process is alive after the injection')
    const ms = await served(d)
    // The subscribers that were not closed still get what is published.
    const open = peers.filter(p => !p.closed && !p.msgs.some(m => m[0] === ENC_488))
    const fresh = await Peer.open(d.cong)
    await fresh.next(MSG.SERVER_READY)
    fresh.send(signal('all', 'after the faults'))
    const got = await Promise.all(open.map(p => p.until(() => p.msgs.some(m => m[0] === MSG.SIGNAL &&
      m.includes(Buffer.from('after the faults'))), 3000, 'the signal').then(() => 1, () => 0)))
    fresh.close()
    T.eq(got.reduce((a, b) => a + b, 0), open.length, 'every open plain subscriber got a signal published afterwards')
    const nomem = await metric(d, 'iosd_drops_total{reason="out_of_memory"}')
    const lines = (d.log().match(/out of memory/g) || []).length
    T.ok(nomem > 0, `allocation failures counted: iosd_drops_total{reason="out_of_memory"} ${nomem}`)
    T.ok(lines > 0, `and logged (${lines} lines)`)
    T.eq(ctl(sock, 'status').pid, d.pid, 'the control socket answers status')
    figure(`libfiu: ${points.join(', ')} failing at ${probability * 100}% for ${injected} ms under load`)
    figure(`libfiu: clients connected: ${peers.length} long-lived (ws, cong, wss), ${npm.length} npm, ` +
      `${st.churned} short-lived (${during.churned} during the injection, ${st.ready} got SERVER_READY, ` +
      `${st.openFailed} failed to open or upgrade)`)
    figure(`libfiu: closed during the injection: ${closedDuring}/${openBefore} long-lived; ` +
      `${st.logins} logins, ${st.signals} signals, ${st.reqsOk}/${st.reqs} REQUESTs answered (${during.reqsOk}/${during.reqs} during), ` +
      `${st.ctl} iosctl and ${st.metrics} /metrics requests`)
    figure(`libfiu: out_of_memory drops ${nomem}, ${lines} log lines; fresh client served in ${ms} ms afterwards; ` +
      `${open.length} plain subscribers still open got a new signal`)
  } finally {
    stop = true
    for (const io of npm) npmStop(io)
    for (const p of peers) p.close()
    const r = await d.stop()
    if (process.env.DUMPLOG) fs.writeFileSync(process.env.DUMPLOG, d.log())
    T.ok(!r.sig && r.code === 0, `the daemon stops cleanly afterwards (exit ${r.code}, ${r.sig}): ` +
      d.log().split('\n').slice(-8).join(' | '))
  }
})

// ---------------------------------------------------------------- libfaketime

// libfaketime's library: the `faketime` command sets FAKETIME, which
// would win over the file we step the clock with, so it is preloaded here.
function libfaketime () {
  const dirs = ['/usr/lib/faketime', '/usr/local/lib/faketime',
    ...fs.readdirSync('/usr/lib').map(a => `/usr/lib/${a}/faketime`)]
  for (const dir of dirs) {
    if (fs.existsSync(`${dir}/libfaketime.so.1`)) return `${dir}/libfaketime.so.1`
  }
  throw new Error('libfaketime.so.1 not found (Debian: faketime)')
}

// One whole login attempt over a raw CongSocket peer: the answer's type,
// and when the AUTH_HMAC went.
async function attempt (p, id, key, ms = 8000) {
  const b = new Boho(); b.set_id_key(`${id}.${key}`)
  p.send(b.auth_req())
  const n = await p.next(MSG.AUTH_NONCE, ms)
  if (!n) throw new Error(`${id}: no AUTH_NONCE`)
  const sent = Date.now()
  p.send(b.auth_hmac(n))
  const a = await p.next([MSG.AUTH_ACK, MSG.AUTH_FAIL], ms)
  if (!a) throw new Error(`${id}: no answer to AUTH_HMAC within ${ms} ms`)
  return { type: a[0], sent, ms: Date.now() - sent }
}

await test('wall clock stepped -1 h and +1 h (libfaketime): login locks last their time, uptime stays sane', async () => {
  const BASE = 250 // --auth-fail-delay: the third failure locks the pair for 8 x BASE
  const lib = libfaketime()
  const modes = [
    ['wall clock only, as an NTP step', { FAKETIME_DONT_FAKE_MONOTONIC: '1' }],
    ['wall and monotonic clocks, libfaketime\'s default', {}]
  ]
  for (const [m, [label, extraEnv]] of modes.entries()) {
    const rc = path.join(tmp, `faketime${m}.rc`)
    const sock = path.join(tmp, `clock${m}.sock`)
    const step = offset => fs.writeFileSync(rc, `${offset}\n`)
    step('+0')
    const t0 = Date.now()
    const d = await startDaemon(bin, ['-D', path.join(tmp, `clock${m}.db`), '-c', sock,
      '--auth-fail-delay', String(BASE), '-e', 'clk.kclk.2'],
    { env: { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: rc, FAKETIME_NO_CACHE: '1', ...extraEnv } })
    try {
      // Lock (clk, from) with three wrong keys; `during` runs while the
      // lock is in force (no AUTH_FAIL pending); then the right key from
      // there until it gets in. The lock's length, counted from the third
      // AUTH_HMAC, and whether the first try after `during` was refused.
      const lock = async (from, during) => {
        const p = await Peer.open(d.cong, { from })
        try {
          if (!await p.next(MSG.SERVER_READY)) throw new Error('no SERVER_READY')
          let third
          for (let i = 0; i < 3; i++) {
            const a = await attempt(p, 'clk', 'wrong')
            if (a.type !== MSG.AUTH_FAIL) throw new Error('a wrong key got in')
            third = a.sent
          }
          await during()
          let first = null; let tries = 0
          for (;;) {
            const a = await attempt(p, 'clk', 'kclk')
            tries++
            if (first === null) first = a.type
            if (a.type === MSG.AUTH_ACK) return { ms: Date.now() - third, firstRefused: first === MSG.AUTH_FAIL, tries }
            if (Date.now() - third > 20000) return { ms: Infinity, firstRefused: first === MSG.AUTH_FAIL, tries }
          }
        } finally { p.close() }
      }
      const uptime = () => {
        const st = ctl(sock, 'status')
        return { up: st.uptime_s, started: st.started, real: (Date.now() - t0) / 1000 }
      }
      const sane = (u, what) => T.ok(Number.isSafeInteger(u.up) && u.up >= 0 && Math.abs(u.up - u.real) < 10,
        `${label}: ${what}: uptime ${u.up} s, ${u.real.toFixed(1)} s since start`)
      const metricUp = async () => metric(d, 'iosd_uptime_seconds')
      const normal = await lock('127.0.0.21', async () => {})
      T.ok(normal.ms < 20000 && normal.firstRefused, `${label}: a lock without a step: ${normal.ms} ms`)
      const u0 = uptime()
      sane(u0, 'before any step')
      const back = await lock('127.0.0.22', async () => step('-1h'))
      T.ok(back.firstRefused, `${label}: -1 h: the lock is still in force right after the step`)
      T.ok(back.ms < 20000, `${label}: -1 h: the lock ends (${back.ms} ms), not an hour later`)
      const u1 = uptime()
      sane(u1, 'after -1 h')
      const mu1 = await metricUp()
      T.ok(mu1 >= 0 && mu1 < 1e6, `${label}: /metrics iosd_uptime_seconds ${mu1} after -1 h`)
      const fwd = await lock('127.0.0.23', async () => step('+0'))
      T.ok(fwd.firstRefused, `${label}: +1 h: the lock in force did not vanish at the step`)
      T.ok(fwd.ms >= normal.ms * 0.75 && fwd.ms < 20000, `${label}: +1 h: the lock lasts its time: ${fwd.ms} ms (${normal.ms} without a step)`)
      const u2 = uptime()
      sane(u2, 'after +1 h')
      T.ok(u1.started < u0.started - 3000 && Math.abs(u2.started - u0.started) < 10,
        `${label}: 'started' follows the wall clock: ${u0.started}, ${u1.started}, ${u2.started}`)
      T.ok(await served(d) >= 0, `${label}: served after the steps`)
      const steps = (d.log().match(/clock: the monotonic clock stepped/g) || []).length
      figure(`clock (${label}): lock of (id, address) after 3 failures at --auth-fail-delay ${BASE}: ` +
        `${normal.ms} ms without a step, ${back.ms} ms across -1 h, ${fwd.ms} ms across +1 h ` +
        `(${back.tries} and ${fwd.tries} tries of the right key); uptime ${u0.up} s, ${u1.up} s after -1 h, ` +
        `${u2.up} s after +1 h (${u2.real.toFixed(1)} s real); started ${u0.started}, ${u1.started}, ${u2.started}; ` +
        `${steps} steps of the monotonic clock logged`)
    } finally {
      const r = await d.stop()
      if (process.env.DUMPLOG) fs.writeFileSync(`${process.env.DUMPLOG}.clock${m}`, d.log())
      T.ok(!r.sig && r.code === 0, `${label}: the daemon stops cleanly (exit ${r.code}, ${r.sig})`)
    }
  }
}, 120000)

// ---------------------------------------------------------------- brute force

await test('a brute force on one device id from one address never keeps its owner out', async () => {
  const d = await startDaemon(bin, [...db('brute'), '--auth-fail-delay', '100', '-e', 'victim.kvictim.2'])
  let stop = false
  const atk = { attempts: 0, failed: 0, reconnects: 0, got: 0 }
  try {
    // Four connections from 127.0.0.66, each trying a wrong key after the
    // other as fast as the daemon answers; closed ones are opened again.
    const attacker = Array.from({ length: 4 }, () => (async () => {
      while (!stop) {
        let p
        try {
          p = await Peer.open(d.cong, { from: '127.0.0.66' })
          if (!await p.next(MSG.SERVER_READY)) { atk.reconnects++; continue }
          while (!stop && !p.closed) {
            const a = await attempt(p, 'victim', `guess${atk.attempts}`)
            atk.attempts++
            if (a.type === MSG.AUTH_ACK) atk.got++
            else atk.failed++
          }
        } catch { atk.reconnects++; await tick(20) } finally { if (p) p.close() }
      }
    })())
    await until(() => atk.attempts >= 50, 20000, 'the attack under way')
    const during = atk.attempts
    // The owner, from 127.0.0.1, every 200 ms while the guessing goes on.
    const times = []
    let ok = 0
    const N = 25
    for (let i = 0; i < N; i++) {
      if (i) await tick(200)
      const p = await Peer.open(d.cong, { from: '127.0.0.1' })
      try {
        await p.next(MSG.SERVER_READY)
        const a = await attempt(p, 'victim', 'kvictim')
        times.push(a.ms)
        if (a.type === MSG.AUTH_ACK) ok++
      } finally { p.close() }
    }
    const overlap = atk.attempts - during
    stop = true
    await Promise.all(attacker)
    const logged = d.log().split('\n').filter(l => /login failed id=victim/.test(l)).length
    T.eq(ok, N, 'owner logins succeeded under attack')
    T.eq(atk.got, 0, 'no guess got in')
    T.ok(overlap > 100, `the attacker kept trying while the owner logged in: ${overlap} attempts`)
    const sorted = [...times].sort((a, b) => a - b)
    figure(`brute force: owner logins succeeded under attack: ${ok}/${N}; the attacker's attempt count: ${atk.attempts} ` +
      `from 127.0.0.66 on 4 connections, ${overlap} of them while the owner logged in ` +
      `(${atk.failed} AUTH_FAIL, ${atk.got} in, ${atk.reconnects} reconnects)`)
    figure(`brute force: the owner's AUTH_HMAC to AUTH_ACK: median ${sorted[N >> 1]} ms, max ${sorted[N - 1]} ms; ` +
      `${logged} log lines for the ${atk.attempts} failures (rate-limited)`)
  } finally {
    stop = true
    await d.stop()
  }
}, 150000)

// ---------------------------------------------------------------- log volume

await test('a flood of refused subscriptions and late handshakes: the log stays under 20 lines/s, with "N more like this" summaries', async () => {
  const d = await startDaemon(bin, [...db('logflood'), '--max-subscriptions', '4', '--handshake-timeout', '300',
    '--max-per-ip', '0', '--conn-rate', '0'])
  const peers = []
  try {
    const logLines = () => d.log().split('\n').filter(Boolean).length
    const start = logLines()
    const t0 = Date.now()
    // The log sampled every 250 ms: the most lines in any second.
    const samples = [[t0, start]]
    const sampler = setInterval(() => samples.push([Date.now(), logLines()]), 250)
    // One client: four subscriptions, then SUBSCRIBE_REQ and SUBSCRIBE
    // for new channels by the thousand.
    const p = await Peer.open(d.cong)
    peers.push(p)
    await p.next(MSG.SERVER_READY)
    const REQS = 3000
    p.send(subscribeReq(1, 'a,b,c,d'))
    for (let i = 2; i <= REQS; i++) {
      p.send(subscribeReq(i, `over${i}`))
      if (i % 3 === 0) p.send(tagMsg(MSG.SUBSCRIBE, `plain${i}`))
      if (i % 500 === 0) await tick(300) // spread over a few seconds
    }
    // And WebSocket connections that never send their upgrade, from
    // several addresses, closed at the 300 ms deadline.
    let late = 0
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        Peer.open(d.ws, { from: `127.0.1.${1 + ((round * 50 + i) % 200)}` }).catch(() => null)))
      for (const q of batch) if (q) { peers.push(q); late++ }
      await tick(400)
    }
    const resp = await until(() => {
      const r = p.msgs.filter(m => m[0] === RESPONSE_MBP)
      return r.length >= REQS && r
    }, 20000, 'every SUBSCRIBE_REQ answered')
    const status = new Map(resp.map(m => [m.readUInt16BE(2), m[1]]))
    const flood = Date.now() - t0
    // The summaries come when each 10 s window closes.
    await until(() => /more like this in the last 10 s \(subscribe\)/.test(d.log()) &&
      /more like this in the last 10 s \(handshake\)/.test(d.log()), 15000, 'the "more like this" summaries')
    clearInterval(sampler)
    samples.push([Date.now(), logLines()])
    const secs = (Date.now() - t0) / 1000
    const lines = logLines() - start
    let peak = 0
    for (let i = 0; i < samples.length; i++) {
      for (let j = i + 1; j < samples.length && samples[j][0] - samples[i][0] <= 1000; j++) {
        peak = Math.max(peak, samples[j][1] - samples[i][1])
      }
    }
    const held = kind => [...d.log().matchAll(new RegExp(`(\\d+) more like this in the last 10 s \\(${kind}\\)`, 'g'))]
      .reduce((a, m) => a + Number(m[1]), 0)
    const refused = await metric(d, 'iosd_drops_total{reason="subscription_limit"}')
    T.eq(status.get(1), 0, 'the first SUBSCRIBE_REQ (four channels, at the cap) answers status 0')
    const errors = [...status].filter(([mid, st]) => mid > 1 && st !== 0).length
    T.eq(errors, REQS - 1, 'every SUBSCRIBE_REQ over the cap answers an error status')
    T.eq(new Set([...status].filter(([mid]) => mid > 1).map(([, st]) => st)).size, 1, 'one error status for all')
    T.ok(lines / secs <= 20, `log lines per second over the flood: ${(lines / secs).toFixed(1)}`)
    T.ok(peak <= 40, `the most lines in any one second: ${peak}`)
    T.ok(held('subscribe') > 0 && held('handshake') > 0, 'held-back lines are summed up')
    figure(`log flood: ${REQS} SUBSCRIBE_REQ (${errors} refused, status ${[...status].find(([mid]) => mid > 1)[1]}) and ` +
      `${Math.floor(REQS / 3)} SUBSCRIBE over --max-subscriptions 4, ${late} handshakes left to time out, in ${flood} ms; ` +
      `${lines} log lines in ${secs.toFixed(1)} s (${(lines / secs).toFixed(1)}/s, at most ${peak} in one second); ` +
      `"more like this": ${held('subscribe')} subscribe, ${held('handshake')} handshake; ` +
      `subscription_limit drops ${refused}`)
  } finally {
    for (const q of peers) q.close()
    await d.stop()
  }
}, 90000)

// ---------------------------------------------------------------- audit

await test('the audit table: failed logins gathered into one row per (id, address) and interval, pruned by --audit-keep, successes kept', async () => {
  const name = 'audit'
  const dbFile = path.join(tmp, `${name}.db`)
  const sock = path.join(tmp, `${name}.sock`)
  const KEEP = 25
  const opts = keep => ['-D', dbFile, '-c', sock, '--auth-fail-delay', '10', '--audit-keep', keep,
    '--max-per-ip', '0', '--conn-rate', '0', '-e', 'aud.kaud.2']
  const audit = () => {
    const j = ctl(sock, 'audit', '--limit', '1000')
    return Array.isArray(j) ? j : j.list
  }
  const rowsInDb = () => Number(execFileSync('sqlite3', [dbFile, 'SELECT count(*) FROM audit'], { encoding: 'utf8' }))
  // n failed logins of id from `from`, on one connection.
  const failures = async (d, id, from, n) => {
    const p = await Peer.open(d.cong, { from })
    try {
      await p.next(MSG.SERVER_READY)
      for (let i = 0; i < n; i++) if ((await attempt(p, id, 'wrong')).type !== MSG.AUTH_FAIL) throw new Error('got in')
    } finally { p.close() }
  }
  const success = async (d, from) => {
    const p = await Peer.open(d.cong, { from })
    try {
      await p.next(MSG.SERVER_READY)
      if ((await attempt(p, 'aud', 'kaud')).type !== MSG.AUTH_ACK) throw new Error(`aud from ${from}: no AUTH_ACK`)
    } finally { p.close() }
  }
  let d = await startDaemon(bin, opts(`1d,${KEEP}`))
  try {
    // One interval: 60 failures of (aud, .50), 5 of (aud, .51), and the
    // owner in three times.
    await failures(d, 'aud', '127.0.0.50', 60)
    await failures(d, 'aud', '127.0.0.51', 5)
    for (const a of ['127.0.0.52', '127.0.0.53', '127.0.0.54']) await success(d, a)
    let rows = audit()
    const fails = rows.filter(r => r.event === 'login_fail')
    const of50 = fails.filter(r => r.address === '127.0.0.50')
    T.eq(of50.length, 1, 'sixty failures of one (id, address) in an interval: one row')
    T.ok(of50[0] && /^60 failures in \d+ s, last: /.test(of50[0].detail), `with the count: "${of50[0] && of50[0].detail}"`)
    const of51 = fails.filter(r => r.address === '127.0.0.51')
    T.ok(of51.length === 1 && /^5 failures/.test(of51[0].detail), 'another address: its own row')
    T.eq(rows.filter(r => r.event === 'login_ok').length, 3, 'each successful login: its own row, at once')
    // The next interval (iosctl audit wrote the first): a row of its own.
    await failures(d, 'aud', '127.0.0.50', 10)
    rows = audit()
    const again = rows.filter(r => r.event === 'login_fail' && r.address === '127.0.0.50')
    T.ok(again.length === 2 && /^10 failures/.test(again[0].detail), `the next interval: a second row (${again.map(r => r.detail.split(',')[0]).join('; ')})`)
    const before = rowsInDb()
    // Failures from forty addresses: forty rows, over --audit-keep's 25.
    await Promise.all(Array.from({ length: 40 }, (_, i) => failures(d, `x${i}`, `127.0.2.${i + 1}`, 1)))
    rows = audit()
    const after = rowsInDb()
    T.ok(after <= KEEP, `pruned to --audit-keep ${KEEP} rows as they are written: ${before} + 40 -> ${after}`)
    T.eq(rows.filter(r => r.event === 'login_ok').length, 3, 'the successful logins are all kept, failures go first')
    const kept = rows.filter(r => r.event === 'login_fail').map(r => r.address)
    T.ok(kept.length > 0 && kept.every(a => a.startsWith('127.0.2.')), `the older failures went first (${kept.length} of the newest kept)`)
    const pruned = await until(() => /audit: (\d+) old rows pruned/.exec(d.log()), 3000, 'the prune in the log')
    figure(`audit: 60 failures of (aud, 127.0.0.50) -> "${of50[0] && of50[0].detail}"; the next interval -> ` +
      `"${again[0] && again[0].detail}"; 5 of (aud, 127.0.0.51) -> "${of51[0] && of51[0].detail}"; 3 logins -> 3 rows`)
    figure(`audit: --audit-keep 1d,${KEEP}: ${before} rows + failures from 40 addresses -> ${after} rows ` +
      `(${rows.filter(r => r.event === 'login_ok').length} login_ok kept), logged as "${pruned[0]}"`)
    // By age: rows older than --audit-keep's age go at start.
    await d.stop()
    if (process.env.DUMPLOG) fs.writeFileSync(`${process.env.DUMPLOG}.audit1`, d.log())
    const newest = Number(execFileSync('sqlite3', [dbFile, 'SELECT max(at) FROM audit'], { encoding: 'utf8' }))
    await until(() => Date.now() / 1000 - newest > 3.5, 8000, 'the rows to be older than 3 s (whole seconds)')
    d = await startDaemon(bin, opts('2s'))
    const left = rowsInDb()
    T.eq(left, 0, `--audit-keep 2s: every row older than 2 s pruned at start (${after} -> ${left})`)
    await failures(d, 'aud', '127.0.0.60', 3)
    await success(d, '127.0.0.61')
    rows = audit()
    T.ok(rows.some(r => r.event === 'login_ok') && rows.some(r => r.event === 'login_fail'), 'new rows are written after it')
    figure(`audit: --audit-keep 2s after a restart: ${after} rows -> ${left}; then ${rows.length} new`)
  } finally {
    await d.stop()
    if (process.env.DUMPLOG) fs.writeFileSync(`${process.env.DUMPLOG}.audit`, d.log())
  }
}, 90000)

T.done()
process.exit()

// The server's limits, iosd and the reference Node server side by side,
// with the bare forwarder (tests/bench/forwarder.c, build/forwarder: epoll
// + writev and only the protocol loadgen speaks, this machine's limit) as
// a third column in the fan-out and ping phases, measured by the C load
// generator (tests/bench/loadgen.c, build/loadgen):
//   - fan-out 1 -> N (ws and cong): saturated deliveries/s, server CPU ns
//     per delivery, p50/p99 latency seen by the subscribers;
//   - idle memory per connection (ws and cong, each on a fresh server);
//   - closed-loop PING/PONG: pongs/s and RTT;
//   - connections per second (connect + upgrade + SERVER_READY).
//
//   node tests/bench/limits.mjs [--bin build/iosd] [--loadgen build/loadgen]
//        [--forwarder build/forwarder] [--servers iosd,ref,bare]
//        [--seconds 3] [--idle 10000]
//        [--fanout 100,1000] [--window 64] [--concurrency 32]
//        [--nice N]     (servers and load generator each in a session of
//                        their own, its autogroup niced to N: on a busy
//                        machine, -10 keeps other sessions from setting
//                        the pace; root only for N < 0)
//        [--out FILE]   (every raw figure, as JSON)
//
// Each server is started here on loopback ports chosen at run time, under
// the highest descriptor limit allowed (up to 65536), pinned to CPU 0 while
// the load generator runs on CPU 1 (taskset, when there are 2 CPUs or
// more); every phase is bounded in time, every process stopped at the end.
// Phases alternate between the servers so that a change in the machine's
// load falls on both.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { startDaemon, freePort, canConnect } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf('--' + name)
  return i >= 0 ? argv[i + 1] : dflt
}
const BIN = opt('bin', 'build/iosd')
const LOADGEN = opt('loadgen', path.join(path.dirname(BIN), 'loadgen'))
const FORWARDER = opt('forwarder', path.join(path.dirname(BIN), 'forwarder'))
const SERVERS = opt('servers', 'iosd,ref,bare').split(',')
const SECS = Number(opt('seconds', 3))
const FANOUT = opt('fanout', '100,1000').split(',').map(Number)
const WINDOW = Number(opt('window', 64))
const CONC = Number(opt('concurrency', 32))
const OUT = opt('out', '')
const NICE = opt('nice', '')
let IDLE = Number(opt('idle', 10000))

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const log = s => process.stderr.write(`limits: ${s}\n`)
for (const s of SERVERS) {
  if (!['iosd', 'ref', 'bare'].includes(s)) { log(`--servers: iosd, ref or bare, not ${s}`); process.exit(2) }
}
for (const f of [BIN, LOADGEN, ...(SERVERS.includes('bare') ? [FORWARDER] : [])]) {
  if (!fs.existsSync(f)) { log(`${f} not found: make ${f}`); process.exit(1) }
}

// Descriptors: as many as allowed, up to 65536 (root may go over the hard
// limit; others stop at it).
const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()
let NOFILE = hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard))
if (spawnSync('sh', ['-c', 'ulimit -n 65536'], {}).status === 0) NOFILE = 65536
if (IDLE + 256 > NOFILE) {
  log(`descriptor limit ${NOFILE}: idle clients lowered from ${IDLE}`)
  IDLE = NOFILE - 256
}
// CPU 0 for the servers, CPU 1 for the load generator.
const pin = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '1', 'true']).status === 0
// With --nice: setsid (a new autogroup; it execs in place, the pid stays)
// and that autogroup's nice value.
const PRIO = NICE === '' ? []
  : ['setsid', 'sh', '-c', `echo ${Number(NICE)} > /proc/self/autogroup 2>/dev/null; exec "$@"`, 'sh']
const SRV_PIN = [...PRIO, ...(pin ? ['taskset', '-c', '0'] : [])]
const LG_PIN = [...PRIO, ...(pin ? ['taskset', '-c', '1'] : [])]
const autogroup = pid => {
  try { return fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim() } catch { return '?' }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-limits-'))
const children = new Set()
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
  fs.rmSync(tmp, { recursive: true, force: true })
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

let nstart = 0
async function startIosd () {
  const db = path.join(tmp, `iosd-${nstart++}.db`)
  const d = await startDaemon(BIN, ['-D', db, '-c', '', '-t', '50000',
    '--max-connections', '0', '--max-per-ip', '0', '--conn-rate', '0'],
  { nofile: NOFILE, prefix: SRV_PIN })
  return { name: 'iosd', ws: d.ws, cong: d.cong, pid: d.pid, stop: () => d.stop(3000) }
}

// A server on two free loopback ports, pinned, under the descriptor limit
// (sh and taskset exec in place: the pid is the server's); its stdout (the
// reference prints a line for each socket error) is dropped.
async function startChild (name, argsFor) {
  const ws = await freePort(); const cong = await freePort()
  const cmd = [...SRV_PIN, ...argsFor(ws, cong)]
  const child = spawn('sh', ['-c', `ulimit -n ${NOFILE} && exec "$@"`, 'sh', ...cmd],
    { stdio: ['ignore', 'ignore', 'pipe'] })
  children.add(child)
  let err = ''
  child.stderr.on('data', d => { err += d })
  const exited = new Promise(resolve => child.once('exit', () => { children.delete(child); resolve() }))
  const end = Date.now() + 10000
  while (!(await canConnect(ws) && await canConnect(cong))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`${name} did not start:\n${err}`)
    await sleep(50)
  }
  return {
    name,
    ws,
    cong,
    pid: child.pid,
    async stop () {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(t)
    }
  }
}

// The reference as tests/interop/ref-server.mjs starts it (`io-server -l
// -L -t`).
const startRef = () => startChild('ref', (ws, cong) => [process.execPath,
  'tests/interop/ref-server.mjs', '--ws', String(ws), '--cong', String(cong),
  '--timeout', '50000'])
// The bare forwarder: measured in the fan-out and ping phases only (it
// does no more than they need).
const startBare = () => startChild('bare', (ws, cong) => [FORWARDER,
  '--ws', String(ws), '--cong', String(cong)])
const BARE_PHASES = /^(fanout|ping)/
const measures = (name, key) => name !== 'bare' || BARE_PHASES.test(key)

// One phase of the load generator against server s; its JSON, or
// { error } (a failed or timed-out phase does not stop the bench).
function loadgen (s, proto, phase, args, ms) {
  const cmd = [...LG_PIN, LOADGEN, '--pid', String(s.pid), '--port',
    String(proto === 'ws' ? s.ws : s.cong), '--proto', proto, phase, ...args.map(String)]
  return new Promise(resolve => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let out = ''; let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    const t = setTimeout(() => { err += `killed after ${ms} ms\n`; child.kill('SIGKILL') }, ms)
    child.once('exit', (code, sig) => {
      clearTimeout(t)
      children.delete(child)
      const line = out.trim().split('\n').pop()
      if (code === 0 && line) {
        try { return resolve(JSON.parse(line)) } catch {}
      }
      const why = (err.trim().split('\n').pop() || '') + ` (exit ${sig || code})`
      log(`${s.name} ${phase} ${proto}: FAILED: ${why}`)
      resolve({ error: why })
    })
  })
}

// ---- the run ----
const results = {}	// results[key][server] = json
const put = (key, server, r) => { (results[key] ??= {})[server] = r }
const starters = { iosd: startIosd, ref: startRef, bare: startBare }

// Start every server that measures one of the phases, run the phases
// against each in turn, stop them.
async function group (phases) {
  const srv = []
  for (const name of SERVERS) {
    if (!phases.some(([key]) => measures(name, key))) continue
    const s = await starters[name]()
    srv.push(s)
    if (NICE !== '' && !autogroup(s.pid).endsWith(`nice ${Number(NICE)}`)) {
      log(`${name}: autogroup nice ${NICE} refused (${autogroup(s.pid)})`)
    }
  }
  await sleep(500)
  try {
    for (const [key, proto, phase, args, ms] of phases) {
      for (const s of srv) {
        if (!measures(s.name, key)) continue
        log(`${s.name}: ${key}`)
        put(key, s.name, await loadgen(s, proto, phase, args, ms))
        await sleep(300)	// let the server reap the closed connections
      }
    }
  } finally {
    for (const s of srv) await s.stop()
  }
}

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const load0 = loadavg()
const t0 = Date.now()
// Idle memory, each transport on fresh servers (freed memory would be
// reused by the next phase otherwise).
for (const proto of ['ws', 'cong']) {
  await group([[`idle-${proto}`, proto, 'idle', ['--conns', IDLE, '--settle', 1], 120000]])
}
const phases = []
for (const proto of ['ws', 'cong']) phases.push([`ping-${proto}`, proto, 'ping', ['--seconds', SECS], 30000])
for (const n of FANOUT) {
  for (const proto of ['ws', 'cong']) {
    phases.push([`fanout${n}-${proto}`, proto, 'fanout',
      ['--subs', n, '--window', WINDOW, '--size', 64, '--warmup', 0.5, '--seconds', SECS], 120000])
  }
}
for (const proto of ['ws', 'cong']) {
  phases.push([`connrate-${proto}`, proto, 'connrate', ['--concurrency', CONC, '--seconds', SECS], 30000])
}
await group(phases)
const elapsed = (Date.now() - t0) / 1000

// ---- the table ----
const rows = []	// [label, key, field, digits, better]
for (const n of FANOUT) {
  for (const proto of ['ws', 'cong']) {
    const k = `fanout${n}-${proto}`
    const l = `fan-out 1->${n} ${proto}`
    rows.push([`${l}: deliveries/s`, k, 'deliveries_per_s', 0, '+'])
    rows.push([`${l}: server ns/delivery`, k, 'server_ns_per_delivery', 0, '-'])
    rows.push([`${l}: latency p50 us`, k, 'lat_p50_us', 0, '-'])
    rows.push([`${l}: latency p99 us`, k, 'lat_p99_us', 0, '-'])
    rows.push([`${l}: server CPU %`, k, 'server_cpu_pct', 0, ''])
    rows.push([`${l}: loadgen CPU %`, k, 'loadgen_cpu_pct', 0, ''])
  }
}
for (const proto of ['ws', 'cong']) {
  const k = `idle-${proto}`
  rows.push([`idle ${IDLE} ${proto}: bytes/connection`, k, 'bytes_per_conn', 0, '-'])
  rows.push([`idle ${IDLE} ${proto}: RSS after, MB`, k, 'rss_after_kb', 1, '-', v => v / 1024])
}
for (const proto of ['ws', 'cong']) {
  const k = `ping-${proto}`
  rows.push([`ping ${proto}: pongs/s`, k, 'pongs_per_s', 0, '+'])
  rows.push([`ping ${proto}: RTT p50 us`, k, 'rtt_p50_us', 0, '-'])
  rows.push([`ping ${proto}: server us/pong`, k, 'server_ns_per_pong', 1, '-', v => v / 1000])
}
for (const proto of ['ws', 'cong']) {
  const k = `connrate-${proto}`
  rows.push([`connect ${proto} (c=${CONC}): conns/s`, k, 'conns_per_s', 0, '+'])
  rows.push([`connect ${proto}: server us/conn`, k, 'server_us_per_conn', 1, '-'])
}

const fmt = (v, digits) => {
  if (v === undefined || v === null || Number.isNaN(v)) return '-'
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
const labelW = Math.max(...rows.map(r => r[0].length)) + 2
const colW = 13
const head = ['', ...SERVERS.map(s => s === 'ref' ? 'reference' : s)]
// iosd over each other server (for ns/delivery: iosd's ns / theirs).
const ratios = ['ref', 'bare'].filter(s => SERVERS.includes('iosd') && SERVERS.includes(s))
for (const s of ratios) head.push(`iosd/${s}`)
const lines = []
lines.push(head[0].padEnd(labelW) + head.slice(1).map(h => h.padStart(colW)).join(''))
for (const [label, key, field, digits, better, scale] of rows) {
  const val = s => {
    const r = results[key]?.[s]
    if (!r || r.error) return undefined
    const v = r[field]
    return scale ? scale(v) : v
  }
  // '–': not measured on that server (the bare forwarder's phases).
  let line = label.padEnd(labelW) + SERVERS.map(s =>
    (measures(s, key) ? fmt(val(s), digits) : '–').padStart(colW)).join('')
  for (const s of ratios) {
    const a = val('iosd'); const b = val(s)
    const ratio = better && a !== undefined && b !== undefined && b !== 0 ? (a / b).toFixed(2) : ''
    line += ratio.padStart(colW - 2) + (!ratio ? '  ' : better === '+' ? ' ^' : better === '-' ? ' v' : '  ')
  }
  lines.push(line)
}
for (const [key, byServer] of Object.entries(results)) {
  for (const [s, r] of Object.entries(byServer)) {
    if (r.error) lines.push(`${s} ${key}: failed: ${r.error}`)
    else if (r.stalled || r.lost || r.misordered) {
      lines.push(`${s} ${key}: stalled ${r.stalled}, lost ${r.lost}, misordered ${r.misordered}`)
    }
  }
}
const load1 = loadavg()
console.log(`\nserver limits (loopback, ${SECS} s a phase, publisher window ${WINDOW}, 64-byte payloads; ` +
  `${pin ? 'servers on CPU 0, load generator on CPU 1' : 'no CPU pinning'}; nofile ${NOFILE}; ` +
  (NICE !== '' ? `autogroup nice ${NICE}; ` : '') +
  `load average ${load0} before, ${load1} after; ${elapsed.toFixed(0)} s)`)
console.log(lines.join('\n'))
console.log('^ higher is better, v lower is better. Latencies are from the publisher\'s send to a\n' +
  'subscriber\'s read, with the window full; CPU is utime+stime of the server process.' +
  (SERVERS.includes('bare')
    ? '\nbare: tests/bench/forwarder.c, epoll + writev and only what loadgen speaks (no auth,\n' +
      'quotas, unicast or timeouts): this machine\'s limit, in the fan-out and ping phases only.'
    : ''))
if (OUT) {
  fs.writeFileSync(OUT, JSON.stringify({
    date: new Date().toISOString(), seconds: SECS, window: WINDOW, idle: IDLE,
    nofile: NOFILE, pinned: pin, nice: NICE === '' ? null : Number(NICE), loadavg_before: load0, loadavg_after: load1, results
  }, null, 1) + '\n')
  console.log(`raw figures: ${OUT}`)
}
process.exit(0)

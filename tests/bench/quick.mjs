// Side-by-side figures for iosd and the reference Node server:
//   1. resident memory with N idle WebSocket clients (real npm IO clients,
//      each with its CID);
//   2. delivered messages/s for 1 publisher -> S subscribers (CongSocket,
//      small TEXT signals, the publisher paced in windows of W messages).
//
//   node tests/bench/quick.mjs --server iosd|ref [--bin build/iosd]
//        [--idle 1000] [--subs 100] [--msgs 20000] [--window 500]
//
// Loopback only; every process it starts is stopped at the end.
import net from 'node:net'
import fs from 'node:fs'
import { spawn } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, canConnect } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf('--' + name)
  return i >= 0 ? argv[i + 1] : dflt
}
const server = opt('server', 'iosd')
const IDLE = Number(opt('idle', 1000))
const SUBS = Number(opt('subs', 100))
const MSGS = Number(opt('msgs', 20000))
const WINDOW = Number(opt('window', 500))
// iosd only: attach a trace client to the control socket during the
// fan-out, with this tag glob ('' = none attached; 'no-such-*' filters
// everything out, '*' traces everything).
const TRACE = opt('trace', '')

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
async function until (cond, ms, what) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out: ' + what)
    await sleep(2)
  }
}

const procStat = pid => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime + stime, seconds
}
const rssKb = pid => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1])

async function startRef () {
  const ws = await freePort(); const cong = await freePort()
  const child = spawn(process.execPath, ['tests/interop/ref-server.mjs', '--ws', ws, '--cong', cong, '--timeout', '50000'],
    { stdio: ['ignore', 'ignore', 'inherit'] })
  process.on('exit', () => child.kill('SIGKILL'))
  const end = Date.now() + 10000
  while (!(await canConnect(ws) && await canConnect(cong))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('reference server did not start')
    await sleep(50)
  }
  return { ws, cong, pid: child.pid, stop: async () => { child.kill('SIGTERM'); await sleep(200); child.kill('SIGKILL') } }
}

const ctlPath = `/tmp/iosd-bench-${process.pid}.sock`
// iosd's admission limits (64 connections an address, 20 a second) lifted:
// every client here comes from 127.0.0.1.
const s = server === 'ref' ? await startRef() : await startDaemon(opt('bin', 'build/iosd'), ['-t', '50000', '-c', ctlPath,
  '--max-connections', '0', '--max-per-ip', '0', '--conn-rate', '0'])
await sleep(300)
const rss0 = rssKb(s.pid)

// ---- 1. idle WebSocket clients ----
const clients = []
for (let i = 0; i < IDLE; i++) {
  const io = new IO(`ws://127.0.0.1:${s.ws}`)
  clients.push(io)
  if (i % 100 === 99) await sleep(20)
}
await until(() => clients.every(c => c.cid), 60000, 'idle clients ready')
await sleep(1000)
const rssIdle = rssKb(s.pid)
for (const c of clients) { c.close?.() ?? c.socket?.close?.() }
for (const c of clients) { try { c.stop?.() } catch {} }

// ---- 2. fan-out: 1 publisher -> SUBS subscribers over CongSocket ----
const frame = (bytes) => Buffer.concat([Buffer.from([1, bytes.length]), Buffer.from(bytes)])
const tag = Buffer.from('bench')
const sub = frame([0xd3, tag.length, ...tag])
const text = Buffer.from('0123456789abcdef0123456789abcdef')
const sig = frame([0xd0, tag.length, ...tag, 1, ...text, 0])
const connect = port => new Promise((resolve, reject) => {
  const c = net.connect(port, '127.0.0.1', () => resolve(c)); c.on('error', reject)
})
const subs = []
const got = new Array(SUBS).fill(0)
for (let i = 0; i < SUBS; i++) {
  const c = await connect(s.cong)
  c.write(frame([0xc1]))
  c.write(sub)
  c.on('data', d => { got[i] += d.length })
  subs.push(c)
}
const pub = await connect(s.cong)
pub.on('data', () => {})
let traced = 0
if (TRACE && server === 'iosd') {
  const t = net.connect(ctlPath)
  t.on('data', d => { traced += d.toString().split('\n').length - 1 })
  t.write(JSON.stringify({ id: 1, cmd: 'trace', args: { tag: TRACE } }) + '\n')
}
await sleep(500)
const base = got.slice()
const cpu0 = procStat(s.pid)
const t0 = process.hrtime.bigint()
for (let sent = 0; sent < MSGS; sent += WINDOW) {
  const n = Math.min(WINDOW, MSGS - sent)
  pub.write(Buffer.concat(new Array(n).fill(sig)))
  const want = (sent + n) * sig.length
  await until(() => got.every((g, i) => g - base[i] >= want), 60000, 'deliveries')
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9
const cpu = procStat(s.pid) - cpu0
const rssLoad = rssKb(s.pid)
const deliveries = MSGS * SUBS

console.log(JSON.stringify({
  server,
  rss_start_kb: rss0,
  idle_clients: IDLE,
  rss_idle_kb: rssIdle,
  rss_per_idle_client_kb: +((rssIdle - rss0) / IDLE).toFixed(2),
  subscribers: SUBS,
  messages: MSGS,
  seconds: +secs.toFixed(3),
  deliveries_per_s: Math.round(deliveries / secs),
  server_cpu_s: +cpu.toFixed(2),
  server_cpu_us_per_delivery: +(cpu * 1e6 / deliveries).toFixed(3),
  rss_after_fanout_kb: rssLoad,
  trace: TRACE || null,
  trace_lines: TRACE ? traced : null
}))
for (const c of subs) c.destroy()
pub.destroy()
await s.stop()
process.exit(0)

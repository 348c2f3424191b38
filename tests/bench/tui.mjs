// iostui's CPU use: idle on the dashboard, idle on the trace view, and on
// the trace view while a CongSocket client publishes RATE signals a second
// (each traced "in" and "route"). iostui runs in a tmux of our own.
//
//   node tests/bench/tui.mjs [--bin build/iosd] [--tui build/iostui]
//        [--rate 5000] [--seconds 10]
//
// Loopback only; every process it starts is stopped at the end.
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { startDaemon } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, def) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : def
const bin = opt('--bin', 'build/iosd')
const tui = path.resolve(opt('--tui', path.join(path.dirname(bin), 'iostui')))
const RATE = Number(opt('--rate', 5000))
const SECS = Number(opt('--seconds', 10))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iostui-bench-'))
const tsock = path.join(tmp, 'tmux.sock')
const tmux = (...a) => spawnSync('tmux', ['-S', tsock, '-f', '/dev/null', ...a], { encoding: 'utf8' })
process.on('exit', () => { tmux('kill-server'); fs.rmSync(tmp, { recursive: true, force: true }) })
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const cpu = pid => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const sock = path.join(tmp, 'ctl.sock')
const d = await startDaemon(bin, ['-D', path.join(tmp, 'iosd.db'), '-c', sock])
tmux('new-session', '-d', '-s', 'b', '-x', '120', '-y', '40', 'env', 'LANG=C.UTF-8', tui, '-c', sock)
await sleep(1500)
const panePid = Number(tmux('list-panes', '-t', 'b', '-F', '#{pane_pid}').stdout.trim())

async function measure (label, during) {
  const c0 = cpu(panePid); const d0 = cpu(d.pid); const t0 = Date.now()
  const extra = during ? await during() : null
  if (!during) await sleep(SECS * 1000)
  const secs = (Date.now() - t0) / 1000
  return {
    label,
    seconds: +secs.toFixed(1),
    iostui_cpu_pct: +((cpu(panePid) - c0) * 100 / secs).toFixed(2),
    iosd_cpu_pct: +((cpu(d.pid) - d0) * 100 / secs).toFixed(2),
    ...extra
  }
}

const results = []
results.push(await measure('idle, dashboard'))
tmux('send-keys', '-t', 'b', '5')
await sleep(500)
results.push(await measure('idle, trace view'))

// A raw CongSocket publisher: one small TEXT SIGNAL per message, sent in
// batches every 10 ms to hold RATE per second.
const frame = bytes => Buffer.concat([Buffer.from([1, bytes.length]), Buffer.from(bytes)])
const tag = Buffer.from('bench'); const text = Buffer.from('0123456789abcdef')
const sig = frame([0xd0, tag.length, ...tag, 1, ...text, 0])
const pub = await new Promise((resolve, reject) => {
  const c = net.connect(d.cong, '127.0.0.1', () => resolve(c)); c.on('error', reject)
})
pub.on('data', () => {})
pub.write(frame([0xc1]))
results.push(await measure(`trace view, ${RATE} signals/s published`, async () => {
  const per = RATE / 100; let sent = 0
  const end = Date.now() + SECS * 1000
  while (Date.now() < end) {
    const due = Math.floor((SECS * 1000 - (end - Date.now())) / 10 + 1) * per
    const n = Math.max(0, Math.round(due - sent))
    if (n) { pub.write(Buffer.concat(new Array(n).fill(sig))); sent += n }
    await sleep(10)
  }
  return { published: sent }
}))
const screen = tmux('capture-pane', '-p', '-t', 'b').stdout.split('\n')[3]
pub.destroy()
for (const r of results) console.log(JSON.stringify(r))
console.log(JSON.stringify({ trace_status_line: screen.trim() }))
await d.stop()
process.exit(0)

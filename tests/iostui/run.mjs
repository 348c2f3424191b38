// iostui inside tmux (send-keys, capture-pane) against the real daemon and
// real npm iosignal clients: dashboard counts, clients view and kick,
// enrollment through the form, the trace view, resizes, a daemon that goes
// away and comes back, read-only mode, and a terminal left sane on exit.
//
//   node tests/iostui/run.mjs [--bin build/iosd] [--tui build/iostui]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, tap, until, ready } from '../lib/daemon.mjs'
import { Peer, MSG } from '../lib/raw.mjs'

const argv = process.argv.slice(2)
const opt = (name, def) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : def
const bin = opt('--bin', 'build/iosd')
const tui = path.resolve(opt('--tui', path.join(path.dirname(bin), 'iostui')))
const T = tap({ timeout: 30000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iostui-'))
// A tmux server of our own: never the user's, gone at the end.
const tsock = path.join(tmp, 'tmux.sock')
const tmux = (...args) => spawnSync('tmux', ['-S', tsock, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10000 })
process.on('exit', () => { tmux('kill-server'); fs.rmSync(tmp, { recursive: true, force: true }) })

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

const screen = (pane = 'tui') => tmux('capture-pane', '-p', '-t', pane).stdout
// Waits until the screen matches re; returns the screen (or the match).
async function see (re, what, ms = 8000, pane = 'tui') {
  let last = ''
  try {
    return await until(() => { last = screen(pane); return re.test(last) ? last : null }, ms, what)
  } catch (e) {
    process.stderr.write(`--- ${what}: the screen was:\n${last}---\n`)
    throw e
  }
}
const keys = (...k) => tmux('send-keys', '-t', 'tui', ...k)
const type = text => tmux('send-keys', '-t', 'tui', '-l', text)

// Starts iostui in a new tmux session named name; the shell around it
// records iostui's exit status and the terminal's state after it.
function startTui (name, extra = [], { cols = 100, rows = 30 } = {}) {
  const after = path.join(tmp, `${name}.after`)
  const cmd = `${tui} -c '${sock}' ${extra.join(' ')}; echo "exit=$?" > '${after}'; stty -a >> '${after}'; sleep 600`
  const r = tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows),
    'env', 'LANG=C.UTF-8', 'LC_ALL=C.UTF-8', 'TERM=tmux-256color', 'sh', '-c', cmd)
  if (r.status !== 0) throw new Error('tmux: ' + r.stderr)
  return after
}

const client = (id, key) => { const io = new IO(`ws://127.0.0.1:${d.ws}`); if (id) io.auth(id, key); return io }

const dir = path.join(tmp, 'd'); fs.mkdirSync(dir, { mode: 0o700 })
const sock = path.join(dir, 'ctl.sock')
const dopts = ['-D', path.join(dir, 'iosd.db'), '-c', sock]
let d = await startDaemon(bin, dopts)
const clients = []

try {
  const after = startTui('tui')

  await T.test('the dashboard shows the header and the number of connected clients', async () => {
    const s = await see(/connected/, 'the header says connected')
    T.ok(/iosd 0\.\d+\.\d+/.test(s), 'the daemon version in the header')
    T.ok(s.includes(`ws 127.0.0.1:${d.ws}`) && s.includes(`cong 127.0.0.1:${d.cong}`), 'the listeners')
    T.ok(/1 Dashboard\s+2 Clients\s+3 Channels\s+4 Devices\s+5 Trace/.test(s), 'the tabs')
    for (let i = 0; i < 3; i++) clients.push(await ready(client()))
    const s3 = await see(/Connections 3:\s+ws 3/, 'three connections on the dashboard')
    T.ok(/anonymous 3/.test(s3), 'three anonymous clients')
    T.ok(/messages in/.test(s3) && /fan-out deliveries/.test(s3), 'the rates')
    T.ok(/[▁▂▃▄▅▆▇█]/.test(s3), 'sparklines in Unicode blocks')
  })

  await T.test('the clients view lists a client by its CID; kick (confirmed) removes it', async () => {
    const victim = clients[1]; const cid = victim.cid // it gets a new one if it reconnects
    await victim.subscribe_promise('tuiroom')
    keys('2')
    await see(new RegExp(cid.replace('?', '\\?')), 'the CID in the clients view')
    const closed = new Promise(resolve => victim.on('close', resolve))
    keys('/'); type(cid); keys('Enter')
    await see(/1 shown of 3 clients/, 'the filter leaves one')
    keys('Enter')
    await see(/Subscriptions \(1\)/, 'the details pane')
    T.ok(/CH:tuiroom/.test(screen()), 'its subscriptions')
    keys('k')
    await see(/Kick client/, 'the confirmation')
    keys('y')
    await Promise.race([closed, sleep(5000).then(() => { throw new Error('not kicked') })])
    await see(/kicked/, 'the kick is reported')
    keys('Escape'); await sleep(100); keys('Escape')
    const s = await see(/2 shown of 2 clients/, 'the client is gone from the table')
    T.ok(!s.replace(/\n$/, '').split('\n').slice(3, -1).join('\n').includes(cid), 'its CID is not listed')
    victim.stop(); clients.splice(1, 1)
  })

  await T.test('enrolling through the form yields a key the npm client logs in with', async () => {
    keys('4')
    await see(/shown of \d+ devices/, 'the devices view')
    keys('e')
    await see(/Enroll a device/, 'the form')
    type('tui7'); keys('Enter'); keys('Enter'); keys('C-u'); type('2'); keys('Enter')
    await see(/Enroll device tui7/, 'the confirmation')
    keys('y')
    const s = await see(/Device enrolled/, 'the key notice')
    const m = /([A-Za-z0-9_-]{32})/.exec(s)
    T.ok(m, 'a 32-character key on screen')
    keys('Enter')
    await see(/tui7\s+tui7\s+2\s+enabled/, 'the device in the table')
    const io = await ready(client('tui7', m[1]))
    T.eq(io.cid, 'tui7', 'logged in with the enrolled CID'); T.eq(io.level, 2, 'at level 2')
    io.stop()
  })

  await T.test('the channels view lists a channel and opens its subscribers', async () => {
    await clients[0].subscribe_promise('chan-a')
    keys('3')
    await see(/CH:chan-a\s+1/, 'the channel with one subscriber')
    keys('/'); type('chan-a'); keys('Enter'); keys('Enter')
    await see(new RegExp(clients[0].cid.replace('?', '\\?')), 'its subscriber listed')
    keys('Escape'); await sleep(100); keys('Escape')
  })

  await T.test('the trace view shows a signal sent by a client, and its details', async () => {
    keys('5')
    await see(/events .* filter/, 'the trace view')
    const p = clients[0]
    const t = setInterval(() => p.signal('tui-tag', 'hello from a client'), 200)
    const s = await see(/tui-tag\s+TEXT.*hello from a/, 'the signal in the trace')
    clearInterval(t)
    T.ok(s.includes(p.cid), 'with its CID')
    keys('p')
    await see(/PAUSED/, 'paused')
    keys('G', 'Enter')
    await see(/0000 {2}[0-9a-f]{2} /, 'the hex dump of one message')
    keys('Escape'); keys('p')
    await see(/events .* filter none/, 'resumed')
  })

  await T.test('help lists every key', async () => {
    keys('?')
    const s = await see(/Keys of iostui/, 'the help view')
    T.ok(/kick the selected client/.test(s) && /enroll a device/.test(s), 'the keys of the views')
    keys('G')
    await see(/quit iostui/, 'the end of the help: quit')
    keys('?')
    await see(/filter none|events/, 'back to the trace view')
  })

  await T.test('resize to 80x24 and to 200x60 keeps the layout intact', async () => {
    for (const [cols, rows] of [[80, 24], [200, 60], [100, 30]]) {
      tmux('resize-window', '-t', 'tui', '-x', String(cols), '-y', String(rows))
      keys('1')
      // The header's right edge, the body, and the hints (once no
      // message stands in their place) on the last row.
      const s = await see(new RegExp(`^.{${cols - 12},${cols}}connected *\\n[\\s\\S]*Connections 2:[\\s\\S]*q quit *\\n?$`),
        `the layout at ${cols}x${rows}`)
      const lines = s.replace(/\n$/, '').split('\n')
      T.eq(lines.length, rows, `${rows} rows`)
      T.ok(lines.every(l => [...l].length <= cols), `no line over ${cols} columns`)
      T.ok(/1 Dashboard.*5 Trace/.test(lines[2]), `the tabs on row 3 at ${cols}x${rows}`)
      T.ok(/q quit/.test(lines[rows - 1]), `the key hints on the last row at ${cols}x${rows}`)
      T.ok(/Connections 2/.test(s), `the dashboard body at ${cols}x${rows}`)
    }
  })

  await T.test('the flood story: a device floods a channel; find it, watch it, stop it for good, in at most 10 keys', async () => {
    // Three subscribers count what reaches them from the flooder.
    const subs = []
    let got = 0
    for (let i = 0; i < 3; i++) {
      const io = await ready(client())
      await io.subscribe_promise('floodroom')
      io.on('floodroom', m => { if (String(m).startsWith('flood')) got++ })
      subs.push(io)
    }
    // The flooder: a CongSocket board at its own address, 100 signals a
    // second, that reconnects whenever it is closed, as firmware does.
    const tag = Buffer.from('floodroom')
    let flooder = null; let stop = false; let refused = 0; let timer = null
    const connectFlooder = async () => {
      if (stop) return
      try { flooder = await Peer.open(d.cong, { from: '127.0.0.90' }) } catch { refused++; setTimeout(connectFlooder, 200); return }
      flooder.s.on('close', () => { refused += flooder.msgs.length === 0 ? 1 : 0; setTimeout(connectFlooder, 200) })
    }
    await connectFlooder()
    timer = setInterval(() => {
      if (flooder && !flooder.closed) flooder.send([MSG.SIGNAL, tag.length, ...tag, 1, ...Buffer.from('flood'), 0])
    }, 10)
    try {
      await until(() => got > 200, 10000, 'the flood reaching the subscribers')
      keys('1')
      await see(/Top talkers[\s\S]*127\.0\.0\.90/, 'the flooder among the top talkers', 10000)
      // The story, key by key.
      let presses = 0
      const press = k => { presses++; keys(k) }
      const t0 = Date.now()
      press('2') // Clients: busiest sender first, selected
      await see(/\n\s*#\s+CID\s[^\n]*\n[^\n]*127\.0\.0\.90/, 'the flooder on the first row of Clients')
      press('t') // its live trace
      await see(/filter ssid=\d+[\s\S]*SIGNAL\s+floodroom[\s\S]*flood/, 'its live trace')
      press('2') // back
      press('b') // ban its address
      await see(/Ban the address/, 'the ban form')
      T.ok(/127\.0\.0\.90/.test(screen()), 'the form has the flooder\'s address')
      press('Enter'); press('Enter'); press('Enter') // address, for 1h, reason: as they are
      await see(/banned 127\.0\.0\.90/, 'the ban reported')
      const ms = Date.now() - t0
      // Stopped for good: nothing more reaches the subscribers, its
      // reconnections are refused.
      const at = got
      const before = refused
      await until(() => refused >= before + 3, 8000, 'reconnections refused')
      T.eq(got, at, 'no delivery from the flooder after the ban')
      T.ok(presses <= 10, `${presses} keystrokes`)
      process.stdout.write(`# flood story: ${presses} keystrokes, ${(ms / 1000).toFixed(1)} s from the first key to the ban; ` +
        `${got} deliveries before, none after; ${refused - before} reconnections refused\n`)
    } finally {
      stop = true
      clearInterval(timer)
      if (flooder) flooder.close()
      for (const io of subs) io.stop()
      spawnSync(path.join(path.dirname(tui), 'iosctl'), ['-c', sock, 'unban', '127.0.0.90'])
      keys('Escape'); keys('1')
    }
  }, 60000)

  await T.test('stopping iosd shows the disconnected state; restarting recovers', async () => {
    const r = await d.stop()
    T.eq(r.code, 0, 'iosd stopped')
    await see(/DISCONNECTED/, 'the disconnected state')
    T.ok(/not reachable/.test(screen()), 'why it is down')
    d = await startDaemon(bin, dopts, { ws: d.ws, cong: d.cong })
    await see(new RegExp(`pid ${d.pid} .*connected`), 'reconnected to the new daemon', 15000)
    // The npm clients reconnect by themselves: the count comes back.
    await see(/Connections 2:\s+ws 2/, 'fresh numbers from the new daemon', 15000)
  })

  await T.test('q quits with status 0 and leaves the terminal sane', async () => {
    keys('q')
    const a = await until(() => fs.existsSync(after) && /icanon/.test(fs.readFileSync(after, 'utf8')) &&
      fs.readFileSync(after, 'utf8'), 5000, 'iostui exited')
    T.ok(/exit=0/.test(a), 'exit status 0: ' + a.split('\n')[0])
    T.ok(/(^|\s)icanon/.test(a) && /(^|\s)echo(\s|$)/.test(a), 'canonical mode and echo are back')
  })

  await T.test('SIGTERM restores the terminal too; --read-only hides the actions', async () => {
    const a2 = startTui('ro', ['--read-only', '-v', 'clients'])
    await see(/shown of \d+ clients/, 'the read-only clients view', 8000, 'ro')
    const s = screen('ro')
    T.ok(/read-only/.test(s), 'the header says read-only')
    T.ok(!/kick/.test(s.split('\n').pop() || '') && !/ kick/.test(s), 'no kick hint')
    const pid = Number(tmux('list-panes', '-t', 'ro', '-F', '#{pane_pid}').stdout.trim())
    spawnSync('pkill', ['-TERM', '-P', String(pid), '-x', 'iostui'])
    const a = await until(() => fs.existsSync(a2) && /icanon/.test(fs.readFileSync(a2, 'utf8')) &&
      fs.readFileSync(a2, 'utf8'), 5000, 'iostui exited on SIGTERM')
    T.ok(/exit=143/.test(a), 'died of SIGTERM (143): ' + a.split('\n')[0])
    T.ok(/(^|\s)icanon/.test(a) && /(^|\s)echo(\s|$)/.test(a), 'the terminal is sane after SIGTERM')
  })

  await T.test('without a terminal it refuses with a hint; --help answers', async () => {
    const r = spawnSync(tui, ['-c', sock], { encoding: 'utf8', input: '' })
    T.eq(r.status, 2, 'exit 2'); T.ok(/iosctl/.test(r.stderr), 'points at iosctl')
    const h = spawnSync(tui, ['--help'], { encoding: 'utf8' })
    T.eq(h.status, 0, '--help'); T.ok(/--read-only/.test(h.stdout), 'lists the options')
  })
} finally {
  for (const c of clients) c.stop()
  await d.stop()
}
T.done()
process.exit()

// Running it for real: the configuration file (errors with line numbers,
// the command line wins, -o round trip), SIGHUP reloads (listeners added
// and removed with established connections untouched, a broken file
// refused whole, reload under a stream of signals dropping nothing),
// SIGTERM (clients get a close, exit 0 within the deadline), -f log files
// reopened on SIGHUP, --syslog, and the readiness notification on a
// NOTIFY_SOCKET.
//
//   node tests/ops/run.mjs [--bin build/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, canConnect, tap, until, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const build = path.dirname(bin)
const T = tap({ timeout: 30000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-ops-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const f = n => path.join(tmp, n)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const run = (args, opts = {}) => spawnSync(bin, args, { encoding: 'utf8', timeout: 5000, ...opts })

// iosd with exactly these arguments (its listeners from a file), ready
// when port accepts.
async function daemon (args, port) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.on('data', x => { log += x }); child.stderr.on('data', x => { log += x })
  const exited = new Promise(resolve => child.once('exit', (code, sig) => resolve({ code, sig })))
  let gone = false; exited.then(() => { gone = true })
  process.on('exit', () => child.kill('SIGKILL'))
  await until(async () => { if (gone) throw new Error('exited: ' + log); return canConnect(port) }, 5000, 'iosd to accept')
  return {
    pid: child.pid,
    log: () => log,
    async stop () { if (!gone) child.kill('SIGTERM'); return exited }
  }
}

await T.test('a configuration file: comments, quotes, flags; errors name the file and line', async () => {
  const ws = await freePort()
  fs.writeFileSync(f('a.conf'), [
    '# iosd test configuration', '', `listen = 127.0.0.1:${ws}   # a comment`, 'members-only = yes',
    'no-quota = no', 'auth-param = "qd1.k#ey.2"', 'log-level = debug', 'trusted-proxy = 10.0.0.0/8',
    'tls-priority = "NORMAL #kept"', 'control = ""', ''].join('\n'))
  // --conf: getopt's abbreviation, honoured like the full name.
  const d = await startDaemon(bin, ['--conf', f('a.conf'), '-D', f('a.db'), '-o'], { ws })
  try {
    const cfg = d.log()
    T.ok(/members-only = yes/.test(cfg), 'a flag'); T.ok(/trusted-proxy = 10\.0\.0\.0\/8/.test(cfg), 'a value')
    T.ok(/log-level = debug/.test(cfg), 'log-level');
    T.ok(/tls-priority = "NORMAL #kept"/.test(cfg), 'a # inside quotes is the value\'s'); T.ok(!/^control = /m.test(cfg), 'control = "" is none')
    T.ok(/auth-param: 1 list/.test(cfg) && !/k#ey/.test(cfg), 'a key is never shown')
    const io = new IO(`ws://127.0.0.1:${d.ws}`); io.auth('qd1', 'k#ey')
    await ready(io); T.eq(io.level, 2, 'the quoted key with a # logs in'); io.stop()
  } finally { await d.stop() }
  for (const [text, want] of [
    ['bogus = 1', /x\.conf:1: unknown option 'bogus'/],
    ['\n\nlisten', /x\.conf:3: listen needs a value/],
    [`listen = 127.0.0.1:${ws}\nmax-signal = lots`, /x\.conf:2: --max-signal: bad value 'lots'/],
    ['members-only = maybe', /x\.conf:1: members-only takes no value/],
    ['auth-param = "open', /x\.conf:1: unterminated quote/]]) {
    fs.writeFileSync(f('x.conf'), text + '\n')
    const r = run(['--config', f('x.conf')])
    T.eq(r.status, 2, `exit 2 for ${JSON.stringify(text)}`); T.ok(want.test(r.stderr), r.stderr.trim().split('\n')[0])
  }
  T.eq(run(['--config', f('none.conf')]).status, 2, 'a missing file')
})

await T.test('the command line wins over the file; -o prints a file iosd reads back', async () => {
  const a = await freePort(); const b = await freePort()
  fs.writeFileSync(f('b.conf'), `listen = 127.0.0.1:${a}\nretain-max = 7\ntimeout = 40000\n`)
  const d = await daemon(['--config', f('b.conf'), '-D', f('b.db'), '-l', `127.0.0.1:${b}`, '--retain-max', '9', '-o'], b)
  let printed
  try {
    printed = d.log().slice(d.log().indexOf('# iosd'), d.log().indexOf('stop-timeout'))
    T.ok(!await canConnect(a), "the file's listener was replaced by the command line's")
    T.ok(/retain-max = 9/.test(printed) && /timeout = 40000/.test(printed), 'scalars: the command line over the file')
  } finally { await d.stop() }
  fs.writeFileSync(f('printed.conf'), printed + '\n')
  const e = await daemon(['--config', f('printed.conf'), '-o'], b)
  try {
    const again = e.log().slice(e.log().indexOf('# iosd'), e.log().indexOf('stop-timeout'))
    T.eq(again.split('\n').slice(1).join('\n'), printed.split('\n').slice(1).join('\n'), 'the same configuration back')
  } finally { await e.stop() }
})

await T.test('SIGHUP: a listener added and one removed; established connections stay', async () => {
  const a = await freePort(); const b = await freePort()
  fs.writeFileSync(f('c.conf'), `listen = 127.0.0.1:${a}\n`)
  const d = await daemon(['--config', f('c.conf'), '-D', f('c.db')], a)
  try {
    const io = await ready(new IO(`ws://127.0.0.1:${a}`))
    let closed = false; io.on('close', () => { closed = true })
    fs.writeFileSync(f('c.conf'), `listen = 127.0.0.1:${b}\n`)
    process.kill(d.pid, 'SIGHUP')
    await until(() => canConnect(b), 3000, 'the new listener')
    await until(async () => !(await canConnect(a)), 3000, 'the old listener closed')
    T.ok(/listen: ws 127\.0\.0\.1:\d+ opened/.test(d.log()) && /listen: ws 127\.0\.0\.1:\d+ closed/.test(d.log()), 'logged')
    const back = new Promise(resolve => io.on('echo', resolve))
    io.signal('#', 'still here') // home channel: a round trip on the old connection
    await sleep(300)
    T.ok(!closed && io.cid, 'the client on the removed listener is still connected')
    const io2 = await ready(new IO(`ws://127.0.0.1:${b}`)); io2.stop()
    void back
    io.stop()
  } finally { await d.stop() }
})

await T.test('SIGHUP: the same port on another address, then for another transport', async () => {
  const a = await freePort()
  fs.writeFileSync(f('m.conf'), `listen = ${a}\n`)
  const d = await daemon(['--config', f('m.conf'), '-D', f('m.db')], a)
  try {
    const io = await ready(new IO(`ws://127.0.0.1:${a}`))
    let closed = false; io.on('close', () => { closed = true })
    fs.writeFileSync(f('m.conf'), `listen = 127.0.0.1:${a}\n`) // as when nginx comes in front
    process.kill(d.pid, 'SIGHUP')
    await until(() => /SIGHUP: reloaded/.test(d.log()), 3000, 'reloaded')
    T.ok(!/refused/.test(d.log()), 'not refused: ' + d.log().split('\n').filter(l => /reload/.test(l)).join(' | '))
    const io2 = await ready(new IO(`ws://127.0.0.1:${a}`)); io2.stop()
    fs.writeFileSync(f('m.conf'), `listen-cong = 127.0.0.1:${a}\n`)
    process.kill(d.pid, 'SIGHUP')
    await until(() => (d.log().match(/SIGHUP: reloaded/g) || []).length === 2, 3000, 'reloaded again')
    const cong = net.connect(a, '127.0.0.1')
    const first = await new Promise((resolve, reject) => { cong.once('data', resolve); cong.once('error', reject) })
    T.eq(first[0] === 1 && first[2], 0xc0, 'the port now speaks CongSocket (SERVER_READY)')
    cong.destroy()
    await sleep(200)
    T.ok(!closed && io.cid, 'the first WebSocket client is still connected')
    io.stop()
  } finally { await d.stop() }
})

await T.test('SIGHUP applies a new trusted-proxy and a new quota table to new connections', async () => {
  const a = await freePort(); const sock = f('tp.sock')
  fs.writeFileSync(f('tp.conf'), `listen = 127.0.0.1:${a}\ncontrol = ${sock}\n`)
  const d = await daemon(['--config', f('tp.conf'), '-D', f('tp.db')], a)
  const upgrade = () => new Promise((resolve, reject) => {
    const s = net.connect(a, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'X-Forwarded-For: 10.1.2.3\r\n\r\n'))
    s.once('data', () => resolve(s)); s.on('error', reject)
  })
  const addresses = () => JSON.parse(spawnSync(path.join(build, 'iosctl'), ['-c', sock, '--json', 'clients'],
    { encoding: 'utf8' }).stdout).list.map(c => c.address).sort().join(',')
  try {
    const one = await upgrade()
    T.eq(addresses(), '127.0.0.1', 'untrusted: X-Forwarded-For ignored')
    fs.appendFileSync(f('tp.conf'), 'trusted-proxy = 127.0.0.1\n')
    process.kill(d.pid, 'SIGHUP')
    await until(() => /SIGHUP: reloaded/.test(d.log()), 3000, 'reloaded')
    const two = await upgrade()
    T.eq(addresses(), '10.1.2.3,127.0.0.1', 'trusted after the reload: the forwarded address, the old one kept')
    spawnSync('sqlite3', [f('tp.db'), 'UPDATE quota_levels SET signal_size = 4321 WHERE level = 1'])
    process.kill(d.pid, 'SIGHUP')
    await until(() => (d.log().match(/SIGHUP: reloaded/g) || []).length === 2, 3000, 'reloaded again')
    const q = JSON.parse(spawnSync(path.join(build, 'iosctl'), ['-c', sock, '--json', 'quota-list'], { encoding: 'utf8' }).stdout).list
    T.eq(q.find(x => x.level === 1).signal_size, 4321, 'the quota table read again')
    one.destroy(); two.destroy()
  } finally { await d.stop() }
})

await T.test('a broken configuration is refused whole; the running one stays', async () => {
  const a = await freePort(); const sock = f('d.sock')
  fs.writeFileSync(f('d.conf'), `listen = 127.0.0.1:${a}\nretain-max = 5\n`)
  const d = await daemon(['--config', f('d.conf'), '-D', f('d.db'), '-c', sock], a)
  try {
    const other = await freePort()
    fs.writeFileSync(f('d.conf'), `listen = 127.0.0.1:${other}\nretain-max = lots\n`)
    process.kill(d.pid, 'SIGHUP')
    await until(() => /reload refused, nothing changed: .*d\.conf:2: --retain-max/.test(d.log()), 3000, 'refusal logged')
    T.ok(await canConnect(a) && !(await canConnect(other)), 'the old listener kept, the new one not opened')
    const r = spawnSync(path.join(build, 'iosctl'), ['-c', sock, 'reload'], { encoding: 'utf8' })
    T.eq(r.status, 1, 'iosctl reload: refused'); T.ok(/d\.conf:2/.test(r.stderr), r.stderr.trim())
    // A port already taken: refused too, nothing half-done.
    const taken = net.createServer().listen(0, '127.0.0.1'); await new Promise(resolve => taken.once('listening', resolve))
    fs.writeFileSync(f('d.conf'), `listen = 127.0.0.1:${a}\nlisten = 127.0.0.1:${taken.address().port}\n`)
    const r2 = spawnSync(path.join(build, 'iosctl'), ['-c', sock, 'reload'], { encoding: 'utf8' })
    T.eq(r2.status, 1, 'a port in use: refused'); T.ok(/Address already in use/.test(r2.stderr), r2.stderr.trim())
    T.ok(await canConnect(a), 'still listening')
    taken.close()
  } finally { await d.stop() }
})

await T.test('reload under a stream of signals drops no connection and loses no signal', async () => {
  const a = await freePort()
  fs.writeFileSync(f('e.conf'), `listen = 127.0.0.1:${a}\n`)
  const d = await daemon(['--config', f('e.conf'), '-D', f('e.db')], a)
  try {
    const subs = await Promise.all(Array.from({ length: 10 }, () => ready(new IO(`ws://127.0.0.1:${a}`))))
    let closed = 0; let got = 0
    for (const s of subs) { s.on('close', () => { closed++ }); await s.subscribe_promise('flow'); s.on('flow', () => { got++ }) }
    const pub = await ready(new IO(`ws://127.0.0.1:${a}`))
    let sent = 0
    const t = setInterval(() => { pub.signal('flow', 'n' + sent); sent++ }, 2)
    for (let i = 0; i < 10; i++) { process.kill(d.pid, 'SIGHUP'); await sleep(60) }
    clearInterval(t)
    await until(() => got === sent * subs.length, 5000, `all ${sent * subs.length} deliveries (got ${got})`)
    T.eq(closed, 0, 'no connection closed')
    T.ok((d.log().match(/SIGHUP: reloaded/g) || []).length === 10, 'ten reloads')
    for (const s of subs) s.stop()
    pub.stop()
  } finally { await d.stop() }
})

await T.test('SIGTERM: clients get a close (1001), the daemon exits 0 within the deadline', async () => {
  const d = await startDaemon(bin, ['-D', f('g.db'), '--stop-timeout', '2000'])
  const io = await ready(new IO(`ws://127.0.0.1:${d.ws}`))
  const raw = net.connect(d.cong, '127.0.0.1'); await new Promise(resolve => raw.once('connect', resolve))
  const ended = new Promise(resolve => raw.once('close', resolve))
  raw.on('error', () => {}); raw.resume()
  // A raw WebSocket that never answers the close: the deadline ends it.
  const stuck = net.connect(d.ws, '127.0.0.1'); await new Promise(resolve => stuck.once('connect', resolve))
  stuck.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  let frames = Buffer.alloc(0); stuck.on('data', x => { frames = Buffer.concat([frames, x]) }); stuck.on('error', () => {})
  await sleep(200)
  const t0 = Date.now()
  const r = await d.stop(6000)
  const ms = Date.now() - t0
  T.eq(r.code, 0, 'exit 0'); T.ok(ms < 3000, `exited in ${ms} ms (deadline 2000)`)
  await ended
  T.ok(true, 'the CongSocket client saw the connection end')
  const i = frames.indexOf(Buffer.from([0x88]))
  T.ok(i >= 0 && frames.readUInt16BE(i + 2) === 1001, 'a WebSocket close frame with 1001 (going away)')
  T.ok(/signal 15: stopping/.test(d.log()) && /stopped/.test(d.log()), 'logged')
  io.stop(); raw.destroy(); stuck.destroy()
})

await T.test('-f: connection, auth and attack logs, reopened on SIGHUP (logrotate)', async () => {
  const dir = f('logs'); fs.mkdirSync(dir)
  const sock = f('h.sock')
  const d = await startDaemon(bin, ['-D', f('h.db'), '-f', dir, '-e', 'fl1.key1.2', '--auth-fail-delay', '50', '-c', sock])
  try {
    const io = new IO(`ws://127.0.0.1:${d.ws}`); io.auth('fl1', 'key1'); await ready(io); io.stop()
    const bad = new IO(`ws://127.0.0.1:${d.ws}`); bad.auth('fl1', 'wrong')
    await new Promise(resolve => bad.on('auth_fail', resolve)); bad.stop()
    const raw = net.connect(d.cong, '127.0.0.1'); raw.on('error', () => {})
    raw.write(Buffer.from([9, 9, 9, 9])) // a CongSocket header no board sends
    await until(() => fs.readFileSync(path.join(dir, 'attack.log'), 'utf8').length > 0, 3000, 'attack.log')
    const conn = fs.readFileSync(path.join(dir, 'connection.log'), 'utf8')
    T.ok(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+ IP:127\.0\.0\.1 #\d+ WS$/m.test(conn), 'connection.log: + line')
    await until(() => /- IP:127\.0\.0\.1 #\d+ cid:fl1 WS/.test(fs.readFileSync(path.join(dir, 'connection.log'), 'utf8')), 3000, '- line')
    const auth = fs.readFileSync(path.join(dir, 'auth.log'), 'utf8')
    T.ok(/o IP:127\.0\.0\.1 #\d+ id:fl1 cid:fl1 level:2/.test(auth) && /x IP:127\.0\.0\.1 #\d+ id:fl1 fail: HMAC mismatch/.test(auth),
      'auth.log: a login and a failure'); T.ok(!/key1|wrong/.test(auth), 'no key in auth.log')
    T.ok(/> \d+ 127\.0\.0\.1 .*bad_frame/.test(fs.readFileSync(path.join(dir, 'attack.log'), 'utf8')), 'attack.log')
    fs.renameSync(path.join(dir, 'connection.log'), path.join(dir, 'connection.log.1'))
    process.kill(d.pid, 'SIGHUP')
    await until(() => fs.existsSync(path.join(dir, 'connection.log')), 3000, 'reopened')
    fs.renameSync(path.join(dir, 'auth.log'), path.join(dir, 'auth.log.1'))
    T.eq(spawnSync(path.join(build, 'iosctl'), ['-c', sock, 'reload']).status, 0, 'iosctl reload')
    T.ok(fs.existsSync(path.join(dir, 'auth.log')), 'iosctl reload reopens them too')
    const io2 = await ready(new IO(`ws://127.0.0.1:${d.ws}`)); io2.stop()
    await until(() => /\+ IP/.test(fs.readFileSync(path.join(dir, 'connection.log'), 'utf8')), 3000, 'new lines in the new file')
    raw.destroy()
  } finally { await d.stop() }
})

await T.test('--syslog: the log goes to syslog, not stderr', async () => {
  const d = await startDaemon(bin, ['-D', f('i.db'), '--syslog'])
  try {
    T.ok(!/ready, pid/.test(d.log()), 'no log lines on stderr')
  } finally { await d.stop() }
})

await T.test('under systemd (JOURNAL_STREAM): each stderr line starts with its syslog priority, <6> info, <4> warn', async () => {
  // --max-connections past the descriptor limit: a warning at start.
  const d = await startDaemon(bin, ['-D', f('j.db'), '--max-connections', '16000000'],
    { env: { JOURNAL_STREAM: '8:12345' } })
  try {
    await until(() => /<6>info iosd [\d.]+ ready/.test(d.log()), 3000, 'the ready line with <6>')
    T.ok(/^<4>warn --max-connections/m.test(d.log()), 'the warning with <4>')
    const lines = d.log().split('\n').filter(l => /^(<\d>)?(info|warn|error|debug) /.test(l))
    T.ok(lines.length > 1 && lines.every(l => /^<[3467]>/.test(l)), `every log line has a prefix: ${lines.slice(0, 3).join(' | ')}`)
  } finally { await d.stop() }
  const plain = await startDaemon(bin, ['-D', f('j2.db')])
  try {
    T.ok(/^info iosd [\d.]+ ready/m.test(plain.log()), 'without it, no prefix')
  } finally { await plain.stop() }
})

await T.test('iosctl backup: an online copy while enrollments go on, 0600, integrity ok', async () => {
  const sock = f('bk.sock')
  const d = await startDaemon(bin, ['-D', f('bk.db'), '-c', sock])
  const ctl = (...a) => new Promise(resolve => {
    const c = spawn(path.join(build, 'iosctl'), ['-c', sock, ...a], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''; let err = ''
    c.stdout.on('data', x => { out += x }); c.stderr.on('data', x => { err += x })
    c.on('close', code => resolve({ code, out, err })) // after stdout is drained
  })
  try {
    for (let i = 0; i < 30; i++) await ctl('enroll', `bk${i}`)
    const burst = Promise.all(Array.from({ length: 30 }, (_, i) => ctl('enroll', `bz${i}`)))
    const r = await ctl('--json', 'backup', f('copy.db'))
    await burst
    T.eq(r.code, 0, 'backup: ' + r.err.trim())
    if (r.code !== 0) return
    T.eq(JSON.parse(r.out).path, f('copy.db'), 'the path')
    T.eq((fs.statSync(f('copy.db')).mode & 0o777).toString(8), '600', 'mode 0600')
    const q = spawnSync('sqlite3', [f('copy.db'), 'PRAGMA integrity_check; SELECT count(*) FROM devices WHERE id LIKE \'bk%\''],
      { encoding: 'utf8' })
    T.eq(q.stdout.trim(), 'ok\n30', 'integrity_check ok, the 30 devices enrolled before are in it')
    const again = await ctl('backup', f('copy.db'))
    T.eq(again.code, 1, 'an existing file is refused'); T.ok(/exists/i.test(again.err), again.err.trim())
    T.eq((await ctl('backup', '/nonexistent-dir/x.db')).code, 1, 'an unwritable place is refused')
  } finally { await d.stop() }
})

await T.test('SIGTERM during a backup: the half-made copy is removed, the database closed cleanly', async () => {
  const db = f('big.db'); const sock = f('big.sock')
  let d = await startDaemon(bin, ['-D', db])
  await d.stop()
  // 40 MB of pages, so that the copy takes a while.
  spawnSync('sqlite3', [db, 'CREATE TABLE ballast(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 ' +
    'FROM c WHERE i < 200000) INSERT INTO ballast SELECT randomblob(200) FROM c;'])
  d = await startDaemon(bin, ['-D', db, '-c', sock])
  const copy = f('big-copy.db')
  const c = spawn(path.join(build, 'iosctl'), ['-c', sock, 'backup', copy], { stdio: 'ignore' })
  const done = new Promise(resolve => c.on('close', code => resolve(code)))
  await until(() => fs.existsSync(copy), 5000, 'the copy started')
  const r = await d.stop()
  const code = await done
  T.eq(r.code, 0, 'iosd exit 0')
  process.stdout.write(`# the copy ${code === 0 ? 'finished before the stop' : 'was aborted by the stop'}\n`)
  if (code === 0) {
    // The copy won the race: then it must be whole.
    T.eq(spawnSync('sqlite3', [copy, 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout.trim(), 'ok', 'a whole copy')
  } else {
    T.ok(!fs.existsSync(copy) && !fs.existsSync(copy + '-journal'), 'the half-made copy is gone')
  }
  T.ok(!fs.existsSync(db + '-wal') || fs.statSync(db + '-wal').size === 0, 'the database was closed cleanly (WAL checkpointed)')
  T.ok(/backup/.test(d.log()) || code === 0, 'logged')
})

const notifyBin = path.join(build, 'tests', 'notify-listen')
await T.test('systemd: READY=1, STATUS=, RELOADING=1 and STOPPING=1 on a NOTIFY_SOCKET; WATCHDOG=1', async () => {
  const hasSd = run(['--version']).stdout.includes('systemd')
  T.ok(fs.existsSync(notifyBin), `${notifyBin} built`)
  if (!hasSd) { T.ok(false, 'this iosd was built without libsystemd (libsystemd-dev is a build dependency)'); return }
  const nsock = f('notify.sock')
  const listener = spawn(notifyBin, [nsock, '20'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let lines = ''; listener.stdout.on('data', x => { lines += x })
  await until(() => fs.existsSync(nsock), 3000, 'the notify socket')
  const ws = await freePort(); const cong = await freePort()
  const child = spawn(bin, ['-l', `127.0.0.1:${ws}`, '-L', `127.0.0.1:${cong}`, '-D', f('n.db')],
    { env: { ...process.env, NOTIFY_SOCKET: nsock, WATCHDOG_USEC: '400000' }, stdio: 'ignore' })
  try {
    await until(() => /READY=1/.test(lines), 5000, 'READY=1')
    T.ok(await canConnect(ws), 'listening when READY=1 came')
    // READY=1 and STATUS= go in one datagram, but the listener's output
    // may reach us in two pieces: wait for the line, do not assume it.
    T.ok(await until(() => /STATUS=[^\n]*clients/.test(lines), 3000, 'a STATUS= line').then(() => true, () => false), 'a STATUS= line')
    await until(() => (lines.match(/WATCHDOG=1/g) || []).length >= 2, 3000, 'WATCHDOG=1 pings')
    child.kill('SIGHUP')
    await until(() => /RELOADING=1/.test(lines), 3000, 'RELOADING=1')
    child.kill('SIGTERM')
    await until(() => /STOPPING=1/.test(lines), 3000, 'STOPPING=1')
    const code = await new Promise(resolve => child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve))
    T.eq(code, 0, 'exit 0')
  } finally {
    child.kill('SIGKILL'); listener.kill('SIGKILL')
  }
})
await T.test("io-server's flags: -m 1|2|3 prints its tables, -a answers only the listed APIs, a bare -f logs in the working directory", async () => {
  const ws = await freePort()
  const dir = f('fdir'); fs.mkdirSync(dir)
  const child = spawn(path.resolve(bin), ['-l', `127.0.0.1:${ws}`, '-D', 'm.db', '-c', '', '-m', '2', '--monitor-period', '1000',
    '-a', 'reply', '-f'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', x => { out += x }); child.stderr.on('data', () => {})
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
  process.on('exit', () => child.kill('SIGKILL'))
  try {
    await until(() => canConnect(ws), 5000, 'iosd to accept')
    const io = new IO(`ws://127.0.0.1:${ws}`); await ready(io)
    await io.subscribe_promise('room')
    await until(() => out.includes(`:${io.cid}(7)'`), 4000, 'the client in the -m 2 table, "#ssid:cid(state)"')
    T.ok(/monitor metric type: 2/.test(out), 'the type line')
    T.ok(/│ \(index\) │ +Values +│/.test(out) && out.includes('┌') && out.includes('└'), "console.table's frame")
    const echo = await io.req('reply', 'echo', 'hi')
    T.eq(echo.status, 0, '-a reply: echo answers')
    const sudo = await io.req('sudo', 'cid').then(() => null, e => e)
    T.eq(sudo && sudo.status, 255, '-a reply: sudo is an unknown target')
    io.stop()
    await until(() => fs.existsSync(path.join(dir, 'connection.log')), 3000, 'connection.log')
    T.ok(['connection.log', 'auth.log', 'attack.log'].every(n => fs.existsSync(path.join(dir, n))),
      'a bare -f writes the three log files in the working directory')
  } finally { child.kill('SIGTERM'); T.eq(await exited, 0, 'exit 0') }
  for (const [m, re, what] of [['1', /│ +lastSSID +│ +remotes +│ +channels +│ +txBytes +│ +rxBytes +│/, 'traffic'],
    ['3', /'CH:room'/, 'channels']]) {
    const p = await freePort()
    const c = spawn(bin, ['-l', `127.0.0.1:${p}`, '-D', f(`m${m}.db`), '-c', '', '-m', m, '--monitor-period', '1000'],
      { stdio: ['ignore', 'pipe', 'ignore'] })
    let o = ''
    c.stdout.on('data', x => { o += x })
    const ex = new Promise(resolve => c.once('exit', resolve))
    try {
      await until(() => canConnect(p), 5000, 'iosd to accept')
      const io = new IO(`ws://127.0.0.1:${p}`); await ready(io); await io.subscribe_promise('room')
      await until(() => re.test(o), 4000, `-m ${m} table`)
      T.ok(true, `-m ${m}: the ${what} table`)
      io.stop()
    } finally { c.kill('SIGTERM'); await ex }
  }
  const h = run(['--help'])
  T.ok(/-m, --metric/.test(h.stdout) && /-a, --api-list/.test(h.stdout) && /From io-server/.test(h.stdout),
    '--help names -m, -a and what replaces the rest')
  T.eq(run(['-l', '1', '-a', 'nosuch']).status, 2, 'an unknown API: exit 2')
})

T.done()
process.exit()

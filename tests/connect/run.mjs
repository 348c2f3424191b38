// iosctl connect, the io-client of iosctl, against the real daemon: the
// reference README's io-client walkthrough scripted with two non-interactive
// iosctl connect processes, unicast with the npm client both ways, payload
// types, login (ws and cong) with a device from iosctl enroll, ENC_488 with a
// logged-in npm client, wss with a CA made by certtool, reconnection after
// the daemon restarts, the -t keepalive, exit statuses, line editing in tmux,
// and the same walkthrough against the reference server.
//
//   node tests/connect/run.mjs [--bin build/iosd] [--ctl build/iosctl]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { IO, IOCongSocket } from 'iosignal'
import { startDaemon, freePort, canConnect, tap, until, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, def) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : def
const bin = opt('--bin', 'build/iosd')
const ctl = path.resolve(opt('--ctl', path.join(path.dirname(bin), 'iosctl')))
const here = path.dirname(fileURLToPath(import.meta.url))
const T = tap({ timeout: 40000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosctl-connect-'))
const f = name => path.join(tmp, name)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const running = new Set()
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL')
  fs.rmSync(tmp, { recursive: true, force: true })
})

// One `iosctl connect` process, its standard input a pipe (so not a
// terminal: the non-interactive mode). Lines of its output are kept;
// line(re) and event(pred) wait for the next one that matches, in order.
class Session {
  constructor (args, opts = {}) {
    this.c = spawn(ctl, ['connect', ...args], {
      env: { ...process.env, NO_COLOR: '1', ...(opts.env || {}) },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    running.add(this.c)
    this.out = ''; this.err = ''; this.lines = []; this.next = 0; this.wake = () => {}
    let part = ''
    this.c.stdout.on('data', d => {
      this.out += d; part += d
      let i
      while ((i = part.indexOf('\n')) >= 0) { this.lines.push(part.slice(0, i)); part = part.slice(i + 1) }
      this.wake()
    })
    this.c.stderr.on('data', d => { this.err += d; this.wake() })
    this.c.stdin.on('error', () => {})
    this.exited = new Promise(resolve => this.c.once('close', (code, sig) => {
      running.delete(this.c); this.gone = true; this.wake()
      resolve({ code: sig ? 128 : code, out: this.out, err: this.err })
    }))
  }

  send (...lines) { for (const l of lines) this.c.stdin.write(l + '\n') }
  end () { this.c.stdin.end() }

  // The next line (from the last one matched on) for which test(line) is
  // true; its value.
  async find (test, ms, what) {
    const end = Date.now() + ms
    for (;;) {
      while (this.next < this.lines.length) {
        const v = test(this.lines[this.next++])
        if (v) return v
      }
      if (this.gone) throw new Error(`exited before ${what}:\n${this.out}${this.err}`)
      const left = end - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}; output:\n${this.out}${this.err}`)
      await new Promise(resolve => { const t = setTimeout(resolve, left); this.wake = () => { clearTimeout(t); resolve() } })
    }
  }

  line (re, ms = 8000) { return this.find(l => re.exec(l), ms, String(re)) }

  event (pred, ms = 8000, what = 'an event') {
    return this.find(l => {
      let j
      try { j = JSON.parse(l) } catch { return null }
      return pred(j) ? j : null
    }, ms, what)
  }

  async exit (ms = 8000) {
    let t
    const r = await Promise.race([this.exited, new Promise((resolve, reject) => {
      t = setTimeout(() => { this.c.kill('SIGKILL'); reject(new Error(`no exit; output:\n${this.out}${this.err}`)) }, ms)
    })])
    clearTimeout(t)
    return r
  }

  kill (sig = 'SIGTERM') { this.c.kill(sig) }
}

// Runs iosctl to its end, input given at once.
function run (args, input = '', ms = 10000) {
  const s = new Session(args)
  s.c.stdin.end(input)
  return s.exit(ms)
}

const iosctl = (...args) => spawnSync(ctl, args, { encoding: 'utf8', timeout: 10000 })
const npm = (url, id, key) => {
  const io = url.startsWith('cong:') ? new IOCongSocket(url) : new IO(url)
  if (id) io.auth(id, key)
  return io
}
const nextOn = (io, ev, ms = 5000) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`npm client: no '${ev}'`)), ms)
  io.once(ev, (...a) => { clearTimeout(t); resolve(a) })
})
const transcript = (name, text) => {
  process.stdout.write(`# --- ${name}\n`)
  for (const l of text.trimEnd().split('\n')) process.stdout.write(`#   ${l}\n`)
}

const dir = f('d'); fs.mkdirSync(dir, { mode: 0o700 })
const sock = path.join(dir, 'ctl.sock'); const db = path.join(dir, 'iosd.db')
const daemonArgs = ['-D', db, '-c', sock, '--auth-fail-delay', '100']
let d = await startDaemon(bin, daemonArgs)
const ws = () => `ws://127.0.0.1:${d.ws}`
const cong = () => `cong://127.0.0.1:${d.cong}`
const metrics = () => JSON.parse(iosctl('-c', sock, '--json', 'metrics').stdout)

try {
  await T.test('--help, usage errors exit 2, a listener that is not there exits 3', async () => {
    const h = iosctl('connect', '--help')
    T.eq(h.status, 0, '--help exit'); T.ok(/usage: iosctl connect/.test(h.stdout) && /\.sig/.test(h.stdout), 'usage')
    T.ok(/connect\s+an interactive IOSignal client/.test(iosctl('help').stdout), 'in the command list')
    for (const [args, what] of [[['-i', 'x'], '-i without -k'], [['-a', 'nodot'], '-a without ID.KEY'],
      [['--bogus'], 'an unknown option'], [['ftp://x:1'], 'another scheme'], [['cong://x'], 'cong without a port'],
      [['ws://h:99999'], 'a bad port'], [['-t', 'x'], 'a bad -t'], [['-i', 'longer-than-8', '-k', 'k'], 'an id over 8 bytes'],
      [['a:1', 'b:2'], 'two URLs']]) {
      const r = await run(args)
      T.eq(r.code, 2, `${what}: exit 2 (${r.err.trim()})`)
    }
    const port = await freePort()
    const r = await run([`127.0.0.1:${port}`], '.id\n')
    T.eq(r.code, 3, 'nothing listening: exit 3')
    T.ok(/cannot connect to ws:\/\/127\.0\.0\.1:\d+: .*refused/i.test(r.err), r.err.trim())
    const j = await run(['--json', `cong://127.0.0.1:${port}`])
    T.eq(j.code, 3, '--json: exit 3'); T.eq(j.err, '', '--json: nothing on stderr')
    const e = JSON.parse(j.out.trim().split('\n').pop())
    T.eq(e.error && e.error.code, 'unreachable', '--json: {"error":{"code":"unreachable"}}')
    // -j after the command joins a channel; --json before it is iosctl's.
    const g = spawnSync(ctl, ['--json', 'connect', '-j', 'x', `cong://127.0.0.1:${port}`], { encoding: 'utf8' })
    T.eq(g.status, 3, 'iosctl --json connect -j x: exit 3')
    T.ok(/"code":"unreachable"/.test(g.stdout) && g.stderr === '', 'the global --json holds')
    const h2 = spawnSync(ctl, ['connect', '-j', 'x', `cong://127.0.0.1:${port}`], { encoding: 'utf8', input: '' })
    T.ok(h2.status === 3 && /^iosctl: cannot connect/.test(h2.stderr) && /^Connecting to/.test(h2.stdout),
      '-j is not --json after the command: ' + h2.stderr.trim())
  })

  await T.test("the README's io-client walkthrough: A subscribes, B signals the channel and A's CID", async () => {
    // client A: io -c localhost:PORT; .subscribe channel_name
    const a = new Session([`localhost:${d.ws}`])
    const cidA = (await a.line(/^ready: cid: (\S+)$/))[1]
    T.ok(/^\?[\w-]{4}$/.test(cidA), `A's anonymous CID ${cidA}`)
    a.send('.subscribe channel_name')
    await a.line(/^subscribed: channel_name$/)
    // client B: .signal channel_name some_message; .signal CID@ direct_message
    const b = await run([`localhost:${d.ws}`], `.signal channel_name some_message\n.signal ${cidA}@ direct_message\n`)
    T.eq(b.code, 0, 'B exits 0 at the end of its input')
    T.ok(b.out.startsWith(`Connecting to ws://localhost:${d.ws}\n`), 'B: Connecting to ws://localhost:PORT')
    T.ok(/^ready: cid: \?[\w-]{4}$/m.test(b.out), 'B: ready: cid: ?xxxx')
    await a.line(/^-message: channel_name some_message$/)
    await a.line(/^CID Message: @ direct_message$/)
    a.send('.quit')
    const ra = await a.exit()
    T.eq(ra.code, 0, 'A: .quit exits 0')
    transcript('client A (iosctl connect localhost:PORT)', ra.out)
    transcript('client B', b.out)
  })

  await T.test('every payload type, as the npm client sends and shows them (cong, --json)', async () => {
    const a = new Session(['--json', cong(), '-j', 'types'])
    await a.event(e => e.event === 'subscribed' && e.tags === 'types')
    const io = await ready(npm(ws()))
    io.signal('types', 'plain text'); io.signal('types', { a: 1 }); io.signal('types', 'x', 2)
    io.signal('types', new Uint8Array([1, 2, 255])); io.signal('types')
    io.signal('types', new Uint8Array([7]), 'with bytes')
    const got = []
    for (let i = 0; i < 6; i++) got.push(await a.event(e => e.event === 'signal'))
    const by = t => got.filter(g => g.type === t)
    T.eq(by('text')[0]?.data, 'plain text', 'TEXT: the string, without its NUL')
    T.eq(JSON.stringify(by('object')[0]?.data), '{"a":1}', 'OBJECT: the object')
    T.eq(JSON.stringify(by('mjson')[0]?.data), '["x",2]', 'MJSON: the arguments')
    T.eq(by('binary')[0]?.data, '0102ff', 'BINARY: hex')
    T.eq(by('empty')[0]?.data, null, 'EMPTY: null')
    T.eq(JSON.stringify(by('mba')[0]?.data), '[{"hex":"07"},"with bytes"]', 'MBA: the unpacked arguments')
    T.ok(got.every(g => g.tag === 'types' && g.unicast === false && g.encrypted === false), 'tag, channel, plain')
    // And what iosctl sends, as the npm client receives it.
    const b = new Session([ws()])
    await b.line(/^ready:/)
    const seen = []
    io.subscribe('back'); io.on('back', (...v) => seen.push(v))
    await sleep(100)
    b.send('.sig back one text line', '.json back {"k":[1,2]}', '.json back ["a",1]', '.bin back 00ff', '.sig back')
    await until(() => seen.length >= 5, 5000, 'five signals at the npm client')
    T.eq(seen[0][0], 'one text line', '.sig: the rest of the line, one TEXT')
    T.eq(JSON.stringify(seen[1][0]), '{"k":[1,2]}', '.json object: OBJECT')
    T.eq(JSON.stringify(seen[2].slice(0, 2)), '["a",1]', '.json array: MJSON arguments')
    T.eq(Buffer.from(seen[3][0]).toString('hex'), '00ff', '.bin: BINARY')
    T.eq(seen[4][0], null, '.sig TAG: EMPTY')
    b.send('.quit'); T.eq((await b.exit()).code, 0, 'B quits')
    io.stop(); a.kill(); await a.exit()
  })

  await T.test('unicast with the npm client both ways (ws and cong); human output as the io-client prints it', async () => {
    for (const url of [ws(), cong()]) {
      const io = await ready(npm(url))
      const a = new Session([url])
      const cid = (await a.line(/^ready: cid: (\S+)$/))[1]
      const got = nextOn(io, '@')
      a.send(`.sig ${io.cid}@chat hello npm`)
      const [msg, tag] = await got
      T.eq(msg, 'hello npm', `${url.slice(0, 4)}: the npm client got the text`); T.eq(tag, '@chat', 'retagged @chat')
      io.signal(`${cid}@`, 'hello iosctl')
      await a.line(/^CID Message: @ hello iosctl$/)
      io.signal(`${cid}@topic`, { n: 1 })
      await a.line(/^CID Message: @topic \{"n":1\}$/)
      a.send('.id')
      await a.line(new RegExp(`^state: ready cid: ${cid.replace('?', '\\?')} level: 3$`))
      a.send('.iam me', '.ping')
      await a.line(/^<IAM_RES> \{.*"nick":"me".*\}$/)
      await a.line(/^pong: \d+ ms$/)
      a.end()
      T.eq((await a.exit()).code, 0, 'the end of input: exit 0')
      io.stop()
    }
  })

  let key
  await T.test('login with a device from iosctl enroll: -i/-k over ws, -a over cong, .login; a wrong key exits 1', async () => {
    const en = JSON.parse(iosctl('-c', sock, '--json', 'enroll', 'dev1', '--cid', 'dev1cid', '--level', '2').stdout)
    key = en.key
    T.ok(typeof key === 'string' && key.length > 10, 'enrolled')
    const a = new Session(['-i', 'dev1', '-k', key, ws()])
    await a.line(/^login: dev1$/)
    await a.line(/^>> QUOTA_LEVEL : 2$/)
    await a.line(/^current quota: \{"signalSize":65535,"publishCounter":10,"trafficRate":1048576\}$/)
    await a.line(/^Boho authorized\. TLS: false$/)
    await a.line(/^ready: cid: dev1cid$/)
    a.send('.id'); await a.line(/^state: ready cid: dev1cid level: 2$/)
    a.send('.quit'); T.eq((await a.exit()).code, 0, 'ws login: exit 0')
    const b = await run(['--json', '-a', `dev1.${key}`, cong()], '.id\n')
    const ev = b.out.trim().split('\n').map(l => JSON.parse(l))
    T.eq(b.code, 0, 'cong -a: exit 0')
    T.ok(ev.some(e => e.event === 'authorized' && e.encrypted === true), 'authorized, ENC_488 on')
    T.ok(ev.some(e => e.event === 'id' && e.cid === 'dev1cid' && e.login === 'dev1' && e.encrypted), '.id: the device CID')
    // .login after an anonymous start: the reference's lines
    const c = await run([ws()], `.login dev1 ${key}\n.id\n`)
    T.eq(c.code, 0, '.login: exit 0')
    T.ok(/^ready: cid: \?[\w-]{4}\ntry manual login: dev1\n>> QUOTA_LEVEL : 2\ncurrent quota: .*\nBoho authorized\. TLS: false\nready: cid: dev1cid\nstate: ready cid: dev1cid level: 2$/m.test(c.out),
      'anonymous, then the reference lines, then the device CID:\n' + c.out)
    const bad = await run(['-i', 'dev1', '-k', 'wrong', ws()], '.id\n')
    T.eq(bad.code, 1, 'a wrong key: exit 1'); T.ok(/Boho auth_fail\./.test(bad.out) && /login refused/.test(bad.err), bad.err.trim())
    T.ok(!/state:/.test(bad.out), 'nothing after the refusal ran')
    const badj = await run(['--json', ws()], '.login nobody nokey\n.id\n')
    T.eq(badj.code, 1, '.login refused: exit 1')
    T.ok(badj.out.includes('"event":"auth_fail"'), 'an auth_fail event')
    // The same device logs in twice: the server ends the old login
    // (SERVER_CLEAR_AUTH), which does not fight back; the new one retries.
    const first = new Session(['--json', '-i', 'dev1', '-k', key, ws()])
    await first.event(e => e.event === 'ready')
    const second = new Session(['--json', '-i', 'dev1', '-k', key, cong()])
    await first.event(e => e.event === 'auth_clear')
    T.eq((await first.exit()).code, 1, 'the old session: auth_clear, exit 1')
    const r2 = await second.event(e => e.event === 'ready', 10000, 'the new one ready')
    T.eq(r2.cid, 'dev1cid', 'the new one gets in when it tries again')
    second.send('.quit'); T.eq((await second.exit()).code, 0, 'exit 0')
  })

  await T.test('ENC_488: iosctl logged in and a logged-in npm client, each way, decrypted', async () => {
    const en = JSON.parse(iosctl('-c', sock, '--json', 'enroll', 'npm1', '--level', '3').stdout)
    const io = npm(ws(), 'npm1', en.key)
    const types = []
    io.on('socket_data', m => types.push(m[0]))
    await ready(io)
    const before = metrics()
    const a = new Session(['--json', '-i', 'dev1', '-k', key, cong()])
    const r = await a.event(e => e.event === 'ready')
    T.eq(r.cid, 'dev1cid', 'logged in')
    const got = nextOn(io, '@')
    a.send(`.sig ${io.cid}@ secret words`)
    T.eq((await got)[0], 'secret words', 'the npm client decrypted it')
    T.ok(types.includes(0xb8), 'it came to the npm client as ENC_488')
    io.signal('dev1cid@', 'to iosctl')
    const s = await a.event(e => e.event === 'signal')
    T.eq(s.data, 'to iosctl', 'iosctl decrypted it'); T.eq(s.encrypted, true, 'it came as ENC_488')
    const after = metrics()
    const enc = k => (after.messages_in.ENC_488?.count || 0) - (before.messages_in.ENC_488?.count || 0)
    T.ok(enc() >= 2, `iosctl sent ENC_488 (${enc()} more in)`)
    T.eq(after.drops.decrypt_failed, 0, 'none failed to decrypt')
    a.send('.quit'); await a.exit(); io.stop()
  })

  await T.test('wss: a CA made with certtool (--ca), refused without it, --insecure; login without ENC_488 over TLS', async () => {
    const ct = (...args) => {
      const r = spawnSync('certtool', args, { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`certtool ${args.join(' ')}: ${r.stderr}`)
    }
    const tmpl = (name, lines) => { fs.writeFileSync(f(name), lines.join('\n') + '\n'); return f(name) }
    ct('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('ca.key'))
    ct('--generate-self-signed', '--load-privkey', f('ca.key'), '--template',
      tmpl('ca.tmpl', ['cn = "connect test root"', 'ca', 'cert_signing_key', 'expiration_days = 2']), '--outfile', f('ca.pem'))
    ct('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('leaf.key'))
    ct('--generate-certificate', '--load-privkey', f('leaf.key'), '--load-ca-certificate', f('ca.pem'),
      '--load-ca-privkey', f('ca.key'), '--template', tmpl('leaf.tmpl', ['cn = "localhost"', 'dns_name = "localhost"',
        'ip_address = "127.0.0.1"', 'tls_www_server', 'signing_key', 'encryption_key', 'expiration_days = 2']),
      '--outfile', f('leaf.pem'))
    const tdir = f('t'); fs.mkdirSync(tdir, { mode: 0o700 })
    const tsock = path.join(tdir, 'ctl.sock')
    const td = await startDaemon(bin, ['-D', path.join(tdir, 'db'), '-c', tsock, '-W', '127.0.0.1:0', '--tls-cert', f('leaf.pem'),
      '--tls-key', f('leaf.key'), '-e', 'tls1.key1.2'])
    try {
      const st = JSON.parse(spawnSync(ctl, ['-c', tsock, '--json', 'status'], { encoding: 'utf8' }).stdout)
      const port = st.listeners.find(l => l.transport === 'wss').port
      const ok = await run([`wss://localhost:${port}`, '--ca', f('ca.pem')], '.id\n')
      T.eq(ok.code, 0, '--ca: exit 0'); T.ok(/^state: ready cid: \?/m.test(ok.out), 'ready over wss:\n' + ok.out + ok.err)
      const ip = await run([`wss://127.0.0.1:${port}`, '--ca', f('ca.pem')], '.id\n')
      T.eq(ip.code, 0, 'by address: the certificate names 127.0.0.1 too')
      const no = await run([`wss://localhost:${port}`], '.id\n')
      T.eq(no.code, 3, 'the system store does not trust it: exit 3')
      T.ok(/not trusted/.test(no.err) && /--ca|--insecure/.test(no.err), no.err.trim())
      const ins = await run([`wss://localhost:${port}`, '--insecure'], '.id\n')
      T.eq(ins.code, 0, '--insecure: exit 0')
      const li = await run(['--json', `wss://localhost:${port}`, '--ca', f('ca.pem'), '-a', 'tls1.key1'], '.id\n')
      const ev = li.out.trim().split('\n').map(l => JSON.parse(l))
      T.ok(ev.some(e => e.event === 'authorized' && e.tls === true && e.encrypted === false), 'logged in, TLS, no ENC_488')
      T.ok(ev.some(e => e.event === 'id' && e.cid === 'tls1' && e.encrypted === false), '.id')
      const m = JSON.parse(spawnSync(ctl, ['-c', tsock, '--json', 'metrics'], { encoding: 'utf8' }).stdout)
      T.ok(!m.messages_in.ENC_488 && !m.messages_out.ENC_488, 'no ENC_488 either way under TLS')
    } finally { await td.stop() }
  })

  await T.test('the daemon restarts: reconnects with backoff, says so, logs in and subscribes again', async () => {
    const a = new Session(['--json', '-i', 'dev1', '-k', key, '-j', 'room', ws()])
    await a.event(e => e.event === 'subscribed' && e.tags === 'room')
    const h = new Session([ws()])
    await h.line(/^ready:/)
    const { ws: wsPort, cong: congPort } = d
    await d.stop()
    const closed = await a.event(e => e.event === 'closed')
    T.ok(closed.reason.length > 0, 'closed: ' + closed.reason)
    const re = await a.event(e => e.event === 'reconnecting')
    T.eq(re.attempt, 1, 'attempt 1'); T.ok(re.in_ms >= 300 && re.in_ms <= 700, `after ${re.in_ms} ms`)
    await a.event(e => e.event === 'reconnecting' && e.attempt === 2, 5000, 'a second attempt')
    await h.line(/^closed: /); await h.line(/^reconnecting in \d+\.\d s \(attempt 1\)$/)
    d = await startDaemon(bin, daemonArgs, { ws: wsPort, cong: congPort })
    const r = await a.event(e => e.event === 'ready', 15000, 'ready again')
    T.eq(r.cid, 'dev1cid', 'logged in again'); T.eq(r.id, 'dev1', 'as dev1')
    await a.event(e => e.event === 'subscribed' && e.tags === 'room', 5000, 'room subscribed again')
    await h.line(/^ready: cid: /, 15000)
    const io = await ready(npm(ws()))
    io.signal('room', 'after the restart')
    const s = await a.event(e => e.event === 'signal')
    T.eq(s.data, 'after the restart', 'the channel works again'); T.eq(s.encrypted, true, 'encrypted again')
    a.send('.quit'); h.send('.quit')
    T.eq((await a.exit()).code, 0, 'exit 0'); T.eq((await h.exit()).code, 0, 'exit 0')
    io.stop()
  })

  await T.test('--no-reconnect and --retries: exit 3 when the connection is lost for good', async () => {
    const x = await startDaemon(bin, ['-D', f('x.db')])
    const a = new Session([`ws://127.0.0.1:${x.ws}`, '--no-reconnect'])
    const b = new Session([`cong://127.0.0.1:${x.cong}`, '--retries', '2'])
    await a.line(/^ready:/); await b.line(/^ready:/)
    await x.stop()
    const ra = await a.exit()
    T.eq(ra.code, 3, '--no-reconnect: exit 3'); T.ok(/lost/.test(ra.err), ra.err.trim())
    const rb = await b.exit(15000)
    T.eq(rb.code, 3, '--retries 2: exit 3'); T.ok(/gave up after 2 reconnections/.test(rb.err), rb.err.trim())
    T.eq(rb.out.match(/^reconnecting in/mg)?.length, 2, 'two reconnections said')
  })

  await T.test('-t MS: a server that stops answering is given up after 2*MS, and found again', async () => {
    const x = await startDaemon(bin, ['-D', f('y.db')])
    const a = new Session(['--json', '-t', '300', `ws://127.0.0.1:${x.ws}`])
    await a.event(e => e.event === 'ready')
    await sleep(1000)
    T.ok(!a.out.includes('"closed"'), 'a server that answers keeps the connection (pings)')
    process.kill(x.pid, 'SIGSTOP')
    try {
      const c = await a.event(e => e.event === 'closed', 5000)
      T.ok(/no answer for 600 ms/.test(c.reason), c.reason)
    } finally { process.kill(x.pid, 'SIGCONT') }
    await a.event(e => e.event === 'ready', 15000, 'ready again')
    a.kill('SIGTERM')
    T.eq((await a.exit()).code, 0, 'SIGTERM: exit 0')
    await x.stop()
  })

  await T.test('--count and --duration end a listener; .close and .open; .unsub', async () => {
    const a = new Session(['--json', '--count', '2', '-j', 'cnt', cong()])
    a.end()		// no more input: --count ends it
    await a.event(e => e.event === 'subscribed')
    const io = await ready(npm(ws()))
    io.signal('cnt', 'one'); io.signal('cnt', 'two'); io.signal('cnt', 'three')
    const r = await a.exit()
    T.eq(r.code, 0, '--count 2: exit 0')
    T.eq(r.out.split('\n').filter(l => l.includes('"event":"signal"')).length, 2, 'two signals printed')
    const t0 = Date.now()
    const du = await run(['--duration', '0.5', ws()], '')
    T.ok(du.code === 0 && Date.now() - t0 < 5000, '--duration 0.5: exit 0')
    const b = await run([ws()], `.sub x\n.close\n.sig x nope\n.open\n.unsub x\n.id\n`)
    T.eq(b.code, 0, 'exit 0')
    T.ok(/^closed$/m.test(b.out) && /not ready \(closed\)/.test(b.err), '.close, then .sig is refused:\n' + b.out + b.err)
    T.ok(/unsubscribed: x/.test(b.out) && /state: ready/.test(b.out), '.open connects again')
    T.eq(b.out.match(/^Connecting to /mg)?.length, 2, 'twice')
    const u = await run([ws()], '.nonsense\nplain words\n# a comment\n.help\n')
    T.eq(u.code, 0, 'unknown commands are reported, not fatal')
    T.ok(/unknown command \.nonsense/.test(u.err) && /not a command/.test(u.err), u.err.trim())
    T.ok(/\.sig \.signal \.pub \.publish/.test(u.out), '.help lists the commands')
    io.stop()
  })

  await T.test('interactive, in tmux: line editing, history, a signal printed above the line being typed', async () => {
    if (spawnSync('tmux', ['-V']).status !== 0) { process.stdout.write('# skipped: no tmux\n'); return }
    const sockT = f('tmux.sock')
    const tmux = (...args) => spawnSync('tmux', ['-S', sockT, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10000 })
    const screen = () => tmux('capture-pane', '-p', '-t', 'c').stdout
    tmux('new-session', '-d', '-s', 'c', '-x', '100', '-y', '20',
      `${ctl} connect ${ws()} -j tty; echo EXIT=$?; sleep 60`)
    try {
      await until(() => /subscribed: tty/.test(screen()), 8000, 'subscribed in tmux')
      tmux('send-keys', '-t', 'c', '.id', 'Enter')
      await until(() => /state: ready cid: \S+ level: 3/.test(screen()), 5000, '.id answered')
      tmux('send-keys', '-t', 'c', '.sig tty half-typ')
      await until(() => /> \.sig tty half-typ/.test(screen()), 5000, 'typing')
      const io = await ready(npm(ws()))
      io.signal('tty', 'from elsewhere')
      await until(() => /-message: tty from elsewhere\n> \.sig tty half-typ/.test(screen()), 5000,
        'the signal above, the line redrawn below it:\n' + screen())
      tmux('send-keys', '-t', 'c', 'ed', 'Enter')
      tmux('send-keys', '-t', 'c', 'Up')
      await until(() => /\n> \.sig tty half-typed\s*$/.test(screen().trimEnd()), 5000, 'history: Up recalls it')
      tmux('send-keys', '-t', 'c', 'C-u', '.quit', 'Enter')
      await until(() => /EXIT=0/.test(screen()), 5000, '.quit exits 0')
      io.stop()
    } finally { tmux('kill-server') }
  })

  await T.test('the reference server: the walkthrough over ws and cong, .iam, .ping', async () => {
    const wsPort = await freePort(); const congPort = await freePort()
    const ref = spawn(process.execPath, [path.join(here, '..', 'interop', 'ref-server.mjs'), '--ws', wsPort, '--cong', congPort],
      { stdio: 'ignore' })
    running.add(ref)
    try {
      await until(async () => (await canConnect(wsPort)) && (await canConnect(congPort)), 8000, 'the reference server')
      for (const [aUrl, bUrl] of [[`localhost:${wsPort}`, `cong://127.0.0.1:${congPort}`],
        [`cong://127.0.0.1:${congPort}`, `localhost:${wsPort}`]]) {
        const a = new Session([aUrl])
        const cid = (await a.line(/^ready: cid: (\S+)$/))[1]
        a.send('.subscribe channel_name')
        await a.line(/^subscribed: channel_name$/)
        const b = await run([bUrl], `.signal channel_name some_message\n.signal ${cid}@ direct_message\n`)
        T.eq(b.code, 0, `${bUrl}: B exits 0`)
        await a.line(/^-message: channel_name some_message$/)
        await a.line(/^CID Message: @ direct_message$/)
        a.send('.iam ref', '.ping')
        await a.line(/^<IAM_RES> \{.*"nick":"ref"/)
        await a.line(/^pong: \d+ ms$/)
        a.send('.quit'); T.eq((await a.exit()).code, 0, `${aUrl}: A exits 0`)
      }
    } finally { ref.kill('SIGKILL') }
  })
} finally {
  const r = await d.stop()
  await T.test('the daemon exits 0', async () => { T.eq(r.code, 0, 'exit status') })
}
T.done()
process.exit()

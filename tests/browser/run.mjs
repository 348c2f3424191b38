// The browser, for real: Debian's Chromium, headless, driven by the npm
// playwright-core (no browser download), loads a test page from a small
// HTTP server on loopback; the page loads the npm iosignal@2.2.1 browser
// bundle (dist/io.min.js, which defines window.IO) and talks to iosd over
// ws:// and wss:// (a CA made here with certtool, trusted in Chromium by
// the server key's SPKI hash): subscribe, publish every payload type,
// CID unicast, Boho login (devices from -e), a wrong key; then the sigver
// use case: two pages signal a WebRTC connection through iosd only
// (offer, answer and ICE by CID unicast), its data channel carries
// messages both ways over 127.0.0.1, and the callee learns that the
// caller left from its subscription to CID@state. Screenshots are left in
// <build>/browser/ for the reader; the test asserts on the DOM and the data
// channel. Without Chromium or playwright-core the suite fails.
//
//   node tests/browser/run.mjs [--bin build/iosd] [--chromium /usr/bin/chromium]
import fs from 'node:fs'
import os from 'node:os'
import http from 'node:http'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startDaemon, freePort, canConnect, tap, until } from '../lib/daemon.mjs'

const t0 = Date.now()
const argv = process.argv.slice(2)
const opt = (name, def) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : def
const bin = opt('--bin', 'build/iosd')
const chromiumPath = opt('--chromium', '/usr/bin/chromium')
const shots = path.join(path.dirname(bin), 'browser')
const here = path.dirname(fileURLToPath(import.meta.url))
const dist = path.join(here, '..', 'node_modules', 'iosignal', 'dist')
const T = tap({ timeout: 45000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-browser-'))
const f = name => path.join(tmp, name)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
// A timer that does not keep the process alive.
const later = ms => new Promise(resolve => setTimeout(resolve, ms).unref())
const took = () => `# the browser suite took ${((Date.now() - t0) / 1000).toFixed(1)} s`

let browser = null
let server = null
let daemon = null
async function cleanup () {
  if (browser) await Promise.race([browser.close().catch(() => {}), later(10000)])
  browser = null
  if (server) { server.close(); server.closeAllConnections() }
  server = null
  if (daemon) await daemon.stop()
  daemon = null
}
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
// The whole suite is bounded: past this, it fails and cleans up.
const watchdog = setTimeout(async () => {
  process.stdout.write('not ok - the suite exceeded 240 s\n# 0 passed, 1 failed\n')
  process.exitCode = 1
  await Promise.race([cleanup(), later(15000)])
  process.exit(1)
}, 240000)
watchdog.unref()

// A missing browser is a failure, never a silent skip.
let chromium
const missing = []
if (!fs.existsSync(chromiumPath)) missing.push(`${chromiumPath} not found (tests/install-deps.sh installs Debian's chromium)`)
try {
  ({ chromium } = await import('playwright-core'))
} catch (e) {
  missing.push(`playwright-core not installed (make npm-deps): ${e.message.split('\n')[0]}`)
}
if (missing.length) {
  await T.test('Chromium and playwright-core are installed', async () => { for (const m of missing) T.ok(false, m) })
  T.done()
  process.stdout.write(took() + '\n')
  process.exit(1)
}

function certtool (...args) {
  const r = spawnSync('certtool', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`certtool ${args.join(' ')}: ${r.stderr || r.error}`)
}
function template (name, lines) { fs.writeFileSync(f(name), lines.join('\n') + '\n'); return f(name) }
const served = [] // paths the page server was asked for
const pages = [] // every page a test opened, for the last test
const free = [] // browser contexts with a page, free for the next test
let spki, files, origin, wssPort, WS, WSS, flags, launchStart, launchMs
try {
  // ---- certificates: a CA and a leaf for 127.0.0.1 / localhost (certtool) ----
  certtool('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('ca.key'))
  certtool('--generate-self-signed', '--load-privkey', f('ca.key'), '--template',
    template('ca.tmpl', ['cn = "iosd browser test CA"', 'ca', 'cert_signing_key', 'expiration_days = 2']), '--outfile', f('ca.pem'))
  certtool('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('key.pem'))
  certtool('--generate-certificate', '--load-privkey', f('key.pem'), '--load-ca-certificate', f('ca.pem'),
    '--load-ca-privkey', f('ca.key'), '--template',
    template('leaf.tmpl', ['cn = "iosd browser test"', 'dns_name = "localhost"', 'ip_address = "127.0.0.1"',
      'tls_www_server', 'signing_key', 'encryption_key', 'expiration_days = 2']), '--outfile', f('leaf.pem'))
  fs.writeFileSync(f('cert.pem'), fs.readFileSync(f('leaf.pem'), 'utf8') + fs.readFileSync(f('ca.pem'), 'utf8'))
  // Chromium's --ignore-certificate-errors-spki-list: base64 of SHA-256 of
  // the server key's SubjectPublicKeyInfo (DER).
  spki = crypto.createHash('sha256')
    .update(new crypto.X509Certificate(fs.readFileSync(f('leaf.pem'))).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')

  // ---- the test page, on loopback ----
  files = {
    '/': [path.join(here, 'page.html'), 'text/html; charset=utf-8'],
    '/page.js': [path.join(here, 'page.js'), 'text/javascript; charset=utf-8'],
    '/iosignal/io.min.js': [path.join(dist, 'io.min.js'), 'text/javascript; charset=utf-8'],
    '/iosignal/io.min.js.map': [path.join(dist, 'io.min.js.map'), 'application/json']
  }
  server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname
    served.push(p)
    const file = files[p]
    if (p === '/favicon.ico') { res.writeHead(204); res.end(); return }
    if (!file || req.method !== 'GET') { res.writeHead(404); res.end(); return }
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' })
    res.end(fs.readFileSync(file[0]))
  })
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  origin = `http://127.0.0.1:${server.address().port}`

  // ---- iosd: ws, wss, cong on loopback; devices for the logins ----
  // Ports are chosen at run time; another program may take one between
  // the choice and iosd's bind, so a start that fails on it is retried.
  for (let attempt = 1; ; attempt++) {
    wssPort = await freePort()
    try {
      daemon = await startDaemon(bin, ['-D', f('iosd.db'), '-W', `127.0.0.1:${wssPort}`, '--tls-cert', f('cert.pem'),
        '--tls-key', f('key.pem'), '-e', 'webA.keyA.3,webB.keyB.12,webC.keyC.3', '--auth-fail-delay', '300'])
      await until(() => canConnect(wssPort), 5000, 'the wss listener')
      break
    } catch (e) {
      if (daemon) await daemon.stop()
      daemon = null
      if (attempt === 3 || !/in use/.test(e.message)) throw e
    }
  }
  WS = `ws://127.0.0.1:${daemon.ws}`
  WSS = `wss://127.0.0.1:${wssPort}`

  // ---- Chromium ----
  flags = [
    // trust the certtool-made server key for wss:// (the flag holds for
    // every connection, WebSockets included)
    `--ignore-certificate-errors-spki-list=${spki}`,
    // WebRTC host candidates as plain addresses, loopback included
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    // no name resolves: nothing but 127.0.0.1 is reachable by name or address
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--mute-audio'
  ]
  launchStart = Date.now()
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: flags, timeout: 60000 })
  launchMs = Date.now() - launchStart
  free.push(...await Promise.all([newSlot(), newSlot(), newSlot()]))
  process.stdout.write(`# set-up: certificates, page server, iosd, Chromium and 3 contexts in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
} catch (e) {
  await T.test('set-up: certificates (certtool), the page server, iosd, Chromium', async () => { throw e })
  await cleanup()
  T.done()
  process.stdout.write(took() + '\n')
  process.exit(1)
}

// Each page has a browser context of its own (as separate browsers: no
// shared storage, no channel between them but iosd). Camera and microphone
// are granted so that WebRTC gathers every interface, loopback included.
// Contexts are made once and reused: a test's page is a fresh load of the
// test page in a free one (a new context and renderer costs seconds on a
// loaded machine); closing it navigates to about:blank, which closes its
// WebSocket as leaving a site does.
async function newSlot () {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 900, height: 600 } })
  const page = await context.newPage()
  const slot = { context, page, p: null }
  page.on('pageerror', e => slot.p && slot.p.errors.push(`pageerror: ${e.message}`))
  page.on('console', m => { if (slot.p && m.type() === 'error') slot.p.errors.push(`console: ${m.text()}`) })
  page.on('request', r => slot.p && slot.p.requests.push(r.url()))
  page.on('websocket', ws => slot.p && slot.p.sockets.push(ws.url()))
  return slot
}
async function openPage (name) {
  const slot = free.pop() || await newSlot()
  const page = slot.page
  const p = slot.p = { name, page, errors: [], requests: [], sockets: [], closed: false }
  pages.push(p)
  await page.goto(`${origin}/?name=${encodeURIComponent(name)}`, { timeout: 30000 })
  await page.waitForFunction(() => window.app && window.IO, null, { timeout: 15000 })
  p.eval = (fn, arg) => page.evaluate(fn, arg)
  p.connect = (url, id, key) => page.evaluate(a => window.app.connect(a), { url, id, key })
  // connect, and stop the test at once unless the client became ready
  p.ready = async (url, id, key) => {
    const r = await p.connect(url, id, key)
    if (r.event !== 'ready') throw new Error(`${name}: ${url}${id ? ' as ' + id : ''}: ${r.event}, not ready`)
    return r
  }
  p.listen = tag => page.evaluate(t => window.app.listen(t), tag)
  p.send = (tag, ...args) => page.evaluate(([t, a]) => window.app.send(t, ...a), [tag, args])
  p.received = listen => page.evaluate(l => window.app.received(l), listen)
  p.text = sel => page.textContent(sel)
  p.close = async () => {
    if (p.closed) return
    p.closed = true
    await page.goto('about:blank', { timeout: 30000 })
    slot.p = null
    free.push(slot)
  }
  return p
}
// Waits, polling inside page p (not over the DevTools protocol), until
// fn(arg) is true there; fails naming what it waited for.
async function waitIn (p, fn, arg, what, ms = 15000) {
  try {
    await p.page.waitForFunction(fn, arg, { timeout: ms, polling: 50 })
  } catch (e) {
    throw new Error(`${p.name}: timed out after ${ms} ms waiting for ${what}`)
  }
}
// Waits until page p has received n signals on listen; returns them.
async function receive (p, listen, n, ms = 15000) {
  await waitIn(p, ([l, k]) => window.app.received(l).length >= k, [listen, n], `${n} signal(s) on ${listen}`, ms)
  return p.received(listen)
}
const args = r => r.map(x => x.args)
// The addresses of this host (loopback and its own interfaces).
const own = new Set(Object.values(os.networkInterfaces()).flat().map(i => i.address))
// T.test, and the time the test took as a TAP comment.
async function test (name, fn, ms) {
  const start = Date.now()
  await T.test(name, fn, ms)
  process.stdout.write(`#   (${((Date.now() - start) / 1000).toFixed(1)} s)\n`)
}
const json = v => JSON.stringify(v)
async function closeAll (list) { await Promise.all(list.map(p => p.close())) }

try {
  await test(`Chromium ${browser.version()} (headless, started in ${launchMs} ms) loads the page and the npm bundle dist/io.min.js: window.IO`, async () => {
    const A = await openPage('bundle')
    const v = await A.eval(() => ({
      type: typeof window.IO,
      version: window.IO.version,
      boho: typeof window.IO.Boho,
      sha: window.IO.Boho.sha256.hash('hi').length,
      signal: typeof window.IO.prototype.signal
    }))
    T.eq(v.type, 'function', 'IO is a class'); T.eq(v.version, '2.2.1', 'IO.version')
    T.eq(v.boho, 'function', 'IO.Boho'); T.eq(v.sha, 32, 'Boho SHA-256 runs in the page'); T.eq(v.signal, 'function', 'IO#signal')
    T.ok(/iosignal 2\.2\.1/.test(await A.text('#bundle')), 'the DOM names the bundle')
    T.ok(served.includes('/iosignal/io.min.js'), 'the bundle came from the loopback server')
    await A.close()
  })

  // Pages shared by the next three tests: A and B over ws://, C over wss://.
  let A, B, C
  await test('ws://: two pages get CIDs, subscribe, publish every payload type; each sees the other\'s, not its own', async () => {
    [A, B] = await Promise.all([openPage('A (ws)'), openPage('B (ws)')])
    const [a, b] = await Promise.all([A.ready(WS), B.ready(WS)])
    T.eq(a.event, 'ready', 'A ready'); T.eq(b.event, 'ready', 'B ready')
    T.ok(a.cid && b.cid && a.cid !== b.cid, `two CIDs (${a.cid}, ${b.cid})`)
    T.eq(await A.text('#cid'), a.cid, 'A shows its CID'); T.eq(await A.text('#state'), 'ready', 'A shows ready')
    T.ok(!a.security.isTLS && !a.security.useAuth, 'anonymous, no TLS')
    T.eq(await A.listen('news'), 0, 'A subscribed (SUBSCRIBE_REQ answered)')
    T.eq(await B.listen('news'), 0, 'B subscribed')
    const sent = [['text'], [42], [{ k: 'v', n: [1, 2] }], ['a', 2, { k: 3 }], [{ bin: [1, 2, 3, 255] }],
      ['mixed', { bin: [4, 5] }, 7], []]
    for (const s of sent) await A.send('news', ...s)
    await B.send('news', 'from B')
    const rb = await receive(B, 'news', sent.length)
    const want = [['text'], ['42'], [{ k: 'v', n: [1, 2] }], ['a', 2, { k: 3 }], [{ bin: [1, 2, 3, 255] }],
      ['mixed', { bin: [4, 5] }, 7], [null]]
    T.eq(json(args(rb)), json(want), 'B got TEXT, number as TEXT, OBJECT, MJSON, BINARY, MBA, EMPTY in order')
    T.ok(rb.every(r => r.tag === 'news'), 'on tag news')
    const ra = await receive(A, 'news', 1)
    await sleep(300)
    T.eq(json(args(await A.received('news'))), json([['from B']]), 'A got B\'s only, none of its own')
    T.eq((await B.received('news')).length, sent.length, 'B none of its own')
    T.eq(ra[0].tag, 'news', 'tag')
  })

  await test('wss:// (a certtool CA, trusted by SPKI): a wss page and the ws pages publish to each other', async () => {
    C = await openPage('C (wss)')
    const c = await C.ready(WSS)
    T.eq(c.event, 'ready', 'C ready over wss')
    T.ok(c.security.isTLS, 'the client knows it is on TLS')
    T.ok(/^TLS/.test(await C.text('#security')), 'the DOM shows TLS')
    T.eq(await C.listen('news'), 0, 'C subscribed')
    await A.send('news', 'from ws A to all')
    await C.send('news', { from: 'wss C' })
    const rc = await receive(C, 'news', 1)
    T.eq(json(args(rc)), json([['from ws A to all']]), 'C (wss) got A\'s (ws)')
    const rb = await receive(B, 'news', 9)
    T.eq(json(args(rb.slice(7)).map(json).sort()), json([['from ws A to all'], [{ from: 'wss C' }]].map(json).sort()),
      'B (ws) got both')
    const ra = await receive(A, 'news', 2)
    T.eq(json(ra[1].args), json([{ from: 'wss C' }]), 'A (ws) got C\'s (wss)')
  })

  await test('unicast CID@topic reaches that page only, ws to wss and back', async () => {
    const cidA = await A.text('#cid'); const cidB = await B.text('#cid'); const cidC = await C.text('#cid')
    for (const p of [A, B, C]) await p.listen('@direct')
    T.eq(await B.listen('direct'), 0, 'B also subscribes the channel "direct"')
    await A.send(`${cidC}@direct`, 'for C only')
    await C.send(`${cidA}@direct`, { reply: 'for A only' }, 2)
    await A.send('nobody-here@direct', 'lost')
    const rc = await receive(C, '@direct', 1)
    const ra = await receive(A, '@direct', 1)
    await sleep(400)
    T.eq(json(rc), json([{ tag: '@direct', args: ['for C only'] }]), 'C got it as @direct')
    T.eq(json(ra), json([{ tag: '@direct', args: [{ reply: 'for A only' }, 2] }]), 'A got the answer as @direct')
    T.eq((await B.received('@direct')).length, 0, `B (${cidB}) got no unicast`)
    T.eq((await B.received('direct')).length, 0, 'nor anything on the channel "direct"')
    T.eq((await C.received('@direct')).length, 1, 'C just the one')
    await closeAll([A, B, C])
  })

  await test('Boho login over ws://: auth() before open and login() after, the devices\' CIDs and levels, ENC_488 both ways; a wrong key gets AUTH_FAIL', async () => {
    const [D, E, F] = await Promise.all([openPage('webA (ws)'), openPage('webB (ws)'), openPage('wrong key')])
    const d = await D.ready(WS, 'webA', 'keyA')
    T.eq(d.event, 'ready', 'webA logged in at open'); T.eq(d.cid, 'webA', 'its CID'); T.eq(d.level, 3, 'level 3')
    T.ok(d.security.isAuthorized && d.security.usingEncryption, 'authorized; its signals are ENC_488 (no TLS)')
    const e0 = await E.ready(WS)
    T.eq(e0.event, 'ready', 'E anonymous first')
    const e = await E.eval(() => window.app.login('webB', 'keyB'))
    T.eq(e.event, 'ready', 'login() on the open connection'); T.eq(e.cid, 'webB', 'the CID changed to the device\'s')
    T.ok(e0.cid !== 'webB', `from ${e0.cid}`); T.eq(e.level, 12, 'level 12')
    T.eq(await E.text('#cid'), 'webB', 'the DOM shows it'); T.eq(await E.text('#level'), '12', 'and the level')
    T.ok(/logged in, ENC_488/.test(await E.text('#security')), 'the DOM shows logged in, ENC_488')
    T.eq(await D.listen('secure'), 0, 'webA subscribed (encrypted SUBSCRIBE_REQ)')
    T.eq(await E.listen('secure'), 0, 'webB subscribed')
    await E.listen('@direct')
    await D.send('secure', 'from webA, encrypted', { bin: [9, 8, 7] })
    await E.send('webA@direct', { to: 'webA by its CID' })
    await E.send('secure', 'from webB')
    const re = await receive(E, 'secure', 1)
    T.eq(json(re[0].args), json(['from webA, encrypted', { bin: [9, 8, 7] }]), 'webB got webA\'s (ENC_488 decrypted by Boho in the page)')
    const rd = await receive(D, 'secure', 1)
    T.eq(json(rd[0].args), json(['from webB']), 'webA got webB\'s')
    await D.listen('@direct')
    await E.send('webA@direct', 'unicast by device CID')
    const rdd = await receive(D, '@direct', 1)
    T.eq(json(rdd[0].args), json(['unicast by device CID']), 'unicast to webA@direct')
    const fl = await F.connect(WS, 'webC', 'not-the-key')
    T.eq(fl.event, 'auth_fail', 'a wrong key: auth_fail')
    T.ok(!fl.cid, 'and no CID')
    T.ok((await F.page.$$('#log li[data-event="auth_fail"]')).length === 1, 'the DOM shows the auth_fail')
    await closeAll([D, E, F])
  })

  await test('Boho login over wss://: TLS, so no ENC_488; signals both ways', async () => {
    const [G, H] = await Promise.all([openPage('webA (wss)'), openPage('webB (wss)')])
    const [g, h] = await Promise.all([G.ready(WSS, 'webA', 'keyA'), H.ready(WSS)])
    T.eq(g.event, 'ready', 'webA over wss'); T.eq(g.cid, 'webA', 'CID')
    T.ok(g.security.isTLS && g.security.isAuthorized && !g.security.usingEncryption, 'TLS, logged in, plain signals')
    const h2 = await H.eval(() => window.app.login('webB', 'keyB'))
    T.eq(h.event, 'ready', 'H anonymous first'); T.eq(h2.cid, 'webB', 'then webB by login()')
    T.ok(/^TLS, logged in, plain/.test(await H.text('#security')), 'the DOM shows TLS, logged in, plain')
    await G.listen('@hi'); await H.listen('@hi')
    await G.send('webB@hi', 'webA to webB over TLS')
    await H.send('webA@hi', 'webB to webA over TLS')
    T.eq(json(args(await receive(H, '@hi', 1))), json([['webA to webB over TLS']]), 'webB got it')
    T.eq(json(args(await receive(G, '@hi', 1))), json([['webB to webA over TLS']]), 'webA got it')
    await closeAll([G, H])
  })

  // sigver: caller and callee in their own contexts; nothing passes between
  // them but through iosd.
  async function sigver (label, url, creds, shot) {
    const room = `sigver-room-${label}`
    const [caller, callee] = await Promise.all([openPage(`caller (${label})`), openPage(`callee (${label})`)])
    const a = await caller.ready(url, ...(creds ? creds[0] : []))
    const b = await callee.ready(url, ...(creds ? creds[1] : []))
    T.eq(a.event, 'ready', 'caller ready'); T.eq(b.event, 'ready', 'callee ready')
    if (creds) { T.eq(a.cid, creds[0][0], 'caller logged in'); T.eq(b.cid, creds[1][0], 'callee logged in') }
    await caller.eval(r => window.app.sigver('caller', r), room)
    await callee.eval(r => window.app.sigver('callee', r), room)
    // Both data channels open and the hellos and echoes crossed.
    const msgs = p => p.eval(() => window.app.sig.messages)
    // On a timeout, say how far the signalling got on both sides.
    const state = p => p.eval(() => {
      const { pc, dc, peer, sent, got, pending, messages, resent } = window.app.sig
      const events = [...document.querySelectorAll('#log li[data-event]')].map(li => li.dataset.event)
      return { peer, pc: pc && pc.connectionState, ice: pc && pc.iceConnectionState, signaling: pc && pc.signalingState,
        dc: dc && dc.readyState, buffered: dc && dc.bufferedAmount, sent, got, pending: pending.length, messages, resent, events }
    }).catch(e => String(e))
    await Promise.all([caller, callee].map(p => waitIn(p, () => ['hello from ', 'echo to '].every(k =>
      window.app.sig.messages.some(m => m.startsWith(k))), null,
      'its data channel to open and carry a hello and an echo', 20000)))
      .catch(async e => { throw new Error(`${e.message}; caller ${json(await state(caller))}; callee ${json(await state(callee))}`) })
    const resent = (await caller.eval(() => window.app.sig.resent)) + (await callee.eval(() => window.app.sig.resent))
    if (resent) process.stdout.write(`# sigver ${label}: the data channel's hello went again ${resent} time(s) before its echo came\n`)
    T.eq(await caller.text('#dc'), 'open', 'the caller\'s data channel is open (DOM)')
    T.eq(await callee.text('#dc'), 'open', 'the callee\'s data channel is open (DOM)')
    const ma = await msgs(caller); const mb = await msgs(callee)
    T.ok(ma.includes(`hello from callee (${label}) (${b.cid})`), `the caller got the callee's hello: ${json(ma)}`)
    T.ok(ma.includes(`echo to callee (${label}): hello from caller (${label}) (${a.cid})`), 'and the echo of its own')
    T.ok(mb.includes(`hello from caller (${label}) (${a.cid})`), `the callee got the caller's hello: ${json(mb)}`)
    T.ok(mb.includes(`echo to caller (${label}): hello from callee (${label}) (${b.cid})`), 'and the echo of its own')
    // The signalling went through iosd: the callee got the offer and the
    // caller the answer as unicast signals, and candidates each way.
    const ev = (p, e) => p.page.$$eval(`#log li[data-event="${e}"]`, l => l.map(x => x.dataset.from))
    T.eq(json(await ev(callee, 'offer')), json([a.cid]), 'the offer reached the callee from the caller\'s CID')
    T.eq(json(await ev(caller, 'answer')), json([b.cid]), 'the answer reached the caller from the callee\'s CID')
    // Once both have gathered all their candidates, every one sent has
    // arrived on the other side.
    await Promise.all([caller, callee].map(p => waitIn(p, () => window.app.sig.pc.iceGatheringState === 'complete', null,
      'ICE gathering to complete')))
    const ice = p => p.eval(() => { const { sent, got, skipped, remote } = window.app.sig; return { sent, got, skipped, remote } })
    const sa0 = await ice(caller); const sb0 = await ice(callee)
    await waitIn(callee, n => window.app.sig.got >= n, sa0.sent, `the caller's ${sa0.sent} candidate(s)`)
    await waitIn(caller, n => window.app.sig.got >= n, sb0.sent, `the callee's ${sb0.sent} candidate(s)`)
    const sa = await ice(caller); const sb = await ice(callee)
    T.ok(sa.sent > 0 && sb.sent > 0, `ICE candidates sent through iosd (${sa.sent}, ${sb.sent})`)
    T.ok(sb.got === sa.sent && sa.got === sb.sent, `... and all received (callee ${sb.got} of ${sa.sent}, caller ${sa.got} of ${sb.sent})`)
    // Only 127.0.0.1 UDP candidates were signalled; the checks may come
    // from another address of this machine (its own interfaces, routed over
    // lo), but nothing leaves the host.
    T.ok([...sa.remote, ...sb.remote].every(c => c === '127.0.0.1 udp'), `every candidate signalled was 127.0.0.1 udp: ${json([...new Set([...sa.remote, ...sb.remote])])}`)
    const pa = await caller.eval(() => window.app.selectedPair()); const pb = await callee.eval(() => window.app.selectedPair())
    // (Chromium hides the address of a peer-reflexive remote candidate.)
    const onHost = pr => pr && pr.local.protocol === 'udp' && own.has(pr.local.address) &&
      (own.has(pr.remote.address) || (pr.remote.type === 'prflx' && !pr.remote.address))
    T.ok(onHost(pa), `the caller's selected pair is between addresses of this host: ${json(pa)}`)
    T.ok(onHost(pb), `the callee's selected pair is between addresses of this host: ${json(pb)}`)
    T.ok(pa && pb && [pa.local, pa.remote, pb.local, pb.remote].some(c => c.address === '127.0.0.1'), 'one of its ends is 127.0.0.1')
    fs.mkdirSync(shots, { recursive: true })
    await caller.page.screenshot({ path: path.join(shots, `${shot}-caller.png`), fullPage: true })
    // The caller leaves; the callee learns it from <caller CID>@state.
    await caller.close()
    await waitIn(callee, cid => document.querySelector(`#log li[data-event="peer-left"][data-peer="${cid}"]`), a.cid,
      'the caller to leave')
    const st = await callee.received(`${a.cid}@state`)
    T.eq(json(st), json([{ tag: `${a.cid}@state`, args: ['close'] }]), `'close' on ${a.cid}@state`)
    T.eq(await callee.text('#peer'), `${a.cid} left`, 'the DOM says the caller left')
    await callee.page.screenshot({ path: path.join(shots, `${shot}.png`), fullPage: true })
    await callee.close()
  }

  await test('sigver over ws://: offer, answer and ICE through iosd (CID unicast), a data channel both ways, the caller\'s leaving seen on CID@state', async () => {
    await sigver('ws', WS, null, 'sigver-ws')
  })

  await test('sigver over wss:// between logged-in devices: the same', async () => {
    await sigver('wss', WSS, [['webA', 'keyA'], ['webB', 'keyB']], 'sigver')
  })

  await test('every page: no error, requests only to the loopback page server, WebSockets only to iosd', async () => {
    T.ok(pages.length >= 10, `${pages.length} pages`)
    for (const p of pages) {
      T.ok(!p.errors.length, `${p.name}: ${p.errors.length} error(s): ${json(p.errors.slice(0, 2))}`)
      const bad = p.requests.filter(u => !u.startsWith(origin + '/'))
      T.eq(json(bad), '[]', `${p.name}: requests elsewhere`)
      const badWs = p.sockets.filter(u => !u.startsWith(WS) && !u.startsWith(WSS))
      T.eq(json(badWs), '[]', `${p.name}: WebSockets elsewhere`)
    }
    const logs = await Promise.all(pages.filter(p => !p.closed).map(p => p.page.$$eval('#log li.err', l => l.map(x => x.textContent))))
    T.eq(logs.flat().length, 0, 'no page still open shows an error')
  })
} finally {
  await cleanup()
  T.done()
  process.stdout.write(`${took()} (Chromium started in ${launchMs} ms); screenshots in ${shots}/\n`)
}

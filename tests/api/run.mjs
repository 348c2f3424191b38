// The HTTP API on the WebSocket ports (doc/api.md): bearer tokens made by
// iosctl token create (scopes, expiry, revocation, the audit), publish
// (text, JSON, binary) and unicast reaching npm iosignal clients as a
// server-originated signal does, the clients list with its filters, the
// subscribers of a channel, kick; 401 and 403 with JSON bodies, 413 past
// the body limit, 400 for bad JSON, a body that arrives in pieces, the
// same over wss (a certtool certificate), and the curl of the doc.
//
//   node tests/api/run.mjs [--bin build/iosd] [--ctl build/iosctl]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import https from 'node:https'
import { spawnSync, spawn } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, tap, ready, until } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt
const bin = opt('--bin', 'build/iosd')
const ctl = opt('--ctl', path.join(path.dirname(bin), 'iosctl').replace(/asan\/iosctl$/, 'iosctl'))
const T = tap({ timeout: 20000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-api-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const f = name => path.join(tmp, name)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// ---- a certificate for wss, as tests/tls makes them ----
function certtool (...args) {
  const r = spawnSync('certtool', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`certtool ${args.join(' ')}: ${r.stderr}`)
}
function template (name, lines) { fs.writeFileSync(f(name), lines.join('\n') + '\n'); return f(name) }
certtool('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('ca.key'))
certtool('--generate-self-signed', '--load-privkey', f('ca.key'), '--template',
  template('ca.tmpl', ['cn = "iosd api test root"', 'ca', 'cert_signing_key', 'expiration_days = 2']), '--outfile', f('ca.pem'))
certtool('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f('key.pem'))
certtool('--generate-certificate', '--load-privkey', f('key.pem'), '--load-ca-certificate', f('ca.pem'),
  '--load-ca-privkey', f('ca.key'), '--template',
  template('leaf.tmpl', ['cn = "iosd api"', 'dns_name = "localhost"', 'ip_address = "127.0.0.1"', 'tls_www_server',
    'signing_key', 'encryption_key', 'expiration_days = 2']), '--outfile', f('cert.pem'))

const sock = f('ctl.sock')
const d = await startDaemon(bin, ['-D', f('iosd.db'), '-c', sock, '-W', '127.0.0.1:0',
  '--tls-cert', f('cert.pem'), '--tls-key', f('key.pem'), '--handshake-timeout', '3000'])
const iosctl = args => spawnSync(ctl, ['-c', sock, ...args], { encoding: 'utf8' })
const status = JSON.parse(iosctl(['--json', 'status']).stdout)
const wss = status.listeners.find(l => l.transport === 'wss').port
const base = `http://127.0.0.1:${d.ws}`

function token (...args) {
  const r = iosctl(['token', 'create', ...args])
  if (r.status !== 0) throw new Error(`iosctl token create: ${r.stderr}`)
  return r.stdout.trim()
}
async function api (method, p, tok, body, headers = {}) {
  const h = { ...headers }
  if (tok) h.Authorization = `Bearer ${tok}`
  if (body !== undefined) h['Content-Type'] = 'application/json'
  const res = await fetch(base + p, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  let json = null
  try { json = JSON.parse(text) } catch {}
  return { status: res.status, headers: res.headers, json, text }
}
const errorShape = (r, code, what) => {
  T.ok(r.json && r.json.error && r.json.error.code === code && typeof r.json.error.message === 'string' &&
    r.json.error.message.length > 0, `${what}: a JSON error with code ${code} (got ${r.text.trim()})`)
}
// Raw HTTP on one socket: writes each chunk after a pause, returns what came.
function raw (port, chunks, pause = 0) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let got = ''
    s.on('data', x => { got += x })
    s.on('close', () => resolve(got))
    s.on('error', reject)
    s.on('connect', async () => {
      for (const c of chunks) { s.write(c); if (pause) await sleep(pause) }
    })
    setTimeout(() => { s.destroy(); resolve(got) }, 8000)
  })
}
const clients = []
const client = async () => { const io = await ready(new IO(`ws://127.0.0.1:${d.ws}`)); clients.push(io); return io }
const next = (io, tag) => new Promise(resolve => io.on(tag, (...v) => resolve(v)))

let pub, rd, adm, short, gone
try {
  await T.test('iosctl token create, list, revoke; shown once, stored hashed, audited', async () => {
    pub = token('--scope', 'publish', '--name', 'ci')
    rd = token('--scope', 'read')
    adm = token('--scope', 'admin', '--expires', '1d')
    short = token('--scope', 'admin', '--expires', '1s')
    gone = token('--scope', 'admin', '--name', 'to revoke')
    for (const t of [pub, rd, adm, short, gone]) T.ok(/^[A-Za-z0-9_-]{43}$/.test(t), `43 base64url characters: ${t}`)
    const list = JSON.parse(iosctl(['--json', 'token', 'list']).stdout)
    T.eq(list.total, 5, 'five tokens')
    T.eq(list.list[0].scope, 'publish', 'scope'); T.eq(list.list[0].name, 'ci', 'name')
    T.ok(list.list[2].expires > Date.now() / 1000 + 86000, 'expires in a day')
    T.ok(!JSON.stringify(list).includes(pub), 'the list never shows a token')
    const db = fs.readFileSync(f('iosd.db')).toString('latin1') + (fs.existsSync(f('iosd.db-wal')) ? fs.readFileSync(f('iosd.db-wal')).toString('latin1') : '')
    T.ok(!db.includes(pub) && !db.includes(adm), 'no token in the database files')
    const victim = list.list.find(t => t.name === 'to revoke')
    const r = iosctl(['token', 'revoke', String(victim.id)])
    T.eq(r.status, 0, `revoke: ${r.stderr}`)
    T.eq(iosctl(['token', 'revoke', String(victim.id)]).status === 0, false, 'revoking it again fails')
    T.eq(iosctl(['token', 'create', '--scope', 'root']).status === 0, false, 'an unknown scope is refused')
    T.eq(iosctl(['token', 'create', '--scope', 'read', '--expires', 'soon']).status === 0, false, 'a bad duration is refused')
    T.eq(iosctl(['token', 'create', '--scope', 'read', '--name', 'x'.repeat(65)]).status === 0, false, 'a long name is refused')
    const audit = JSON.parse(iosctl(['--json', 'audit']).stdout)
    const events = audit.list.map(e => e.event)
    T.ok(events.includes('token_create') && events.includes('token_revoke'), `audited: ${events.join(' ')}`)
  })

  await T.test('401 without a token, with a bad, an expired or a revoked one; WWW-Authenticate: Bearer', async () => {
    let r = await api('GET', '/api/clients')
    T.eq(r.status, 401, 'no token'); errorShape(r, 'unauthorized', 'no token')
    T.ok(/^Bearer/.test(r.headers.get('www-authenticate') || ''), 'WWW-Authenticate: Bearer')
    r = await api('GET', '/api/clients', null, undefined, { Authorization: 'Basic dXNlcjpwdw==' })
    T.eq(r.status, 401, 'Basic is not Bearer')
    r = await api('GET', '/api/clients', 'A'.repeat(43))
    T.eq(r.status, 401, 'an unknown token'); errorShape(r, 'unauthorized', 'unknown')
    T.ok(/invalid_token/.test(r.headers.get('www-authenticate') || ''), 'error="invalid_token"')
    r = await api('GET', '/api/clients', 'x'.repeat(5000))
    T.eq(r.status, 401, 'a long one')
    await sleep(1200)
    r = await api('GET', '/api/clients', short)
    T.eq(r.status, 401, 'expired'); T.ok(/expired/.test(r.json.error.message), 'says expired')
    r = await api('POST', '/api/publish', gone, { tag: 'room', text: 'x' })
    T.eq(r.status, 401, 'revoked')
  })

  await T.test('403 for a read token publishing, a publish token kicking', async () => {
    let r = await api('POST', '/api/publish', rd, { tag: 'room', text: 'no' })
    T.eq(r.status, 403, 'read cannot publish'); errorShape(r, 'forbidden', 'read publishing')
    T.ok(/insufficient_scope/.test(r.headers.get('www-authenticate') || ''), 'error="insufficient_scope"')
    r = await api('POST', '/api/kick', pub, { cid: 'x' })
    T.eq(r.status, 403, 'publish cannot kick')
    r = await api('GET', '/api/clients', pub)
    T.eq(r.status, 200, 'publish can read')
  })

  await T.test('publish: text, a JSON object, binary reach an npm client as a server signal', async () => {
    const a = await client()
    await a.subscribe_promise('room')
    let got = next(a, 'room')
    let r = await api('POST', '/api/publish', pub, { tag: 'room', text: 'hello from http' })
    T.eq(r.status, 200, `text: ${r.text}`); T.eq(r.json.delivered, 1, 'delivered to one')
    T.eq((await got)[0], 'hello from http', 'text as a string')
    got = next(a, 'room')
    r = await api('POST', '/api/publish', adm, { tag: 'room', json: { n: 1, s: 'two', a: [3] } })
    T.eq(r.status, 200, 'json')
    T.eq(JSON.stringify((await got)[0]), '{"n":1,"s":"two","a":[3]}', 'an object')
    got = next(a, 'room')
    r = await api('POST', '/api/publish', pub, { tag: 'room', base64: Buffer.from([0, 1, 2, 255]).toString('base64') })
    T.eq(r.status, 200, 'binary')
    const b = (await got)[0]
    T.ok(b instanceof Uint8Array && Buffer.from(b).equals(Buffer.from([0, 1, 2, 255])), `bytes: ${b && Buffer.from(b).toString('hex')}`)
    r = await api('POST', '/api/publish', pub, { tag: 'nobody-here', text: 'x' })
    T.eq(r.json.delivered, 0, 'a channel without subscribers: delivered 0')
    r = await api('POST', '/api/publish', pub, { tag: 'room', text: 'a', json: 1 })
    T.eq(r.status, 400, 'two payloads'); errorShape(r, 'bad_args', 'two payloads')
    r = await api('POST', '/api/publish', pub, { tag: 'room', payload: 'a' })
    T.eq(r.status, 400, 'an unknown member')
    r = await api('POST', '/api/publish', pub, { tag: '$x', text: 'a' })
    T.eq(r.status, 400, "a '$' tag")
    r = await api('POST', '/api/publish', pub, { tag: 'room', base64: '!!!' })
    T.eq(r.status, 400, 'bad base64')
  })

  await T.test('unicast to a CID; an unknown CID is 404', async () => {
    const a = await client()
    const got = next(a, '@greet')
    let r = await api('POST', '/api/unicast', pub, { cid: a.cid, topic: 'greet', text: 'just you' })
    T.eq(r.status, 200, `unicast: ${r.text}`); T.eq(r.json.delivered, 1, 'delivered')
    T.eq((await got)[0], 'just you', "the '@topic' listener")
    r = await api('POST', '/api/unicast', pub, { cid: 'nosuchcid', topic: 'greet', text: 'x' })
    T.eq(r.status, 404, 'unknown CID'); errorShape(r, 'not_found', 'unknown CID')
    r = await api('POST', '/api/unicast', pub, { topic: 'greet', text: 'x' })
    T.eq(r.status, 400, 'cid is required')
  })

  await T.test('clients with the selection as query parameters; channels; subscribers', async () => {
    const a = await client()
    await a.subscribe_promise('lobby')
    let r = await api('GET', `/api/clients?cid=${encodeURIComponent(a.cid)}`, rd)
    T.eq(r.status, 200, 'clients'); T.eq(r.json.total, 1, 'one with that cid')
    T.eq(r.json.clients[0].cid, a.cid, 'its cid'); T.eq(r.json.clients[0].transport, 'ws', 'transport')
    r = await api('GET', '/api/clients?anonymous=true&limit=1', rd)
    T.ok(r.json.total >= 3 && r.json.clients.length === 1, `limit: ${r.json.total} / ${r.json.clients.length}`)
    r = await api('GET', '/api/clients?anonymous=false', rd)
    T.eq(r.json.total, 0, 'nobody logged in')
    r = await api('GET', '/api/clients?address=127.0.0.0%2F8&transport=ws', rd)
    T.ok(r.json.total >= 3, 'by network and transport')
    r = await api('GET', '/api/clients?colour=red', rd)
    T.eq(r.status, 400, 'an unknown parameter')
    r = await api('GET', '/api/clients?address=nowhere', rd)
    T.eq(r.status, 400, 'a bad address')
    r = await api('GET', '/api/channels/lobby/subscribers', rd)
    T.eq(r.status, 200, `subscribers: ${r.text}`); T.eq(r.json.channel, 'CH:lobby', 'the channel key')
    T.eq(r.json.subscribers.length, 1, 'one'); T.eq(r.json.subscribers[0].cid, a.cid, 'the subscriber')
    r = await api('GET', '/api/channels/nothing-here/subscribers', rd)
    T.eq(r.status, 404, 'no such channel')
    r = await api('GET', '/api/channels?filter=lobby', rd)
    T.eq(r.json.total, 1, 'channels filtered'); T.eq(r.json.channels[0].key, 'CH:lobby', 'its key')
  })

  await T.test('kick closes the client; a selection without criteria is refused', async () => {
    const a = await client()
    const closed = new Promise(resolve => a.on('close', resolve))
    let r = await api('POST', '/api/kick', adm, { cid: a.cid, reason: 'api test' })
    T.eq(r.status, 200, `kick: ${r.text}`); T.eq(r.json.kicked, 1, 'one kicked')
    T.eq(r.json.clients[0].cid, a.cid, 'that one')
    await closed
    a.stop()
    r = await api('POST', '/api/kick', adm, {})
    T.eq(r.status, 400, 'no criteria')
    r = await api('POST', '/api/kick', adm, { cid: 'nobody' })
    T.eq(r.status, 404, 'nobody matches')
  })

  await T.test('bodies: 413 past 64 KiB, 400 for bad JSON, 411 without a length; read as they arrive', async () => {
    let r = await api('POST', '/api/publish', pub, JSON.stringify({ tag: 'room', text: 'x'.repeat(70000) }))
    T.eq(r.status, 413, 'over the limit'); errorShape(r, 'too_large', '413')
    r = await api('POST', '/api/publish', pub, '{"tag": "room", "text": ')
    T.eq(r.status, 400, 'bad JSON'); errorShape(r, 'bad_json', 'bad JSON')
    r = await api('POST', '/api/publish', pub, '[1,2]')
    T.eq(r.status, 400, 'not an object')
    r = await api('GET', '/api/nothing', pub)
    T.eq(r.status, 404, 'an unknown endpoint'); errorShape(r, 'not_found', '404')
    r = await api('GET', '/api/publish', pub)
    T.eq(r.status, 405, 'GET of a POST endpoint'); T.eq(r.headers.get('allow'), 'POST', 'Allow')
    const big = await raw(d.ws, [`POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${pub}\r\nContent-Length: 999999\r\n\r\n`])
    T.ok(/^HTTP\/1\.1 413/.test(big), `413 before any body is sent: ${big.split('\r\n')[0]}`)
    const chunked = await raw(d.ws, [`POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${pub}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`])
    T.ok(/^HTTP\/1\.1 411/.test(chunked), `chunked: ${chunked.split('\r\n')[0]}`)
    const noauth = await raw(d.ws, ['POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n'])
    T.ok(/^HTTP\/1\.1 401/.test(noauth), 'refused before its body is read')
    // The body in three pieces, apart in time.
    const a = await client()
    await a.subscribe_promise('slow')
    const got = next(a, 'slow')
    const body = JSON.stringify({ tag: 'slow', text: 'piece by piece' })
    const slow = await raw(d.ws, [`POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${pub}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      body.slice(0, 10), body.slice(10, 20), body.slice(20)], 150)
    T.ok(/^HTTP\/1\.1 200/.test(slow) && /"delivered":1/.test(slow), `200 after the last piece: ${slow.split('\r\n')[0]}`)
    T.eq((await got)[0], 'piece by piece', 'delivered')
    // GETs keep the connection: two answers on one.
    const two = await raw(d.ws, [`GET /api/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${rd}\r\n\r\n` +
      `GET /api/clients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${rd}\r\nConnection: close\r\n\r\n`])
    T.eq((two.match(/HTTP\/1\.1 200/g) || []).length, 2, 'two answers, keep-alive')
    // The daemon goes on.
    T.eq((await api('GET', '/healthz')).status, 200, 'healthz')
  })

  await T.test('the same over wss (TLS on the wss listener)', async () => {
    const ca = fs.readFileSync(f('ca.pem'))
    const req = (method, p, tok, body) => new Promise((resolve, reject) => {
      const r = https.request({ host: '127.0.0.1', port: wss, servername: 'localhost', ca, method, path: p,
        headers: { Authorization: `Bearer ${tok}`, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) } },
      res => { let t = ''; res.on('data', x => { t += x }); res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(t) })) })
      r.on('error', reject)
      r.end(body)
    })
    const a = await client()
    await a.subscribe_promise('secure')
    const got = next(a, 'secure')
    let r = await req('POST', '/api/publish', pub, JSON.stringify({ tag: 'secure', text: 'over TLS' }))
    T.eq(r.status, 200, 'publish over wss'); T.eq(r.json.delivered, 1, 'delivered')
    T.eq((await got)[0], 'over TLS', 'received')
    r = await req('GET', '/api/clients?transport=ws', rd)
    T.eq(r.status, 200, 'clients over wss'); T.ok(r.json.total >= 1, 'listed')
    r = await req('GET', '/api/clients', 'nope')
    T.eq(r.status, 401, '401 over wss')
  })

  await T.test("doc/api.md's curl example works", async () => {
    const a = await client()
    await a.subscribe_promise('room')
    const got = next(a, 'room')
    // As doc/api.md writes it, with the port of this test.
    const c = spawn('sh', ['-c', `curl -sS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
     -d '{"tag":"room","text":"hello"}' http://127.0.0.1:${d.ws}/api/publish`],
    { env: { ...process.env, TOKEN: pub } })
    let out = ''; c.stdout.on('data', x => { out += x })
    const code = await new Promise(resolve => c.on('close', resolve))
    T.eq(code, 0, 'curl exit'); T.ok(/^\{"delivered":[1-9]\d*\}$/.test(out.trim()), `the answer: ${out.trim()}`)
    T.eq((await got)[0], 'hello', 'received')
  })

  await T.test('tokens are bounded in number', async () => {
    // Straight on the control socket: 100 in all.
    const n = JSON.parse(iosctl(['--json', 'token', 'list']).stdout).total
    const script = Array.from({ length: 100 - n }, () => `"$0" -c "$1" token create --scope read >/dev/null || exit 1`).join('\n')
    const r = spawnSync('sh', ['-c', script, ctl, sock], { encoding: 'utf8' })
    T.eq(r.status, 0, `up to 100: ${r.stderr}`)
    const over = iosctl(['token', 'create', '--scope', 'read'])
    T.ok(over.status !== 0 && /revoke one/.test(over.stderr), `the 101st is refused: ${over.stderr.trim()}`)
  }, 60000)
} finally {
  for (const c of clients) c.stop()
  await d.stop()
  T.done()
}

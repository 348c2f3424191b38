// wss with GnuTLS: certificates made here with certtool (a CA, an
// intermediate, a leaf; the server sends leaf + intermediate), the npm
// iosignal client over wss:// with NODE_EXTRA_CA_CERTS, login without
// double encryption, TLS 1.2/1.3 only, ALPN http/1.1, a stalled handshake
// closed at its deadline, a certificate reloaded under load (SIGHUP and
// iosctl reload) dropping no connection, a bad certificate refused.
//
//   node tests/tls/run.mjs [--bin build/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startDaemon, tap } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const ctlBin = path.join(path.dirname(bin), 'iosctl')
const here = path.dirname(fileURLToPath(import.meta.url))
const T = tap({ timeout: 40000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-tls-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const f = name => path.join(tmp, name)

function certtool (...args) {
  const r = spawnSync('certtool', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`certtool ${args.join(' ')}: ${r.stderr}`)
}
function template (name, lines) { fs.writeFileSync(f(name), lines.join('\n') + '\n'); return f(name) }
function makeKey (name) { certtool('--generate-privkey', '--key-type', 'ecdsa', '--outfile', f(name)) }

// root CA -> intermediate -> leaf "localhost"; returns the leaf's file
// names (chain = leaf + intermediate).
makeKey('ca.key')
certtool('--generate-self-signed', '--load-privkey', f('ca.key'), '--template',
  template('ca.tmpl', ['cn = "iosd test root"', 'ca', 'cert_signing_key', 'expiration_days = 2']), '--outfile', f('ca.pem'))
makeKey('int.key')
certtool('--generate-certificate', '--load-privkey', f('int.key'), '--load-ca-certificate', f('ca.pem'),
  '--load-ca-privkey', f('ca.key'), '--template',
  template('int.tmpl', ['cn = "iosd test intermediate"', 'ca', 'cert_signing_key', 'expiration_days = 2']),
  '--outfile', f('int.pem'))
function leaf (name, cn) {
  makeKey(`${name}.key`)
  certtool('--generate-certificate', '--load-privkey', f(`${name}.key`), '--load-ca-certificate', f('int.pem'),
    '--load-ca-privkey', f('int.key'), '--template',
    template(`${name}.tmpl`, [`cn = "${cn}"`, 'dns_name = "localhost"', 'ip_address = "127.0.0.1"', 'tls_www_server',
      'signing_key', 'encryption_key', 'expiration_days = 2']), '--outfile', f(`${name}.leaf`))
  fs.writeFileSync(f(`${name}.pem`), fs.readFileSync(f(`${name}.leaf`), 'utf8') + fs.readFileSync(f('int.pem'), 'utf8'))
}
leaf('one', 'iosd one')
leaf('two', 'iosd two')
fs.copyFileSync(f('one.pem'), f('cert.pem'))
fs.copyFileSync(f('one.key'), f('key.pem'))

// The npm client in a child that trusts our root.
function client (...args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(here, 'client.mjs'), ...args.map(String)],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: f('ca.pem') }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''; let err = ''; const lines = []
    c.stdout.on('data', d => {
      out += d
      let i
      while ((i = out.indexOf('\n')) >= 0) { lines.push(JSON.parse(out.slice(0, i))); out = out.slice(i + 1); c.emit('line') }
    })
    c.stderr.on('data', d => { err += d })
    c.on('close', code => code === 0 ? resolve(lines) : reject(new Error(`client exit ${code}: ${err}`)))
    c.lines = lines
    client.last = c
  })
}
// The subject CN of the certificate the daemon presents now.
function peerCN (port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(f('ca.pem')) }, () => {
      resolve(s.getPeerCertificate().subject.CN); s.destroy()
    })
    s.on('error', reject)
  })
}

const sock = f('ctl.sock')
const d = await startDaemon(bin, ['-D', f('iosd.db'), '-c', sock, '-W', '127.0.0.1:0', '--tls-cert', f('cert.pem'),
  '--tls-key', f('key.pem'), '--tls-handshake-timeout', '600', '-e', 'tls1.key1.2'])
const status = JSON.parse(spawnSync(ctlBin, ['-c', sock, '--json', 'status'], { encoding: 'utf8' }).stdout)
const wss = status.listeners.find(l => l.transport === 'wss').port

try {
  await T.test('the npm client over wss://: signals both ways, login at its level, no ENC_488 under TLS', async () => {
    const [r] = await client('flow', wss, 'tls1', 'key1')
    T.ok(!r.error, r.error || 'ran')
    T.eq(r.cid, 'tls1', 'logged in with its CID'); T.eq(r.level, 2, 'level 2')
    T.eq(r.va, 'from the anonymous one', 'signal to the logged-in one'); T.eq(r.vb, 'from the logged-in one', 'and back')
    T.ok(r.types.length > 0 && !r.types.includes(0xb8), `no ENC_488 among ${r.types.map(t => t.toString(16)).join(' ')}`)
    T.ok(r.types.includes(0xc3), 'QUOTA_LEVEL came plain')
  })

  await T.test('TLS 1.2 and 1.3 only; ALPN http/1.1; the chain is sent', async () => {
    const ca = fs.readFileSync(f('ca.pem'))
    const v = await new Promise((resolve, reject) => {
      const s = tls.connect({ port: wss, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] }, () => {
        resolve({ proto: s.getProtocol(), alpn: s.alpnProtocol, authorized: s.authorized }); s.destroy()
      })
      s.on('error', reject)
    })
    T.ok(v.authorized, 'verified against the root through the intermediate the server sent')
    T.ok(v.proto === 'TLSv1.3' || v.proto === 'TLSv1.2', `protocol ${v.proto}`)
    T.eq(v.alpn, 'http/1.1', 'ALPN')
    const old = await new Promise(resolve => {
      const s = tls.connect({ port: wss, host: '127.0.0.1', servername: 'localhost', ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' },
        () => { resolve('connected'); s.destroy() })
      s.on('error', e => resolve(e.code || e.message))
    })
    T.ok(old !== 'connected', `TLS 1.1 refused (${old})`)
    const v12 = await new Promise((resolve, reject) => {
      const s = tls.connect({ port: wss, host: '127.0.0.1', servername: 'localhost', ca, maxVersion: 'TLSv1.2' },
        () => { resolve(s.getProtocol()); s.destroy() })
      s.on('error', reject)
    })
    T.eq(v12, 'TLSv1.2', 'TLS 1.2 is served')
    const health = await new Promise((resolve, reject) => {
      const s = tls.connect({ port: wss, host: '127.0.0.1', servername: 'localhost', ca }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      })
      let got = ''; s.on('data', x => { got += x }); s.on('end', () => resolve(got)); s.on('error', reject)
    })
    T.ok(/^HTTP\/1\.1 200/.test(health) && /"status":"ok"/.test(health), 'GET /healthz over TLS')
    // Half a ClientHello, then nothing: the deadline covers it too.
    const t0 = Date.now()
    const ms = await new Promise(resolve => {
      const s = net.connect(wss, '127.0.0.1', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])))
      s.on('close', () => resolve(Date.now() - t0)); s.on('error', () => {})
    })
    T.ok(ms >= 500 && ms < 3000, `a handshake stalled halfway is closed after ${ms} ms`)
  })

  await T.test('a client that stalls the TLS handshake is closed at its deadline', async () => {
    const t0 = Date.now()
    const ms = await new Promise((resolve, reject) => {
      const s = net.connect(wss, '127.0.0.1')
      s.on('close', () => resolve(Date.now() - t0))
      s.on('error', () => {})
      setTimeout(() => reject(new Error('not closed')), 5000)
    })
    T.ok(ms >= 500 && ms < 3000, `closed after ${ms} ms (deadline 600)`)
    T.ok(/TLS handshake deadline/.test(d.log()), 'logged with its reason')
  })

  await T.test('a renewed certificate is loaded on SIGHUP and iosctl reload; no connection drops', async () => {
    T.eq(await peerCN(wss), 'iosd one', 'the first certificate')
    const p = client('hold', wss, 20, 3000)
    const c = client.last
    await new Promise(resolve => c.once('line', resolve)) // {ready: 20}
    fs.copyFileSync(f('two.pem'), f('cert.pem')); fs.copyFileSync(f('two.key'), f('key.pem'))
    process.kill(d.pid, 'SIGHUP')
    let cn
    for (let i = 0; i < 50 && (cn = await peerCN(wss)) !== 'iosd two'; i++) await sleep(20)
    T.eq(cn, 'iosd two', 'new connections get the renewed certificate')
    const r = spawnSync(ctlBin, ['-c', sock, '--json', 'reload'], { encoding: 'utf8' })
    T.eq(r.status, 0, 'iosctl reload'); T.ok(JSON.parse(r.stdout).reloaded.includes('tls'), 'tls reloaded')
    const res = (await p).pop()
    T.eq(res.closed, 0, 'no client connection closed'); T.eq(res.cids, 20, 'all 20 still have their CID')
    T.ok(res.got > 0, `${res.got} signals delivered meanwhile`)
  })

  await T.test('a bad certificate on reload keeps the old one and says why', async () => {
    fs.writeFileSync(f('cert.pem'), 'not a certificate\n')
    const r = spawnSync(ctlBin, ['-c', sock, 'reload'], { encoding: 'utf8' })
    T.eq(r.status, 1, 'iosctl reload refused'); T.ok(/TLS certificate/.test(r.stderr) && r.stderr.includes('cert.pem'), r.stderr.trim())
    process.kill(d.pid, 'SIGHUP')
    await sleep(200)
    T.ok(/SIGHUP: reload refused, nothing changed: TLS certificate/.test(d.log()), 'SIGHUP says why in the log')
    T.eq(await peerCN(wss), 'iosd two', 'still serving the last good certificate')
  })

  await T.test('-W without --tls-cert is a usage error; an unreadable key a clear start error', async () => {
    const a = spawnSync(bin, ['-W', '127.0.0.1:0', '-D', f('x.db')], { encoding: 'utf8', timeout: 5000 })
    T.eq(a.status, 2, 'exit 2'); T.ok(/--tls-cert/.test(a.stderr), a.stderr.trim())
    const b = spawnSync(bin, ['-W', '127.0.0.1:0', '-D', f('x.db'), '--tls-cert', f('one.pem'), '--tls-key', f('missing.key')],
      { encoding: 'utf8', timeout: 5000 })
    T.ok(b.status !== 0 && /missing\.key/.test(b.stderr), 'names the file: ' + b.stderr.trim().split('\n').pop())
  })
} finally {
  const r = await d.stop()
  await T.test('the daemon exits 0', async () => { T.eq(r.code, 0, 'exit status') })
}
T.done()
process.exit()

// iosctl against the real daemon: every command in text and JSON form,
// exit statuses, enroll -> the npm client logs in with the printed key,
// revoke kicks, trace with filters and drops, the read-only socket, and a
// scripted loop of 1,000 enrollments (its time is printed, not asserted).
//
//   node tests/iosctl/run.mjs [--bin build/iosd] [--ctl build/iosctl]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { IO, IOCongSocket } from 'iosignal'
import { startDaemon, tap, until, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const opt = (name, def) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : def
const bin = opt('--bin', 'build/iosd')
const ctl = path.resolve(opt('--ctl', path.join(path.dirname(bin), 'iosctl')))
const T = tap({ timeout: 30000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosctl-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))

const running = new Set()
process.on('exit', () => { for (const c of running) c.kill('SIGKILL') })

// Runs iosctl; resolves with {code, out, err}. opts.input is its stdin,
// opts.child receives the process (streams), opts.env adds variables.
function iosctl (args, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(ctl, args, {
      env: { ...process.env, IOSD_CONTROL: sock, ...(opts.env || {}) },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    running.add(c)
    let out = ''; let err = ''
    c.stdout.on('data', d => { out += d; if (opts.onOut) opts.onOut(out) })
    c.stderr.on('data', d => { err += d })
    const t = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`iosctl ${args.join(' ')}: no exit`)) },
      opts.timeout || 15000)
    // 'close', not 'exit': only then has all of stdout been read.
    c.once('close', (code, sig) => {
      running.delete(c); clearTimeout(t)
      resolve({ code: sig ? 128 : code, out, err })
    })
    c.stdin.on('error', () => {})
    if (opts.input !== undefined) c.stdin.end(opts.input); else c.stdin.end()
    if (opts.child) opts.child(c)
  })
}
// Runs iosctl and expects exit 0; returns stdout.
async function ok (args, opts) {
  const r = await iosctl(args, opts)
  if (r.code !== 0) throw new Error(`iosctl ${args.join(' ')}: exit ${r.code}: ${r.err.trim()}`)
  return r.out
}
const okJson = async (args, opts) => JSON.parse(await ok(['--json', ...args], opts))

const client = (url, id, key) => { const io = url.startsWith('cong:') ? new IOCongSocket(url) : new IO(url); if (id) io.auth(id, key); return io }
const fails = (url, id, key) => new Promise((resolve, reject) => {
  const io = client(url, id, key)
  const t = setTimeout(() => { io.stop(); reject(new Error(`no auth_fail for ${id}`)) }, 8000)
  io.on('auth_fail', () => { clearTimeout(t); io.stop(); resolve(true) })
  io.on('ready', () => { clearTimeout(t); io.stop(); reject(new Error(`${id} logged in`)) })
})
// "key   value" lines of a text result, as an object.
const kv = text => Object.fromEntries(text.trim().split('\n').map(l => {
  const m = /^(\S+(?: \S+)?)\s{2,}(.*)$/.exec(l); return m ? [m[1], m[2]] : [l, '']
}))

const dir = path.join(tmp, 'd'); fs.mkdirSync(dir, { mode: 0o700 })
const sock = path.join(dir, 'ctl.sock'); const ro = path.join(dir, 'ro.sock')
const d = await startDaemon(bin, ['-D', path.join(dir, 'iosd.db'), '-c', sock, '--control-ro', ro,
  '--auth-fail-delay', '100'])
const ws = `ws://127.0.0.1:${d.ws}`; const cong = `cong://127.0.0.1:${d.cong}`

try {
  await T.test('--help, usage errors exit 2, an unreachable daemon exits 3', async () => {
    const h = await iosctl(['--help'])
    T.eq(h.code, 0, '--help exit'); T.ok(/usage: iosctl/.test(h.out) && /enroll/.test(h.out), 'general help')
    for (const cmd of ['status', 'enroll', 'trace', 'quota-set', 'kick', 'watch', 'import']) {
      const r = await iosctl([cmd, '--help'])
      T.eq(r.code, 0, `${cmd} --help exit`); T.ok(r.out.includes(`usage: iosctl ${cmd}`), `${cmd} usage`)
    }
    T.eq((await iosctl([])).code, 2, 'no command')
    T.eq((await iosctl(['no-such-command'])).code, 2, 'unknown command')
    T.eq((await iosctl(['enroll'])).code, 2, 'a missing argument')
    T.eq((await iosctl(['enroll', 'waytoolongid'])).code, 2, 'an id over 8 bytes')
    T.eq((await iosctl(['set-level', 'x', '300'])).code, 2, 'a level over 255')
    T.eq((await iosctl(['enroll', 'x', '--bogus'])).code, 2, 'an unknown option')
    const u = await iosctl(['-c', path.join(tmp, 'nowhere.sock'), 'status'])
    T.eq(u.code, 3, 'unreachable exit'); T.ok(u.err.includes('nowhere.sock') && /-c SOCKET|IOSD_CONTROL/.test(u.err),
      'names the socket and gives a hint: ' + u.err.trim())
    const e = await iosctl(['status'], { env: { IOSD_CONTROL: path.join(tmp, 'env.sock') } })
    T.eq(e.code, 3, 'IOSD_CONTROL is the default socket'); T.ok(e.err.includes('env.sock'), 'env socket named')
  })

  await T.test('status, metrics, quota-list, audit, log-level, reload: text and JSON', async () => {
    const st = await okJson(['status'])
    T.eq(st.pid, d.pid, 'pid'); T.eq(st.store.backend, 'sqlite', 'store')
    const t = kv((await ok(['status'])).split('\n\n')[0])
    T.ok(t.iosd && t.iosd.includes(`pid ${d.pid}`), 'text status names the pid: ' + t.iosd)
    T.ok((await ok(['status'])).includes(String(d.ws)), 'text status lists the listener ports')
    const m = await okJson(['metrics'])
    T.ok(m.connections && m.connections.ws && 'fanout_deliveries' in m, 'metrics JSON')
    T.ok(/connections\s+ws 0 now/.test(await ok(['metrics'])), 'metrics text')
    const q = await okJson(['quota-list'])
    T.eq(q.total, 9, 'quota-list: {total, list}'); T.eq(q.list.map(x => x.level).join(','), '0,1,2,3,10,11,12,200,255', 'quota levels')
    const qt = await ok(['quota-list'])
    T.ok(/^LEVEL\s+SIGNAL_SIZE/.test(qt) && /\n\s+255\s+20971520/.test(qt), 'quota table')
    const al = await okJson(['audit', '--limit', '5'])
    T.ok(Array.isArray(al.list) && al.list.length <= 5 && typeof al.total === 'number', 'audit JSON: {total, list}')
    T.eq((await okJson(['log-level', 'debug'])).level, 'debug', 'log-level JSON')
    T.ok(/info/.test(await ok(['log-level', 'info'])), 'log-level text')
    T.ok(Array.isArray((await okJson(['reload'])).reloaded), 'reload JSON')
    T.ok(/reloaded/.test(await ok(['reload'])), 'reload text')
  })

  let key3
  await T.test('enroll uno3 prints a key once; the npm client logs in with it (ws and cong)', async () => {
    const out = await ok(['enroll', 'uno3'])
    const r = kv(out)
    T.eq(r.cid, 'uno3', 'cid defaults to the id'); T.eq(r.level, '1', 'level defaults to 1')
    key3 = r.key
    T.ok(/^[A-Za-z0-9_-]{32}$/.test(key3), 'a 32-character random key: ' + key3)
    const a = await ready(client(ws, 'uno3', key3))
    T.eq(a.cid, 'uno3', 'ws: the enrolled CID'); T.eq(a.level, 1, 'ws: level 1'); a.stop()
    const b = await ready(client(cong, 'uno3', key3))
    T.eq(b.cid, 'uno3', 'cong: the enrolled CID'); b.stop()
    T.ok(!(await ok(['device', 'uno3'])).includes(key3), 'the key is never shown again')
    const again = await iosctl(['enroll', 'uno3'])
    T.eq(again.code, 5, 'enrolling an existing id: exit 5'); T.ok(/exists/.test(again.err), again.err.trim())
    const aj = await iosctl(['--json', 'enroll', 'uno3'])
    T.eq(aj.code, 5, '--json: exit 5'); T.eq(aj.err, '', '--json: nothing on stderr')
    const ej = JSON.parse(aj.out)
    T.eq(ej.error && ej.error.code, 'exists', '--json: {"error":{"code":"exists"}} on stdout')
    T.ok(typeof ej.error.message === 'string' && ej.error.message.length > 0, 'with a message: ' + aj.out.trim())
    const upd = await okJson(['enroll', 'uno3', '--update', '--level', '2', '--cid', 'u3c'])
    T.eq(upd.level, 2, '--update replaces it'); T.eq(upd.cid, 'u3c', 'with the new cid')
    await fails(ws, 'uno3', key3)
    const c = await ready(client(ws, 'uno3', upd.key))
    T.eq(c.cid, 'u3c', 'the new key and CID work'); T.eq(c.level, 2, 'the new level'); c.stop()
  })

  await T.test('enroll --key-stdin, --key-file, --format json|env|arduino', async () => {
    const s = await okJson(['enroll', 'kin1', '--key-stdin'], { input: 'stdin-secret\n' })
    T.ok(!('key' in s), 'a supplied key is not printed')
    const a = await ready(client(ws, 'kin1', 'stdin-secret')); a.stop()
    const f = path.join(tmp, 'key.txt'); fs.writeFileSync(f, 'file-secret\n', { mode: 0o600 })
    await ok(['enroll', 'kin2', '--key-file', f, '--level', '3'])
    const b = await ready(client(ws, 'kin2', 'file-secret')); T.eq(b.level, 3, '--level'); b.stop()
    const j = JSON.parse(await ok(['enroll', 'fmt1', '--format', 'json']))
    T.eq(j.id, 'fmt1', 'json format'); T.ok(j.key.length === 32, 'json key')
    const env = await ok(['enroll', 'fmt2', '--format', 'env'])
    const vars = Object.fromEntries(env.trim().split('\n').map(l => l.split('=')))
    T.eq(vars.IOSD_ID, 'fmt2', 'env IOSD_ID'); T.ok(vars.IOSD_KEY.length === 32, 'env IOSD_KEY')
    const c = await ready(client(ws, 'fmt2', vars.IOSD_KEY)); c.stop()
    const ard = await ok(['enroll', 'fmt3', '--format', 'arduino', '--host', '192.0.2.10'])
    T.ok(ard.includes('"192.0.2.10"'), 'arduino host'); T.ok(ard.includes(`IOSD_PORT ${d.cong}`), 'the CongSocket port')
    const k = /IOSD_KEY "([^"]+)"/.exec(ard)
    T.ok(k && /IOSD_ID "fmt3"/.test(ard), 'arduino id and key')
    const e = await ready(client(cong, 'fmt3', k[1])); T.eq(e.cid, 'fmt3', 'the arduino key logs in'); e.stop()
    T.eq((await iosctl(['enroll', 'kin3', '--key-file', path.join(tmp, 'missing')])).code, 2, 'a missing key file')
  })

  await T.test('devices, device, set-level, disable, enable, rotate-key, import: text and JSON', async () => {
    const list = await okJson(['devices'])
    T.ok(list.total >= 1 && list.list.some(x => x.id === 'uno3'), 'devices JSON')
    T.ok(/^ID\s+CID\s+LEVEL/.test(await ok(['devices'])), 'devices table')
    const dev = await okJson(['device', 'uno3'])
    T.ok(dev.logins >= 2 && dev.last_addr === '127.0.0.1', 'device JSON counts logins and the address')
    T.eq(kv(await ok(['device', 'uno3'])).id, 'uno3', 'device text')
    T.eq((await iosctl(['device', 'nobody'])).code, 4, 'an unknown device: exit 4')
    T.eq(JSON.parse((await iosctl(['--json', 'device', 'nobody'])).out).error.code, 'not_found', 'its JSON error code')
    T.eq((await okJson(['set-level', 'kin1', '11'])).level, 11, 'set-level JSON')
    T.ok(/level 10/.test(await ok(['set-level', 'kin1', '10'])), 'set-level text')
    T.ok(/disabled/.test(await ok(['disable', 'kin1'])), 'disable text')
    await fails(ws, 'kin1', 'stdin-secret')
    T.eq((await okJson(['enable', 'kin1'])).disabled, false, 'enable JSON')
    T.ok(/kin2 disabled/.test(await ok(['disable', 'kin2'])) && /kin2 enabled/.test(await ok(['enable', 'kin2'])),
      'disable and enable text')
    const rk = kv(await ok(['rotate-key', 'kin1']))
    T.ok(rk.key && rk.key.length === 32, 'rotate-key prints the new key')
    await fails(ws, 'kin1', 'stdin-secret')
    const a = await ready(client(ws, 'kin1', rk.key)); T.eq(a.level, 10, 'the rotated key, the new level'); a.stop()
    const rj = await okJson(['rotate-key', 'kin2'])
    T.eq(rj.id, 'kin2', 'rotate-key JSON'); T.ok(rj.key && rj.key.length === 32, 'with the new key')
    const b2 = await ready(client(ws, 'kin2', rj.key)); b2.stop()
    const f = path.join(tmp, 'auth_file.json')
    fs.writeFileSync(f, JSON.stringify([['imp1', 'ik1', 'imp1', 2], ['imp2', 'ik2', 'imp2c', 0]]))
    T.eq((await okJson(['import', f])).imported, 2, 'import JSON')
    T.eq((await iosctl(['import', f])).code, 5, 'importing again without --update: exit 5')
    T.ok(/2/.test(await ok(['import', f, '--update'])), 'import --update text')
    const b = await ready(client(ws, 'imp2', 'ik2')); T.eq(b.cid, 'imp2c', 'an imported device logs in'); b.stop()
  })

  await T.test('quota-set, audit: text and JSON', async () => {
    const q = await okJson(['quota-set', '11', 'traffic_rate=12345'])
    T.eq(q.traffic_rate, 12345, 'changed'); T.eq(q.signal_size, 65535, 'others kept')
    T.ok(/\n\s+11\s+4096\s/.test(await ok(['quota-set', '11', 'signal_size=4096'])), 'quota-set text')
    T.eq((await iosctl(['quota-set', '11', 'bogus=1'])).code, 2, 'an unknown field')
    T.eq((await iosctl(['quota-set', '11'])).code, 2, 'no field')
    const au = await okJson(['audit', '--device', 'kin1'])
    T.ok(au.list.some(x => x.event === 'enroll') && au.list.every(x => x.device === 'kin1'), 'audit --device')
    T.ok(/^SEQ\s+WHEN\s+EVENT/.test(await ok(['audit'])), 'audit table')
  })

  await T.test('clients, client, channels, subscribers, signal, wall, kick: text and JSON', async () => {
    const a = await ready(client(ws))
    await a.subscribe_promise('room')
    const cl = await okJson(['clients', '--filter', a.cid])
    T.eq(cl.total, 1, 'clients --filter'); T.eq(cl.list[0].transport, 'ws', 'transport')
    T.eq(cl.list[0].state_name, 'cid_ready', 'the state by name')
    T.ok((await ok(['clients'])).includes(a.cid), 'clients table lists the CID')
    T.eq((await okJson(['clients', '--authorized'])).list.length, 0, 'no logged-in client')
    T.ok((await okJson(['client', a.cid])).channels.includes('CH:room'), 'client JSON')
    T.ok(/CH:room/.test(await ok(['client', a.cid])), 'client text lists its channels')
    T.eq((await okJson(['channels', '--filter', 'room'])).list[0].subscribers, 1, 'channels JSON')
    T.ok(/CH:room\s+1/.test(await ok(['channels'])), 'channels table')
    T.eq((await okJson(['subscribers', 'CH:room'])).list[0].cid, a.cid, 'subscribers JSON')
    T.ok((await ok(['subscribers', 'CH:room'])).includes(a.cid), 'subscribers text')
    const got = new Promise(resolve => a.on('room', (...v) => resolve(v)))
    T.eq((await okJson(['signal', 'room', 'from iosctl'])).delivered, 1, 'signal JSON')
    T.eq((await got)[0], 'from iosctl', 'the client got the signal')
    const gotJ = new Promise(resolve => a.on('room', (...v) => resolve(v)))
    T.ok(/delivered to 1/.test(await ok(['signal', 'room', '{"n":1}', '--json-payload'])), 'signal text')
    T.eq((await gotJ)[0].n, 1, 'a JSON payload arrives as an object')
    const wall = new Promise(resolve => a.on('socket_data', m => {
      if (m[0] === 0xd6) resolve(JSON.parse(Buffer.from(m.subarray(1)).toString()))
    }))
    T.ok(/1/.test(await ok(['wall', '{"msg":"maintenance"}', '--event', 'notice'])), 'wall text')
    const w = await wall
    T.eq(w.event, 'notice', 'SERVER_SIGNAL event'); T.eq(w.data.msg, 'maintenance', 'its data')
    T.eq((await iosctl(['wall', '{not json'])).code, 2, 'wall with bad JSON: usage')
    const closed = new Promise(resolve => a.on('close', resolve))
    const acid = a.cid // cleared by the client when it is closed
    const kj = await okJson(['kick', acid, 'testing', 'kick'])
    T.eq(kj.kicked, 1, 'kick JSON: how many'); T.eq(kj.clients[0].cid, acid, 'and which')
    await closed
    a.stop()
    const b = await ready(client(cong)); const bcid = b.cid
    const bClosed = new Promise(resolve => b.on('close', resolve))
    T.ok((await ok(['kick', bcid])).includes(bcid), 'kick text')
    await bClosed
    b.stop()
    await until(async () => (await okJson(['clients'])).total === 0, 3000, 'the kicked client gone')
    T.eq((await iosctl(['kick', '?none'])).code, 4, 'kicking nobody: exit 4')
    const un = await iosctl(['signal', 'nobody@topic', 'x'])
    T.eq(un.code, 4, 'a unicast to an unknown CID: exit 4'); T.ok(/nobody/.test(un.err), un.err.trim())
  })

  await T.test('kick by session, address, device and anonymity; ban, bans, unban', async () => {
    const a = await ready(client(ws)); const b = await ready(client(cong))
    const la = (await okJson(['clients', '--filter', a.cid])).list[0]
    const aClosed = new Promise(resolve => a.on('close', resolve))
    const k = await okJson(['kick', '--ssid', String(la.ssid), '--reason', 'by session'])
    T.eq(k.kicked, 1, 'kick --ssid: one'); T.eq(k.clients[0].ssid, la.ssid, 'the one named')
    await aClosed; a.stop()
    await until(() => d.log().includes('kicked: by session'), 3000, 'the kick reason in the log')
    T.ok(true, 'the kick reason reaches the log')
    const bClosed = new Promise(resolve => b.on('close', resolve))
    T.ok(/kicked/.test(await ok(['kick', '--address', '127.0.0.0/8', '--anonymous', '--transport', 'cong'])),
      'kick --address NET --anonymous --transport')
    await bClosed; b.stop()
    T.eq((await iosctl(['kick'])).code, 1, 'kick with no selection: refused (bad_args)')
    T.eq((await iosctl(['kick', '--device', 'nobody'])).code, 4, 'kick --device nobody: exit 4')
    const bn = await okJson(['ban', '192.0.2.0/24', '--for', '2h', '--reason', 'testing'])
    T.eq(bn.address, '192.0.2.0/24', 'ban JSON'); T.ok(bn.until > Date.now() / 1000 + 7000, 'expires in 2h')
    const bl = await okJson(['bans'])
    T.eq(bl.total, 1, 'bans: {total, list}'); T.eq(bl.list[0].reason, 'testing', 'its reason')
    T.ok(/192\.0\.2\.0\/24\s+.*in 1h|in 2h/.test(await ok(['bans'])), 'bans table with the expiry')
    T.eq((await iosctl(['ban', 'not-an-address'])).code, 1, 'a bad address is refused')
    T.ok(/unbanned 192\.0\.2\.0\/24/.test(await ok(['unban', '192.0.2.0/24'])), 'unban text')
    T.eq((await iosctl(['unban', '192.0.2.0/24'])).code, 4, 'unban again: exit 4')
    T.eq((await okJson(['bans'])).total, 0, 'no bans left')
  })

  await T.test('revoke kicks the live session and the next login fails', async () => {
    const key = kv(await ok(['enroll', 'gone1'])).key
    const a = await ready(client(ws, 'gone1', key))
    const closed = new Promise(resolve => a.on('close', resolve))
    const r = await okJson(['revoke', 'gone1'])
    T.eq(r.kicked, 1, 'one live session kicked')
    await closed
    a.stop()
    await fails(ws, 'gone1', key)
    await ok(['enroll', 'gone2', '--key-stdin'], { input: 'k2\n' })
    T.ok(/gone2/.test(await ok(['revoke', 'gone2'])), 'revoke text')
    T.eq((await iosctl(['revoke', 'gone1'])).code, 4, 'revoking it again: exit 4')
  })

  await T.test('trace shows a signal from a real client with tag and payload; filters work', async () => {
    const p = await ready(client(ws))
    let child
    const tr = iosctl(['trace', '--tag', 'tr*', '--dir', 'in', '--count', '1'], { child: c => { child = c } })
    // The stream has started once the daemon has the trace client.
    await until(async () => child && (await okJson(['status'])).control.traces === 1, 3000, 'trace started')
    const sendUntil = setInterval(() => { p.signal('other', 'not this'); p.signal('trace-me', 'hello trace') }, 50)
    const r = await tr
    clearInterval(sendUntil)
    T.eq(r.code, 0, 'exit 0 after --count 1')
    const all = r.out.trim().split('\n')
    T.eq(all.length, 2, 'a header and one line'); T.ok(/^TIME\s+DIR\s+TR\s+CID\s+DEVICE\s+TYPE\s+TAG\s+PTYPE\s+LEN\s+PAYLOAD$/.test(all[0]), 'the header: ' + all[0])
    const line = all.slice(1)
    T.ok(/trace-me/.test(line[0]), 'the tag: ' + line[0])
    T.ok(/ hello trace$/.test(line[0]) && /SIGNAL/.test(line[0]) && line[0].includes(p.cid), 'payload as the client sees it, type and cid: ' + line[0])
    T.ok(!/\.\.trace-me|trace-me\./.test(line[0].split(/\s+/).slice(-2).join(' ')), 'not the raw frame')
    T.ok(!/other/.test(r.out), 'the tag filter left "other" out')
    const tj = iosctl(['--json', 'trace', '--cid', p.cid, '--type', 'signal', '--count', '3'])
    const again = setInterval(() => p.signal('json-tag', 'as json'), 50)
    const rj = await tj
    clearInterval(again)
    const evs = rj.out.trim().split('\n').map(l => JSON.parse(l))
    T.eq(evs.length, 3, 'three JSON lines')
    T.ok(evs.every(e => e.event === 'trace' && e.cid === p.cid && e.type === 'SIGNAL'), 'cid and type filters')
    const dur = await iosctl(['trace', '--tag', 'never-sent', '--duration', '0.3'])
    T.eq(dur.code, 0, '--duration ends with exit 0'); T.eq(dur.out, '', 'nothing matched')
    p.stop()
  })

  await T.test('a trace whose reader stalls reports dropped events', async () => {
    const p = await ready(client(ws))
    let child
    const tr = iosctl(['trace', '--queue', '5', '--tag', 'flood', '--duration', '8'], { child: c => { child = c } })
    await until(() => child, 2000, 'iosctl started')
    child.stdout.pause() // its stdout pipe fills, iosctl blocks, the daemon's queue overflows
    await new Promise(resolve => setTimeout(resolve, 200))
    for (let i = 0; i < 6000; i++) p.signal('flood', 'x'.repeat(200))
    await new Promise(resolve => setTimeout(resolve, 700))
    child.stdout.resume()
    const last = setInterval(() => p.signal('flood', 'last one'), 100)
    const r = await new Promise(resolve => {
      let err = ''
      child.stderr.on('data', x => {
        err += x
        if (/events dropped/.test(err)) { child.kill('SIGINT'); resolve(err) }
      })
      tr.then(x => resolve(x.err))
    })
    clearInterval(last)
    const m = /(\d+) events dropped/.exec(r)
    T.ok(m && Number(m[1]) > 0, 'iosctl says how many were dropped: ' + r.trim().split('\n')[0])
    const done = await tr
    T.eq(done.code, 0, 'SIGINT ends the stream with exit 0')
    p.stop()
  })

  await T.test('watch prints samples: text and JSON', async () => {
    const t = await ok(['watch', '--interval', '100', '--count', '3'])
    const lines = t.trim().split('\n')
    T.eq(lines.length, 4, 'a header and three samples'); T.ok(/^TIME\s+CLIENTS/.test(lines[0]), 'header')
    T.ok(/msg\/s/.test(lines[3]), 'rates with units')
    const j = (await ok(['--json', 'watch', '--interval', '100', '--count', '2'])).trim().split('\n').map(l => JSON.parse(l))
    T.eq(j.length, 2, 'two JSON lines'); T.ok(j.every(e => e.event === 'metrics'), 'metrics events')
  })

  await T.test('the read-only socket refuses enroll and answers queries', async () => {
    const r = await iosctl(['-c', ro, 'enroll', 'x1'])
    T.eq(r.code, 1, 'enroll refused: exit 1'); T.ok(/read-only/.test(r.err), r.err.trim())
    T.eq((await iosctl(['-c', ro, 'kick', 'x'])).code, 1, 'kick refused')
    T.ok((await okJson(['-c', ro, 'devices'])).total >= 1, 'devices answered')
    T.ok((await ok(['-c', ro, 'status'])).includes(String(d.pid)), 'status answered')
  })

  await T.test('a scripted loop of 1,000 enrollments', async () => {
    const script = `i=0; while [ $i -lt 1000 ]; do "$0" enroll "b$i" --format env >/dev/null || exit 1; i=$((i+1)); done`
    const t0 = process.hrtime.bigint()
    const code = await new Promise(resolve => {
      const c = spawn('sh', ['-c', script, ctl], { env: { ...process.env, IOSD_CONTROL: sock }, stdio: 'ignore' })
      running.add(c)
      c.once('exit', x => { running.delete(c); resolve(x) })
    })
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    T.eq(code, 0, 'every enrollment succeeded')
    const list = await okJson(['devices', '--limit', '1000'])
    T.ok(list.total >= 1000, `${list.total} devices`)
    process.stdout.write(`# 1000 iosctl enroll calls took ${ms.toFixed(0)} ms (${(ms / 1000).toFixed(2)} ms each)\n`)
  }, 120000)
} finally {
  const r = await d.stop()
  await T.test('the daemon exits 0', async () => { T.eq(r.code, 0, 'exit status') })
}
T.done()
process.exit()

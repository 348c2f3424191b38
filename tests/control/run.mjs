// Control socket tests against the real daemon, at the protocol level
// (iosctl has its own suite): every command, errors that leave the socket
// usable, the read-only socket, socket ownership, enroll -> login with
// the npm client, revoke, trace with filters and drops.
//
//   node tests/control/run.mjs [--bin build/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, tap, until, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const T = tap({ timeout: 20000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-ctl-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))

// A JSON-lines client: request() resolves with the response to its id;
// events are collected per stream id.
class Ctl {
  static open (sock) {
    return new Promise((resolve, reject) => {
      const s = net.connect(sock)
      s.once('connect', () => resolve(new Ctl(s)))
      s.once('error', reject)
    })
  }

  constructor (s) {
    this.s = s; this.buf = ''; this.next = 1; this.waiting = new Map(); this.events = []
    this.lines = []
    s.on('data', d => {
      this.buf += d
      let i
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i); this.buf = this.buf.slice(i + 1)
        this.lines.push(line)
        const o = JSON.parse(line)
        if (o.event) this.events.push(o)
        else if (this.waiting.has(o.id)) { this.waiting.get(o.id)(o); this.waiting.delete(o.id) } else this.orphans = (this.orphans || []).concat(o)
      }
    })
  }

  request (cmd, args, id = this.next++) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${cmd}`)), 5000)
      this.waiting.set(id, o => { clearTimeout(t); resolve(o) })
      this.s.write(JSON.stringify(args ? { v: 1, id, cmd, args } : { id, cmd }) + '\n')
    })
  }

  // Send raw bytes and wait for the next orphan (id null) answer.
  async raw (text) {
    const before = (this.orphans || []).length
    this.s.write(text)
    await until(() => (this.orphans || []).length > before, 3000, 'answer to raw line')
    return this.orphans[this.orphans.length - 1]
  }

  close () { this.s.destroy() }
}


const client = (port, id, key) => { const io = new IO(`ws://127.0.0.1:${port}`); if (id) io.auth(id, key); return io }
const ok = (r, what) => { if (!r.ok) throw new Error(`${what}: ${JSON.stringify(r.error)}`); return r.result }

const dir = path.join(tmp, 'd'); fs.mkdirSync(dir, { mode: 0o700 })
const sock = path.join(dir, 'ctl.sock'); const ro = path.join(dir, 'ro.sock')
const d = await startDaemon(bin, ['-D', path.join(dir, 'iosd.db'), '-c', sock, '--control-ro', ro,
  '--auth-fail-delay', '100'])
const c = await Ctl.open(sock)

try {
  await T.test('the sockets are created with mode 0660', async () => {
    T.eq((fs.statSync(sock).mode & 0o777).toString(8), '660', sock)
    T.eq((fs.statSync(ro).mode & 0o777).toString(8), '660', ro)
  })

  await T.test('status, metrics, quota-list, audit, log-level', async () => {
    const st = ok(await c.request('status'), 'status')
    T.eq(st.pid, d.pid, 'pid'); T.ok(st.listeners.length === 2, 'listeners')
    T.eq(st.store.backend, 'sqlite', 'backend')
    const m = ok(await c.request('metrics'), 'metrics')
    T.ok(m.connections.ws && m.drops.slow_consumer === 0 && 'fanout_deliveries' in m, 'metrics shape')
    const q = ok(await c.request('quota-list'), 'quota-list')
    T.eq(q.map(x => x.level).join(','), '0,1,2,3,10,11,12,200,255', 'levels')
    ok(await c.request('log-level', { level: 'debug' }), 'log-level')
    ok(await c.request('log-level', { level: 'info' }), 'log-level')
    T.ok(Array.isArray(ok(await c.request('audit', { limit: 5 }), 'audit')), 'audit')
  })

  await T.test('enroll -> the npm client logs in with the key; devices, device', async () => {
    const r = ok(await c.request('enroll', { id: 'uno3', level: 2 }), 'enroll')
    T.eq(r.cid, 'uno3', 'cid defaults to the id'); T.ok(/^[A-Za-z0-9_-]{32}$/.test(r.key), 'a 32-char key')
    const io = await ready(client(d.ws, 'uno3', r.key))
    T.eq(io.cid, 'uno3', 'logged in with its cid'); T.eq(io.level, 2, 'level')
    const dev = ok(await c.request('device', { id: 'uno3' }), 'device')
    T.eq(dev.logins, 1, 'login counted'); T.eq(dev.last_addr, '127.0.0.1', 'last address')
    const list = ok(await c.request('devices'), 'devices')
    T.ok(list.devices.some(x => x.id === 'uno3'), 'listed')
    const again = await c.request('enroll', { id: 'uno3' })
    T.eq(again.error && again.error.code, 'exists', 'enrolling it again is an error')
    const upd = ok(await c.request('enroll', { id: 'uno3', key: 'given-key', update: true }), 'enroll --update')
    T.ok(!('key' in upd), 'a key given by the operator is not echoed')
    io.stop()
  })

  await T.test('revoke kicks the live session and the next login fails', async () => {
    const r = ok(await c.request('enroll', { id: 'gone1' }), 'enroll')
    const io = await ready(client(d.ws, 'gone1', r.key))
    const closed = new Promise(resolve => io.on('close', resolve))
    const rv = ok(await c.request('revoke', { id: 'gone1' }), 'revoke')
    T.eq(rv.kicked, 1, 'one live session kicked')
    await Promise.race([closed, new Promise((resolve, reject) => setTimeout(() => reject(new Error('not closed')), 3000))])
    io.stop()
    const again = client(d.ws, 'gone1', r.key)
    const fail = new Promise(resolve => again.on('change', s => { if (s === 'auth_fail') resolve() }))
    await Promise.race([fail, new Promise((resolve, reject) => setTimeout(() => reject(new Error('no AUTH_FAIL')), 4000))])
    again.stop()
    const none = await c.request('device', { id: 'gone1' })
    T.eq(none.error && none.error.code, 'not_found', 'gone from the store')
  })

  await T.test('disable, enable, set-level, rotate-key, quota-set, import', async () => {
    ok(await c.request('enroll', { id: 'dev5', key: 'k5' }), 'enroll')
    T.eq(ok(await c.request('disable', { id: 'dev5' }), 'disable').disabled, true, 'disabled')
    T.eq(ok(await c.request('enable', { id: 'dev5' }), 'enable').disabled, false, 'enabled')
    T.eq(ok(await c.request('set-level', { id: 'dev5', level: 11 }), 'set-level').level, 11, 'level')
    const rk = ok(await c.request('rotate-key', { id: 'dev5' }), 'rotate-key')
    const io = await ready(client(d.ws, 'dev5', rk.key))
    T.eq(io.level, 11, 'logs in with the rotated key at its new level'); io.stop()
    const qs = ok(await c.request('quota-set', { level: 11, traffic_rate: 12345 }), 'quota-set')
    T.eq(qs.traffic_rate, 12345, 'quota changed'); T.eq(qs.signal_size, 65535, 'others kept')
    const f = path.join(tmp, 'auth.json')
    fs.writeFileSync(f, JSON.stringify([['imp1', 'ik1', 'imp1', 2], ['imp2', 'ik2', 'imp2c', 0]]))
    T.eq(ok(await c.request('import', { path: f }), 'import').imported, 2, 'imported')
    const io2 = await ready(client(d.ws, 'imp2', 'ik2'))
    T.eq(io2.cid, 'imp2c', 'an imported device logs in'); T.eq(io2.level, 3, 'level 0 in a file is 3'); io2.stop()
  })

  await T.test('clients, client, channels, subscribers, kick, signal, wall', async () => {
    const a = await ready(client(d.ws))
    const got = new Promise(resolve => a.on('room', (...v) => resolve(v)))
    await a.subscribe_promise('room')
    const cl = ok(await c.request('clients', { filter: a.cid }), 'clients')
    T.eq(cl.total, 1, 'filtered to one'); T.eq(cl.clients[0].transport, 'ws', 'transport')
    const one = ok(await c.request('client', { cid: a.cid }), 'client')
    T.ok(one.channels.includes('CH:room'), 'its channels')
    const chs = ok(await c.request('channels', { filter: 'room' }), 'channels')
    T.eq(chs.channels[0].subscribers, 1, 'one subscriber')
    const subs = ok(await c.request('subscribers', { channel: 'CH:room' }), 'subscribers')
    T.eq(subs.subscribers[0].cid, a.cid, 'the subscriber')
    T.eq(ok(await c.request('signal', { tag: 'room', payload: 'from the operator' }), 'signal').delivered, 1, 'delivered')
    T.eq((await got)[0], 'from the operator', 'the client got it')
    const wall = new Promise(resolve => a.on('socket_data', m => { if (m[0] === 0xd6) resolve(JSON.parse(Buffer.from(m.subarray(1)).toString())) }))
    ok(await c.request('wall', { data: { msg: 'maintenance' }, event: 'notice' }), 'wall')
    const w = await wall
    T.eq(w.event, 'notice', 'SERVER_SIGNAL event'); T.eq(w.data.msg, 'maintenance', 'data')
    const closed = new Promise(resolve => a.on('close', resolve))
    ok(await c.request('kick', { cid: a.cid, reason: 'test' }), 'kick')
    await closed
    a.stop()
  })

  await T.test('trace shows a signal with tag and payload; filters work', async () => {
    const t = await Ctl.open(sock)
    ok(await t.request('trace', { tag: 'tr*', dir: 'in' }, 50), 'trace')
    const p = await ready(client(d.ws))
    p.signal('other', 'not this')
    p.signal('trace-me', 'hello trace')
    await until(() => t.events.some(e => e.tag === 'trace-me'), 3000, 'trace event')
    const e = t.events.find(x => x.tag === 'trace-me')
    T.eq(e.event, 'trace', 'event'); T.eq(e.id, 50, 'stream id'); T.eq(e.type, 'SIGNAL', 'type')
    T.eq(e.dir, 'in', 'dir'); T.eq(e.cid, p.cid, 'cid'); T.eq(e.ptype, 'TEXT', 'payload type')
    T.ok(e.text.includes('hello trace'), 'payload text'); T.ok(e.hex.startsWith('d008'), 'hex')
    T.ok(!t.events.some(x => x.tag === 'other'), 'the tag filter left "other" out')
    ok(await t.request('cancel', { stream: 50 }), 'cancel')
    const n = t.events.length
    p.signal('trace-me', 'after cancel')
    await new Promise(resolve => setTimeout(resolve, 200))
    T.eq(t.events.length, n, 'no events after cancel')
    p.stop(); t.close()
  })

  await T.test('an overflowing trace reports dropped events', async () => {
    const t = await Ctl.open(sock)
    ok(await t.request('trace', { queue: 5 }, 60), 'trace')
    t.s.pause() // a reader that falls behind
    const p = await ready(client(d.ws))
    for (let i = 0; i < 3000; i++) p.signal('flood', 'x'.repeat(200))
    await new Promise(resolve => setTimeout(resolve, 500))
    t.s.resume()
    p.signal('flood', 'last one')
    await until(() => t.events.some(e => e.event === 'dropped'), 5000, 'dropped event')
    const dropped = t.events.filter(e => e.event === 'dropped').reduce((a, e) => a + e.count, 0)
    T.ok(dropped > 0, `${dropped} events reported dropped`)
    p.stop(); t.close()
  })

  await T.test('watch streams metrics until cancelled', async () => {
    const w = await Ctl.open(sock)
    ok(await w.request('watch', { interval_ms: 100 }, 70), 'watch')
    await until(() => w.events.filter(e => e.event === 'metrics').length >= 3, 3000, 'three samples')
    T.ok(w.events.every(e => e.id === 70 && e.connections), 'metrics events')
    ok(await w.request('cancel', { stream: 70 }), 'cancel')
    w.close()
  })

  await T.test('bad requests get errors and the socket stays usable', async () => {
    T.eq((await c.raw('this is not json\n')).error.code, 'bad_json', 'bad JSON')
    T.eq((await c.raw('[1,2]\n')).error.code, 'bad_request', 'not an object')
    T.eq((await c.request('no-such-thing')).error.code, 'unknown_command', 'unknown command')
    T.eq((await c.request('client', { cid: 42 })).error.code, 'bad_args', 'wrong type')
    T.eq((await c.request('enroll', {})).error.code, 'bad_args', 'missing argument')
    T.eq((await c.request('enroll', { id: 'a"b' })).error.code, 'bad_args', 'bad id')
    T.eq((await c.request('set-level', { id: 'uno3', level: 256 })).error.code, 'bad_args', 'out of range')
    T.eq((await c.request('client', { cid: '?none' })).error.code, 'not_found', 'not found')
    T.eq((await c.raw('{"id":1,"cmd":"status","args":{"x":"' + 'y'.repeat(70000) + '"}}\n')).error.code,
      'too_large', 'a line over 64 KiB')
    T.ok(ok(await c.request('status'), 'status').pid === d.pid, 'still usable')
  })

  await T.test('the read-only socket refuses changes, answers queries', async () => {
    const r = await Ctl.open(ro)
    T.eq((await r.request('enroll', { id: 'x1' })).error.code, 'read_only', 'enroll refused')
    T.eq((await r.request('kick', { cid: 'x' })).error.code, 'read_only', 'kick refused')
    T.ok(ok(await r.request('devices'), 'devices').total >= 1, 'devices answered')
    r.close()
  })

  await T.test('a socket held by a live daemon is refused; a stale one replaced', async () => {
    const r = spawnSync(bin, ['-l', `127.0.0.1:${await freePort()}`, '-D', path.join(tmp, 'x.db'), '-c', sock],
      { encoding: 'utf8', timeout: 10000 })
    T.ok(r.status !== 0, `second daemon exit status ${r.status}`)
    T.ok(/in use by a running daemon/.test(r.stderr), 'message: ' + r.stderr.trim())
    T.ok(ok(await c.request('status'), 'status').pid === d.pid, 'the first daemon still answers')
    const stale = path.join(tmp, 'stale.sock')
    const e = await startDaemon(bin, ['-D', path.join(tmp, 's1.db'), '-c', stale])
    process.kill(e.pid, 'SIGKILL'); await e.exited
    T.ok(fs.existsSync(stale), 'kill -9 left the socket file')
    const f = await startDaemon(bin, ['-D', path.join(tmp, 's1.db'), '-c', stale])
    const fc = await Ctl.open(stale)
    T.eq(ok(await fc.request('status'), 'status').pid, f.pid, 'the new daemon took over the stale path')
    fc.close(); await f.stop()
  })
} finally {
  c.close()
  const r = await d.stop()
  await T.test('the daemon exits 0 and removes its sockets', async () => {
    T.eq(r.code, 0, 'exit status'); T.ok(!fs.existsSync(sock) && !fs.existsSync(ro), 'sockets removed')
  })
}
T.done()
process.exit()

// Channel permissions, the connection policy and presence (doc/iosd.md
// "Channel permissions", doc/protocol.md "Presence"): rules added with
// iosctl acl lock device command channels to their devices and an admin
// level; level ranges; retained and CID@topic patterns; a rule change,
// SIGHUP-style reload and rule removal applied to existing subscriptions;
// --anonymous deny with its deadline; --allowed-origin (403 vs 101);
// presence join/leave signals and the members REQUEST. Unmodified npm
// iosignal clients.
//
//   node tests/acl/run.mjs [--bin build/iosd] [--ctl build/iosctl]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, tap, ready, until } from '../lib/daemon.mjs'
import { upgradeRequest } from '../lib/raw.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt
const bin = opt('--bin', 'build/iosd')
const ctl = opt('--ctl', path.join(path.dirname(bin), 'iosctl').replace(/asan\/iosctl$/, 'iosctl'))
const T = tap({ timeout: 20000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-acl-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const f = name => path.join(tmp, name)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// dev1 and dev2 are devices of level 3; ops is an operator of level 1.
const devices = 'dev1.key-dev1.3,dev2.key-dev2.3,ops.key-ops.1'
const sock = f('ctl.sock')
const db = f('iosd.db')
const d = await startDaemon(bin, ['-D', db, '-c', sock, '-e', devices,
  '--presence', 'room*', '--allowed-origin', 'https://good.example'])
const iosctl = (args, s = sock) => spawnSync(ctl, ['-c', s, ...args], { encoding: 'utf8' })
const acl = (...args) => {
  const r = iosctl(['--json', 'acl', ...args])
  if (r.status !== 0) throw new Error(`iosctl acl ${args.join(' ')}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}
const drops = (s = sock) => JSON.parse(iosctl(['--json', 'metrics'], s).stdout).drops.acl
const url = `ws://127.0.0.1:${d.ws}`
const opened = []
async function client (id) {
  const io = new IO(url)
  if (id) io.auth(id, `key-${id}`)
  opened.push(io)
  await ready(io)
  return io
}
// What a client hears on tag, into an array.
function inbox (io, tag) {
  const got = []
  io.on(tag, (v) => got.push(v))
  return got
}
const subOk = (io, tag) => io.subscribe_promise(tag).then(() => true, () => false)

await T.test('no rules: everything allowed, acl list empty', async () => {
  const l = acl('list')
  T.eq(l.total, 0, 'no rules')
  const a = await client()
  T.ok(await subOk(a, 'dev/dev1/cmd'), 'anonymous subscribes to dev/dev1/cmd without rules')
  a.unsubscribe('dev/dev1/cmd')
})

// The example rule set: each device's command channels are its own, an
// admin level (0-2) reaches all of them, nobody else does.
const rules = [
  ['allow', 'dev1', 'both', 'dev/dev1/*', '--prio', '10'],
  ['allow', 'dev2', 'both', 'dev/dev2/*', '--prio', '10'],
  ['allow', 'level:0-2', 'both', 'dev/*', '--prio', '20'],
  ['deny', 'any', 'both', 'dev/*']
]
let dev1, dev2, ops, anon
await T.test('acl add: the example rule set, listed in order and audited', async () => {
  for (const r of rules) {
    const res = acl('add', ...r)
    T.eq(res.pattern, r[3], `rule ${r.join(' ')} added`)
  }
  const l = acl('list')
  T.eq(l.total, 4, 'four rules')
  T.eq(l.list.map(r => r.who).join(','), 'dev1,dev2,level:0-2,any', 'in (prio, id) order')
  const human = iosctl(['acl', 'list'])
  T.ok(/dev\/dev1\/\*/.test(human.stdout) && /first match/.test(human.stdout), 'a table for people: ' + human.stdout)
  const audit = JSON.parse(iosctl(['--json', 'audit']).stdout)
  const rows = audit.list || audit.rows || audit
  T.ok(JSON.stringify(rows).includes('acl_add'), 'acl_add audited')
  const bad = iosctl(['acl', 'add', 'maybe', 'any', 'both', 'x'])
  T.ok(bad.status !== 0 && /allow or deny/.test(bad.stderr), 'a bad effect refused: ' + bad.stderr)
  const badLevel = iosctl(['acl', 'add', 'deny', 'level:9-2', 'both', 'x'])
  T.ok(badLevel.status !== 0, 'a bad level range refused')
})

await T.test('device command channels: anonymous refused (255), the device receives, others dropped and counted', async () => {
  ;[dev1, dev2, ops, anon] = await Promise.all([client('dev1'), client('dev2'), client('ops'), client()])
  T.eq(await subOk(anon, 'dev/dev1/cmd'), false, 'anonymous SUBSCRIBE_REQ refused')
  T.eq(await subOk(dev2, 'dev/dev1/cmd'), false, 'another device refused')
  T.eq(await subOk(dev1, 'dev/dev1/cmd'), true, 'dev1 subscribes to its own')
  const got = inbox(dev1, 'dev/dev1/cmd')
  const before = drops()
  anon.signal('dev/dev1/cmd', 'from anonymous')
  dev2.signal('dev/dev1/cmd', 'from dev2')
  ops.signal('dev/dev1/cmd', 'from ops')
  await until(() => got.length >= 1, 3000, 'dev1 to receive')
  await sleep(200)
  T.eq(got.join('|'), 'from ops', 'only the admin level got through')
  const after = drops()
  T.eq(after - before, 2, 'two publishes dropped, counted as acl')
  const m = await (await fetch(`http://127.0.0.1:${d.ws}/metrics`)).text()
  T.ok(/iosd_drops_total\{reason="acl"\} [1-9]/.test(m), 'acl drops in /metrics')
})

await T.test('level ranges: level 1 subscribes everywhere under dev/, level 3 only its own', async () => {
  T.eq(await subOk(ops, 'dev/dev2/state'), true, 'ops (level 1) reaches dev2')
  T.eq(await subOk(dev1, 'dev/dev2/state'), false, 'dev1 (level 3) does not')
  // A plain SUBSCRIBE refused is ignored: nothing arrives.
  const got = inbox(anon, 'dev/dev2/state')
  anon.subscribe('dev/dev2/state')
  await sleep(200)
  dev2.signal('dev/dev2/state', 'on')
  await sleep(300)
  T.eq(got.length, 0, 'a plain SUBSCRIBE refused is ignored')
})

await T.test('retained and CID@topic patterns', async () => {
  acl('add', 'deny', 'anonymous', 'publish', '*$*')
  acl('add', 'allow', 'level:0-2', 'subscribe', '*@cmd', '--prio', '50')
  acl('add', 'deny', 'any', 'subscribe', '*@cmd', '--prio', '51')
  acl('add', 'deny', 'anonymous', 'publish', `${dev1.cid}@*`)
  const before = drops()
  anon.signal('news$', 'anonymous retained')
  dev2.signal('news$', 'device retained')
  await sleep(200)
  T.eq(drops() - before, 1, 'the anonymous retained publish dropped')
  const late = await client()
  const got = inbox(late, 'news$')
  late.subscribe('news$')
  await until(() => got.length >= 1, 3000, 'the retained signal')
  T.eq(got[0], 'device retained', 'the device\'s retained signal is kept')
  T.eq(await subOk(anon, `${dev1.cid}@cmd`), false, 'anonymous may not subscribe to CID@cmd')
  T.eq(await subOk(ops, `${dev1.cid}@cmd`), true, 'level 1 may')
  const toDev1 = inbox(dev1, '@hello')
  const b2 = drops()
  anon.signal(`${dev1.cid}@hello`, 'unicast from anonymous')
  ops.signal(`${dev1.cid}@hello`, 'unicast from ops')
  await until(() => toDev1.length >= 1, 3000, 'the unicast')
  await sleep(200)
  T.eq(toDev1.join('|'), 'unicast from ops', 'anonymous unicast to dev1 dropped')
  T.eq(drops() - b2, 1, 'counted')
})

await T.test('rule changes and reload remove subscriptions no longer allowed', async () => {
  T.eq(await subOk(anon, 'lobby/a'), true, 'anonymous in lobby/a')
  const got = inbox(anon, 'lobby/a')
  const r = acl('add', 'deny', 'anonymous', 'subscribe', 'lobby/*')
  T.eq(r.unsubscribed, 1, 'acl add removed the subscription')
  ops.signal('lobby/a', 'after the rule')
  await sleep(300)
  T.eq(got.length, 0, 'nothing arrives after it')
  acl('remove', String(r.id))
  T.eq(await subOk(anon, 'lobby/a'), true, 'allowed again once removed')
  // A rule put in the database behind iosd's back applies on reload.
  const s = spawnSync('sqlite3', [db, "INSERT INTO acl (effect, who, action, pattern) VALUES ('deny', 'anonymous', 'subscribe', 'lobby/*')"], { encoding: 'utf8' })
  T.eq(s.status, 0, 'sqlite3 insert: ' + s.stderr)
  const subs = () => JSON.parse(iosctl(['--json', 'subscribers', 'CH:lobby/a']).stdout || '{}')
  T.ok(JSON.stringify(subs()).includes(anon.cid), 'still subscribed before the reload')
  const rl = iosctl(['--json', 'reload'])
  T.eq(rl.status, 0, 'reload: ' + rl.stderr)
  T.ok(rl.stdout.includes('acl'), 'acl reloaded: ' + rl.stdout)
  await until(() => !JSON.stringify(subs()).includes(anon.cid), 2000, 'the subscription to go')
  process.kill(d.pid, 'SIGHUP')
  await sleep(200)
  T.eq(acl('list').total, 9, 'nine rules')
})

await T.test('--allowed-origin: 403 for another browser origin, 101 for the allowed one or none', async () => {
  const status = extra => new Promise((resolve, reject) => {
    const s = net.connect(d.ws, '127.0.0.1', () => s.write(upgradeRequest(extra)))
    let buf = ''
    s.on('data', c => { buf += c; if (buf.includes('\r\n')) { s.destroy(); resolve(Number(buf.split(' ')[1])) } })
    s.on('error', reject)
  })
  T.eq(await status('Origin: https://evil.example\r\n'), 403, 'another origin')
  T.eq(await status('Origin: https://good.example\r\n'), 101, 'the allowed origin')
  T.eq(await status(''), 101, 'no Origin header (not a browser)')
})

await T.test('presence: join and leave signals, members REQUEST', async () => {
  const a = await client()
  const b = await client('dev2')
  T.eq(await subOk(a, 'room1'), true, 'a in room1')
  const events = inbox(a, 'room1@presence')
  T.eq(await subOk(b, 'room1'), true, 'b in room1')
  await until(() => events.length >= 1, 3000, 'the join signal')
  T.eq(JSON.stringify(events[0]), JSON.stringify({ event: 'join', cid: b.cid }), 'join with b\'s CID')
  const members = (await a.req('presence', 'members', 'room1')).body
  T.ok(Array.isArray(members) && members.includes(a.cid) && members.includes(b.cid), 'members: ' + JSON.stringify(members))
  const refused = await anon.req('presence', 'members', 'room1').then(() => 'answered', () => 'refused')
  T.eq(refused, 'refused', 'not a member: refused')
  const none = await a.req('presence', 'members', 'lobby/a').then(() => 'answered', () => 'refused')
  T.eq(none, 'refused', 'no presence on other channels')
  const bcid = b.cid
  b.close()
  await until(() => events.length >= 2, 3000, 'the leave signal')
  T.eq(JSON.stringify(events[1]), JSON.stringify({ event: 'leave', cid: bcid }), 'leave')
  const c = await client()
  T.eq(await subOk(c, 'room1'), true, 'c in room1')
  await until(() => events.length >= 3, 3000, 'c joins')
  c.unsubscribe('room1')
  await until(() => events.length >= 4, 3000, 'c leaves by UNSUBSCRIBE')
  T.eq(events[3].event, 'leave', 'leave on unsubscribe')
  a.close(); c.close()
})

for (const io of opened) io.close()

await T.test('--anonymous deadline=600: anonymous closed, logged in kept', async () => {
  const s2 = f('ctl2.sock')
  const d2 = await startDaemon(bin, ['-D', f('iosd2.db'), '-c', s2, '-e', devices, '--anonymous', 'deadline=600'])
  const u2 = `ws://127.0.0.1:${d2.ws}`
  const member = new IO(u2)
  member.auth('dev1', 'key-dev1')
  await ready(member)
  const stranger = new IO(u2)
  await ready(stranger)
  await until(() => /no login within 600 ms/.test(d2.log()), 4000, 'the anonymous client closed')
  await sleep(300)
  const clients = JSON.parse(spawnSync(ctl, ['-c', s2, '--json', 'clients'], { encoding: 'utf8' }).stdout)
  const list = clients.list || clients.clients || clients
  T.ok(JSON.stringify(list).includes('dev1'), 'the logged-in client stays')
  const m = JSON.parse(spawnSync(ctl, ['-c', s2, '--json', 'metrics'], { encoding: 'utf8' }).stdout)
  T.ok(m.drops.anonymous >= 1, 'counted as anonymous')
  stranger.close(); member.close()
  const bad = spawnSync(bin, ['--anonymous', 'sometimes', '-o'], { encoding: 'utf8' })
  T.ok(bad.status !== 0 && /allow, deny or deadline/.test(bad.stderr), 'a bad --anonymous refused: ' + bad.stderr.trim())
  await d2.stop()
})

await d.stop()
T.done()
process.exit()

// Several iosd nodes as one server over Redis (--cluster, issue 17): a
// private redis-server on a free loopback port and three nodes; npm
// iosignal clients on different nodes exchange channel signals (exactly
// once), unicasts, retained values and @state close notices; a duplicate
// login across nodes; Redis killed and restarted mid-run; a node killed
// (its CIDs expire within --cluster-ttl). TAP.
//
//   node tests/cluster/run.mjs --bin build/iosd
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { IO } from 'iosignal'
import { startDaemon, freePort, tap, until, ready } from '../lib/daemon.mjs'

const args = process.argv.slice(2)
const bin = args[args.indexOf('--bin') + 1] || 'build/iosd'
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-cluster-'))
const sock = path.join(tmp, 'n1.sock')
const tsock = path.join(tmp, 'tmux.sock')
const tmux = (...a) => spawnSync('tmux', ['-S', tsock, '-f', '/dev/null', ...a], { encoding: 'utf8', timeout: 10000 })
process.on('exit', () => { tmux('kill-server'); fs.rmSync(tmp, { recursive: true, force: true }) })
const T = tap({ timeout: 30000, quiet: true })
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

const redisPort = await freePort()
let redis = null
function startRedis () {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no'], { stdio: 'ignore' })
  const r = redis
  r.exitedP = new Promise(resolve => r.once('exit', resolve))
  return until(() => cli('PING') === 'PONG', 5000, 'redis-server PING')
}
function cli (...a) {
  const r = spawnSync('redis-cli', ['-p', String(redisPort), ...a.map(String)], { encoding: 'utf8' })
  return (r.stdout || '').trim()
}
process.on('exit', () => { if (redis) redis.kill('SIGKILL') })
const numsub = ch => Number(cli('PUBSUB', 'NUMSUB', `iosd:0:ch:${ch}`).split('\n')[1] || 0)

await startRedis()
const url = `redis://127.0.0.1:${redisPort}`
const devs = ['-e', 'dev1.key1.2,dev2.key2.2']
const nodes = []
for (const n of ['n1', 'n2', 'n3']) {
  nodes.push(await startDaemon(bin, ['--cluster', url, '--node-id', n, '--cluster-ttl', '2',
    '--auth-fail-delay', '0', ...devs, '--no-config', ...(n === 'n1' ? ['-c', sock] : [])]))
}
const ws = i => `ws://127.0.0.1:${nodes[i].ws}`
const clients = []
const client = async (i, id, key) => {
  const io = new IO(ws(i))
  if (id) io.auth(id, key)
  clients.push(io)
  return ready(io)
}
const metrics = async i => (await fetch(`http://127.0.0.1:${nodes[i].ws}/metrics`)).text()
const linkUp = async i => /^iosd_cluster_link_up 1$/m.test(await metrics(i).catch(() => ''))

await T.test('the three nodes join (link up in /metrics)', async () => {
  await until(async () => (await linkUp(0)) && (await linkUp(1)) && (await linkUp(2)), 5000, 'links up')
})

await T.test('a channel signal reaches the subscribers on every node exactly once', async () => {
  const subs = [await client(0), await client(0), await client(1), await client(2)]
  const pub = await client(0)
  const got = subs.map(() => [])
  subs.forEach((s, k) => { s.subscribe('room'); s.on('room', v => got[k].push(v)) })
  await until(() => numsub('CH:room') === 3, 5000, 'three nodes subscribed in Redis')
  for (let i = 0; i < 20; i++) pub.signal('room', `m${i}`)
  await until(() => got.every(g => g.length >= 20), 5000, 'every subscriber has 20')
  await sleep(300)
  got.forEach((g, k) => T.eq(g.length, 20, `subscriber ${k}: exactly once`))
  T.eq(got[2].join(','), got[0].join(','), 'the same order on another node')
  for (const s of subs) s.close()
  await until(() => numsub('CH:room') === 0, 5000, 'nodes unsubscribe when the last local subscriber goes')
})

await T.test('a unicast cid@topic reaches a client on another node', async () => {
  const a = await client(1)
  const b = await client(2)
  const seen = []
  a.on('@hello', v => seen.push(v))
  await until(() => cli('GET', `iosd:0:cid:${a.cid}`) === 'n2', 3000, 'the CID registered')
  b.signal(`${a.cid}@hello`, 'across')
  await until(() => seen.length === 1, 3000, 'the unicast')
  T.eq(seen[0], 'across', 'its payload')
})

await T.test('a retained signal reaches a late subscriber on another node', async () => {
  const p = await client(0)
  p.signal('temp$', '21.5')
  await until(() => cli('EXISTS', 'iosd:0:ret:CH:temp$') === '1', 3000, 'kept in Redis')
  const late = await client(2)
  const seen = []
  late.on('temp$', v => seen.push(v))
  late.subscribe('temp$')
  await until(() => seen.length >= 1, 3000, 'the retained value')
  T.eq(seen[0], '21.5', 'its value')
})

await T.test('a close notice (@state) reaches subscribers on other nodes', async () => {
  const x = await client(1)
  const w = await client(0)
  const seen = []
  w.on(`${x.cid}@state`, v => seen.push(v))
  w.subscribe(`${x.cid}@state`)
  await until(() => numsub(`CID:${x.cid}@state`) === 1, 3000, 'subscribed in Redis')
  x.close()
  await until(() => seen.includes('close'), 5000, 'close notice')
})

await T.test('a login on node 2 clears the same device on node 1', async () => {
  const first = await client(0, 'dev1', 'key1')
  let stopped = false
  first.on('change', s => { if (/CLOSED|STOP/i.test(String(s))) stopped = true })
  T.eq(first.cid, 'dev1', 'logged in on node 1')
  const second = await client(1, 'dev1', 'key1')
  await until(() => stopped || /CLOSED|STOP/i.test(first.getStateName()), 5000, 'the first session closed')
  T.eq(cli('GET', 'iosd:0:cid:dev1'), 'n2', 'the registry names node 2')
  const seen = []
  second.on('@ping', v => seen.push(v))
  const other = await client(2)
  other.signal('dev1@ping', 'to the new one')
  await until(() => seen.length === 1, 3000, 'a unicast reaches the new session')
})

await T.test('Redis killed: local delivery goes on; restarted: cross-node resumes', async () => {
  const a = await client(0)
  const b = await client(0)
  const c = await client(1)
  const gotB = []; const gotC = []
  b.subscribe('ev'); b.on('ev', v => gotB.push(v))
  c.subscribe('ev'); c.on('ev', v => gotC.push(v))
  await until(() => numsub('CH:ev') === 2, 3000, 'subscribed')
  redis.kill('SIGKILL')
  await redis.exitedP
  await until(async () => !(await linkUp(0)), 3000, 'node 1 sees the outage')
  for (let i = 0; i < 10; i++) a.signal('ev', `down${i}`)
  await until(() => gotB.length === 10, 3000, 'local delivery during the outage')
  T.eq(gotC.length, 0, 'nothing crosses while Redis is away')
  T.ok(/iosd_cluster_outages_total [1-9]/.test(await metrics(0)), 'the outage is counted')
  T.eq(nodes[0].log().split('\n').filter(l => /serving local clients alone/.test(l)).length, 1,
    'logged once')
  await startRedis()
  await until(async () => (await linkUp(0)) && (await linkUp(1)), 15000, 'links up again')
  await until(() => numsub('CH:ev') === 2, 5000, 'subscribed again')
  a.signal('ev', 'back')
  await until(() => gotC.includes('back'), 3000, 'cross-node delivery resumed')
  T.eq(gotB.filter(v => v === 'back').length, 1, 'local once')
}, 40000)

await T.test('status and metrics show the cluster', async () => {
  const m = await metrics(0)
  T.ok(/^iosd_cluster_nodes_seen [12]$/m.test(m), 'nodes seen: ' + (/iosd_cluster_nodes_seen.*/.exec(m) || [''])[0])
  T.ok(/iosd_cluster_messages_in_total\{node="n2"\}/.test(m), 'messages in by node')
  const ctlBin = path.join(path.dirname(bin), 'iosctl')
  const st = JSON.parse(spawnSync(ctlBin, ['-c', sock, '--json', 'status'], { encoding: 'utf8' }).stdout)
  T.eq(st.cluster && st.cluster.node, 'n1', 'iosctl status: the node'); T.eq(st.cluster.link, 'up', 'the link')
  T.ok(/cluster/.test(spawnSync(ctlBin, ['-c', sock, 'status'], { encoding: 'utf8' }).stdout), 'iosctl status text')
  // iostui's dashboard, in a tmux of our own.
  tmux('new-session', '-d', '-x', '120', '-y', '30', `${path.join(path.dirname(bin), 'iostui')} -c ${sock}`)
  let screen = ''
  await until(() => /Cluster: +node n1 +redis up +[12] other nodes?/.test(screen = tmux('capture-pane', '-p').stdout || ''),
    8000, 'the cluster line on the dashboard').catch(e => { throw new Error(e.message + ': ' + screen) })
  T.ok(true, "iostui's dashboard shows the node, the link and the other nodes")
  tmux('kill-server')
})

await T.test('a node killed: its CIDs expire within the TTL', async () => {
  const d = await client(2, 'dev2', 'key2')
  T.eq(d.cid, 'dev2', 'logged in on node 3')
  await until(() => cli('GET', 'iosd:0:cid:dev2') === 'n3', 3000, 'registered')
  process.kill(nodes[2].pid, 'SIGKILL')
  await nodes[2].exited
  await until(() => cli('EXISTS', 'iosd:0:cid:dev2') === '0', 4000, 'expired')
}, 20000)

for (const c of clients) { try { c.close() } catch {} }
for (const n of nodes) await n.stop()
redis.kill('SIGKILL')
T.done()
setTimeout(() => process.exit(process.exitCode), 200)

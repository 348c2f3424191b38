// Cross-node fan-out over Redis (--cluster): a private redis-server, two
// iosd nodes; one npm client publishes on node 1, SUBS clients subscribe
// on node 2. Prints deliveries/s across nodes and the added latency
// (p50/p99 of a ping-pong across nodes minus the same on one node).
// Not part of make test.
//
//   node tests/bench/cluster.mjs --bin build/iosd [--msgs 20000] [--subs 10]
import { spawn, spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, until, ready } from '../lib/daemon.mjs'

const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : d }
const bin = arg('--bin', 'build/iosd')
const MSGS = Number(arg('--msgs', 20000))
const SUBS = Number(arg('--subs', 10))
console.log = () => {}
const say = s => process.stdout.write(s + '\n')

const port = await freePort()
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
process.on('exit', () => redis.kill('SIGKILL'))
const cli = (...a) => (spawnSync('redis-cli', ['-p', String(port), ...a], { encoding: 'utf8' }).stdout || '').trim()
await until(() => cli('PING') === 'PONG', 5000, 'redis')
const url = `redis://127.0.0.1:${port}`
const n1 = await startDaemon(bin, ['--cluster', url, '--node-id', 'b1', '--no-config', '--no-quota'])
const n2 = await startDaemon(bin, ['--cluster', url, '--node-id', 'b2', '--no-config', '--no-quota'])
const io = async d => ready(new IO(`ws://127.0.0.1:${d.ws}`))

const pub = await io(n1)
const subs = []
let got = 0
for (let i = 0; i < SUBS; i++) { const s = await io(n2); s.subscribe('bench'); s.on('bench', () => got++); subs.push(s) }
await until(() => cli('PUBSUB', 'NUMSUB', 'iosd:0:ch:CH:bench').split('\n')[1] === '1', 5000, 'subscribed')
const t0 = process.hrtime.bigint()
for (let i = 0; i < MSGS; i++) {
  pub.signal('bench', 'x'.repeat(32))
  if (i % 500 === 499) await new Promise(resolve => setImmediate(resolve))
}
await until(() => got >= MSGS * SUBS, 120000, 'all deliveries')
const s = Number(process.hrtime.bigint() - t0) / 1e9
say(`cross-node fan-out: ${MSGS} signals x ${SUBS} subscribers on the other node: ${(MSGS * SUBS / s).toFixed(0)} deliveries/s (${(MSGS / s).toFixed(0)} signals/s through Redis)`)

async function pingpong (a, b, n = 300) {
  const t = []
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint()
    await new Promise(resolve => { b.once('@lat', () => resolve()); a.signal(`${b.cid}@lat`, String(i)) })
    t.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  t.sort((x, y) => x - y)
  return { p50: t[Math.floor(n / 2)], p99: t[Math.floor(n * 0.99)] }
}
const local = await pingpong(await io(n1), await io(n1))
const cross = await pingpong(await io(n1), await io(n2))
say(`unicast latency one node: p50 ${local.p50.toFixed(3)} ms p99 ${local.p99.toFixed(3)} ms`)
say(`unicast latency across nodes: p50 ${cross.p50.toFixed(3)} ms p99 ${cross.p99.toFixed(3)} ms (added p50 ${(cross.p50 - local.p50).toFixed(3)} ms)`)
await n1.stop(); await n2.stop()
process.exit(0)

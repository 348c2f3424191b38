// The npm iosignal client over wss://, in a process of its own so that
// NODE_EXTRA_CA_CERTS (read at start) trusts the test's CA. Prints one
// JSON line when done.
//
//   node tests/tls/client.mjs flow PORT ID KEY
//       two clients, one logged in: a signal each way; the raw message
//       types the logged-in one received (no ENC_488 under TLS).
//   node tests/tls/client.mjs hold PORT N MS
//       N clients that signal each other for MS ms; how many closed.
import { IO } from 'iosignal'

console.log = () => {}
const [mode, port, a1, a2] = process.argv.slice(2)
const url = `wss://localhost:${port}`
const out = o => { process.stdout.write(JSON.stringify(o) + '\n'); process.exit(0) }
const ready = io => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('not ready')), 8000)
  io.on('ready', () => { clearTimeout(t); resolve(io) })
})
setTimeout(() => out({ error: 'timed out' }), 30000)

if (mode === 'flow') {
  const types = []
  const a = new IO(url); a.auth(a1, a2)
  a.on('socket_data', m => types.push(m[0]))
  const b = new IO(url)
  await Promise.all([ready(a), ready(b)])
  await a.subscribe_promise('to-a'); await b.subscribe_promise('to-b')
  const gotA = new Promise(resolve => a.on('to-a', v => resolve(v)))
  const gotB = new Promise(resolve => b.on('to-b', v => resolve(v)))
  a.signal('to-b', 'from the logged-in one'); b.signal('to-a', 'from the anonymous one')
  const [va, vb] = await Promise.all([gotA, gotB])
  out({ cid: a.cid, level: a.level, va, vb, types })
} else if (mode === 'hold') {
  const n = Number(a1); const ms = Number(a2)
  const clients = []; let closed = 0; let got = 0
  for (let i = 0; i < n; i++) {
    const io = new IO(url)
    io.on('close', () => { closed++ })
    clients.push(io)
  }
  await Promise.all(clients.map(ready))
  for (const io of clients) { await io.subscribe_promise('load'); io.on('load', () => { got++ }) }
  process.stdout.write(JSON.stringify({ ready: n }) + '\n')
  const t = setInterval(() => clients[Math.floor(Math.random() * n)].signal('load', 'x'), 5)
  await new Promise(resolve => setTimeout(resolve, ms))
  clearInterval(t)
  out({ closed, got, cids: clients.filter(c => c.cid).length })
}

// Control-socket clients that leave mid-request, run against a sanitizer
// build: a request written and the socket closed at once (the daemon
// answers into a socket that is gone), streams dropped while events flow,
// a client that never reads its answers. The daemon must free each client
// after its callbacks, never inside them: the sanitizer reports any read
// of a freed client, and the run fails on it.
//
//   node tests/abuse/ctl.mjs [--bin build/asan/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { startDaemon, tap, until } from '../lib/daemon.mjs'
import { Peer, MSG } from '../lib/raw.mjs'

const args = process.argv.slice(2)
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1] : 'build/asan/iosd'
const T = tap({ timeout: 60000 })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-ctl-abuse-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const sock = path.join(tmp, 'ctl.sock')

const line = (id, cmd, a) => JSON.stringify({ id, cmd, args: a }) + '\n'

// Write the requests and close without reading anything.
function hitAndRun (text, half) {
  return new Promise(resolve => {
    const s = net.connect(sock)
    s.on('error', () => resolve())
    s.on('connect', () => {
      s.write(text)
      if (half) s.end()
      else s.destroy()
      resolve()
    })
  })
}

const d = await startDaemon(bin, ['-D', path.join(tmp, 'iosd.db'), '-c', sock, '-e', 'dev1.key1.2'])
let runs = 0
try {
  await T.test('requests written and the socket closed at once, 600 times', async () => {
    const reqs = [line(1, 'status'), line(2, 'metrics'), line(3, 'clients'),
      line(4, 'devices'), line(5, 'audit', { limit: 20 }), line(6, 'channels'),
      line(7, 'trace', {}), line(8, 'watch', { interval_ms: 100 }),
      line(9, 'enroll', { id: 'x' + Math.random().toString(36).slice(2, 7) })]
    for (let i = 0; i < 600; i++) {
      const text = i % 3 === 0 ? reqs.join('') : reqs[i % reqs.length]
      await hitAndRun(text, i % 2 === 0)
      runs++
    }
    const p = await Peer.open(d.cong)
    T.ok(await p.next(MSG.SERVER_READY), 'the daemon still serves clients')
    p.close()
  })

  await T.test('trace streams dropped while a flood of signals is traced', async () => {
    const pub = await Peer.open(d.cong)
    const sub = await Peer.open(d.cong)
    await pub.next(MSG.SERVER_READY); await sub.next(MSG.SERVER_READY)
    const tag = Buffer.from('room')
    sub.send([MSG.SUBSCRIBE, tag.length, ...tag])
    const flood = setInterval(() => {
      for (let i = 0; i < 50; i++) pub.send([MSG.SIGNAL, tag.length, ...tag, 1, 0x68, 0x69, 0])
    }, 5)
    try {
      for (let i = 0; i < 100; i++) {
        await new Promise(resolve => {
          const s = net.connect(sock)
          s.on('error', resolve)
          s.on('connect', () => {
            s.write(line(1, 'trace', {}) + line(2, 'trace', { tag: 'room' }))
            // Leave after the first events, or before any.
            s.once('data', () => { s.destroy(); resolve() })
            setTimeout(() => { s.destroy(); resolve() }, i % 4 === 0 ? 0 : 50)
          })
        })
        runs++
      }
    } finally { clearInterval(flood) }
    T.ok(await until(() => sub.msgs.length > 0, 3000, 'deliveries'), 'the subscriber got signals meanwhile')
    pub.close(); sub.close()
  })

  await T.test('a client that never reads its answers is dropped, not waited on', async () => {
    // The listen backlog may still be full of the clients above: retry.
    const s = await until(() => new Promise(resolve => {
      const c = net.connect(sock)
      c.once('error', () => resolve(null))
      c.once('connect', () => { c.on('error', () => {}); resolve(c) })
    }), 10000, 'a control connection')
    s.pause()
    const big = line(1, 'metrics').repeat(2000)
    for (let i = 0; i < 20; i++) s.write(big)
    await new Promise(resolve => setTimeout(resolve, 300))
    s.destroy()
    const p = await Peer.open(d.cong)
    T.ok(await p.next(MSG.SERVER_READY), 'the daemon still serves clients')
    p.close()
  })
} finally {
  const r = await d.stop()
  await T.test('the daemon exits 0 with no sanitizer report', async () => {
    T.eq(r.code, 0, 'exit status')
    const bad = /(AddressSanitizer|LeakSanitizer|runtime error)/.exec(d.log())
    T.ok(!bad, 'sanitizer report: ' + (bad && d.log().slice(bad.index, bad.index + 800)))
  })
  process.stdout.write(`# control socket: ${runs} clients left mid-request; sanitizer reports: ` +
    `${/(AddressSanitizer|LeakSanitizer|runtime error)/.test(d.log()) ? 'yes' : 'none'}\n`)
}
T.done()
process.exit()

// What the abuse suites (tests/abuse/flood.mjs, faults.mjs) share: a
// scratch directory, a database and control socket per case, figures
// printed as TAP comments, descriptors for many sockets, and the two
// questions every case ends on: is a new client served, and what does
// /metrics say.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { Peer, MSG } from './raw.mjs'

// A directory removed at exit, and db(name): -D and -c options in it.
export function scratch (prefix) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
  return { tmp, db: name => ['-D', path.join(tmp, `${name}.db`), '-c', path.join(tmp, `${name}.sock`)] }
}

export const figure = line => process.stdout.write(`# ${line}\n`)
export const tick = ms => new Promise(resolve => setTimeout(resolve, ms))

// Thousands of sockets need descriptors on this side too: raised to 65536
// when below min (as root; otherwise the limit stays).
export function moreDescriptors (min) {
  try {
    if (Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' })) < min) {
      execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=65536:65536'])
    }
  } catch {}
}

// A new client is served: SERVER_READY, then an ECHO comes back, over
// both transports. Returns the slower round trip in ms.
export async function served (d) {
  let worst = 0
  for (const ws of [true, false]) {
    const t0 = Date.now()
    const p = await Peer.open(ws ? d.ws : d.cong, { ws })
    try {
      if (ws && p.status !== 101) throw new Error(`fresh ws client: HTTP ${p.status}`)
      if (!await p.next(MSG.SERVER_READY)) throw new Error('fresh client: no SERVER_READY')
      p.send([MSG.ECHO, 1, 2, 3])
      if (!await p.next(MSG.ECHO)) throw new Error('fresh client: no ECHO answer')
    } finally { p.close() }
    worst = Math.max(worst, Date.now() - t0)
  }
  return worst
}

// One figure of the daemon's /metrics (NaN when it is not there).
export async function metric (d, name) {
  const text = await fetch(`http://127.0.0.1:${d.ws}/metrics`).then(r => r.text())
  const m = new RegExp(`^${name.replace(/[{}"=]/g, c => '\\' + c)} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : NaN
}

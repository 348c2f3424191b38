// Shared by the Node test suites: start build/iosd on ports chosen at run
// time, wait until it accepts, stop it; and a small TAP producer.
import net from 'node:net'
import fs from 'node:fs'
import { spawn } from 'node:child_process'

export function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

export function canConnect (port) {
  return new Promise(resolve => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

async function waitFor (cond, ms, what) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

const children = new Set()
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { for (const c of children) c.kill('SIGKILL'); process.exit(130) })
}
process.on('exit', () => { for (const c of children) c.kill('SIGKILL') })

// Start the daemon with a WebSocket and a CongSocket listener on loopback.
// opts.ws / opts.cong reuse ports (restart tests); opts.nofile sets the
// descriptor limit; opts.prefix runs it under a wrapper that execs it
// (fiu-run -x, prlimit ...), so that pid stays the daemon's; opts.env adds
// to its environment; extra are more options.
export async function startDaemon (bin, extra = [], opts = {}) {
  if (!fs.existsSync(bin)) throw new Error(`${bin} not found: run make first`)
  // A database of its own unless the test names one: never the installed
  // default (/var/lib/iosd), whose schema another build may have moved on.
  const named = extra.some(a => a === '-D' || a === '--db' || String(a).startsWith('--db='))
  const dbDir = named ? null : fs.mkdtempSync('/tmp/iosd-test-')
  if (dbDir) process.on('exit', () => fs.rmSync(dbDir, { recursive: true, force: true }))
  const env = { ...process.env, ...(opts.env || {}) }
  // A port found free may be taken by another process before the daemon
  // binds it: then, when the ports are ours to choose, again with others.
  for (let attempt = 1; ; attempt++) {
    const ws = opts.ws || await freePort()
    const cong = opts.cong || await freePort()
    const args = ['-l', `127.0.0.1:${ws}`, '-L', `127.0.0.1:${cong}`, ...(dbDir ? ['-D', `${dbDir}/iosd.db`] : []), ...extra]
    const cmd = [...(opts.prefix || []), bin, ...args]
    const child = opts.nofile
      ? spawn('sh', ['-c', `ulimit -n ${opts.nofile} && exec "$@"`, 'sh', ...cmd],
        { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env })
    children.add(child)
    let log = ''
    child.stdout.on('data', d => { log += d })
    child.stderr.on('data', d => { log += d })
    const exited = new Promise(resolve => child.once('exit', (code, sig) => {
      children.delete(child)
      resolve({ code, sig })
    }))
    let gone = false
    exited.then(r => { gone = r })
    try {
      await waitFor(async () => {
        if (gone) throw new Error(`${bin} exited at start (${gone.sig || gone.code}):\n${log}`)
        return (await canConnect(ws)) && (await canConnect(cong))
      }, 5000, 'iosd to accept')
    } catch (e) {
      if (gone && attempt < 3 && !opts.ws && !opts.cong && /Address already in use/.test(log)) continue
      throw e
    }
    return started(child, ws, cong, () => log, exited, () => gone)
  }
}

function started (child, ws, cong, log, exited, gone) {
  return {
    ws,
    cong,
    pid: child.pid,
    log,
    exited,
    // CPU seconds the daemon has used (user + system).
    cpu () {
      const f = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return (Number(f[11]) + Number(f[12])) / 100
    },
    // Resident memory of the daemon in kB.
    rss () {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      return m ? Number(m[1]) : 0
    },
    // SIGTERM, then SIGKILL if it has not exited within ms.
    async stop (ms = 5000) {
      if (gone()) return exited
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), ms)
      const r = await exited
      clearTimeout(t)
      return r
    }
  }
}

// Waits until cond() (maybe async) gives a true value, and returns it;
// throws after ms naming what it waited for.
export async function until (cond, ms, what) {
  const end = Date.now() + ms
  for (;;) {
    const v = await cond()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out: ' + what)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

// An npm iosignal client once it is READY (it has its CID).
export function ready (io, ms = 8000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('client not ready')), ms)
    io.on('ready', () => { clearTimeout(t); resolve(io) })
  })
}

// TAP: test(name, fn[, ms]) runs fn with a time limit; ok/eq record sub-checks.
// It writes to stdout directly; quiet: true mutes console.log (the npm
// clients print to it) so that stdout stays TAP.
export function tap ({ timeout = 20000, quiet = false } = {}) {
  const print = line => process.stdout.write(line + '\n')
  if (quiet) console.log = () => {}
  let n = 0; let failed = 0
  let current = null
  const fail = (msg) => { if (current) current.push(msg) }
  return {
    ok (cond, msg) { if (!cond) fail(msg) },
    eq (got, want, msg) {
      if (got !== want) fail(`${msg}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
    },
    async test (name, fn, ms = timeout) {
      current = []
      let timer
      try {
        await Promise.race([fn(), new Promise((resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms)
        })])
      } catch (e) {
        current.push(e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e))
      }
      clearTimeout(timer)
      n++
      if (current.length) {
        failed++
        print(`not ok ${n} - ${name}`)
        for (const m of current) print(`#   ${m}`)
      } else print(`ok ${n} - ${name}`)
      current = null
    },
    done () {
      print(`1..${n}\n# ${n - failed} passed, ${failed} failed`)
      process.exitCode = failed ? 1 : 0
    }
  }
}

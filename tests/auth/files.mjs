// The reference's own device files, as npm iosignal@2.2.1 ships them:
// `-d auth_file.json` and `-d auth_file.mjs` start the daemon and their
// devices log in with the unmodified npm client (CIDs up to 20 bytes);
// the control socket's import takes the same files into the store; a
// broken .mjs is refused with its line and column.
//
//   node tests/auth/files.mjs [--bin build/iosd]
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { IO, IOCongSocket } from 'iosignal'
import { startDaemon, freePort, tap, ready } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const T = tap({ timeout: 30000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-files-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const pkg = new URL('../node_modules/iosignal/', import.meta.url).pathname
const JSON_FILE = path.join(pkg, 'auth_file.json')
const MJS_FILE = path.join(pkg, 'auth_file.mjs')

// One control request, its reply.
function control (sock, cmd, args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock); let buf = ''
    s.on('error', reject)
    s.on('data', d => {
      buf += d
      if (buf.includes('\n')) { s.destroy(); resolve(JSON.parse(buf.split('\n')[0])) }
    })
    s.write(JSON.stringify({ id: 1, cmd, args }) + '\n')
  })
}

async function loginAs (d, tr, id, key) {
  const io = tr === 'cong' ? new IOCongSocket(`cong://127.0.0.1:${d.cong}`) : new IO(`ws://127.0.0.1:${d.ws}`)
  io.login(id, key)
  try { return await ready(io) } catch (e) { io.stop(); throw e }
}

await T.test('-d auth_file.json as shipped: every row loads; a 16-byte CID logs in', async () => {
  const rows = JSON.parse(fs.readFileSync(JSON_FILE, 'utf8'))
  const d = await startDaemon(bin, ['-D', path.join(tmp, 'j.db'), '-d', JSON_FILE])
  try {
    T.ok(new RegExp(`auth: ${rows.length} devices`).test(d.log()), `${rows.length} devices loaded: ${d.log().split('\n').find(l => /auth:/.test(l))}`)
    const long = rows.find(r => r[2].length > 10)
    const io = await loginAs(d, 'ws', long[0], long[1])
    T.eq(io.cid, long[2], `logged in with the ${long[2].length}-byte CID ${long[2]}`)
    io.stop()
    const uno = rows.find(r => r[0] === 'uno')
    const c = await loginAs(d, 'cong', uno[0], uno[1])
    T.eq(c.cid, uno[2], 'uno over CongSocket')
    T.eq(c.level, uno[3], 'at its level')
    c.stop()
  } finally { await d.stop() }
})

await T.test('-d auth_file.mjs as shipped: its commented `export const authInfo` form loads; devices log in', async () => {
  const d = await startDaemon(bin, ['-D', path.join(tmp, 'm.db'), '-d', MJS_FILE])
  try {
    T.ok(/auth: 7 devices/.test(d.log()), 'the seven rows of the file')
    const io = await loginAs(d, 'ws', 'admin', 'admin-key')
    T.eq(io.cid, 'admin', 'admin logged in'); T.eq(io.level, 255, 'at level 255')
    io.stop()
    const g = await loginAs(d, 'cong', 'go', 'go-key')
    T.eq(g.level, 2, 'go at level 2')
    g.stop()
  } finally { await d.stop() }
})

await T.test('import takes both files into the store; their devices log in without -d', async () => {
  const sock = path.join(tmp, 'i.sock')
  const d = await startDaemon(bin, ['-D', path.join(tmp, 'i.db'), '-c', sock])
  try {
    const a = await control(sock, 'import', { path: JSON_FILE })
    T.ok(a.ok, 'auth_file.json imported: ' + JSON.stringify(a.result || a.error))
    const b = await control(sock, 'import', { path: MJS_FILE, update: true })
    T.ok(b.ok, 'auth_file.mjs imported: ' + JSON.stringify(b.result || b.error))
    const list = await control(sock, 'devices', { limit: 100 })
    const ids = (list.result.devices || list.result.list || []).map(x => x.id)
    T.ok(['sampleid', 'id_max8', 'device1', 'uno', 'admin', 'did'].every(i => ids.includes(i)), `devices: ${ids.join(',')}`)
    const io = await loginAs(d, 'ws', 'id_max8', 'no_key_size_limit')
    T.eq(io.cid, 'communication_id', 'the 16-byte CID from the store')
    io.stop()
  } finally { await d.stop() }
})

await T.test('a broken .mjs is refused with its line and column; a CID over 20 bytes with its row', async () => {
  const cases = [
    ['unterminated.mjs', 'export const authInfo = [\n  ["a", "k", "a", 1],\n  ["b", "k, "b", 1],\n]\n', /:3:\d+: /],
    ['code.mjs', 'export const authInfo = [ ["a","k","a",1] ]\nconsole.log("hi")\n', /:2:1: unexpected text/],
    ['number.mjs', 'export const authInfo = [ ["a","k","a", 1.5] ]\n', /:1:\d+: a level must be a plain integer/],
    ['long.json', JSON.stringify([['a', 'k', 'x'.repeat(21), 1]]), /row 1: CID must be 1 to 20 bytes/]
  ]
  for (const [name, text, re] of cases) {
    fs.writeFileSync(path.join(tmp, name), text)
    const r = spawnSync(bin, ['-l', `127.0.0.1:${await freePort()}`, '-D', path.join(tmp, 'x.db'), '-d', path.join(tmp, name)],
      { encoding: 'utf8', timeout: 5000 })
    T.ok(r.status !== 0, `${name}: refused (exit ${r.status})`)
    T.ok(re.test(r.stderr), `${name}: ${r.stderr.trim().split('\n').pop()}`)
  }
})

T.done()
process.exit()

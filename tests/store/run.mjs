// Store tests: the SQLite database under the real daemon.
//
//   node tests/store/run.mjs [--bin build/iosd]
//
// Migrations from an empty file, a newer schema refused, a failed
// migration leaving the database as it was, kill -9 during a burst of
// enrollments, bad device ids refused, retained signals across a restart.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { IO } from 'iosignal'
import { startDaemon, freePort, tap } from '../lib/daemon.mjs'

const argv = process.argv.slice(2)
const bin = argv.includes('--bin') ? argv[argv.indexOf('--bin') + 1] : 'build/iosd'
const T = tap({ timeout: 30000, quiet: true })
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iosd-store-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim()
const dbPath = name => path.join(tmp, name, 'iosd.db')

// Run iosd expecting it to refuse to start; returns { status, stderr }.
async function refused (db, extra = []) {
  const r = spawnSync(bin, ['-l', `127.0.0.1:${await freePort()}`, '-D', db, ...extra],
    { encoding: 'utf8', timeout: 10000 })
  return { status: r.status, stderr: r.stderr }
}

function client (port, id, key) {
  const io = new IO(`ws://127.0.0.1:${port}`)
  if (id) io.auth(id, key)
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('client not ready')), 8000)
    io.on('ready', () => { clearTimeout(t); resolve(io) })
  })
}

// The schema version a new database gets: the last migration's number.
const migrations = fs.readdirSync(new URL('../../migrations/', import.meta.url))
  .filter(f => /^\d+_.*\.sql$/.test(f)).sort()
const LATEST = String(parseInt(migrations[migrations.length - 1], 10))

await T.test('a new database: created 0600 in a 0700 folder, migrated', async () => {
  const db = dbPath('new')
  const d = await startDaemon(bin, ['-D', db])
  await d.stop()
  T.eq((fs.statSync(db).mode & 0o777).toString(8), '600', 'file mode')
  T.eq((fs.statSync(path.dirname(db)).mode & 0o777).toString(8), '700', 'folder mode')
  T.eq(sql(db, 'PRAGMA user_version'), LATEST, 'schema version')
  T.eq(sql(db, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type='table' ORDER BY name)"),
    'acl,audit,bans,devices,quota_levels,retained,tokens', 'tables')
  T.eq(sql(db, 'SELECT count(*) FROM quota_levels'), '9', 'quota levels seeded')
  T.eq(sql(db, 'PRAGMA journal_mode'), 'wal', 'WAL')
})

await T.test('an up-to-date database is opened as it is', async () => {
  const db = dbPath('new')
  sql(db, "INSERT INTO audit (event) VALUES ('marker')")
  const d = await startDaemon(bin, ['-D', db])
  await d.stop()
  T.eq(sql(db, "SELECT count(*) FROM audit WHERE event = 'marker'"), '1', 'data kept')
  T.eq(sql(db, 'PRAGMA user_version'), LATEST, 'version unchanged')
})

await T.test('a database of schema version 1 is migrated to the latest, data kept', async () => {
  const db = dbPath('v1')
  fs.mkdirSync(path.dirname(db), { mode: 0o700 })
  const init = fs.readFileSync(new URL('../../migrations/' + migrations[0], import.meta.url), 'utf8')
  execFileSync('sqlite3', [db], { input: `${init}; PRAGMA user_version = 1; INSERT INTO audit (event) VALUES ('v1 marker');` })
  const d = await startDaemon(bin, ['-D', db])
  await d.stop()
  T.eq(sql(db, 'PRAGMA user_version'), LATEST, 'migrated')
  T.eq(sql(db, "SELECT count(*) FROM audit WHERE event = 'v1 marker'"), '1', 'data kept')
})

await T.test('a database newer than the binary is refused', async () => {
  const db = dbPath('newer')
  fs.mkdirSync(path.dirname(db), { mode: 0o700 })
  sql(db, 'PRAGMA user_version = 99')
  const r = await refused(db)
  T.ok(r.status !== 0, `exit status ${r.status}`)
  T.ok(/schema version 99 is newer/.test(r.stderr), 'clear message: ' + r.stderr.trim())
  T.eq(sql(db, 'PRAGMA user_version'), '99', 'left alone')
})

await T.test('a failed migration leaves the database as it was', async () => {
  const db = dbPath('broken')
  fs.mkdirSync(path.dirname(db), { mode: 0o700 })
  sql(db, 'CREATE TABLE devices (x); INSERT INTO devices VALUES (42)')
  const r = await refused(db)
  T.ok(r.status !== 0, `exit status ${r.status}`)
  T.ok(/migration 0001_init.sql failed/.test(r.stderr), 'clear message: ' + r.stderr.trim())
  T.eq(sql(db, 'PRAGMA user_version'), '0', 'version unchanged')
  T.eq(sql(db, "SELECT count(*) FROM sqlite_master WHERE name = 'quota_levels'"), '0', 'nothing half-created')
  T.eq(sql(db, 'SELECT x FROM devices'), '42', 'old data intact')
})

await T.test('kill -9 during a burst of enrollments: integrity and whole devices', async () => {
  const db = dbPath('burst')
  const d = await startDaemon(bin, ['-D', db, '-e', 'admin.adminkey.255'])
  const admin = await client(d.ws, 'admin', 'adminkey')
  let acked = 0
  const burst = (async () => {
    for (let i = 0; i < 5000; i++) {
      try {
        await admin.req('sudo', 'adddevice', `d${i}`, `key-${i}`, `c${i}`, 1)
        acked++
      } catch { return }
    }
  })()
  while (acked < 200) await new Promise(resolve => setTimeout(resolve, 5))
  process.kill(d.pid, 'SIGKILL')
  await d.exited
  await burst
  admin.stop?.()
  T.eq(sql(db, 'PRAGMA integrity_check'), 'ok', 'integrity_check')
  const n = Number(sql(db, 'SELECT count(*) FROM devices'))
  T.ok(n >= acked, `${n} devices stored, ${acked} acknowledged`)
  T.eq(sql(db, "SELECT count(*) FROM devices WHERE length(key) != 44 OR cid = '' OR level != 1"), '0',
    'no half-written device')
})

for (const [desc, arg] of [
  ['a quote', 'a"b.key.1'],
  ["an apostrophe", "it's.key.1"],
  ['an id over 8 bytes', 'ninechars.key.1'],
  ['an empty key', 'dev..1'],
  ['a level over 255', 'dev.key.300']
]) {
  await T.test(`-e with ${desc} is refused with a clear message`, async () => {
    const r = await refused(dbPath('bad'), ['-e', arg])
    T.ok(r.status !== 0, `exit status ${r.status}`)
    T.ok(/--auth-param: entry 1: /.test(r.stderr), 'message: ' + r.stderr.trim())
  })
}

await T.test('an auth file with a NUL or invalid UTF-8 id is refused', async () => {
  for (const bad of ['"a\\u0000b"', '"\\udc80x"', '42']) {
    const f = path.join(tmp, 'auth.json')
    fs.writeFileSync(f, `[[${bad}, "key", "cid", 1]]`)
    const r = await refused(dbPath('bad'), ['-d', f])
    T.ok(r.status !== 0 && /--auth-file /.test(r.stderr), `${bad}: ${r.stderr.trim()}`)
  }
})

await T.test('sudo adddevice refuses bad ids and keeps the good', async () => {
  const db = dbPath('sudo')
  const d = await startDaemon(bin, ['-D', db, '-e', 'admin.adminkey.255'])
  try {
    const admin = await client(d.ws, 'admin', 'adminkey')
    for (const id of ['a"b', "o'k", 'way-too-long', 'a,b', 'x y']) {
      const r = await admin.req('sudo', 'adddevice', id, 'k', 'cid1', 1).catch(e => e)
      T.eq(r.status, 255, `adddevice ${JSON.stringify(id)} refused`)
    }
    const ok = await admin.req('sudo', 'adddevice', 'good', 'goodkey', 'goodcid', 2)
    T.eq(ok.status, 0, 'a good device is added')
    T.eq(sql(db, "SELECT id || ',' || cid || ',' || level FROM devices"), 'good,goodcid,2', 'only it')
    admin.stop?.()
  } finally {
    await d.stop()
  }
})

await T.test('retained signals are delivered after a restart', async () => {
  const db = dbPath('retained')
  let d = await startDaemon(bin, ['-D', db])
  const pub = await client(d.ws)
  pub.signal('r$keep', 'kept value')
  // Wait until it is in the database, then restart.
  const end = Date.now() + 5000
  while (sql(db, "SELECT count(*) FROM retained WHERE key = 'CH:r$keep'") !== '1') {
    if (Date.now() > end) throw new Error('retained signal not stored')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  pub.stop?.()
  const { ws, cong } = d
  await d.stop()
  d = await startDaemon(bin, ['-D', db], { ws, cong })
  try {
    const sub = await client(d.ws)
    const got = new Promise(resolve => sub.on('r$keep', (...a) => resolve(a)))
    await sub.subscribe_promise('r$keep')
    const a = await Promise.race([got, new Promise((resolve, reject) =>
      setTimeout(() => reject(new Error('not delivered')), 3000))])
    T.eq(a[0], 'kept value', 'value')
    sub.stop?.()
  } finally {
    await d.stop()
  }
})

await T.test('retained signals are written behind: a burst to one key is one row, the last value, in a few transactions; SIGTERM commits it', async () => {
  const db = dbPath('behind')
  const d = await startDaemon(bin, ['-D', db])
  const metric = async name => {
    const r = await fetch(`http://127.0.0.1:${d.ws}/metrics`)
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await r.text())
    return m ? Number(m[1]) : NaN
  }
  let stopped = false
  try {
    const pub = await client(d.ws)
    const before = await metric('iosd_store_batches_total')
    const t0 = Date.now()
    for (let i = 1; i <= 2000; i++) pub.signal('burst$v', `value ${i}`)
    // The last one has arrived once an echo sent after it comes back.
    await pub.req('reply', 'echo', 'after')
    const ms = Date.now() - t0
    const batches = (await metric('iosd_store_batches_total')) - before
    pub.stop?.()
    stopped = true
    const r = await d.stop()
    T.eq(r.code, 0, 'stopped cleanly')
    T.eq(sql(db, "SELECT count(*) FROM retained WHERE key = 'CH:burst$v'"), '1', 'one row')
    T.eq(sql(db, "SELECT instr(CAST(message AS TEXT), 'value 2000') > 0 FROM retained WHERE key = 'CH:burst$v'"),
      '1', 'holding the last value')
    T.ok(batches < 200, `2000 retained publishes took ${batches} transactions before the stop`)
    process.stdout.write(`# 2000 retained publishes to one key answered in ${ms} ms; ${batches} transactions\n`)
  } finally {
    if (!stopped) await d.stop()
  }
})

await T.test('--retain-max at start keeps the newest retained signals and forgets the rest', async () => {
  const db = dbPath('retain-limit')
  let d = await startDaemon(bin, ['-D', db])
  const pub = await client(d.ws)
  for (const tag of ['old$a', 'mid$b', 'new$c']) {
    pub.signal(tag, 'value of ' + tag)
    const end = Date.now() + 5000
    while (sql(db, `SELECT count(*) FROM retained WHERE key = 'CH:${tag}'`) !== '1') {
      if (Date.now() > end) throw new Error(`${tag} not stored`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    // updated_at has a one-second grain: make the order unambiguous.
    sql(db, `UPDATE retained SET updated_at = updated_at - ${tag === 'old$a' ? 20 : tag === 'mid$b' ? 10 : 0} WHERE key = 'CH:${tag}'`)
  }
  pub.stop?.()
  const { ws, cong } = d
  await d.stop()
  d = await startDaemon(bin, ['-D', db, '--retain-max', '2'], { ws, cong })
  try {
    T.eq(sql(db, 'SELECT group_concat(key) FROM (SELECT key FROM retained ORDER BY key)'), 'CH:mid$b,CH:new$c',
      'the oldest was forgotten')
    const sub = await client(d.ws)
    const got = new Promise(resolve => sub.on('new$c', (...a) => resolve(a)))
    await sub.subscribe_promise('new$c')
    T.eq((await got)[0], 'value of new$c', 'the newest is delivered')
    sub.stop?.()
  } finally {
    await d.stop()
  }
})

await T.test('the audit log records a device change only when it was made', async () => {
  const db = dbPath('audit')
  const sock = path.join(tmp, 'audit.sock')
  const d = await startDaemon(bin, ['-D', db, '-c', sock])
  const ctl = (...a) => spawnSync(path.join(path.dirname(bin), 'iosctl'), ['-c', sock, ...a], { encoding: 'utf8' })
  try {
    T.eq(ctl('enroll', 'au1').status, 0, 'enroll')
    T.eq(ctl('enroll', 'au1').status, 5, 'enroll again: refused, exists (5)')
    T.eq(ctl('set-level', 'au1', '3').status, 0, 'set-level')
    T.eq(ctl('rotate-key', 'au1').status, 0, 'rotate-key')
    T.eq(ctl('revoke', 'au1').status, 0, 'revoke')
    T.eq(ctl('revoke', 'au1').status, 4, 'revoke again: refused, not found (4)')
    T.eq(sql(db, "SELECT group_concat(event, ' ') FROM (SELECT event FROM audit WHERE device = 'au1' ORDER BY seq)"),
      'enroll level rotate revoke', 'one record per change made, none for the refused')
  } finally {
    await d.stop()
  }
})

T.done()
process.exit()

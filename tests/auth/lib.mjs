// Helpers of the auth suite, on top of the interop suite's (../interop/lib.mjs):
// servers configured with device sources (auth file, -e, BOHO_AUTH, SQLite,
// Redis), a redis-server child, npm clients that log in, and a raw-message
// recorder that also decrypts ENC_488 with the client's own session keys.
//
// As in the interop suite, nothing sleeps blindly: every wait is on an event
// or a polled condition, bounded by a timeout.
import { execFile, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { IO, IOCongSocket } from 'iosignal'
import Boho from 'boho'
import {
  ServerProcess, TimeoutError, freePort, poll, stopClient, waitEvent, withTimeout,
} from '../interop/lib.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REF_AUTH_SERVER = path.join(HERE, 'ref-auth-server.mjs')

export const MSG = {
  AUTH_REQ: 0xb0,
  AUTH_NONCE: 0xb1,
  AUTH_HMAC: 0xb2,
  AUTH_ACK: 0xb3,
  AUTH_FAIL: 0xb4,
  ENC_PACK: 0xb6,
  ENC_E2E: 0xb7,
  ENC_488: 0xb8,
  SERVER_READY: 0xc0,
  CID_REQ: 0xc1,
  CID_RES: 0xc2,
  QUOTA_LEVEL: 0xc3,
  SERVER_CLEAR_AUTH: 0xc4,
  ECHO: 0xcc,
  SIGNAL: 0xd0,
  SIGNAL_E2E: 0xd2,
  OVER_SIZE: 0xfe,
}

export const PAYLOAD = { EMPTY: 0, TEXT: 1, BINARY: 2, OBJECT: 3, MJSON: 4, MBA: 5 }

/** The reference's auth-fail delay is fixed; iosd's is set with --auth-fail-delay. */
export const AUTH_FAIL_DELAY = { ref: 1000, iosd: 300 }

/** The stored form of a device secret: base64(SHA-256(key)), 44 characters. */
export function storedKey(key) {
  return crypto.createHash('sha256').update(key).digest('base64')
}

// ---------------------------------------------------------------- temp dirs, children

const tempDirs = new Set()
const children = new Set()

function makeTempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

export function removeTempDir(dir) {
  if (!dir || !tempDirs.has(dir)) return
  tempDirs.delete(dir)
  rmSync(dir, { recursive: true, force: true })
}

/** SIGKILL the redis-server children and remove the temp dirs (on exit / abort). */
export function cleanupAll() {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch { /* already gone */ }
  }
  children.clear()
  for (const dir of [...tempDirs]) {
    try { removeTempDir(dir) } catch { /* best effort */ }
  }
}

function run(cmd, args, ms = 5000) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: ms }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || error.message}`))
      else resolve(stdout)
    })
  })
}

// ---------------------------------------------------------------- servers

/**
 * A server (reference or iosd) with a device configuration:
 *   authFile:   rows [id, key, cid, level] → auth_file.json, `--auth-file` / `-d`
 *   authParam:  'id.key.level,...'          → `--auth-param` / `-e`
 *   authEnv:    'id.key.level,...'          → BOHO_AUTH in the child's env, `--auth-env` / `-E`
 *   redisUrl:   'redis://127.0.0.1:P'       → iosd `--redis=URL`
 *   redisEnv:   {host, port}                → iosd `-r` with REDIS_HOST / REDIS_PORT in its env
 *   membersOnly: true                       → `--members-only` (reference: serverOption.memberOnly)
 *   refQuotaSize: true                      → reference only: enforce signalSize (`--quota-size`);
 *                                             iosd enforces it by default
 *   authFailDelay: ms                       → iosd `--auth-fail-delay` (default AUTH_FAIL_DELAY.iosd)
 *   extraArgs: [...]                        → appended to the iosd command line
 * iosd always gets `-D <fresh temp dir>/iosd.db`.
 */
export class AuthServer extends ServerProcess {
  constructor(opts, config, dir) {
    let env
    if (config.authEnv !== undefined) env = { ...process.env, BOHO_AUTH: config.authEnv }
    if (config.redisEnv) env = { ...(env ?? process.env), REDIS_HOST: config.redisEnv.host, REDIS_PORT: String(config.redisEnv.port) }
    super({ ...opts, env })
    this.config = config
    this.dir = dir
  }

  /** @param {{mode:'ref'|'iosd', bin?:string, timeout?:number, verbose?:boolean}} opts */
  static async create(opts, config = {}) {
    const dir = makeTempDir('iosd-auth-')
    const server = new AuthServer(opts, config, dir)
    try {
      if (config.authFile) writeFileSync(server.authFilePath, JSON.stringify(config.authFile))
      server.wsPort = await freePort()
      server.congPort = await freePort()
      await server.start()
    } catch (error) {
      removeTempDir(dir)
      const lines = server.log.slice(-8)
      if (lines.length) error.message += `\n${server.mode} server output:\n${lines.join('\n')}`
      throw error
    }
    return server
  }

  get authFilePath() { return path.join(this.dir, 'auth_file.json') }
  get dbPath() { return path.join(this.dir, 'iosd.db') }
  get authFailDelay() { return this.mode === 'ref' ? AUTH_FAIL_DELAY.ref : (this.config.authFailDelay ?? AUTH_FAIL_DELAY.iosd) }

  command() {
    const c = this.config
    if (this.mode === 'ref') {
      const args = [REF_AUTH_SERVER, '--ws', this.wsPort, '--cong', this.congPort, '--timeout', this.timeout]
      if (c.authFile) args.push('--auth-file', this.authFilePath)
      if (c.authParam !== undefined) args.push('--auth-param', c.authParam)
      if (c.authEnv !== undefined) args.push('--auth-env')
      if (c.membersOnly) args.push('--members-only')
      if (c.refQuotaSize) args.push('--quota-size')
      if (c.redisUrl || c.redisEnv) throw new Error('the reference server has no Redis option here')
      return [process.execPath, args]
    }
    const args = ['-l', `127.0.0.1:${this.wsPort}`, '-L', `127.0.0.1:${this.congPort}`, '-t', this.timeout,
      '-D', this.dbPath, '--auth-fail-delay', this.authFailDelay]
    if (c.authFile) args.push('-d', this.authFilePath)
    if (c.authParam !== undefined) args.push('-e', c.authParam)
    if (c.authEnv !== undefined) args.push('-E')
    if (c.redisUrl) args.push(`--redis=${c.redisUrl}`)
    if (c.redisEnv) args.push('-r')
    if (c.membersOnly) args.push('--members-only')
    args.push(...(c.extraArgs ?? []))
    return [this.bin, args]
  }

  /** Stop the process and remove its temp dir (database, auth file). */
  async dispose() {
    await this.stop()
    removeTempDir(this.dir)
  }

  /**
   * iosd only: run SQL on its database with the sqlite3 CLI while it runs
   * (WAL mode; a busy timeout covers iosd's own writes). Retries while the
   * schema is not there yet.
   */
  async sql(statement) {
    if (this.mode !== 'iosd') throw new Error('sql(): iosd only')
    let lastError
    try {
      await poll(async () => {
        try {
          await run('sqlite3', ['-batch', '-cmd', '.timeout 3000', this.dbPath, statement])
          return true
        } catch (error) {
          lastError = error
          if (/no such table/.test(error.message)) return false
          throw error
        }
      }, 3000, 'devices table in the iosd database')
    } catch (error) {
      throw error instanceof TimeoutError && lastError ? lastError : error
    }
  }

  /** iosd only: enrol a device in SQLite (the key is stored hashed). */
  addDevice({ id, key, cid = id, level, disabled = 0 }) {
    const q = (s) => `'${String(s).replace(/'/g, "''")}'`
    return this.sql('INSERT INTO devices(id,key,cid,level,disabled) VALUES('
      + `${q(id)},${q(storedKey(key))},${q(cid)},${Number(level)},${Number(disabled)})`)
  }
}

/** A throw-away redis-server on a free loopback port. */
export class RedisServer {
  static async start() {
    const redis = new RedisServer()
    redis.port = await freePort()
    redis.log = []
    const child = spawn('redis-server', ['--port', redis.port, '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no'].map(String), { stdio: ['ignore', 'pipe', 'pipe'] })
    redis.child = child
    children.add(child)
    redis.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => { children.delete(child); resolve({ code, signal }) })
      child.once('error', (error) => { children.delete(child); resolve({ error }) })
    })
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8')
      stream.on('data', (text) => redis.log.push(...text.split('\n').filter(Boolean).slice(-20)))
    }
    let exit = null
    redis.exited.then((e) => { exit = e })
    try {
      await poll(async () => {
        if (exit) {
          const why = exit.error?.code === 'ENOENT' ? 'redis-server is not installed (a declared test dependency)' : JSON.stringify(exit.error?.message ?? exit)
          throw new Error(`redis-server exited during start-up: ${why}\n${redis.log.slice(-5).join('\n')}`)
        }
        return (await run('redis-cli', ['-p', redis.port, 'PING']).catch(() => '')).trim() === 'PONG'
      }, 5000, `redis-server answering PING on ${redis.port}`)
    } catch (error) {
      await redis.stop()
      throw error
    }
    return redis
  }

  get url() { return `redis://127.0.0.1:${this.port}` }

  cli(...args) {
    return run('redis-cli', ['-p', this.port, ...args.map(String)])
  }

  /** Enrol a device in the reference layout: hash device:<id> {key, cid, level}. */
  addDevice({ id, key, cid = id, level }) {
    return this.cli('HSET', `device:${id}`, 'key', storedKey(key), 'cid', cid, 'level', level)
  }

  async stop() {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    try {
      await withTimeout(this.exited, 3000, 'redis-server exit')
    } catch {
      child.kill('SIGKILL')
      await this.exited
    }
  }
}

// ---------------------------------------------------------------- clients

/**
 * Record every raw message the client receives (its 'socket_data', before
 * IOCore decodes it) in `io.rawLog` as { at, type, inner, buf }: `type` is the
 * first byte on the wire; for ENC_488 received while logged in, `inner` is the
 * decrypted message (decrypted again with the client's own session, which is
 * stateless per packet), else `inner` is the message itself. State changes go
 * to `io.states`.
 */
function record(io) {
  io.rawLog = []
  io.states = []
  io.on('socket_data', (data) => {
    const buf = Buffer.from(data) // a copy: IOCore rewrites ENC_E2E messages in place
    let inner = buf
    if (buf[0] === MSG.ENC_488 && io.boho.isAuthorized) {
      const plain = io.boho.decrypt_488(Buffer.from(buf))
      inner = plain ? Buffer.from(plain) : null
    }
    io.rawLog.push({ at: Date.now(), type: buf[0], inner, buf })
  })
  io.on('change', (state) => io.states.push(state))
}

/**
 * A new npm client ('ws' → IO, 'cong' → IOCongSocket), not waited for. With
 * `id`/`key`, `io.auth(id, key)` arms the automatic login before any data can
 * arrive (the socket connects asynchronously).
 */
export function createClient(server, kind, { id, key } = {}) {
  const io = kind === 'ws' ? new IO(server.wsUrl) : new IOCongSocket(server.congUrl)
  io.kind = kind
  record(io)
  io.on('error', () => { /* reconnection attempts report here */ })
  if (id !== undefined) io.auth(id, key)
  return io
}

/**
 * Wait for the client to become READY (CID_RES handled: it emits 'ready').
 * Fails fast if it emits 'auth_fail' (AUTH_FAIL or a bad AUTH_ACK) first.
 */
export async function waitReady(io, ms = 5000, what = `${io.kind} client READY`) {
  let onFail
  const failed = new Promise((_, reject) => {
    onFail = (why) => reject(new Error(`${what}: auth_fail (${why})`))
    io.once('auth_fail', onFail)
  })
  try {
    await Promise.race([waitEvent(io, 'ready', ms, what), failed])
  } finally {
    io.removeListener('auth_fail', onFail)
  }
}

/** Raw messages recorded since index `since` whose wire type (or decrypted type) is `type`. */
export function rawOfType(io, type, since = 0) {
  return io.rawLog.slice(since).filter((r) => r.type === type || r.inner?.[0] === type)
}

/** Wait for a raw message of `type` (wire or decrypted) recorded at index ≥ since. */
export async function waitRaw(io, type, ms = 3000, since = 0) {
  const hex = type.toString(16)
  await poll(() => rawOfType(io, type, since).length > 0, ms, `${io.kind} client receives a 0x${hex} message`, 10)
  return rawOfType(io, type, since)[0]
}

/** Wait until the client's state history (from index `since`) contains `state`. */
export function waitState(io, state, ms = 3000, since = 0) {
  return poll(() => io.states.slice(since).includes(state), ms, `${io.kind} client state '${state}'`, 10)
}

export { stopClient }

// ---------------------------------------------------------------- messages

/** A SIGNAL (or SIGNAL_E2E) message: [type][tagLen][tag][payloadType][payload]. */
export function signalMessage(tag, payloadType, payload = Buffer.alloc(0), type = MSG.SIGNAL) {
  const tagBytes = Buffer.from(tag, 'utf8')
  return Buffer.concat([Buffer.from([type, tagBytes.length]), tagBytes, Buffer.from([payloadType]), Buffer.from(payload)])
}

/** A plain SIGNAL of exactly `total` bytes with a BINARY payload. */
export function signalOfSize(tag, total) {
  const overhead = 3 + Buffer.byteLength(tag)
  if (total < overhead) throw new Error(`a signal with tag '${tag}' is at least ${overhead} bytes`)
  return signalMessage(tag, PAYLOAD.BINARY, Buffer.alloc(total - overhead, 0x5a))
}

/** CongSocket framing: [1..4][length LE][payload]. */
export function congFrame(payload) {
  const n = payload.length
  const size = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4
  const head = Buffer.alloc(1 + size)
  head[0] = size
  head.writeUIntLE(n, 1, size)
  return Buffer.concat([head, payload])
}

/**
 * ENC_488 of `plain` made with an all-zero key and zero nonce: what the
 * reference server decrypts for a client that never logged in
 * (protocol-reference §7.2).
 */
export function zeroKeyEnc488(plain) {
  const boho = new Boho()
  boho.isAuthorized = true // encrypt_488 refuses otherwise; key and nonces stay zero
  return Buffer.from(boho.encrypt_488(plain))
}

/** On a RawCong peer: SERVER_READY, then CID_REQ → CID_RES (anonymous); returns the CID. */
export async function congHandshake(raw) {
  const ready = await raw.inbox.next(3000)
  if (ready.payload[0] !== MSG.SERVER_READY) throw new Error(`expected SERVER_READY, got ${ready.payload.toString('hex')}`)
  raw.write(congFrame(Buffer.from([MSG.CID_REQ])))
  const res = await raw.inbox.next(3000)
  if (res.payload[0] !== MSG.CID_RES) throw new Error(`expected CID_RES, got ${res.payload.toString('hex')}`)
  return res.payload.subarray(1).toString('utf8')
}

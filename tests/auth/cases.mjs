// Auth suite cases. Each case is one TAP test: `run(t)` gets a context (see
// run.mjs) whose servers, redis-server, clients and raw sockets are cleaned up
// when the case ends, pass or fail. Every case starts its own server with the
// device configuration it needs (see AuthServer in lib.mjs).
//
// `iosdOnly: 'reason'` marks what only iosd does (/work/shared/protocol.md,
// "Where iosd is deliberately stricter", and the SQLite / Redis device
// stores); against the reference such a case is reported as SKIP.
// Two cases run against the reference with library settings its CLI does not
// expose (ref-auth-server.mjs --members-only, --quota-size), and the
// zero-key ENC_488 case checks, against the reference, that the packet it
// builds is one the reference does decrypt (so iosd's drop is meaningful).
import assert from 'node:assert/strict'
import Boho from 'boho'
import MBP from 'meta-buffer-pack'
import { listen, roundTrip, subscribe, withTimeout } from '../interop/lib.mjs'
import { Peer, login as rawLogin } from '../lib/raw.mjs'
import {
  MSG, PAYLOAD, congFrame, congHandshake, rawOfType, signalMessage, signalOfSize, stopClient,
  storedKey, waitRaw, waitReady, waitState, zeroKeyEnc488,
} from './lib.mjs'

// Quota table (protocol-reference §8.2), as the client reads it after QUOTA_LEVEL.
const SIGNAL_SIZE = { 0: 1500, 1: 255, 2: 65535, 3: 1048576, 10: 1500, 11: 65535, 12: 1048576, 200: 20971520, 255: 20971520 }

const u8 = (...bytes) => new Uint8Array(bytes)

/** Binary values become { bin: hex } so deepEqual compares bytes, not classes. */
function normalize(values) {
  return values.map((v) => (ArrayBuffer.isView(v)
    ? { bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') }
    : v))
}

/** Record the first byte of every message the client writes (after its own encryption). */
function recordSent(io) {
  const sent = []
  const send = io.socket_send.bind(io)
  io.socket_send = (data) => { sent.push(Buffer.from(data)); send(data) }
  return sent
}

/** A promise that settles with the request's response, whatever its status (req() rejects on ≥128). */
function request(io, ...args) {
  return io.req(...args).then((res) => res, (res) => {
    if (res && typeof res === 'object' && 'status' in res) return res
    throw new Error(`req(${args.map((a) => JSON.stringify(a)).join(', ')}): ${res}`)
  })
}

/**
 * A logged-in client is what the enrolment says: READY with the enrolled CID,
 * QUOTA_LEVEL received plain with the expected level (and the client's
 * `level` / `quota` set from it), AUTH_ACK verified ('auth_ready'), and the
 * CID_RES sent encrypted (ENC_488) from then on.
 */
function assertLoggedIn(io, { cid, level }, label) {
  assert.equal(io.cid, cid, `${label}: CID`)
  assert.ok(io.states.includes('auth_ready'), `${label}: 'auth_ready' (AUTH_ACK verified)`)
  const quota = rawOfType(io, MSG.QUOTA_LEVEL)
  assert.equal(quota.length, 1, `${label}: one QUOTA_LEVEL`)
  assert.equal(quota[0].type, MSG.QUOTA_LEVEL, `${label}: QUOTA_LEVEL is plain`)
  assert.deepEqual([...quota[0].buf], [MSG.QUOTA_LEVEL, level], `${label}: QUOTA_LEVEL message`)
  assert.equal(io.level, level, `${label}: io.level`)
  assert.equal(io.quota?.signalSize, SIGNAL_SIZE[level], `${label}: io.quota.signalSize`)
  const cidRes = rawOfType(io, MSG.CID_RES).at(-1)
  assert.equal(cidRes?.type, MSG.ENC_488, `${label}: CID_RES after login arrives ENC_488-encrypted`)
  assert.equal(cidRes.inner.subarray(1).toString('utf8'), cid, `${label}: decrypted CID_RES`)
}

// ---------------------------------------------------------------- 1. login

/**
 * Device sources. `devices`: { id, key, cid, level (enrolled), expect (the
 * QUOTA_LEVEL level), kind, how }. `start(t)` starts the server with them.
 */
const SOURCES = [
  {
    label: 'an auth file (-d)',
    devices: [
      { id: 'fa0', key: 'key-fa0', cid: 'fa0-cid', level: 0, expect: 3, kind: 'ws', how: 'auth' },
      { id: 'fa2', key: 'key-fa2', cid: 'fa2-cid', level: 2, expect: 2, kind: 'cong', how: 'login' },
      { id: 'fa12', key: 'key-fa12', cid: 'fa12-cid', level: 12, expect: 12, kind: 'cong', how: 'auth' },
      { id: 'fa255', key: 'key-fa255', cid: 'fa255-cid', level: 255, expect: 255, kind: 'ws', how: 'login' },
    ],
    start: (t, devices) => t.startServer({ authFile: devices.map((d) => [d.id, d.key, d.cid, d.level]) }),
  },
  {
    label: '-e id.key.level',
    devices: [
      { id: 'ea1', key: 'key-ea1', cid: 'ea1', level: 1, expect: 1, kind: 'ws', how: 'auth' },
      { id: 'ea0', key: 'key-ea0', cid: 'ea0', level: 0, expect: 3, kind: 'cong', how: 'login' },
    ],
    start: (t, devices) => t.startServer({ authParam: devices.map((d) => `${d.id}.${d.key}.${d.level}`).join(',') }),
  },
  {
    label: 'BOHO_AUTH (-E)',
    devices: [
      { id: 'va0', key: 'key-va0', cid: 'va0', level: 0, expect: 3, kind: 'ws', how: 'login' },
      { id: 'va12', key: 'key-va12', cid: 'va12', level: 12, expect: 12, kind: 'cong', how: 'auth' },
    ],
    start: (t, devices) => t.startServer({ authEnv: devices.map((d) => `${d.id}.${d.key}.${d.level}`).join(',') }),
  },
  {
    label: 'SQLite (-D, enrolled with sqlite3 while iosd runs)',
    iosdOnly: 'the reference has no SQLite device store',
    devices: [
      { id: 'sq1', key: 'key-sq1', cid: 'sq1-cid', level: 1, expect: 1, kind: 'ws', how: 'auth' },
      { id: 'sq200', key: 'key-sq200', cid: 'sq200-cid', level: 200, expect: 200, kind: 'cong', how: 'login' },
      { id: 'sq0', key: 'key-sq0', cid: 'sq0-cid', level: 0, expect: 0, kind: 'cong', how: 'auth' },
    ],
    async start(t, devices) {
      const server = await t.startServer({})
      for (const d of devices) await server.addDevice(d)
      return server
    },
  },
  {
    label: 'Redis (-r, hashes device:<id>)',
    iosdOnly: 'the reference Auth_Redis needs the node-redis client, not among the test packages',
    devices: [
      { id: 'rd2', key: 'key-rd2', cid: 'rd2-cid', level: 2, expect: 2, kind: 'ws', how: 'auth' },
      { id: 'rd11', key: 'key-rd11', cid: 'rd11-cid', level: 11, expect: 11, kind: 'cong', how: 'login' },
      // In Redis the level is the string "0", truthy: level 0, not 3 (protocol-reference §8.1).
      { id: 'rd0', key: 'key-rd0', cid: 'rd0-cid', level: 0, expect: 0, kind: 'cong', how: 'auth' },
    ],
    async start(t, devices) {
      const redis = await t.redis()
      for (const d of devices) await redis.addDevice(d)
      return t.startServer({ redisUrl: redis.url })
    },
  },
  {
    label: 'Redis (-r with REDIS_HOST and REDIS_PORT, as the reference)',
    iosdOnly: 'the reference Auth_Redis needs the node-redis client, not among the test packages',
    devices: [
      { id: 're3', key: 'key-re3', cid: 're3-cid', level: 3, expect: 3, kind: 'cong', how: 'login' },
    ],
    async start(t, devices) {
      const redis = await t.redis()
      for (const d of devices) await redis.addDevice(d)
      return t.startServer({ redisEnv: { host: '127.0.0.1', port: redis.port } })
    },
  },
]

const loginFrom = (source) => ({
  name: `login from ${source.label}: auth() before / login() after connect, ws and cong → READY with CID and QUOTA_LEVEL`,
  iosdOnly: source.iosdOnly,
  async run(t) {
    await source.start(t, source.devices)
    const clients = await Promise.all(source.devices.map((d) => t.login(d.kind, d.id, d.key, { how: d.how })))
    source.devices.forEach((d, i) => {
      const label = `${d.id} (${d.kind}, ${d.how}(), level ${d.level})`
      assertLoggedIn(clients[i], { cid: d.cid, level: d.expect }, label)
      if (d.how === 'login') {
        assert.match(clients[i].anonymousCid, /^\?/, `${label}: anonymous CID before login()`)
      } else {
        assert.equal(rawOfType(clients[i], MSG.CID_RES).length, 1, `${label}: a single CID_RES (no anonymous CID first)`)
      }
    })
    // The session works: a logged-in client's request round trip.
    await Promise.all(clients.map((io) => roundTrip(io)))
  },
})

// ---------------------------------------------------------------- 2. encrypted exchange

const encryptedExchange = {
  name: 'two logged-in clients (ws, cong) exchange TEXT, OBJECT, BINARY both ways, ENC_488 on the wire',
  async run(t) {
    await t.startServer({ authFile: [['encw', 'key-encw', 'encw', 2], ['encc', 'key-encc', 'encc', 2]] })
    const [w, c] = await Promise.all([t.login('ws', 'encw', 'key-encw'), t.login('cong', 'encc', 'key-encc', { how: 'login' })])
    const payloads = [
      ['TEXT', 'héllo wörld', 'héllo wörld'],
      ['OBJECT', { a: 1, b: [true, 'x'], c: { d: null } }, { a: 1, b: [true, 'x'], c: { d: null } }],
      ['BINARY', u8(1, 2, 3, 0, 255), u8(1, 2, 3, 0, 255)],
    ]
    for (const [from, to] of [[w, c], [c, w]]) {
      const tag = `enc-${from.kind}-${to.kind}`
      const inbox = await subscribe(to, tag)
      const [sent, mark] = [recordSent(from), to.rawLog.length]
      for (const [, value] of payloads) from.signal(tag, value)
      const got = await inbox.take(payloads.length)
      payloads.forEach(([label, , expected], i) => {
        assert.equal(got[i].tag, tag, `${label} ${from.kind}→${to.kind}: tag`)
        assert.deepEqual(normalize(got[i].values), normalize([expected]), `${label} ${from.kind}→${to.kind}: value`)
      })
      // Client → server: the sender encrypted every signal.
      assert.deepEqual(sent.map((b) => b[0]), payloads.map(() => MSG.ENC_488), `${from.kind} sent ENC_488`)
      // Server → client: each SIGNAL arrived as ENC_488 (0xB8) and decrypts to the signal.
      const signals = to.rawLog.slice(mark).filter((r) => r.inner?.[0] === MSG.SIGNAL)
      assert.equal(signals.length, payloads.length, `${to.kind} received ${payloads.length} SIGNALs`)
      signals.forEach((r, i) => {
        assert.equal(r.type, MSG.ENC_488, `${payloads[i][0]} ${from.kind}→${to.kind}: first byte on the wire`)
        assert.equal(r.inner.subarray(2, 2 + r.inner[1]).toString(), tag, 'decrypted tag')
      })
      assert.equal(to.rawLog.slice(mark).filter((r) => r.type === MSG.SIGNAL).length, 0, `${to.kind}: no plain SIGNAL`)
    }
  },
}

// ---------------------------------------------------------------- 3. E2E

const endToEnd = {
  name: 'E2E: signal_e2e from a logged-in client, decrypt_e2e by a logged-in and an anonymous receiver',
  async run(t) {
    await t.startServer({ authFile: [['e2es', 'key-e2es', 'e2es', 2], ['e2er', 'key-e2er', 'e2er', 2]] })
    const [sender, member, anon] = await Promise.all([
      t.login('ws', 'e2es', 'key-e2es'), t.login('cong', 'e2er', 'key-e2er'), t.client('ws'),
    ])
    const [tag, e2eKey, secret] = ['e2e-ch', 'shared e2e key', 'top secret ✓ 123']
    const inboxes = [await subscribe(member, tag), await subscribe(anon, tag)]
    const marks = [member.rawLog.length, anon.rawLog.length]
    const sent = recordSent(sender)
    sender.signal_e2e(tag, secret, e2eKey)
    assert.equal(sent[0][0], MSG.ENC_E2E, 'a logged-in sender wraps the SIGNAL_E2E header in ENC_E2E (0xB7)')

    for (const [i, io] of [member, anon].entries()) {
      const label = `${io === member ? 'logged-in' : 'anonymous'} receiver`
      const { values, tag: gotTag } = await inboxes[i].next()
      assert.equal(gotTag, tag, `${label}: tag`)
      const payload = values[0]
      assert.equal(payload[0], MSG.ENC_PACK, `${label}: the payload is an ENC_PACK`)
      const decrypted = io.decrypt_e2e(payload, e2eKey)
      assert.ok(decrypted, `${label}: decrypt_e2e with the key`)
      assert.equal(Buffer.from(decrypted.data).toString('utf8'), secret, `${label}: the data`)
      assert.equal(io.decrypt_e2e(payload, 'wrong key'), undefined, `${label}: another key does not decrypt`)
      const raws = io.rawLog.slice(marks[i]).filter((r) => r.type === MSG.ENC_E2E || r.type === MSG.SIGNAL_E2E)
      assert.deepEqual(raws.map((r) => r.type), [io === member ? MSG.ENC_E2E : MSG.SIGNAL_E2E],
        `${label}: received as ${io === member ? 'ENC_E2E (0xB7)' : 'plain SIGNAL_E2E (0xD2)'}`)
    }
  },
}

// ---------------------------------------------------------------- 4. auth failure

/**
 * `io` was armed with wrong credentials: AUTH_FAIL comes ≥ 0.9 × delay after
 * AUTH_NONCE (the client answers it at once), no ACK, no CID, and the
 * connection stays open (an ECHO comes back).
 */
async function expectAuthFail(io, delay, label, { closed = false } = {}) {
  const fail = await waitRaw(io, MSG.AUTH_FAIL, delay + 5000)
  const nonce = rawOfType(io, MSG.AUTH_NONCE)[0]
  assert.ok(nonce, `${label}: AUTH_NONCE before AUTH_FAIL`)
  const elapsed = fail.at - nonce.at
  assert.ok(elapsed >= 0.9 * delay, `${label}: AUTH_FAIL after ${elapsed} ms, expected ≥ ${0.9 * delay} ms`)
  assert.deepEqual([...fail.buf], [MSG.AUTH_FAIL], `${label}: AUTH_FAIL is the plain 'b4'`)
  assert.equal(rawOfType(io, MSG.AUTH_ACK).length, 0, `${label}: no AUTH_ACK`)
  assert.equal(rawOfType(io, MSG.QUOTA_LEVEL).length, 0, `${label}: no QUOTA_LEVEL`)
  assert.ok(io.states.includes('auth_fail'), `${label}: client state auth_fail`)
  assert.equal(io.cid, '', `${label}: no CID`)
  if (closed) {
    // iosd: a disabled device is not left connected as anonymous.
    await waitState(io, 'closed', 3000)
    return elapsed
  }
  const mark = io.rawLog.length
  const echo = Buffer.from([MSG.ECHO, ...Buffer.from('still open')])
  io.send(echo)
  const back = await waitRaw(io, MSG.ECHO, 3000, mark)
  assert.deepEqual(back.buf, echo, `${label}: the connection is still open (ECHO comes back)`)
  assert.equal(io.states.includes('closed'), false, `${label}: never closed`)
  return elapsed
}

const authFail = {
  name: 'wrong key and unknown id → AUTH_FAIL after the delay, connection kept (iosd: a disabled device gets AUTH_FAIL, then a close)',
  async run(t) {
    const server = await t.startServer({ authFile: [['good1', 'key-good1', 'good1', 2]] })
    const delay = server.authFailDelay
    const attempts = [
      ['wrong key', t.newClient('ws', { id: 'good1', key: 'not-the-key' })],
      ['unknown id', t.newClient('cong', { id: 'nobody', key: 'key-nobody' })],
    ]
    if (t.mode === 'iosd') {
      await server.addDevice({ id: 'dis1', key: 'key-dis1', cid: 'dis1', level: 2, disabled: 1 })
      attempts.push(['disabled device', t.newClient('ws', { id: 'dis1', key: 'key-dis1' }), { closed: true }])
    }
    const elapsed = await Promise.all(attempts.map(([label, io, o]) => expectAuthFail(io, delay, label, o)))
    t.note(`AUTH_FAIL delays (configured ${delay} ms): ${attempts.map(([l], i) => `${l} ${elapsed[i]} ms`).join(', ')}`)
  },
}

// ---------------------------------------------------------------- 5. duplicate login

const duplicateLogin = {
  name: 'duplicate login: the old session gets SERVER_CLEAR_AUTH and is closed for good; the new one reconnects READY',
  timeout: 15000,
  async run(t) {
    await t.startServer({ authFile: [['dup1', 'key-dup1', 'dup1-cid', 2]] })
    const a = await t.login('ws', 'dup1', 'key-dup1')
    const started = Date.now()
    const b = t.newClient('cong', { id: 'dup1', key: 'key-dup1' })

    const clear = await waitRaw(a, MSG.SERVER_CLEAR_AUTH, 3000)
    assert.deepEqual([...clear.buf], [MSG.SERVER_CLEAR_AUTH], "A: SERVER_CLEAR_AUTH is the plain 'c4'")
    await waitState(a, 'closed', 3000)
    assert.equal(a.connectionCheckerIntervalID, null, 'A stopped its reconnect checker (no reconnect)')

    await waitState(b, 'closed', 3000)
    assert.equal(rawOfType(b, MSG.AUTH_ACK).length + rawOfType(b, MSG.AUTH_FAIL).length, 0,
      'B: neither AUTH_ACK nor AUTH_FAIL before the close')
    const closedAfter = Date.now() - started

    await waitReady(b, 8000 - (Date.now() - started), 'B READY again after its automatic reconnect')
    assertLoggedIn(b, { cid: 'dup1-cid', level: 2 }, 'B after reconnecting')
    t.note(`B closed after ${closedAfter} ms, READY as dup1 after ${Date.now() - started} ms`)

    // A's session is gone on the server (B took its CID) and A stayed down.
    assert.equal(a.stateName, 'closed', 'A is still closed')
    assert.equal(a.states.filter((s) => s === 'ready').length, 1, 'A never became READY again')
    assert.equal(a.socket, null, 'A has no socket')
  },
}

// ---------------------------------------------------------------- 6. OVER_SIZE

const overSize = {
  name: 'OVER_SIZE: a level-1 device (signalSize 255): a 200-byte SIGNAL passes, a 300-byte one gets fe and a close',
  async run(t) {
    // The reference enforces signalSize only when configured to (serverOption.useQuota);
    // iosd does by default.
    await t.startServer({ refQuotaSize: true, authFile: [['lv1w', 'key-lv1w', 'lv1w', 1], ['lv1c', 'key-lv1c', 'lv1c', 1]] })
    const sub = await t.client('ws')
    const inbox = await subscribe(sub, 'big')
    for (const [kind, id] of [['ws', 'lv1w'], ['cong', 'lv1c']]) {
      const io = await t.login(kind, id, `key-${id}`)
      assert.equal(io.level, 1, `${kind}: level 1`)
      // socket_send bypasses the client's own signalSize check (IOCore.send).
      io.socket_send(signalOfSize('big', 200))
      const { values } = await inbox.next()
      assert.equal(values[0].length, 200 - 6, `${kind}: the 200-byte signal arrived whole`)
      const mark = io.rawLog.length
      io.socket_send(signalOfSize('big', 300))
      const over = await waitRaw(io, MSG.OVER_SIZE, 3000, mark)
      assert.equal(over.inner[0], MSG.OVER_SIZE, `${kind}: OVER_SIZE (fe)`)
      await waitState(io, 'closed', 3000)
      stopClient(io) // no automatic reconnect
      // "Nothing arrives" window: the 300-byte signal must not be delivered.
      await inbox.assertQuiet(200)
    }
  },
}

// ---------------------------------------------------------------- 7. trafficRate

const trafficRate = {
  name: 'trafficRate: a level-0 flooder (10000 B/s) is throttled then closed; a level-3 publisher is unaffected',
  iosdOnly: 'the reference never implemented trafficRate',
  timeout: 25000,
  async run(t) {
    const server = await t.startServer({})
    await server.addDevice({ id: 'flood0', key: 'key-flood0', cid: 'flood0', level: 0 })
    const flooder = await t.login('cong', 'flood0', 'key-flood0')
    assert.equal(flooder.level, 0, 'the flooder is level 0 (SQLite level 0 stays 0)')
    const [floodSub, calmSub, calmPub] = await Promise.all([t.client('ws'), t.client('cong'), t.client('ws')])
    const floodIn = await subscribe(floodSub, 'flood')
    const calmIn = await subscribe(calmSub, 'calm')

    // 1000-byte signals (plain size; ENC_488 adds 21), 100 per second = 10 × the rate.
    const floodPayload = (seq) => { const b = Buffer.alloc(1000 - 3 - 'flood'.length); b.writeUInt32BE(seq); return b }
    const seqOf = (item) => Buffer.from(item.values[0]).readUInt32BE(0)
    const CALM = 20
    let floodSent = 0
    let calmSent = 0
    const started = Date.now()
    const floodTimer = setInterval(() => {
      if (flooder.stateName !== 'ready') return
      for (let i = 0; i < 5; i++) flooder.signal('flood', floodPayload(floodSent++))
    }, 50)
    t.defer(() => clearInterval(floodTimer))
    // The calm publisher: 10 signals per second for 2 s.
    let sentIn2s
    await new Promise((resolve) => {
      const calmTimer = setInterval(() => {
        calmPub.signal('calm', calmSent++)
        if (calmSent === CALM) { clearInterval(calmTimer); sentIn2s = floodSent; resolve() }
      }, 100)
      t.defer(() => clearInterval(calmTimer))
    })

    const calm = await calmIn.take(CALM, 3000)
    assert.deepEqual(calm.map((c) => c.values[0]), [...Array(CALM).keys()].map(String), 'every calm signal, in order')

    // Sustained flooding: closed within ~6 s of flooding (plus slack). On a
    // timeout the delivery figures are still reported, then the error.
    const closeError = await waitState(flooder, 'closed', Math.max(0, started + 8000 - Date.now())).catch((e) => e)
    const closedAt = Date.now() - started
    clearInterval(floodTimer)
    stopClient(flooder)

    const delivered = floodIn.items.filter((item) => seqOf(item) < sentIn2s).length
    t.note(`flood: ${delivered} of ${sentIn2s} delivered in the first 2 s; flooder `
      + `${closeError ? 'still open' : 'closed'} after ${closedAt} ms (${floodSent} sent in all, ${floodIn.items.length} delivered)`)
    assert.ok(delivered >= 1, 'some flood signals pass (the bucket has a burst)')
    assert.ok(delivered <= 0.4 * sentIn2s, `at most 40% of the flood delivered (got ${delivered} of ${sentIn2s})`)
    if (closeError) throw closeError
  },
}

// ---------------------------------------------------------------- 8. sudo API

const sudoApi = {
  name: "sudo API: a level-255 device gets cid / clients / channels; a level-3 device gets 255 'NO_PERMISSION.'",
  async run(t) {
    await t.startServer({ authFile: [['adm', 'key-adm', 'adm', 255], ['usr', 'key-usr', 'usr', 3]] })
    const [admin, user, anon] = await Promise.all([t.login('ws', 'adm', 'key-adm'), t.login('cong', 'usr', 'key-usr'), t.client('ws')])
    assert.equal(admin.level, 255)
    assert.equal(user.level, 3)
    await subscribe(user, 'sudo-ch')

    const cids = await request(admin, 'sudo', 'cid')
    assert.equal(cids.status, 0, 'cid: status 0')
    assert.ok(Array.isArray(cids.body), `cid: body is a list (${JSON.stringify(cids.body)})`)
    for (const cid of ['adm', 'usr', anon.cid]) assert.ok(cids.body.includes(cid), `cid: lists ${cid}`)

    const clients = await request(admin, 'sudo', 'clients')
    assert.equal(clients.status, 0, 'clients: status 0')
    assert.ok(Array.isArray(clients.body) && clients.body.length >= 3, `clients: a list of ≥ 3 (${JSON.stringify(clients.body)})`)
    assert.ok(clients.body.some((c) => String(c).includes('usr')), 'clients: lists usr')

    const channels = await request(admin, 'sudo', 'channels')
    assert.equal(channels.status, 0, 'channels: status 0')
    assert.ok(Array.isArray(channels.body), `channels: body is a list (${JSON.stringify(channels.body)})`)
    assert.ok(channels.body.some((c) => String(c).includes('sudo-ch')), 'channels: lists sudo-ch')

    for (const [label, io] of [['level-3 device', user], ['anonymous client', anon]]) {
      const denied = await request(io, 'sudo', 'cid')
      assert.equal(denied.status, 255, `${label}: status 255`)
      assert.equal(denied.body, 'NO_PERMISSION.', `${label}: body`)
    }
  },
}

/** The admin: from the auth file for the reference, from SQLite for iosd. */
async function adminServer(t) {
  if (t.mode === 'ref') return t.startServer({ authFile: [['adm', 'key-adm', 'adm', 255]] })
  const server = await t.startServer({})
  await server.addDevice({ id: 'adm', key: 'key-adm', cid: 'adm', level: 255 })
  return server
}

const sudoAddDevice = {
  name: "sudo adddevice dev9 → dev9 logs in with key9 at level 2 → getdevice dev9 returns it",
  async run(t) {
    await adminServer(t)
    const admin = await t.login('ws', 'adm', 'key-adm')
    const added = await request(admin, 'sudo', 'adddevice', 'dev9', 'key9', 'dev9', 2)
    assert.ok(added.status < 128, `adddevice: ok status (got ${added.status} ${JSON.stringify(added.body)})`)

    const dev9 = await t.login('cong', 'dev9', 'key9')
    assert.equal(dev9.cid, 'dev9')
    assert.equal(dev9.level, 2)

    const got = await request(admin, 'sudo', 'getdevice', 'dev9')
    assert.equal(got.status, 0, `getdevice: status 0 (${JSON.stringify(got.body)})`)
    assert.equal(typeof got.body, 'object', `getdevice: an object body (${JSON.stringify(got.body)})`)
    assert.equal(got.body.cid, 'dev9', 'getdevice: cid')
    assert.equal(Number(got.body.level), 2, 'getdevice: level')
    if ('key' in got.body) assert.equal(got.body.key, storedKey('key9'), 'getdevice: the key, stored hashed')
  },
}

const sudoDelDevice = {
  name: 'sudo deldevice: a device enrolled in SQLite logs in, is deleted, then fails to log in',
  iosdOnly: "the reference's Auth_File / Auth_Env have no delAuth",
  async run(t) {
    const server = await adminServer(t)
    await server.addDevice({ id: 'dev8', key: 'key8', cid: 'dev8', level: 2 })
    const admin = await t.login('ws', 'adm', 'key-adm')
    const dev8 = await t.login('cong', 'dev8', 'key8')
    assert.equal(dev8.cid, 'dev8')
    stopClient(dev8)

    const deleted = await request(admin, 'sudo', 'deldevice', 'dev8')
    assert.ok(deleted.status < 128, `deldevice: ok status (got ${deleted.status} ${JSON.stringify(deleted.body)})`)
    const again = t.newClient('ws', { id: 'dev8', key: 'key8' })
    await waitRaw(again, MSG.AUTH_FAIL, server.authFailDelay + 5000)
    assert.equal(rawOfType(again, MSG.AUTH_ACK).length, 0, 'no AUTH_ACK after deldevice')
  },
}

// ---------------------------------------------------------------- 9. members-only

const membersOnly = {
  name: '--members-only: an anonymous client that signals gets c4 and is closed; a logged-in one signals',
  async run(t) {
    await t.startServer({ membersOnly: true, authFile: [['mem1', 'key-mem1', 'mem1', 2], ['mem2', 'key-mem2', 'mem2', 2]] })
    const [sub, pub] = await Promise.all([t.login('cong', 'mem1', 'key-mem1'), t.login('ws', 'mem2', 'key-mem2')])
    const inbox = await subscribe(sub, 'mo-ch')
    pub.signal('mo-ch', 'from a member')
    assert.deepEqual((await inbox.next()).values, ['from a member'])

    // npm client: c4, then it stops itself (no reconnect).
    const anon = await t.client('ws')
    anon.signal('mo-ch', 'from anon ws')
    const clear = await waitRaw(anon, MSG.SERVER_CLEAR_AUTH, 3000)
    assert.deepEqual([...clear.buf], [MSG.SERVER_CLEAR_AUTH], "anonymous ws: plain 'c4'")
    await waitState(anon, 'closed', 3000)

    // Raw CongSocket peer: the server itself closes the connection after c4.
    const raw = await t.rawCong()
    await congHandshake(raw)
    raw.write(congFrame(signalMessage('mo-ch', PAYLOAD.TEXT, Buffer.from('from anon cong\0'))))
    const frame = await raw.inbox.next(3000)
    assert.deepEqual([...frame.payload], [MSG.SERVER_CLEAR_AUTH], "anonymous cong: 'c4'")
    await withTimeout(raw.closed, 3000, 'the server closes the anonymous CongSocket peer')

    // Neither anonymous signal was delivered: the next one the subscriber gets is the member's.
    pub.signal('mo-ch', 'marker')
    assert.deepEqual((await inbox.next()).values, ['marker'], 'nothing from the anonymous clients')
  },
}

// ---------------------------------------------------------------- 10. zero-key ENC_488

const zeroKeyEnc = {
  name: 'an anonymous ENC_488 made with a zero key is dropped by iosd, sender kept (the reference delivers it)',
  async run(t) {
    await t.startServer({ authFile: [['zk1', 'key-zk1', 'zk1', 2]] })
    const sub = await t.client('ws')
    const inbox = await subscribe(sub, 'zk-ch')
    const raw = await t.rawCong()
    await congHandshake(raw)
    let closed = false
    raw.closed.then(() => { closed = true })

    raw.write(congFrame(zeroKeyEnc488(signalMessage('zk-ch', PAYLOAD.TEXT, Buffer.from('zero key\0')))))
    raw.write(congFrame(signalMessage('zk-ch', PAYLOAD.TEXT, Buffer.from('marker\0'))))
    if (t.mode === 'ref') {
      // Positive control: the packet is well formed; the reference decrypts it (protocol-reference §7.2).
      assert.deepEqual((await inbox.next()).values, ['zero key'], 'reference: the zero-key packet is delivered')
      t.note('reference: the zero-key ENC_488 was decrypted and delivered (expected for the reference)')
    }
    assert.deepEqual((await inbox.next()).values, ['marker'], 'the plain marker arrives (nothing else before it)')
    await inbox.assertQuiet(200)

    // The sender stays connected: an ECHO comes back on the same connection.
    const echo = Buffer.from([MSG.ECHO, ...Buffer.from('alive')])
    raw.write(congFrame(echo))
    assert.deepEqual((await raw.inbox.next(3000)).payload, echo, 'ECHO answered')
    assert.equal(closed, false, 'the sender was not closed')
  },
}

// ---------------------------------------------------------------- 11. retained across restart

const retainedRestart = {
  name: 'a retained signal (r$keep) survives an iosd restart on the same database',
  iosdOnly: 'the reference keeps retained signals in memory only',
  timeout: 15000,
  async run(t) {
    const server = await t.startServer({})
    const pub = await t.client('ws')
    pub.signal('r$keep', 'kept value')
    await roundTrip(pub) // the server has handled the signal
    const before = await t.client('cong')
    assert.deepEqual((await (await subscribe(before, 'r$keep')).next()).values, ['kept value'], 'retained before the restart')
    stopClient(pub)
    stopClient(before)

    await server.stop()
    const exit = await server.exited
    assert.equal(exit.signal === 'SIGKILL', false, `iosd exited on SIGTERM (${JSON.stringify(exit)})`)
    await server.start()

    const after = await t.client('ws')
    const inbox = listen(after, 'r$keep')
    const res = await after.subscribe_promise('r$keep')
    assert.ok(res.ok, 'subscribed after the restart')
    assert.deepEqual((await inbox.next()).values, ['kept value'], 'retained after the restart')
  },
}

// ---------------------------------------------------------------- 12. sudo and -d / -e devices

/** The RESPONSE_MBP the reference's remote.response() packs, byte for byte. */
function responseBytes(mid, status, body) {
  const fields = [MBP.MB('#type', '8', 0xdd), MBP.MB('status', '8', status), MBP.MB('mid', '16', mid)]
  if (body !== undefined) fields.push(MBP.MB('body', body))
  return Buffer.from(MBP.pack(...fields))
}

/**
 * A sudo request whose RESPONSE must be, byte for byte (decrypted from its
 * ENC_488), what the reference packs with `body` (undefined: no body).
 */
async function sudoExact(io, body, ...args) {
  const mark = io.rawLog.length
  const res = await request(io, 'sudo', ...args)
  const label = `sudo ${args.join(' ')}`
  assert.equal(res.status, 0, `${label}: status 0 (${JSON.stringify(res.body)})`)
  assert.deepEqual(res.body, body, `${label}: body`)
  const raw = rawOfType(io, 0xdd, mark).at(-1)
  assert.ok(raw?.inner, `${label}: the RESPONSE was recorded`)
  assert.equal(raw.inner.toString('hex'), responseBytes(res.mid, 0, body).toString('hex'), `${label}: the bytes of the reference`)
}

const sudoBuiltinDevices = {
  name: 'sudo getdevicelist / getdevice answer the -d and -e devices as the reference its auth data (level as given), byte for byte',
  async run(t) {
    // -d: a level 0, none (addAuth's default 0) and null are kept as given; a login turns them into 3.
    const rows = [['adm', 'key-adm', 'adm', 255], ['fd0', 'key-fd0', 'fd0-cid', 0], ['fd2', 'key-fd2', 'fd2-cid', 2],
      ['fd3', 'key-fd3', 'fd3-cid'], ['fdn', 'key-fdn', 'fdn-cid', null]]
    const fileServer = await t.startServer({ authFile: rows })
    const admin = await t.login('ws', 'adm', 'key-adm')
    await sudoExact(admin, rows.map((r) => r[0]), 'getdevicelist')
    await sudoExact(admin, rows.map((r) => r[0]), 'getauthidlist')
    for (const [id, key, cid, level] of rows) {
      await sudoExact(admin, { key: storedKey(key), cid, level: level === undefined ? 0 : level }, 'getdevice', id)
    }
    await sudoExact(admin, undefined, 'getdevice', 'nobody')
    const fd0 = await t.login('cong', 'fd0', 'key-fd0')
    assert.equal(fd0.level, 3, 'fd0 (level 0 as given) logs in at level 3')

    if (t.mode === 'iosd') {
      // Then the store's devices; an id in both is the -d one (as a login finds it), listed once.
      await fileServer.addDevice({ id: 'sq5', key: 'key-sq5', cid: 'sq5-cid', level: 5 })
      await fileServer.addDevice({ id: 'fd2', key: 'other', cid: 'fd2-other', level: 7 })
      await sudoExact(admin, [...rows.map((r) => r[0]), 'sq5'], 'getdevicelist')
      await sudoExact(admin, { key: storedKey('key-fd2'), cid: 'fd2-cid', level: 2 }, 'getdevice', 'fd2')
      await sudoExact(admin, { key: storedKey('key-sq5'), cid: 'sq5-cid', level: 5, disabled: false }, 'getdevice', 'sq5')
    }

    // -e: the CID is the id; "ep.key" has no level (NaN in the reference: null), "7x" is 7 (parseInt).
    await t.startServer({ authParam: 'adm.key-adm.255,ep.key-ep,ej.key-ej.7x' })
    const admin2 = await t.login('cong', 'adm', 'key-adm', { server: t.servers[1] })
    await sudoExact(admin2, ['adm', 'ep', 'ej'], 'getdevicelist')
    await sudoExact(admin2, { key: storedKey('key-ep'), cid: 'ep', level: null }, 'getdevice', 'ep')
    await sudoExact(admin2, { key: storedKey('key-ej'), cid: 'ej', level: 7 }, 'getdevice', 'ej')
  },
}

// ---------------------------------------------------------------- 13. duplicate login, at the wire

const duplicateLoginClose = {
  name: 'duplicate login over raw WebSockets: the old session gets c4 and a close frame, the new one a close frame (never 1006)',
  async run(t) {
    const server = await t.startServer({ authFile: [['dupw', 'key-dupw', 'dupw', 2]] })
    const open = async () => {
      const p = await Peer.open(server.wsPort, { ws: true })
      t.defer(() => p.close())
      assert.equal(p.status, 101, 'WebSocket upgrade')
      assert.ok(await p.next(MSG.SERVER_READY), 'SERVER_READY')
      return p
    }
    const a = await open()
    assert.equal(await rawLogin(a, Boho, 'dupw', 'key-dupw'), MSG.AUTH_ACK, 'A logs in')
    // B logs in by hand: the reference keeps the TCP connection until the
    // client answers the close frame, so B waits for the frame, not for EOF.
    const b = await open()
    const boho = new Boho()
    boho.set_id_key('dupw.key-dupw')
    b.send(boho.auth_req())
    b.send(boho.auth_hmac(await b.next(MSG.AUTH_NONCE)))
    assert.deepEqual([...(await a.next(MSG.SERVER_CLEAR_AUTH)) ?? []], [MSG.SERVER_CLEAR_AUTH], "A: plain 'c4'")
    // The reference's remote.close() sends a close frame without a status
    // (1005); iosd says why (doc/protocol.md). Without a frame it would be 1006.
    const expected = t.mode === 'ref'
      ? { a: [1005, ''], b: [1005, ''] }
      : { a: [1000, 'duplicate login'], b: [1013, 'duplicate login, try again'] }
    for (const [name, p] of [['a', a], ['b', b]]) {
      await p.until(() => p.closeCode !== null || p.closed, 3000, `${name}: a close frame`)
      assert.deepEqual([p.closeCode ?? 1006, p.closeReason ?? ''], expected[name], `${name.toUpperCase()}: close code and reason`)
    }
    assert.equal(b.msgs.filter((m) => m[0] === MSG.AUTH_ACK || m[0] === MSG.AUTH_FAIL).length, 0, 'B: neither AUTH_ACK nor AUTH_FAIL')
  },
}

// ---------------------------------------------------------------- 14. a second login on the same connection

/** Wire types (first byte) recorded from `mark` on. */
const typesSince = (io, mark) => io.rawLog.slice(mark).map((r) => r.type)

const reloginOther = {
  name: 'login() again as another device on the same connection: c3, b3, then the new CID; the old CID is released',
  async run(t) {
    await t.startServer({ authFile: [['rla', 'key-rla', 'rla-cid', 2], ['rlb', 'key-rlb', 'rlb-cid', 12], ['adm', 'key-adm', 'adm', 255]] })
    const [io, admin, other] = await Promise.all([t.login('ws', 'rla', 'key-rla'), t.login('cong', 'adm', 'key-adm'), t.client('ws')])
    assert.equal(io.cid, 'rla-cid')
    const inbox = await subscribe(io, 'rl-ch')
    const atRl = listen(io, '@rl')

    const mark = io.rawLog.length
    const ready = waitReady(io, 5000, "READY after login('rlb')")
    io.login('rlb', 'key-rlb')
    await ready
    const types = typesSince(io, mark)
    assert.deepEqual(types.slice(0, 4), [MSG.AUTH_NONCE, MSG.QUOTA_LEVEL, MSG.AUTH_ACK, MSG.ENC_488],
      `AUTH_NONCE, QUOTA_LEVEL, AUTH_ACK plain, then ENC_488 (got ${types.map((x) => x.toString(16))})`)
    assert.deepEqual([...io.rawLog[mark + 1].buf], [MSG.QUOTA_LEVEL, 12], 'QUOTA_LEVEL 12')
    const cidRes = io.rawLog[mark + 3].inner
    assert.equal(cidRes?.[0], MSG.CID_RES, 'the ENC_488 is the CID_RES, under the new keys')
    assert.equal(cidRes.subarray(1).toString(), 'rlb-cid', 'the new CID')
    assert.equal(io.cid, 'rlb-cid')
    assert.equal(io.level, 12)

    const cids = (await request(admin, 'sudo', 'cid')).body
    assert.ok(cids.includes('rlb-cid') && !cids.includes('rla-cid'), `the old CID is released (${JSON.stringify(cids)})`)
    // Unicast reaches the new CID only; the channel still delivers; the session works.
    other.signal('rla-cid@rl', 'to the old cid')
    other.signal('rlb-cid@rl', 'to the new cid')
    assert.deepEqual((await atRl.next()).values, ['to the new cid'])
    await atRl.assertQuiet(200)
    other.signal('rl-ch', 'after')
    assert.deepEqual((await inbox.next()).values, ['after'])
    await roundTrip(io)
  },
}

const reloginSame = {
  name: 'login() again as the same device: a fresh AUTH_NONCE, then nothing; the session goes on encrypted',
  async run(t) {
    await t.startServer({ authFile: [['rls', 'key-rls', 'rls-cid', 2]] })
    const io = await t.login('cong', 'rls', 'key-rls')
    const first = rawOfType(io, MSG.AUTH_NONCE)[0]
    const mark = io.rawLog.length
    io.login('rls', 'key-rls')
    const nonce = await waitRaw(io, MSG.AUTH_NONCE, 3000, mark)
    assert.equal(nonce.buf.length, 13, 'AUTH_NONCE: 13 bytes')
    assert.notEqual(nonce.buf.toString('hex'), first.buf.toString('hex'), 'a fresh nonce')
    // "Nothing arrives" window: no QUOTA_LEVEL, no AUTH_ACK (the reference ignores a login as the same CID).
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.deepEqual(typesSince(io, mark), [MSG.AUTH_NONCE], 'only the AUTH_NONCE')
    // Both sides moved to the new nonces: requests and answers still decrypt.
    await roundTrip(io)
    assert.equal(io.cid, 'rls-cid')
  },
}

const reloginFails = {
  name: 'login() again with a wrong key: AUTH_FAIL after the delay; the session keeps its device and CID',
  async run(t) {
    const server = await t.startServer({ authFile: [['rlf', 'key-rlf', 'rlf-cid', 2], ['rlg', 'key-rlg', 'rlg-cid', 2], ['adm', 'key-adm', 'adm', 255]] })
    const [io, admin] = await Promise.all([t.login('ws', 'rlf', 'key-rlf'), t.login('cong', 'adm', 'key-adm')])
    const mark = io.rawLog.length
    io.login('rlg', 'wrong')
    const fail = await waitRaw(io, MSG.AUTH_FAIL, server.authFailDelay + 5000, mark)
    const nonce = rawOfType(io, MSG.AUTH_NONCE, mark)[0]
    assert.ok(fail.at - nonce.at >= 0.9 * server.authFailDelay, 'AUTH_FAIL after the delay')
    assert.equal(rawOfType(io, MSG.AUTH_ACK, mark).length, 0, 'no AUTH_ACK')
    const cids = (await request(admin, 'sudo', 'cid')).body
    assert.ok(cids.includes('rlf-cid') && !cids.includes('rlg-cid'), `still rlf-cid (${JSON.stringify(cids)})`)
  },
}

export const cases = [
  ...SOURCES.map(loginFrom),
  encryptedExchange,
  endToEnd,
  authFail,
  duplicateLogin,
  overSize,
  trafficRate,
  sudoApi,
  sudoAddDevice,
  sudoDelDevice,
  membersOnly,
  zeroKeyEnc,
  retainedRestart,
  sudoBuiltinDevices,
  duplicateLoginClose,
  reloginOther,
  reloginSame,
  reloginFails,
]

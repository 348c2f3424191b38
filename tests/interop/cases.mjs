// Interop test cases. Each case is one TAP test: `run(t)` gets a context
// (see run.mjs) whose clients, raw sockets and extra servers are cleaned up
// when the case ends, pass or fail.
//
// Both modes run the same cases with the same unmodified npm clients. Where
// iosd is deliberately stricter than the reference (/work/shared/protocol.md,
// "Where iosd is deliberately stricter"), the case branches on `t.mode` and
// cites the item.
import assert from 'node:assert/strict'
import {
  MSG, listen, recordSignals, roundTrip, subscribe, stopClient, timed, waitEvent,
  waitReady, withTimeout,
} from './lib.mjs'

const CID_RE = /^\?[A-Za-z0-9_-]{4}$/
const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const u8 = (...bytes) => new Uint8Array(bytes)
const nonce = () => `v${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`

/** Binary values become { bin: hex } so deepEqual compares bytes, not classes. */
function normalize(values) {
  return values.map((v) => (ArrayBuffer.isView(v)
    ? { bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') }
    : v))
}

// [label, arguments of io.signal(tag, ...args), values the listener gets].
// IOCore calls listeners with the decoded values followed by the tag.
const PAYLOADS = [
  ['EMPTY', [], [null]],
  ['TEXT string', ['héllo wörld'], ['héllo wörld']],
  // A number travels as TEXT ("42\0") and arrives as the string '42'.
  ['TEXT number', [42], ['42']],
  ['BINARY', [u8(1, 2, 3, 0, 255)], [u8(1, 2, 3, 0, 255)]],
  ['OBJECT', [{ a: 1, b: [true, 'x'], c: { d: null } }], [{ a: 1, b: [true, 'x'], c: { d: null } }]],
  ['MJSON', ['a', 2], ['a', 2]],
  ['MBA', ['a', 2, u8(9, 9)], ['a', 2, u8(9, 9)]],
]

/** `to` subscribes `tag`; `from` signals every payload type; `to` gets each, in order. */
async function checkAllPayloads(from, to, tag) {
  const inbox = await subscribe(to, tag)
  for (const [, args] of PAYLOADS) from.signal(tag, ...args)
  const got = await inbox.take(PAYLOADS.length)
  PAYLOADS.forEach(([label, , expected], i) => {
    assert.equal(got[i].tag, tag, `${label}: tag`)
    assert.deepEqual(normalize(got[i].values), normalize(expected), `${label}: values`)
  })
}

/**
 * Negative delivery check. `receiver` records every SIGNAL it gets; `send()`
 * emits what must NOT be delivered, then `marker` (a tag the receiver does
 * get). The server handles one connection in order, so if the first signal the
 * receiver sees is the marker, nothing before it was delivered; a short quiet
 * window then covers anything sent out of order.
 */
async function expectOnlyMarker(receiver, signals, marker, send, quietMs = 300) {
  send()
  assert.equal(await signals.next(3000), marker, 'first signal received is the marker')
  await signals.assertQuiet(quietMs)
}

async function assertStillUsable(io) {
  assert.equal(io.stateName, 'ready', `${io.kind} client still READY`)
  await roundTrip(io)
}

// ---------------------------------------------------------------- cases

const handshake = (kind) => ({
  name: `${kind} client: SERVER_READY then CID_RES, cid format`,
  async run(t) {
    const [types, states] = [[], []]
    const io = await t.client(kind, {
      setup: (c) => {
        c.on('socket_data', (buf) => types.push(buf[0]))
        c.on('change', (state) => states.push(state))
      },
    })
    assert.match(io.cid, CID_RE)
    assert.deepEqual(types, [MSG.SERVER_READY, 0xc2], 'received SERVER_READY (c0) then CID_RES (c2)')
    assert.deepEqual(states, ['open', 'server_ready', 'ready'], 'client state changes')
  },
})

const payloadsBetween = (fromKind, toKind) => ({
  name: `every payload type through a channel, ${fromKind} → ${toKind}`,
  async run(t) {
    const [from, to] = [await t.client(fromKind), await t.client(toKind)]
    await checkAllPayloads(from, to, `pay-${fromKind}-${toKind}`)
  },
})

const homeChannel = {
  name: '#home channel between two local clients (ws and cong)',
  async run(t) {
    const [a, b, c] = [await t.client('ws'), await t.client('cong'), await t.client('ws')]
    const [inB, inC] = [await subscribe(b, '#home'), await subscribe(c, '#home')]
    a.signal('#home', 'hi home')
    for (const inbox of [inB, inC]) assert.deepEqual(await inbox.next(), { values: ['hi home'], tag: '#home' })
  },
}

const cidPublish = {
  name: "'@topic' CID publish reaches subscribers of '<cid>@topic'",
  async run(t) {
    const [pub, sub] = [await t.client('ws'), await t.client('cong')]
    const tag = `${pub.cid}@topic`
    const inbox = await subscribe(sub, tag)
    pub.signal('@topic', 'published')
    assert.deepEqual(await inbox.next(), { values: ['published'], tag })
  },
}

const unicast = {
  name: "'cid@topic' unicast: the receiver sees tag '@topic'",
  async run(t) {
    const [a, b, other] = [await t.client('ws'), await t.client('cong'), await t.client('ws')]
    const otherSignals = recordSignals(other)
    const [atB, anyAtB] = [listen(b, '@topic'), listen(b, '@')]
    a.signal(`${b.cid}@topic`, 'for b', 7)
    assert.deepEqual(await atB.next(), { values: ['for b', 7], tag: '@topic' })
    assert.deepEqual(await anyAtB.next(), { values: ['for b', 7], tag: '@topic' }, "the catch-all '@' listener fires too")
    await otherSignals.assertQuiet(200)
  },
}

const unicastSelf = {
  name: 'unicast to self is delivered',
  async run(t) {
    const a = await t.client('ws')
    const inbox = listen(a, '@self')
    a.signal(`${a.cid}@self`, { me: true })
    assert.deepEqual(await inbox.next(), { values: [{ me: true }], tag: '@self' })
  },
}

const unicastUnknown = {
  name: 'unicast to an unknown cid delivers nothing; sender stays connected',
  async run(t) {
    const [a, b] = [await t.client('ws'), await t.client('ws')]
    const unknown = ['?none', '?nada'].find((cid) => cid !== a.cid && cid !== b.cid)
    const [aSignals, bSignals] = [recordSignals(a), recordSignals(b)]
    await expectOnlyMarker(b, bSignals, '@marker', () => {
      a.signal(`${unknown}@topic`, 'lost')
      a.signal(`${b.cid}@marker`, 'after')
    })
    await aSignals.assertQuiet(0)
    await assertStillUsable(a)
    const again = listen(b, '@again')
    a.signal(`${b.cid}@again`, 'still here')
    assert.deepEqual((await again.next()).values, ['still here'])
  },
}

const dollarTagDropped = {
  name: "'$'-prefixed tag is dropped",
  async run(t) {
    const [pub, sub] = [await t.client('ws'), await t.client('ws')]
    await subscribe(sub, '$reserved')
    await subscribe(sub, 'dollar-marker')
    const signals = recordSignals(sub)
    await expectOnlyMarker(sub, signals, 'dollar-marker', () => {
      pub.signal('$reserved', 'dropped')
      pub.signal('dollar-marker', 'after')
    })
  },
}

const subscribePromise = {
  name: 'subscribe_promise resolves with status ok; delivery follows',
  async run(t) {
    const [pub, sub] = [await t.client('ws'), await t.client('cong')]
    const inbox = listen(sub, 'sp-a')
    const res = await sub.subscribe_promise('sp-a,sp-b')
    assert.equal(res.ok, true)
    assert.equal(res.status, 0)
    assert.equal(res.mid, sub.mid, 'response carries the request mid')
    pub.signal('sp-a', 'x')
    assert.deepEqual((await inbox.next()).values, ['x'])
  },
}

const unsubscribeOne = {
  name: 'unsubscribe(tag) stops delivery of that tag only',
  async run(t) {
    const [pub, sub] = [await t.client('ws'), await t.client('ws')]
    await subscribe(sub, 'us-gone')
    await subscribe(sub, 'us-kept')
    sub.unsubscribe('us-gone')
    await roundTrip(sub)
    const signals = recordSignals(sub)
    await expectOnlyMarker(sub, signals, 'us-kept', () => {
      pub.signal('us-gone', 'no')
      pub.signal('us-kept', 'yes')
    })
  },
}

const unsubscribeAll = {
  name: 'unsubscribe() stops delivery of every tag',
  async run(t) {
    const [pub, sub] = [await t.client('ws'), await t.client('cong')]
    await subscribe(sub, 'ua-1')
    await subscribe(sub, 'ua-2')
    sub.unsubscribe()
    await roundTrip(sub)
    const signals = recordSignals(sub)
    await expectOnlyMarker(sub, signals, '@ua-marker', () => {
      pub.signal('ua-1', 'no')
      pub.signal('ua-2', 'no')
      pub.signal(`${sub.cid}@ua-marker`, 'unicast still works')
    })
  },
}

const retainedGlobal = {
  name: "retained 'r$1': a late subscriber gets the last value on subscribe",
  async run(t) {
    const pub = await t.client('ws')
    const value = nonce() // fresh per run, in case a server keeps retained values across runs
    pub.signal('r$1', value)
    await roundTrip(pub)
    const late = await t.client('ws')
    const inbox = await subscribe(late, 'r$1')
    assert.deepEqual(await inbox.next(), { values: [value], tag: 'r$1' })
  },
}

const retainedCid = {
  name: "retained CID signal '@$st': late subscriber of '<cid>@$st' gets it",
  async run(t) {
    const a = await t.client('cong')
    const value = nonce()
    a.signal('@$st', value)
    await roundTrip(a)
    const b = await t.client('ws')
    const tag = `${a.cid}@$st`
    const inbox = await subscribe(b, tag)
    assert.deepEqual(await inbox.next(), { values: [value], tag })
  },
}

const stateOnClose = (kind) => ({
  name: `'<cid>@state' gets TEXT 'close' when a ${kind} client disconnects`,
  async run(t) {
    const [a, b] = [await t.client(kind), await t.client('ws')]
    const tag = `${a.cid}@state`
    const inbox = await subscribe(b, tag)
    stopClient(a)
    assert.deepEqual(await inbox.next(3000), { values: ['close'], tag })
  },
})

const reqReply = {
  name: "req('reply', echo|date|unixtime) answers",
  async run(t) {
    const io = await t.client('ws')
    const echo = await io.req('reply', 'echo', 'hello')
    assert.equal(echo.ok, true)
    assert.equal(echo.status, 0)
    assert.deepEqual(echo.body, ['hello'])

    const date = await io.req('reply', 'date')
    assert.equal(typeof date.body, 'string')
    assert.ok(Math.abs(Date.parse(date.body) - Date.now()) <= 5000, `date '${date.body}' is now`)

    const unixtime = await io.req('reply', 'unixtime')
    assert.equal(typeof unixtime.body, 'number')
    assert.ok(Math.abs(unixtime.body - Date.now() / 1000) <= 5, `unixtime ${unixtime.body} is now`)
  },
}

const reqUnknownTarget = {
  name: 'req to an unknown target is rejected',
  async run(t) {
    const io = await t.client('ws')
    const { value, error, ms } = await timed(() => io.req('nosuch', 'x'))
    assert.equal(value, undefined, 'promise must reject')
    t.note(`rejected after ${ms} ms with ${typeof error === 'string' ? error : `status ${error?.status}`}`)
    if (t.mode === 'ref') {
      // The reference sends no reply: the client's own 5 s promise timeout rejects.
      assert.equal(error, 'timeout')
    } else {
      // protocol.md "deliberately stricter" #9: iosd answers status 255 at once.
      assert.equal(error?.status, 255)
      assert.ok(ms < 2000, `rejected in ${ms} ms (< 2000)`)
    }
  },
}

const reqUnknownTopic = {
  name: "req('reply', unknown topic) is rejected with status 255",
  async run(t) {
    const io = await t.client('cong')
    const { error } = await timed(() => io.req('reply', 'nosuch'))
    assert.equal(error?.ok, false)
    assert.equal(error?.status, 255)
    assert.equal(error?.mid, io.mid)
  },
}

const iam = {
  name: "iam('nick') → IAM_RES JSON with cid, nick, ip and subscribed tags",
  async run(t) {
    const io = await t.client('ws')
    await subscribe(io, 'iam-ch')
    await subscribe(io, '#iam-home')
    // The client only console.logs IAM_RES, so read it from 'socket_data'.
    const reply = new Promise((resolve) => io.on('socket_data', (buf) => {
      if (buf[0] === MSG.IAM_RES) resolve(JSON.parse(Buffer.from(buf.subarray(1)).toString('utf8')))
    }))
    io.iam('nick')
    const info = await withTimeout(reply, 2000, 'IAM_RES')
    assert.equal(info.cid, io.cid)
    assert.equal(info.nick, 'nick')
    assert.equal(info.ip, '127.0.0.1')
    assert.equal(typeof info.ssid, 'number')
    assert.deepEqual([...info.tag].sort(), ['CH:iam-ch', 'PRIVATE:#iam-home'])
  },
}

const echoWebSocket = {
  name: 'ECHO over a raw WebSocket returns identical bytes',
  async run(t) {
    const ws = await t.rawWebSocket()
    assert.deepEqual(await ws.inbox.next(), Buffer.from([MSG.SERVER_READY]))
    ws.send(hex('cc 68 69'))
    assert.deepEqual(await ws.inbox.next(), hex('cc 68 69'))
  },
}

const closeMessage = {
  name: "CLOSE: a bare 'cf' is ignored; 'cf bye' closes (ws: iosd 1000, the reference no status), cong too",
  async run(t) {
    const ws = await t.rawWebSocket()
    assert.deepEqual(await ws.inbox.next(), Buffer.from([MSG.SERVER_READY]))
    ws.send(hex('cf'))
    ws.send(hex('cc 31'))
    assert.deepEqual(await ws.inbox.next(), hex('cc 31'), 'a bare CLOSE is ignored: the ECHO after it comes back')
    const closed = waitEvent(ws, 'close', 3000, 'the server closes the WebSocket')
    ws.send(Buffer.concat([hex('cf'), Buffer.from('bye')]))
    const [code, reason] = await closed
    // The reference's remote.close() sends no status (1005); iosd says 1000
    // (doc/protocol.md, "What the daemon answers where the reference does not").
    assert.equal(code, t.mode === 'ref' ? 1005 : 1000, 'close code')
    assert.equal(String(reason), t.mode === 'ref' ? '' : 'client sent CLOSE', 'close reason')

    const cong = await t.rawCong()
    assert.deepEqual((await cong.inbox.next()).payload, Buffer.from([MSG.SERVER_READY]))
    cong.write(hex('01 01 cf  01 02 cc 32'))
    assert.deepEqual((await cong.inbox.next()).payload, hex('cc 32'), 'cong: a bare CLOSE is ignored')
    cong.write(hex('01 04 cf 62 79 65'))
    await withTimeout(cong.closed, 3000, 'the server closes the CongSocket')
  },
}

/** Raw CongSocket: send `request`, expect exactly SERVER_READY then `reply` on the wire. */
const rawCongExchange = (name, request, reply) => ({
  name,
  async run(t) {
    const sock = await t.rawCong()
    assert.deepEqual((await sock.inbox.next()).payload, Buffer.from([MSG.SERVER_READY]))
    sock.write(hex(request))
    await sock.inbox.next()
    assert.equal(sock.bytes.toString('hex'), hex(`01 01 c0 ${reply}`).toString('hex'))
  },
})

const keepalive = {
  name: 'keepalive (-t 500): a silent raw TCP client is closed; live clients stay',
  async run(t) {
    const server = await t.startServer({ timeout: 500 })
    const live = [await t.client('ws', { server }), await t.client('cong', { server })]
    const dropped = live.map(() => false)
    live.forEach((io, i) => io.on('close', () => { dropped[i] = true }))
    const silent = await t.rawCong(server)
    const closedAt = await withTimeout(silent.closed, 3500, 'server closes the silent client')
    const s = (closedAt - silent.connectedAt) / 1000
    t.note(`silent client closed after ${s.toFixed(2)} s`)
    assert.ok(s >= 0.4 && s <= 3, `closed after ${s} s, expected 0.4..3`)
    const pings = silent.inbox.items.filter((f) => f.payload.length === 1 && f.payload[0] === MSG.PING)
    assert.ok(pings.length >= 1, 'server sent CongSocket PING (01 01 cd) before closing')
    for (const io of live) await roundTrip(io)
    assert.deepEqual(dropped, [false, false], 'ws and cong clients that answer pings were not closed')
  },
}

const reconnect = {
  name: 'auto-reconnect: ws and cong clients are READY again after a server restart',
  timeout: 25000,
  async run(t) {
    const server = await t.startServer()
    const [ws, cong] = [await t.client('ws', { server }), await t.client('cong', { server })]
    const closed = [ws, cong].map((io) => waitEvent(io, 'close', 3000, `${io.kind} client sees the close`))
    await server.stop()
    await Promise.all(closed)
    const readyAgain = [ws, cong].map((io) => waitReady(io, 15000).then(() => Date.now()))
    await server.start()
    const listening = Date.now()
    const times = (await Promise.all(readyAgain)).map((at) => at - listening)
    t.note(`READY again ${times.join(' ms / ')} ms after the server listened (ws / cong)`)
    for (const ms of times) assert.ok(ms <= 8000, `READY within 8 s (took ${ms} ms)`)
    for (const io of [ws, cong]) assert.match(io.cid, CID_RE)
    const toCong = await subscribe(cong, 'rc-ch')
    const toWs = await subscribe(ws, 'rc-ch')
    ws.signal('rc-ch', 'from ws')
    cong.signal('rc-ch', 'from cong')
    assert.deepEqual((await toCong.next()).values, ['from ws'])
    assert.deepEqual((await toWs.next()).values, ['from cong'])
  },
}

const fanOut = {
  name: 'fan-out: 20 ws subscribers each get all 50 messages in order',
  async run(t) {
    const subs = await Promise.all(Array.from({ length: 20 }, () => t.client('ws')))
    const inboxes = await Promise.all(subs.map((io) => subscribe(io, 'fan')))
    const pub = await t.client('ws')
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`)
    for (const m of sent) pub.signal('fan', m)
    const received = await Promise.all(inboxes.map((inbox) => inbox.take(sent.length, 5000)))
    received.forEach((items, i) => assert.deepEqual(items.map((it) => it.values[0]), sent, `subscriber ${i}`))
  },
}

export const cases = [
  handshake('ws'),
  handshake('cong'),
  payloadsBetween('ws', 'ws'),
  payloadsBetween('cong', 'cong'),
  payloadsBetween('ws', 'cong'),
  payloadsBetween('cong', 'ws'),
  homeChannel,
  cidPublish,
  unicast,
  unicastSelf,
  unicastUnknown,
  dollarTagDropped,
  subscribePromise,
  unsubscribeOne,
  unsubscribeAll,
  retainedGlobal,
  retainedCid,
  stateOnClose('ws'),
  stateOnClose('cong'),
  reqReply,
  reqUnknownTarget,
  reqUnknownTopic,
  iam,
  echoWebSocket,
  closeMessage,
  rawCongExchange('ECHO over a raw CongSocket: 01 03 cc 68 69 comes back', '01 03 cc 68 69', '01 03 cc 68 69'),
  rawCongExchange('PING over a raw CongSocket: 01 01 cd → 01 01 ce', '01 01 cd', '01 01 ce'),
  keepalive,
  reconnect,
  fanOut,
]

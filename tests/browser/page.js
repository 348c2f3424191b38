// The test page's application: the npm iosignal@2.2.1 browser client
// (window.IO from dist/io.min.js) against iosd, and a WebRTC peer whose
// offer, answer and ICE candidates go through iosd only (the sigver use
// case: CID unicast `cid@sdp`, `cid@ice`; the peer's departure from a
// subscription to `cid@state`). Everything it receives is written into the
// DOM (#log items carry data-* attributes), where tests/browser/run.mjs
// reads it. window.app is what the test calls through page.evaluate.
'use strict'
/* global IO, RTCPeerConnection */

const $ = id => document.getElementById(id)
const show = (id, text) => { $(id).textContent = String(text) }
const params = new URLSearchParams(location.search)
const name = params.get('name') || 'page'
show('name', name)
document.title = 'iosd: ' + name

// Binary payloads cross page.evaluate as {bin: [bytes]}.
function plain (v) {
  if (v instanceof Uint8Array) return { bin: Array.from(v) }
  if (v instanceof ArrayBuffer) return { bin: Array.from(new Uint8Array(v)) }
  if (Array.isArray(v)) return v.map(plain)
  return v
}
function unplain (v) {
  if (v && typeof v === 'object' && Array.isArray(v.bin)) return new Uint8Array(v.bin)
  return v
}

let seq = 0
// One line of the log: kind is the class (rx, dc, state, pc, err, info);
// data becomes data-* attributes (strings as they are, the rest as JSON).
function log (kind, text, data = {}) {
  const li = document.createElement('li')
  li.className = kind
  li.dataset.kind = kind
  li.dataset.seq = String(++seq)
  for (const [k, v] of Object.entries(data)) li.dataset[k] = typeof v === 'string' ? v : JSON.stringify(v)
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`
  $('log').append(li)
}

window.addEventListener('error', e => log('err', 'page error: ' + e.message, { event: 'pageerror' }))
window.addEventListener('unhandledrejection', e => log('err', 'unhandled rejection: ' + (e.reason && e.reason.message ? e.reason.message : JSON.stringify(e.reason)), { event: 'rejection' }))

show('bundle', typeof IO === 'function' ? `iosignal ${IO.version} (dist/io.min.js, window.IO)` : 'IO missing')

const app = window.app = {
  io: null,
  name,

  // Connects to url, logging in first when id is given (the client's
  // auth(): AUTH_REQ right after SERVER_READY). Resolves with the first
  // 'ready' (the CID is known) or 'auth_fail'.
  connect ({ url, id, key }) {
    show('url', url)
    const io = app.io = new IO()
    io.on('change', s => show('state', s))
    io.on('ready', () => app.showIdentity())
    io.on('auth_fail', m => log('err', `auth_fail: ${m}`, { event: 'auth_fail' }))
    io.on('error', () => log('err', 'WebSocket error', { event: 'wserror' }))
    if (id) io.auth(id, key)
    const p = app.next()
    io.open(url)
    return p
  },

  // The client's manual login() on an open connection: the CID changes.
  login (id, key) {
    const p = app.next()
    app.io.login(id, key)
    return p
  },

  // The next 'ready', 'auth_fail' or WebSocket 'error' of the client.
  next () {
    const io = app.io
    return new Promise(resolve => {
      const events = ['ready', 'auth_fail', 'error']
      const handlers = events.map(event => () => {
        events.forEach((e, i) => io.off(e, handlers[i]))
        resolve({ event, ...app.identity() })
      })
      events.forEach((e, i) => io.on(e, handlers[i]))
    })
  },

  identity () {
    const io = app.io
    return { cid: io.cid, level: io.level, state: io.stateName, security: io.getSecurity() }
  },

  showIdentity () {
    const { cid, level, security } = app.identity()
    show('cid', cid)
    show('level', level)
    show('security', `${security.isTLS ? 'TLS' : 'no TLS'}, ${security.isAuthorized ? 'logged in' : 'anonymous'}, ` +
      `${security.usingEncryption ? 'ENC_488' : 'plain'} signals`)
    log('info', `ready: CID ${cid}, level ${level}`, { event: 'ready', cid })
  },

  // Records every signal on tag in the log. A tag with a CID before its @
  // (cid@topic) or a plain channel is subscribed (SUBSCRIBE_REQ, whose
  // answer is awaited); '@topic' (unicast to this page) needs none.
  async listen (tag) {
    let status = null
    if (tag[0] !== '@') status = (await app.io.subscribe_promise(tag)).status
    app.io.on(tag, (...args) => {
      const got = args.pop()
      const payload = plain(args)
      log('rx', `${got} <- ${JSON.stringify(payload)}`, { listen: tag, tag: got, args: payload })
    })
    return status
  },

  send (tag, ...args) {
    app.io.signal(tag, ...args.map(unplain))
  },

  // The received signals in the DOM, as the test reads them.
  received (listen) {
    return [...document.querySelectorAll('#log li.rx')]
      .filter(li => !listen || li.dataset.listen === listen)
      .map(li => ({ tag: li.dataset.tag, args: JSON.parse(li.dataset.args) }))
  }
}

// ---- sigver: WebRTC signalling over iosd ----
const sig = app.sig = { pc: null, dc: null, peer: null, pending: [], sent: 0, skipped: 0, got: 0, remote: [], messages: [], resent: 0 }

function showIce () {
  show('ice', `${sig.sent} sent through iosd (127.0.0.1 udp), ${sig.skipped} other kept back, ${sig.got} received`)
}

// Only loopback UDP host candidates are offered to the peer, so the data
// channel runs over 127.0.0.1 whatever interfaces the machine has.
function loopbackUdp (c) {
  const f = c.candidate.split(' ')
  return f[2] && f[2].toLowerCase() === 'udp' && f[4] === '127.0.0.1'
}

function newPeerConnection () {
  const pc = new RTCPeerConnection({ iceServers: [] })
  pc.onicecandidate = e => {
    if (!e.candidate || !e.candidate.candidate) return
    if (!loopbackUdp(e.candidate)) { sig.skipped++; showIce(); return }
    app.io.signal(sig.peer + '@ice', { from: app.io.cid, candidate: e.candidate.toJSON() })
    sig.sent++
    showIce()
  }
  pc.onconnectionstatechange = () => {
    show('pc', pc.connectionState)
    log('pc', `peer connection ${pc.connectionState}`, { pc: pc.connectionState })
  }
  return pc
}

function wireChannel (dc) {
  sig.dc = dc
  show('dc', dc.readyState)
  dc.onopen = () => {
    show('dc', 'open')
    log('dc', `data channel "${dc.label}" open`, { dc: 'open' })
    const hello = `hello from ${name} (${app.io.cid})`
    dc.send(hello)
    // Chromium's data channel has now and then (2 runs in 25, in a
    // network namespace) carried the hellos and not the echoes: the hello
    // goes again each second until its echo is back, so that the test
    // measures the signalling through iosd, not that.
    let tries = 0
    const again = setInterval(() => {
      if (sig.messages.some(m => m.startsWith('echo to ')) || ++tries > 10 || dc.readyState !== 'open') {
        clearInterval(again)
        return
      }
      sig.resent++
      dc.send(hello)
    }, 1000)
  }
  dc.onmessage = e => {
    sig.messages.push(e.data)
    log('dc', `data channel <- ${e.data}`, { dcmsg: e.data })
    if (e.data.startsWith('hello from ')) dc.send(`echo to ${name}: ${e.data}`)
  }
  dc.onclose = () => { show('dc', 'closed') }
}

async function flushPending () {
  const list = sig.pending.splice(0)
  for (const c of list) await sig.pc.addIceCandidate(c)
}

async function onSdp (msg) {
  log('info', `${msg.type} from ${msg.from} through iosd (${msg.sdp.length} bytes of SDP)`, { event: msg.type, from: msg.from })
  if (msg.type === 'offer') {
    if (sig.pc) return
    sig.peer = msg.from
    show('peer', sig.peer)
    // Learn when the caller leaves: iosd publishes 'close' on its @state.
    await app.listen(sig.peer + '@state')
    app.io.on(sig.peer + '@state', v => {
      if (v !== 'close') return
      show('peer', `${sig.peer} left`)
      log('state', `${sig.peer}@state: ${v} (the caller left)`, { event: 'peer-left', peer: sig.peer, value: v })
    })
    const pc = sig.pc = newPeerConnection()
    pc.ondatachannel = e => wireChannel(e.channel)
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp })
    await flushPending()
    const answer = await pc.createAnswer()
    // The answer goes out before setLocalDescription starts gathering, so
    // that it carries no candidate: they all follow through @ice.
    app.io.signal(sig.peer + '@sdp', { from: app.io.cid, type: 'answer', sdp: answer.sdp })
    await pc.setLocalDescription(answer)
  } else if (msg.type === 'answer' && sig.pc && !sig.pc.remoteDescription) {
    await sig.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp })
    await flushPending()
  }
}

async function onIce (msg) {
  if (msg.from !== sig.peer && sig.peer) return
  sig.got++
  const f = msg.candidate.candidate.split(' ')
  sig.remote.push(`${f[4]} ${f[2]}`)
  showIce()
  if (sig.pc && sig.pc.remoteDescription) await sig.pc.addIceCandidate(msg.candidate)
  else sig.pending.push(msg.candidate)
}

async function call (peer) {
  sig.peer = peer
  show('peer', peer)
  const pc = sig.pc = newPeerConnection()
  wireChannel(pc.createDataChannel('sigver'))
  const offer = await pc.createOffer()
  app.io.signal(peer + '@sdp', { from: app.io.cid, type: 'offer', sdp: offer.sdp })
  await pc.setLocalDescription(offer)
}

const guard = f => (...a) => f(...a).catch(e => log('err', `sigver: ${e && e.message ? e.message : e}`, { event: 'sigver-error' }))

// role 'caller': waits on the room channel for a peer's join, then calls
// it; role 'callee': announces itself on the room and answers the offer.
app.sigver = async (role, room) => {
  app.io.on('@sdp', guard(onSdp))
  app.io.on('@ice', guard(onIce))
  if (role === 'caller') {
    await app.listen(room)
    app.io.on(room, guard(async msg => {
      if (msg && msg.join && !sig.pc) await call(msg.join)
    }))
  } else {
    app.io.signal(room, { join: app.io.cid })
  }
  log('info', `sigver ${role} in room ${room}`)
}

// The candidate pair the ICE agent selected, from getStats().
app.selectedPair = async () => {
  const stats = await sig.pc.getStats()
  let pair = null
  stats.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId) })
  if (!pair) stats.forEach(r => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r })
  if (!pair) return null
  const end = id => { const c = stats.get(id); return { address: c.address || c.ip, port: c.port, protocol: c.protocol, type: c.candidateType } }
  const res = { local: end(pair.localCandidateId), remote: end(pair.remoteCandidateId) }
  const addr = c => `${c.address || `(${c.type}, address hidden)`}:${c.port}`
  show('pair', `${addr(res.local)} <-> ${addr(res.remote)} (${res.local.protocol})`)
  return res
}

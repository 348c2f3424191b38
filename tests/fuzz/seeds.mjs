#!/usr/bin/env node
/*
 * seeds.mjs - write the libFuzzer seed corpora from the known-answer
 * fixtures (tests/fixtures/*.json, written by tests/fixtures/gen.mjs).
 *
 *   node tests/fuzz/seeds.mjs FIXTURE_DIR OUT_DIR
 *
 * Writes raw bytes as OUT_DIR/{cong,iosmsg,mbp,boho}/NNNN.bin:
 *   cong    CongSocket frames: every header, encoded frame and stream
 *           (the chunks of a stream concatenated)
 *   iosmsg  every signal and message, and both sides of every tag rewrite
 *   mbp     every pack, and the REQUEST and RESPONSE_MBP messages
 *   boho    AUTH_NONCE, AUTH_HMAC, AUTH_ACK, ENC_488, ENC_E2E and ENC_PACK
 *           packets
 * Earlier NNNN.bin files in those folders are removed first; identical
 * inputs are written once. Only node's standard library is used.
 */
import fs from 'node:fs'
import path from 'node:path'

const [fixDir, outDir] = process.argv.slice(2)
if (!fixDir || !outDir || process.argv.length !== 4) {
	process.stderr.write('usage: node tests/fuzz/seeds.mjs FIXTURE_DIR OUT_DIR\n')
	process.exit(2)
}
const load = (name) => JSON.parse(fs.readFileSync(path.join(fixDir, name), 'utf8'))
const iosmsg = load('iosmsg.json')
const cong = load('cong.json')
const mbp = load('mbp.json')
const boho = load('boho.json')

const corpora = { cong: [], iosmsg: [], mbp: [], boho: [] }
const add = (target, hexStr) => corpora[target].push(hexStr)

/* cong */
for (const h of cong.headers) add('cong', h.header_hex)
for (const e of cong.encoded) add('cong', e.frame_hex)
for (const s of cong.streams) add('cong', s.chunks_hex.join(''))

/* iosmsg */
for (const s of iosmsg.signals) add('iosmsg', s.hex)
for (const m of iosmsg.messages) add('iosmsg', m.hex)
for (const r of iosmsg.rewrites) {
	add('iosmsg', r.in_hex)
	add('iosmsg', r.out_hex)
}

/* mbp */
for (const p of mbp.packs) add('mbp', p.hex)
for (const m of iosmsg.messages)
	if (m.kind === 'request' || m.kind === 'response') add('mbp', m.hex)

/* boho */
const auths = [boho.kat, ...boho.auth]
for (const a of auths) {
	add('boho', a.auth_nonce_hex)
	add('boho', a.auth_hmac_hex)
	add('boho', a.auth_ack_hex)
}
for (const k of ['s2c_packet_hex', 'c2s_packet_hex', 'encpack_packet_hex'])
	if (boho.kat[k]) add('boho', boho.kat[k])
for (const list of [boho.enc488, boho.e2e, boho.encpack])
	for (const v of list) add('boho', v.packet_hex)

let total = 0
for (const [target, list] of Object.entries(corpora)) {
	const dir = path.join(outDir, target)
	fs.mkdirSync(dir, { recursive: true })
	for (const f of fs.readdirSync(dir))
		if (/^\d{4,}\.bin$/.test(f)) fs.unlinkSync(path.join(dir, f))
	const seen = new Set()
	let n = 0
	for (const h of list) {
		if (!/^([0-9a-f]{2})*$/.test(h)) {
			process.stderr.write(`seeds.mjs: bad hex in ${target} fixtures\n`)
			process.exit(1)
		}
		if (seen.has(h)) continue
		seen.add(h)
		fs.writeFileSync(path.join(dir, String(n++).padStart(4, '0') + '.bin'),
		    Buffer.from(h, 'hex'))
	}
	total += n
	process.stdout.write(`${target}: ${n} seeds\n`)
}
process.stdout.write(`seeds.mjs: ${total} seeds in ${outDir}\n`)

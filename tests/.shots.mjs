import { IO, IOCongSocket } from 'iosignal'
console.log = () => {}
const [port, cport, key] = process.argv.slice(2)
const a = new IO('ws://127.0.0.1:' + port); a.auth('uno3', key)
const b = new IOCongSocket('cong://127.0.0.1:' + cport)
const c = new IO('ws://127.0.0.1:' + port)
for (const x of [a, b, c]) x.on('ready', async () => { await x.subscribe_promise('room'); await x.subscribe_promise('sensors') })
let i = 0
setInterval(() => { a.signal('room', 'temp=' + (20 + i % 5)); b.signal('sensors', 'lux=' + (i++ * 7 % 300)) }, 250)
setTimeout(() => process.exit(0), 40000)

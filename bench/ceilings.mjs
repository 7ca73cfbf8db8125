// The ceiling of each piece of W2's data path, in isolation, on this machine. Not a test.
// `flock /tmp/shoal-bench.lock node bench/ceilings.mjs [MiB]` (default 1024). Sender and receiver
// run in separate processes (one core each on a 2-core host), as two daemons would.
//   sha     sha256 of N MiB in memory
//   write   N MiB written to a file (1 MiB writes) and fsynced
//   udx     secret stream over udx between two hyperswarm peers on loopback: one Protomux channel,
//           N × 1 MiB messages, sender waits for drain
//   tcp     the same Protomux channel over a Noise secret stream on a loopback TCP socket
//   core    hypercore (encrypted, 1 MiB blocks): append N MiB, then replicate to a peer over udx
//   live    the same, but the peer downloads while the writer appends (publish early)
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Hyperswarm from 'hyperswarm'
import HyperDHT from 'hyperdht'
import Protomux from 'protomux'
import c from 'compact-encoding'
import SecretStream from '@hyperswarm/secret-stream'
import Corestore from 'corestore'

const MIB = Number(process.argv[2] ?? 1024)
const CHUNK = 1 << 20
const TOPIC = Buffer.alloc(32, 7)
const ENC = Buffer.alloc(32, 9)
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const report = (name, t0, c0, extra = '') =>
  console.log(`${name.padEnd(6)} ${((performance.now() - t0) / 1000).toFixed(2)} s  ${(MIB / ((performance.now() - t0) / 1000)).toFixed(0)} MiB/s  cpu ${(cpu() - c0).toFixed(1)} s ${extra}`)

function sha () {
  const buf = randomBytes(CHUNK)
  const t0 = performance.now(); const c0 = cpu()
  const h = createHash('sha256')
  for (let i = 0; i < MIB; i++) h.update(buf)
  h.digest()
  report('sha', t0, c0)
}

function write () {
  const dir = mkdtempSync(path.join(tmpdir(), 'ceil-'))
  const buf = randomBytes(CHUNK)
  const t0 = performance.now(); const c0 = cpu()
  const fd = openSync(path.join(dir, 'f'), 'w')
  for (let i = 0; i < MIB; i++) writeSync(fd, buf)
  fsyncSync(fd); closeSync(fd)
  report('write', t0, c0)
  rmSync(dir, { recursive: true, force: true })
}

/** Pushes MIB × 1 MiB over a Protomux channel on `stream`, honouring backpressure. */
async function push (stream) {
  const mux = Protomux.from(stream)
  let drain = null
  const ch = mux.createChannel({ protocol: 'ceil', ondrain: () => { drain?.(); drain = null } })
  const msg = ch.addMessage({ encoding: c.raw })
  const done = new Promise((resolve) => { ch.addMessage({ encoding: c.uint, onmessage: resolve }) })
  ch.open()
  const buf = randomBytes(CHUNK)
  const t0 = performance.now(); const c0 = cpu()
  for (let i = 0; i < MIB; i++) {
    if (!msg.send(buf)) await new Promise((resolve) => { drain = resolve })
  }
  await done
  report(process.argv[3] === 'tcp' ? 'tcp' : 'udx', t0, c0, '(sender cpu)')
}

async function swarmPair () {
  const port = 40000 + Math.floor(Math.random() * 20000)
  const boot = HyperDHT.bootstrapper(port, '127.0.0.1', { ephemeral: false, firewalled: false })
  await boot.ready()
  const dht = new HyperDHT({ bootstrap: [`127.0.0.1:${port}`], firewalled: false, host: '127.0.0.1' })
  const swarm = new Hyperswarm({ dht })
  return { port, boot, swarm }
}

function widen (conn) {
  const s = conn.rawStream?.socket
  if (s) { s.setRecvBufferSize(4 << 20); s.setSendBufferSize(4 << 20) }
}

async function child (mode, port) {
  const dht = new HyperDHT({ bootstrap: [`127.0.0.1:${port}`], firewalled: false, host: '127.0.0.1' })
  if (mode === 'tcp') {
    const sock = net.connect(port, '127.0.0.1')
    const s = new SecretStream(true, sock)
    await new Promise((resolve) => pullRaw(s, resolve))
    s.destroy(); process.exit(0)
  }
  const swarm = new Hyperswarm({ dht })
  const dir = mkdtempSync(path.join(tmpdir(), 'ceil-b-'))
  const store = new Corestore(dir)
  swarm.on('connection', async (conn) => {
    conn.on('error', () => {})
    widen(conn)
    if (mode === 'udx') { pullRaw(conn, async () => { await swarm.destroy(); process.exit(0) }); return }
    store.replicate(conn)
  })
  if (mode === 'core' || mode === 'live') {
    process.once('message', async (key) => {
      const core = store.get({ key: Buffer.from(key, 'hex'), encryptionKey: ENC })
      await core.ready()
      let c0 = null
      const t0 = performance.now()
      core.download({ start: 0, end: -1 })
      const watch = setInterval(() => {
        if (c0 === null && core.contiguousLength > 0) c0 = cpu()
        if (core.contiguousLength >= MIB && core.length >= MIB) {
          clearInterval(watch)
          process.send(`${((performance.now() - t0) / 1000).toFixed(2)} ${(cpu() - (c0 ?? 0)).toFixed(1)}`)
        }
      }, 20)
    })
  }
  swarm.join(TOPIC, { server: false, client: true })
}

function pullRaw (stream, done) {
  const mux = Protomux.from(stream)
  let n = 0
  let c0 = 0
  const ch = mux.createChannel({ protocol: 'ceil' })
  const data = ch.addMessage({ encoding: c.raw, onmessage: (b) => {
    if (n === 0) c0 = cpu()
    n += b.length
    if (n >= MIB * CHUNK) { ack.send(1); console.log(`       receiver cpu ${(cpu() - c0).toFixed(1)} s`); setTimeout(done, 200) }
  } })
  const ack = ch.addMessage({ encoding: c.uint })
  void data
  ch.open()
}

async function parent (mode) {
  if (mode === 'sha') return sha()
  if (mode === 'write') return write()
  if (mode === 'tcp') {
    const port = 40000 + Math.floor(Math.random() * 20000)
    const server = net.createServer((sock) => { const s = new SecretStream(false, sock); push(s).then(() => { setTimeout(() => process.exit(0), 300) }) })
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
    spawn(process.execPath, [process.argv[1], String(MIB), 'child', 'tcp', String(port)], { stdio: ['ignore', 'inherit', 'inherit'] })
    return
  }
  const { port, swarm } = await swarmPair()
  const kid = spawn(process.execPath, [process.argv[1], String(MIB), 'child', mode, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  if (mode === 'udx') {
    swarm.on('connection', (conn) => { conn.on('error', () => {}); widen(conn); push(conn).then(() => { setTimeout(() => process.exit(0), 300) }) })
    swarm.join(TOPIC, { server: true, client: false })
    return
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ceil-a-'))
  const store = new Corestore(dir)
  const core = store.get({ name: 'blobs', encryptionKey: ENC })
  await core.ready()
  swarm.on('connection', (conn) => { conn.on('error', () => {}); widen(conn); store.replicate(conn) })
  const joined = swarm.join(TOPIC, { server: true, client: false })
  await joined.flushed()
  const buf = randomBytes(CHUNK)
  const got = new Promise((resolve) => kid.once('message', resolve))
  if (mode === 'live') {
    await new Promise((resolve) => swarm.once('connection', resolve))
    kid.send(core.key.toString('hex'))
  }
  const t0 = performance.now(); const c0 = cpu()
  for (let i = 0; i < MIB; i++) { buf[0] = i & 255; await core.append(buf) }
  report('append', t0, c0, '(writer cpu)')
  const t1 = performance.now(); const c1 = cpu()
  if (mode === 'core') kid.send(core.key.toString('hex'))
  const [secs, rcpu] = String(await got).split(' ')
  const total = (performance.now() - t0) / 1000
  console.log(`${mode.padEnd(6)} replicate ${((performance.now() - t1) / 1000).toFixed(2)} s after append, receiver ${secs} s from asking, total ${total.toFixed(2)} s, writer cpu ${(cpu() - c1).toFixed(1)} s after append, receiver cpu ${rcpu} s`)
  kid.kill()
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}

if (process.argv[3] === 'child') await child(process.argv[4], Number(process.argv[5]))
else await parent(process.argv[3] ?? 'sha')

// A bounded flood of malformed and valid NFS requests from several clients at once against a real
// daemon process, with its RSS sampled from /proc. Shared by the short and the long test.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { recordMark } from '../../src/nfs/rpc/record.js'
import { XdrWriter } from '../../src/nfs/xdr/writer.js'
import { RawClient, op } from './nfs-client.js'
import { startDaemon, type TestDaemon } from './daemon.js'
import { tmpDir } from './teardown.js'

export async function freeTcpPort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** A daemon with NFS on a free loopback port and a namespace `data` holding `hello.txt`. */
export async function floodTarget (teardown: (fn: () => unknown) => void): Promise<{ d: TestDaemon, port: number }> {
  const port = await freeTcpPort()
  const d = await startDaemon({ dataPath: await tmpDir(teardown), env: { SHOAL_NFS_PORT: String(port) } })
  teardown(async () => { await d.stop('SIGKILL') })
  const add = await d.ctl('add', 'data')
  if (add.code !== 0) throw new Error(add.stderr)
  await writeFile(`${d.dataPath}/data/hello.txt`, 'hello')
  return { d, port }
}

export function describeFlood (r: FloodResult, slow: number): string {
  const MiB = 1 << 20
  return `${r.malformedSent} malformed records over ${r.attackerConnections} connections + ${slow} stalled 1 MiB records; ` +
    `valid: ${r.validOk} ok, ${r.validFailed} failed, p50 ${r.validP50Ms} ms, p99 ${r.validP99Ms} ms, max ${r.validMaxMs} ms; ` +
    `RSS ${(r.rssBefore / MiB).toFixed(0)} → peak ${(r.rssPeak / MiB).toFixed(0)} → ${(r.rssAfter / MiB).toFixed(0)} MiB`
}

export async function rssOf (pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+) kB/.exec(s)
  return m === null ? 0 : Number(m[1]) * 1024
}

export interface FloodOptions {
  port: number
  pid: number
  /** Namespace and a file in it the valid clients look up. */
  ns: string
  file: string
  attackers: number
  validClients: number
  /** Connections that announce a near-maximal record and never finish it (slowloris). */
  slow: number
  durationMs: number
  /** Records per attacker, at most. */
  maxRecords: number
}

export interface FloodResult {
  malformedSent: number
  attackerConnections: number
  validOk: number
  validFailed: number
  validP50Ms: number
  validP99Ms: number
  validMaxMs: number
  rssBefore: number
  rssPeak: number
  rssAfter: number
}

function header (xid: number, body: XdrWriter, proc = 1): Buffer {
  const w = new XdrWriter()
  w.u32(xid).u32(0).u32(2).u32(100003).u32(4).u32(proc)
  w.u32(1).opaque(new XdrWriter().u32(0).string('flood').u32(0).u32(0).u32(0).toBuffer()).u32(0).u32(0)
  return w.append(body).toBuffer()
}

function malformed (i: number): Buffer {
  const kind = i % 6
  if (kind === 0) return Buffer.concat([recordMark(200), randomBytes(200)]) // garbage
  if (kind === 1) return randomBytes(64) // not even a record mark
  if (kind === 2) { // a valid header, a compound of nonsense op numbers and lengths
    const body = new XdrWriter().string('x').u32(0).u32(1000)
    for (let k = 0; k < 50; k++) body.u32(k % 3 === 0 ? 0xffffffff : 70 + k)
    const rec = header(i, body)
    return Buffer.concat([recordMark(rec.length), rec])
  }
  if (kind === 3) { // a valid compound, truncated
    const body = new XdrWriter().string('t').u32(0).u32(3)
    op.putrootfh(body); op.lookup(body, 'data'); op.getattr(body, [0xffffffff, 0xffffffff])
    const rec = header(i, body)
    return Buffer.concat([recordMark(rec.length), rec.subarray(0, rec.length - 7)])
  }
  if (kind === 4) { // another program and version
    const w = new XdrWriter().u32(i).u32(0).u32(2).u32(100099).u32(9).u32(3).u32(0).opaque(Buffer.alloc(0)).u32(0).u32(0)
    const rec = w.toBuffer()
    return Buffer.concat([recordMark(rec.length), rec])
  }
  return Buffer.concat([recordMark(0x7fffffff), randomBytes(100)]) // announces 2 GiB
}

export async function flood (o: FloodOptions): Promise<FloodResult> {
  const rssBefore = await rssOf(o.pid)
  let rssPeak = rssBefore
  const sampler = setInterval(() => { void rssOf(o.pid).then((r) => { rssPeak = Math.max(rssPeak, r) }, () => {}) }, 100)
  const deadline = Date.now() + o.durationMs
  const latencies: number[] = []
  let validOk = 0
  let validFailed = 0
  let malformedSent = 0
  let attackerConnections = 0
  const slowSockets: Socket[] = []

  const valid = async (): Promise<void> => {
    const c = await RawClient.connect(o.port)
    try {
      while (Date.now() < deadline) {
        const t0 = performance.now()
        try {
          const r = await c.compound(0, (w) => { op.putrootfh(w); op.lookup(w, o.ns); op.lookup(w, o.file); op.getattr(w, [0x00000018, 0]) }, 4)
          if (r.status === 0) validOk++; else validFailed++
        } catch { validFailed++ }
        latencies.push(performance.now() - t0)
      }
    } finally { c.close() }
  }

  const attacker = async (): Promise<void> => {
    let sent = 0
    while (Date.now() < deadline && sent < o.maxRecords) {
      const sock = connect({ port: o.port, host: '127.0.0.1' })
      attackerConnections++
      let closed = false
      sock.on('error', () => {})
      sock.on('close', () => { closed = true })
      sock.on('data', () => {})
      await new Promise<void>((resolve) => { sock.once('connect', resolve); sock.once('close', resolve) })
      for (let i = 0; i < 40 && !closed && sent < o.maxRecords; i++) {
        sock.write(malformed(sent + i * 7))
        sent++
        malformedSent++
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
      sock.destroy()
    }
  }

  const slowloris = async (): Promise<void> => {
    const sock = connect({ port: o.port, host: '127.0.0.1' })
    sock.on('error', () => {})
    slowSockets.push(sock)
    await new Promise<void>((resolve) => { sock.once('connect', resolve); sock.once('close', resolve) })
    // Announces a 1 MiB record and sends all but its last bytes, then waits.
    sock.write(recordMark(1 << 20))
    sock.write(randomBytes((1 << 20) - 16))
  }

  await Promise.all([
    ...Array.from({ length: o.slow }, slowloris),
    ...Array.from({ length: o.attackers }, attacker),
    ...Array.from({ length: o.validClients }, valid)
  ])
  for (const s of slowSockets) s.destroy()
  clearInterval(sampler)
  const rssAfter = await rssOf(o.pid)
  latencies.sort((a, b) => a - b)
  const q = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0)
  return { malformedSent, attackerConnections, validOk, validFailed, validP50Ms: q(0.5), validP99Ms: q(0.99), validMaxMs: q(1), rssBefore, rssPeak, rssAfter }
}

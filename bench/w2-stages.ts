// W2 alone, with the daemons' stage logs: where the time goes for one large file. Not a test.
// BENCH_W2_MIB sizes the file (default 1024); DAEMON_NODE_FLAGS adds node flags to both daemons
// (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). Prints the write end, when B's copy is complete,
// each daemon's CPU seconds by thread, and the daemons' upload/apply timings from the write on.
// Run it under the bench lock: `flock /tmp/shoal-bench.lock node dist/bench/w2-stages.js`.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startDaemon } from '../test/helpers/daemon.js'
import { freeUdpPort } from '../test/helpers/ports.js'
import { cpu, perfRecord, threads, threadTimes } from './proc-cpu.js'
import { until } from './sync-peers.js'

async function sha (file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer)
  return h.digest('hex')
}

async function main (): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'shoal-w2-'))
  const port = await freeUdpPort()
  const env = { SHOAL_BOOTSTRAP: `127.0.0.1:${port}`, DEBUG: process.env.DEBUG ?? 'shoal:ns:*' }
  const flags = process.env.DAEMON_NODE_FLAGS
  const prefix = flags === undefined ? undefined : ['/bin/sh', '-c', `n=$1; shift; exec "$n" ${flags} "$@"`, 'sh']
  const a = await startDaemon({ dataPath: path.join(root, 'a'), env: { ...env, SHOAL_DHT_PORT: String(port) }, prefix })
  const b = await startDaemon({ dataPath: path.join(root, 'b'), env, prefix })
  try {
    const secret = (await a.ctl('add', 'bench')).stdout.trim()
    await b.ctl('add', `--secret=${secret}`, 'bench')
    await until(async () => JSON.parse((await b.ctl('status', '--json', 'bench')).stdout).peers === 1)
    const mib = Number(process.env.BENCH_W2_MIB ?? 1024)
    const src = path.join(a.dataPath, 'bench', 'w2.bin')
    const dst = path.join(b.dataPath, 'bench', 'w2.bin')
    const c0 = [cpu(a.proc.pid), cpu(b.proc.pid)]
    const th0 = [threadTimes(a.proc.pid), threadTimes(b.proc.pid)]
    const tw = Date.now()
    const ws = createWriteStream(src)
    const chunk = randomBytes(1 << 20)
    for (let i = 0; i < mib; i++) { chunk[0] = i & 255; if (!ws.write(chunk)) await new Promise<void>((resolve) => { ws.once('drain', () => { resolve() }) }) }
    await new Promise<void>((resolve) => { ws.end(() => { resolve() }) })
    const t0 = Date.now()
    const m0 = process.hrtime.bigint() / 1000n // CLOCK_MONOTONIC µs: the clock of a CPU profile's timestamps
    // W2_PERF=FILE: `perf record` of both daemons from the write's end until B has the file.
    const stopPerf = perfRecord(process.env.W2_PERF, [a.proc.pid, b.proc.pid])
    console.log(`${new Date(t0).toISOString()} write end (${t0 - tw} ms to write)`)
    await until(async () => (await stat(dst)).size === mib << 20, 600_000, 20)
    const t1 = Date.now()
    await stopPerf()
    console.log(`window (monotonic µs, for a CPU profile): ${m0} ${process.hrtime.bigint() / 1000n}`)
    console.log(`cpu s: A ${(cpu(a.proc.pid) - (c0[0] ?? 0)).toFixed(1)} B ${(cpu(b.proc.pid) - (c0[1] ?? 0)).toFixed(1)}`)
    console.log(`threads A: ${threads(a.proc.pid, th0[0])}\nthreads B: ${threads(b.proc.pid, th0[1])}`)
    const same = (await sha(src)) === (await sha(dst))
    console.log(`${new Date(t1).toISOString()} B has it: ${((t1 - t0) / 1000).toFixed(2)} s, identical ${String(same)}`)
    // W2_THEN_SMALL=N: then N one-KiB changes on A, each timed until B has it (how long the large
    // file's after-work, A's upload and B's copy of the blob core, slows the next small change).
    const small = Number(process.env.W2_THEN_SMALL ?? 0)
    if (small > 0) {
      await rm(src)
      const f = path.join(a.dataPath, 'bench', 'w3.txt')
      const g = path.join(b.dataPath, 'bench', 'w3.txt')
      for (let i = 0; i < small; i++) {
        const body = randomBytes(512).toString('hex')
        const s0 = Date.now()
        await writeFile(f, body)
        await until(async () => (await readFile(g, 'utf8').catch(() => '')) === body, 60_000, 5)
        console.log(`small change ${i}: ${Date.now() - s0} ms (${((Date.now() - t1) / 1000).toFixed(1)} s after B had the large file)`)
      }
    }
    const since = new Date(tw).toISOString()
    for (const [n, d] of [['A', a], ['B', b]] as const) {
      for (const line of d.log.split('\n')) {
        const ts = line.slice(0, 24)
        if (ts >= since && /uploaded|applied|published|merged|served|direct/.test(line)) console.log(`${n} ${line}`)
      }
    }
    // W2_LOG_DIR: the daemons' whole logs (a.log, b.log), e.g. with DAEMON_NODE_FLAGS=--trace-gc.
    const logDir = process.env.W2_LOG_DIR
    if (logDir !== undefined) { await writeFile(path.join(logDir, 'a.log'), a.log); await writeFile(path.join(logDir, 'b.log'), b.log) }
  } finally {
    await a.stop(); await b.stop()
    await rm(root, { recursive: true, force: true })
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })

// W1 and W6 alone, with the daemons' logs: where the time goes for many small files. Not a test.
// DAEMON_NODE_FLAGS adds node flags to both daemons (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
// SMALL_FILES / SMALL_DIRS / SMALL_DELETE size the workloads (default 5000 / 50 / 1000, as bench:sync).
// Prints, per workload, the write's end, when B holds the expected set of paths and sizes (a cheap
// check: a readdir walk, no hashing), each daemon's CPU seconds by thread, and the daemons' log
// lines from the write on. Run it under the bench lock:
// `flock /tmp/shoal-bench.lock node dist/bench/small-stages.js`. STAGE_SIGNAL (e.g. SIGUSR2) is
// sent to both daemons before each write and after convergence (for a diagnostic preload).
// Starts with quiet-disk.ts (BENCH_SETTLE_S=N waits N s instead).
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js'
import { freeUdpPort } from '../test/helpers/ports.js'
import { cpu, perfRecord, threads } from './proc-cpu.js'
import { quietDisk } from './quiet-disk.js'
import { until } from './sync-peers.js'

/** Files below `dir` with size `size`, counted by a readdir walk. */
async function count (dir: string, size: number): Promise<number> {
  let n = 0
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.name.startsWith('.shoal.tmp.')) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) n += await count(p, size)
    else if ((await stat(p).catch(() => null))?.size === size) n++
  }
  return n
}

async function stage (name: string, a: TestDaemon, b: TestDaemon, write: () => Promise<void>, done: () => Promise<boolean>): Promise<void> {
  const signal = process.env.STAGE_SIGNAL
  const poke = (): void => { if (signal !== undefined) for (const d of [a, b]) d.proc.kill(signal as NodeJS.Signals) }
  poke()
  const c0 = [cpu(a.proc.pid), cpu(b.proc.pid)]
  // SMALL_PERF=PREFIX: `perf record` of both daemons from the write's start until B converged (PREFIX.W1, PREFIX.W6).
  const perfOut = process.env.SMALL_PERF
  const stopPerf = perfRecord(perfOut === undefined ? undefined : `${perfOut}.${name.split(' ')[0] ?? ''}`, [a.proc.pid, b.proc.pid])
  const tw = Date.now()
  await write()
  const t0 = Date.now()
  let at = 0
  await until(async () => { at = Date.now(); return await done() }, 600_000, 20)
  const c1 = [cpu(a.proc.pid), cpu(b.proc.pid)]
  await stopPerf()
  poke()
  console.log(`\n== ${name}: write ${t0 - tw} ms, then B converged after ${at - t0} ms; cpu s A ${((c1[0] ?? 0) - (c0[0] ?? 0)).toFixed(2)} B ${((c1[1] ?? 0) - (c0[1] ?? 0)).toFixed(2)}`)
  const since = new Date(tw).toISOString()
  for (const [n, d] of [['A', a], ['B', b]] as const) {
    for (const line of d.log.split('\n')) {
      if (line.slice(0, 24) >= since && /published|merged|sync done|syncing|merge round|scan \(/.test(line)) console.log(`${n} +${Date.parse(line.slice(0, 24)) - t0} ${line.slice(25)}`)
    }
  }
}

async function main (): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'shoal-small-'))
  const port = await freeUdpPort()
  const env = { SHOAL_BOOTSTRAP: `127.0.0.1:${port}`, DEBUG: process.env.DEBUG ?? '' }
  const flags = process.env.DAEMON_NODE_FLAGS
  const prefix = flags === undefined ? undefined : ['/bin/sh', '-c', `n=$1; shift; exec "$n" ${flags} "$@"`, 'sh']
  await quietDisk() // a previous run's cleanup must not slow this one's creates (quiet-disk.ts)
  const a = await startDaemon({ dataPath: path.join(root, 'a'), env: { ...env, SHOAL_DHT_PORT: String(port) }, prefix })
  const b = await startDaemon({ dataPath: path.join(root, 'b'), env, prefix })
  const files = Number(process.env.SMALL_FILES ?? 5000)
  const dirs = Number(process.env.SMALL_DIRS ?? 50)
  const del = Number(process.env.SMALL_DELETE ?? 1000)
  try {
    const secret = (await a.ctl('add', 'bench')).stdout.trim()
    await b.ctl('add', `--secret=${secret}`, 'bench')
    await until(async () => JSON.parse((await b.ctl('status', '--json', 'bench')).stdout).peers === 1)
    const fa = path.join(a.dataPath, 'bench')
    const fb = path.join(b.dataPath, 'bench')
    const small = randomBytes(4096)
    const per = Math.ceil(files / dirs)
    await stage(`W1 ${files} x 4 KiB in ${dirs} dirs`, a, b, async () => {
      for (let d = 0; d < dirs; d++) {
        await mkdir(path.join(fa, 'w1', `d${d}`), { recursive: true })
        await Promise.all(Array.from({ length: per }, async (_, f) => await writeFile(path.join(fa, 'w1', `d${d}`, `f${f}`), small)))
      }
    }, async () => await count(path.join(fb, 'w1'), 4096) === dirs * per)
    const gone = Math.ceil(del / per)
    await stage(`W6 delete ${gone * per} files`, a, b, async () => {
      for (let d = 0; d < gone; d++) await rm(path.join(fa, 'w1', `d${d}`), { recursive: true })
    }, async () => await count(path.join(fb, 'w1'), 4096) === (dirs - gone) * per)
    console.log(`\nthreads A: ${threads(a.proc.pid)}\nthreads B: ${threads(b.proc.pid)}`)
  } finally {
    await a.stop(); await b.stop()
    await rm(root, { recursive: true, force: true })
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })

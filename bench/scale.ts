/**
 * `npm run bench:scale`: one namespace of SCALE_FILES (default 100,000) small files, synced from one
 * daemon to another over a private loopback DHT. Measures:
 *   - the initial publish on the writer and the initial sync on the receiver (seconds, files/s),
 *   - `ctl status` latency during both (control API calls every 100 ms, plus the `ctl` CLI every 2 s),
 *   - memory growth of each daemon per file (goal: under 256 bytes of RSS per file). Each daemon runs
 *     with --expose-gc; a checkpoint forces a full GC in the daemon, waits GC_RELEASE_MS for what it
 *     freed to be given back, then reads its process.memoryUsage() (RSS, V8 heap used, external)
 *     and its anonymous resident memory (smaps). Growth = (after − before) / files, where
 *     "before" is taken just before the namespace is added to that daemon and "after" once the
 *     receiver has every file, `ctl wait` returned and both daemons' namespace reported 'idle' for
 *     SETTLE_MS in a row (not only SETTLE_MS of time: a 60 s rescan may be running then). The
 *     peak RSS (VmHWM) during the run is reported beside it, not counted as growth.
 *   - the index file's size and how long one rewrite of it takes.
 * Then a second run at SCALE_SLOPE_FILES (default 30% of the files) gives the growth per file
 *   apart from the fixed cost: the slope between the two (see slope()).
 * Saves bench/results/scale-<time>.json. The long test suite runs it with 10,000 files.
 * Diagnosis: SCALE_SMAPS_DIR (each checkpoint's /proc/PID/smaps), SCALE_HEAPTRACK (native
 * allocations by stack), SCALE_NODE_OPTIONS + SCALE_SNAPSHOT_MS (heap snapshots), SCALE_SETTLE_MS,
 * SCALE_MALLOC_ARENA_MAX and SCALE_GLIBC_TUNABLES (glibc settings, with SCALE_START=node), SCALE_START,
 * SCALE_STATS_CMD (a shell command run for the writer after its first reading, for both after the
 * last; {pid} is the daemon's), SCALE_LD_PRELOAD.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js'
import { freeUdpPort } from '../test/helpers/ports.js'
import { quietDisk } from './quiet-disk.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Idle time after the sync before the final checkpoint; SCALE_SETTLE_MS. It covers what a daemon
 * does once quiet (memory-trim.ts): index saves and the store's memtable flush and heap compaction
 * after 2 s, and its collections that let V8 shrink the young generation 8 and 16 s later (with
 * 5 s, the measurement caught the young generation before its shrink in two runs of three).
 */
const SETTLE_MS = Number(process.env.SCALE_SETTLE_MS ?? 20_000)
/**
 * SCALE_START: 'bin/shoal' (default: jemalloc where installed and the V8 settings the image and
 * `make run` use) or 'node' (node dist/src/main.js: the system malloc, V8's defaults), to compare.
 */
const START = process.env.SCALE_START === 'node' ? 'node' : 'bin/shoal'

function allocatorOf (d: TestDaemon): string {
  return /memory allocator: (jemalloc|the system malloc)/.exec(d.log)?.[1] ?? 'unknown'
}

/** After a forced GC, how long before memory is read (the release runs in the background). */
const GC_RELEASE_MS = 1000

export interface MemoryPoint {
  rss: number
  /** RSS read in the same request as the forced GC, before its memory was given back (for comparison). */
  rssAtGc: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /** V8's malloc'd memory outside its heap. */
  malloced: number
  anonRss: number
  spaces: Record<string, number>
  /** Bytes used per V8 heap space (spaces: committed). */
  spacesUsed: Record<string, number>
}

export interface DaemonMemory {
  before: MemoryPoint
  /** Right after its part (publish or sync), no GC forced. */
  done: MemoryPoint
  after: MemoryPoint
  peakRss: number
  bytesPerFile: number
  /** The same with the RSS read right at the forced GC (the measure before GC_RELEASE_MS). */
  rssAtGcBytesPerFile: number
  heapBytesPerFile: number
  externalBytesPerFile: number
}

export interface ScaleResult {
  files: number
  /** How the daemons were started: bin/shoal (as the image and `make run`) or plain node. */
  start: string
  /** What the writer's log says it runs on (jemalloc or the system malloc). */
  allocator: string
  writeFolderS: number
  publishS: number
  syncS: number
  syncFilesPerS: number
  statusApiMs: { p50: number, p99: number, max: number, samples: number }
  statusCliMs: { p50: number, max: number, samples: number }
  writer: DaemonMemory
  receiver: DaemonMemory
  indexBytes: number
}

async function peakRss (pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) * 1024
}

/** The daemon's memory; `gc`: after a forced full collection (refused if the daemon cannot). */
async function memory (d: TestDaemon, gc: boolean, label: string): Promise<MemoryPoint> {
  let m = await d.client.memory(gc)
  if (gc && !m.gc) throw new Error('the daemon did not run a GC: is it started with --expose-gc?')
  const rssAtGc = m.rss
  if (gc) {
    // What the collection frees is given back on V8's and the allocator's background threads over
    // the next moments (measured: up to 110 MB of RSS within 50 ms at 20,000 files): read again
    // once that is done, so that the figures are what the daemon holds, not what it is releasing.
    await sleep(GC_RELEASE_MS)
    m = await d.client.memory(false)
  }
  const dir = process.env.SCALE_SMAPS_DIR
  if (dir !== undefined) {
    // Diagnosis: the daemon's /proc/PID/smaps at each checkpoint (which mappings hold the RSS).
    const { readFile } = await import('node:fs/promises')
    await writeFile(join(dir, `${label}.smaps`), await readFile(`/proc/${d.proc.pid as number}/smaps`))
  }
  return { rss: m.rss, rssAtGc, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, malloced: m.malloced, anonRss: await anonResident(d.proc.pid as number), spaces: m.spaces, spacesUsed: m.spacesUsed }
}

/**
 * Resident bytes in anonymous mappings (and the brk heap): V8's heap plus everything native code
 * allocates (malloc arenas: the drive store's RocksDB, sodium, udx). Minus heapTotal and external,
 * roughly what native code holds. Diagnosis only.
 */
async function anonResident (pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8').catch(() => '')
  let total = 0
  let anon = false
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line)
    if (head !== null) {
      anon = head[1] === '0' && ((head[2] ?? '') === '' || head[2] === '[heap]')
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss !== null && anon) total += Number(rss[1]) * 1024
  }
  return total
}

function growth (before: MemoryPoint, done: MemoryPoint, after: MemoryPoint, peak: number, files: number): DaemonMemory {
  const per = (k: Exclude<keyof MemoryPoint, 'spaces' | 'spacesUsed'>): number => Math.round((after[k] - before[k]) / files)
  return { before, done, after, peakRss: peak, bytesPerFile: per('rss'), rssAtGcBytesPerFile: per('rssAtGc'), heapBytesPerFile: per('heapUsed'), externalBytesPerFile: per('external') }
}

/** Until every daemon's namespace has been 'idle' for `ms` in a row (false after `timeoutMs`). */
async function waitIdle (daemons: TestDaemon[], ms: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  let since = Date.now()
  while (Date.now() < deadline) {
    if (!(await allIdle(daemons))) since = Date.now()
    else if (Date.now() - since >= ms) return true
    await sleep(100)
  }
  return false
}

async function allIdle (daemons: TestDaemon[]): Promise<boolean> {
  const states = await Promise.all(daemons.map(async (d) => ((await d.client.status('scale')) as { state: string }).state))
  return states.every((s) => s === 'idle')
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
}

async function findIndexBytes (stateDir: string): Promise<number> {
  let total = 0
  const replicas = join(stateDir, 'replicas')
  for (const id of await readdir(replicas).catch(() => [] as string[])) {
    for (const f of await readdir(join(replicas, id)).catch(() => [] as string[])) {
      if (f.startsWith('index')) total += (await stat(join(replicas, id, f))).size
    }
  }
  return total
}

/** Runs the scenario; `log` gets progress lines. Daemons and folders are removed at the end. */
export async function runScale (files: number, log: (s: string) => void = () => {}, timeoutMs = 30 * 60_000): Promise<ScaleResult> {
  const base = await mkdtemp(join(tmpdir(), 'shoal-scale-'))
  const daemons: TestDaemon[] = []
  try {
    const port = await freeUdpPort()
    const bootstrap = `127.0.0.1:${port}`
    // SCALE_NODE_OPTIONS adds to the daemons' node options (e.g. --heapsnapshot-signal=SIGUSR2).
    const nodeOptions = `--expose-gc ${process.env.SCALE_NODE_OPTIONS ?? ''}`.trim()
    // SCALE_MALLOC_ARENA_MAX is passed to the daemons as MALLOC_ARENA_MAX (glibc), for diagnosis.
    const malloc: Record<string, string> = process.env.SCALE_MALLOC_ARENA_MAX !== undefined ? { MALLOC_ARENA_MAX: process.env.SCALE_MALLOC_ARENA_MAX } : {}
    // SCALE_GLIBC_TUNABLES is passed as GLIBC_TUNABLES (e.g. glibc.malloc.mmap_threshold=131072), for diagnosis.
    if (process.env.SCALE_GLIBC_TUNABLES !== undefined) malloc.GLIBC_TUNABLES = process.env.SCALE_GLIBC_TUNABLES
    // SHOAL_MALLOC=glibc and MALLOC_CONF reach bin/with-jemalloc (the allocator under bin/shoal);
    // DEBUG (e.g. shoal:*) the daemons' debug log, whose memory trims are printed at the end.
    for (const k of ['SHOAL_MALLOC', 'MALLOC_CONF', 'DEBUG', 'SHOAL_MEMORY_TRIM']) { const v = process.env[k]; if (v !== undefined) malloc[k] = v }
    // SCALE_LD_PRELOAD is the daemons' LD_PRELOAD (bin/with-jemalloc then leaves it alone), for diagnosis.
    if (process.env.SCALE_LD_PRELOAD !== undefined) malloc.LD_PRELOAD = process.env.SCALE_LD_PRELOAD
    // SCALE_HEAPTRACK=DIR runs each daemon under heaptrack (native allocations by call stack; what
    // is still allocated when the daemons are killed at the end is what they held), for diagnosis.
    const ht = process.env.SCALE_HEAPTRACK
    const prefix = (name: string): string[] | undefined => ht === undefined ? undefined : ['heaptrack', '-o', join(ht, name)]
    const launcher = START === 'bin/shoal'
    const a = await startDaemon({ dataPath: join(base, 'a'), launcher, prefix: prefix('writer'), env: { SHOAL_BOOTSTRAP: bootstrap, SHOAL_DHT_PORT: String(port), NODE_OPTIONS: nodeOptions, ...malloc } })
    daemons.push(a)
    const b = await startDaemon({ dataPath: join(base, 'b'), launcher, prefix: prefix('receiver'), env: { SHOAL_BOOTSTRAP: bootstrap, NODE_OPTIONS: nodeOptions, ...malloc } })
    daemons.push(b)

    // The folder exists before the namespace is added: the writer's initial scan publishes it all.
    let t0 = Date.now()
    const folder = join(a.dataPath, 'scale')
    const perDir = 1000
    for (let d = 0; d * perDir < files; d++) {
      await mkdir(join(folder, `d${d}`), { recursive: true })
      const n = Math.min(perDir, files - d * perDir)
      for (let i = 0; i < n; i += 200) {
        await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => writeFile(join(folder, `d${d}`, `f${i + j}.txt`), `file ${d * perDir + i + j}\n`)))
      }
    }
    const writeFolderS = (Date.now() - t0) / 1000
    log(`wrote ${files} files in ${writeFolderS.toFixed(1)} s`)

    const statusApi: number[] = []
    const statusCli: number[] = []
    let sampling = true
    const sampler = (async () => {
      let lastCli = 0
      while (sampling) {
        for (const d of daemons) {
          const s0 = performance.now()
          try { await d.client.status('scale') } catch { /* not added yet */ }
          statusApi.push(performance.now() - s0)
        }
        if (Date.now() - lastCli > 2000) {
          lastCli = Date.now()
          const s0 = performance.now()
          await b.ctl('status', 'scale')
          statusCli.push(performance.now() - s0)
        }
        await sleep(100)
      }
    })()

    const aBefore = await memory(a, true, 'writer-before')
    const statsCmd = process.env.SCALE_STATS_CMD
    const runStatsCmd = async (to: TestDaemon[]): Promise<void> => {
      if (statsCmd === undefined) return
      // Diagnosis: a shell command run for each daemon right after a reading, {pid} replaced by its
      // process id (e.g. touching the trigger file of a preloaded library that then writes the
      // allocator's statistics and heap profile), and time for it to act. A signal number cannot
      // be sent from here (ChildProcess.kill knows only named signals), and Node resets the
      // handlers a preloaded library installs.
      for (const d of to) spawnSync('sh', ['-c', statsCmd.replaceAll('{pid}', String(d.proc.pid))], { stdio: 'inherit' })
      await sleep(2000)
    }
    await runStatsCmd([a])
    if (process.env.SCALE_SNAPSHOT_MS !== undefined) {
      // A snapshot of the writer before as well, to compare with the one after (what stays per file).
      a.proc.kill('SIGUSR2')
      await sleep(Number(process.env.SCALE_SNAPSHOT_MS))
    }
    t0 = Date.now()
    const secret = (await a.ctl('add', 'scale')).stdout.trim()
    const files0 = async (d: TestDaemon): Promise<number> => ((await d.client.status('scale')) as { files: number }).files
    await waitFor('the writer to publish every file', timeoutMs, async () => (await files0(a)) >= files && ((await a.client.status('scale')) as { pending: number }).pending === 0)
    const publishS = (Date.now() - t0) / 1000
    log(`writer published ${files} files in ${publishS.toFixed(1)} s`)
    const aDone = await memory(a, false, 'writer-done')

    const bBefore = await memory(b, true, 'receiver-before')
    t0 = Date.now()
    const add = await b.ctl('add', `--secret=${secret}`, 'scale')
    if (add.code !== 0) throw new Error(add.stderr)
    let lastLog = Date.now()
    await waitFor('the receiver to have every file', timeoutMs, async () => {
      const n = await files0(b)
      if (Date.now() - lastLog > 10_000) { lastLog = Date.now(); log(`receiver: ${n} files after ${((Date.now() - t0) / 1000).toFixed(0)} s`) }
      return n >= files
    })
    const w = await b.ctl('wait', '--timeout=600', 'scale')
    if (w.code !== 0) throw new Error(`ctl wait: ${w.stderr}`)
    const syncS = (Date.now() - t0) / 1000
    log(`receiver synced ${files} files in ${syncS.toFixed(1)} s`)
    const bDone = await memory(b, false, 'receiver-done')
    sampling = false
    await sampler
    // Let the index saves and the stores settle, then collect: what is left is what is held.
    // "Idle" is what the daemons say: each replica rescans its folder every 60 s, and a rescan
    // that overlapped the checkpoint counted its working memory (the file system worker, a grown
    // young generation) as growth: 456 and 532 B/file in two runs against ~200–280 around them.
    // A rescan can also start during the reading (its 60 s timer fired just then: the writer's
    // reading caught its file system worker and a grown heap, 689 B/file against ~300 in one run):
    // the daemons must still be idle once both are read, or they are read again after SETTLE_MS.
    let aAfter: MemoryPoint | null = null
    let bAfter: MemoryPoint | null = null
    for (let attempt = 1; aAfter === null || bAfter === null; attempt++) {
      const quiet = await waitIdle([a, b], SETTLE_MS, 120_000)
      if (!quiet) log(`the daemons were not idle for ${SETTLE_MS} ms within 120 s: measuring anyway`)
      const aRead = await memory(a, true, 'writer-after')
      const bRead = await memory(b, true, 'receiver-after')
      if (attempt < 4 && !(await allIdle([a, b]))) { log('a daemon turned busy while being read: reading again'); continue }
      aAfter = aRead
      bAfter = bRead
    }
    const aPeak = await peakRss(a.proc.pid as number)
    const bPeak = await peakRss(b.proc.pid as number)
    const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MB`
    for (const [name, x, y] of [['writer', aBefore, aAfter], ['receiver', bBefore, bAfter]] as const) {
      log(`${name}: rss ${mb(x.rss)} → ${mb(y.rss)}, heap used ${mb(x.heapUsed)} → ${mb(y.heapUsed)} (total ${mb(x.heapTotal)} → ${mb(y.heapTotal)}), external ${mb(x.external)} → ${mb(y.external)}, anonymous ${mb(x.anonRss)} → ${mb(y.anonRss)} (after a forced GC)`)
    }
    await runStatsCmd([a, b])
    if (process.env.SCALE_SNAPSHOT_MS !== undefined) {
      // With SCALE_NODE_OPTIONS='--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR': heap snapshots
      // of both daemons after the sync (and of the writer before it, above), for analysis; allow
      // them this long to be written.
      a.proc.kill('SIGUSR2')
      b.proc.kill('SIGUSR2')
      await sleep(Number(process.env.SCALE_SNAPSHOT_MS))
    }
    for (const [name, d] of [['writer', a], ['receiver', b]] as const) {
      for (const line of d.log.split('\n')) if (line.includes('memory trim')) log(`${name}: ${line.trim()}`)
    }
    const count = (await readdir(join(b.dataPath, 'scale', 'd0'))).length
    if (count !== Math.min(perDir, files)) throw new Error(`receiver's d0 holds ${count} files`)

    statusApi.sort((x, y) => x - y)
    statusCli.sort((x, y) => x - y)
    const q = (arr: number[], p: number): number => Math.round(arr[Math.min(arr.length - 1, Math.floor(arr.length * p))] ?? 0)
    return {
      files,
      start: START,
      allocator: allocatorOf(a),
      writeFolderS,
      publishS,
      syncS,
      syncFilesPerS: Math.round(files / syncS),
      statusApiMs: { p50: q(statusApi, 0.5), p99: q(statusApi, 0.99), max: q(statusApi, 1), samples: statusApi.length },
      statusCliMs: { p50: q(statusCli, 0.5), max: q(statusCli, 1), samples: statusCli.length },
      writer: growth(aBefore, aDone, aAfter, aPeak, files),
      receiver: growth(bBefore, bDone, bAfter, bPeak, files),
      indexBytes: await findIndexBytes(join(b.dataPath, '.shoal'))
    }
  } finally {
    if (process.env.SCALE_HEAPTRACK !== undefined) {
      // The daemon is heaptrack's child: kill it (by id) so that heaptrack records what it held.
      const { readFile } = await import('node:fs/promises')
      for (const d of daemons) {
        const pid = d.proc.pid as number
        const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter((x) => x !== '')
        for (const c of children) {
          const cmd = await readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '')
          if (cmd.includes('main.js')) { try { process.kill(Number(c), 'SIGKILL') } catch { /* gone */ } }
        }
      }
      await sleep(10_000)
    }
    for (const d of daemons) await d.stop('SIGKILL')
    await rm(base, { recursive: true, force: true })
  }
}

/**
 * What memory costs per file, apart from what a namespace costs at all: the slope between two runs
 * at different file counts, and the fixed part that remains. Growth / files (the first column) also
 * divides the fixed part (code V8 compiles once the namespace works, allocator metadata, caches up
 * to their caps: 10-13 MB) by the file count; the slope is what grows with the files.
 */
export function slope (small: DaemonMemory, smallFiles: number, large: DaemonMemory, largeFiles: number): { bytesPerFile: number, fixedMB: number } {
  const grew = (m: DaemonMemory): number => m.after.rss - m.before.rss
  const per = (grew(large) - grew(small)) / (largeFiles - smallFiles)
  return { bytesPerFile: Math.round(per), fixedMB: Number(((grew(large) - per * largeFiles) / 1048576).toFixed(1)) }
}

if (process.argv[1]?.endsWith('bench/scale.js')) {
  const files = Number(process.env.SCALE_FILES ?? 100_000)
  // SCALE_SLOPE_FILES (default 30% of SCALE_FILES; 0: none): a second, smaller run for the slope.
  const smallFiles = Number(process.env.SCALE_SLOPE_FILES ?? Math.round(files * 0.3))
  // each run's creates must not pay for the removals before it (quiet-disk.ts)
  const quietRun = async (n: number, say: (s: string) => void): Promise<ScaleResult> => { await quietDisk(); return await runScale(n, say) }
  const r = await quietRun(files, (s) => { console.log(s) })
  console.log(JSON.stringify(r, null, 2))
  const small = smallFiles > 0 && smallFiles < files ? await quietRun(smallFiles, (s) => { console.log(`(${smallFiles}) ${s}`) }) : null
  const slopes = small === null ? null : { files: smallFiles, writer: slope(small.writer, smallFiles, r.writer, files), receiver: slope(small.receiver, smallFiles, r.receiver, files) }
  const mb = (n: number): string => (n / 1048576).toFixed(0).padStart(6)
  console.log(`\n${r.files} files, daemons started with ${r.start} (${r.allocator}); publish ${r.publishS.toFixed(0)} s, sync ${r.syncS.toFixed(0)} s (${r.syncFilesPerS} files/s); ctl status p99 ${r.statusApiMs.p99} ms`)
  console.log('           RSS MB before  after   peak   growth B/file (goal 256)   V8 heap B/file   external B/file')
  for (const [name, m] of [['writer', r.writer], ['receiver', r.receiver]] as const) {
    console.log(`${name.padEnd(10)} ${mb(m.before.rss)}     ${mb(m.after.rss)} ${mb(m.peakRss)}   ${String(m.bytesPerFile).padStart(13)}              ${String(m.heapBytesPerFile).padStart(8)}           ${String(m.externalBytesPerFile).padStart(8)}`)
  }
  if (slopes !== null && small !== null) {
    console.log(`per file between ${smallFiles} and ${files} files (growth ${small.writer.bytesPerFile} / ${small.receiver.bytesPerFile} B/file at ${smallFiles}):`)
    for (const name of ['writer', 'receiver'] as const) console.log(`${name.padEnd(10)} ${String(slopes[name].bytesPerFile).padStart(5)} B/file (goal 256) + ${slopes[name].fixedMB} MB fixed`)
  }
  const out = join(ROOT, 'bench', 'results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), ...r, slope: slopes === null ? null : { ...slopes, smallRun: small } }, null, 2) + '\n')
  console.log(`saved ${out}`)
}

// `npm run bench:sync`: shoal against Syncthing on the same workloads in the same run. Each is
// timed from the end of the write on node A until node B's folder is byte-identical, with the CPU
// seconds and peak RSS of each daemon. A benchmark, not a test. Results: a table on stdout and
// bench/results/sync-<time>.json. BENCH_W2_MIB sizes W2 (default 1024). BENCH_WORKLOADS runs some
// only (e.g. W2,W3: W3 then runs right after W2, its first row); default all. BENCH_NODE_FLAGS:
// sync-peers.ts. BENCH_FRESH_FS=1: each system's folders on an ext4 of its own, made fresh
// (fresh-fs.ts; off by default, see there). Before each system: quiet-disk.ts (BENCH_SETTLE_S=N
// waits N s instead).
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { createWriteStream, readFileSync } from 'node:fs'
import { freshFs, freshFsWanted } from './fresh-fs.js'
import { quietDisk } from './quiet-disk.js'
import { startShoal, startSyncthing, until, type Peer, type System } from './sync-peers.js'

interface Result { workload: string, system: string, seconds: number, p50?: number, p95?: number, cpu: { a: number, b: number }, peakRssMiB: { a: number, b: number } }

const IGNORED = /^(\.stfolder|\.stversions|\.syncthing\..*|~syncthing~.*|\.shoal\.tmp\..*)$/

async function tree (dir: string, rel = '', out = new Map<string, number>()): Promise<Map<string, number>> {
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    if (IGNORED.test(e.name)) continue
    const p = rel === '' ? e.name : `${rel}/${e.name}`
    if (e.isDirectory()) await tree(dir, p, out)
    else out.set(p, (await stat(path.join(dir, p))).size)
  }
  return out
}

async function digest (dir: string, files: Iterable<string>): Promise<string> {
  const h = createHash('sha256')
  for (const f of [...files].sort()) h.update(f).update(await readFile(path.join(dir, f)))
  return h.digest('hex')
}

/**
 * Waits until B holds exactly A's files with A's bytes; returns when (performance.now()) the check
 * that proved it began. Hashing both folders takes a second or more with thousands of files, and
 * both systems write each file whole (temp file + rename), so the state the successful check found
 * was there when it began: stamping the end instead would add the checker's own time to both
 * systems and pull every ratio of a short workload towards 1.
 */
async function identical (a: Peer, b: Peer, timeoutMs = 600_000): Promise<number> {
  let at = 0
  await until(async () => {
    at = performance.now()
    const [ta, tb] = await Promise.all([tree(a.folder), tree(b.folder)])
    if (ta.size !== tb.size) return false
    for (const [p, s] of ta) if (tb.get(p) !== s) return false
    return (await digest(a.folder, ta.keys())) === (await digest(b.folder, tb.keys()))
  }, timeoutMs, 20)
  return at
}

function procStats (pid: number | undefined): { cpu: number, hwmMiB: number } {
  if (pid === undefined) return { cpu: 0, hwmMiB: 0 }
  try {
    const read = (f: string): string => readFileSync(f, 'utf8')
    const parts = read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? []
    const ticks = Number(parts[11]) + Number(parts[12])
    const hwm = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1]
    return { cpu: ticks / 100, hwmMiB: Number(hwm ?? 0) / 1024 }
  } catch { return { cpu: 0, hwmMiB: 0 } }
}

/**
 * Waits until both nodes are idle (under 0.1 CPU-s each in a 1 s window; at most 120 s) and says
 * how long that took. After W2 both systems keep working once B's file is complete (shoal: A
 * stores the blob in its drive and B copies the blob core; Syncthing: its index and database), and
 * W3 measures a change on idle nodes: W3 right after W2 is printed as its own row.
 */
async function quiet (sys: System): Promise<number> {
  const t0 = performance.now()
  let last = { a: procStats(sys.a.pid()).cpu, b: procStats(sys.b.pid()).cpu }
  while (performance.now() - t0 < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const now = { a: procStats(sys.a.pid()).cpu, b: procStats(sys.b.pid()).cpu }
    const idle = now.a - last.a < 0.1 && now.b - last.b < 0.1
    last = now
    if (idle) break
  }
  return (performance.now() - t0) / 1000
}

/** `settle` resolves when B has converged, or with the moment it had (see identical()). */
async function measure (sys: System, workload: string, write: () => Promise<void>, settle: () => Promise<number | undefined> = async () => await identical(sys.a, sys.b)): Promise<Result> {
  const before = { a: procStats(sys.a.pid()), b: procStats(sys.b.pid()) }
  await write()
  const t0 = performance.now()
  const at = await settle() ?? performance.now()
  const seconds = (at - t0) / 1000
  const after = { a: procStats(sys.a.pid()), b: procStats(sys.b.pid()) }
  return {
    workload, system: sys.name, seconds,
    cpu: { a: after.a.cpu - before.a.cpu, b: after.b.cpu - before.b.cpu },
    peakRssMiB: { a: after.a.hwmMiB, b: after.b.hwmMiB }
  }
}

const FRESH_FS = freshFsWanted(false)

const W2_MIB = Number(process.env.BENCH_W2_MIB ?? 1024)

/** BENCH_WORKLOADS=W2,W3: those only (null: all). */
const ONLY = process.env.BENCH_WORKLOADS === undefined ? null : new Set(process.env.BENCH_WORKLOADS.split(',').map((w) => w.trim().toUpperCase()))
const runs = (w: string): boolean => ONLY === null || ONLY.has(w)

async function workloads (sys: System): Promise<Result[]> {
  const { a, b } = sys
  const out: Result[] = []
  const small = randomBytes(4096)
  if (runs('W1') || runs('W6')) out.push(await measure(sys, 'W1 5000 x 4 KiB in 50 dirs', async () => {
    for (let d = 0; d < 50; d++) {
      await mkdir(path.join(a.folder, 'w1', `d${d}`), { recursive: true })
      await Promise.all(Array.from({ length: 100 }, async (_, f) => await writeFile(path.join(a.folder, 'w1', `d${d}`, `f${f}`), small)))
    }
  }))
  if (runs('W2')) out.push(await measure(sys, `W2 one ${W2_MIB} MiB file`, async () => {
    const ws = createWriteStream(path.join(a.folder, 'w2.bin'))
    const chunk = randomBytes(1 << 20)
    for (let i = 0; i < W2_MIB; i++) { chunk[0] = i & 255; if (!ws.write(chunk)) await new Promise<void>((resolve) => { ws.once('drain', () => { resolve() }) }) }
    await new Promise<void>((resolve) => { ws.end(() => { resolve() }) })
  }))
  // Untimed: every later check hashes both folders whole, and hashing this file twice per check
  // would be most of what W3–W6 measure (W6 read 13 s for both systems with it, 2.6 s without).
  await rm(path.join(a.folder, 'w2.bin'), { force: true })
  await identical(a, b)
  const w3 = path.join(a.folder, 'w3.txt')
  const changes = async (workload: string): Promise<void> => {
    const lat: number[] = []
    for (let i = 0; i < 20; i++) {
      const body = randomBytes(512).toString('hex')
      const r = await measure(sys, 'W3', async () => { await writeFile(w3, body) },
        async () => { await until(async () => (await readFile(path.join(b.folder, 'w3.txt'), 'utf8').catch(() => '')) === body, 60_000, 5); return undefined })
      lat.push(r.seconds)
    }
    lat.sort((x, y) => x - y)
    out.push({ workload, system: sys.name, seconds: lat.reduce((s, x) => s + x, 0), p50: lat[9] ?? 0, p95: lat[18] ?? 0, cpu: { a: 0, b: 0 }, peakRssMiB: { a: 0, b: 0 } })
  }
  if (runs('W3')) {
    await changes('W3 right after W2 (not idle)')
    console.log(`${sys.name}: idle ${(await quiet(sys)).toFixed(1)} s after W3 right after W2`)
    await changes('W3 1 KiB change x20')
  }
  if (runs('W4')) out.push(await measure(sys, 'W4 both write 500 files', async () => {
    await mkdir(path.join(a.folder, 'w4a'), { recursive: true })
    await mkdir(path.join(b.folder, 'w4b'), { recursive: true })
    await Promise.all([
      ...Array.from({ length: 500 }, async (_, i) => await writeFile(path.join(a.folder, 'w4a', `f${i}`), small)),
      ...Array.from({ length: 500 }, async (_, i) => await writeFile(path.join(b.folder, 'w4b', `f${i}`), small))
    ])
  }))
  if (runs('W6')) out.push(await measure(sys, 'W6 delete 1000 files', async () => {
    for (let d = 0; d < 10; d++) await rm(path.join(a.folder, 'w1', `d${d}`), { recursive: true })
  }))
  return out
}

async function main (): Promise<void> {
  const load0 = loadavg().map((x) => x.toFixed(2)).join(' ')
  const root = await mkdtemp(path.join(tmpdir(), 'shoal-bench-'))
  const results: Result[] = []
  try {
    // BENCH_FRESH_FS=1: each system's two nodes on an ext4 of their own, made fresh (fresh-fs.ts),
    // with room for W2's file in both folders and in shoal's two stores.
    const fsMiB = 5 * W2_MIB + 2048
    const unmountShoal = await freshFs(path.join(root, 'shoal'), fsMiB, FRESH_FS)
    try {
      await quietDisk()
      const shoal = await startShoal(path.join(root, 'shoal'))
      try { results.push(...await workloads(shoal)) } finally { await shoal.stop() }
    } finally { await unmountShoal() }
    const unmountSt = await freshFs(path.join(root, 'syncthing'), fsMiB, FRESH_FS)
    try {
      await quietDisk()
      // A Syncthing that fails to start costs its rows, not shoal's figures measured before it.
      const st = await startSyncthing(path.join(root, 'syncthing'), 22000 + (process.pid % 1000) * 20).catch((err: unknown) => { console.error(`${(err as Error).message}: shoal figures only`); return null })
      if (st === null) console.error('no Syncthing run: shoal figures only')
      else try { results.push(...await workloads(st)) } finally { await st.stop() }
    } finally { await unmountSt() }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  const rows = results.filter((r) => r.system === 'shoal').map((s) => {
    const t = results.find((r) => r.system === 'syncthing' && r.workload === s.workload)
    const fmt = (x?: number): string => x === undefined ? '-' : x.toFixed(3)
    return `${s.workload.padEnd(30)} shoal ${fmt(s.p50 ?? s.seconds)}s${s.p95 !== undefined ? ` (p95 ${fmt(s.p95)})` : ''}  syncthing ${fmt(t?.p50 ?? t?.seconds)}s  ratio ${t ? ((s.p50 ?? s.seconds) / (t.p50 ?? t.seconds)).toFixed(2) : '-'}  cpu a/b ${s.cpu.a.toFixed(1)}/${s.cpu.b.toFixed(1)} s (syncthing ${t ? `${t.cpu.a.toFixed(1)}/${t.cpu.b.toFixed(1)}` : '-'})  rss ${s.peakRssMiB.a.toFixed(0)}/${s.peakRssMiB.b.toFixed(0)} MiB`
  })
  console.log(rows.join('\n'))
  console.log(`load average (1/5/15 min) at start ${load0}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}${FRESH_FS ? '; each system on a fresh ext4' : ''}`)
  await mkdir('bench/results', { recursive: true })
  const file = `bench/results/sync-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  await writeFile(file, JSON.stringify({ at: new Date().toISOString(), load: { start: load0, end: loadavg() }, freshFs: FRESH_FS, results }, null, 2))
  console.log(`written ${file}`)
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) })

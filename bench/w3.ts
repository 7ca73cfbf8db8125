// `node dist/bench/w3.js`: bench:sync's W3 alone, in seconds rather than minutes: two idle shoal
// daemons, a 1 KiB change written on A 20 times, each timed until B's file holds it. Prints p50
// and p95 (back to back, as bench:sync does). BENCH_W3_BASE=DIR runs a second pair from another build (DIR/dist/src/main.js) beside
// it, changes alternating between the pairs: before/after in the same minutes. BENCH_W3_N (20).
// BENCH_W3_GAP_MS: idle time before each change (default none: back to back), e.g. 3000 to time a
// change that finds both daemons idle (the file system worker stopped after 2 s, fs-batch.ts).
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startShoal, until, type System } from './sync-peers.js'

const N = Number(process.env.BENCH_W3_N ?? 20)
const BASE = process.env.BENCH_W3_BASE ?? ''
const GAP_MS = Number(process.env.BENCH_W3_GAP_MS ?? 0)

async function change (sys: System): Promise<number> {
  const body = randomBytes(512).toString('hex')
  const t0 = performance.now()
  await writeFile(path.join(sys.a.folder, 'w3.txt'), body)
  await until(async () => (await readFile(path.join(sys.b.folder, 'w3.txt'), 'utf8').catch(() => '')) === body, 60_000, 5)
  return performance.now() - t0
}

async function main (): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'shoal-bench-w3-'))
  const pairs: Array<{ label: string, sys: System, ms: number[] }> = []
  try {
    pairs.push({ label: 'this build', sys: await startShoal(path.join(root, 'new')), ms: [] })
    if (BASE !== '') pairs.push({ label: 'base', sys: await startShoal(path.join(root, 'base'), path.join(BASE, 'dist', 'src', 'main.js')), ms: [] })
    for (const p of pairs) await change(p.sys) // the first change opens the drives: not measured
    await new Promise((resolve) => setTimeout(resolve, 2000))
    for (let i = 0; i < N; i++) {
      for (const p of i % 2 === 0 ? pairs : [...pairs].reverse()) {
        if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS))
        p.ms.push(await change(p.sys))
      }
    }
    for (const { label, ms } of pairs) {
      ms.sort((x, y) => x - y)
      const q = (f: number): number => ms[Math.min(ms.length - 1, Math.floor(ms.length * f))] ?? 0
      console.log(`W3 ${label}: p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms (${N} changes)`)
    }
  } finally {
    for (const { sys } of pairs) await sys.stop()
    await rm(root, { recursive: true, force: true })
  }
}

main().catch((err) => { console.error(err); process.exit(1) })

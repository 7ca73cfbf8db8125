// Fault scenarios shared by the short tests (test/integration/faults-*.test.ts, in `make test`) and
// the long ones (test/faults/*.test.ts, `make test-faults`); they differ only in sizes and runs.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { TestDaemon } from './daemon.js'
import { converged, digest, folderOf, joinAll, loopbackCluster, statusOf } from './cluster.js'
import { until } from './tmp.js'

type Teardown = (fn: () => unknown) => void

export interface KillOptions {
  /** Small files (1–4 KiB, random) and one large file of `bigBytes`. */
  files: number
  bigBytes: number
  victim: 'receiver' | 'writer'
  /** Kill once the receiver holds at least this share of the small files (0 = as soon as any). */
  killAt: number
}

export interface KillResult { filesAtKill: number, total: number, convergeMs: number, tempLeft: number }

/** Writes a tree into `dir`; returns nothing (the caller digests the folder). */
export async function writeTree (dir: string, files: number, bigBytes: number): Promise<void> {
  const dirs = Math.max(1, Math.ceil(files / 200))
  for (let d = 0; d < dirs; d++) await mkdir(path.join(dir, `d${d}`), { recursive: true })
  const batch = 64
  for (let i = 0; i < files; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, files - i) }, async (_, j) => {
      const n = i + j
      await writeFile(path.join(dir, `d${n % dirs}`, `f${n}.bin`), randomBytes(1024 + (n % 3072)))
    }))
  }
  if (bigBytes > 0) await writeFile(path.join(dir, 'big.bin'), randomBytes(bigBytes))
}

export async function countFiles (dir: string): Promise<number> {
  let n = 0
  let names: Array<{ name: string, isDirectory: () => boolean }>
  try { names = await readdir(dir, { withFileTypes: true }) } catch { return 0 }
  for (const e of names) {
    if (e.name.startsWith('.shoal.tmp.')) continue
    n += e.isDirectory() ? await countFiles(path.join(dir, e.name)) : 1
  }
  return n
}

export async function countTemp (dir: string): Promise<number> {
  let n = 0
  let names: Array<{ name: string, isDirectory: () => boolean }>
  try { names = await readdir(dir, { withFileTypes: true }) } catch { return 0 }
  for (const e of names) {
    if (e.name.startsWith('.shoal.tmp.')) n++
    else if (e.isDirectory()) n += await countTemp(path.join(dir, e.name))
  }
  return n
}

/**
 * Two daemons; the writer gets a tree of files; the victim (the receiver, or the writer while the
 * receiver is still downloading from it) is killed with SIGKILL mid-sync and restarted on the same
 * DATA_PATH. Both folders must end byte-identical to what was written, with no temp files left.
 */
export async function killDuringSync (teardown: Teardown, o: KillOptions): Promise<KillResult> {
  const cluster = await loopbackCluster(teardown, 2)
  const [a, b] = cluster.nodes as [TestDaemon, TestDaemon]
  // The victim is never the bootstrapper (a), so a restart finds the DHT where it was.
  const writer = o.victim === 'writer' ? b : a
  const receiver = o.victim === 'writer' ? a : b
  await joinAll([a, b], 'bulk')
  await until(async () => (await statusOf(a, 'bulk')).peers === 1, 'a and b connected', 30_000, 50)
  await writeTree(folderOf(writer, 'bulk'), o.files, o.bigBytes)
  const want = await digest(folderOf(writer, 'bulk'))
  const total = o.files + (o.bigBytes > 0 ? 1 : 0)
  const threshold = Math.max(1, Math.floor(o.files * o.killAt))
  const filesAtKill = await until(async () => {
    const n = await countFiles(folderOf(receiver, 'bulk'))
    return n >= threshold ? n : 0
  }, 'the receiver to start receiving', 60_000, 10)
  await (o.victim === 'writer' ? writer : receiver).stop('SIGKILL')
  const t0 = Date.now()
  const victim = await cluster.start((o.victim === 'writer' ? writer : receiver).dataPath)
  const nodes = o.victim === 'writer' ? [receiver, victim] : [writer, victim]
  await converged(nodes.map((d) => folderOf(d, 'bulk')), want, 'both folders byte-identical to what was written', 120_000)
  const convergeMs = Date.now() - t0
  for (const d of nodes) assert.equal((await d.ctl('wait', '--timeout=60', 'bulk')).code, 0, 'ctl wait')
  // A restarted node removes the temp files a kill left behind (they are ours, never the user's).
  await until(async () => (await countTemp(folderOf(victim, 'bulk'))) === 0, 'no temp files left', 10_000, 100)
  for (const d of nodes) {
    const s = await statusOf(d, 'bulk')
    assert.equal(s.files, total, `${d.dataPath}: ctl status counts every file`)
    assert.equal(s.error, null)
  }
  return { filesAtKill, total, convergeMs, tempLeft: 0 }
}

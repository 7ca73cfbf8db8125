// Reads our writer drive's b-tree along the paths of deletions the mass-delete guard holds, while
// its settle window runs. A Hyperbee put walks the tree from the root and reads the block of every
// key it compares; cold, those are storage reads one after another: 1,010 tombstones took 0.2–0.4 s
// to put (bench W6, and a micro-benchmark at load 4–5: 160–330 ms cold against 20–45 ms once the
// same paths had been read). The window waits anyway (guard.ts): the reads fill the shared b-tree
// cache (store.ts) then, and the puts after it find their nodes there. Read only: nothing is
// written, and an error only means the puts read for themselves.
import type Hyperdrive from 'hyperdrive'
import { drivePath } from './entry.js'

/**
 * At most this many paths are read per window: the cache is shared by every drive and holds
 * BEE_CACHE_ENTRIES (4,096) nodes and keys; reading more would evict what the first puts need.
 */
export const WARM_MAX = 1500

export class TreeWarmup {
  readonly #queue: string[] = []
  #queued = 0
  #running: Promise<void> | null = null
  #stopped = false
  #closed = false

  /** Reads the tree along `paths` in the background (up to WARM_MAX paths until stop()). */
  add (drive: Hyperdrive, paths: string[]): void {
    if (this.#stopped || this.#closed) return
    const room = WARM_MAX - this.#queued
    if (room <= 0 || paths.length === 0) return
    const take = paths.length > room ? paths.slice(0, room) : paths
    for (const p of take) this.#queue.push(p)
    this.#queued += take.length
    this.#running ??= this.#run(drive).finally(() => { this.#running = null })
  }

  /** Stops reading (the puts are next, or the replica closes); resolves once no read is in flight. */
  async stop (): Promise<void> {
    this.#queue.length = 0
    this.#queued = 0
    this.#stopped = true
    await this.#running
    this.#stopped = false
  }

  /** Stops for good (the drive is about to close): later add() calls read nothing. */
  async close (): Promise<void> {
    this.#closed = true
    await this.stop()
  }

  /** Whether a read is in flight or queued. */
  get busy (): boolean { return this.#running !== null }

  async #run (drive: Hyperdrive): Promise<void> {
    // One drive batch for all the reads: a plain drive.entry() opens a snapshot per read (measured
    // ~1.5× slower), and a batch takes the write lock only when it puts, which this one never does.
    const reader = drive.batch()
    try {
      while (!this.#stopped) {
        const path = this.#queue.shift()
        if (path === undefined) break
        await reader.entry(drivePath(path), { wait: false })
      }
    } catch {
      // A drive closing under us, a block not held: the puts read what they need themselves.
    } finally {
      await reader.close().catch(() => {})
    }
  }
}

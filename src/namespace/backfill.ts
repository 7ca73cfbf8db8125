// Every node keeps a writer's whole blob core (to serve it to late joiners and blind nodes, and for
// history), but that copy is background work and must not delay the foreground.
//
// A live download of the whole core (`download({ start: 0, end: -1 })`) lets hypercore ask for
// every missing block at once. After a large file came over a side link (content.ts), that is a
// GiB of 1 MiB blocks requested over the same udx connection that carries the next small change's
// entry and blob: those blocks queue behind whatever the writer already sent. Measured here:
// bench:sync's W3 (one 1 KiB change, right after W2's 1 GiB) had p50 506 ms against 40 ms without
// the backlog. So the blob core is fetched a window at a time, each window about WINDOW_BYTES, and
// a foreground fetch (blob-fetch.ts) waits behind one window at most.
import type Hypercore from 'hypercore'
import type { Download } from 'hypercore'

/** Bytes asked for at once (at ~40 MiB/s over udx: a foreground block waits ~100 ms at most). */
export const WINDOW_BYTES = 4 << 20
/** Wait after a window that failed (no peer has it yet, a session closing) before the next try. */
const RETRY_MS = 1000
/**
 * While the writer's entries keep coming (a change every QUIET_MS or sooner), the copy waits: each
 * window is CPU on both nodes (the udx stream, hypercore's checks and storage) that the change's
 * own blocks and apply would otherwise share. It never waits longer than MAX_DEFER_MS for one
 * window, so a writer that never stops still gets its blobs copied, a window at a time.
 */
export const QUIET_MS = 500
export const MAX_DEFER_MS = 2000

export interface BackfillOptions {
  /** Bytes asked for at once. */
  windowBytes?: number
  /** The writer's entries (its drive's db core): while it grows, the copy waits (see QUIET_MS). */
  foreground?: Hypercore
  quietMs?: number
  maxDeferMs?: number
}

export class Backfill {
  readonly #core: Hypercore
  readonly #windowBytes: number
  readonly #foreground: Hypercore | null
  readonly #quietMs: number
  readonly #maxDeferMs: number
  #range: Download | null = null
  #running = false
  #stopped = false
  /** When the writer's entries last grew (performance.now()), since start(). */
  #lastForeground = -Infinity
  #wake: (() => void) | null = null
  readonly #kick = (): void => { this.#start() }
  readonly #onForeground = (): void => { this.#lastForeground = performance.now() }

  constructor (core: Hypercore, opts: BackfillOptions | number = {}) {
    const o = typeof opts === 'number' ? { windowBytes: opts } : opts
    this.#core = core
    this.#windowBytes = o.windowBytes ?? WINDOW_BYTES
    this.#foreground = o.foreground ?? null
    this.#quietMs = o.quietMs ?? QUIET_MS
    this.#maxDeferMs = o.maxDeferMs ?? MAX_DEFER_MS
  }

  /** Follows the core: what it holds now and whatever is appended later. */
  start (): void {
    this.#core.on('append', this.#kick)
    this.#foreground?.on('append', this.#onForeground)
    this.#start()
  }

  stop (): void {
    this.#stopped = true
    this.#core.off('append', this.#kick)
    this.#foreground?.off('append', this.#onForeground)
    this.#wake?.()
    this.#range?.destroy()
    this.#range = null
  }

  /** Blocks per window: WINDOW_BYTES over the core's mean block size (1 to 1,024). */
  window (): number {
    const core = this.#core
    const mean = core.length > 0 ? core.byteLength / core.length : 0
    return mean > 0 ? Math.max(1, Math.min(1024, Math.floor(this.#windowBytes / mean))) : 1
  }

  #start (): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    void this.#run().finally(() => { this.#running = false })
  }

  async #run (): Promise<void> {
    const core = this.#core
    while (!this.#stopped && core.contiguousLength < core.length) {
      await this.#quiet()
      if (this.#stopped) break
      const start = core.contiguousLength
      const range = core.download({ start, end: Math.min(core.length, start + this.window()) })
      this.#range = range
      const ok = await range.done().then(() => true, () => false)
      this.#range = null
      // A window that failed, or that ended without the first block (a truncated core): not at once.
      if ((!ok || core.contiguousLength === start) && !this.#stopped) await this.#sleep(RETRY_MS)
    }
  }

  /** Until the writer's entries have been still for quietMs, or maxDeferMs at most. */
  async #quiet (): Promise<void> {
    const t0 = performance.now()
    for (;;) {
      const left = Math.min(this.#lastForeground + this.#quietMs, t0 + this.#maxDeferMs) - performance.now()
      if (left <= 0 || this.#stopped) return
      await this.#sleep(left)
    }
  }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#wake = null; resolve() }, ms)
      timer.unref()
      this.#wake = () => { clearTimeout(timer); this.#wake = null; resolve() }
    })
  }
}

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

export class Backfill {
  readonly #core: Hypercore
  readonly #windowBytes: number
  #range: Download | null = null
  #running = false
  #stopped = false
  readonly #kick = (): void => { this.#start() }

  constructor (core: Hypercore, windowBytes = WINDOW_BYTES) {
    this.#core = core
    this.#windowBytes = windowBytes
  }

  /** Follows the core: what it holds now and whatever is appended later. */
  start (): void {
    this.#core.on('append', this.#kick)
    this.#start()
  }

  stop (): void {
    this.#stopped = true
    this.#core.off('append', this.#kick)
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
      const start = core.contiguousLength
      const range = core.download({ start, end: Math.min(core.length, start + this.window()) })
      this.#range = range
      const ok = await range.done().then(() => true, () => false)
      this.#range = null
      // A window that failed, or that ended without the first block (a truncated core): not at once.
      if ((!ok || core.contiguousLength === start) && !this.#stopped) await new Promise((resolve) => { setTimeout(resolve, RETRY_MS).unref() })
    }
  }
}

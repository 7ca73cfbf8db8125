// The mass-delete guard. Deletions are held for a short settle window and counted together, so
// that `rm -rf` (which the watcher reports file by file) is judged as one mass delete rather than
// leaking out in small, harmless-looking batches. Creations and edits are never held.

export interface GuardOptions {
  /** Pause when more than this share of the files is deleted at once… */
  share: number
  /** …and at least this many. */
  min: number
  /** Deletions are published once none was seen for this long… */
  settleMs: number
  /** …or once they have been held this long, whichever comes first. */
  maxHoldMs: number
}

/** Is deleting `removed` of `total` files at once a mass delete? */
export function isMassDelete (removed: number, total: number, o: Pick<GuardOptions, 'share' | 'min'>): boolean {
  return removed >= o.min && removed > total * o.share
}

export class DeleteGuard {
  readonly #o: GuardOptions
  readonly #onReady: () => void
  readonly #held = new Set<string>()
  #timer: NodeJS.Timeout | null = null
  #since = 0
  /** When the settle window of what is held ends (ms since the epoch). */
  #settlesAt = 0
  #ready = false

  constructor (opts: GuardOptions, onReady: () => void) {
    this.#o = opts
    this.#onReady = onReady
  }

  get size (): number { return this.#held.size }
  /** The settle window is over: take() what is held. */
  get ready (): boolean { return this.#ready && this.#held.size > 0 }
  held (): string[] { return [...this.#held] }

  /**
   * Holds deletions that were seen at `seenAt` (default now). The window counts from there, not
   * from this call: the watcher reports a deletion at once, but the scan that finds it may run up to
   * the job loop's churn pause later (bench W6: the last scan of an `rm -rf` came 70–250 ms after
   * its last event, and the window only started then). A later sighting moves the window's end on,
   * an earlier one never moves it back.
   */
  hold (paths: string[], seenAt = Date.now()): void {
    if (paths.length === 0) return
    const now = Date.now()
    if (this.#held.size === 0) { this.#since = now; this.#settlesAt = 0 }
    for (const p of paths) this.#held.add(p)
    this.#ready = false
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#settlesAt = Math.max(this.#settlesAt, Math.min(seenAt, now) + this.#o.settleMs)
    const wait = Math.max(0, Math.min(this.#settlesAt, this.#since + this.#o.maxHoldMs) - now)
    this.#timer = setTimeout(() => { this.#timer = null; this.#ready = true; this.#onReady() }, wait)
  }

  take (): string[] {
    const out = [...this.#held]
    this.#held.clear()
    this.#ready = false
    return out
  }

  /** Is publishing these deletions (of `total` files known) a mass delete? */
  check (removedFiles: number, total: number): boolean {
    return isMassDelete(removedFiles, total, this.#o)
  }

  stop (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}

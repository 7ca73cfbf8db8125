// One serial job loop per namespace (syncthing's folder loop): a scan and a merge never overlap,
// repeated requests coalesce into one run, local changes are always published before remote ones
// are applied, and a failed run is retried by itself.

export interface Jobs {
  /** Local changes wait to be scanned and published. */
  scanWanted: () => boolean
  scan: () => Promise<void>
  merge: () => Promise<void>
  /** False while nothing may run (paused, closing). */
  runnable: () => boolean
  /** The loop started working, went idle, or failed (and retries). */
  state: (s: 'syncing' | 'idle' | 'error', err?: Error) => void
  /** A run ended: whoever waits for progress looks again. */
  settled: () => void
  /** Before the retry of a failed run (e.g. rescan everything). */
  beforeRetry: () => void
}

/** Bursts of requests (an editor's save, `cp -r`) within this many ms make one run. */
const COALESCE_MS = 15
const FAILED_RETRY_MS = 2000

export class JobLoop {
  readonly #jobs: Jobs
  #mergeWanted = false
  #running: Promise<void> | null = null
  #kickTimer: NodeJS.Timeout | null = null
  #retryTimer: NodeJS.Timeout | null = null
  #stopped = false

  constructor (jobs: Jobs) {
    this.#jobs = jobs
  }

  /** Running, or a merge is due: not settled. */
  get busy (): boolean { return this.#running !== null || this.#mergeWanted }

  /** A merge is due at the next run (or later in this one); does not start a run. */
  wantMerge (): void { this.#mergeWanted = true }

  requestMerge (): void {
    this.#mergeWanted = true
    this.kickSoon()
  }

  /** A merge after `ms`, unless a retry is already due: backs off a drive not held yet, or a racing edit. */
  retryMergeIn (ms: number): void {
    if (this.#retryTimer !== null || this.#stopped) return
    this.#retryTimer = setTimeout(() => { this.#retryTimer = null; this.requestMerge() }, ms)
  }

  kickSoon (): void {
    if (this.#kickTimer !== null || this.#stopped) return
    this.#kickTimer = setTimeout(() => { this.#kickTimer = null; this.kick() }, COALESCE_MS)
  }

  kick (): void {
    if (this.#running !== null || this.#stopped) return
    // Started from a microtask, so a job that kicks synchronously finds the loop already running.
    this.#running = Promise.resolve().then(async () => { await this.#run() }).catch((err: unknown) => {
      this.#jobs.state('error', err as Error)
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null
        this.#mergeWanted = true
        this.#jobs.beforeRetry()
        this.kick()
      }, FAILED_RETRY_MS)
    }).finally(() => {
      this.#running = null
      this.#jobs.settled()
      if (!this.#stopped && (this.#mergeWanted || this.#jobs.scanWanted()) && this.#retryTimer === null) this.kickSoon()
    })
  }

  /** No new run starts; resolves when the current one has ended. */
  async stop (): Promise<void> {
    this.#stopped = true
    for (const t of [this.#kickTimer, this.#retryTimer]) if (t !== null) clearTimeout(t)
    await this.#running?.catch(() => {})
  }

  async #run (): Promise<void> {
    // A retry still pending fires anyway (and finds little to do); this run no longer waits for it.
    this.#retryTimer = null
    while (!this.#stopped && this.#jobs.runnable()) {
      const scan = this.#jobs.scanWanted()
      if (!scan && !this.#mergeWanted) break
      this.#jobs.state('syncing')
      if (scan) await this.#jobs.scan()
      if (!this.#jobs.runnable()) break
      if (this.#mergeWanted) {
        this.#mergeWanted = false
        await this.#jobs.merge()
      }
    }
    if (!this.#stopped) this.#jobs.state('idle')
  }
}

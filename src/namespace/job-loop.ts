// One serial job loop per namespace (syncthing's folder loop): a scan and a merge never overlap,
// repeated requests coalesce into one run, local changes are always published before remote ones
// are applied, and a failed run is retried by itself. Under sustained local churn (marks keep
// arriving while a scan runs) the loop pauses between scans, so one publish carries many changes.

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

export interface JobLoopOptions {
  /** Bursts of requests (an editor's save, `cp -r`) within this many ms make one run. */
  coalesceMs?: number
  /**
   * When local changes arrived while a scan ran, the next scan waits this long after it, doubling
   * while the churn lasts, up to churnMaxMs: each publish has fixed costs (a drive batch, the
   * replica state, the announce), and an NFS client creating a file every few ms otherwise paid
   * them every handful of files (bench:nfs daemon row). A change on an idle node still waits only
   * coalesceMs; under churn a change waits at most about churnMaxMs plus two scans.
   */
  churnMinMs?: number
  churnMaxMs?: number
}

const DEFAULTS: Required<JobLoopOptions> = { coalesceMs: 15, churnMinMs: 25, churnMaxMs: 200 }
const FAILED_RETRY_MS = 2000

export class JobLoop {
  readonly #jobs: Jobs
  readonly #o: Required<JobLoopOptions>
  #mergeWanted = false
  #running: Promise<void> | null = null
  #kickTimer: NodeJS.Timeout | null = null
  #retryTimer: NodeJS.Timeout | null = null
  #stopped = false
  /** Ends the churn pause early: a merge is due, or the loop stops. */
  #wake: (() => void) | null = null

  constructor (jobs: Jobs, opts: JobLoopOptions = {}) {
    this.#jobs = jobs
    this.#o = { ...DEFAULTS, ...opts }
  }

  /** Running, or a merge is due: not settled. */
  get busy (): boolean { return this.#running !== null || this.#mergeWanted }

  /** A merge is due at the next run (or later in this one); does not start a run. */
  wantMerge (): void { this.#mergeWanted = true }

  requestMerge (): void {
    this.#mergeWanted = true
    // Remote changes are not held back by local churn: the pending scan runs now, then the merge.
    this.#wake?.()
    this.kickSoon()
  }

  /** A merge after `ms`, unless a retry is already due: backs off a drive not held yet, or a racing edit. */
  retryMergeIn (ms: number): void {
    if (this.#retryTimer !== null || this.#stopped) return
    this.#retryTimer = setTimeout(() => { this.#retryTimer = null; this.requestMerge() }, ms)
  }

  kickSoon (): void {
    if (this.#kickTimer !== null || this.#stopped) return
    this.#kickTimer = setTimeout(() => { this.#kickTimer = null; this.kick() }, this.#o.coalesceMs)
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
    this.#wake?.()
    await this.#running?.catch(() => {})
  }

  async #run (): Promise<void> {
    // A retry still pending fires anyway (and finds little to do); this run no longer waits for it.
    this.#retryTimer = null
    let churn = 0
    while (!this.#stopped && this.#jobs.runnable()) {
      const scan = this.#jobs.scanWanted()
      if (!scan && !this.#mergeWanted) break
      this.#jobs.state('syncing')
      if (scan) {
        await this.#jobs.scan()
        // Changes that came in while the scan ran: more are likely on their way.
        churn = this.#jobs.scanWanted() ? Math.min(this.#o.churnMaxMs, churn === 0 ? this.#o.churnMinMs : churn * 2) : 0
      }
      if (!this.#jobs.runnable()) break
      if (this.#mergeWanted) {
        this.#mergeWanted = false
        await this.#jobs.merge()
      }
      if (churn > 0 && !this.#mergeWanted && !this.#stopped) await this.#pause(churn)
    }
    if (!this.#stopped) this.#jobs.state('idle')
  }

  /** Waits `ms` within a run (still busy, still 'syncing'), unless woken first. */
  async #pause (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.#wake = null; resolve() }, ms)
      this.#wake = () => { clearTimeout(t); this.#wake = null; resolve() }
    })
  }
}

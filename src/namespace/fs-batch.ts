// The receiving side's per-file file system calls for small files, made by a worker thread in
// batches. Each async fs call is a trip through the libuv pool and back, and applying a small file
// took eight (lstat, open, write, futimes, fchown, fstat, close, rename): measured on the 2-core
// box, those trips were ~3 s of the receiving event loop's ~8.6 s for bench W1 (5,000 × 4 KiB).
// Here the calls asked for in one turn of the event loop go to the worker as one message, which
// makes them synchronously, one after the other, and answers with one message. Synchronous calls
// on the event loop itself were tried and reverted: an ext4 create stalls behind other processes'
// journal commits, and the stalls held the loop (~0.9 ms a file under load). In the worker they
// only hold the worker.
//
// One worker per process (like libuv's pool), started on first use; it does not keep the process
// alive while idle, and is stopped after IDLE_STOP_MS without work: a worker thread is a V8
// isolate of its own. Measured alone (jemalloc): the process held 10–20 MB more with the worker
// alive after 1–2,000 batches, and 8–11 MB of it went back when the worker stopped; bench:scale
// counted that as growth per file (100k files, the worker never stopped: writer 306 and receiver
// 342 B/file; stopped: 256–267 and 196–208). Starting it again costs 30–65 ms (2-core box, load
// 8): while it is stopped, a turn with fewer than WORKER_START_OPS operations goes to libuv.
import { WorkerCalls } from '../worker-calls.js'
import type { DiskEntry } from './scanner.js'
import { runDirect } from './fs-direct.js'

export interface Owner { uid: number, gid: number }

export type FsOp =
  | { t: 'stat', abs: string }
  | { t: 'read', abs: string }
  | { t: 'remove', abs: string, dir: boolean }
  | { t: 'put', abs: string, tmp: string, data: Uint8Array, mode: number, mtimeMs: number, owner: Owner | null }

export type FsResult = { ok: true, stat: DiskEntry | null, data?: Uint8Array } | { ok: false, code?: string, message: string }

/** A worker without work for this long is stopped. */
const IDLE_STOP_MS = 2000
/**
 * While it is stopped, a turn's operations go to libuv's pool (fs-direct.ts) unless there are this
 * many: a single change is not worth a thread start; a sync's or a scan's batches are.
 */
export const WORKER_START_OPS = 8
/**
 * While the worker loads, a turn that makes fewer file system calls than this goes to libuv rather
 * than wait for it; a larger one waits: on libuv each call is a trip through the pool that the
 * storage's reads share. Counted in calls, not operations: a small file's write is eight, a stat or
 * a removal one. Bench W6's receiver stats and removes 1,010 files 256 at a time right after its
 * worker was started (stopped after W1, idle): the first batch waited 106 ms for the load, where
 * the libuv pool answers 256 lstats in a few.
 */
const LOADING_DIRECT_CALLS = 512

/** About how many file system calls an operation makes (fs-steps.ts). */
function callsOf (op: FsOp): number {
  switch (op.t) {
    case 'stat': case 'remove': return 1
    case 'read': return 2
    case 'put': return 8
  }
}

/** Whether a turn's operations go to libuv while the worker loads rather than wait for it. */
export function directWhileLoading (ops: readonly FsOp[]): boolean {
  let calls = 0
  for (const op of ops) if ((calls += callsOf(op)) >= LOADING_DIRECT_CALLS) return false
  return true
}

interface Waiting { op: FsOp, resolve: (r: { stat: DiskEntry | null, data?: Uint8Array }) => void, reject: (err: Error) => void }

export class FsBatch {
  #worker: WorkerCalls<FsOp[], FsResult[]> | null = null
  #queue: Waiting[] = []
  /** Batches sent to the worker and not answered yet. */
  #inflight = 0
  #scheduled = false
  #idleTimer: NodeJS.Timeout | null = null
  readonly #idleStopMs: number
  readonly #workerStartOps: number

  constructor (opts: { idleStopMs?: number, workerStartOps?: number } = {}) {
    this.#idleStopMs = opts.idleStopMs ?? IDLE_STOP_MS
    this.#workerStartOps = opts.workerStartOps ?? WORKER_START_OPS
  }

  /** Whether the worker thread is running (it is stopped when idle). */
  get running (): boolean { return this.#worker !== null }
  /** Whether the worker is loaded and takes batches (before that, small ones go to libuv). */
  get loaded (): boolean { return this.#worker?.ready ?? false }

  /**
   * Starts the worker now when work for it is on the way (a merge round of many changes, deletions
   * held by the guard): its start (30–65 ms at load 8, measured up to ~300 ms inside bench W6's
   * receiving round) then overlaps the wait for that work instead of holding up its first batch.
   * Stopped again after IDLE_STOP_MS if nothing comes. Resolves once it has loaded, or failed to
   * (`loaded` tells which); callers that only start it need not wait.
   */
  async prestart (): Promise<void> {
    await this.#start().loaded
  }

  /** statEntry (scanner.ts) in the worker: null when nothing replicable is there. */
  async stat (abs: string): Promise<DiskEntry | null> {
    return (await this.#run({ t: 'stat', abs })).stat
  }

  /**
   * A whole file, and its lstat taken after the read (by path: unchanged since a scan means the
   * bytes are the scanned file's). Throws what the read throws (ENOENT, EISDIR…).
   */
  async read (abs: string): Promise<{ data: Buffer, after: DiskEntry | null }> {
    const r = await this.#run({ t: 'read', abs })
    const data = r.data ?? new Uint8Array(0)
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), after: r.stat }
  }

  /** unlink (rmdir for a directory); throws with the errno code (ENOENT, ENOTEMPTY…). */
  async remove (abs: string, dir: boolean): Promise<void> {
    await this.#run({ t: 'remove', abs, dir })
  }

  /**
   * Writes `data` to the new file `tmp` (mode, mtime, owner) and renames it to `abs`; the temp
   * file's stat (a rename keeps it). On failure the temp file is removed and the error (with its
   * errno code) thrown.
   */
  async put (op: Omit<Extract<FsOp, { t: 'put' }>, 't'>): Promise<DiskEntry> {
    const d = (await this.#run({ t: 'put', ...op, data: own(op.data) })).stat
    if (d === null) throw new Error(`no stat for ${op.tmp}`)
    return d
  }

  async #run (op: FsOp): Promise<{ stat: DiskEntry | null, data?: Uint8Array }> {
    return await new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject })
      if (this.#scheduled) return
      this.#scheduled = true
      setImmediate(() => { this.#flush() })
    })
  }

  #flush (): void {
    this.#scheduled = false
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return
    if (this.#worker === null && batch.length >= this.#workerStartOps) this.#start()
    const worker = this.#worker
    if (worker === null || (!worker.ready && directWhileLoading(batch.map((w) => w.op)))) {
      for (const w of batch) runDirect(w.op).then(w.resolve, w.reject)
      return
    }
    if (this.#idleTimer !== null) { clearTimeout(this.#idleTimer); this.#idleTimer = null }
    this.#inflight++
    worker.call(batch.map((w) => w.op)).then((results) => { this.#answer(batch, results) }, (err: Error) => {
      for (const w of batch) w.reject(err)
    }).finally(() => {
      if (--this.#inflight === 0) this.#stopWhenIdle()
    })
  }

  #start (): WorkerCalls<FsOp[], FsResult[]> {
    if (this.#worker !== null) return this.#worker
    const worker: WorkerCalls<FsOp[], FsResult[]> = new WorkerCalls(new URL('./fs-batch-thread.js', import.meta.url), {
      onGone: () => { if (this.#worker === worker) this.#worker = null }
    })
    this.#worker = worker
    this.#stopWhenIdle() // if no batch comes (prestart, or batches that go to libuv while it loads)
    return worker
  }

  /** Stops the worker after IDLE_STOP_MS unless a batch goes to it meanwhile. */
  #stopWhenIdle (): void {
    if (this.#idleTimer !== null) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null
      const worker = this.#worker
      if (worker === null || this.#inflight > 0 || this.#queue.length > 0) return
      // Its exit is not a failure: nothing is in flight, and later batches go to a new worker.
      this.#worker = null
      void worker.stop()
    }, this.#idleStopMs)
    this.#idleTimer.unref()
  }

  #answer (batch: Waiting[], results: FsResult[]): void {
    for (const [i, w] of batch.entries()) {
      const r = results[i]
      if (r === undefined) w.reject(new Error('no answer from the file system worker'))
      else if (r.ok) w.resolve(r)
      else w.reject(Object.assign(new Error(r.message), { code: r.code }))
    }
  }
}

/**
 * The bytes in an ArrayBuffer of their own: a message copies a view's whole ArrayBuffer, and a
 * packed file is a view of its 64 KiB block (blob-pack.ts), a small read one of Node's buffer pool.
 */
export function own (data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Uint8Array.prototype.slice.call(data)
}

/** The process's one batch worker. */
export const fsBatch = new FsBatch()

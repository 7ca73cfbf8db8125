// Calls into a worker thread: each message carries a number, the worker answers with the same
// number, and the caller's promise settles. Two parts of shoal use it for their synchronous file
// system calls off the event loop: the NFS server's fs workers (nfs/vfs/fs-worker.ts, one job per
// request) and the namespaces' batch worker (namespace/fs-batch.ts, one message per turn of the
// event loop). What they share lives here: the numbering, the replies, errors with their errno
// code, the "loaded" message, the process kept alive only while a call is out, and a thread that
// dies failing every call it held instead of leaving them waiting.
import { parentPort, Worker, type TransferListItem } from 'node:worker_threads'

/** The number of the worker's first message: it is loaded and takes calls. */
const READY = -1

type Reply = { id: number, ok: unknown } | { id: number, err: SerializedError }
interface SerializedError { message: string, code?: string, errno?: number, syscall?: string, path?: string }
interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void }

export interface WorkerCallsOptions {
  /** See Worker's option: off when descriptors opened in the worker belong to the caller's thread. */
  trackUnmanagedFds?: boolean
  /** Called once when the thread has gone (an error, an exit, or stop()); its calls have failed. */
  onGone?: () => void
}

export class WorkerCalls<Msg, Result> {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #ids = 0
  #gone = false
  #ready = false
  readonly loaded: Promise<boolean>
  #settleLoaded: (ok: boolean) => void = () => {}
  readonly #onGone: () => void

  constructor (url: URL, opts: WorkerCallsOptions = {}) {
    this.#onGone = opts.onGone ?? (() => {})
    this.loaded = new Promise((resolve) => { this.#settleLoaded = resolve })
    const worker = new Worker(url, { trackUnmanagedFds: opts.trackUnmanagedFds ?? true })
    this.#worker = worker
    // Held (ref) only while a call is out: an idle worker keeps no process alive.
    worker.unref()
    worker.on('message', (reply: Reply) => { this.#answer(reply) })
    worker.on('error', (err) => { this.#fail(err) })
    worker.on('exit', (code) => { this.#fail(new Error(`worker thread exited (${code})`)) })
  }

  /** The worker said it is loaded (calls made before wait in its port meanwhile). */
  get ready (): boolean { return this.#ready }
  /** Calls not answered yet. */
  get pending (): number { return this.#pending.size }
  get gone (): boolean { return this.#gone }

  async call (msg: Msg, transfer?: readonly TransferListItem[]): Promise<Result> {
    if (this.#gone) throw new Error('worker thread is stopped')
    const id = ++this.#ids
    if (this.#pending.size === 0) this.#worker.ref()
    return await new Promise<Result>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#worker.postMessage({ id, msg }, transfer)
    })
  }

  /** Stops the thread; calls still out fail. */
  async stop (): Promise<void> {
    this.#fail(new Error('worker thread is stopped'))
    await this.#worker.terminate()
  }

  #answer (reply: Reply): void {
    if (reply.id === READY) {
      this.#ready = true
      this.#settleLoaded(true)
      return
    }
    const p = this.#pending.get(reply.id)
    if (p === undefined) return
    this.#pending.delete(reply.id)
    if (this.#pending.size === 0) this.#worker.unref()
    if ('err' in reply) p.reject(Object.assign(new Error(reply.err.message), reply.err))
    else p.resolve(reply.ok)
  }

  #fail (err: Error): void {
    if (this.#gone) return
    this.#gone = true
    this.#ready = false
    this.#settleLoaded(false)
    const calls = [...this.#pending.values()]
    this.#pending.clear()
    this.#worker.unref()
    for (const p of calls) p.reject(err)
    this.#onGone()
  }
}

/**
 * The worker's side: answers each call with `handle`'s result, or with the error it threw (its
 * errno code, number, syscall and path kept, so that callers can test `code` as for any fs call).
 * Says READY once loaded.
 */
export function serveCalls<Msg, Result> (handle: (msg: Msg) => Result): void {
  const port = parentPort
  if (port === null) throw new Error('serveCalls runs in a worker thread')
  port.on('message', ({ id, msg }: { id: number, msg: Msg }) => {
    let reply: Reply
    try {
      reply = { id, ok: handle(msg) }
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      reply = { id, err: { message: String(e?.message ?? err), code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path } }
    }
    port.postMessage(reply)
  })
  port.postMessage({ id: READY, ok: null } satisfies Reply)
}

import { closeQuietly } from './fs-calls.js'
import { WorkerCalls } from '../../worker-calls.js'
import type { CreateJob, CreateResult, FsJob, LookupJob, LookupResult, SetattrJob, SetattrResult, WriteResult } from './fs-job.js'

/**
 * Worker threads that run a request's file-system calls as one job (fs-job.ts): an NFS create is
 * an lstat, an open, a chown/chmod/utimes and two stats in a row, and through libuv's pool each
 * is a round trip (a pool thread woken, then the event loop), which on a busy machine cost more
 * than the calls. Here it is one round trip. The calls are synchronous in the worker only: the
 * event loop never waits for the disk (issue #4), and a hung disk holds a worker, not the server.
 * Started on the first job; a worker that dies fails its jobs and is replaced on the next one
 * (worker-calls.ts).
 */
export class FsWorkers {
  #threads: Array<WorkerCalls<FsJob, unknown>> = []
  #closed = false

  constructor (private readonly count = 2) {}

  async create (job: Omit<CreateJob, 'op'>): Promise<CreateResult> { return await this.#run({ op: 'create', ...job }) as CreateResult }
  async setattr (job: Omit<SetattrJob, 'op'>): Promise<SetattrResult> { return await this.#run({ op: 'setattr', ...job }) as SetattrResult }
  async lookup (job: Omit<LookupJob, 'op'>): Promise<LookupResult> { return await this.#run({ op: 'lookup', ...job }) as LookupResult }

  /**
   * pwrite + fstat on a descriptor the caller keeps open until this resolves. The bytes are copied
   * once into their own ArrayBuffer, which moves to the worker (a view's whole backing buffer, the
   * socket's record, would otherwise be cloned with it).
   */
  async write (fd: number, offset: number, data: Buffer): Promise<WriteResult> {
    const own = new Uint8Array(data)
    return await this.#run({ op: 'write', fd, offset, data: own }, [own.buffer]) as WriteResult
  }

  /**
   * Closes descriptors nothing uses any more, in one job (through the thread pool once the workers
   * are closed). If the worker dies meanwhile they may stay open: closing them again could close a
   * number the kernel has handed out again.
   */
  async closeAll (fds: number[]): Promise<void> {
    if (this.#closed) await Promise.all(fds.map(closeQuietly))
    else await this.#run({ op: 'close', fds })
  }

  /** Jobs still running fail (a create's descriptor, if it was opened, closes with the thread). */
  async close (): Promise<void> {
    this.#closed = true
    const threads = this.#threads
    this.#threads = []
    await Promise.all(threads.map(async (t) => { await t.stop() }))
  }

  async #run (job: FsJob, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.#closed) throw new Error('fs workers are closed')
    return await this.#pick().call(job, transfer)
  }

  /** The least busy worker, starting one while fewer than `count` run. */
  #pick (): WorkerCalls<FsJob, unknown> {
    let best: WorkerCalls<FsJob, unknown> | undefined
    for (const t of this.#threads) if (!best || t.pending < best.pending) best = t
    if (best && (best.pending === 0 || this.#threads.length >= this.count)) return best
    // trackUnmanagedFds off: a descriptor a create opens there belongs to the main thread (the
    // descriptor cache closes it here); tracked, the worker would warn when the kernel hands the
    // number out again and close whatever holds it by then when the worker exits
    const thread: WorkerCalls<FsJob, unknown> = new WorkerCalls(new URL('./fs-worker-thread.js', import.meta.url), {
      trackUnmanagedFds: false,
      onGone: () => { this.#threads = this.#threads.filter((t) => t !== thread) }
    })
    this.#threads.push(thread)
    return thread
  }
}

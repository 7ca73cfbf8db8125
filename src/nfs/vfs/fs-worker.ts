import { Worker } from 'node:worker_threads'
import { closeQuietly } from './fs-calls.js'
import type { CreateJob, CreateResult, FsJob, LookupJob, LookupResult, SetattrJob, SetattrResult, WriteResult } from './fs-job.js'

/**
 * Worker threads that run a request's file-system calls as one job (fs-job.ts): an NFS create is
 * an lstat, an open, a chown/chmod/utimes and two stats in a row, and through libuv's pool each
 * is a round trip (a pool thread woken, then the event loop), which on a busy machine cost more
 * than the calls. Here it is one round trip. The calls are synchronous in the worker only: the
 * event loop never waits for the disk (issue #4), and a hung disk holds a worker, not the server.
 * Started on the first job; a worker that dies fails its jobs and is replaced on the next one.
 */
interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void }
interface Slot { worker: Worker, pending: Map<number, Pending> }

export class FsWorkers {
  #slots: Slot[] = []
  #ids = 0
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
    const slots = this.#slots
    this.#slots = []
    await Promise.all(slots.map(async (s) => { await s.worker.terminate() }))
  }

  async #run (job: FsJob, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.#closed) throw new Error('fs workers are closed')
    const slot = this.#pick()
    const id = ++this.#ids
    return await new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject })
      slot.worker.postMessage({ id, job }, transfer)
    })
  }

  /** The least busy worker, starting one while fewer than `count` run. */
  #pick (): Slot {
    let best: Slot | undefined
    for (const s of this.#slots) if (!best || s.pending.size < best.pending.size) best = s
    if (best && (best.pending.size === 0 || this.#slots.length >= this.count)) return best
    return this.#start()
  }

  #start (): Slot {
    // trackUnmanagedFds off: a descriptor a create opens here belongs to the main thread (the
    // descriptor cache closes it there); tracked, the worker would warn when the kernel hands the
    // number out again and close whatever holds it by then when the worker exits
    const worker = new Worker(new URL('./fs-worker-thread.js', import.meta.url), { trackUnmanagedFds: false })
    worker.unref() // an idle worker keeps no process alive; the server's socket does
    const slot: Slot = { worker, pending: new Map() }
    worker.on('message', ({ id, ok, err }: { id: number, ok?: unknown, err?: { message: string } }) => {
      const p = slot.pending.get(id)
      if (!p) return
      slot.pending.delete(id)
      if (err) p.reject(Object.assign(new Error(err.message), err))
      else p.resolve(ok)
    })
    const fail = (e: Error): void => {
      this.#slots = this.#slots.filter((s) => s !== slot)
      for (const p of slot.pending.values()) p.reject(e)
      slot.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => { fail(new Error(`fs worker exited (${code})`)) })
    this.#slots.push(slot)
    return slot
  }
}

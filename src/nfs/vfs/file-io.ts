import { FdCache, type Kind } from './fd-cache.js'
import { fdatasyncFd, fstatFd, pread, pwrite } from './fs-calls.js'
import { unpackStat } from './fs-job.js'
import type { FsWorkers } from './fs-worker.js'
import { ReadAhead, unchanged, type AheadData } from './read-ahead.js'
import type { Stat } from './types.js'
import { mapIoError, regular } from './util.js'

/**
 * The data path of the local vfs: READ, WRITE, COMMIT and truncation through cached descriptors
 * (fd-cache.ts), keyed by (export, inode) so a rename keeps them. Every call goes through the
 * thread pool; the attributes a reply needs after a write come from the descriptor (fstat), not
 * from a walk of the path: for a small write, in the same fs-worker job as the pwrite (one round
 * trip, not two). A sequential reader's next range is read ahead (read-ahead.ts).
 */

/** READs smaller than this are not read ahead (small files, directory-sized reads). */
const READ_AHEAD_MIN = 128 * 1024
/**
 * WRITEs up to this size that answer with attributes go to an fs worker as one pwrite + fstat job:
 * their bytes are copied once to get there, which above this costs more than the round trip saved.
 */
const JOB_WRITE_MAX = 64 * 1024

export class FileIo {
  readonly fds: FdCache
  readonly #ahead = new ReadAhead()
  /** READs answered with bytes read ahead */
  aheadHits = 0

  constructor (private readonly workers?: FsWorkers) {
    this.fds = new FdCache(undefined, undefined, workers && (async (fds) => { await workers.closeAll(fds) }))
  }

  /**
   * READ: eof when the file ends within this read. Not a regular file: ISDIR or INVAL. With
   * `attrs` (or when the bytes were read ahead, which needs a stat to trust them), `st` is the
   * file's stat, from the descriptor.
   */
  async read (key: string, abs: string, offset: bigint, count: number, attrs: boolean): Promise<{ data: Buffer, eof: boolean, st?: Stat | undefined }> {
    const ahead = this.#ahead.begin(key, offset, count)
    let got: { data: Buffer, eof: boolean, st?: Stat | undefined }
    let alone: boolean
    try {
      // a READ that may be read ahead of takes a stat beside its bytes: the one the range is checked against
      got = (ahead && await this.#fromAhead(key, abs, ahead)) ?? await this.#read(key, abs, offset, count, attrs || count >= READ_AHEAD_MIN)
    } finally { alone = this.#ahead.end(key) }
    if (alone && got.st && !got.eof && got.data.length === count && count >= READ_AHEAD_MIN) this.#readAhead(key, abs, offset + BigInt(count), count, got.st)
    return got
  }

  async #read (key: string, abs: string, offset: bigint, count: number, attrs: boolean): Promise<{ data: Buffer, eof: boolean, st?: Stat | undefined }> {
    return await this.fds.with(key, abs, false, async (fd, kind) => {
      regular(kind)
      if (count === 0 || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        const st = await fstatFd(fd)
        return { data: Buffer.alloc(0), eof: offset >= st.size, st }
      }
      const buf = Buffer.allocUnsafe(count)
      // the attributes beside the bytes: one round trip to the pool, not two in a row
      const [bytesRead, st] = await Promise.all([pread(fd, buf, count, Number(offset)), attrs ? fstatFd(fd) : undefined])
      if (bytesRead === count) return { data: buf, eof: false, st }
      return { data: buf.subarray(0, bytesRead), eof: true, st }
    }).catch(mapIoError)
  }

  /**
   * The bytes read ahead, if the file is as it was: a stat now equal to the one taken before they
   * were read means no change in between, so a pread now would read the same (else null: read again).
   */
  async #fromAhead (key: string, abs: string, ahead: Promise<AheadData | null>): Promise<{ data: Buffer, eof: boolean, st: Stat } | null> {
    const [got, now] = await Promise.all([ahead, this.fds.with(key, abs, false, (fd) => fstatFd(fd)).catch(() => null)])
    if (got === null || now === null || !unchanged(got.st, now)) return null
    this.aheadHits++
    return { data: got.data, eof: got.eof, st: now }
  }

  /**
   * Reads (offset, count) ahead for the READ that likely comes next. `st`: the file's stat taken
   * by the READ just served, before this pread starts; the range is trusted only while the file's
   * stat still equals it (a change after `st`, before or during the pread, fails that check).
   */
  #readAhead (key: string, abs: string, offset: bigint, count: number, st: Stat): void {
    if (offset >= st.size || offset + BigInt(count) > BigInt(Number.MAX_SAFE_INTEGER)) return
    const done = this.fds.with(key, abs, false, async (fd, kind): Promise<AheadData | null> => {
      if (kind !== 'file') return null
      const buf = Buffer.allocUnsafe(count)
      const n = await pread(fd, buf, count, Number(offset))
      return { data: n === count ? buf : buf.subarray(0, n), eof: offset + BigInt(n) >= st.size, st }
    }).catch(() => null)
    this.#ahead.set(key, offset, count, done)
  }

  /**
   * WRITE, synced before it returns when `sync`. With `attrs`, the file's attributes once written
   * (an fstat issued after the last byte, beside the sync: syncing changes no attribute).
   */
  async write (key: string, abs: string, offset: number, data: Buffer, sync: boolean, attrs: boolean): Promise<Stat | undefined> {
    this.#ahead.drop(key)
    return await this.fds.with(key, abs, true, async (fd, kind) => {
      regular(kind)
      if (attrs && !sync && this.workers && data.length <= JOB_WRITE_MAX) return unpackStat((await this.workers.write(fd, offset, data)).stat)
      let done = 0
      while (done < data.length) done += await pwrite(fd, data, done, data.length - done, offset + done)
      const [st] = await Promise.all([attrs ? fstatFd(fd) : undefined, sync ? fdatasyncFd(fd) : undefined])
      return st
    }).catch(mapIoError).finally(() => { this.#ahead.drop(key) }) // a range read ahead during the write may hold some of it
  }

  async commit (key: string, abs: string): Promise<void> {
    await this.fds.with(key, abs, false, async (fd, kind) => { regular(kind); await fdatasyncFd(fd) }).catch(mapIoError)
  }

  /** The file was truncated behind the descriptor cache's back (an fs-worker SETATTR): what was read ahead may be gone. */
  dropAhead (key: string): void { this.#ahead.drop(key) }
  adopt (key: string, fd: number, kind: Kind): void { this.fds.adopt(key, fd, kind) }
  forget (key: string): void { this.#ahead.drop(key); this.fds.forget(key) }
  async close (): Promise<void> { await this.fds.close() }
}

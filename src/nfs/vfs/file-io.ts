import { FdCache, type Kind } from './fd-cache.js'
import { fdatasyncFd, fstatFd, ftruncateFd, pread, pwrite } from './fs-calls.js'
import type { Stat } from './types.js'
import { mapIoError, regular } from './util.js'

/**
 * The data path of the local vfs: READ, WRITE, COMMIT and truncation through cached descriptors
 * (fd-cache.ts), keyed by (export, inode) so a rename keeps them. Every call goes through the
 * thread pool; the attributes a reply needs after a write come from the descriptor (fstat), not
 * from a walk of the path.
 */
export class FileIo {
  readonly fds = new FdCache()

  /** READ: eof when the file ends within this read. Not a regular file: ISDIR or INVAL. */
  async read (key: string, abs: string, offset: bigint, count: number): Promise<{ data: Buffer, eof: boolean }> {
    return await this.fds.with(key, abs, false, async (fd, kind) => {
      regular(kind)
      if (count === 0 || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
        const size = (await fstatFd(fd)).size
        return { data: Buffer.alloc(0), eof: offset >= size }
      }
      const buf = Buffer.allocUnsafe(count)
      const bytesRead = await pread(fd, buf, count, Number(offset))
      if (bytesRead === count) return { data: buf, eof: false }
      return { data: buf.subarray(0, bytesRead), eof: true }
    }).catch(mapIoError)
  }

  /**
   * WRITE, synced before it returns when `sync`. With `attrs`, the file's attributes once written
   * (an fstat issued after the last byte, beside the sync: syncing changes no attribute).
   */
  async write (key: string, abs: string, offset: number, data: Buffer, sync: boolean, attrs: boolean): Promise<Stat | undefined> {
    return await this.fds.with(key, abs, true, async (fd, kind) => {
      regular(kind)
      let done = 0
      while (done < data.length) done += await pwrite(fd, data, done, data.length - done, offset + done)
      const [st] = await Promise.all([attrs ? fstatFd(fd) : undefined, sync ? fdatasyncFd(fd) : undefined])
      return st
    }).catch(mapIoError)
  }

  async commit (key: string, abs: string): Promise<void> {
    await this.fds.with(key, abs, false, async (fd, kind) => { regular(kind); await fdatasyncFd(fd) }).catch(mapIoError)
  }

  async truncate (key: string, abs: string, size: number): Promise<void> {
    await this.fds.with(key, abs, true, async (fd) => { await ftruncateFd(fd, size) })
  }

  adopt (key: string, fd: number, kind: Kind): void { this.fds.adopt(key, fd, kind) }
  forget (key: string): void { this.fds.forget(key) }
  async close (): Promise<void> { await this.fds.close() }
}

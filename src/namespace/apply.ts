// Writing remote state into the folder. Every write lands atomically: content goes to a temp file
// beside the target (same file system) and is renamed over it, then the index records the exact
// stat it produced, so the scanner sees no change and nothing is echoed back.
import { randomBytes } from 'node:crypto'
import { chmod, chown, lchown, mkdir, open, rename, symlink, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { returnFrame } from '../engine/side-stream.js'
import { isErrno } from '../errors.js'
import { fsBatch, type Owner } from './fs-batch.js'
import type { EntryVersion, FolderIndex, IndexEntry } from './index.js'
import { statEntry, TEMP_PREFIX, type DiskEntry } from './scanner.js'

export type { Owner }

/**
 * Writes `source`'s chunks to a new file at `tmp`, each while the next one is fetched (and
 * hashed); a chunk goes back to its side link once written (returnFrame: a received frame on
 * loan, content.ts).
 */
async function writeChunks (tmp: string, source: AsyncIterable<Buffer>, mode: number): Promise<void> {
  const fh = await open(tmp, 'w', mode)
  let writing: Promise<void> | null = null
  try {
    for await (const chunk of source) {
      await writing
      writing = writeAll(fh, chunk).then(() => { returnFrame(chunk) })
      writing.catch(() => {}) // handled: it rejects the next await of it, not the process meanwhile
    }
    await writing
  } finally {
    await writing?.catch(() => {}) // never close under a write
    await fh.close()
  }
}

async function writeAll (fh: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten
}

export class FolderWriter {
  readonly folder: string
  readonly index: FolderIndex
  readonly #owner: Owner | null

  constructor (folder: string, index: FolderIndex, owner: Owner | null) {
    this.folder = folder
    this.index = index
    this.#owner = owner
  }

  abs (path: string): string { return join(this.folder, path) }

  /** Writes a file from its chunks in order (null: empty) and records it. */
  async writeFile (path: string, source: AsyncIterable<Buffer> | null, mode: number, mtimeMs: number, hash: string, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    const written = await this.#viaTemp(path, async (tmp) => {
      if (source === null) await writeFile(tmp, Buffer.alloc(0), { mode })
      else await writeChunks(tmp, source, mode)
      await chmod(tmp, mode)
      await utimes(tmp, new Date(mtimeMs), new Date(mtimeMs))
      if (this.#owner !== null) await chown(tmp, this.#owner.uid, this.#owner.gid).catch(() => {})
    })
    await this.record(path, hash, ver, written)
  }

  /**
   * Writes a file held in memory (small files) and records it: the same steps as writeFile, made by
   * the file system worker (fs-batch.ts) with the other small files of the same moment, with no
   * streams, and chmod only when the umask changed the mode.
   */
  async writeBytes (path: string, content: Buffer, mode: number, mtimeMs: number, hash: string, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    const abs = this.abs(path)
    const written = await fsBatch.put({ abs, tmp: join(dirname(abs), tempName()), data: content, mode, mtimeMs, owner: this.#owner })
    await this.record(path, hash, ver, written)
  }

  /** statEntry of a path, by the file system worker (batched with the small files' writes). */
  async stat (path: string): Promise<DiskEntry | null> {
    return await fsBatch.stat(this.abs(path))
  }

  async writeLink (path: string, target: string, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    const written = await this.#viaTemp(path, async (tmp) => {
      await symlink(target, tmp)
      if (this.#owner !== null) await lchown(tmp, this.#owner.uid, this.#owner.gid).catch(() => {})
    })
    await this.record(path, target, ver, written)
  }

  async makeDir (path: string, mode: number, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    try {
      await mkdir(this.abs(path), { mode })
      if (this.#owner !== null) await chown(this.abs(path), this.#owner.uid, this.#owner.gid).catch(() => {})
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err
    }
    await chmod(this.abs(path), mode)
    await this.record(path, '', ver)
  }

  /**
   * Removes a file, link or empty directory; false if a directory still holds something. By the
   * file system worker, with the other removals of the moment (W6: 1,000 unlinks in a few messages).
   */
  async remove (path: string, kind: IndexEntry['kind']): Promise<boolean> {
    try {
      await fsBatch.remove(this.abs(path), kind === 'dir')
    } catch (err) {
      if (isErrno(err, 'ENOTEMPTY') || isErrno(err, 'EEXIST')) return false
      if (!isErrno(err, 'ENOENT')) throw err
    }
    this.index.delete(path)
    return true
  }

  /** Creates missing parent directories; ones not in the index are recorded as local, to be published. */
  async ensureParents (path: string): Promise<void> {
    const parts = path.split('/').slice(0, -1)
    let cur = ''
    for (const part of parts) {
      cur = cur === '' ? part : `${cur}/${part}`
      const known = this.index.get(cur)
      if (known?.kind === 'dir') continue
      try {
        await mkdir(this.abs(cur), { mode: 0o755 })
        if (this.#owner !== null) await chown(this.abs(cur), this.#owner.uid, this.#owner.gid).catch(() => {})
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err
      }
      if (known === undefined) await this.record(cur, '', null)
    }
  }

  /**
   * Records `path` as holding content `hash`. Pass the stat the hash was taken from (or the temp
   * file's stat, for what we wrote): a fresh stat here could already describe a newer local write,
   * and recording it with the older hash would hide that write from every later scan for good.
   */
  async record (path: string, hash: string, ver: EntryVersion | null, stat?: DiskEntry | null): Promise<IndexEntry | null> {
    const d = stat ?? await statEntry(this.abs(path))
    if (d === null) {
      this.index.delete(path)
      return null
    }
    const entry: IndexEntry = { kind: d.kind, size: d.size, mtimeMs: d.mtimeMs, mode: d.mode, ino: d.ino, hash: d.kind === 'link' ? (d.target ?? hash) : hash, ver }
    this.index.set(path, entry)
    return entry
  }

  /**
   * Makes the new state under a temp name beside `path`, then renames it into place. Returns the
   * temp file's stat from before the rename (a rename keeps inode, size, mode and mtime).
   */
  async #viaTemp (path: string, make: (tmp: string) => Promise<DiskEntry | undefined | void>): Promise<DiskEntry | null> {
    const tmp = join(dirname(this.abs(path)), tempName())
    try {
      // `make` may return the temp file's stat itself (from its open handle): one call fewer.
      const made = await make(tmp) ?? await statEntry(tmp)
      await rename(tmp, this.abs(path))
      return made
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
  }
}

/**
 * Temp names are TEMP_PREFIX + 12 hex digits (the scanner removes exactly those after a crash): a
 * random half per process and a counter, where 6 random bytes per file were a measurable cost.
 */
const TEMP_BASE = randomBytes(3).toString('hex')
let tempCounter = 0
function tempName (): string {
  tempCounter = (tempCounter + 1) % 0x1000000
  return `${TEMP_PREFIX}${TEMP_BASE}${tempCounter.toString(16).padStart(6, '0')}`
}

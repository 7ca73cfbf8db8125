// Writing remote state into the folder. Every write lands atomically: content goes to a temp file
// beside the target (same file system) and is renamed over it, then the index records the exact
// stat it produced, so the scanner sees no change and nothing is echoed back.
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { chmod, chown, lchown, mkdir, rename, rmdir, symlink, unlink, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isErrno } from '../errors.js'
import type { EntryVersion, FolderIndex, IndexEntry } from './index.js'
import { statEntry, TEMP_PREFIX, type DiskEntry } from './scanner.js'

export interface Owner { uid: number, gid: number }

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

  /** Writes a file from a stream (null: empty) and records it. */
  async writeFile (path: string, source: Readable | null, mode: number, mtimeMs: number, hash: string, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    const tmp = this.#tmpName(path)
    let written: DiskEntry | null
    try {
      if (source === null) await writeFile(tmp, Buffer.alloc(0), { mode })
      else await pipeline(source, createWriteStream(tmp, { mode }))
      await chmod(tmp, mode)
      await utimes(tmp, new Date(mtimeMs), new Date(mtimeMs))
      if (this.#owner !== null) await chown(tmp, this.#owner.uid, this.#owner.gid).catch(() => {})
      // The stat of what we wrote (a rename keeps it): a local write right after the rename must
      // show as a change to the next scan, not be recorded as the remote version.
      written = await statEntry(tmp)
      await rename(tmp, this.abs(path))
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    await this.record(path, hash, ver, written ?? undefined)
  }

  async writeLink (path: string, target: string, ver: EntryVersion | null): Promise<void> {
    await this.ensureParents(path)
    const tmp = this.#tmpName(path)
    await symlink(target, tmp)
    if (this.#owner !== null) await lchown(tmp, this.#owner.uid, this.#owner.gid).catch(() => {})
    try {
      await rename(tmp, this.abs(path))
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    await this.record(path, target, ver)
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

  /** Removes a file, link or empty directory; false if a directory still holds something. */
  async remove (path: string, kind: IndexEntry['kind']): Promise<boolean> {
    try {
      if (kind === 'dir') await rmdir(this.abs(path))
      else await unlink(this.abs(path))
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
   * Records what is on disk now at `path` (or the stat `seen` when the caller read the content at
   * that stat: a later change must still show as a change) as corresponding to `ver`.
   */
  async record (path: string, hash: string, ver: EntryVersion | null, seen?: DiskEntry): Promise<IndexEntry | null> {
    const d = seen ?? await statEntry(this.abs(path))
    if (d === null) {
      this.index.delete(path)
      return null
    }
    const entry: IndexEntry = { kind: d.kind, size: d.size, mtimeMs: d.mtimeMs, mode: d.mode, ino: d.ino, hash: d.kind === 'link' ? (d.target ?? hash) : hash, ver }
    this.index.set(path, entry)
    return entry
  }

  #tmpName (path: string): string {
    return join(dirname(this.abs(path)), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`)
  }
}

// The persistent index: what shoal believes is in the folder, path → size, mtime, inode, mode,
// hash, and the drive entry that state came from (ours, or adopted from a peer). Comparing the disk
// with it finds local changes without trusting inotify; comparing it with a drive entry tells
// whether applying that entry would overwrite something local the entry had not seen.
import type { EntryKind } from './conflict.js'
import { readJson, writeJsonAtomic } from './json-file.js'

export interface EntryVersion { w: string, c: number }

export interface IndexEntry {
  kind: Exclude<EntryKind, 'tomb'>
  size: number
  mtimeMs: number
  mode: number
  ino: number
  /** sha256 hex for files, the target for links, '' for dirs. */
  hash: string
  /** The drive entry this state corresponds to; null: a local state not published yet. */
  ver: EntryVersion | null
}

interface IndexFile { v: 1, entries: Array<[string, IndexEntry]> }

const SAVE_DELAY_MS = 1000

export class FolderIndex {
  readonly file: string
  #entries = new Map<string, IndexEntry>()
  #timer: NodeJS.Timeout | null = null
  #saving: Promise<void> = Promise.resolve()

  constructor (file: string) {
    this.file = file
  }

  async load (): Promise<void> {
    const data = await readJson<IndexFile>(this.file)
    this.#entries = new Map(data?.v === 1 ? data.entries : [])
  }

  get size (): number { return this.#entries.size }
  get (path: string): IndexEntry | undefined { return this.#entries.get(path) }
  entries (): IterableIterator<[string, IndexEntry]> { return this.#entries.entries() }

  set (path: string, entry: IndexEntry): void {
    this.#entries.set(path, entry)
    this.#changed()
  }

  clear (): void {
    this.#entries.clear()
    this.#changed()
  }

  delete (path: string): void {
    if (this.#entries.delete(path)) this.#changed()
  }

  /** `prefix` itself and everything below it ('' is everything). */
  * under (prefix: string): IterableIterator<[string, IndexEntry]> {
    for (const e of this.#entries) if (isUnder(e[0], prefix)) yield e
  }

  /** Files only: what the mass-delete guard counts. */
  fileCount (): number {
    let n = 0
    for (const e of this.#entries.values()) if (e.kind !== 'dir') n++
    return n
  }

  async flush (): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
      this.#saving = this.#saving.then(() => this.#write())
    }
    await this.#saving
  }

  #changed (): void {
    // Saves are coalesced: a scan of thousands of files writes the index once.
    if (this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#saving = this.#saving.then(() => this.#write()).catch(() => {})
    }, SAVE_DELAY_MS)
  }

  async #write (): Promise<void> {
    const data: IndexFile = { v: 1, entries: [...this.#entries] }
    await writeJsonAtomic(this.file, data)
  }
}

export function isUnder (path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/')
}

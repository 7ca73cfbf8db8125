// The persistent index: what shoal believes is in the folder, path → size, mtime, inode, mode,
// hash, and the drive entry that state came from (ours, or adopted from a peer). Comparing the disk
// with it finds local changes without trusting inotify; comparing it with a drive entry tells
// whether applying that entry would overwrite something local the entry had not seen.
import type { EntryKind } from './conflict.js'
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { isErrno } from '../errors.js'
import { readJson, writeChunksAtomic } from './json-file.js'
import { PackedEntries, type IndexTotals } from './packed-entries.js'

export type { IndexTotals }

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
/** One line of the change log: the path's new entry, or null when it left the index. */
type LogLine = [string, IndexEntry | null]

const SAVE_DELAY_MS = 250
/** The log is folded into a new snapshot once it is larger than this and than the snapshot. */
const MIN_COMPACT_BYTES = 1 << 20

/**
 * Persisted as a snapshot (`index.json`, the v1 format) plus an append-only change log
 * (`index.json.log`, one JSON line per changed path). A save appends only what changed since the
 * last one; the log is folded into a new snapshot when it outgrows it, so the cost per change stays
 * constant. Before, every save rewrote the whole index: measured at 100,000 entries, a 27 MB file
 * and 360 ms of JSON.stringify on the event loop per save, every 250 ms while a sync ran.
 * A crash mid-append leaves a torn last line, which load() skips (that change is found again by the
 * next scan, as before).
 * In memory the entries are packed (packed-entries.ts): ~390 heap bytes per path before, see there.
 */
export class FolderIndex {
  readonly file: string
  readonly #logFile: string
  readonly #entries = new PackedEntries()
  /** Paths changed since the last save. */
  #dirty = new Set<string>()
  #rewrite = false
  #logBytes = 0
  #snapshotBytes = 0
  #timer: NodeJS.Timeout | null = null
  #saving: Promise<void> = Promise.resolve()
  /** After close(): changes stay in memory and are not saved. */
  #closed = false

  constructor (file: string) {
    this.file = file
    this.#logFile = `${file}.log`
  }

  async load (): Promise<void> {
    const data = await readJson<IndexFile>(this.file)
    this.#entries.clear()
    for (const [path, e] of data?.v === 1 ? data.entries : []) this.#entries.set(path, e)
    this.#snapshotBytes = (await stat(this.file).catch(() => null))?.size ?? 0
    let log = ''
    try { log = await readFile(this.#logFile, 'utf8') } catch (err) { if (!isErrno(err, 'ENOENT')) throw err }
    this.#logBytes = Buffer.byteLength(log)
    for (const line of log.split('\n')) {
      if (line === '') continue
      let parsed: LogLine
      try { parsed = JSON.parse(line) as LogLine } catch { continue } // a torn last line after a crash
      const [path, e] = parsed
      if (e === null) this.#entries.delete(path)
      else this.#entries.set(path, e)
    }
  }

  get size (): number { return this.#entries.size }
  get (path: string): IndexEntry | undefined { return this.#entries.get(path) }
  /** Decodes every entry: prefer paths(), totals and get() where they do. */
  entries (): IterableIterator<[string, IndexEntry]> { return this.#entries.entries() }
  paths (): IterableIterator<string> { return this.#entries.paths() }
  /** Files (non-directories), their bytes and conflict copies, kept up to date on every change. */
  get totals (): Readonly<IndexTotals> { return this.#entries.totals }

  set (path: string, entry: IndexEntry): void {
    this.#entries.set(path, entry)
    this.#changed(path)
  }

  clear (): void {
    this.#entries.clear()
    this.#rewrite = true
    this.#changed(null)
  }

  delete (path: string): void {
    if (this.#entries.delete(path)) this.#changed(path)
  }

  /** The paths at or below `prefix` ('' is everything). */
  * under (prefix: string): IterableIterator<string> {
    yield * this.#entries.pathsUnder(prefix)
  }

  /** Files only: what the mass-delete guard counts. */
  fileCount (): number { return this.#entries.totals.files }

  async flush (): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
      this.#saving = this.#saving.then(() => this.#write())
    }
    await this.#saving
  }

  /** Saves what changed and stops saving: the folder holding the index may be removed next (`ctl del`). */
  async close (): Promise<void> {
    await this.flush()
    this.#closed = true
  }

  #changed (path: string | null): void {
    if (this.#closed) return
    if (path !== null) this.#dirty.add(path)
    // Saves are coalesced: a scan of thousands of files writes once.
    if (this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#saving = this.#saving.then(() => this.#write()).catch(() => {})
    }, SAVE_DELAY_MS)
  }

  async #write (): Promise<void> {
    const compact = this.#rewrite || (this.#logBytes > MIN_COMPACT_BYTES && this.#logBytes > this.#snapshotBytes)
    if (compact) {
      // The log first gets what changed so far (unless the index was cleared), so that a crash
      // between the new snapshot and the emptied log replays a log no older than the snapshot's
      // start. The snapshot is written in slices while the replica goes on: what changes meanwhile
      // is dirty again and goes to the emptied log by the next save.
      if (this.#rewrite) this.#dirty.clear()
      else await this.#appendDirty()
      this.#rewrite = false
      this.#snapshotBytes = await writeChunksAtomic(this.file, snapshotChunks(this.#entries))
      await writeFile(this.#logFile, '', { mode: 0o600 })
      this.#logBytes = 0
      return
    }
    await this.#appendDirty()
  }

  async #appendDirty (): Promise<void> {
    if (this.#dirty.size === 0) return
    let text = ''
    for (const path of this.#dirty) text += JSON.stringify([path, this.#entries.get(path) ?? null] satisfies LogLine) + '\n'
    this.#dirty.clear()
    // No mkdir: the replica made the folder, and one removed since (the namespace deleted) stays
    // removed rather than coming back with a stray log in it.
    await appendFile(this.#logFile, text, { mode: 0o600 })
    this.#logBytes += Buffer.byteLength(text)
  }
}

/**
 * `{"v":1,"entries":[…]}` in pieces of SNAPSHOT_SLICE entries. Taken while the index may change:
 * a path set again meanwhile can appear twice (load keeps the last), one deleted meanwhile is
 * missing; either way the change is dirty and reaches the log.
 */
function * snapshotChunks (entries: PackedEntries): Generator<string> {
  const SNAPSHOT_SLICE = 2000
  yield '{"v":1,"entries":['
  let part: string[] = []
  let first = true
  for (const e of entries.entries()) {
    part.push(JSON.stringify(e))
    if (part.length === SNAPSHOT_SLICE) {
      yield (first ? '' : ',') + part.join(',')
      first = false
      part = []
    }
  }
  if (part.length > 0) yield (first ? '' : ',') + part.join(',')
  yield ']}'
}

export function isUnder (path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/')
}

// The watcher: one inotify watch per directory (fs.watch, not recursive), for speed only. Node's
// own recursive mode on Linux watches files by inode and goes deaf to a file once it is replaced by
// rename, which is exactly how remote content lands, so it is not used. Events may still be missed
// (inotify limits, a moved-away folder): the periodic rescan against the index is the safety net,
// and the NFS server calls notifyChange itself.
import { watch, type FSWatcher } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../log.js'
import { isTempName } from './scanner.js'

/** How long names that appeared are collected before their directories are read (see #named). */
const APPEARED_MS = 50

/** Beyond this many directories, polling (the rescan) is cheaper than watching. */
const MAX_WATCHED_DIRS = 8192

export class Watcher {
  readonly #folder: string
  readonly #onPath: (path: string | null) => void
  readonly #log: Logger
  readonly #dirs = new Map<string, FSWatcher>()
  readonly #appeared = new Map<string, Set<string>>()
  #active = false

  /** `onPath(null)`: something changed, path unknown (rescan everything). */
  constructor (folder: string, onPath: (path: string | null) => void, log: Logger) {
    this.#folder = folder
    this.#onPath = onPath
    this.#log = log
  }

  get active (): boolean { return this.#active }

  /** Starts watching; false if the folder cannot be watched (the rescan covers). */
  start (): boolean {
    if (this.#active) return true
    this.#active = this.#watchDir('')
    if (this.#active) void this.#watchTree('')
    return this.#active
  }

  stop (): void {
    this.#active = false
    for (const w of this.#dirs.values()) w.close()
    this.#dirs.clear()
    this.#appeared.clear()
  }

  #watchDir (rel: string): boolean {
    if (this.#dirs.has(rel)) return true
    if (this.#dirs.size >= MAX_WATCHED_DIRS) {
      this.#log.debug(`more than ${MAX_WATCHED_DIRS} directories: relying on the rescan for the rest`)
      return false
    }
    try {
      const w = watch(join(this.#folder, rel), { persistent: false }, (event, name) => {
        if (name === null) { this.#onPath(rel === '' ? null : rel); return }
        const child = rel === '' ? name.toString() : `${rel}/${name.toString()}`
        if (isTempName(child)) return
        this.#onPath(child)
        // A new directory (or one moved in, or recreated under an old name) needs fresh watches.
        // Only names appearing or going away ('rename') can be one; content changes cannot.
        if (!this.#active || event !== 'rename') return
        if (this.#dirs.has(child)) this.#unwatch(child)
        this.#named(rel, name.toString())
      })
      w.on('error', () => { this.#unwatch(rel) })
      this.#dirs.set(rel, w)
      return true
    } catch (err) {
      if (rel === '') this.#log.debug(`cannot watch the folder (${(err as Error).message}); polling`)
      return false
    }
  }

  /**
   * Names that appeared or went away, looked at together APPEARED_MS later: one readdir of their
   * directory tells which are directories to watch. One readdir per name (ENOTDIR for every new
   * file) cost more than the rest of the watcher when thousands of files arrive at once, and one
   * per directory per turn of the event loop still was ~0.3 s of a receiver's loop applying
   * 5,000 files (each write is a name appearing). A new directory is watched that much later:
   * what appears in it meanwhile is found by the scan of the new directory its own event causes.
   */
  #named (dir: string, name: string): void {
    const names = this.#appeared.get(dir)
    if (names !== undefined) { names.add(name); return }
    this.#appeared.set(dir, new Set([name]))
    if (this.#appeared.size === 1) setTimeout(() => { void this.#watchAppeared() }, APPEARED_MS).unref()
  }

  async #watchAppeared (): Promise<void> {
    const all = [...this.#appeared]
    this.#appeared.clear()
    for (const [dir, names] of all) {
      let entries
      try {
        entries = await readdir(join(this.#folder, dir), { withFileTypes: true })
      } catch {
        continue // gone too: its parent's event covers it
      }
      for (const e of entries) {
        if (e.isDirectory() && names.has(e.name) && !isTempName(e.name)) await this.#watchTree(dir === '' ? e.name : `${dir}/${e.name}`, true)
      }
    }
  }

  /**
   * Watches `rel` and the directories below it. `appeared`: a directory that is new since the
   * watcher started. Its own event had it scanned, but that scan may have run before this watch
   * existed, and a file made in between gave no event: it waited for the periodic rescan (bench
   * W1: a directory's last 100 files published 56 s late). So it is reported again once watched;
   * from then on its events cover it.
   */
  async #watchTree (rel: string, appeared = false): Promise<void> {
    // Watched before it is read, so that a directory made below it in between is seen either way.
    if (!this.#active || !this.#watchDir(rel)) return
    let entries
    try {
      entries = await readdir(join(this.#folder, rel), { withFileTypes: true })
    } catch {
      if (rel !== '') this.#unwatch(rel) // replaced by a file, or gone already
      return
    }
    if (appeared) this.#onPath(rel)
    for (const e of entries) {
      if (e.isDirectory() && !isTempName(e.name)) await this.#watchTree(rel === '' ? e.name : `${rel}/${e.name}`, appeared)
    }
  }

  #unwatch (rel: string): void {
    for (const [dir, w] of this.#dirs) {
      if (dir === rel || dir.startsWith(rel === '' ? '' : rel + '/')) {
        w.close()
        this.#dirs.delete(dir)
      }
    }
    if (rel === '') {
      this.#active = false
      this.#onPath(null)
    }
  }
}

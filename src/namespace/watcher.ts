// The watcher: fs.watch(recursive) where the platform has it, for speed only. It may miss events
// (inotify limits, a moved-away folder): the periodic rescan against the index is the safety net,
// and the NFS server calls notifyChange itself.
import { watch, type FSWatcher } from 'node:fs'
import type { Logger } from '../log.js'
import { isTempName } from './scanner.js'

export class Watcher {
  readonly #folder: string
  readonly #onPath: (path: string | null) => void
  readonly #log: Logger
  #fs: FSWatcher | null = null

  /** `onPath(null)`: something changed, path unknown (rescan everything). */
  constructor (folder: string, onPath: (path: string | null) => void, log: Logger) {
    this.#folder = folder
    this.#onPath = onPath
    this.#log = log
  }

  get active (): boolean { return this.#fs !== null }

  /** Starts watching; false if the platform or the folder does not allow it (polling covers). */
  start (): boolean {
    if (this.#fs !== null) return true
    try {
      this.#fs = watch(this.#folder, { recursive: true, persistent: false }, (_event, name) => {
        if (name === null) { this.#onPath(null); return }
        const path = name.toString().split('\\').join('/')
        if (!isTempName(path)) this.#onPath(path)
      })
      this.#fs.on('error', (err) => {
        this.#log.debug(`watcher stopped: ${err.message}; the periodic rescan covers`)
        this.stop()
        this.#onPath(null)
      })
      return true
    } catch (err) {
      this.#log.debug(`no recursive watcher here (${(err as Error).message}); polling`)
      return false
    }
  }

  stop (): void {
    this.#fs?.close()
    this.#fs = null
  }
}

// Progress of long syncs (an initial sync, a big copy) for the daemon log: a line when one starts,
// one every few seconds, and a summary at the end. Short syncs log nothing.
import type { Logger } from '../log.js'

export interface Pending { files: number, bytes: number }

const START_FILES = 500
const START_BYTES = 256 << 20
const EVERY_MS = 5000

export class SyncProgress {
  readonly #log: Logger
  #run: { started: number, files: number, bytes: number, logged: number } | null = null

  constructor (log: Logger) {
    this.#log = log
  }

  update (p: Pending, now = Date.now()): void {
    if (this.#run === null) {
      if (p.files < START_FILES && p.bytes < START_BYTES) return
      this.#run = { started: now, files: p.files, bytes: p.bytes, logged: now }
      this.#log.info(`syncing ${p.files} changes (${mib(p.bytes)}) from peers`)
      return
    }
    if (now - this.#run.logged < EVERY_MS) return
    this.#run.logged = now
    this.#log.info(`syncing: ${p.files} changes (${mib(p.bytes)}) to go`)
  }

  done (now = Date.now()): void {
    if (this.#run === null) return
    const secs = ((now - this.#run.started) / 1000).toFixed(1)
    this.#log.info(`sync done: ${this.#run.files} changes (${mib(this.#run.bytes)}) in ${secs} s`)
    this.#run = null
  }
}

function mib (bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`
}

// Watches the free space where shoal keeps a namespace's state and drives. The drive store
// (RocksDB) swallows its own write errors during replication, so without this a full disk looks
// 'idle' while nothing arrives any more (measured: a 24 MiB tmpfs at 100 %, status idle, no log line).
import { statfs } from 'node:fs/promises'
import { STORE_WRITE_BUFFER } from '../engine/store.js'

/**
 * Below this much free space the namespace reports ENOSPC. RocksDB stops for good well before the
 * disk is at 0: flushing a memtable writes a table and opens a new log, each up to a memtable's
 * size, and once that fails it drops writes until reopened (seen in CI: stuck with 2.9 MB of a
 * 24 MiB tmpfs free, status idle, while a 1 MiB threshold waited). Reporting is all this decides;
 * nothing is refused while above 0.
 */
export const LOW_SPACE_BYTES = 4 * STORE_WRITE_BUFFER
const CHECK_MS = 1000

export class DiskSpaceWatch {
  readonly #dir: string
  readonly #what: string
  /** Called with the error message when the disk fills up, with null when space is back. */
  readonly #onChange: (full: string | null, freeBytes: number) => void
  #timer: NodeJS.Timeout | null = null
  #full: string | null = null
  #stopped = false

  constructor (dir: string, what: string, onChange: (full: string | null, freeBytes: number) => void) {
    this.#dir = dir
    this.#what = what
    this.#onChange = onChange
  }

  /** The ENOSPC message while the disk is full, else null. */
  get full (): string | null { return this.#full }

  start (): void {
    if (this.#stopped || this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#check().catch(() => {}).finally(() => { this.start() })
    }, CHECK_MS)
    this.#timer.unref()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  async #check (): Promise<void> {
    const fs = await statfs(this.#dir)
    const free = fs.bavail * fs.bsize
    if (free < LOW_SPACE_BYTES) {
      if (this.#full !== null) return
      this.#full = `ENOSPC: disk full (${Math.floor(free / 1024)} KiB free where shoal keeps ${this.#what}, under the ${LOW_SPACE_BYTES >> 20} MiB its drive store needs to go on); nothing more can be received until space is freed`
      this.#onChange(this.#full, free)
    } else if (this.#full !== null) {
      this.#full = null
      this.#onChange(null, free)
    }
  }
}

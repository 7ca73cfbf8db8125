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
/**
 * Once full, space counts as back only above this. With one threshold the state flapped: a
 * failed transfer's temp file is removed, a few MiB come free, the node said 'disk space is back',
 * reconnected (0 peers, 'idle' in ctl status), filled the disk again and failed again (seen in
 * make test: the disk-full test found 'idle' a moment after 'ENOSPC').
 */
export const SPACE_BACK_BYTES = 2 * LOW_SPACE_BYTES
const CHECK_MS = 1000

export class DiskSpaceWatch {
  readonly #dir: string
  readonly #what: string
  /** Called with the error message when the disk fills up, with null when space is back. */
  readonly #onChange: (full: string | null, freeBytes: number) => void
  #timer: NodeJS.Timeout | null = null
  #full: string | null = null
  #stopped = false

  readonly #free: (dir: string) => Promise<number>

  /** `free` (tests): the bytes free under `dir`; statfs by default. */
  constructor (dir: string, what: string, onChange: (full: string | null, freeBytes: number) => void, free = freeBytes) {
    this.#dir = dir
    this.#what = what
    this.#onChange = onChange
    this.#free = free
  }

  /** The ENOSPC message while the disk is full, else null. */
  get full (): string | null { return this.#full }

  start (): void {
    if (this.#stopped || this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.check().catch(() => {}).finally(() => { this.start() })
    }, CHECK_MS)
    this.#timer.unref()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** One check now (the timer runs it every second). */
  async check (): Promise<void> {
    const free = await this.#free(this.#dir)
    if (free < LOW_SPACE_BYTES) {
      if (this.#full !== null) return
      this.#full = `ENOSPC: disk full (${Math.floor(free / 1024)} KiB free where shoal keeps ${this.#what}, under the ${LOW_SPACE_BYTES >> 20} MiB its drive store needs to go on); nothing more can be received until space is freed`
      this.#onChange(this.#full, free)
    } else if (this.#full !== null && free >= SPACE_BACK_BYTES) {
      this.#full = null
      this.#onChange(null, free)
    }
  }
}

async function freeBytes (dir: string): Promise<number> {
  const fs = await statfs(dir)
  return fs.bavail * fs.bsize
}

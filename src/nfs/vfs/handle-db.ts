import { mkdir, readFile, rename, appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isErrno } from '../../errors.js'
import type { Logger } from '../../log.js'

/**
 * The persistent half of a file handle: (export index, inode) → path relative to the export root.
 * A path of null is a tombstone: the file is known to be gone, so its handle is STALE without a
 * scan. Kept in memory, appended to `handles.jsonl` in batches (a lost tail only costs a scan) and
 * compacted at open. Renames rewrite the paths under a moved directory.
 */
export class HandleDb {
  readonly #file: string
  readonly #map = new Map<number, Map<bigint, string | null>>()
  #pending: string[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()

  constructor (stateDir: string, private readonly log: Logger, private readonly flushMs = 500) {
    this.#file = join(stateDir, 'handles.jsonl')
  }

  async open (): Promise<void> {
    await mkdir(join(this.#file, '..'), { recursive: true })
    let text = ''
    try { text = await readFile(this.#file, 'utf8') } catch (err) { if (!isErrno(err, 'ENOENT')) throw err }
    let bad = 0
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        const [i, n, p] = JSON.parse(line) as [number, string, string | null | undefined]
        if (p === undefined) this.#map.get(i)?.delete(BigInt(n))
        else this.#set(i, BigInt(n), p)
      } catch { bad++ }
    }
    if (bad) this.log.warn(`handle db: skipped ${bad} unreadable lines`)
    const lines: string[] = []
    for (const [i, m] of this.#map) for (const [n, p] of m) lines.push(JSON.stringify([i, String(n), p]))
    await writeFile(this.#file + '.tmp', lines.length ? lines.join('\n') + '\n' : '')
    await rename(this.#file + '.tmp', this.#file)
  }

  async close (): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.flush()
  }

  /** undefined: never seen; null: known to be gone. */
  get (index: number, ino: bigint): string | null | undefined { return this.#map.get(index)?.get(ino) }

  set (index: number, ino: bigint, rel: string | null): void {
    if (this.get(index, ino) === rel) return
    this.#set(index, ino, rel)
    this.#pending.push(JSON.stringify([index, String(ino), rel]))
    this.#timer ??= setTimeout(() => { this.#timer = null; void this.flush() }, this.flushMs)
  }

  /** Forget a path without marking the file gone (another hard link may remain). */
  delete (index: number, ino: bigint): void {
    if (this.#map.get(index)?.delete(ino) !== true) return
    this.#pending.push(JSON.stringify([index, String(ino)]))
    this.#timer ??= setTimeout(() => { this.#timer = null; void this.flush() }, this.flushMs)
  }

  /** After a rename of `from` to `to`: every recorded path at or under `from` moves. */
  moved (index: number, from: string, to: string): void {
    const m = this.#map.get(index)
    if (!m) return
    const prefix = from + '/'
    for (const [ino, p] of m) {
      if (p === null) continue
      if (p === from) this.set(index, ino, to)
      else if (p.startsWith(prefix)) this.set(index, ino, to + p.slice(from.length))
    }
  }

  flush (): Promise<void> {
    if (this.#pending.length === 0) return this.#flushing
    const lines = this.#pending.join('\n') + '\n'
    this.#pending = []
    this.#flushing = this.#flushing.then(() => appendFile(this.#file, lines)).catch((err) => {
      this.log.warn('handle db: append failed (handles fall back to a scan)', err)
    })
    return this.#flushing
  }

  #set (index: number, ino: bigint, rel: string | null): void {
    let m = this.#map.get(index)
    if (!m) this.#map.set(index, (m = new Map()))
    m.set(ino, rel)
  }
}

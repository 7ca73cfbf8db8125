import { opendir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { DirEntry, Stat } from './types.js'
import { lstatOrNull } from './stat.js'

const SCAN_LIMIT = 300_000

/**
 * The fallback for handles whose recorded path no longer holds their inode (moved by something
 * other than NFS, or a lost db tail): one breadth-first walk of the export maps every inode to a
 * path, never following symlinks or crossing devices, at most SCAN_LIMIT entries. Many stale
 * handles at once (a client after a restart) share one walk.
 */
export async function scanExport (root: string, dev: bigint): Promise<Map<bigint, string>> {
  const found = new Map<bigint, string>()
  const rootSt = await lstatOrNull(root)
  if (!rootSt) return found
  found.set(rootSt.ino, '')
  let queue = ['']
  while (queue.length > 0 && found.size < SCAN_LIMIT) {
    const next: string[] = []
    for (const rel of queue) {
      let names: string[]
      try { names = await readdir(rel === '' ? root : join(root, rel)) } catch { continue }
      for (let i = 0; i < names.length && found.size < SCAN_LIMIT; i += 64) {
        const batch = names.slice(i, i + 64).map((n) => (rel === '' ? n : `${rel}/${n}`))
        const stats = await Promise.all(batch.map((r) => lstatOrNull(join(root, r))))
        stats.forEach((st, j) => {
          if (!st || st.dev !== dev) return
          if (!found.has(st.ino)) found.set(st.ino, batch[j]!)
          if (st.isDirectory()) next.push(batch[j]!)
        })
      }
    }
    queue = next
  }
  return found
}

/**
 * READDIR listings, sorted by inode and reused while the directory's mtime and ctime are unchanged
 * (a client reads a large directory in many calls). Bounded to a few directories.
 */
export class DirCache {
  readonly #lists = new Map<string, { stamp: string, entries: DirEntry[] }>()

  constructor (private readonly max = 32) {}

  async list (key: string, abs: string, st: Stat): Promise<DirEntry[]> {
    const stamp = `${st.mtimeNs}:${st.ctimeNs}:${st.size}`
    const hit = this.#lists.get(key)
    if (hit && hit.stamp === stamp) {
      this.#lists.delete(key)
      this.#lists.set(key, hit)
      return hit.entries
    }
    const entries: DirEntry[] = []
    const dir = await opendir(abs, { bufferSize: 128 })
    const names: string[] = []
    for await (const d of dir) names.push(d.name)
    for (let i = 0; i < names.length; i += 64) {
      const batch = names.slice(i, i + 64)
      const stats = await Promise.all(batch.map((n) => lstatOrNull(join(abs, n))))
      stats.forEach((s, j) => { if (s) entries.push({ name: batch[j]!, ino: s.ino }) })
    }
    entries.sort((a, b) => (a.ino < b.ino ? -1 : a.ino > b.ino ? 1 : a.name < b.name ? -1 : 1))
    this.#lists.set(key, { stamp, entries })
    if (this.#lists.size > this.max) this.#lists.delete(this.#lists.keys().next().value as string)
    return entries
  }

  invalidate (key: string): void { this.#lists.delete(key) }
}

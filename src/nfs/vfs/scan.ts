import { opendir } from 'node:fs/promises'
import { join } from 'node:path'
import type { DirEntry, Stat } from './types.js'
import { lstatOrNull } from './stat.js'

const SCAN_LIMIT = 500_000

/**
 * The fallback for a handle whose recorded path no longer holds its inode (moved by something other
 * than NFS, or a lost db tail): breadth-first through the export, never following symlinks or
 * crossing devices, at most SCAN_LIMIT entries. Returns the path relative to the export, or null.
 */
export async function scanForInode (root: string, ino: bigint, dev: bigint): Promise<string | null> {
  const rootSt = await lstatOrNull(root)
  if (!rootSt) return null
  if (rootSt.ino === ino) return ''
  let queue = ['']
  let seen = 0
  while (queue.length > 0) {
    const next: string[] = []
    for (const rel of queue) {
      let dir
      try { dir = await opendir(rel === '' ? root : join(root, rel)) } catch { continue }
      for await (const d of dir) {
        if (++seen > SCAN_LIMIT) return null
        const childRel = rel === '' ? d.name : `${rel}/${d.name}`
        const st = await lstatOrNull(join(root, childRel))
        if (!st || st.dev !== dev) continue
        if (st.ino === ino) return childRel
        if (st.isDirectory()) next.push(childRel)
      }
    }
    queue = next
  }
  return null
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

/** An export-relative path made absolute: names were checked (no '/', '.', '..'), so no normalising. */
export function under (root: string, rel: string): string { return rel === '' ? root : `${root}/${rel}` }

interface Entry { gen: number, rel: string, at: number, dir: boolean }

/**
 * Files recently found where the handle db says (export → inode → when), bounded. Also indexed by
 * path, so that finding another inode at a path (a lookup after a replace by temp file + rename)
 * drops the entry of the inode that was there.
 */
export class Verified {
  readonly #byExport = new Map<number, Map<bigint, Entry>>()
  readonly #byPath = new Map<number, Map<string, bigint>>()
  #size = 0

  get (index: number, ino: bigint, gen: number): Entry | undefined {
    const v = this.#byExport.get(index)?.get(ino)
    return v && v.gen === gen ? v : undefined
  }

  set (index: number, ino: bigint, v: Entry): void {
    if (this.#size >= 16384) this.clear()
    let m = this.#byExport.get(index)
    if (!m) this.#byExport.set(index, (m = new Map()))
    let p = this.#byPath.get(index)
    if (!p) this.#byPath.set(index, (p = new Map()))
    const old = m.get(ino)
    if (old === undefined) this.#size++
    else if (old.rel !== v.rel && p.get(old.rel) === ino) p.delete(old.rel)
    m.set(ino, v)
    const other = p.get(v.rel)
    if (other !== undefined && other !== ino) this.delete(index, other)
    p.set(v.rel, ino)
  }

  delete (index: number, ino: bigint): void {
    const m = this.#byExport.get(index)
    const v = m?.get(ino)
    if (v === undefined) return
    m!.delete(ino)
    this.#size--
    const p = this.#byPath.get(index)
    if (p?.get(v.rel) === ino) p.delete(v.rel)
  }

  clear (): void { this.#byExport.clear(); this.#byPath.clear(); this.#size = 0 }
}

/** An export-relative path made absolute: names were checked (no '/', '.', '..'), so no normalising. */
export function under (root: string, rel: string): string { return rel === '' ? root : `${root}/${rel}` }

/** Handles recently found where the handle db says (export → inode → when), bounded. */
export class Verified {
  readonly #byExport = new Map<number, Map<bigint, { gen: number, rel: string, at: number, dir: boolean }>>()
  #size = 0

  get (index: number, ino: bigint, gen: number): { rel: string, at: number, dir: boolean } | undefined {
    const v = this.#byExport.get(index)?.get(ino)
    return v && v.gen === gen ? v : undefined
  }

  set (index: number, ino: bigint, v: { gen: number, rel: string, at: number, dir: boolean }): void {
    if (this.#size >= 16384) this.clear()
    let m = this.#byExport.get(index)
    if (!m) this.#byExport.set(index, (m = new Map()))
    if (!m.has(ino)) this.#size++
    m.set(ino, v)
  }

  delete (index: number, ino: bigint): void {
    if (this.#byExport.get(index)?.delete(ino) === true) this.#size--
  }

  clear (): void { this.#byExport.clear(); this.#size = 0 }
}

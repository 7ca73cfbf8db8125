/**
 * What the NFS server exports: one entry per namespace folder. The table is owned by the daemon and
 * may change at any time; the server reads it on every lookup, so namespaces appear and disappear
 * in the pseudo-root without a restart.
 */
export interface NfsExport {
  /** namespace name, e.g. 'gitlab' → mounted as host:/gitlab */
  readonly name: string
  /** persistent, unique, ≥ 1 (0 = pseudo-root); goes into file handles */
  readonly index: number
  /** absolute folder on disk */
  readonly path: string
  /** → NFS4ERR_ROFS for every mutation */
  readonly readOnly: boolean
  /** called after every mutation via NFS; relPath is '/'-separated, relative to the export root, no leading slash */
  notifyChange (relPath: string): void
}

export interface ExportTable {
  list (): NfsExport[]
  byName (name: string): NfsExport | undefined
  byIndex (index: number): NfsExport | undefined
}

/** A mutable table for tests and simple embeddings. */
export class StaticExportTable implements ExportTable {
  readonly #byName = new Map<string, NfsExport>()

  constructor (exports: Iterable<NfsExport> = []) { for (const e of exports) this.add(e) }

  add (e: NfsExport): void {
    if (!Number.isInteger(e.index) || e.index < 1 || e.index > 0xffffffff) throw new RangeError(`export index ${e.index} must be an integer ≥ 1`)
    const clash = this.byIndex(e.index)
    if (clash && clash.name !== e.name) throw new RangeError(`export index ${e.index} is already used by '${clash.name}'`)
    this.#byName.set(e.name, e)
  }

  remove (name: string): boolean { return this.#byName.delete(name) }
  list (): NfsExport[] { return [...this.#byName.values()].sort((a, b) => a.index - b.index) }
  byName (name: string): NfsExport | undefined { return this.#byName.get(name) }
  byIndex (index: number): NfsExport | undefined {
    for (const e of this.#byName.values()) if (e.index === index) return e
    return undefined
  }
}

// The namespaces as the NFS server sees them. A Namespace already is an NfsExport (name, stable
// index, folder, readOnly, notifyChange); blind namespaces hold only ciphertext and are not exported.
import type { ExportTable, NfsExport } from '../nfs/exports.js'
import type { NamespaceManager } from './manager.js'

export class NamespaceExports implements ExportTable {
  readonly #manager: NamespaceManager

  constructor (manager: NamespaceManager) {
    this.#manager = manager
  }

  list (): NfsExport[] { return this.#manager.list().filter((ns) => !ns.blind) }

  byName (name: string): NfsExport | undefined {
    const ns = this.#manager.get(name)
    return ns !== undefined && !ns.blind ? ns : undefined
  }

  byIndex (index: number): NfsExport | undefined {
    const ns = this.#manager.byIndex(index)
    return ns !== undefined && !ns.blind ? ns : undefined
  }
}

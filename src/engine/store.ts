// The daemon's one Corestore (DESIGN.md §4: separate stores cost 2× the memory and 50× the file
// descriptors). Each namespace gets `namespace(id)`, a session of its own that it closes itself.
import { mkdir } from 'node:fs/promises'
import Corestore from 'corestore'
import { ShoalError } from '../errors.js'
import type { Logger } from '../log.js'
import { Resource } from '../resource.js'

export class Store extends Resource {
  readonly path: string
  readonly #log: Logger
  #corestore: Corestore | null = null

  constructor (path: string, log: Logger) {
    super()
    this.path = path
    this.#log = log
  }

  /** The root store: replicated on every connection (all namespaces' cores ride one stream). */
  get corestore (): Corestore {
    if (this.#corestore === null) throw new Error('the store is not open')
    return this.#corestore
  }

  /** A session for one namespace; the caller closes it. */
  namespace (id: string): Corestore {
    return this.corestore.namespace('ns:' + id)
  }

  /** A key pair that survives restarts (the swarm identity). */
  async keyPair (name: string): Promise<{ publicKey: Buffer, secretKey: Buffer }> {
    return await this.corestore.createKeyPair(name)
  }

  protected async _open (): Promise<void> {
    await mkdir(this.path, { recursive: true })
    const store = new Corestore(this.path)
    try {
      await store.ready()
    } catch (err) {
      await store.close().catch(() => {})
      if (err instanceof Error && /could not be locked/.test(err.message)) {
        throw new ShoalError('UNAVAILABLE', `another shoal daemon is running on ${this.path} (its store is locked)`, {
          hint: 'stop it first, or give this one another DATA_PATH', cause: err
        })
      }
      throw err
    }
    this.#corestore = store
    this.#log.debug(`store open at ${this.path}`)
  }

  protected async _close (): Promise<void> {
    await this.#corestore?.close()
    this.#corestore = null
  }
}

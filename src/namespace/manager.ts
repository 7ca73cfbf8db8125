// Adds, joins and removes namespaces while the node runs. Every change goes through one queue, so
// 20 concurrent `ctl add` calls cannot interleave their writes to the registry. Input is validated
// before anything is written: a refused request leaves no folder and no record behind.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { Resource } from '../resource.js'
import { ShoalError } from '../errors.js'
import type { Logger } from '../log.js'
import type { EventLog } from '../events.js'
import type { Config } from '../config.js'
import { generateSecret, parseSecret, type NamespaceKeys } from '../secrets.js'
import { validateName } from './names.js'
import { Registry } from './registry.js'
import { Namespace, type NamespaceOptions } from './namespace.js'

export interface AddResult {
  name: string
  /** The canonical secret: for a new namespace, the one to share. */
  secret: string
  kind: NamespaceKeys['kind']
  created: boolean
}

/** Builds the Namespace for a record; the node swaps in one that replicates. */
export type NamespaceFactory = (opts: NamespaceOptions) => Namespace

export interface ManagerOptions {
  config: Config
  events: EventLog
  log: Logger
  factory?: NamespaceFactory
}

export class NamespaceManager extends Resource {
  readonly registry: Registry
  #config: Config
  #events: EventLog
  #log: Logger
  #factory: NamespaceFactory
  #namespaces = new Map<string, Namespace>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor (opts: ManagerOptions) {
    super()
    this.#config = opts.config
    this.#events = opts.events
    this.#log = opts.log
    this.#factory = opts.factory ?? ((o) => new Namespace(o))
    this.registry = new Registry(opts.config.configPath)
  }

  list (): Namespace[] { return [...this.#namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)) }
  get (name: string): Namespace | undefined { return this.#namespaces.get(name) }
  byIndex (index: number): Namespace | undefined { return this.list().find((ns) => ns.index === index) }
  has (name: string): boolean { return this.#namespaces.has(name) }

  require (name: string): Namespace {
    validateName(name)
    const ns = this.#namespaces.get(name)
    if (ns === undefined) throw ShoalError.notFound(name)
    return ns
  }

  /** Adds a namespace (no secret: a new one) or joins one (with a secret). Idempotent for the same secret. */
  async add (name: string, secret?: string): Promise<AddResult> {
    this.#assertOpen()
    validateName(name)
    const keys = await parseSecret(secret ?? generateSecret())
    return await this.#serial(async () => {
      const existing = this.#namespaces.get(name)
      if (existing !== undefined) {
        // No secret: "make sure it exists" (scripts run `ctl add NAME` on every boot). Same secret: no change.
        if (secret === undefined || existing.keys.secret === keys.secret) {
          return { name, secret: existing.keys.secret, kind: existing.keys.kind, created: false }
        }
        throw new ShoalError('NS_EXISTS', `namespace '${name}' exists with another secret`, {
          hint: `remove it first with \`ctl del ${name}\` (add --keep-data to keep the files), or pick another name`
        })
      }
      const twin = this.#sameNamespace(keys)
      if (twin !== undefined) {
        throw new ShoalError('NS_EXISTS', `this secret's namespace is already on this node as '${twin.name}'`, {
          hint: `use \`ctl path ${twin.name}\`; to rename it, \`ctl del --keep-data ${twin.name}\`, move the folder, then add it under the new name`
        })
      }
      const record = this.registry.add(name, keys.secret)
      const ns = this.#create(record.index, name, keys)
      try {
        await ns.open()
        await this.registry.save()
      } catch (err) {
        this.registry.remove(name)
        await ns.close().catch(() => {})
        throw err
      }
      this.#namespaces.set(name, ns)
      this.#log.info(`namespace ${name} added (${keys.kind}) at ${ns.path}`)
      this.#events.publish({ type: 'namespace-added', namespace: name })
      this.emit('added', ns)
      return { name, secret: keys.secret, kind: keys.kind, created: true }
    })
  }

  /** Stops replicating `name`; deletes its folder unless keepData. */
  async del (name: string, opts: { keepData?: boolean } = {}): Promise<void> {
    this.#assertOpen()
    validateName(name)
    await this.#serial(async () => {
      const ns = this.#namespaces.get(name)
      if (ns === undefined) throw ShoalError.notFound(name)
      this.#namespaces.delete(name)
      this.emit('removed', ns)
      await ns.close()
      this.registry.remove(name)
      await this.registry.save()
      if (opts.keepData !== true) await removeFolder(this.#config.dataPath, name)
      this.#log.info(`namespace ${name} removed${opts.keepData === true ? ' (data kept)' : ''}`)
      this.#events.publish({ type: 'namespace-removed', namespace: name, keptData: opts.keepData === true })
    })
  }

  protected async _open (): Promise<void> {
    await this.registry.load()
    for (const record of this.registry.list()) {
      let keys: NamespaceKeys
      try {
        keys = await parseSecret(record.secret)
      } catch (err) {
        this.#log.error(`namespace ${record.name}: the stored secret is not valid; skipped`, err)
        continue
      }
      const ns = this.#create(record.index, record.name, keys)
      const twin = this.#sameNamespace(keys)
      this.#namespaces.set(record.name, ns)
      if (twin !== undefined) {
        // Written before such a second name was refused: it would never find a peer (see add()).
        ns.setError(new ShoalError('NS_EXISTS', `the same namespace as '${twin.name}': not replicated`, { hint: `remove it: \`ctl del --keep-data ${record.name}\`` }))
        this.#log.error(`namespace ${record.name} is the same namespace as ${twin.name} (same secret): not started`)
        continue
      }
      try {
        await ns.open()
      } catch (err) {
        ns.setError(err) // the node keeps serving the others
      }
    }
    // Declarative namespaces (SHOAL_NAMESPACES): added like `ctl add --secret`, idempotent.
    const starting = this.#starting
    this.#starting = true
    try {
      for (const spec of this.#config.namespaces) {
        try {
          const result = await this.add(spec.name, spec.secret)
          if (result.created) this.#log.info(`namespace ${spec.name} added from SHOAL_NAMESPACES`)
        } catch (err) {
          if (!(err instanceof ShoalError) || err.code !== 'NS_EXISTS') throw err
          this.#log.error(`SHOAL_NAMESPACES: ${spec.name}: ${err.message}; skipped`)
        }
      }
    } finally {
      this.#starting = starting
    }
  }

  protected async _close (): Promise<void> {
    await this.#queue.catch(() => {})
    const all = [...this.#namespaces.values()]
    this.#namespaces.clear()
    await Promise.allSettled(all.map(async (ns) => await ns.close()))
  }

  #starting = false

  /**
   * A namespace already here under another name with the same secret, or one derived from it (the
   * same topic). One node holds a namespace once: two replicas of it share the swarm topic and the
   * admission channel's id (both derive from the secret), and a connection opens that channel once,
   * so the second replica is never admitted by a peer (and would keep a second writer drive of
   * this node besides). Refusing it is clearer than a folder that silently never syncs.
   */
  #sameNamespace (keys: NamespaceKeys): Namespace | undefined {
    for (const ns of this.#namespaces.values()) if (ns.keys.topic.equals(keys.topic)) return ns
    return undefined
  }

  #assertOpen (): void {
    if (this.closing) throw new ShoalError('CLOSED', 'the node is shutting down')
    if (!this.opened && !this.#starting) throw new ShoalError('UNAVAILABLE', 'the node is still starting')
  }

  #create (index: number, name: string, keys: NamespaceKeys): Namespace {
    const c = this.#config
    return this.#factory({
      name, index, keys,
      dataPath: c.dataPath, hostDataPath: c.hostDataPath, uid: c.uid, gid: c.gid,
      events: this.#events, log: this.#log.extend(`ns:${name}`)
    })
  }

  #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }
}

async function removeFolder (dataPath: string, name: string): Promise<void> {
  const dir = path.join(dataPath, validateName(name))
  // validateName guarantees one plain path component, so this can only ever be $DATA_PATH/NAME.
  if (path.dirname(dir) !== path.resolve(dataPath)) throw new ShoalError('INTERNAL', `refusing to remove ${dir}`)
  await rm(dir, { recursive: true, force: true })
}

// One namespace on this node: its folder, its keys, its state machine. Replication plugs in as the
// namespace's replica; the NFS server calls `notifyChange` on every write.
import { chown, mkdir, readdir, lstat } from 'node:fs/promises'
import path from 'node:path'
import { Resource } from '../resource.js'
import type { Logger } from '../log.js'
import type { EventLog } from '../events.js'
import { kdf, type NamespaceKeys, type SecretKind } from '../secrets.js'
import type { Store } from '../engine/store.js'
import type { PeerInfo } from '../engine/peers.js'
import { Replica, type ReplicaOptions, type ReplicaStatus, type ReplicaSwarm } from './replica.js'

/** What a namespace needs to replicate; without it, it is a local folder only. */
export interface ReplicationDeps {
  store: Store
  swarm: ReplicaSwarm
  /** The node's state directory; the replica keeps its index under `replicas/`. */
  stateDir: string
  nodeId: string
  options?: ReplicaOptions
}

export type NamespaceState = 'starting' | 'idle' | 'syncing' | 'error' | 'stopped'

export interface NamespaceStats {
  files: number
  bytes: number
  pending: number
  pendingBytes: number
  conflicts: number
  peers: number
  lastSync: string | null
  /** Why publishing is paused (e.g. 'mass-delete'), or null. */
  paused: string | null
  /** e.g. 'no bootstrap reachable; retrying' */
  network: string | null
}

export interface NamespaceStatus extends NamespaceStats {
  name: string
  index: number
  kind: SecretKind
  readOnly: boolean
  blind: boolean
  state: NamespaceState
  error: string | null
  path: string
  hostPath: string
}

export interface NamespaceOptions {
  name: string
  index: number
  keys: NamespaceKeys
  dataPath: string
  hostDataPath: string
  uid: number
  gid: number
  events: EventLog
  log: Logger
  replication?: ReplicationDeps
}

const EMPTY_STATS: NamespaceStats = {
  files: 0, bytes: 0, pending: 0, pendingBytes: 0, conflicts: 0, peers: 0, lastSync: null, paused: null, network: null
}

export class Namespace extends Resource {
  readonly name: string
  readonly index: number
  readonly keys: NamespaceKeys
  readonly path: string
  readonly hostPath: string
  readonly log: Logger
  #opts: NamespaceOptions
  #state: NamespaceState = 'starting'
  #error: string | null = null
  #folderStats: FolderStatsCache
  #replica: Replica | null = null
  #session: import('corestore').default | null = null

  constructor (opts: NamespaceOptions) {
    super()
    this.#opts = opts
    this.name = opts.name
    this.index = opts.index
    this.keys = opts.keys
    this.path = path.join(opts.dataPath, opts.name)
    this.hostPath = path.posix.join(opts.hostDataPath, opts.name)
    this.log = opts.log
    this.#folderStats = new FolderStatsCache(this.path)
  }

  get kind (): SecretKind { return this.keys.kind }
  get readOnly (): boolean { return this.keys.kind !== 'read-write' }
  get blind (): boolean { return this.keys.kind === 'blind' }
  get state (): NamespaceState { return this.#state }

  /** The replication engine, once open (null for a local-only namespace). */
  get replica (): Replica | null { return this.#replica }

  /** Called by the NFS server (and anything else that writes into the folder) after a change. */
  notifyChange (relPath: string): void {
    this.log.debug('change %s', relPath)
    this.#replica?.notifyChange(relPath)
  }

  /** Confirms a mass delete: publishing resumes. */
  async resume (): Promise<void> {
    await this.#replica?.resume()
  }

  /** Resolves once every connected writer's latest version is applied here. */
  async waitSynced (timeoutMs: number): Promise<void> {
    await this.#replica?.waitSynced(timeoutMs)
  }

  peers (): PeerInfo[] { return this.#replica?.peerList() ?? [] }

  async status (): Promise<NamespaceStatus> {
    const stats = this.#replica !== null ? replicaStats(this.#replica.status()) : { ...EMPTY_STATS, ...(await this.#folderStats.get()) }
    return {
      name: this.name,
      index: this.index,
      kind: this.kind,
      readOnly: this.readOnly,
      blind: this.blind,
      state: this.#state,
      error: this.#error,
      path: this.path,
      hostPath: this.hostPath,
      ...stats
    }
  }

  setState (to: Exclude<NamespaceState, 'error'>): void {
    if (to === this.#state) return
    const from = this.#state
    this.#state = to
    this.#error = null
    this.#opts.events.publish({ type: 'namespace-state', namespace: this.name, from, to })
    this.emit('state', to)
  }

  setError (err: unknown): void {
    const from = this.#state
    this.#state = 'error'
    this.#error = err instanceof Error ? err.message : String(err)
    this.log.error(`namespace ${this.name}: ${this.#error}`)
    this.#opts.events.publish({ type: 'namespace-state', namespace: this.name, from, to: 'error', error: this.#error })
    this.emit('state', 'error')
  }

  protected async _open (): Promise<void> {
    await ensureFolder(this.path, this.#opts.uid, this.#opts.gid)
    const r = this.#opts.replication
    if (r !== undefined) {
      // Keyed by the namespace and the name: a name re-added with another secret never reuses a
      // writer drive, and the same namespace under two names (read-only and blind, say) never
      // shares one. (Only the first of those finds peers: one channel per namespace and connection.)
      const id = kdf(this.keys.topic, 'store:' + this.name).toString('hex').slice(0, 32)
      const session = r.store.namespace(id)
      const replica = new Replica({
        store: session,
        swarm: r.swarm,
        keys: this.keys,
        folder: this.path,
        stateDir: path.join(r.stateDir, 'replicas', id),
        nodeId: r.nodeId,
        log: this.log,
        options: { owner: process.getuid?.() === 0 ? { uid: this.#opts.uid, gid: this.#opts.gid } : null, ...r.options }
      })
      replica.on('state', ({ to }: { to: string }) => {
        if (to === 'idle' || to === 'syncing') this.setState(to)
        else if (to === 'error') this.setError(new Error(replica.status().error ?? 'replication failed'))
      })
      try {
        await replica.open()
      } catch (err) {
        await session.close().catch(() => {})
        throw err
      }
      this.#session = session
      this.#replica = replica
    }
    this.setState('idle')
  }

  protected async _close (): Promise<void> {
    this.setState('stopped')
    await this.#replica?.close()
    await this.#session?.close()
  }
}

function replicaStats (s: ReplicaStatus): NamespaceStats {
  return {
    files: s.files,
    bytes: s.bytes,
    pending: s.pending.files + s.pending.local,
    pendingBytes: s.pending.bytes,
    conflicts: s.conflicts,
    peers: s.peers,
    lastSync: s.lastSync === null ? null : new Date(s.lastSync).toISOString(),
    paused: s.paused,
    network: s.online ? null : 'no DHT node reachable; serving locally, retrying'
  }
}

/** Creates the namespace folder, owned by UID/GID when we may chown (root). */
export async function ensureFolder (dir: string, uid: number, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 })
  if (process.getuid?.() === 0) await chown(dir, uid, gid)
}

/**
 * Files and bytes of a folder, from a walk at most every few seconds. The replica's index replaces
 * this once replication runs; until then `ctl list --json` still tells the truth.
 */
class FolderStatsCache {
  #dir: string
  #at = 0
  #value: { files: number, bytes: number } = { files: 0, bytes: 0 }
  #running: Promise<{ files: number, bytes: number }> | null = null

  constructor (dir: string) { this.#dir = dir }

  async get (maxAgeMs = 5000): Promise<{ files: number, bytes: number }> {
    if (Date.now() - this.#at < maxAgeMs) return this.#value
    this.#running ??= walk(this.#dir).then((v) => {
      this.#value = v
      this.#at = Date.now()
      return v
    }).finally(() => { this.#running = null })
    return await this.#running
  }
}

async function walk (dir: string): Promise<{ files: number, bytes: number }> {
  let files = 0
  let bytes = 0
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop() as string
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      continue
    }
    for (const e of entries) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) stack.push(p)
      else if (e.isFile()) {
        files++
        bytes += await lstat(p).then((s) => s.size, () => 0)
      } else if (e.isSymbolicLink()) files++
    }
  }
  return { files, bytes }
}

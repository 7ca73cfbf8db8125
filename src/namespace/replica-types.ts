// The replica's public shapes: what it is built from, its options, and its status.
import type Corestore from 'corestore'
import type { Logger } from '../log.js'
import type { NamespaceKeys } from '../secrets.js'
import type { ConnectionSource } from '../engine/peers.js'
import type { Owner } from './apply.js'
import type { MergeState } from './merge.js'

/** What a replica needs from the swarm: connections, and a topic to be found on. */
export interface ReplicaSwarm extends ConnectionSource {
  join (topic: Buffer): void
  leave (topic: Buffer): Promise<void>
  /** Resolves once the first lookup of the topic is done (peers found so far are connecting). */
  flushed (topic: Buffer): Promise<void>
  readonly online: boolean
  /** TCP links to the same peers for bulk content (engine/side-links.ts); none: content comes through the drives. */
  readonly side?: ConnectionSource | null
}

export interface ReplicaOptions {
  /** Mass-delete guard: pause when more than this share of the files is deleted in one scan… */
  massDeleteShare?: number
  /** …and at least this many. */
  massDeleteMin?: number
  /** Safety-net rescan period (the watcher is for speed only). */
  rescanIntervalMs?: number
  /** Use fs.watch (true) or only the rescan and notifyChange (false). */
  watch?: boolean
  /** Owner of files written into the folder (when running as root). */
  owner?: Owner | null
  /** How long a merge waits for one remote block before retrying later. */
  blockTimeoutMs?: number
  /** Deletions are held this long after the last one and judged together by the mass-delete guard. */
  deleteSettleMs?: number
  /** Test hook: milliseconds added to the wall clock the HLC reads (config.clockSkewMs). */
  clockSkewMs?: number
  /** Test hook: serve random bytes on the content channel (config.corruptDirect). */
  corruptDirect?: boolean
}

export interface ReplicaInit {
  /** A namespace session of the daemon's one Corestore (`store.namespace('ns:' + id)`); the caller closes it. */
  store: Corestore
  swarm: ReplicaSwarm
  keys: NamespaceKeys
  folder: string
  /** This namespace's own state directory (index, checkpoints). */
  stateDir: string
  nodeId: string
  log: Logger
  options?: ReplicaOptions
}

export type ReplicaState = 'starting' | 'idle' | 'syncing' | 'paused' | 'error' | 'stopped'

export interface ReplicaStatus {
  state: ReplicaState
  /** Admitted peers. */
  peers: number
  files: number
  bytes: number
  pending: { files: number, bytes: number, local: number }
  conflicts: number
  lastSync: number | null
  readOnly: boolean
  blind: boolean
  paused: 'mass-delete' | null
  /** The swarm reaches the DHT; false: serving locally, retrying quietly. */
  online: boolean
  /** Our writer drive key (hex); null if this node does not write. */
  writer: string | null
  error: string | null
}

/** What a replica keeps across restarts (`replica.json`; the index is beside it). */
export interface SavedState extends MergeState {
  v: 1
  hlc: number
  records: Array<{ key: string, blobs: string, sig: string }>
  lastSync: number | null
  /** dev:ino of the folder the index describes. */
  folderId?: string
}

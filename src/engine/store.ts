// The daemon's one Corestore (DESIGN.md §4: separate stores cost 2× the memory and 50× the file
// descriptors). Each namespace gets `namespace(id)`, a session of its own that it closes itself.
import { mkdir } from 'node:fs/promises'
import Corestore from 'corestore'
import Hypercore, { type StorageOptions } from 'hypercore'
import Rache from 'rache'
import { ShoalError } from '../errors.js'
import type { Logger } from '../log.js'
import { Resource } from '../resource.js'
import { addQuietTask } from '../memory-trim.js'
import { installBatchedMissingNodes } from './merkle-batch.js'

/**
 * The drive store's memory, bounded instead of growing with the files synced (issue #7; measured
 * with bench:scale, see docs/guarantees.md). hypercore-storage's RocksDB defaults keep up to two
 * 64 MiB memtables per column family and a block cache, and fill them during a large sync; the
 * data is on disk either way, and the kernel's page cache serves reads of recent files as well.
 */
/** Memtable size: flushed to disk past this (the default, 64 MiB, was held after a sync). */
export const STORE_WRITE_BUFFER = 4 << 20

const STORAGE: StorageOptions = {
  writeBufferSize: STORE_WRITE_BUFFER,
  /** No block cache; index and filter blocks then stay with each open table instead. */
  blockCache: false,
  tableCacheIndexAndFilterBlocks: false,
  /** Merkle tree nodes cached (the default 8192 is kept twice over: ~4 MB of heap). */
  treeCache: { maxSize: 1024 }
}

/**
 * Decoded b-tree nodes and keys cached by all the drives' Hyperbees together, checkouts included.
 * Without it each Hyperbee caches up to 65,536 of them, and a merge round's checkout of a 100,000
 * entry drive filled its own cache: tens of MB of heap at the sync's peak, kept committed after.
 */
export const BEE_CACHE_ENTRIES = 4096

/**
 * A memtable holding this much or more is written out once the process turns quiet (memory-trim.ts):
 * otherwise the last up to STORE_WRITE_BUFFER of a sync's writes stay in memory until more come.
 */
const QUIET_FLUSH_MIN = 1 << 20

export class Store extends Resource {
  readonly path: string
  readonly #log: Logger
  #corestore: Corestore | null = null
  readonly #beeCache = new Rache({ maxSize: BEE_CACHE_ENTRIES })
  #stopQuietFlush: (() => void) | null = null

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

  /** Entries in the Hyperbee cache all drives share (at most BEE_CACHE_ENTRIES). */
  get cachedBeeEntries (): number { return this.#beeCache.globalSize }

  /** A key pair that survives restarts (the swarm identity). */
  async keyPair (name: string): Promise<{ publicKey: Buffer, secretKey: Buffer }> {
    return await this.corestore.createKeyPair(name)
  }

  protected async _open (): Promise<void> {
    await mkdir(this.path, { recursive: true })
    if (!installBatchedMissingNodes()) this.#log.debug('hypercore is not the version merkle-batch.ts was written for: its own missingNodes stays')
    const store = new Corestore(Hypercore.defaultStorage(this.path, STORAGE), { globalCache: this.#beeCache })
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
    this.#stopQuietFlush = addQuietTask(async () => await this.#flushMemtable())
    this.#log.debug(`store open at ${this.path}`)
  }

  /** Writes the memtable out when it holds QUIET_FLUSH_MIN or more; what it did, for the log. */
  async #flushMemtable (): Promise<string | null> {
    const store = this.#corestore
    if (store === null || this.closing) return null
    const db = store.storage.db
    const held = Number(await db.getProperty('rocksdb.cur-size-all-mem-tables'))
    if (!(held >= QUIET_FLUSH_MIN)) return null
    await db.flush()
    const left = Number(await db.getProperty('rocksdb.cur-size-all-mem-tables'))
    // The open tables' index and filter blocks (no block cache: held by each table): they grow with the data.
    const tables = Number(await db.getProperty('rocksdb.estimate-table-readers-mem'))
    return `drive store memtables ${(held / 1048576).toFixed(1)} → ${(left / 1048576).toFixed(1)} MiB, table readers ${(tables / 1048576).toFixed(1)} MiB`
  }

  protected async _close (): Promise<void> {
    this.#stopQuietFlush?.()
    this.#stopQuietFlush = null
    await this.#corestore?.close()
    this.#corestore = null
  }
}

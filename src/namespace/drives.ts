// The remote writer drives a replica follows, opened from verified drive records. Every one is
// downloaded eagerly and kept live (a full replica), whatever this node can read: a blind node
// holds the cores without the encryption key, so it stores and serves ciphertext.
import type Corestore from 'corestore'
import type Hypercore from 'hypercore'
import Hyperdrive from 'hyperdrive'
import type { Logger } from '../log.js'
import type { DriveRecord } from '../engine/peers.js'
import { Backfill } from './backfill.js'
import { writerId } from './entry.js'

/** How long a core with no session and no peer takes to be closed by the store (4 GC cycles of 2 s). */
const CORE_RELEASE_MS = 10_000

export interface RemoteDrive {
  key: string
  w: string
  record: DriveRecord
  /** Null on a blind node. */
  drive: Hyperdrive | null
  db: Hypercore
  blobs: Hypercore
  /** The blob core's copy, a window at a time (backfill.ts). */
  backfill: Backfill
}

export class RemoteDrives {
  readonly #store: Corestore
  readonly #encryptionKey: Buffer | null
  readonly #log: Logger
  readonly #drives = new Map<string, RemoteDrive>()
  readonly #onAppend: (d: RemoteDrive) => void
  #closed = false
  #suspended = false
  readonly #waiting = new Map<string, DriveRecord>()

  constructor (store: Corestore, encryptionKey: Buffer | null, onAppend: (d: RemoteDrive) => void, log: Logger) {
    this.#store = store
    this.#encryptionKey = encryptionKey
    this.#onAppend = onAppend
    this.#log = log
  }

  get size (): number { return this.#drives.size }
  values (): IterableIterator<RemoteDrive> { return this.#drives.values() }
  get (key: string): RemoteDrive | undefined { return this.#drives.get(key) }

  async add (record: DriveRecord): Promise<RemoteDrive | null> {
    const key = record.key.toString('hex')
    const existing = this.#drives.get(key)
    if (existing !== undefined || this.#closed) return existing ?? null
    if (this.#suspended) { this.#waiting.set(key, record); return null }
    const encryptionKey = this.#encryptionKey
    const blobs = this.#store.get({ key: record.blobs, encryptionKey })
    let drive: Hyperdrive | null = null
    let db: Hypercore
    if (encryptionKey !== null) {
      drive = new Hyperdrive(this.#store.session(), record.key, { encryptionKey })
      db = drive.core
    } else {
      db = this.#store.get({ key: record.key })
    }
    // The blob copy waits while the writer's entries keep coming: the changes go first (backfill.ts).
    // Not on a blind node: it applies no changes, and holding the blobs for others is its job (a
    // writer gone half a second after a change would otherwise leave it without them).
    const backfill = new Backfill(blobs, drive !== null ? { foreground: db } : {})
    const d: RemoteDrive = { key, w: writerId(record.key), record, drive, db, blobs, backfill }
    this.#drives.set(key, d)
    await Promise.all([drive !== null ? drive.ready() : db.ready(), blobs.ready()])
    // The entries: a live range, everything there is and everything appended later (never
    // awaited: with end -1 the download does not resolve). The blobs: in the background, a window
    // at a time, so that a bulk copy never queues ahead of the next change (backfill.ts).
    // Linear: in order, as the merge reads them (drive-blocks.ts). Unordered (hypercore picks a
    // random start in each range batch), bench W6's 1,010 blocks came in any order and the merge,
    // waiting for the next one in line, applied almost nothing until the last had come.
    db.download({ start: 0, end: -1, linear: true })
    d.backfill.start()
    db.on('append', () => this.#onAppend(d))
    this.#log.debug(`following writer ${d.w.slice(0, 8)}`)
    if (db.length > 0) this.#onAppend(d)
    return d
  }

  /**
   * Closes every followed drive, keeping its record, until resume(): with no session left (and no
   * peer, once the connections are renewed) the store closes their cores, and resume() opens them
   * again from what the store holds. That is what a restart did after a full disk: a core whose
   * writes failed keeps a state in memory the store does not have (seen: a drive stuck at 66 of
   * 204 blocks, every peer idle, on the same and on new connections). Drives added meanwhile wait.
   */
  async suspend (): Promise<DriveRecord[]> {
    this.#suspended = true
    const all = [...this.#drives.values()]
    this.#drives.clear()
    await Promise.allSettled(all.map(closeDrive))
    return all.map((d) => d.record)
  }

  async resume (records: DriveRecord[]): Promise<void> {
    this.#suspended = false
    const waiting = [...records, ...this.#waiting.values()]
    this.#waiting.clear()
    for (const rec of waiting) await this.add(rec)
  }

  /**
   * After a full disk: every drive closed and opened again from the store, on new connections
   * (`reconnect` renews them and says how many): hypercore does not ask again for what it failed
   * to write (see suspend). False if `closing()` turned true meanwhile.
   */
  async renew (reconnect: () => number, closing: () => boolean): Promise<boolean> {
    const records = await this.suspend()
    const renewed = reconnect()
    this.#log.info(`reopening ${records.length} drives from the store, ${renewed} peer connections renewed`)
    await new Promise((resolve) => { setTimeout(resolve, CORE_RELEASE_MS).unref() })
    if (closing()) return false
    await this.resume(records)
    return true
  }

  async close (): Promise<void> {
    this.#closed = true
    const all = [...this.#drives.values()]
    this.#drives.clear()
    await Promise.allSettled(all.map(closeDrive))
  }
}

async function closeDrive (d: RemoteDrive): Promise<void> {
  d.backfill.stop()
  await d.blobs.close()
  if (d.drive !== null) await d.drive.close()
  else await d.db.close()
}

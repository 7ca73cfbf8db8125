// A namespace's replication engine on one node: its own writer drive, the drives of the other
// writers, and the folder, driven by one serial job loop (job-loop.ts): scan and publish local
// changes, then merge the drives into the folder.
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import Hyperdrive from 'hyperdrive'
import { ShoalError } from '../errors.js'
import type { Logger } from '../log.js'
import { Resource } from '../resource.js'
import type { NamespaceKeys } from '../secrets.js'
import { headsApplied, NamespacePeers, signDrive, type DriveRecord, type PeerInfo } from '../engine/peers.js'
import { FolderWriter } from './apply.js'
import { RemoteDrives, type RemoteDrive } from './drives.js'
import { writerId } from './entry.js'
import { Hlc } from './hlc.js'
import { JobLoop } from './job-loop.js'
import { FolderIndex } from './index.js'
import { readJson, writeJsonAtomic } from './json-file.js'
import { Merger, type MergeSource } from './merge.js'
import { LocalChanges } from './local-changes.js'
import { Watcher } from './watcher.js'
import { SyncProgress } from './progress.js'
import { DiskSpaceWatch } from './disk-space.js'
import { DirectContent } from './direct.js'
import { waitUntil } from './wait-until.js'
import { memoryBusy, memoryQuiet } from '../memory-trim.js'
import type { ReplicaInit, ReplicaOptions, ReplicaState, ReplicaStatus, SavedState } from './replica-types.js'

export type { ReplicaInit, ReplicaOptions, ReplicaState, ReplicaStatus, ReplicaSwarm } from './replica-types.js'

const DEFAULTS = { massDeleteShare: 0.5, massDeleteMin: 100, rescanIntervalMs: 60_000, watch: true, owner: null, blockTimeoutMs: 30_000, deleteSettleMs: 300, clockSkewMs: 0, corruptDirect: false }
const DEFER_BACKOFF_MS = 1000

export class Replica extends Resource {
  readonly keys: NamespaceKeys
  readonly folder: string
  readonly readOnly: boolean
  readonly blind: boolean
  readonly peers: NamespacePeers
  readonly #init: ReplicaInit
  readonly #o: Required<ReplicaOptions>
  readonly #log: Logger
  readonly #index: FolderIndex
  readonly #writer: FolderWriter
  readonly #remotes: RemoteDrives
  readonly #watcher: Watcher
  readonly #hlc: Hlc
  #state: SavedState = { v: 1, hlc: 0, checkpoints: {}, seen: {}, records: [], lastSync: null }
  #own: Hyperdrive | null = null
  #w: string | null = null
  #status: ReplicaState = 'starting'
  #error: string | null = null
  #paused: 'mass-delete' | null = null
  readonly #local: LocalChanges
  #pending = { files: 0, bytes: 0 }
  readonly #progress: SyncProgress
  #deferStreak = 0
  readonly #jobs: JobLoop
  #rescanTimer: NodeJS.Timeout | null = null
  #discovered = false
  readonly #space: DiskSpaceWatch
  /** Large files straight from a writer's folder over a side link; null without side links. */
  readonly #direct: DirectContent | null

  constructor (init: ReplicaInit) {
    super()
    this.#init = init
    this.keys = init.keys
    this.folder = init.folder
    this.readOnly = init.keys.kind !== 'read-write'
    this.blind = init.keys.kind === 'blind'
    this.#o = { ...DEFAULTS, ...init.options }
    this.#log = init.log
    this.#progress = new SyncProgress(init.log)
    this.#space = new DiskSpaceWatch(init.stateDir, this.blind ? 'its drives' : 'this namespace', (full, free) => { this.#onSpace(full, free) })
    const skew = this.#o.clockSkewMs
    this.#hlc = new Hlc(0, skew === 0 ? Date.now : () => Date.now() + skew)
    this.#index = new FolderIndex(join(init.stateDir, 'index.json'))
    this.#writer = new FolderWriter(init.folder, this.#index, this.#o.owner)
    this.#jobs = new JobLoop({
      scanWanted: () => !this.readOnly && this.#local.wanted,
      scan: async () => { await this.#scanAndPublish() },
      merge: async () => { await this.#merge() },
      runnable: () => !this.closing && this.#paused === null,
      state: (s, err) => {
        if (s === 'error') {
          this.#error = err?.message ?? 'failed'
          this.#log.error('replication step failed; retrying', err)
        } else if (s === 'idle') {
          this.#error = null
        }
        this.#setState(s)
      },
      settled: () => { this.emit('progress') },
      beforeRetry: () => { this.#local.mark(null) }
    })
    this.#remotes = new RemoteDrives(init.store, init.keys.encryptionKey, () => { this.#jobs.requestMerge() }, init.log)
    this.#watcher = new Watcher(init.folder, (p) => this.#onWatch(p), init.log)
    this.peers = new NamespacePeers(init.swarm, init.keys, init.log)
    const side = init.swarm.side ?? null
    this.#direct = side === null ? null : new DirectContent({ source: side, keys: init.keys, peers: this.peers, index: this.#index, writer: this.#writer, serve: !this.blind, corrupt: this.#o.corruptDirect, log: init.log })
    const content = this.#direct?.content
    this.#local = new LocalChanges({
      folder: init.folder,
      index: this.#index,
      writer: this.#writer,
      hlc: this.#hlc,
      log: init.log,
      guard: { share: this.#o.massDeleteShare, min: this.#o.massDeleteMin, settleMs: this.#o.deleteSettleMs, maxHoldMs: 10_000 },
      onDue: () => { this.#jobs.kickSoon() },
      uploading: this.#direct?.uploading,
      serving: content === undefined ? undefined : async () => { await content.idle() }
    })
  }

  protected async _open (): Promise<void> {
    const { store, stateDir, keys, swarm } = this.#init
    await mkdir(stateDir, { recursive: true })
    const saved = await readJson<SavedState>(join(stateDir, 'replica.json'))
    if (saved?.v === 1) this.#state = saved
    this.#hlc.observe(this.#state.hlc)
    if (!this.blind) {
      await this.#index.load()
      await mkdir(this.folder, { recursive: true })
      const st = await stat(this.folder)
      const folderId = `${st.dev}:${st.ino}`
      if (this.#state.folderId !== undefined && this.#state.folderId !== folderId) {
        // Another folder than the index describes (deleted and re-added): its absence of files is
        // not a deletion. Forget the index and merge every drive from the start: nothing is lost.
        this.#log.info('the folder was replaced while shoal was not running: restoring it from the drives')
        this.#index.clear()
        this.#state.checkpoints = {}
      }
      this.#state.folderId = folderId
    }
    if (keys.kind === 'read-write') {
      const own = new Hyperdrive(store.namespace('writer'), { encryptionKey: keys.encryptionKey })
      await own.ready()
      this.#own = own
      this.#w = writerId(own.key)
      // A new writer drive has nothing to merge back; an old one without a checkpoint (the folder
      // was replaced) is merged from the start, which restores the folder.
      const ownKey = own.key.toString('hex')
      if (this.#state.checkpoints[ownKey] === undefined && own.version <= 1) this.#state.checkpoints[ownKey] = own.version
      const blobs = await own.getBlobs()
      if (blobs === null) throw new Error('the writer drive has no blob store')
      this.peers.addRecord(signDrive(keys, own.key, blobs.core.key ?? Buffer.alloc(32)))
    }
    this.peers.on('drive', (rec) => { void this.#follow(rec) })
    for (const r of this.#state.records) {
      this.peers.addRecord({ key: Buffer.from(r.key, 'hex'), blobs: Buffer.from(r.blobs, 'hex'), sig: Buffer.from(r.sig, 'hex') })
    }
    for (const rec of this.peers.records()) await this.#follow(rec)
    this.peers.on('change', () => this.emit('progress'))
    this.peers.on('head', () => this.emit('progress'))
    this.peers.attach()
    this.#direct?.content.attach()
    this.#announceHead()
    swarm.join(keys.topic)
    swarm.flushed(keys.topic).then(() => { this.#discovered = true; this.emit('progress') }, () => {})
    if (!this.readOnly) {
      if (this.#o.watch) this.#watcher.start()
      this.#local.mark(null)
    }
    this.#jobs.wantMerge()
    this.#scheduleRescan()
    this.#space.start()
    this.#jobs.kick()
  }

  protected async _close (): Promise<void> {
    this.#status = 'stopped'
    memoryQuiet(this, this.#log, false)
    if (this.#rescanTimer !== null) clearTimeout(this.#rescanTimer)
    const stopped = this.#jobs.stop()
    this.#space.stop()
    this.#watcher.stop()
    const localStopped = this.#local.stop()
    this.peers.detach()
    this.#direct?.content.detach()
    await this.#init.swarm.leave(this.keys.topic).catch(() => {})
    await stopped
    await localStopped
    await this.#saveState().catch(() => {})
    await this.#index.close().catch(() => {})
    await this.#remotes.close()
    await this.#own?.close()
  }

  /** The NFS server (or anything else that knows) reports a change to a folder-relative path. */
  notifyChange (path: string): void {
    if (this.readOnly || this.closing) return
    this.#local.mark(path.replace(/^\/+/, ''))
    this.#jobs.kickSoon()
  }

  /** Lifts the mass-delete pause: the deletions are confirmed and published. */
  async resume (): Promise<void> {
    if (this.#paused === null) return
    this.#log.info('resumed by the user: publishing the deletions')
    this.#paused = null
    this.#local.confirm()
    await mkdir(this.folder, { recursive: true })
    this.#watcher.stop()
    if (this.#o.watch) this.#watcher.start()
    this.#jobs.wantMerge()
    this.#setState('syncing')
    this.#jobs.kick()
  }

  status (): ReplicaStatus {
    let files = 0
    let bytes = 0
    let conflicts = 0
    if (this.blind) {
      for (const d of this.#remotes.values()) { files += d.blobs.length > 0 ? 1 : 0; bytes += d.blobs.byteLength + d.db.byteLength }
    } else {
      // Kept by the index as it changes: status stays O(1) at any number of files.
      ({ files, bytes, conflicts } = this.#index.totals)
    }
    return {
      state: this.#paused !== null ? 'paused' : this.#status,
      peers: this.peers.peers().filter((p) => p.admitted).length,
      files,
      bytes,
      pending: { files: this.#pending.files, bytes: this.#pending.bytes, local: this.#local.pending },
      conflicts,
      lastSync: this.#state.lastSync,
      readOnly: this.readOnly,
      blind: this.blind,
      paused: this.#paused,
      online: this.#init.swarm.online,
      writer: this.#own?.key.toString('hex') ?? null,
      error: this.#space.full ?? this.#error
    }
  }

  peerList (): PeerInfo[] { return this.peers.peers() }

  /**
   * Resolves once every connected writer's latest version (the heads they announced) is applied
   * here; throws TIMEOUT after `timeoutMs`.
   */
  async waitSynced (timeoutMs: number): Promise<void> {
    if (!this.opened) await this.open()
    await waitUntil(this, () => this.#isSynced(), {
      timeoutMs,
      event: 'progress',
      abort: () => this.closing ? new ShoalError('CLOSED') : null,
      timeout: () => new ShoalError('TIMEOUT', `not in sync after ${Math.round(timeoutMs / 1000)} s`,
        { hint: this.#paused !== null ? 'the namespace is paused after a mass delete: `ctl resume NAME`' : 'see `ctl status NAME` and `ctl peers`' })
    })
  }

  #isSynced (): boolean {
    if (this.#paused !== null || !this.opened) return false
    if (this.#jobs.busy) return false
    return headsApplied(this.peers.peers(), this.#discovered, (key) => {
      const d = this.#remotes.get(key)
      if (d === undefined) return null
      if (this.blind) return Math.min(d.db.contiguousLength, d.db.length)
      return this.#state.checkpoints[key] ?? 0
    })
  }

  async #follow (rec: DriveRecord): Promise<void> {
    const key = rec.key.toString('hex')
    if (this.#own !== null && rec.key.equals(this.#own.key)) return
    if (!this.#state.records.some((r) => r.key === key)) {
      this.#state.records.push({ key, blobs: rec.blobs.toString('hex'), sig: rec.sig.toString('hex') })
      void this.#saveState().catch(() => {})
    }
    try {
      await this.#remotes.add(rec)
    } catch (err) {
      if (!this.closing) this.#log.warn(`cannot follow writer ${key.slice(0, 8)}: ${(err as Error).message}`)
    }
    this.emit('progress')
  }

  #onWatch (path: string | null): void {
    this.#local.mark(path)
    this.#jobs.kickSoon()
  }

  async #scanAndPublish (): Promise<void> {
    const own = this.#own
    if (own === null || this.#w === null) return
    const ownKey = own.key.toString('hex')
    const merged = this.#state.checkpoints[ownKey] === own.version
    const r = await this.#local.publish(own, this.#w, { ...this.#state.seen }, () => { this.#announceHead() })
    if (r.paused !== null) { this.#pause(r.paused); return }
    if (r.published === 0) return
    // What we just published is on disk already: no need for the merge to read it back.
    if (merged) this.#state.checkpoints[ownKey] = own.version
    this.#state.hlc = this.#hlc.last
    await this.#saveState()
    this.#announceHead()
  }

  #pause (why: string): void {
    this.#paused = 'mass-delete'
    this.#watcher.stop()
    this.#log.warn(`${why}: publishing nothing until \`ctl resume\``)
    this.#setState('paused')
  }

  async #merge (): Promise<void> {
    if (this.blind) return // nothing to apply: the cores are downloaded by RemoteDrives
    const sources: MergeSource[] = []
    if (this.#own !== null && this.#w !== null) sources.push({ w: this.#w, key: this.#own.key.toString('hex'), drive: this.#own })
    for (const d of this.#remotes.values()) if (d.drive !== null) sources.push(driveSource(d))
    const merger = new Merger({
      writer: this.#writer,
      index: this.#index,
      hlc: this.#hlc,
      state: this.#state,
      own: this.#w,
      readOnly: this.readOnly,
      log: this.#log,
      blockTimeoutMs: this.#o.blockTimeoutMs,
      onProgress: (p) => { this.#pending = p; this.#progress.update(p) },
      direct: (key, path, hash, size) => this.#direct?.fetch(key, path, hash, size, this.#o.blockTimeoutMs) ?? null
    })
    const out = await merger.run(sources)
    this.#pending = { files: 0, bytes: 0 }
    this.#progress.done()
    for (const p of [...out.created, ...out.deferred]) this.#local.mark(p)
    if (out.incomplete) this.#jobs.retryMergeIn(DEFER_BACKOFF_MS)
    if (out.committed) {
      this.#deferStreak = 0
      if (out.applied > 0 || out.conflicts > 0) this.#log.info(`merged: ${out.applied} applied, ${out.conflicts} conflict copies`)
      this.#state.lastSync = Date.now()
    } else if (++this.#deferStreak > 3) {
      // A local edit keeps racing the merge: back off rather than spin.
      this.#jobs.retryMergeIn(DEFER_BACKOFF_MS)
    } else {
      this.#jobs.wantMerge()
    }
    this.#state.hlc = this.#hlc.last
    await this.#saveState()
  }

  /**
   * Announces the writer core's length, not the drive's version: hyperbee calls an empty core
   * version 1, and a peer would wait for ever to merge a block that is never appended.
   */
  #announceHead (): void {
    if (this.#own !== null) this.peers.setOwnHead(this.#own.key, this.#own.core.length)
  }

  #scheduleRescan (): void {
    if (this.readOnly || this.closing) return
    const every = this.#watcher.active ? this.#o.rescanIntervalMs : Math.min(this.#o.rescanIntervalMs, 2000)
    this.#rescanTimer = setTimeout(() => {
      if (this.#paused === null) {
        if (this.#o.watch && !this.#watcher.active) this.#watcher.start()
        this.#local.mark(null)
        this.#jobs.wantMerge() // the merge's safety net too: a missed append event costs one period
        this.#jobs.kick()
      }
      this.#scheduleRescan()
    }, every)
    this.#rescanTimer.unref()
  }

  /** A full disk is an error until space is freed; then everything is asked for again. */
  #onSpace (full: string | null, free: number): void {
    if (full !== null) {
      this.#log.error(full)
      this.#setState('error')
      this.emit('progress')
      return
    }
    this.#error = null
    this.#log.info(`disk space is back (${Math.floor(free / 1024 / 1024)} MiB free): syncing again`)
    // The remote drives are closed and opened again from the store, on new connections.
    void this.#remotes.renew(() => this.peers.reconnect(), () => this.closing).then((ok) => { if (ok) this.#jobs.requestMerge() })
    this.#jobs.wantMerge()
    if (!this.readOnly) this.#local.mark(null)
    this.#setState('syncing')
    this.#jobs.kick()
  }

  #setState (s: ReplicaState): void {
    if (this.#status === s || this.#status === 'stopped') return
    if (this.#space.full !== null && (s === 'idle' || s === 'syncing')) return // stays 'error' until space returns
    const from = this.#status
    this.#status = s
    this.emit('state', { from, to: s })
    if (s === 'syncing') memoryBusy(this)
    else if (from === 'syncing') memoryQuiet(this, this.#log, s === 'idle')
  }

  async #saveState (): Promise<void> {
    await writeJsonAtomic(join(this.#init.stateDir, 'replica.json'), this.#state)
  }
}

function driveSource (d: RemoteDrive): MergeSource {
  if (d.drive === null) throw new Error('a blind drive cannot be merged')
  return { w: d.w, key: d.key, drive: d.drive }
}

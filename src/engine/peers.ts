// Admission and drive gossip for one namespace, over a Protomux channel on every connection.
//
// A peer first proves it knows the namespace: each side sends, in the channel's open handshake, a
// MAC over the connection's Noise handshake hash (unique per connection, so a MAC cannot be
// replayed) keyed with kdf(E, 'admit'). Only after the remote's MAC checks out do we send drive
// records: (drive key, blobs key) signed by the namespace signing key. Records are gossiped, so a
// read-only or blind node passes on the writers it knows; a record without a valid signature is
// dropped everywhere. Writers also send the length of their own drive ("head"), which is what
// `ctl wait` waits for.
import { EventEmitter } from 'node:events'
import c, { type State } from 'compact-encoding'
import Protomux, { type Channel, type Message } from 'protomux'
import sodium from 'sodium-native'
import type { Logger } from '../log.js'
import { kdf, type NamespaceKeys } from '../secrets.js'
import { ConnectionChannels } from './connection-channels.js'

/** The part of a Noise secret stream the engine uses (a hyperswarm connection or a piped replication stream). */
export interface Connection extends EventEmitter {
  readonly isInitiator: boolean
  readonly handshakeHash: Buffer | null
  readonly remotePublicKey: Buffer | null
  readonly opened: Promise<boolean>
  readonly destroyed: boolean
  readonly rawStream?: { remoteHost?: string, remotePort?: number } | null
  destroy (err?: Error): void
}

/** Where connections come from: the swarm, or a test that pipes two stores together. */
export interface ConnectionSource extends EventEmitter {
  connections (): Iterable<Connection>
  on (event: 'connection', fn: (conn: Connection) => void): this
  off (event: 'connection', fn: (conn: Connection) => void): this
}

export interface DriveRecord { key: Buffer, blobs: Buffer, sig: Buffer }

export interface PeerInfo {
  /** Hex of the remote's connection public key. */
  id: string
  address: string | null
  admitted: boolean
  since: number
  /** Writer drives this peer writes (hex key → length it announced). */
  heads: Map<string, number>
}

const PROTOCOL = 'shoal/namespace/v1'
const SIGN_CONTEXT = Buffer.from('shoal drive record v1\0')

const driveRecordEncoding = {
  preencode (state: State, m: DriveRecord) {
    c.fixed32.preencode(state, m.key); c.fixed32.preencode(state, m.blobs); c.fixed64.preencode(state, m.sig)
  },
  encode (state: State, m: DriveRecord) {
    c.fixed32.encode(state, m.key); c.fixed32.encode(state, m.blobs); c.fixed64.encode(state, m.sig)
  },
  decode (state: State): DriveRecord {
    return { key: c.fixed32.decode(state), blobs: c.fixed32.decode(state), sig: c.fixed64.decode(state) }
  }
}

interface Head { key: Buffer, length: number }
const headEncoding = {
  preencode (state: State, m: Head) { c.fixed32.preencode(state, m.key); c.uint.preencode(state, m.length) },
  encode (state: State, m: Head) { c.fixed32.encode(state, m.key); c.uint.encode(state, m.length) },
  decode (state: State): Head { return { key: c.fixed32.decode(state), length: c.uint.decode(state) } }
}

function signedBytes (keys: NamespaceKeys, key: Buffer, blobs: Buffer): Buffer {
  return Buffer.concat([SIGN_CONTEXT, keys.signPublicKey, key, blobs])
}

/** Signs a writer drive's record; only a read-write node can. */
export function signDrive (keys: NamespaceKeys, key: Buffer, blobs: Buffer): DriveRecord {
  if (keys.signKeyPair === null) throw new Error('only a read-write node signs drives')
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, signedBytes(keys, key, blobs), keys.signKeyPair.secretKey)
  return { key, blobs, sig }
}

export function verifyDrive (keys: NamespaceKeys, rec: DriveRecord): boolean {
  return rec.key.length === 32 && rec.blobs.length === 32 && rec.sig.length === sodium.crypto_sign_BYTES &&
    sodium.crypto_sign_verify_detached(rec.sig, signedBytes(keys, rec.key, rec.blobs), keys.signPublicKey)
}

/** The admission MAC of one side of one connection. */
export function admissionMac (keys: NamespaceKeys, handshakeHash: Buffer, initiator: boolean): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([handshakeHash, Buffer.from([initiator ? 1 : 0])]), kdf(keys.blindKey, 'admit'))
  return out
}

/** A connection gets this long to prove itself before `wait` counts it out (it may lack the namespace). */
const ADMISSION_GRACE_MS = 2000

/**
 * Has every admitted peer's announced head been applied (`have(key)`: the version applied here,
 * null for a drive not followed yet)? Before discovery has run once, no peers means "not yet".
 */
export function headsApplied (peers: PeerInfo[], discovered: boolean, have: (key: string) => number | null, now = Date.now()): boolean {
  for (const p of peers) if (!p.admitted && now - p.since < ADMISSION_GRACE_MS) return false
  if (!discovered && peers.length === 0) return false
  for (const p of peers) {
    for (const [key, length] of p.heads) {
      const applied = have(key)
      if (applied === null || applied < length) return false
    }
  }
  return true
}

interface Session {
  conn: Connection
  channel: Channel
  driveMsg: Message<DriveRecord>
  headMsg: Message<Head>
  info: PeerInfo
}

export interface NamespacePeersEvents {
  drive: [DriveRecord]
  head: [PeerInfo, string, number]
  change: []
}

/**
 * One namespace's view of the connections: admission, drive records, heads. Not a Resource of its
 * own I/O: attach() and detach() are synchronous; the replica owns it.
 */
export class NamespacePeers extends EventEmitter<NamespacePeersEvents> {
  readonly keys: NamespaceKeys
  readonly #log: Logger
  readonly #channelId: Buffer
  readonly #records = new Map<string, DriveRecord>()
  readonly #channels: ConnectionChannels<Session>
  #ownHead: Head | null = null

  constructor (source: ConnectionSource, keys: NamespaceKeys, log: Logger) {
    super()
    this.keys = keys
    this.#log = log
    this.#channelId = kdf(keys.blindKey, 'channel')
    this.#channels = new ConnectionChannels(source, {
      make: (conn, hh) => this.#makeSession(conn, hh),
      start: (s, hh) => {
        s.channel.open(admissionMac(this.keys, hh, s.conn.isInitiator))
        this.emit('change')
      }
    })
  }

  attach (): void { this.#channels.attach() }

  detach (): void { this.#channels.detach() }

  /**
   * Closes the connections to this namespace's peers; the swarm makes new ones, with fresh
   * replication state, as after a restart (other namespaces shared with those peers reconnect
   * too). Returns how many were closed.
   */
  reconnect (): number {
    let n = 0
    for (const s of this.#channels.sessions()) {
      if (s.conn.destroyed) continue
      s.conn.destroy()
      n++
    }
    return n
  }

  /** Every verified drive record, ours included. */
  records (): DriveRecord[] { return [...this.#records.values()] }

  peers (): PeerInfo[] { return [...this.#channels.sessions()].map((s) => s.info) }

  /** Connections of admitted peers that write the drive `key` (hex): where its files are on disk. */
  writerConnections (key: string): Connection[] {
    const out: Connection[] = []
    for (const s of this.#channels.sessions()) if (s.info.admitted && s.info.heads.has(key)) out.push(s.conn)
    return out
  }

  /** Connections whose channel is not open yet (still proving, or the remote lacks the namespace). */
  pendingCount (): number {
    let n = 0
    for (const s of this.#channels.sessions()) if (!s.info.admitted) n++
    return n
  }

  /** Adds a record (ours, or one loaded from disk) and gossips it; false if the signature is bad. */
  addRecord (rec: DriveRecord): boolean {
    if (!verifyDrive(this.keys, rec)) return false
    const id = rec.key.toString('hex')
    if (this.#records.has(id)) return true
    this.#records.set(id, rec)
    this.emit('drive', rec)
    for (const s of this.#channels.sessions()) if (s.info.admitted) s.driveMsg.send(rec)
    return true
  }

  /** Announces the length of our own writer drive to every admitted peer. */
  setOwnHead (key: Buffer, length: number): void {
    this.#ownHead = { key, length }
    for (const s of this.#channels.sessions()) if (s.info.admitted) s.headMsg.send(this.#ownHead)
  }

  #makeSession (conn: Connection, hh: Buffer): Session | null {
    const mux = Protomux.from(conn)
    const info: PeerInfo = {
      id: conn.remotePublicKey?.toString('hex') ?? '',
      address: conn.rawStream?.remoteHost ? `${conn.rawStream.remoteHost}:${conn.rawStream.remotePort ?? 0}` : null,
      admitted: false,
      since: Date.now(),
      heads: new Map()
    }
    const channel = mux.createChannel({
      protocol: PROTOCOL,
      id: this.#channelId,
      handshake: c.fixed32,
      onopen: (remoteMac: Buffer) => { this.#onOpen(session, hh, remoteMac) },
      onclose: () => { this.#onClose(session) }
    })
    if (channel === null) return null // already open on this connection
    const session: Session = {
      conn,
      channel,
      info,
      driveMsg: channel.addMessage({ encoding: driveRecordEncoding, onmessage: (rec) => { this.#onRecord(session, rec) } }),
      headMsg: channel.addMessage({ encoding: headEncoding, onmessage: (h) => { this.#onHead(session, h) } })
    }
    return session
  }

  #onOpen (s: Session, hh: Buffer, remoteMac: Buffer): void {
    const expected = admissionMac(this.keys, hh, !s.conn.isInitiator)
    if (!sodium.sodium_memcmp(expected, remoteMac)) {
      this.#log.warn(`peer ${s.info.id.slice(0, 8)} failed namespace admission; closing the channel`)
      s.channel.close()
      return
    }
    s.info.admitted = true
    this.#log.debug(`peer ${s.info.id.slice(0, 8)} admitted`)
    for (const rec of this.#records.values()) s.driveMsg.send(rec)
    if (this.#ownHead !== null) s.headMsg.send(this.#ownHead)
    this.emit('change')
  }

  #onClose (s: Session): void {
    this.#channels.closed(s)
    this.emit('change')
  }

  #onRecord (s: Session, rec: DriveRecord): void {
    if (!s.info.admitted) return
    if (!this.addRecord(rec)) this.#log.warn(`peer ${s.info.id.slice(0, 8)} sent a drive record with a bad signature; ignored`)
  }

  #onHead (s: Session, h: Head): void {
    if (!s.info.admitted) return
    const id = h.key.toString('hex')
    // Heads are only trusted for drives whose record we verified.
    if (!this.#records.has(id)) return
    if ((s.info.heads.get(id) ?? -1) >= h.length) return
    s.info.heads.set(id, h.length)
    this.emit('head', s.info, id, h.length)
  }
}

// The content channel: a second Protomux channel on every connection, beside the namespace's
// admission channel (peers.ts), through which a node that can read the namespace streams a file's
// bytes straight from a peer's folder. A large file then moves at the transport's speed, not at
// the speed of hypercore's per-block hashing, encryption and storage; the writer still stores the
// blob in its drive (for blind peers, history and nodes that come later), behind the transfer.
//
// Trust: the channel opens only with a MAC keyed by the read key (content-wire.ts), so blind peers
// cannot ask. A sender serves a path only while its folder holds that path with the hash asked for
// (the offer callback). The receiver checks nothing here but sizes and credit: the caller hashes
// the bytes and drops them unless they are the entry's content (blob-fetch.ts).
import { EventEmitter } from 'node:events'
import { open } from 'node:fs/promises'
import c from 'compact-encoding'
import Protomux, { type Channel, type Message } from 'protomux'
import sodium from 'sodium-native'
import type { Logger } from '../log.js'
import { kdf, type NamespaceKeys } from '../secrets.js'
import { ConnectionChannels } from './connection-channels.js'
import { claimFrame } from './side-stream.js'
import type { Connection, ConnectionSource } from './peers.js'
import {
  CONTENT_PROTOCOL, contentMac, creditEncoding, dataEncoding, endEncoding, EndStatus, MAX_CHUNK, requestEncoding,
  type ContentCredit, type ContentData, type ContentEnd, type ContentRequest
} from './content-wire.js'

/** What the sender serves: the file and a check that it still holds the offered content. */
export interface Offer {
  abs: string
  size: number
  /** False once the file changed since it was offered (checked every CHECK_EVERY bytes and at the end). */
  unchanged: () => Promise<boolean>
}

/** `path` (folder-relative) with content `hash` (sha256 hex), if this node holds it; null otherwise. */
export type OfferFn = (path: string, hash: string) => Promise<Offer | null>

/** Bytes a receiver lets a sender have in flight (its buffer bound per transfer). */
const WINDOW = 16 * MAX_CHUNK
const CHECK_EVERY = 64 * MAX_CHUNK

export class TransferError extends Error {}

interface Incoming {
  size: number
  received: number
  granted: number
  queue: Buffer[]
  end: EndStatus | null
  error: Error | null
  wake: (() => void) | null
}

interface Outgoing { credit: number, cancelled: boolean, wake: (() => void) | null }

interface Session {
  conn: Connection
  channel: Channel
  open: boolean
  request: Message<ContentRequest>
  data: Message<ContentData>
  end: Message<ContentEnd>
  credit: Message<ContentCredit>
  incoming: Map<number, Incoming>
  outgoing: Map<number, Outgoing>
  drain: Array<() => void>
}

export class ContentPeers extends EventEmitter<{ idle: [] }> {
  readonly #keys: NamespaceKeys
  readonly #offer: OfferFn | null
  readonly #log: Logger
  readonly #channelId: Buffer
  readonly #channels: ConnectionChannels<Session>
  /** Remote key (hex) → the open session with that peer. */
  readonly #byPeer = new Map<string, Session>()
  #nextId = 1
  #serving = 0

  /** `offer` null: this node asks but serves nothing. */
  constructor (source: ConnectionSource, keys: NamespaceKeys, offer: OfferFn | null, log: Logger) {
    super()
    this.#keys = keys
    this.#offer = offer
    this.#log = log
    this.#channelId = kdf(keys.blindKey, 'content-channel')
    this.#channels = new ConnectionChannels(source, {
      make: (conn, hh) => this.#makeSession(conn, hh),
      start: (s, hh) => {
        const mac = contentMac(this.#keys, hh, s.conn.isInitiator)
        if (mac === null) s.channel.close() // no read key (attach() does not attach then)
        else s.channel.open(mac)
      }
    })
  }

  attach (): void {
    if (this.#keys.readKey === null) return // blind: nothing to ask, nothing to serve
    this.#channels.attach()
  }

  detach (): void {
    this.#channels.detach()
    this.#byPeer.clear()
  }

  /** Is a content channel open with the peer whose (swarm) key is `remoteKey`? */
  has (remoteKey: Buffer): boolean { return this.#byPeer.has(remoteKey.toString('hex')) }

  /** Transfers this node is serving now. */
  get serving (): number { return this.#serving }

  /** Resolves when no transfer is being served (a large upload waits for it between blocks). */
  async idle (): Promise<void> {
    while (this.#serving > 0) await new Promise<void>((resolve) => { this.once('idle', resolve) })
  }

  /**
   * The bytes of `path` from the peer on `conn`, in order. Throws TransferError if the peer does
   * not have it, stops, sends more than asked or goes quiet for `timeoutMs`; the caller checks
   * the hash. Stopping early (return or throw from the consumer) cancels the transfer. A chunk
   * may be a side link's frame on loan (claimFrame): once it is written, returnFrame(chunk) lets
   * the link reuse it; a chunk not returned is left to the collector.
   */
  async * fetch (remoteKey: Buffer, path: string, hash: string, size: number, timeoutMs: number): AsyncGenerator<Buffer> {
    const s = this.#byPeer.get(remoteKey.toString('hex'))
    if (s?.open !== true) throw new TransferError('no content channel to that peer')
    const id = this.#nextId++
    const t: Incoming = { size, received: 0, granted: WINDOW, queue: [], end: null, error: null, wake: null }
    s.incoming.set(id, t)
    s.request.send({ id, path, hash: Buffer.from(hash, 'hex'), size, window: WINDOW })
    let consumed = 0
    try {
      for (;;) {
        const b = t.queue.shift()
        if (b !== undefined) {
          yield b
          consumed += b.length
          // Credit in steps of a chunk, not per message: fewer messages back.
          if (t.granted - consumed <= WINDOW - MAX_CHUNK && t.granted < size) {
            const more = Math.min(size, consumed + WINDOW) - t.granted
            t.granted += more
            s.credit.send({ id, bytes: more })
          }
          continue
        }
        if (t.error !== null) throw t.error
        if (t.end !== null) {
          if (t.end !== EndStatus.OK) throw new TransferError(`peer ended the transfer: ${EndStatus[t.end] ?? t.end}`)
          if (t.received !== size) throw new TransferError(`peer sent ${t.received} of ${size} bytes`)
          return
        }
        const woke = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => { t.wake = null; resolve(false) }, timeoutMs)
          t.wake = () => { clearTimeout(timer); t.wake = null; resolve(true) }
        })
        if (!woke) throw new TransferError(`no data from the peer for ${timeoutMs} ms`)
      }
    } finally {
      s.incoming.delete(id)
      if (t.end === null && !s.channel.closed) s.credit.send({ id, bytes: 0 }) // cancel
    }
  }

  #makeSession (conn: Connection, hh: Buffer): Session | null {
    const mux = Protomux.from(conn)
    const channel = mux.createChannel({
      protocol: CONTENT_PROTOCOL,
      id: this.#channelId,
      handshake: c.fixed32,
      onopen: (remote: Buffer) => {
        const expected = contentMac(this.#keys, hh, !conn.isInitiator)
        if (expected === null || !sodium.sodium_memcmp(expected, remote)) {
          this.#log.warn('a peer opened the content channel without the read key; closing it')
          channel?.close()
          return
        }
        session.open = true
        this.#byPeer.set(conn.remotePublicKey?.toString('hex') ?? '', session)
      },
      onclose: () => { this.#onClose(session) },
      ondrain: () => { for (const fn of session.drain.splice(0)) fn() }
    })
    if (channel === null) return null
    const session: Session = {
      conn,
      channel,
      open: false,
      request: channel.addMessage({ encoding: requestEncoding, onmessage: (m) => { void this.#serve(session, m) } }),
      data: channel.addMessage({ encoding: dataEncoding, onmessage: (m) => { this.#onData(session, m) } }),
      end: channel.addMessage({ encoding: endEncoding, onmessage: (m) => { this.#onEnd(session, m) } }),
      credit: channel.addMessage({ encoding: creditEncoding, onmessage: (m) => { this.#onCredit(session, m) } }),
      incoming: new Map(),
      outgoing: new Map(),
      drain: []
    }
    return session
  }

  #onClose (s: Session): void {
    s.open = false
    this.#channels.closed(s)
    const id = s.conn.remotePublicKey?.toString('hex') ?? ''
    if (this.#byPeer.get(id) === s) this.#byPeer.delete(id)
    for (const t of s.incoming.values()) fail(t, new TransferError('the connection closed'))
    for (const o of s.outgoing.values()) { o.cancelled = true; o.wake?.() }
    for (const fn of s.drain.splice(0)) fn()
  }

  #onData (s: Session, m: ContentData): void {
    const t = s.incoming.get(m.id)
    if (t === undefined || t.end !== null || t.error !== null) return // cancelled: late data
    if (t.received + m.bytes.length > Math.min(t.granted, t.size)) {
      fail(t, new TransferError('the peer sent more than it was asked for'))
      return
    }
    t.received += m.bytes.length
    claimFrame(m.bytes) // its writer returns it (apply.ts)
    t.queue.push(m.bytes)
    t.wake?.()
  }

  #onEnd (s: Session, m: ContentEnd): void {
    const t = s.incoming.get(m.id)
    if (t === undefined || t.end !== null) return
    t.end = m.status
    t.wake?.()
  }

  #onCredit (s: Session, m: ContentCredit): void {
    const o = s.outgoing.get(m.id)
    if (o === undefined) return
    if (m.bytes === 0) o.cancelled = true
    else o.credit += m.bytes
    o.wake?.()
  }

  async #serve (s: Session, req: ContentRequest): Promise<void> {
    if (!s.open || s.outgoing.has(req.id)) return
    const o: Outgoing = { credit: Math.min(req.window, WINDOW), cancelled: false, wake: null }
    s.outgoing.set(req.id, o)
    this.#serving++
    let status = EndStatus.FAILED
    try {
      status = await this.#send(s, req, o)
    } catch (err) {
      this.#log.debug(`serving ${req.path} failed: ${(err as Error).message}`)
    } finally {
      s.outgoing.delete(req.id)
      if (!o.cancelled && !s.channel.closed) s.end.send({ id: req.id, status })
      if (--this.#serving === 0) this.emit('idle')
    }
  }

  async #send (s: Session, req: ContentRequest, o: Outgoing): Promise<EndStatus> {
    const offer = this.#offer === null ? null : await this.#offer(req.path, req.hash.toString('hex'))
    if (offer === null || offer.size !== req.size) return EndStatus.UNAVAILABLE
    const fh = await open(offer.abs, 'r')
    const t0 = performance.now()
    // Two read buffers: the next chunk is read while this one is encrypted and sent, so the file
    // read never sits between two frames (send() copies a chunk into its frame at once, so a
    // buffer is free again as soon as all of it is sent).
    const bufs = [Buffer.allocUnsafe(Math.min(MAX_CHUNK, req.size)), Buffer.allocUnsafe(Math.min(MAX_CHUNK, req.size))]
    let pos = 0
    let k = 0
    const readNext = (): Promise<Buffer | null> => {
      const buf = bufs[k++ & 1] as Buffer
      const n = Math.min(MAX_CHUNK, req.size - pos)
      // Shorter than offered: the file changed (null).
      const p = fh.read(buf, 0, n, pos).then(({ bytesRead }) => bytesRead === n ? buf.subarray(0, n) : null)
      pos += n
      p.catch(() => {}) // awaited below; a failure while we wait for credit must not be unhandled meanwhile
      return p
    }
    let reading: Promise<Buffer | null> | null = null
    try {
      reading = readNext()
      let ready: Buffer = Buffer.alloc(0)
      let sent = 0
      let checked = 0
      while (sent < req.size) {
        if (ready.length === 0) {
          const got: Buffer | null = await (reading ?? readNext())
          reading = null
          if (got === null) return EndStatus.CHANGED
          ready = got
          if (pos < req.size) reading = readNext()
        }
        while (o.credit <= 0 && !o.cancelled) {
          const woke = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => { o.wake = null; resolve(false) }, IDLE_MS)
            o.wake = () => { clearTimeout(timer); o.wake = null; resolve(true) }
          })
          if (!woke) return EndStatus.FAILED // the receiver stopped asking
        }
        if (o.cancelled) return EndStatus.FAILED
        const n = Math.min(ready.length, o.credit)
        s.data.send({ id: req.id, bytes: ready.subarray(0, n) })
        ready = ready.subarray(n)
        sent += n
        o.credit -= n
        if (sent - checked >= CHECK_EVERY) {
          checked = sent
          if (!(await offer.unchanged())) return EndStatus.CHANGED
        }
        if (!s.channel.drained) await new Promise<void>((resolve) => { s.drain.push(resolve) })
        if (s.channel.closed) return EndStatus.FAILED
      }
      if (!(await offer.unchanged())) return EndStatus.CHANGED
      this.#log.debug(`served ${req.path}: ${(req.size / 1048576).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(2)} s`)
      return EndStatus.OK
    } finally {
      await reading?.catch(() => null) // no read may outlive the file handle
      await fh.close()
    }
  }
}

/** A sender gives up on a receiver that grants no credit for this long. */
const IDLE_MS = 30_000

function fail (t: Incoming, err: Error): void {
  if (t.error === null) t.error = err
  t.wake?.()
}

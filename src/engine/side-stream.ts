// The encrypted stream of a side link (side-links.ts): one TCP socket, authenticated with the same
// Noise handshake as @hyperswarm/secret-stream (XX over the swarm's ed25519 key pairs, run by
// secret-stream's own Handshake), then sealed frames:
//
//   frame = u32le n · ChaCha20-Poly1305-IETF(key, nonce, plaintext, ad = the 4 length bytes)
//
// with n the ciphertext's length (plaintext + 16-byte tag), a key per direction (the handshake's
// split: tx for what we send, rx for what we receive) and a nonce that counts frames from 0 in each
// direction. A frame that was changed, replayed, reordered or cut fails its tag and ends the stream.
//
// Why not secret-stream, as the swarm's connections use: a side link carries a large file's bytes,
// 1 MiB frames, and secret-stream allocates a new buffer for each frame it sends. On this machine
// that cost the sender more than the encryption did (each new 1 MiB buffer is fresh memory: page
// faults, then a cold copy) and drove V8 into a major collection every few dozen MiB on both sides
// (the buffers count as external memory). Here the large frames a sender writes come from a small
// pool and go back to it once the socket has taken them; a frame that arrives whole in one socket
// read is opened in place. On a link this node dialed (SideStream.connect), the socket reads the
// rest of a large frame straight into that frame's buffer: no 64 KiB buffer per read, no copy.
// Large frames received come from the same pool; the one consumer of a frame's bytes (a content
// chunk, content.ts) may claim it and return it once the bytes are written (claimFrame,
// returnFrame), so a receiver too reuses a few buffers instead of allocating 1 MiB per frame.
import { Duplex } from 'node:stream'
import net from 'node:net'
import Handshake from '@hyperswarm/secret-stream/lib/handshake.js'
import sodium from 'sodium-native'
import type { KeyPair } from '../secrets.js'

const HEADER = 4
const TAG = 16
const KEY = 32
/** The longest plaintext a frame may carry (a content chunk is at most 1 MiB plus its header). */
export const MAX_PLAINTEXT = (1 << 20) + 1024
/** A handshake message's longest body (Noise XX messages are under 200 bytes). */
const MAX_HANDSHAKE = 4096
/** Frames this large or larger are pooled; smaller ones are cheap to allocate. */
const POOLED_MIN = 64 * 1024
/** Free frames kept: about what the socket's buffer (4 MiB) and ours (2 MiB) hold in flight. */
const POOL_KEEP = 8
/** The pool is dropped after this long without a large frame (an idle link holds no frames). */
const POOL_IDLE_MS = 2000

/** A pooled frame's buffer: the largest frame with its length header. */
const FRAME = HEADER + MAX_PLAINTEXT + TAG

/** A read of the socket's own (reused) buffer holds at most this; a frame body longer than what is left is read into place. */
const SCRATCH = 64 * 1024

export class SideStreamError extends Error {}

/** The pooled frame being delivered now (SideStream.#frame), and how many claimed its bytes. */
let delivering: { buffer: ArrayBufferLike, claims: number } | null = null
/** Received frames on loan: their memory → what puts them back in their stream's pool. */
const loans = new WeakMap<ArrayBufferLike, () => void>()

/**
 * Claims the received frame that `view` lies in, for the caller alone: call it from the message
 * handler, while the frame is being delivered. The claim holds when the frame came from a pool
 * and carries one message and nothing else claimed it; the claimant then calls returnFrame once
 * nothing reads the bytes any more (a view kept after that would see other frames' bytes). A
 * claim that does not hold costs nothing: the frame is left to the collector, as any buffer.
 */
export function claimFrame (view: Uint8Array): void {
  if (delivering !== null && view.buffer === delivering.buffer) delivering.claims++
}

/** Gives back a frame claimed with claimFrame (any other buffer: nothing happens). */
export function returnFrame (view: Uint8Array): void {
  const giveBack = loans.get(view.buffer)
  if (giveBack === undefined) return
  loans.delete(view.buffer)
  giveBack()
}

type HandshakeResult = NonNullable<ReturnType<Handshake['send']>>

export class SideStream extends Duplex {
  readonly isInitiator: boolean
  readonly opened: Promise<boolean>
  readonly rawStream = null
  /** Protomux keeps its instance here (Protomux.from). */
  userData: unknown = null
  handshakeHash: Buffer | null = null
  remotePublicKey: Buffer | null = null

  readonly #socket: net.Socket
  #handshake: Handshake | null
  /** The key the dialer expects; a handshake with any other fails. */
  readonly #expect: Buffer | null
  #resolveOpened: (ok: boolean) => void = () => {}
  #txKey: Buffer | null = null
  #rxKey: Buffer | null = null
  readonly #txNonce = Buffer.alloc(12)
  readonly #rxNonce = Buffer.alloc(12)
  #txCount = 0n
  #rxCount = 0n
  /** The frame and plaintext view alloc() handed out last (written in place if written next). */
  #allocFrame: Buffer | null = null
  #allocPlain: Buffer | null = null
  #pool: Buffer[] = []
  #poolTimer: NodeJS.Timeout | null = null
  #drainCb: ((err?: Error | null) => void) | null = null
  // Receive state: a header being read, then a body (held: the parts read so far).
  readonly #head = Buffer.alloc(HEADER)
  #headHave = 0
  #bodyLen = -1
  #body: Buffer | null = null
  #bodyHave = 0

  /**
   * Dials `host:port` and runs the handshake as initiator, reading with the socket's `onread`:
   * into one reused buffer, and the rest of a large frame straight into that frame's buffer.
   */
  static connect (port: number, host: string, opts: { keyPair: KeyPair, remotePublicKey?: Buffer, writableHighWaterMark?: number }): SideStream {
    let stream: SideStream | null = null
    const scratch = Buffer.allocUnsafe(SCRATCH)
    // (net.Socket passes stream options on to its Duplex; @types/node does not list them.)
    const socket = net.connect({
      port,
      host,
      writableHighWaterMark: opts.writableHighWaterMark,
      onread: {
        buffer: () => (stream === null ? null : stream.#readInto()) ?? scratch,
        callback: (n: number, buf: Uint8Array) => { if (stream !== null) stream.#onRead(n, buf as Buffer, scratch); return true }
      }
    } as net.NetConnectOpts)
    socket.setNoDelay(true)
    stream = new SideStream(true, socket, opts, true)
    return stream
  }

  constructor (isInitiator: boolean, socket: net.Socket, opts: { keyPair: KeyPair, remotePublicKey?: Buffer }, ownReads = false) {
    super({ readableObjectMode: true, writableHighWaterMark: 2 << 20 })
    this.isInitiator = isInitiator
    this.#socket = socket
    this.#expect = opts.remotePublicKey ?? null
    this.opened = new Promise((resolve) => { this.#resolveOpened = resolve })
    this.#handshake = new Handshake(isInitiator, opts.keyPair, opts.remotePublicKey ?? null, 'XX')
    if (!ownReads) socket.on('data', (chunk: Buffer) => { this.#onData(chunk, false) })
    socket.on('end', () => { this.push(null) })
    socket.on('error', (err) => { this.destroy(err) })
    socket.on('close', () => { this.destroy() })
    socket.on('drain', () => {
      const cb = this.#drainCb
      this.#drainCb = null
      cb?.()
    })
    if (isInitiator) this.#handshakeOut(this.#handshake.send())
  }

  /**
   * Room for a plaintext of `len` bytes inside a frame (Protomux encodes its messages into it):
   * written next, the frame is sealed where it is, with no copy.
   */
  alloc (len: number): Buffer {
    const pooled = len >= POOLED_MIN && len <= MAX_PLAINTEXT
    const frame = pooled ? this.#pooled() : Buffer.allocUnsafe(HEADER + len + TAG)
    this.#allocFrame = frame
    this.#allocPlain = frame.subarray(HEADER, HEADER + len)
    return this.#allocPlain
  }

  override _write (data: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const key = this.#txKey
    if (key === null) {
      // Written before the handshake is done: it waits (as secret-stream's writes do).
      void this.opened.then((ok) => { if (ok) this._write(data, _enc, cb); else cb(new SideStreamError('the handshake failed')) })
      return
    }
    const n = data.length
    if (n > MAX_PLAINTEXT) { cb(new SideStreamError(`message of ${n} bytes is larger than a frame`)); return }
    if (data !== this.#allocPlain || this.#allocFrame === null) data.copy(this.alloc(n))
    const frame = this.#allocFrame as Buffer
    this.#allocFrame = this.#allocPlain = null
    frame.writeUInt32LE(n + TAG, 0)
    this.#txNonce.writeBigUInt64LE(this.#txCount++, 0)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(frame.subarray(HEADER, HEADER + n + TAG), frame.subarray(HEADER, HEADER + n), frame.subarray(0, HEADER), null, this.#txNonce, key)
    const pooled = frame.length === FRAME
    const ok = this.#socket.write(frame.subarray(0, HEADER + n + TAG), pooled ? () => { this.#release(frame) } : undefined)
    if (ok) cb()
    else this.#drainCb = cb
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.#socket.end()
    cb()
  }

  override _read (): void {
    this.#socket.resume()
  }

  override _destroy (err: Error | null, cb: (err: Error | null) => void): void {
    this.#handshake = null
    this.#resolveOpened(false)
    if (this.#poolTimer !== null) clearTimeout(this.#poolTimer)
    this.#pool = []
    const drain = this.#drainCb
    this.#drainCb = null
    drain?.(err ?? new SideStreamError('destroyed'))
    this.#socket.destroy()
    cb(err)
  }

  /** A frame's buffer from the pool, or a new one. */
  #pooled (): Buffer {
    return this.#pool.pop() ?? Buffer.allocUnsafeSlow(FRAME)
  }

  #release (frame: Buffer): void {
    if (this.destroyed) return
    if (this.#pool.length < POOL_KEEP) this.#pool.push(frame)
    if (this.#poolTimer === null) {
      this.#poolTimer = setTimeout(() => { this.#poolTimer = null; this.#pool = [] }, POOL_IDLE_MS)
      this.#poolTimer.unref()
    } else {
      this.#poolTimer.refresh()
    }
  }

  #fail (message: string): void {
    this.destroy(new SideStreamError(message))
  }

  #handshakeOut (h: HandshakeResult | null): void {
    if (h === null) { this.#fail('Noise handshake failed'); return }
    // The dialer learns the other's key from its second message: another key than the one it
    // dialed for ends the handshake there, before our last message (our own key) goes out.
    if (h.remotePublicKey !== null && this.#expect !== null && !this.#expect.equals(h.remotePublicKey)) { this.#fail('the peer is not the one dialed (another swarm key)'); return }
    if (h.data !== null) this.#socket.write(h.data)
    if (h.tx === null || h.rx === null || h.hash === null || h.remotePublicKey === null) return
    this.#handshake = null
    this.#txKey = Buffer.from(h.tx.subarray(0, KEY))
    this.#rxKey = Buffer.from(h.rx.subarray(0, KEY))
    this.handshakeHash = h.hash
    this.remotePublicKey = h.remotePublicKey
    this.#resolveOpened(true)
  }

  /** Where the socket's next read goes (connect()): the rest of a large frame's body, or null for the scratch buffer. */
  #readInto (): Buffer | null {
    const body = this.#body
    if (body === null || this.#bodyLen - this.#bodyHave < SCRATCH) return null
    return body.subarray(this.#bodyHave, this.#bodyLen)
  }

  /** A read done by the socket's onread (connect()). A full readable side pauses the socket itself (#frame). */
  #onRead (n: number, buf: Buffer, scratch: Buffer): void {
    if (buf.buffer !== scratch.buffer) {
      // Straight into the frame's body (#readInto).
      this.#bodyHave += n
      if (this.#bodyHave === this.#bodyLen) {
        const body = this.#body as Buffer
        this.#body = null
        this.#bodyLen = -1
        this.#frame(body)
      }
    } else {
      this.#onData(buf.subarray(0, n), true)
    }
  }

  /** `transient`: the chunk's memory is read into again (the scratch buffer), so nothing may keep a view of it. */
  #onData (chunk: Buffer, transient: boolean): void {
    let at = 0
    while (at < chunk.length && !this.destroyed) {
      if (this.#bodyLen < 0) {
        // The length: 3 bytes (u24le) during the handshake, as secret-stream frames it, then 4.
        const want = this.#handshake !== null ? 3 : HEADER
        const take = Math.min(want - this.#headHave, chunk.length - at)
        chunk.copy(this.#head, this.#headHave, at, at + take)
        this.#headHave += take
        at += take
        if (this.#headHave < want) return
        this.#headHave = 0
        const len = want === 3 ? this.#head.readUIntLE(0, 3) : this.#head.readUInt32LE(0)
        if (want === 3 ? len > MAX_HANDSHAKE : len < TAG || len > MAX_PLAINTEXT + TAG) { this.#fail(`bad frame length ${len}`); return }
        this.#bodyLen = len
        this.#bodyHave = 0
        const pooled = len >= POOLED_MIN
        // Whole in this read: opened where it lies, no copy (copied out of a reused buffer).
        if (chunk.length - at >= len && !(transient && pooled)) {
          const body = transient ? Buffer.from(chunk.subarray(at, at + len)) : chunk.subarray(at, at + len)
          at += len
          this.#bodyLen = -1
          this.#frame(body)
          continue
        }
        this.#body = pooled ? this.#pooled().subarray(0, len) : Buffer.allocUnsafe(len)
      }
      const body = this.#body as Buffer
      const take = Math.min(this.#bodyLen - this.#bodyHave, chunk.length - at)
      chunk.copy(body, this.#bodyHave, at, at + take)
      this.#bodyHave += take
      at += take
      if (this.#bodyHave < this.#bodyLen) return
      this.#body = null
      this.#bodyLen = -1
      this.#frame(body)
    }
  }

  #frame (body: Buffer): void {
    const hs = this.#handshake
    if (hs !== null) {
      this.#handshakeOut(hs.recv(body))
      return
    }
    const key = this.#rxKey
    if (key === null) { this.#fail('data before the handshake'); return }
    const plain = body.subarray(0, body.length - TAG)
    this.#rxNonce.writeBigUInt64LE(this.#rxCount++, 0)
    this.#head.writeUInt32LE(body.length, 0)
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plain, null, body, this.#head, this.#rxNonce, key)
    } catch {
      this.#fail('a frame failed its authentication tag')
      return
    }
    // A frame of one message (protomux's batches start with channel 0) may be claimed by the one
    // consumer of its bytes while it is delivered; protomux decodes it during push() when nothing
    // is buffered before it (otherwise later, and no claim holds).
    // Pooled: its memory is one of the pool's frames (only those are FRAME bytes long; a frame read
    // any other way lies in a buffer of its own length or of a socket read's).
    const pooled = body.buffer.byteLength === FRAME
    if (!pooled || plain[0] === 0) {
      if (!this.push(plain)) this.#socket.pause()
      return
    }
    const d = { buffer: body.buffer, claims: 0 }
    delivering = d
    let more: boolean
    try {
      more = this.push(plain)
    } finally {
      delivering = null
    }
    if (d.claims === 1) {
      const frame = Buffer.from(body.buffer, 0, FRAME)
      loans.set(body.buffer, () => { this.#release(frame) })
    }
    if (!more) this.#socket.pause()
  }
}

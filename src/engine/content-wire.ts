// The wire of the content channel (content.ts): a node that can read a namespace asks a peer for
// the bytes of one file by path and content hash, and the peer streams them. Every length read
// from the wire is bounded, and the receiver grants credit, so a sender can never make it buffer
// more than its window.
import c, { type State } from 'compact-encoding'
import sodium from 'sodium-native'
import { kdf, type NamespaceKeys } from '../secrets.js'

export const CONTENT_PROTOCOL = 'shoal/content/v1'
/** Largest data message; a bigger one is a protocol violation. */
export const MAX_CHUNK = 1 << 20
/** Longest path a request may carry (bytes of UTF-8). */
export const MAX_PATH = 4096

/** Receiver → sender: the bytes of `path` if its content hash is `hash` (sha256) and its size `size`. */
export interface ContentRequest { id: number, path: string, hash: Buffer, size: number, window: number }
/** Sender → receiver: the next bytes of transfer `id`, in order. */
export interface ContentData { id: number, bytes: Buffer }
/** Sender → receiver: transfer `id` is over; `status` says how. */
export interface ContentEnd { id: number, status: EndStatus }
/** Receiver → sender: `bytes` more may be sent (receiver consumed them); 0: cancel. */
export interface ContentCredit { id: number, bytes: number }

export enum EndStatus { OK = 0, UNAVAILABLE = 1, CHANGED = 2, FAILED = 3 }

export const requestEncoding = {
  preencode (s: State, m: ContentRequest) {
    c.uint.preencode(s, m.id); c.string.preencode(s, m.path); c.fixed32.preencode(s, m.hash); c.uint.preencode(s, m.size); c.uint.preencode(s, m.window)
  },
  encode (s: State, m: ContentRequest) {
    c.uint.encode(s, m.id); c.string.encode(s, m.path); c.fixed32.encode(s, m.hash); c.uint.encode(s, m.size); c.uint.encode(s, m.window)
  },
  decode (s: State): ContentRequest {
    const id = c.uint.decode(s)
    const path = c.string.decode(s)
    if (Buffer.byteLength(path) > MAX_PATH) throw new Error('content request: path too long')
    return { id, path, hash: c.fixed32.decode(s), size: c.uint.decode(s), window: c.uint.decode(s) }
  }
}

export const dataEncoding = {
  preencode (s: State, m: ContentData) { c.uint.preencode(s, m.id); c.raw.preencode(s, m.bytes) },
  encode (s: State, m: ContentData) { c.uint.encode(s, m.id); c.raw.encode(s, m.bytes) },
  decode (s: State): ContentData {
    const id = c.uint.decode(s)
    if (s.end - s.start > MAX_CHUNK) throw new Error('content data: chunk too large')
    return { id, bytes: c.raw.decode(s) }
  }
}

export const endEncoding = {
  preencode (s: State, m: ContentEnd) { c.uint.preencode(s, m.id); c.uint.preencode(s, m.status) },
  encode (s: State, m: ContentEnd) { c.uint.encode(s, m.id); c.uint.encode(s, m.status) },
  decode (s: State): ContentEnd { return { id: c.uint.decode(s), status: c.uint.decode(s) } }
}

export const creditEncoding = {
  preencode (s: State, m: ContentCredit) { c.uint.preencode(s, m.id); c.uint.preencode(s, m.bytes) },
  encode (s: State, m: ContentCredit) { c.uint.encode(s, m.id); c.uint.encode(s, m.bytes) },
  decode (s: State): ContentCredit { return { id: c.uint.decode(s), bytes: c.uint.decode(s) } }
}

/**
 * The channel's handshake: a MAC over the connection's handshake hash keyed with kdf(R, 'content').
 * Only nodes holding the read key (read-write, read-only) can open the channel: a blind peer is
 * admitted to the namespace but must never read plaintext.
 */
export function contentMac (keys: NamespaceKeys, handshakeHash: Buffer, initiator: boolean): Buffer | null {
  if (keys.readKey === null) return null
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([handshakeHash, Buffer.from([initiator ? 1 : 0])]), kdf(keys.readKey, 'content'))
  return out
}

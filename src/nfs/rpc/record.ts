import { XdrError } from '../errors.js'

/**
 * RFC 5531 §11 (Record Marking Standard): "a record is composed of one or more record fragments. A
 * record fragment is a four-byte header followed by 0 to (2**31) - 1 bytes of fragment data. … the
 * highest-order bit of the header … encodes whether or not the fragment is the last fragment in the
 * record … The remaining 31 bits encode the length of the fragment data."
 *
 * Unlike the RFC's open-ended records, a whole record is capped (`maxRecord`): a client that
 * announces more gets an XdrError and its connection is closed before anything is buffered.
 */
export class RecordReader {
  #chunks: Buffer[] = []
  #buffered = 0
  #frags: Buffer[] = []
  #recordLen = 0

  constructor (readonly maxRecord: number) {}

  /** Feeds bytes from the socket; returns the complete records they finish. */
  push (data: Buffer): Buffer[] {
    this.#chunks.push(data)
    this.#buffered += data.length
    const out: Buffer[] = []
    for (;;) {
      if (this.#buffered < 4) break
      const header = this.#peek4()
      const last = (header & 0x80000000) !== 0
      const len = header & 0x7fffffff
      if (this.#recordLen + len > this.maxRecord) throw new XdrError(`record of more than ${this.maxRecord} bytes`)
      if (this.#buffered < 4 + len) break
      this.#take(4)
      const frag = this.#take(len)
      this.#frags.push(frag)
      this.#recordLen += len
      if (last) {
        out.push(this.#frags.length === 1 ? this.#frags[0]! : Buffer.concat(this.#frags))
        this.#frags = []
        this.#recordLen = 0
      }
    }
    return out
  }

  #peek4 (): number {
    const first = this.#chunks[0]!
    if (first.length >= 4) return first.readUInt32BE(0)
    return this.#take(4, true).readUInt32BE(0)
  }

  /** Takes n buffered bytes: a view when they sit in one chunk, a copy when they span chunks. */
  #take (n: number, peek = false): Buffer {
    const first = this.#chunks[0]!
    if (first.length >= n) {
      if (peek) return first.subarray(0, n)
      this.#chunks[0] = first.subarray(n)
      if (this.#chunks[0].length === 0) this.#chunks.shift()
      this.#buffered -= n
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let off = 0
    let i = 0
    while (off < n) {
      const c = this.#chunks[i]!
      const k = Math.min(c.length, n - off)
      c.copy(out, off, 0, k)
      off += k
      if (!peek) {
        if (k === c.length) { this.#chunks.shift() } else { this.#chunks[0] = c.subarray(k) }
      } else { i++ }
    }
    if (!peek) this.#buffered -= n
    return out
  }
}

/** The record mark for a reply sent as one fragment. */
export function recordMark (len: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE((0x80000000 | len) >>> 0, 0)
  return b
}

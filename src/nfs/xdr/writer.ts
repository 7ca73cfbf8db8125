/**
 * RFC 4506 encoder. Small items go into a growing scratch buffer; large payloads (READ data) are
 * kept as references so a reply is written to the socket as a list of chunks without copying.
 */
const ZERO = Buffer.alloc(4)
const REF_MIN = 2048

export class XdrWriter {
  #chunks: Buffer[] = []
  #buf: Buffer
  #pos = 0
  #done = 0 // bytes in #chunks

  constructor (size = 256) { this.#buf = Buffer.allocUnsafe(size) }

  get length (): number { return this.#done + this.#pos }

  #room (n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    this.#flush()
    this.#buf = Buffer.allocUnsafe(Math.max(n, this.#buf.length * 2, 256))
  }

  #flush (): void {
    if (this.#pos === 0) return
    this.#chunks.push(this.#buf.subarray(0, this.#pos))
    this.#done += this.#pos
    this.#buf = this.#buf.subarray(this.#pos)
    this.#pos = 0
  }

  u32 (v: number): this { this.#room(4); this.#buf.writeUInt32BE(v >>> 0, this.#pos); this.#pos += 4; return this }
  i32 (v: number): this { this.#room(4); this.#buf.writeInt32BE(v | 0, this.#pos); this.#pos += 4; return this }
  u64 (v: bigint): this { this.#room(8); this.#buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.#pos); this.#pos += 8; return this }
  i64 (v: bigint): this { this.#room(8); this.#buf.writeBigInt64BE(BigInt.asIntN(64, v), this.#pos); this.#pos += 8; return this }
  bool (v: boolean): this { return this.u32(v ? 1 : 0) }

  /** RFC 4506 §4.9: fixed-length opaque, padded. */
  fixed (b: Buffer | Uint8Array): this {
    const pad = (4 - (b.length & 3)) & 3
    if (b.length >= REF_MIN) {
      this.#flush()
      this.#chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length))
      this.#done += b.length
      if (pad) this.#raw(ZERO.subarray(0, pad))
      return this
    }
    this.#raw(b)
    if (pad) this.#raw(ZERO.subarray(0, pad))
    return this
  }

  #raw (b: Uint8Array): void {
    this.#room(b.length)
    this.#buf.set(b, this.#pos)
    this.#pos += b.length
  }

  /** RFC 4506 §4.10: variable-length opaque (large ones by reference). */
  opaque (b: Buffer | Uint8Array): this { this.u32(b.length); return this.fixed(b) }
  string (s: string): this { return this.opaque(Buffer.from(s, 'utf8')) }

  /** Moves another writer's bytes to the end of this one. */
  append (w: XdrWriter): this {
    this.#flush()
    for (const c of w.chunks()) { this.#chunks.push(c); this.#done += c.length }
    return this
  }

  /** A writer over bytes encoded earlier (a cached reply), taken as they are. */
  static of (chunks: Buffer[]): XdrWriter {
    const w = new XdrWriter(0)
    for (const c of chunks) { w.#chunks.push(c); w.#done += c.length }
    return w
  }

  chunks (): Buffer[] { this.#flush(); return this.#chunks }
  toBuffer (): Buffer { const c = this.chunks(); return c.length === 1 ? c[0]! : Buffer.concat(c) }
}

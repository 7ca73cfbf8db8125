import { XdrError } from '../errors.js'

/**
 * RFC 4506 decoder over one buffer: big-endian 4-byte units, opaque data padded to 4 bytes.
 * Every variable-length item takes a maximum; running off the end throws XdrError.
 * `opaque` returns a view into the record (no copy): callers that keep it past the request copy it.
 */
export class XdrReader {
  pos: number

  constructor (readonly buf: Buffer, pos = 0) { this.pos = pos }

  get remaining (): number { return this.buf.length - this.pos }

  #need (n: number): void {
    if (n > this.buf.length - this.pos) throw new XdrError(`truncated: need ${n} bytes at ${this.pos}, have ${this.buf.length - this.pos}`)
  }

  u32 (): number { this.#need(4); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v }
  i32 (): number { this.#need(4); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v }
  u64 (): bigint { this.#need(8); const v = this.buf.readBigUInt64BE(this.pos); this.pos += 8; return v }
  i64 (): bigint { this.#need(8); const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v }

  /** RFC 4506 §4.4: a bool is an enum of 0 or 1; anything else is malformed. */
  bool (): boolean {
    const v = this.u32()
    if (v > 1) throw new XdrError(`bool of ${v}`)
    return v === 1
  }

  /** RFC 4506 §4.9: fixed-length opaque, padded to a multiple of four. */
  fixed (n: number): Buffer {
    const padded = (n + 3) & ~3
    this.#need(padded)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += padded
    return v
  }

  /** RFC 4506 §4.10: variable-length opaque<max>. */
  opaque (max: number): Buffer {
    const n = this.u32()
    if (n > max) throw new XdrError(`opaque of ${n} > ${max}`)
    return this.fixed(n)
  }

  /** RFC 4506 §4.11: string<max>, decoded as UTF-8 (callers that must reject bad UTF-8 use opaque). */
  string (max: number): string { return this.opaque(max).toString('utf8') }

  /** RFC 4506 §4.13: variable-length array<max>. */
  array<T> (max: number, item: (r: XdrReader) => T): T[] {
    const n = this.u32()
    if (n > max) throw new XdrError(`array of ${n} > ${max}`)
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(item(this))
    return out
  }

  /** RFC 4506 §4.19: optional-data (*T) is a bool followed by T when true. */
  optional<T> (item: (r: XdrReader) => T): T | undefined { return this.bool() ? item(this) : undefined }
}

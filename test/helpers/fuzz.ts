import { connect } from 'node:net'

/** mulberry32: a small seeded PRNG, so a fuzz failure replays with the same seed. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Seeded random choices and mutations for the wire fuzz tests. */
export class Fuzzer {
  readonly #rnd: () => number
  constructor (seed: number) { this.#rnd = prng(seed) }

  int (n: number): number { return Math.floor(this.#rnd() * n) }
  bytes (n: number): Buffer { return Buffer.from(Array.from({ length: n }, () => this.int(256))) }

  /** A copy of a valid record with bits flipped (at or after `from`), cut short, or one word stretched to a huge length. */
  mutate (valid: Buffer, from = 0): Buffer {
    const b = Buffer.from(valid)
    const m = this.int(3)
    if (m === 0) for (let k = 1 + this.int(8); k > 0; k--) { const at = from + this.int(b.length - from); b[at] = b[at]! ^ (1 << this.int(8)) }
    if (m === 1) return b.subarray(0, this.int(b.length))
    if (m === 2 && b.length > 48) b.writeUInt32BE(this.int(2) ? 0xffffffff : this.int(5000), 40 + 4 * this.int((b.length - 44) >> 2))
    return b
  }
}

/**
 * Sends framed records from `next` over fresh connections (50 a connection, or until the server
 * closes it) until `ms` have passed; after each connection a well-behaved client must still be
 * served (`healthy` throws otherwise).
 */
export async function blast (port: number, ms: number, next: () => Buffer, healthy: () => Promise<void>): Promise<{ sent: number, closedByServer: number }> {
  let sent = 0
  let closedByServer = 0
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const sock = connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    let closed = false
    sock.on('error', () => {})
    sock.on('close', () => { closed = true })
    sock.on('data', () => {})
    for (let i = 0; i < 50 && !closed; i++) {
      sock.write(next())
      sent++
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
    if (closed) closedByServer++
    sock.destroy()
    await healthy()
  }
  return { sent, closedByServer }
}

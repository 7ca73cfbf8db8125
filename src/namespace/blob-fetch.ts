// Remote content, as the merge reads it: a blob's blocks in order, fetched in bulk, checked
// against the entry's content hash before the last byte is handed on.
//
// hyperblobs' read stream waits for one block at a time. Here the whole block range is asked for
// at once (`core.download`, many requests in flight) and up to WINDOW block reads are outstanding,
// so the file is written as blocks arrive rather than one round trip per block. The hash is
// checked before the stream ends: a mismatch fails the stream, so the writer's temp file is
// removed and never renamed into place (apply.ts).
import { createHash } from 'node:crypto'
import type Hypercore from 'hypercore'
import type { BlobId } from 'hyperblobs'

/** Block reads outstanding at once (blocks are up to 1 MiB: at most this many MiB buffered). */
const WINDOW = 16

export class ContentMismatchError extends Error {
  constructor (readonly expected: string, readonly actual: string) {
    super(`content hash mismatch: expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…`)
  }
}

export interface FetchOptions {
  /** sha256 hex the bytes must have; '' skips the check. */
  hash: string
  /** Per-block wait (ms) before giving up. */
  timeout: number
}

/** A blob's bytes in order; throws ContentMismatchError at the end if they are not `hash`. */
export async function * fetchBlob (core: Hypercore, id: BlobId, opts: FetchOptions): AsyncGenerator<Buffer> {
  const start = id.blockOffset
  const end = id.blockOffset + id.blockLength
  const h = opts.hash === '' ? null : createHash('sha256')
  // Bounded range: done() resolves, and destroy() cancels what is left when we stop early.
  const range = core.contiguousLength >= end ? null : core.download({ start, end })
  const pending: Array<Promise<Buffer | null>> = []
  let next = start
  let bytes = 0
  try {
    while (next < end || pending.length > 0) {
      while (next < end && pending.length < WINDOW) {
        const p = core.get(next++, { timeout: opts.timeout })
        p.catch(() => {}) // read in order below; an early failure must not be unhandled meanwhile
        pending.push(p)
      }
      const block = await pending.shift()
      if (block === null || block === undefined) throw new Error(`blob block ${next - pending.length - 1} not available`)
      h?.update(block)
      bytes += block.length
      yield block
    }
    if (bytes !== id.byteLength) throw new Error(`blob is ${bytes} bytes, its entry says ${id.byteLength}`)
    if (h !== null) {
      const actual = h.digest('hex')
      if (actual !== opts.hash) throw new ContentMismatchError(opts.hash, actual)
    }
  } finally {
    range?.destroy()
  }
}

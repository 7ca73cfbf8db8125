// Remote content, as the merge reads it: a file's bytes in order, checked against the entry's
// content hash before the last byte is handed on.
//
// A large file is asked first from the writer itself over the content channel (engine/content.ts),
// straight from its folder; if that peer is not connected, stops or is slow, the rest comes from
// the writer's blob core, from where the direct stream stopped. hyperblobs' read stream waits for
// one block at a time: here the whole block range is asked for at once (`core.download`, many
// requests in flight) and up to WINDOW block reads are outstanding. The hash is checked before the
// stream ends: a mismatch fails the stream, so the writer's temp file is removed and never renamed
// into place (apply.ts).
import { createHash } from 'node:crypto'
import type Hypercore from 'hypercore'
import type { BlobId } from 'hyperblobs'

/** Block reads outstanding at once (blocks are up to 1 MiB: at most this many MiB buffered). */
const WINDOW = 16
/** A block's wait is cut into slices this long; between them the fetch asks whether it is still wanted. */
const SUPERSEDED_CHECK_MS = 2000

/**
 * The writer published a newer entry for the path while its blob was being fetched: a large file
 * rewritten during its upload, whose first blob is never stored. Not a failure: the newer entry is
 * applied instead (merge.ts defers the path).
 */
export class SupersededError extends Error {
  constructor () { super('the writer replaced this version while it was being fetched') }
}

export class ContentMismatchError extends Error {
  constructor (readonly expected: string, readonly actual: string) {
    super(`content hash mismatch: expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…`)
  }
}

/** A direct stream of the same bytes (content.ts), tried before the blob core. */
export interface DirectFetch {
  /** The bytes in order; null when no peer can serve them. */
  open: () => AsyncIterable<Buffer> | null
  /** The direct stream stopped after `bytes` (the rest comes from the blob core). */
  stopped?: (bytes: number, err: unknown) => void
  /** The bytes did not hash to the entry's content: do not ask that way again. */
  mismatch?: () => void
}

export interface FetchOptions {
  /** sha256 hex the bytes must have; '' skips the check. */
  hash: string
  /** Per-block wait (ms) before giving up. */
  timeout: number
  direct?: DirectFetch | null
  /** Packed small file: the content starts this many bytes into the blob's first block (entry.ts `p`). */
  at?: number | null
  /**
   * Asked every SUPERSEDED_CHECK_MS while a block is awaited: true ends the fetch with
   * SupersededError instead of waiting out `timeout` for a blob that may never be stored.
   */
  superseded?: () => Promise<boolean>
}

/** A blob's bytes in order; throws ContentMismatchError at the end if they are not `hash`. */
export async function * fetchBlob (core: Hypercore, id: BlobId, opts: FetchOptions): AsyncGenerator<Buffer> {
  const h = opts.hash === '' ? null : createHash('sha256')
  let bytes = 0
  const direct = opts.direct?.open() ?? null
  if (direct !== null) {
    try {
      for await (const chunk of direct) {
        if (bytes + chunk.length > id.byteLength) throw new Error('direct stream longer than the blob')
        h?.update(chunk)
        bytes += chunk.length
        yield chunk
      }
    } catch (err) {
      opts.direct?.stopped?.(bytes, err)
    }
  }
  if (bytes < id.byteLength) {
    // The blob's bytes from `bytes` on: blocks before it are read and skipped. A packed file
    // (blob-pack.ts) starts `at` bytes into its block and ends before the block does.
    const at = opts.at ?? null
    let pos = -(at ?? 0) // where the current block starts, relative to the blob's first byte
    for await (const block of blobBlocks(core, id, opts.timeout, opts.superseded)) {
      const start = pos
      pos += block.length
      const from = Math.max(bytes, start)
      const to = at === null ? pos : Math.min(pos, id.byteLength)
      if (to <= from) continue
      const part = from === start && to === pos ? block : block.subarray(from - start, to - start)
      h?.update(part)
      bytes += part.length
      yield part
    }
  }
  if (bytes !== id.byteLength) {
    // A large file's entry goes out before its blob is stored (publish.ts): if its writer was
    // stopped meanwhile, it appends the file again where the blob was promised, and this entry,
    // replaced by then, no longer describes those blocks.
    if (await opts.superseded?.() === true) throw new SupersededError()
    throw new Error(`blob is ${bytes} bytes, its entry says ${id.byteLength}`)
  }
  if (h !== null) {
    const actual = h.digest('hex')
    if (actual !== opts.hash) {
      if (direct !== null) opts.direct?.mismatch?.()
      throw new ContentMismatchError(opts.hash, actual)
    }
  }
}

/** The blob's blocks in order, fetched in bulk. */
async function * blobBlocks (core: Hypercore, id: BlobId, timeout: number, superseded?: () => Promise<boolean>): AsyncGenerator<Buffer> {
  const start = id.blockOffset
  const end = id.blockOffset + id.blockLength
  // Bounded range: done() resolves, and destroy() cancels what is left when we stop early.
  const range = core.contiguousLength >= end ? null : core.download({ start, end })
  const pending: Array<Promise<Buffer | null>> = []
  let next = start
  try {
    while (next < end || pending.length > 0) {
      while (next < end && pending.length < WINDOW) {
        const p = getBlock(core, next++, timeout, superseded)
        p.catch(() => {}) // read in order below; an early failure must not be unhandled meanwhile
        pending.push(p)
      }
      const block = await pending.shift()
      if (block === null || block === undefined) throw new Error(`blob block ${next - pending.length - 1} not available`)
      yield block
    }
  } finally {
    range?.destroy()
  }
}

/** core.get, its wait cut into slices between which `superseded` is asked (see FetchOptions). */
async function getBlock (core: Hypercore, index: number, timeout: number, superseded?: () => Promise<boolean>): Promise<Buffer | null> {
  if (superseded === undefined) return await core.get(index, { timeout })
  const until = Date.now() + timeout
  for (;;) {
    try {
      return await core.get(index, { timeout: Math.max(1, Math.min(until - Date.now(), SUPERSEDED_CHECK_MS)) })
    } catch (err) {
      if ((err as { code?: string }).code !== 'REQUEST_TIMEOUT' || Date.now() >= until) throw err
      if (await superseded()) throw new SupersededError()
    }
  }
}

// What the merge reads of a winning version's content (merge.ts): small files whole, checked
// against their hash (a packed block read once for the files it holds), larger ones as a stream
// from the blob core or straight from their writer's folder (blob-fetch.ts). One per merger: the
// packed blocks it keeps are those of its current round.
import type Hypercore from 'hypercore'
import type Hyperdrive from 'hyperdrive'
import { ContentMismatchError, fetchBlob, type DirectFetch, type FetchOptions } from './blob-fetch.js'
import { drivePath, toCandidate, type Candidate } from './entry.js'
import { sha256Hex } from './scanner.js'

/** Packed blob blocks kept after reading them (PACK_BLOCK each at most): a slice's files are applied a few at a time, in order. */
const BLOCK_CACHE = 64
/** The default wait for one block of content (the round gives up and retries later). */
const BLOCK_TIMEOUT_MS = 30_000

/** The writer a version comes from: its drive key (hex) and its drive. */
export interface ContentSource { key: string, drive: Hyperdrive }

export interface MergeContentOptions {
  blockTimeoutMs?: number
  /** A direct stream of a file's content from its writer (drive key hex, path, hash, size), if one can be had. */
  direct?: (key: string, path: string, hash: string, size: number) => DirectFetch | null
}

export class MergeContent {
  readonly #blocks = new Map<string, Promise<Buffer>>()
  readonly #timeout: number

  constructor (private readonly o: MergeContentOptions) {
    this.#timeout = o.blockTimeoutMs ?? BLOCK_TIMEOUT_MS
  }

  /**
   * Small content whole, checked against its hash (fetchBlob's blocks gathered: no streams). A
   * packed file's block holds its neighbours too (blob-pack.ts): the block is read once for all of
   * them (#block) and sliced.
   */
  async bytes (path: string, cand: Candidate, src: ContentSource): Promise<Buffer> {
    if (cand.blob === null || cand.meta.z === 0) return Buffer.alloc(0)
    const core = await blobCore(src)
    if (cand.at !== null) {
      const block = await this.#block(src.key, core, cand.blob.blockOffset)
      const bytes = block.subarray(cand.at, cand.at + cand.blob.byteLength)
      if (bytes.length !== cand.blob.byteLength) throw new Error(`blob is ${bytes.length} bytes, its entry says ${cand.blob.byteLength}`)
      const actual = sha256Hex(bytes)
      if (actual !== cand.h) throw new ContentMismatchError(cand.h, actual)
      return bytes
    }
    const parts: Buffer[] = []
    for await (const b of fetchBlob(core, cand.blob, fetchOptions(path, cand, src, this.#timeout))) parts.push(b)
    return parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts)
  }

  /** `path`: where the writer's own folder holds the content (what a direct fetch asks for). */
  async content (path: string, cand: Candidate, src: ContentSource): Promise<AsyncIterable<Buffer> | null> {
    if (cand.blob === null || cand.meta.z === 0) return null
    // A packed file is small: its writer's folder is not asked for it.
    const direct = cand.at === null ? this.o.direct?.(src.key, path, cand.h, cand.meta.z) : null
    const opts = { ...fetchOptions(path, cand, src, this.#timeout), direct, at: cand.at }
    return fetchBlob(await blobCore(src), cand.blob, opts)
  }

  /** A blob block, read once for the packed files it holds (the last BLOCK_CACHE blocks are kept). */
  async #block (drive: string, core: Hypercore, index: number): Promise<Buffer> {
    const key = `${drive}:${index}`
    let p = this.#blocks.get(key)
    if (p === undefined) {
      p = core.get(index, { timeout: this.#timeout }).then((b) => {
        if (b === null) throw new Error(`blob block ${index} not available`)
        return b
      })
      p.catch(() => { this.#blocks.delete(key) }) // a failed read is tried again by the next file
      this.#blocks.set(key, p)
      if (this.#blocks.size > BLOCK_CACHE) this.#blocks.delete(this.#blocks.keys().next().value as string)
    }
    return await p
  }
}

/**
 * How a candidate's blob is fetched: checked against its hash, and given up (SupersededError) once
 * its writer has written `path` again or removed it: its live drive, as far as it is here already,
 * holds a later entry than the one being fetched.
 */
function fetchOptions (path: string, cand: Candidate, src: ContentSource, timeout: number): FetchOptions {
  const superseded = async (): Promise<boolean> => {
    const node = await src.drive.entry(drivePath(path), { wait: false }).catch(() => null)
    const now = node === null ? null : toCandidate(node)
    return now !== null && now.c > cand.c
  }
  return { hash: cand.h, timeout, superseded }
}

/** The core a source's content is read from. */
async function blobCore (src: ContentSource): Promise<Hypercore> {
  const blobs = await src.drive.getBlobs()
  if (blobs === null) throw new Error(`no blob store for drive ${src.key.slice(0, 8)}`)
  return blobs.core
}

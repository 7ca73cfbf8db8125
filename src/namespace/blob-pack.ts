// Small files' content, packed: many files share one blob block. A hypercore block costs the same
// to sign, store, request, send, verify and acknowledge whatever its size, and one block per 4 KiB
// file made the blob core half of the blocks a peer receives for a folder of small files (bench
// W1: 5,000 entry blocks and 5,000 blob blocks). Packed, 5,000 × 4 KiB files are ~320 blob blocks.
//
// A packed file's entry keeps a normal BlobId (its block, blockLength 1, its absolute byte offset
// and length) and says in its metadata where the content starts in that block (`p`, entry.ts): the
// reader slices the block (blob-fetch.ts). Entries without `p` are read as before, so drives
// written before packing stay readable. A node from before packing cannot read a packed entry: its
// fetch gets the whole block, whose length is not the entry's, and its merge fails (and retries)
// rather than write anything wrong; upgrade every node.
import type Hypercore from 'hypercore'
import type { BlobId } from 'hyperblobs'

/** Files up to this size are packed, into blocks of up to this size (hyperblobs' own block size). */
export const PACK_BLOCK = 64 << 10

/** Where a file's content is: its blob, and for a packed file the offset in its block. */
export interface BlobRef {
  id: BlobId
  /** Offset of the content in block id.blockOffset; null: the blob's blocks hold exactly its bytes. */
  at: number | null
}

/**
 * A batch of blobs for one core, appended together by flush(). Files up to PACK_BLOCK go into the
 * block being filled (a file that does not fit closes it); larger ones get blocks of their own, cut
 * at PACK_BLOCK as hyperblobs does. The ids assume nothing else appends to the core before flush().
 */
export class BlobBatch {
  readonly #core: Hypercore
  #blocks: Buffer[] = []
  #bytes = 0
  #open: Buffer[] = []
  #openBytes = 0

  constructor (core: Hypercore) {
    this.#core = core
  }

  /** Bytes waiting for flush(). */
  get pending (): number { return this.#bytes + this.#openBytes }

  put (buf: Buffer): BlobRef {
    const byteOffset = this.#core.byteLength + this.pending
    if (buf.length > PACK_BLOCK) {
      this.#close()
      const id: BlobId = { blockOffset: this.#core.length + this.#blocks.length, blockLength: 0, byteOffset, byteLength: buf.length }
      for (let i = 0; i < buf.length; i += PACK_BLOCK) {
        this.#blocks.push(buf.subarray(i, i + PACK_BLOCK))
        id.blockLength++
      }
      this.#bytes += buf.length
      return { id, at: null }
    }
    if (this.#openBytes + buf.length > PACK_BLOCK) this.#close()
    const ref: BlobRef = { id: { blockOffset: this.#core.length + this.#blocks.length, blockLength: 1, byteOffset, byteLength: buf.length }, at: this.#openBytes }
    this.#open.push(buf)
    this.#openBytes += buf.length
    return ref
  }

  async flush (): Promise<void> {
    this.#close()
    if (this.#blocks.length === 0) return
    const blocks = this.#blocks
    this.#blocks = []
    this.#bytes = 0
    await this.#core.append(blocks)
  }

  #close (): void {
    if (this.#open.length === 0) return
    this.#blocks.push(this.#open.length === 1 ? this.#open[0] as Buffer : Buffer.concat(this.#open, this.#openBytes))
    this.#bytes += this.#openBytes
    this.#open = []
    this.#openBytes = 0
  }
}

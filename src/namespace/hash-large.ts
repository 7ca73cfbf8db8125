// sha256 of a large file before it is published (publish.ts): that hash is the wait between the
// end of a write and the first byte a peer receives.
//
// A read stream hands over a new 1 MiB Buffer per chunk; at a GiB, those allocations made V8
// collect garbage a fifth of the time and allocate another eighth (W2's profile: 1.75 s for 1 GiB,
// of which sha256 itself 0.9 s). Two buffers read into in turn allocate nothing, and the next read
// is in flight while the current chunk is hashed.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'

/** Bytes read at once. */
const CHUNK = 4 << 20

/** sha256 hex of the file's bytes, read to its end (as scanner.ts hashFile). */
export async function hashLargeFile (abs: string, chunk = CHUNK): Promise<string> {
  const fh = await open(abs, 'r')
  const bufs = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)]
  let next: Promise<{ bytesRead: number, buffer: Buffer }> | null = null
  try {
    const h = createHash('sha256')
    let pos = 0
    let i = 0
    next = fh.read(bufs[0] as Buffer, 0, chunk, 0)
    for (;;) {
      const { bytesRead, buffer } = await next
      next = null
      if (bytesRead === 0) break
      pos += bytesRead
      next = fh.read(bufs[++i & 1] as Buffer, 0, chunk, pos)
      h.update(buffer.subarray(0, bytesRead))
    }
    return h.digest('hex')
  } finally {
    await next?.catch(() => null) // no read may outlive the file handle
    await fh.close()
  }
}

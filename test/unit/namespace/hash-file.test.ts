import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EMPTY_HASH, hashFile, sha256Hex } from '../../../src/namespace/scanner.js'
import { tmpDir } from '../../helpers/tmp.js'

describe('hashFile (two reused read buffers)', () => {
  it('gives the same sha256 as hashing the whole file, at every size around the read size', async () => {
    const dir = await tmpDir()
    const chunk = 1000
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 7]) {
      const body = randomBytes(size)
      const f = join(dir, `f${size}`)
      await writeFile(f, body)
      const expected = createHash('sha256').update(body).digest('hex')
      assert.equal(await hashFile(f, chunk), expected, `${size} bytes`)
      assert.equal(await hashFile(f), expected, `${size} bytes, default read size`)
      assert.equal(await hashFile(f, 1), expected, `${size} bytes, one byte at a time`)
    }
  })

  it('a missing file throws ENOENT', async () => {
    await assert.rejects(hashFile(join(await tmpDir(), 'gone')), /ENOENT/)
  })
})

describe('sha256Hex (one call per buffer)', () => {
  it('gives what a Hash object gives, for views into a larger buffer too', () => {
    const big = randomBytes(70_000)
    for (const bytes of [Buffer.alloc(0), big.subarray(5, 6), big.subarray(100, 4196), big, new Uint8Array(big.buffer, big.byteOffset + 3, 64)]) {
      assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `${bytes.length} bytes`)
    }
    assert.equal(sha256Hex(Buffer.alloc(0)), EMPTY_HASH)
  })
})

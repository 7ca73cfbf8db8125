import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hashLargeFile } from '../../../src/namespace/hash-large.js'
import { hashFile } from '../../../src/namespace/scanner.js'
import { tmpDir } from '../../helpers/tmp.js'

describe('hashLargeFile (two reused read buffers)', () => {
  it('gives the same sha256 as hashing the whole file, at every size around the read size', async () => {
    const dir = await tmpDir()
    const chunk = 1000
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 3 * chunk + 7]) {
      const body = randomBytes(size)
      const f = join(dir, `f${size}`)
      await writeFile(f, body)
      const expected = createHash('sha256').update(body).digest('hex')
      assert.equal(await hashLargeFile(f, chunk), expected, `${size} bytes`)
      assert.equal(await hashLargeFile(f), expected, `${size} bytes, default read size`)
      assert.equal(await hashFile(f), expected)
    }
  })

  it('a missing file throws, as hashFile does', async () => {
    await assert.rejects(hashLargeFile(join(await tmpDir(), 'gone')), /ENOENT/)
  })
})

import assert from 'node:assert/strict'
import { DiskSpaceWatch, LOW_SPACE_BYTES, SPACE_BACK_BYTES } from '../../../src/namespace/disk-space.js'

describe('disk space watch', () => {
  it('reports a full disk under the threshold, and space back only well above it (no flapping near the line)', async () => {
    let free = 100 << 20
    const changes: Array<string | null> = []
    const w = new DiskSpaceWatch('/x', 'this namespace', (full) => { changes.push(full) }, async () => free)
    await w.check()
    assert.deepEqual(changes, [])
    free = LOW_SPACE_BYTES - 1
    await w.check()
    assert.equal(changes.length, 1)
    assert.match(changes[0] ?? '', /^ENOSPC: disk full/)
    assert.match(w.full ?? '', /ENOSPC/)
    // A failed transfer's temp file removed: a few MiB free again, still under the resume mark.
    for (const f of [LOW_SPACE_BYTES, LOW_SPACE_BYTES + (4 << 20), SPACE_BACK_BYTES - 1, LOW_SPACE_BYTES - 5]) {
      free = f
      await w.check()
    }
    assert.equal(changes.length, 1, 'no change reported in between')
    assert.notEqual(w.full, null)
    free = SPACE_BACK_BYTES
    await w.check()
    assert.deepEqual(changes.slice(1), [null])
    assert.equal(w.full, null)
  })
})

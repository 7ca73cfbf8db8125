import assert from 'node:assert/strict'
import type Hypercore from 'hypercore'
import { missingNodes, unbatchedMissingNodes } from '../../src/engine/missing-nodes.js'
import { link, twoStores } from '../helpers/stores.js'

type Session = Parameters<typeof missingNodes>[0]

/** A core's tree state, with a count of the storage reads it is asked for. */
function counted (core: Hypercore): { session: Session, reads: () => number } {
  const state = (core as unknown as { core: { state: Session } }).core.state
  let reads = 0
  const storage = state.storage
  const session: Session = { storage: { read: () => { reads++; return storage.read() } } }
  return { session, reads: () => reads }
}

describe('engine: missing tree nodes in one read batch', function () {
  this.timeout(30_000)

  it("counts what hypercore's own walk counts, for every node of a sparse replica, from one read each", async () => {
    const [a, b] = await twoStores()
    const writer = a.get({ name: 'w' })
    await writer.ready()
    const length = 777
    for (let i = 0; i < length; i += 64) await writer.append(Array.from({ length: Math.min(64, length - i) }, (_, j) => Buffer.from(`block ${i + j}`)))
    const reader = b.get({ key: writer.key as Buffer })
    await reader.ready()
    link(a, b)
    await reader.update({ wait: true })
    assert.equal(reader.length, length)
    // Some single blocks, a range, the last one: paths that end at nodes present, absent, at roots.
    for (const i of [0, 1, 5, 100, 101, 255, 256, 500, length - 1]) await reader.get(i)
    await reader.download({ start: 300, end: 420 }).done()

    const { session, reads } = counted(reader)
    let nonZero = 0
    let unbatchedReads = 0
    for (let index = 0; index < 2 * length + 4; index++) {
      const before = reads()
      const theirs = await unbatchedMissingNodes(session, index, length)
      unbatchedReads += reads() - before
      const between = reads()
      const ours = await missingNodes(session, index, length)
      assert.equal(ours, theirs, `node ${index} of ${length}`)
      assert.ok(reads() - between <= 1, `one read batch for node ${index}`)
      if (ours > 0) nonZero++
    }
    assert.ok(nonZero > length / 2, `most nodes of a sparse replica lack some of their path (${nonZero})`)
    assert.ok(unbatchedReads > 2 * nonZero, `hypercore's walk reads once per level (${unbatchedReads} reads)`)
    assert.equal(await missingNodes(session, 0, 0), 0, 'an empty tree: nothing known')
  })
})

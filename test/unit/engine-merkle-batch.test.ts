import assert from 'node:assert/strict'
import Hypercore from 'hypercore'
import { batchedMissingNodes, installBatchedMissingNodes, LEVELS_PER_READ, originalMissingNodes, type TreeSession } from '../../src/engine/merkle-batch.js'
import { onTeardown, tmpDir } from '../helpers/tmp.js'

const BLOCKS = 300
/** Blocks the reader holds: a run at the start, single ones, a run in the middle, the last. */
const HELD = [...Array.from({ length: 50 }, (_, i) => i), 64, 100, 127, ...Array.from({ length: 11 }, (_, i) => 150 + i), 233, BLOCKS - 1]

interface Internals { core: { state: TreeSession & { length: number } }, missingNodes: (index: number) => Promise<number> }

/** A writer core of BLOCKS blocks and a reader holding HELD of them, replicating; closed at teardown. */
async function sparseReader (): Promise<Hypercore> {
  const a = new Hypercore(await tmpDir('merkle-a'))
  onTeardown(() => a.close())
  await a.ready()
  await a.append(Array.from({ length: BLOCKS }, (_, i) => Buffer.from(`block ${i}`)))
  const b = new Hypercore(await tmpDir('merkle-b'), a.key ?? undefined)
  onTeardown(() => b.close())
  await b.ready()
  const sa = (a as unknown as { replicate: (initiator: boolean) => NodeJS.ReadWriteStream }).replicate(true)
  const sb = (b as unknown as { replicate: (initiator: boolean) => NodeJS.ReadWriteStream }).replicate(false)
  sa.pipe(sb).pipe(sa)
  onTeardown(() => { (sa as unknown as { destroy: () => void }).destroy() })
  await b.update({ wait: true })
  for (const i of HELD) await b.get(i)
  return b
}

/** Counts the read batches `session` opens while `fn` runs. */
async function readsDuring (session: TreeSession, fn: () => Promise<unknown>): Promise<number> {
  const read = session.storage.read
  let n = 0
  session.storage.read = function (this: unknown) { n++; return read.call(this) }
  try { await fn() } finally { session.storage.read = read }
  return n
}

describe('engine/merkle-batch: the missing-node count, LEVELS_PER_READ levels per read', function () {
  this.timeout(30_000)

  it('counts what hypercore counts, for every tree node and several tree lengths', async () => {
    const b = await sparseReader()
    const state = (b as unknown as Internals).core.state
    assert.equal(state.length, BLOCKS)
    let nonZero = 0
    for (const length of [BLOCKS, 257, 128, 100, 37, 1]) {
      for (let index = 0; index < 2 * BLOCKS + 4; index++) {
        const want = await originalMissingNodes(state, index, length)
        assert.equal(await batchedMissingNodes(state, index, length), want, `node ${index}, length ${length}`)
        if (want > 0) nonZero++
      }
    }
    // the sparse reader makes the counts differ from node to node: not a comparison of zeros
    assert.ok(nonZero > 500, `${nonZero} non-zero counts`)
    // a replica that holds no node at all: every level up to the tree's end is missing
    const empty = new Hypercore(await tmpDir('merkle-c'), b.key ?? undefined)
    onTeardown(() => empty.close())
    await empty.ready()
    const none = (empty as unknown as Internals).core.state
    for (const length of [BLOCKS, 37]) {
      for (let index = 0; index < 2 * length; index += 7) {
        const want = await originalMissingNodes(none, index, length)
        assert.equal(await batchedMissingNodes(none, index, length), want, `empty replica: node ${index}, length ${length}`)
      }
    }
    assert.equal(await batchedMissingNodes(none, 0, BLOCKS), 9, 'leaf 0 up to the 256-block subtree')
  })

  it('is what hypercore calls once installed, and reads LEVELS_PER_READ levels at a time where it read one', async () => {
    assert.equal(installBatchedMissingNodes(), true)
    const b = await sparseReader()
    const { core, missingNodes } = b as unknown as Internals
    // block 200's leaf and its parents up to the subtree holding 233 are all missing
    const before = await readsDuring(core.state, async () => await originalMissingNodes(core.state, 400, BLOCKS))
    assert.ok(before > 2, `hypercore's own count read ${before} times`)
    let count = -1
    const after = await readsDuring(core.state, async () => { count = await missingNodes.call(b, 200) })
    assert.equal(count, await originalMissingNodes(core.state, 400, BLOCKS))
    assert.equal(before, count + 1, 'hypercore reads each missing level and the first one held')
    assert.equal(after, Math.ceil((count + 1) / LEVELS_PER_READ))
    // an empty replica: nine missing levels, two reads of up to six
    const empty = new Hypercore(await tmpDir('merkle-d'), b.key ?? undefined)
    onTeardown(() => empty.close())
    await empty.ready()
    const none = (empty as unknown as Internals).core.state
    let nine = -1
    assert.equal(await readsDuring(none, async () => { nine = await batchedMissingNodes(none, 0, BLOCKS) }), Math.ceil(9 / LEVELS_PER_READ))
    assert.equal(nine, 9)
  })
})

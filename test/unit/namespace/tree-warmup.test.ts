import assert from 'node:assert/strict'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import { TreeWarmup, WARM_MAX } from '../../../src/namespace/tree-warmup.js'
import { onTeardown, tmpDir } from '../../helpers/tmp.js'

async function driveWith (n: number): Promise<Hyperdrive> {
  const drive = new Hyperdrive(new Corestore(await tmpDir()))
  onTeardown(async () => { await drive.close().catch(() => {}) })
  await drive.ready()
  const batch = drive.batch()
  for (let i = 0; i < n; i++) await batch.putEntry(`/d/f${i}`, { executable: false, linkname: null, blob: null, metadata: { i } })
  await batch.flush()
  return drive
}

describe('tree warm-up for held deletions', function () {
  this.timeout(20_000)

  it('reads in the background, writes nothing, and stop() waits for the read in flight', async () => {
    const drive = await driveWith(300)
    const length = drive.core.length
    const warm = new TreeWarmup()
    warm.add(drive, Array.from({ length: 300 }, (_, i) => `d/f${i}`))
    assert.equal(warm.busy, true)
    await warm.stop()
    assert.equal(warm.busy, false)
    assert.equal(drive.core.length, length, 'nothing appended')
    // The drive is still writable by a batch of its own: the reader never held the write lock.
    const b = drive.batch()
    await b.putEntry('/d/new', { executable: false, linkname: null, blob: null, metadata: {} })
    await b.flush()
    assert.equal(drive.core.length, length + 1)
  })

  it('reads at most WARM_MAX paths per window, again after stop(), and nothing once closed', async () => {
    // A drive that counts the reads of its batches (what TreeWarmup uses of it).
    const read: string[] = []
    const counting = { batch: () => ({ entry: async (key: string) => { read.push(key); await new Promise((resolve) => setImmediate(resolve)) }, close: async () => {} }) } as unknown as Hyperdrive
    const warm = new TreeWarmup()
    warm.add(counting, Array.from({ length: WARM_MAX + 10 }, (_, i) => `d/f${i}`))
    warm.add(counting, ['d/over']) // over the cap: not queued
    while (warm.busy) await new Promise((resolve) => setImmediate(resolve))
    assert.equal(read.length, WARM_MAX)
    assert.equal(read[0], '/d/f0')
    assert.ok(!read.includes('/d/over'))
    await warm.stop() // the window is over: the next one may read WARM_MAX again
    warm.add(counting, ['d/next'])
    await warm.stop()
    assert.deepEqual(read.slice(WARM_MAX), ['/d/next'])
    await warm.close()
    warm.add(counting, ['d/f1'])
    assert.equal(warm.busy, false, 'closed: no reader started')
    assert.equal(read.length, WARM_MAX + 1)
  })

  it('swallows a drive closing under it (the puts read for themselves)', async () => {
    const drive = await driveWith(50)
    const warm = new TreeWarmup()
    warm.add(drive, Array.from({ length: 50 }, (_, i) => `d/f${i}`))
    await drive.close()
    await warm.stop()
    assert.equal(warm.busy, false)
  })
})

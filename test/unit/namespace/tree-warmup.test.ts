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

  it('reads at most WARM_MAX paths per window, and nothing once closed', async () => {
    const drive = await driveWith(10)
    const warm = new TreeWarmup()
    const many = Array.from({ length: WARM_MAX + 10 }, (_, i) => `d/f${i % 10}`)
    warm.add(drive, many)
    warm.add(drive, ['d/f1']) // over the cap: not queued
    await warm.stop()
    await warm.close()
    warm.add(drive, ['d/f1'])
    assert.equal(warm.busy, false, 'closed: no reader started')
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

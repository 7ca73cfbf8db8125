import assert from 'node:assert/strict'
import Hyperdrive from 'hyperdrive'
import { BEE_CACHE_ENTRIES, Store } from '../../src/engine/store.js'
import { silentLogger } from '../../src/log.js'
import { trimMemoryNow } from '../../src/memory-trim.js'
import { onTeardown, tmpDir } from '../helpers/tmp.js'

/** A store and a drive in it, both closed at teardown. */
async function openDrive (): Promise<{ store: Store, drive: Hyperdrive }> {
  const store = new Store(await tmpDir('store'), silentLogger)
  await store.open()
  onTeardown(() => store.close())
  const drive = new Hyperdrive(store.namespace('t'))
  onTeardown(() => drive.close())
  await drive.ready()
  return { store, drive }
}

/** `/f0`… holding `x0`…, in one batch. */
async function putSmall (drive: Hyperdrive, n: number): Promise<void> {
  const batch = drive.batch()
  for (let i = 0; i < n; i++) await batch.put(`/f${i}`, Buffer.from(`x${i}`))
  await batch.flush()
}

describe('engine/store tuning', function () {
  this.timeout(60_000)

  it('drives and their checkouts share one bounded node cache', async () => {
    const { store, drive } = await openDrive()
    const n = BEE_CACHE_ENTRIES + 2000
    await putSmall(drive, n)
    const snap = drive.checkout(drive.version)
    onTeardown(() => snap.close())
    for (let i = 0; i < n; i += 3) assert.equal((await snap.get(`/f${i}`))?.toString(), `x${i}`)
    assert.ok(store.cachedBeeEntries > 0 && store.cachedBeeEntries <= BEE_CACHE_ENTRIES, `${store.cachedBeeEntries} cached`)
  })

  it('writes its memtable out when the process turns quiet, and reads it back from disk', async () => {
    const { store, drive } = await openDrive()
    await putSmall(drive, 8000)
    const memtables = async (): Promise<number> => Number(await store.corestore.storage.db.getProperty('rocksdb.cur-size-all-mem-tables'))
    const held = await memtables()
    assert.ok(held >= 1 << 20, `${held} bytes in memtables: enough to be written out`)
    await trimMemoryNow(silentLogger)
    assert.ok(await memtables() < held / 4, `${await memtables()} bytes still in memtables`)
    for (let i = 0; i < 8000; i += 97) assert.equal((await drive.get(`/f${i}`))?.toString(), `x${i}`)
  })

  it('keeps what was written across a reopen, past several memtable flushes', async () => {
    const dir = await tmpDir('store')
    const chunk = Buffer.alloc(1 << 20, 7)
    let key: Buffer
    {
      const store = new Store(dir, silentLogger)
      await store.open()
      const drive = new Hyperdrive(store.namespace('t'))
      await drive.ready()
      for (let i = 0; i < 12; i++) await drive.put(`/big${i}`, Buffer.concat([chunk, Buffer.from([i])]))
      for (let i = 0; i < 2000; i++) await drive.put(`/small${i}`, Buffer.from(`s${i}`))
      key = drive.key
      await drive.close()
      await store.close()
    }
    const store = new Store(dir, silentLogger)
    await store.open()
    onTeardown(() => store.close())
    const drive = new Hyperdrive(store.namespace('t'), key)
    onTeardown(() => drive.close())
    await drive.ready()
    for (let i = 0; i < 12; i++) {
      const got = await drive.get(`/big${i}`)
      assert.equal(got?.length, chunk.length + 1)
      assert.equal(got?.[chunk.length], i)
    }
    for (let i = 0; i < 2000; i += 97) assert.equal((await drive.get(`/small${i}`))?.toString(), `s${i}`)
  })
})

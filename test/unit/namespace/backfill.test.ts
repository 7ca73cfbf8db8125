import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type Hypercore from 'hypercore'
import { Backfill } from '../../../src/namespace/backfill.js'
import { onTeardown } from '../../helpers/tmp.js'
import { link, twoStores } from '../../helpers/stores.js'

/** A writer core and a replica of it (empty until asked), linked by a pipe. */
async function pair (): Promise<{ local: Hypercore, remote: Hypercore }> {
  const [sa, sb] = await twoStores()
  const local = sa.get({ name: 'blobs' })
  await local.ready()
  const remote = sb.get({ key: local.key ?? undefined })
  await remote.ready()
  link(sa, sb)
  return { local, remote }
}

async function until (cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('blob core backfill: the whole core, a window at a time', function () {
  this.timeout(30_000)

  it('copies what the writer has and what it appends later, never asking for more than a window at once', async () => {
    const { local, remote } = await pair()
    for (let i = 0; i < 20; i++) await local.append(randomBytes(64 << 10))
    await until(() => remote.length === 20) // the length is known, no block is held
    const asked: number[] = []
    const download = remote.download.bind(remote)
    remote.download = (range) => { asked.push((range?.end ?? 0) - (range?.start ?? 0)); return download(range) }
    const backfill = new Backfill(remote, 256 << 10) // four 64 KiB blocks per window
    onTeardown(() => { backfill.stop() })
    assert.equal(backfill.window(), 4)
    backfill.start()
    await until(() => remote.contiguousLength === 20)
    assert.ok(asked.length >= 5 && asked.every((n) => n >= 1 && n <= 4), `windows asked: ${asked.join(',')}`)
    for (let i = 0; i < 6; i++) await local.append(randomBytes(64 << 10))
    await until(() => remote.contiguousLength === 26)
    assert.ok(asked.every((n) => n <= 4), `windows asked: ${asked.join(',')}`)
  })

  it('stops: nothing more is asked for, even when the writer appends', async () => {
    const { local, remote } = await pair()
    await local.append(randomBytes(1024))
    await until(() => remote.length === 1)
    const backfill = new Backfill(remote)
    backfill.start()
    await until(() => remote.contiguousLength === 1)
    backfill.stop()
    await local.append(randomBytes(1024))
    await until(() => remote.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(remote.contiguousLength, 1)
  })

  it('waits while the writer\'s entries keep coming, yet copies a window every maxDeferMs', async () => {
    const { local, remote } = await pair()
    const [, sb] = await twoStores()
    const entries = sb.get({ name: 'entries' }) // stands for the writer's db core: it grows with every change
    await entries.ready()
    const backfill = new Backfill(remote, { windowBytes: 64 << 10, foreground: entries, quietMs: 10_000, maxDeferMs: 200 })
    onTeardown(() => { backfill.stop() })
    backfill.start()
    const busy = setInterval(() => { void entries.append(Buffer.from('change')) }, 20)
    onTeardown(() => { clearInterval(busy) })
    await new Promise<void>((resolve) => { entries.once('append', () => { resolve() }) })
    const t0 = performance.now()
    for (let i = 0; i < 3; i++) await local.append(randomBytes(64 << 10))
    await until(() => remote.contiguousLength === 3)
    const ms = performance.now() - t0
    assert.ok(ms >= 3 * 200 - 20, `three windows, each after a deferral: ${ms.toFixed(0)} ms`)
    clearInterval(busy)
  })

  it('once the entries are still, the copy goes on without waiting; stop() ends a wait', async () => {
    const { local, remote } = await pair()
    const [, sb] = await twoStores()
    const entries = sb.get({ name: 'entries' })
    await entries.ready()
    await entries.append(Buffer.from('one change'))
    await local.append(randomBytes(1024))
    await until(() => remote.length === 1)
    const backfill = new Backfill(remote, { foreground: entries, quietMs: 1000, maxDeferMs: 60_000 })
    onTeardown(() => { backfill.stop() })
    backfill.start()
    await until(() => remote.contiguousLength === 1, 5000) // the change was 1 s ago at most
    await entries.append(Buffer.from('another change')) // now a wait of 1 s…
    await local.append(randomBytes(1024))
    await until(() => remote.length === 2)
    backfill.stop() // …that stop() ends: nothing more is asked for
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(remote.contiguousLength, 1)
  })
})

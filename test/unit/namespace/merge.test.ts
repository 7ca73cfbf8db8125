import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import { FolderWriter } from '../../../src/namespace/apply.js'
import { encodeSummary, entryKey, entryValue, putEntries, SUMMARY_KEY } from '../../../src/namespace/batch-summary.js'
import { writerId, type EntryMeta } from '../../../src/namespace/entry.js'
import { Hlc } from '../../../src/namespace/hlc.js'
import { FolderIndex } from '../../../src/namespace/index.js'
import { Merger, type MergeState } from '../../../src/namespace/merge.js'
import { silentLogger as log } from '../../../src/log.js'
import { link, replicaLength, twoStores } from '../../helpers/stores.js'
import { tmpDir, onTeardown } from '../../helpers/tmp.js'

const N = 40

interface Setup {
  sa: Corestore
  sb: Corestore
  drive: Hyperdrive
  remote: Hyperdrive
  w: string
  hlc: Hlc
  dst: string
  state: MergeState
  bodies: Map<string, Buffer>
  cut: () => void
  merge: () => ReturnType<Merger['run']>
}

/** Writer A with N files and 'keep', merged into B's folder. */
async function setup (): Promise<Setup> {
  const [sa, sb] = await twoStores()
  const drive = new Hyperdrive(sa.namespace('a'))
  onTeardown(async () => { await drive.close() })
  await drive.ready()
  const w = writerId(drive.key)
  const hlc = new Hlc()
  const bodies = new Map<string, Buffer>()
  for (const path of [...Array.from({ length: N }, (_, i) => `f${i}`), 'keep']) {
    const body = randomBytes(100)
    bodies.set(path, body)
    const meta: EntryMeta = { v: 1, c: hlc.tick(), w, s: {}, k: 'file', h: sha(body), m: 0o644, t: 1_700_000_000_000, z: body.length }
    await drive.put(`/${path}`, body, { metadata: meta })
  }
  const remote = new Hyperdrive(sb.namespace('b'), drive.key)
  onTeardown(async () => { await remote.close() })
  await remote.ready()
  const dst = await tmpDir()
  const index = new FolderIndex(join(await tmpDir(), 'index.json'))
  const state: MergeState = { checkpoints: {}, seen: {} }
  const s: Setup = {
    sa, sb, drive, remote, w, hlc, dst, state, bodies,
    cut: link(sa, sb),
    merge: async () => await new Merger({ writer: new FolderWriter(dst, index, null), index, hlc: new Hlc(), state, own: 'b'.repeat(32), readOnly: false, log, fetchWaitMs: 300 })
      .run([{ w, key: drive.key.toString('hex'), drive: remote }])
  }
  await caughtUp(s)
  const out = await s.merge()
  assert.equal(out.applied, N + 1)
  return s
}

async function caughtUp (s: Setup): Promise<void> {
  await replicaLength(s.remote.core, s.drive.core.length)
}

/** B holds A's blocks up to the summary at `at` only, and A is gone. */
async function onlySummary (s: Setup, at: number): Promise<void> {
  await caughtUp(s)
  await s.remote.core.download({ start: 0, end: at + 1 }).done()
  s.cut()
}

const tombMeta = (s: Setup): EntryMeta => ({ v: 1, c: s.hlc.tick(), w: s.w, s: {}, k: 'tomb', h: '', m: 0, t: 1, z: 0 })
const exists = async (s: Setup, path: string): Promise<boolean> => await readFile(join(s.dst, path)).then(() => true, () => false)

describe('merge of a summarised batch', function () {
  this.timeout(60_000)

  it('applies the claims before their blocks come; the blocks, once read, change nothing and move the checkpoint', async () => {
    const s = await setup()
    const key = s.drive.key.toString('hex')
    const seenBefore = s.state.seen[s.w] ?? 0
    const at = s.drive.core.length
    const batch = s.drive.batch()
    const tombs = Array.from({ length: N }, (_, i): [string, { metadata: EntryMeta }] => [`/f${i}`, { metadata: tombMeta(s) }])
    await putEntries(batch, tombs)
    await batch.flush()
    await onlySummary(s, at)

    const early = await s.merge()
    assert.equal(early.applied, N, 'every deletion applied from the summary')
    for (let i = 0; i < N; i++) assert.equal(await exists(s, `f${i}`), false)
    assert.equal(await exists(s, 'keep'), true)
    assert.equal(early.incomplete, true, 'the blocks are still to read')
    assert.equal(s.state.checkpoints[key], at, 'the checkpoint stays at the summary: its claims are not checked yet')
    assert.equal(s.state.seen[s.w], seenBefore, 'claims do not count as seen')

    s.cut = link(s.sa, s.sb)
    const late = await s.merge()
    assert.equal(late.incomplete, false)
    assert.equal(late.applied, 0, 'each block matched its claim')
    assert.equal(s.state.checkpoints[key], s.drive.core.length)
    assert.equal(s.state.seen[s.w], tombs[N - 1]?.[1].metadata.c)
  })

  it('a summary that claims more than its blocks write: what it got wrong is put back once they are read', async () => {
    const s = await setup()
    const at = s.drive.core.length
    const tombs = Array.from({ length: N }, (_, i): [string, { metadata: EntryMeta }] => [`/f${i}`, { metadata: tombMeta(s) }])
    // It claims 'keep' deleted where the last block deletes f39.
    const claims = tombs.map(([p, v]) => ({ key: entryKey(p), value: entryValue(v) }))
    claims[N - 1] = { key: entryKey('/keep'), value: entryValue({ metadata: tombMeta(s) }) }
    const batch = s.drive.batch()
    await batch.db.put(SUMMARY_KEY, encodeSummary({ at: 1, claims }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    for (const [p, v] of tombs) await batch.putEntry(p, v)
    await batch.flush()
    await onlySummary(s, at)

    await s.merge()
    assert.equal(await exists(s, 'keep'), false, 'the claim was acted on')
    assert.equal(await exists(s, `f${N - 1}`), true)

    s.cut = link(s.sa, s.sb)
    const late = await s.merge()
    assert.equal(late.committed, true)
    assert.equal(late.incomplete, false)
    const keep = await readFile(join(s.dst, 'keep'))
    assert.ok(keep.equals(s.bodies.get('keep') as Buffer), 'keep is back, its content from the drive')
    for (let i = 0; i < N; i++) assert.equal(await exists(s, `f${i}`), false, `f${i}`)
    assert.equal(s.state.checkpoints[s.drive.key.toString('hex')], s.drive.core.length)
  })
})

function sha (b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

describe('merge: resolving a batch against the other drives', function () {
  this.timeout(60_000)

  it('looks up each path of a folder another drive has entries under, and none of a folder it has nothing under', async () => {
    const [sa, sb] = await twoStores()
    const a = new Hyperdrive(sa.namespace('a'))
    const own = new Hyperdrive(sb.namespace('own'))
    onTeardown(async () => { await a.close(); await own.close() })
    await a.ready(); await own.ready()
    const wa = writerId(a.key)
    const wb = writerId(own.key)
    const hlc = new Hlc()
    const put = async (drive: Hyperdrive, w: string, path: string, body: Buffer): Promise<void> => {
      const meta: EntryMeta = { v: 1, c: hlc.tick(), w, s: {}, k: 'file', h: sha(body), m: 0o644, t: 1_700_000_000_000, z: body.length }
      await drive.put(`/${path}`, body, { metadata: meta })
    }
    const bodies = new Map<string, Buffer>()
    for (const dir of ['x', 'z']) {
      for (let i = 0; i < 10; i++) { const body = randomBytes(50); bodies.set(`${dir}/f${i}`, body); await put(a, wa, `${dir}/f${i}`, body) }
    }
    // This node's own drive: a later x/f3 (it wins), and a file in a folder A never wrote in.
    const mine = randomBytes(60)
    await put(own, wb, 'x/f3', mine)
    await put(own, wb, 'y/g0', randomBytes(10))
    const remote = new Hyperdrive(sb.namespace('b'), a.key)
    onTeardown(async () => { await remote.close() })
    await remote.ready()
    link(sa, sb)
    await replicaLength(remote.core, a.core.length)
    await remote.core.download({ start: 0, end: a.core.length }).done() // one slice: every block held

    const looked: string[] = []
    const entry = Hyperdrive.prototype.entry
    Hyperdrive.prototype.entry = async function (this: Hyperdrive, name: string, opts?: unknown) {
      looked.push(name)
      return await entry.call(this, name, opts as never)
    } as typeof entry
    onTeardown(() => { Hyperdrive.prototype.entry = entry })
    const dst = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    const state: MergeState = { checkpoints: { [own.key.toString('hex')]: own.core.length }, seen: {} }
    const out = await new Merger({ writer: new FolderWriter(dst, index, null), index, hlc: new Hlc(), state, own: wb, readOnly: false, log, fetchWaitMs: 300 })
      .run([{ w: wb, key: own.key.toString('hex'), drive: own }, { w: wa, key: a.key.toString('hex'), drive: remote }])
    Hyperdrive.prototype.entry = entry

    assert.equal(out.committed, true)
    assert.ok((await readFile(join(dst, 'x/f3'))).equals(mine), 'the own drive\'s later x/f3 won')
    for (const [path, body] of bodies) if (path !== 'x/f3') assert.ok((await readFile(join(dst, path))).equals(body), path)
    assert.equal(looked.filter((p) => p.startsWith('/x/')).length, 10, 'each x/ path looked up in the own drive')
    assert.deepEqual(looked.filter((p) => p.startsWith('/z/')), [], 'nothing looked up under z/: the own drive has nothing there')
  })
})

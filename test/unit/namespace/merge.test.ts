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

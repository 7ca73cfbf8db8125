import assert from 'node:assert/strict'
import { deflateRawSync } from 'node:zlib'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import type { DriveEntryValue } from 'hyperdrive'
import { Node } from 'hyperbee/lib/messages.js'
import { decodeSummary, encodeSummary, entryKey, entryValue, forgetSummaries, putEntries, SUMMARY_KEY, SUMMARY_MIN, type Claim } from '../../../src/namespace/batch-summary.js'
import { decodeBlock, DriveBlocks, entriesAt, GAP, type ChangedEntry } from '../../../src/namespace/drive-blocks.js'
import { link, replicaLength, writerDrive } from '../../helpers/stores.js'
import { onTeardown, tmpDir } from '../../helpers/tmp.js'

/** A replica of `drive` on another store, linked; returns it and the link's cut. */
async function replicaOf (store: Corestore, drive: Hyperdrive, encryptionKey: Buffer): Promise<{ remote: Hyperdrive, cut: () => void }> {
  const other = new Corestore(await tmpDir())
  onTeardown(async () => { await other.close() })
  const remote = new Hyperdrive(other.session(), drive.key, { encryptionKey })
  await remote.ready()
  const cut = link(store, other)
  await replicaLength(remote.core, drive.core.length)
  return { remote, cut }
}

const tomb = (i: number): Partial<DriveEntryValue> => ({ metadata: { v: 1, c: 1000 + i, w: 'w', s: {}, k: 'tomb', h: '', m: 0, t: 1, z: 0 } })
const entries = (n: number, at = 0): Array<[string, Partial<DriveEntryValue>]> => Array.from({ length: n }, (_, i) => [`/d/f${at + i}`, tomb(at + i)])

/** A replica holding `drive`'s blocks below `held` only, still linked: it fetches the rest as it reads. */
async function holding (store: Corestore, drive: Hyperdrive, encryptionKey: Buffer, held: number): Promise<Hyperdrive> {
  const { remote } = await replicaOf(store, drive, encryptionKey)
  await remote.core.download({ start: 0, end: held }).done()
  return remote
}

const noGaps = (got: Array<ChangedEntry | 'gap'>): string[] => got.filter((e) => e !== 'gap').map(show)

/** The drive's entries read through DriveBlocks (with a drive to read suspects again from). */
async function read (drive: Hyperdrive, from: number, to: number, waitMs = 1000): Promise<{ got: Array<ChangedEntry | 'gap'>, blocks: DriveBlocks }> {
  const blocks = new DriveBlocks(drive.core, from, to, {
    waitMs,
    entriesAt: async (paths, v) => await entriesAt(drive, paths, v, waitMs)
  })
  const got: Array<ChangedEntry | 'gap'> = []
  for await (const e of blocks.changes()) got.push(e === GAP ? 'gap' : e)
  return { got, blocks }
}

const show = (e: ChangedEntry | 'gap'): string => e === 'gap' ? e : `${e.summary ?? 'block'} ${e.path}`

describe('batch summary', function () {
  this.timeout(30_000)

  it("a writer keeps no old summary in the b-tree's node and key caches once a publish is done", async () => {
    const { drive } = await writerDrive()
    const bee = drive.db as unknown as { _nodeCache: { keys: Iterable<[number, { key: Buffer }]> }, _keyCache: { keys: Iterable<[number, Buffer]> } }
    const cachedKeys = (): number => [...bee._keyCache.keys].filter(([, key]) => key.equals(SUMMARY_KEY)).length
    const cachedSummaries = (): number => [...bee._nodeCache.keys].filter(([, node]) => node.key.equals(SUMMARY_KEY)).length + cachedKeys()
    for (let round = 0; round < 3; round++) {
      const batch = drive.batch()
      await putEntries(batch, entries(SUMMARY_MIN, round * SUMMARY_MIN))
      await batch.flush()
    }
    // Each summary's put read the one before it, value and all, into the cache all drives share.
    assert.ok(cachedSummaries() > 0, 'hyperbee caches the summaries it compares keys with')
    assert.ok(cachedKeys() > 0, 'and their keys, views of the whole block')
    assert.ok(forgetSummaries(drive.db) > 0)
    assert.equal(cachedSummaries(), 0)
    assert.equal(forgetSummaries({}), 0, 'a bee without that cache: nothing to do')
    const batch = drive.batch()
    assert.equal(await putEntries(batch, entries(SUMMARY_MIN, 3 * SUMMARY_MIN)), true, 'a summary was put: the caller forgets it')
    await batch.flush()
    assert.ok(cachedSummaries() > 0)
    const few = drive.batch()
    assert.equal(await putEntries(few, entries(SUMMARY_MIN - 1, 4 * SUMMARY_MIN)), false, 'too few for a summary: nothing to forget')
    await few.flush()
    assert.equal(((await drive.entry('/d/f100'))?.value.metadata as { k?: string } | undefined)?.k, 'tomb', 'the drive reads as before')
  })

  it('encodes and decodes its claims; anything malformed, of another version or inflating past its size is no summary', () => {
    const claims: Claim[] = [{ key: entryKey('/a'), value: entryValue({ metadata: { x: 1 } }) }, { key: entryKey('/b/c'), value: Buffer.alloc(0) }]
    const buf = encodeSummary({ at: 1, claims })
    assert.deepEqual(decodeSummary(buf), { at: 1, claims })
    assert.equal(decodeSummary(Buffer.concat([Buffer.from([2]), buf.subarray(1)])), null, 'another version')
    assert.equal(decodeSummary(buf.subarray(0, buf.length - 3)), null, 'truncated')
    assert.equal(decodeSummary(Buffer.from([1, 0, 0])), null, 'at 0: a summary cannot claim itself')
    // Says 10 bytes, inflates to a megabyte: refused at the size it gave.
    assert.equal(decodeSummary(Buffer.concat([Buffer.from([1, 1, 10]), deflateRawSync(Buffer.alloc(1 << 20))])), null)
    assert.equal(decodeSummary(Buffer.from('not a summary')), null)
  })

  it('is put before the entries it claims, byte for byte their blocks; the drive\'s tree does not see it and holds one key for all summaries', async () => {
    const { drive } = await writerDrive()
    await drive.putEntry('/before', tomb(0))
    for (let round = 0; round < 3; round++) {
      const from = drive.core.length
      const batch = drive.batch()
      let misplaced = false
      await putEntries(batch, entries(SUMMARY_MIN, round * 100), () => { misplaced = true })
      await batch.flush()
      assert.equal(misplaced, false)
      assert.equal(drive.core.length, from + 1 + SUMMARY_MIN, 'one block for the summary, one per entry')
      const sum = Node.decode(await drive.core.get(from) as Buffer)
      assert.ok(sum.key.equals(SUMMARY_KEY))
      const s = decodeSummary(sum.value as Buffer)
      assert.ok(s !== null)
      assert.equal(s.at, 1)
      for (const [i, claim] of s.claims.entries()) {
        const real = Node.decode(await drive.core.get(from + 1 + i) as Buffer)
        assert.ok(real.key.equals(claim.key) && real.value !== null && real.value.equals(claim.value), `claim ${i} is its block`)
      }
      // An old reader (decodeBlock) skips it.
      assert.equal(decodeBlock(from, await drive.core.get(from) as Buffer), null)
    }
    // Fewer entries than SUMMARY_MIN: no summary.
    const from = drive.core.length
    const batch = drive.batch()
    await putEntries(batch, entries(3, 900))
    await batch.flush()
    assert.equal(drive.core.length, from + 3)
    // The tree: the entries as ever; list, readdir and diff see no other key.
    assert.equal((await drive.entry('/d/f5'))?.value.metadata !== null, true)
    const listed: string[] = []
    for await (const e of drive.list('/')) listed.push(e.key)
    assert.equal(listed.length, 1 + 3 * SUMMARY_MIN + 3)
    assert.ok(listed.every((k) => k.startsWith('/')))
    const names: string[] = []
    for await (const n of drive.readdir('/')) names.push(n)
    assert.deepEqual(names.sort(), ['before', 'd'])
    const diffed: string[] = []
    for await (const d of drive.diff(2)) diffed.push((d.left ?? d.right)?.key ?? '')
    assert.equal(diffed.length, 3 * SUMMARY_MIN + 3)
    // One summary key in the whole b-tree, the last one written.
    const all: Buffer[] = []
    for await (const n of (drive.db as unknown as { createReadStream: (r: object, o: object) => AsyncIterable<{ key: Buffer }> }).createReadStream({}, { keyEncoding: 'binary', valueEncoding: 'binary' })) all.push(n.key)
    assert.equal(all.filter((k) => k.equals(SUMMARY_KEY)).length, 1)
    assert.equal(all.length, listed.length + 1)
  })

  it('a reader yields the claims once the summary is held, then each matching block as a match', async () => {
    const { store, drive, encryptionKey } = await writerDrive()
    await drive.putEntry('/before', tomb(0))
    const from = drive.core.length
    const batch = drive.batch()
    await putEntries(batch, entries(SUMMARY_MIN))
    await batch.flush()
    const { remote, cut } = await replicaOf(store, drive, encryptionKey)
    await remote.core.download({ start: 0, end: from + 1 + SUMMARY_MIN / 2 }).done() // the summary and half its blocks
    cut()
    // Without the rest: the claims, then a stop at the first claimed block not held, and no match
    // yielded for the half that was (their clocks would count as seen), at the summary's seq.
    const first = await read(remote, from, remote.core.length, 200)
    // The claims, a gap (apply them now), then the gap before waiting for the first block not held.
    assert.deepEqual(first.got.map(show), [...entries(SUMMARY_MIN).map(([p]) => `claim ${p.slice(1)}`), 'gap', 'gap'])
    assert.equal((first.got[0] as ChangedEntry).seq, from + 1, 'a claim has its block\'s seq')
    assert.deepEqual((first.got[0] as ChangedEntry).node?.value, { executable: false, linkname: null, blob: null, metadata: tomb(0).metadata })
    assert.equal(first.blocks.next, from, 'stopped inside the summarised range: the next read starts at the summary')
    assert.equal(first.blocks.done, false)
    // Its blocks coming as they are read: claims, then the matches once the range is read.
    const live = await holding(store, drive, encryptionKey, from + 1)
    const all = await read(live, from, live.core.length)
    assert.deepEqual(noGaps(all.got), [...entries(SUMMARY_MIN).map(([p]) => `claim ${p.slice(1)}`), ...entries(SUMMARY_MIN).map(([p]) => `match ${p.slice(1)}`)])
    assert.equal(all.blocks.next, live.core.length)
    // All held already (the writer's own, or a round catching up): the blocks, the summary not acted on.
    const held = await read(drive, from, drive.core.length)
    assert.deepEqual(held.got.map(show), entries(SUMMARY_MIN).map(([p]) => `block ${p.slice(1)}`))
    // Progress: once the claims are out, their blocks are no changes still to come.
    const counting = await holding(store, drive, encryptionKey, from + 1)
    const counted = new DriveBlocks(counting.core, from, counting.core.length, { waitMs: 1000, entriesAt: async (paths) => paths.map(() => null) })
    assert.equal(counted.unread, 1 + SUMMARY_MIN)
    for await (const e of counted.changes()) {
      if (e !== GAP && e.summary === 'claim') assert.equal(counted.unread, 0)
    }
    assert.equal(counted.unread, 0)
    // Without entriesAt (a reader that cannot check): the blocks as they are, the summary skipped.
    const plain = new DriveBlocks(drive.core, from, drive.core.length, { waitMs: 1000 })
    const got: string[] = []
    for await (const e of plain.changes()) got.push(show(e === GAP ? 'gap' : e))
    assert.deepEqual(got, entries(SUMMARY_MIN).map(([p]) => `block ${p.slice(1)}`))
  })

  it('a block that differs from its claim wins: both paths are read again from the drive after the range', async () => {
    const { store, drive, encryptionKey } = await writerDrive()
    const keepValue = { metadata: { v: 1, c: 5, w: 'w', s: {}, k: 'file', h: 'x', m: 0o644, t: 1, z: 0 } }
    await drive.putEntry('/keep', keepValue)
    const from = drive.core.length
    // A lying summary: it claims '/keep' deleted where the block deletes '/d/f3', and a wrong value for f5.
    const real = entries(8)
    const claims: Claim[] = real.map(([p, v]) => ({ key: entryKey(p), value: entryValue(v) }))
    claims[3] = { key: entryKey('/keep'), value: entryValue(tomb(3)) }
    claims[5] = { key: entryKey('/d/f5'), value: entryValue(tomb(55)) }
    const batch = drive.batch()
    await batch.db.put(SUMMARY_KEY, encodeSummary({ at: 1, claims }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    for (const [p, v] of real) await batch.putEntry(p, v)
    await batch.flush()
    const remote = await holding(store, drive, encryptionKey, from + 1)
    const { got: withGaps, blocks } = await read(remote, from, remote.core.length)
    const got = withGaps.filter((e): e is ChangedEntry => e !== 'gap')
    const shown = got.map(show)
    assert.deepEqual(shown.slice(0, 8), ['claim d/f0', 'claim d/f1', 'claim d/f2', 'claim keep', 'claim d/f4', 'claim d/f5', 'claim d/f6', 'claim d/f7'])
    assert.deepEqual(shown.slice(8, 14), ['match d/f0', 'match d/f1', 'match d/f2', 'match d/f4', 'match d/f6', 'match d/f7'])
    // Then the paths in doubt, as the drive has them at the range's end.
    const again = got.slice(14)
    assert.deepEqual(again.map((e) => e.path).sort(), ['d/f3', 'd/f5', 'keep'])
    const by = new Map(again.map((e) => [e.path, e]))
    assert.deepEqual(by.get('keep')?.node?.value.metadata, keepValue.metadata, 'keep is not deleted: its entry from before the batch')
    assert.deepEqual(by.get('d/f3')?.node?.value.metadata, tomb(3).metadata)
    assert.deepEqual(by.get('d/f5')?.node?.value.metadata, tomb(5).metadata, 'the block\'s value, not the claim\'s')
    assert.ok(again.every((e) => e.summary === undefined && e.seq === drive.core.length - 1))
    assert.equal(blocks.next, drive.core.length)
  })

  it('a summary claiming blocks the reader was not given (past the signed length it knows) is not acted on', async () => {
    const { store, drive, encryptionKey } = await writerDrive()
    await drive.putEntry('/before', tomb(0)) // the header block first
    const from = drive.core.length
    const batch = drive.batch()
    await putEntries(batch, entries(SUMMARY_MIN))
    await batch.flush()
    // Read as if the core's length ended halfway through the claimed blocks.
    const half = from + 1 + SUMMARY_MIN / 2
    const remote = await holding(store, drive, encryptionKey, from + 1)
    const { got, blocks } = await read(remote, from, half)
    assert.deepEqual(noGaps(got), entries(SUMMARY_MIN / 2).map(([p]) => `block ${p.slice(1)}`))
    assert.equal(blocks.next, half)
    // Claims past what follows the summary: the whole summary is ignored.
    const liar = drive.batch()
    const start = drive.core.length
    const claims = entries(SUMMARY_MIN + 5, 100).map(([p, v]) => ({ key: entryKey(p), value: entryValue(v) }))
    await liar.db.put(SUMMARY_KEY, encodeSummary({ at: 1, claims }), { keyEncoding: 'binary', valueEncoding: 'binary' })
    for (const [p, v] of entries(SUMMARY_MIN, 100)) await liar.putEntry(p, v)
    await liar.flush()
    const other = await holding(store, drive, encryptionKey, start + 1)
    const r = await read(other, start, other.core.length)
    assert.deepEqual(noGaps(r.got), entries(SUMMARY_MIN, 100).map(([p]) => `block ${p.slice(1)}`))
  })
})

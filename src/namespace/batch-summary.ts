// A batch summary: one block, put first in a drive batch, that carries the exact key and value of
// the entry blocks appended right after it. A peer reads a drive's new blocks in order
// (drive-blocks.ts); with the summary it has every entry of the batch after fetching one block
// instead of one per entry (bench W6: 1,010 blocks, each fetched and verified on its own, 0.55–0.9 s
// on the receiver), and the merge applies them at once. The real blocks are still read after it,
// each compared with what the summary claimed for its seq: the real block is authoritative, and a
// difference makes the reader resolve the paths involved again from the drive itself.
//
// Format: a hyperbee put under SUMMARY_KEY, outside hyperdrive's 'files\0' prefix, so drive.entry,
// list, readdir and diff never see it, and a reader that only decodes 'files\0' keys (shoal before
// this) skips the block. The key is the same in every summary: the b-tree holds one key for it
// however many summaries are written (each is a new block anyway). The value:
//   version uint (1) · at uint · raw uint · deflateRaw(claims)
// where `at` is the offset from the summary's own seq to the first claimed block (1: the next), the
// claims are consecutive blocks, and `raw` is their encoded size (inflated at most that, and at most
// MAX_RAW). A claim is the block's hyperbee key and value bytes (c.buffer each), as hyperdrive's
// putEntry writes them.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import c, { type State } from 'compact-encoding'
import type Hyperdrive from 'hyperdrive'
import type { DriveEntryValue } from 'hyperdrive'

/** Hyperdrive's entries: keys under 'files' + NUL (its SubEncoder); the header is block 0. */
export const FILES = Buffer.from('files\0')
/** The summary's key: another prefix than 'files\0', one key for every summary. */
export const SUMMARY_KEY = Buffer.from('shoal\0summary')
const VERSION = 1
/** A batch with fewer entries is not summarised: its blocks are few enough to fetch one by one. */
export const SUMMARY_MIN = 32
/** Claims in one summary at most (a publish slice is at most 2,000 entries: local-changes.ts). */
export const MAX_CLAIMS = 4096
/** Encoded claims in one summary at most (an entry's key and value are ~300 bytes). */
export const MAX_RAW = 4 << 20

/** One claimed block: the key and value bytes its hyperbee node holds. */
export interface Claim { key: Buffer, value: Buffer }

export interface Summary {
  /** Offset of the first claimed block from the summary's seq. */
  at: number
  claims: Claim[]
}

const claimEnc = {
  preencode (state: State, m: Claim) { c.buffer.preencode(state, m.key); c.buffer.preencode(state, m.value) },
  encode (state: State, m: Claim) { c.buffer.encode(state, m.key); c.buffer.encode(state, m.value) },
  decode (state: State): Claim { return { key: c.buffer.decode(state) ?? Buffer.alloc(0), value: c.buffer.decode(state) ?? Buffer.alloc(0) } }
}

export function encodeSummary (s: Summary): Buffer {
  const state: State = { start: 0, end: 0, buffer: null }
  c.uint.preencode(state, s.claims.length)
  for (const m of s.claims) claimEnc.preencode(state, m)
  const raw = Buffer.allocUnsafe(state.end)
  state.buffer = raw
  c.uint.encode(state, s.claims.length)
  for (const m of s.claims) claimEnc.encode(state, m)
  // Level 1: 1,010 tombstones (300 KB) deflate to ~10 KB in 4–7 ms; the default level saves 1.5 KB
  // more in 12–16 ms, on the writer's way to publishing.
  const body = deflateRawSync(raw, { level: 1 })
  const head: State = { start: 0, end: 0, buffer: null }
  c.uint.preencode(head, VERSION); c.uint.preencode(head, s.at); c.uint.preencode(head, raw.length)
  const out = Buffer.allocUnsafe(head.end + body.length)
  head.buffer = out
  c.uint.encode(head, VERSION); c.uint.encode(head, s.at); c.uint.encode(head, raw.length)
  body.copy(out, head.start)
  return out
}

/** Null for anything that is not a well-formed summary of this version (a newer one is ignored). */
export function decodeSummary (buf: Buffer): Summary | null {
  try {
    const head: State = { start: 0, end: buf.length, buffer: buf }
    if (c.uint.decode(head) !== VERSION) return null
    const at = c.uint.decode(head)
    const rawLength = c.uint.decode(head)
    if (at < 1 || rawLength > MAX_RAW) return null
    const raw = inflateRawSync(buf.subarray(head.start), { maxOutputLength: Math.max(1, rawLength) })
    if (raw.length !== rawLength) return null
    const state: State = { start: 0, end: raw.length, buffer: raw }
    const n = c.uint.decode(state)
    if (n > MAX_CLAIMS) return null
    const claims: Claim[] = []
    for (let i = 0; i < n; i++) claims.push(claimEnc.decode(state))
    if (state.start !== state.end) return null
    return { at, claims }
  } catch {
    return null
  }
}

/** The key bytes hyperdrive's putEntry writes for a drive path ('/' + folder path). */
export function entryKey (drivePath: string): Buffer {
  return Buffer.concat([FILES, Buffer.from(drivePath, 'utf8')])
}

/** The value bytes hyperdrive's putEntry writes (hyperbee's json encoding of its four fields, in its order). */
export function entryValue (v: Partial<DriveEntryValue>): Buffer {
  return Buffer.from(JSON.stringify({ executable: v.executable ?? false, linkname: v.linkname ?? null, blob: v.blob ?? null, metadata: v.metadata ?? null }))
}

/**
 * Puts `entries` into a drive batch in order, preceded by their summary when there are at least
 * SUMMARY_MIN of them (the first ones that fit MAX_CLAIMS and MAX_RAW). Each put appends one block:
 * every entry carries a fresh clock, so hyperbee never skips one as unchanged. Should it, the
 * claims after it would name the wrong seqs: readers check every claim against its block, so that
 * costs time, not correctness; `onMisplaced` is told. Returns whether a summary was put.
 */
export async function putEntries (batch: Hyperdrive, entries: Array<[string, Partial<DriveEntryValue>]>, onMisplaced?: () => void): Promise<boolean> {
  const claims: Claim[] = []
  if (entries.length >= SUMMARY_MIN) {
    let raw = 0
    for (const [path, value] of entries) {
      const m = { key: entryKey(path), value: entryValue(value) }
      raw += m.key.length + m.value.length + 8
      if (claims.length >= MAX_CLAIMS || raw > MAX_RAW) break
      claims.push(m)
    }
  }
  const db = batch.db
  const before = db.length
  if (claims.length > 0) await db.put(SUMMARY_KEY, encodeSummary({ at: 1, claims }), BINARY)
  for (const [path, value] of entries) await batch.putEntry(path, value)
  if (claims.length > 0 && db.length - before !== entries.length + 1) onMisplaced?.()
  return claims.length > 0
}

const BINARY = { keyEncoding: 'binary', valueEncoding: 'binary' } as const

interface SeqCache<V> { delete: (seq: number) => boolean, [Symbol.iterator]: () => Iterator<[number, V]> }

/**
 * Drops summary blocks from a Hyperbee's caches; the number dropped. Putting a summary compares
 * its key with the previous summary's, which reads that whole block, and hyperbee caches it twice
 * in the cache all drives share (BEE_CACHE_ENTRIES entries, evicted at random, whatever their
 * size): the node with its value (`_nodeCache`: after publishing 100,000 files the writer held
 * ~6 MB of old summaries there, bench:scale, external memory 156 B/file against 101 without
 * summaries) and the key (`_keyCache`), a view that keeps the whole block's buffer alive (~1 MB
 * more). Both are hyperbee's own fields (a Rache each); where they are not, nothing is done.
 */
export function forgetSummaries (bee: unknown): number {
  const b = bee as { _nodeCache?: { keys?: SeqCache<{ key?: Uint8Array } | null> } | null, _keyCache?: { keys?: SeqCache<Uint8Array | null> } | null }
  return forget(b._nodeCache?.keys, (node) => node?.key) + forget(b._keyCache?.keys, (key) => key)
}

function forget<V> (cache: SeqCache<V> | undefined, keyOf: (v: V) => Uint8Array | null | undefined): number {
  if (cache === undefined || typeof cache.delete !== 'function') return 0
  const drop: number[] = []
  for (const [seq, v] of cache) {
    const key = keyOf(v)
    if (key != null && Buffer.compare(key, SUMMARY_KEY) === 0) drop.push(seq)
  }
  for (const seq of drop) cache.delete(seq)
  return drop.length
}

// Hypercore's count of the tree nodes a block request needs, with one storage read per six tree
// levels instead of one per level (issue #3).
//
// Before it asks a peer for a block, a replicating core counts the proof nodes it lacks: the
// block's leaf, its parent, and so on up to the first node it holds (MerkleTree.missingNodes,
// hypercore 11.37.1 lib/merkle-tree.js). It looks each one up with a read batch of its own, one
// after the other, and its comment says so ("we could prop use a read batch here"). A receiver
// downloading a drive of small files does that ~5 times per block, and each read is a round trip
// through libuv's thread pool: in W1 (bench/small-stages.ts, 5,000 files) 26,500 of the receiver's
// 37,300 read batches. Here the levels are looked up LEVELS_PER_READ at a time, each group in one
// batch, and the count is the same one: the levels below the first node held.
//
// Not every level at once: each node held comes back from rocksdb-native as a buffer of its own
// with a weak handle, and reading the levels above the first one held as well left the receiver
// of bench:scale (100,000 files) with ~3.5 MB more after its sync (224–237 B/file against 204
// with hypercore's own function in the same minutes).
//
// Hypercore keeps that function inside; it is replaced only when its source is exactly the one
// this was written against (package.json pins hypercore), so another version keeps its own.
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

/** The parts of hypercore-storage's read transaction used here. */
interface ReadTx { hasTreeNode: (index: number) => Promise<boolean>, tryFlush: () => void }
/** A core's session state (hypercore's SessionState), as missingNodes takes it. */
export interface TreeSession { storage: { read: () => ReadTx } }
type MissingNodes = (session: TreeSession, index: number, length: number) => Promise<number>

/** flat-tree's iterator, as hypercore uses it. */
interface FlatIterator { index: number, factor: number, contains: (index: number) => boolean, parent: () => number }

/** sha256 of hypercore 11.37.1's `MerkleTree.missingNodes.toString()`. */
const REPLACES = '63862348a397d5a3eb973a62ef15cf9e7e4f0c22122572d59834606eff845bf1'
/** hypercore's own bound: more missing levels than this means the arguments are wrong. */
const MAX_LEVELS = 1024
/**
 * Levels looked up per read. Hypercore's own function made ~5 reads per call in W1 (4 missing
 * levels and the one held): most counts take one read, and few nodes above the first held one
 * are read for nothing.
 */
export const LEVELS_PER_READ = 6

// The modules hypercore itself loads (the same instances: resolved from its own folder).
const fromHypercore = createRequire(createRequire(import.meta.url).resolve('hypercore'))
const { MerkleTree } = fromHypercore('./lib/merkle-tree.js') as { MerkleTree: { missingNodes: MissingNodes } }
const flat = fromHypercore('flat-tree') as { iterator: (index: number) => FlatIterator }

/** Hypercore's own function (the tests compare with it). */
export const originalMissingNodes: MissingNodes = MerkleTree.missingNodes

/**
 * How many nodes from tree node `index` upwards are missing below the first one held (0 when the
 * node itself is held, or when it reaches past the tree of `length` blocks), looked up
 * LEVELS_PER_READ levels at a time.
 */
export async function batchedMissingNodes (session: TreeSession, index: number, length: number): Promise<number> {
  const head = 2 * length
  const ite = flat.iterator(index)
  // the node's right span (flat-tree's rightSpan()): beyond the tree, nothing is known to be missing
  if (ite.index + ite.factor / 2 - 1 >= head) return 0
  let missing = 0
  while (!ite.contains(head)) {
    const rx = session.storage.read()
    const held: Array<Promise<boolean>> = []
    while (!ite.contains(head) && held.length < LEVELS_PER_READ) {
      held.push(rx.hasTreeNode(ite.index))
      ite.parent()
    }
    rx.tryFlush()
    for (const found of await Promise.all(held)) {
      if (found) return missing
      if (++missing >= MAX_LEVELS) throw new Error(`Bad arguments to missingNodes index=${index} at length=${length}`)
    }
  }
  return missing
}

/** Installs batchedMissingNodes over hypercore's own; false (and nothing changed) for another version. */
export function installBatchedMissingNodes (): boolean {
  if (MerkleTree.missingNodes === batchedMissingNodes) return true
  const source = createHash('sha256').update(originalMissingNodes.toString()).digest('hex')
  if (source !== REPLACES) return false
  MerkleTree.missingNodes = batchedMissingNodes
  return true
}

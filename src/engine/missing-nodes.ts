// A receiver asks for each block with the number of Merkle tree nodes it lacks on the block's path
// to a root it has, so that the sender leaves those it has out of the proof. hypercore counts them
// in MerkleTree.missingNodes with one storage read, one RocksDB read batch and one thread-pool
// trip, per node, walking up until it finds one it has (hypercore 11.37: "TODO: we could prop use
// a read batch here"). In bench:sync's W1 (5,000 files) that was 26,600 of the receiver's 37,400
// read batches, each one a wake-up of a pool thread and of the event loop for a single key.
//
// This walks the same path without reading, then asks for every node on it in one read batch and
// counts the missing ones up to the first present one: the same answer (the nodes above the first
// present one are read but not counted), one batch instead of up to one per level of the tree.
import { createRequire } from 'node:module'

interface FlatIterator { index: number, factor: number, contains: (index: number) => boolean, parent: () => number }
interface TreeRead { hasTreeNode: (index: number) => Promise<boolean>, tryFlush: () => void }
interface Session { storage: { read: () => TreeRead } }
type MissingNodes = (session: Session, index: number, length: number) => Promise<number>

const require = createRequire(import.meta.url)
const hypercoreRequire = createRequire(require.resolve('hypercore/lib/merkle-tree.js'))
const { MerkleTree } = hypercoreRequire('./merkle-tree.js') as { MerkleTree: { missingNodes: MissingNodes } }
const flat = hypercoreRequire('flat-tree') as { iterator: (index: number) => FlatIterator }
const { ASSERTION } = hypercoreRequire('hypercore-errors') as { ASSERTION: (msg: string) => Error }

/** hypercore's own, kept for the test that compares the two. */
export const unbatchedMissingNodes: MissingNodes = MerkleTree.missingNodes

/** The same count as hypercore's missingNodes, from one read batch. */
export async function missingNodes (session: Session, index: number, length: number): Promise<number> {
  const head = 2 * length
  const ite = flat.iterator(index)
  // The node's right span is past the tree: how many are missing is not known (as hypercore).
  if (ite.index + ite.factor / 2 - 1 >= head) return 0
  const path: number[] = []
  // The nodes below the root that covers `head`: at most one per level (hypercore gives up at 1024).
  while (!ite.contains(head) && path.length < 1024) {
    path.push(ite.index)
    ite.parent()
  }
  if (path.length === 0) return 0
  const rx = session.storage.read()
  const has = path.map((i) => rx.hasTreeNode(i))
  rx.tryFlush()
  const present = await Promise.all(has)
  const cnt = present.indexOf(true)
  if (cnt === -1 && path.length >= 1024) throw ASSERTION(`Bad arguments to missingNodes index=${index} at length=${length}`)
  return cnt === -1 ? path.length : cnt
}

let installed = false

/** Puts `missingNodes` in place of hypercore's for every core in this process; idempotent. */
export function installBatchedMissingNodes (): void {
  if (installed) return
  installed = true
  MerkleTree.missingNodes = missingNodes
}

import { randomBytes } from 'node:crypto'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import { onTeardown, tmpDir } from './tmp.js'

/** Two fresh Corestores in temp dirs, closed after the test. */
export async function twoStores (): Promise<[Corestore, Corestore]> {
  const a = new Corestore(await tmpDir())
  const b = new Corestore(await tmpDir())
  onTeardown(async () => { await a.close(); await b.close() })
  return [a, b]
}

/** Replicates two stores over an in-memory pipe until the test ends (`a` initiates); returns a cut. */
export function link (a: Corestore, b: Corestore): () => void {
  const ra = a.replicate(true)
  const rb = b.replicate(false)
  ra.pipe(rb).pipe(ra)
  ra.on('error', () => {})
  rb.on('error', () => {})
  const cut = (): void => { ra.destroy(); rb.destroy() }
  onTeardown(cut)
  return cut
}

/**
 * Waits until `core` (a replica) is `length` long. update() resolves at once while its peer is not
 * there yet, so asking again in a loop of promises alone never lets the link's I/O run: the test
 * spun at 100% CPU until mocha's timeout (seen once in `make test`). Each try yields to the event
 * loop, and the wait is bounded. (Awaiting hypercore's 'peer-add' instead hung: update() also
 * returns early with the peer there but not yet synced, and nothing else fires then.)
 */
export async function replicaLength (core: { length: number, update: (o: { wait: boolean }) => Promise<unknown> }, length: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (core.length < length) {
    if (Date.now() > until) throw new Error(`replica stuck at length ${core.length} of ${length} for ${timeoutMs} ms`)
    await core.update({ wait: true })
    if (core.length < length) await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A writable, encrypted drive on a fresh store, closed after the test. */
export async function writerDrive (): Promise<{ store: Corestore, drive: Hyperdrive, encryptionKey: Buffer }> {
  const encryptionKey = randomBytes(32)
  const store = new Corestore(await tmpDir())
  onTeardown(async () => { await store.close() })
  const drive = new Hyperdrive(store.namespace('w'), { encryptionKey })
  await drive.ready()
  return { store, drive, encryptionKey }
}

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

/** A writable, encrypted drive on a fresh store, closed after the test. */
export async function writerDrive (): Promise<{ store: Corestore, drive: Hyperdrive, encryptionKey: Buffer }> {
  const encryptionKey = randomBytes(32)
  const store = new Corestore(await tmpDir())
  onTeardown(async () => { await store.close() })
  const drive = new Hyperdrive(store.namespace('w'), { encryptionKey })
  await drive.ready()
  return { store, drive, encryptionKey }
}

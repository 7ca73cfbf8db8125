import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blindSecret, deriveFromReadWrite, parseSecret, readOnlySecret } from '../../src/secrets.js'
import { snapshot } from '../helpers/fs.js'
import { createTestReplica, link } from '../helpers/replicas.js'
import { until } from '../helpers/tmp.js'

async function containsBytes (dir: string, needle: Buffer): Promise<boolean> {
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    const buf = await readFile(join(e.parentPath, e.name)).catch(() => Buffer.alloc(0))
    if (buf.includes(needle)) return true
  }
  return false
}

const read = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '')

describe('replica modes (piped streams)', function () {
  this.timeout(30_000)

  it('mass-delete guard: publishes nothing until resume()', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createTestReplica('a', keys, { massDeleteMin: 5 })
    const b = await createTestReplica('b', keys)
    link(a, b)
    for (let i = 0; i < 10; i++) await writeFile(join(a.folder, `f${i}`), String(i))
    await until(async () => (await readdir(b.folder)).length === 10, 'ten files on b')
    for (let i = 0; i < 8; i++) await rm(join(a.folder, `f${i}`))
    await until(() => a.replica.status().paused === 'mass-delete', 'paused')
    assert.equal(a.replica.status().state, 'paused')
    await assert.rejects(a.replica.waitSynced(100), /TIMEOUT|not in sync/)
    assert.equal((await readdir(b.folder)).length, 10, 'nothing deleted on b')
    await a.replica.resume()
    await until(async () => (await readdir(b.folder)).length === 2, 'deletions published after resume')
    assert.equal(a.replica.status().paused, null)
  })

  it('mass-delete guard: the folder gone', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createTestReplica('a', keys)
    const b = await createTestReplica('b', keys)
    link(a, b)
    await writeFile(join(a.folder, 'x'), 'x')
    await until(async () => (await read(join(b.folder, 'x'))) === 'x', 'x on b')
    await rm(a.folder, { recursive: true })
    a.replica.notifyChange('x')
    await until(() => a.replica.status().paused === 'mass-delete', 'paused')
    assert.equal(await read(join(b.folder, 'x')), 'x')
  })

  it('read-only node receives everything and publishes nothing', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const roKeys = await parseSecret(readOnlySecret(keys) ?? '')
    const a = await createTestReplica('a', keys)
    const r = await createTestReplica('r', roKeys)
    link(a, r)
    await writeFile(join(a.folder, 'doc'), 'from a')
    await until(async () => (await read(join(r.folder, 'doc'))) === 'from a', 'doc on the read-only node')
    assert.equal(r.replica.status().readOnly, true)
    assert.equal(r.replica.status().writer, null)
    await writeFile(join(r.folder, 'local-only'), 'never published')
    r.replica.notifyChange('local-only')
    await writeFile(join(a.folder, 'doc2'), 'second')
    await until(async () => (await read(join(r.folder, 'doc2'))) === 'second', 'doc2 on the read-only node')
    assert.deepEqual(Object.keys(await snapshot(a.folder)).sort(), ['doc', 'doc2'])
  })

  it('blind node stores ciphertext, keeps its folder empty, and serves a third node', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const blindKeys = await parseSecret(blindSecret(keys))
    const a = await createTestReplica('a', keys)
    const x = await createTestReplica('x', blindKeys)
    const unlinkAX = link(a, x)
    await writeFile(join(a.folder, 'secret.txt'), 'top secret payload')
    await until(() => x.replica.status().bytes > 0 && x.replica.status().files > 0, 'blind node holds the drive')
    await x.replica.waitSynced(10_000)
    unlinkAX()
    await a.stop()
    assert.deepEqual(await readdir(x.folder).catch(() => []), [])
    assert.equal(await containsBytes(join(x.dir, 'store'), Buffer.from('top secret payload')), false, 'plaintext in the blind store')
    // B only ever talks to the blind node, and still gets the content.
    const b = await createTestReplica('b', keys)
    link(x, b)
    await until(async () => (await read(join(b.folder, 'secret.txt'))) === 'top secret payload', 'content via the blind node')
    assert.equal(x.replica.status().blind, true)
  })

  it('waitSynced resolves once the connected writers are applied', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createTestReplica('a', keys)
    for (let i = 0; i < 20; i++) await writeFile(join(a.folder, `f${i}`), 'x'.repeat(1000))
    await until(() => a.replica.status().files === 20 && a.replica.status().state === 'idle', 'a published')
    const b = await createTestReplica('b', keys)
    link(a, b)
    await b.replica.waitSynced(10_000)
    assert.equal((await readdir(b.folder)).length, 20)
  })
})

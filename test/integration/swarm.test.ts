import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deriveFromReadWrite } from '../../src/secrets.js'
import { createSwarmNode, localTestnet } from '../helpers/swarm-nodes.js'
import { until } from '../helpers/tmp.js'

const read = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '')

describe('swarm (local DHT testnet)', function () {
  this.timeout(60_000)

  it('nodes that start at the same moment find each other and replicate', async () => {
    const bootstrap = await localTestnet()
    const keys = deriveFromReadWrite(randomBytes(32))
    const t0 = Date.now()
    const [a, b] = await Promise.all([createSwarmNode('a', keys, bootstrap), createSwarmNode('b', keys, bootstrap)])
    await until(() => a.replica.status().peers === 1 && b.replica.status().peers === 1, 'admitted both ways')
    const discoveryMs = Date.now() - t0
    assert.ok(a.swarm.online && b.swarm.online)
    await writeFile(join(a.folder, 'hello'), 'over the DHT')
    await until(async () => (await read(join(b.folder, 'hello'))) === 'over the DHT', 'file on b')
    await b.replica.waitSynced(10_000)
    console.log(`      discovery + admission: ${discoveryMs} ms`)
  })

  it('reconnects by itself after a peer restarts', async () => {
    const bootstrap = await localTestnet()
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createSwarmNode('a', keys, bootstrap)
    let b = await createSwarmNode('b', keys, bootstrap)
    await until(() => a.replica.status().peers === 1, 'connected')
    await b.stop()
    await writeFile(join(a.folder, 'while-b-was-down'), 'x')
    b = await createSwarmNode('b', keys, bootstrap, {}, b.dir)
    await until(async () => (await read(join(b.folder, 'while-b-was-down'))) === 'x', 'caught up after restart')
  })

  it('a node with an unreachable bootstrap keeps serving locally and says so', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createSwarmNode('a', keys, ['127.0.0.1:9'])
    await writeFile(join(a.folder, 'local'), 'fine')
    await until(() => a.replica.status().files === 1, 'published locally')
    assert.equal(a.replica.status().online, false)
    assert.equal(a.replica.status().peers, 0)
  })
})

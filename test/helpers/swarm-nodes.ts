// Nodes with a real Store and Swarm on a local DHT testnet (loopback only).
import { join } from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { Store } from '../../src/engine/store.js'
import { Swarm } from '../../src/engine/swarm.js'
import { createLogger, silentLogger } from '../../src/log.js'
import { Replica, type ReplicaOptions } from '../../src/namespace/replica.js'
import type { NamespaceKeys } from '../../src/secrets.js'
import { closer, onTeardown, tmpDir } from './tmp.js'

export async function localTestnet (): Promise<string[]> {
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  onTeardown(() => testnet.destroy())
  return testnet.bootstrap.map((b) => `${b.host}:${b.port}`)
}

export interface SwarmNode { dir: string, folder: string, store: Store, swarm: Swarm, replica: Replica, stop: () => Promise<void> }

export async function createSwarmNode (name: string, keys: NamespaceKeys, bootstrap: string[], options: ReplicaOptions = {}, dir?: string): Promise<SwarmNode> {
  const root = dir ?? await tmpDir(`shoal-${name}`)
  const log = process.env.SHOAL_TEST_LOG ? createLogger('shoal:' + name) : silentLogger
  const store = new Store(join(root, 'store'), log)
  await store.open()
  const swarm = new Swarm(store.corestore, { bootstrap, refreshMs: 1000, keyPair: await store.keyPair('swarm') }, log)
  await swarm.open()
  const session = store.namespace('test')
  const folder = join(root, 'data', 'ns')
  const replica = new Replica({ store: session, swarm, keys, folder, stateDir: join(root, 'state'), nodeId: name, log, options })
  const stop = closer(replica, session, swarm, store)
  onTeardown(stop)
  await replica.open()
  return { dir: root, folder, store, swarm, replica, stop }
}

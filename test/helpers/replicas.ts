// Replicas in one process, linked by piped replication streams (no DHT): for replication tests.
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import Corestore from 'corestore'
import type { Connection } from '../../src/engine/peers.js'
import { createLogger, silentLogger } from '../../src/log.js'
import { Replica, type ReplicaOptions, type ReplicaSwarm } from '../../src/namespace/replica.js'
import type { NamespaceKeys } from '../../src/secrets.js'
import { closer, onTeardown, tmpDir } from './tmp.js'

export class LinkSwarm extends EventEmitter implements ReplicaSwarm {
  readonly conns = new Set<Connection>()
  online = true
  connections (): Iterable<Connection> { return this.conns }
  join (): void {}
  async leave (): Promise<void> {}
  async flushed (): Promise<void> {}
  add (conn: Connection): void {
    this.conns.add(conn)
    conn.on('close', () => { this.conns.delete(conn) })
    this.emit('connection', conn)
  }
}

export interface TestNode {
  name: string
  dir: string
  folder: string
  store: Corestore
  swarm: LinkSwarm
  replica: Replica
  keys: NamespaceKeys
  /** Closes the replica (and store); `restart()` opens it again on the same directories. */
  stop: () => Promise<void>
}

export async function createTestReplica (name: string, keys: NamespaceKeys, options: ReplicaOptions = {}, dir?: string): Promise<TestNode> {
  const root = dir ?? await tmpDir(`shoal-${name}`)
  const store = new Corestore(join(root, 'store'))
  const swarm = new LinkSwarm()
  const folder = join(root, 'data', 'ns')
  const session = store.namespace('ns:test')
  const replica = new Replica({ store: session, swarm, keys, folder, stateDir: join(root, 'state'), nodeId: name, log: process.env.SHOAL_TEST_LOG ? createLogger('shoal:' + name) : silentLogger, options })
  const stop = closer(replica, session, store)
  onTeardown(stop)
  await replica.open()
  return { name, dir: root, folder, store, swarm, replica, keys, stop }
}

/** Pipes two nodes' stores together; returns the unlink. */
export function link (a: TestNode, b: TestNode): () => void {
  const s1 = a.store.replicate(true)
  const s2 = b.store.replicate(false)
  s1.pipe(s2).pipe(s1)
  s1.on('error', () => {})
  s2.on('error', () => {})
  a.swarm.add(s1.noiseStream as unknown as Connection)
  b.swarm.add(s2.noiseStream as unknown as Connection)
  const unlink = (): void => { s1.destroy(); s2.destroy() }
  onTeardown(unlink)
  return unlink
}

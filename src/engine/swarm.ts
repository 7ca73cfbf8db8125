// Discovery and connections: hyperswarm on a HyperDHT we construct ourselves (DESIGN.md §4).
//  - Private bootstrap (SHOAL_BOOTSTRAP) or our own bootstrapper (SHOAL_DHT_PORT): a LAN without
//    NAT, so `firewalled: false`; stock settings give one-sided connections there.
//  - Topics are refreshed every few seconds: peers that start at the same moment miss each other's
//    announces otherwise, for ten minutes.
//  - No network: the node keeps serving locally, `online` says so, refreshes keep retrying, and
//    only the transitions are logged.
import HyperDHT from 'hyperdht'
import Hyperswarm, { type PeerDiscovery, type SwarmConnection } from 'hyperswarm'
import type Corestore from 'corestore'
import { ShoalError } from '../errors.js'
import type { Logger } from '../log.js'
import { Resource } from '../resource.js'
import type { Connection } from './peers.js'
import { SideLinks } from './side-links.js'
import { networkInterfaces } from 'node:os'

export interface SwarmOptions {
  /** `host:port` of private DHT bootstrap nodes; empty: the public DHT (unless dhtPort is set). */
  bootstrap?: string[]
  /** Run a DHT bootstrapper on this UDP port (LAN-only clusters). */
  dhtPort?: number | null
  /**
   * The IPv4 address peers reach this node at. Default: 127.0.0.1 when every bootstrap node is on
   * loopback (all nodes share one host), else the first non-internal interface address.
   */
  host?: string
  /** TCP port for side links (side-links.ts): null or undefined: any free port; 0: none. */
  contentPort?: number | null
  /** Topic refresh period. */
  refreshMs?: number
  keyPair?: { publicKey: Buffer, secretKey: Buffer }
}

export interface SwarmPeer {
  id: string
  address: string | null
  initiator: boolean
  since: number
}

const DEFAULT_REFRESH_MS = 3000

/** The swarm, as the replicas see it (ReplicaSwarm): connections, topics, online state. */
export class Swarm extends Resource {
  readonly #store: Corestore
  readonly #o: SwarmOptions
  readonly #log: Logger
  readonly #topics = new Map<string, PeerDiscovery>()
  readonly #conns = new Map<Connection, SwarmPeer>()
  #bootstrapper: HyperDHT | null = null
  #swarm: Hyperswarm | null = null
  #timer: NodeJS.Timeout | null = null
  #refreshing = false
  #ramp = 0
  #wasOnline: boolean | null = null
  #side: SideLinks | null = null

  constructor (store: Corestore, opts: SwarmOptions, log: Logger) {
    super()
    this.#store = store
    this.#o = opts
    this.#log = log
    this.setMaxListeners(0) // one 'connection' listener per namespace
  }

  get online (): boolean {
    return this.#swarm !== null && this.#swarm.dht.table.size > 0
  }

  /** The bootstrapper's address, when this node runs one. */
  get bootstrapAddress (): { host: string, port: number } | null {
    return this.#bootstrapper?.address() ?? null
  }

  get publicKey (): Buffer | null { return this.#swarm?.keyPair.publicKey ?? null }

  /** TCP links to the same peers, for bulk content (side-links.ts); null before open. */
  get side (): SideLinks | null { return this.#side }

  connections (): Iterable<Connection> { return this.#conns.keys() }
  peerList (): SwarmPeer[] { return [...this.#conns.values()] }

  join (topic: Buffer): void {
    const swarm = this.#swarm
    if (swarm === null) throw new ShoalError('CLOSED', 'the swarm is not open')
    const id = topic.toString('hex')
    if (this.#topics.has(id)) return
    this.#topics.set(id, swarm.join(topic, { server: true, client: true }))
    // Refresh soon after a join: a peer joining at the same moment was not announced yet.
    this.#ramp = 0
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#scheduleRefresh() }
  }

  async leave (topic: Buffer): Promise<void> {
    const id = topic.toString('hex')
    if (!this.#topics.delete(id)) return
    // Not awaited: unannouncing waits for the DHT (10 s and more when it is unreachable), and
    // nothing depends on it; destroy() cancels what is left.
    this.#swarm?.leave(topic).catch(() => {})
  }

  async flushed (topic: Buffer): Promise<void> {
    await this.#topics.get(topic.toString('hex'))?.flushed()
  }

  protected async _open (): Promise<void> {
    const o = this.#o
    const bootstrap = [...(o.bootstrap ?? [])]
    const loopbackOnly = bootstrap.length > 0 && bootstrap.every((b) => b.startsWith('127.') || b.startsWith('localhost:') || b.startsWith('[::1]'))
    const host = o.host ?? (loopbackOnly ? '127.0.0.1' : lanAddress())
    if (o.dhtPort !== undefined && o.dhtPort !== null) {
      // Binds every interface; `host` is the address it announces (its DHT id derives from it).
      this.#bootstrapper = HyperDHT.bootstrapper(o.dhtPort, host, { ephemeral: false, firewalled: false })
      this.#bootstrapper.on('error', (err: Error) => this.#log.warn(`DHT bootstrapper: ${err.message}`))
      await this.#bootstrapper.ready()
      const self = `${host}:${o.dhtPort}`
      if (!bootstrap.includes(self)) bootstrap.push(self)
      this.#log.info(`DHT bootstrapper on ${self}`)
    }
    const isPrivate = bootstrap.length > 0
    const dht = new HyperDHT({
      ...(isPrivate ? { bootstrap, firewalled: false } : {}),
      ...(isPrivate && host === '127.0.0.1' ? { host } : {})
    })
    dht.on('error', (err: Error) => this.#log.debug(`DHT: ${err.message}`))
    const swarm = new Hyperswarm({ dht, ...(o.keyPair ? { keyPair: o.keyPair } : {}) })
    const side = new SideLinks(swarm.keyPair, host, this.#log.extend('side'))
    if (o.contentPort !== 0) await side.listen(o.contentPort ?? 0)
    this.#side = side
    swarm.on('connection', (conn, info) => { this.#onConnection(conn, info.publicKey) })
    this.#swarm = swarm
    this.#log.info(isPrivate ? `DHT bootstrap: ${bootstrap.join(', ')}` : 'DHT bootstrap: the public DHT')
    this.#scheduleRefresh()
  }

  protected async _close (): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#topics.clear()
    for (const conn of this.#conns.keys()) (conn as unknown as SwarmConnection).destroy()
    // Destroys the DHT we passed in too. Offline, the announcer's close waits 10 s for queries that
    // cannot succeed: destroy the DHT first, which fails them at once.
    if (this.#swarm !== null && !this.online) await this.#swarm.dht.destroy({ force: true }).catch(() => {})
    await this.#swarm?.destroy({ force: !this.online }).catch(() => {})
    await this.#bootstrapper?.destroy().catch(() => {})
    await this.#side?.close()
  }

  #onConnection (conn: SwarmConnection, remoteKey: Buffer): void {
    // An unhandled 'error' on a connection would crash the daemon: always attach one.
    conn.on('error', (err: Error) => this.#log.debug(`connection ${remoteKey.toString('hex').slice(0, 8)}: ${err.message}`))
    const c = conn as unknown as Connection
    const peer: SwarmPeer = {
      id: remoteKey.toString('hex'),
      address: conn.rawStream?.remoteHost ? `${conn.rawStream.remoteHost}:${conn.rawStream.remotePort ?? 0}` : null,
      initiator: conn.isInitiator,
      since: Date.now()
    }
    this.#conns.set(c, peer)
    widenSocketBuffers(conn, this.#log)
    conn.on('close', () => {
      this.#conns.delete(c)
      this.#log.debug(`peer ${peer.id.slice(0, 8)} disconnected`)
      this.emit('peers')
    })
    this.#store.replicate(conn)
    this.#side?.onSwarmConnection(c)
    this.#log.debug(`peer ${peer.id.slice(0, 8)} connected${peer.address ? ' from ' + peer.address : ''}`)
    this.emit('connection', c)
    this.emit('peers')
  }

  #scheduleRefresh (): void {
    if (this.closing) return
    const every = this.#o.refreshMs ?? DEFAULT_REFRESH_MS
    const delay = Math.min(every, 150 * 2 ** this.#ramp++)
    this.#timer = setTimeout(() => { void this.#refresh().finally(() => this.#scheduleRefresh()) }, delay)
    this.#timer.unref()
  }

  async #refresh (): Promise<void> {
    if (this.#refreshing || this.closing) return
    this.#refreshing = true
    try {
      await Promise.allSettled([...this.#topics.values()].map((d) => d.refresh()))
    } finally {
      this.#refreshing = false
    }
    const online = this.online
    if (online !== this.#wasOnline) {
      if (online) this.#log.info('DHT reachable')
      else this.#log.warn('no DHT node reachable: serving locally, retrying quietly')
      this.#wasOnline = online
      this.emit('online', online)
    }
  }
}

/**
 * Replication rides on udx (reliable streams over UDP) and its acks come from our event loop, not
 * the kernel: when the loop is busy (a large blob being written, GC, a loaded host) the socket's
 * buffer fills (udx's default: 2 MiB receive and 416 KiB send, as the kernel reports them), and
 * every drop shrinks the sender's window. One 512 MiB transfer on a loaded 2-core host: 308
 * kernel drops (RcvbufErrors) with the defaults, none with these. The kernel caps them at
 * net.core.rmem_max/wmem_max.
 */
const SOCKET_BUFFER = 4 << 20

function widenSocketBuffers (conn: SwarmConnection, log: Logger): void {
  const socket = conn.rawStream?.socket
  if (socket === null || socket === undefined) return
  try {
    if (socket.getRecvBufferSize() < SOCKET_BUFFER) socket.setRecvBufferSize(SOCKET_BUFFER)
    if (socket.getSendBufferSize() < SOCKET_BUFFER) socket.setSendBufferSize(SOCKET_BUFFER)
  } catch (err) {
    log.debug(`cannot widen the UDP socket buffers: ${(err as Error).message}`)
  }
}

/** The first non-internal IPv4 address (what LAN peers reach us at), else loopback. */
function lanAddress (): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

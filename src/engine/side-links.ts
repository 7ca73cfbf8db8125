// Side links: one TCP connection per swarm peer, beside its udx connection, for bulk content.
//
// Measured here (bench/ceilings.mjs, 1 GiB of 1 MiB Protomux messages between two processes on
// loopback): a Noise secret stream over udx moves 37 MiB/s and costs 10–12 CPU-seconds on each
// side (its packets and acks go through the JS event loop); the same stream over TCP moves
// 224 MiB/s for 1.5–2.3 CPU-seconds. Hypercore replication rides on udx and cannot be moved, but
// a file's bytes can (content.ts).
//
// Each side announces its TCP port in a small Protomux channel on the swarm connection; the
// swarm connection's initiator dials. The TCP stream (side-stream.ts) runs its own Noise handshake
// with the swarm key pairs: the dialer names the key it expects, the listener accepts only keys of
// peers it is connected to through the swarm. So a side link is bound to an already authenticated peer, and
// namespaces still prove themselves on it (content.ts). No link (a firewall, a failed dial): the
// content comes through hypercore, as before.
import { EventEmitter } from 'node:events'
import net from 'node:net'
import c from 'compact-encoding'
import Protomux from 'protomux'
import type { Logger } from '../log.js'
import type { Connection, ConnectionSource } from './peers.js'
import { SideStream } from './side-stream.js'

const PROTOCOL = 'shoal/side/v2'
const HANDSHAKE_MS = 10_000
/**
 * The TCP socket's write buffer. With Node's default (16 KiB) every 1 MiB frame fills it, so the
 * secret stream encrypts the next frame only once the previous one is all in the kernel, and the
 * sender waits for drain before it reads the next chunk: sender and receiver took turns (measured
 * in W2: each side's main thread idle a third to a half of the transfer). A few frames of room let
 * the sender read and encrypt ahead while the receiver decrypts; the content channel's credit
 * still bounds what a receiver buffers.
 */
const SOCKET_BUFFER = 4 << 20

export class SideLinks extends EventEmitter implements ConnectionSource {
  readonly #keyPair: { publicKey: Buffer, secretKey: Buffer }
  readonly #host: string
  readonly #log: Logger
  /** Remote swarm key (hex) → its swarm connections. */
  readonly #swarmPeers = new Map<string, Set<Connection>>()
  /** Remote swarm key (hex) → the side link. */
  readonly #links = new Map<string, SideStream>()
  #server: net.Server | null = null
  #port = 0
  #closed = false

  constructor (keyPair: { publicKey: Buffer, secretKey: Buffer }, host: string, log: Logger) {
    super()
    this.setMaxListeners(0) // one 'connection' listener per namespace
    this.#keyPair = keyPair
    this.#host = host
    this.#log = log
  }

  get port (): number { return this.#port }

  connections (): Iterable<Connection> { return [...this.#links.values()] as unknown as Connection[] }

  /**
   * Listens on `host` at `port` (0: any free port); a failure leaves the node without side links.
   * Never called (SHOAL_CONTENT_PORT=0): the node dials none and accepts none, content comes
   * through hypercore.
   */
  async listen (port = 0): Promise<void> {
    const server = net.createServer({ highWaterMark: SOCKET_BUFFER }, (socket) => { this.#accept(socket) })
    await new Promise<void>((resolve) => {
      server.once('error', (err) => { this.#log.warn(`no side links (TCP listen on ${this.#host}: ${err.message})`); resolve() })
      server.listen(port, this.#host, () => {
        const a = server.address()
        this.#port = typeof a === 'object' && a !== null ? a.port : 0
        resolve()
      })
    })
    if (this.#port > 0) this.#server = server
  }

  /** A new swarm connection: announce our port on it; its initiator dials the other's. */
  onSwarmConnection (conn: Connection): void {
    const id = conn.remotePublicKey?.toString('hex')
    if (id === undefined || this.#closed) return
    let set = this.#swarmPeers.get(id)
    if (set === undefined) this.#swarmPeers.set(id, set = new Set())
    set.add(conn)
    conn.on('close', () => {
      set.delete(conn)
      if (set.size > 0) return
      this.#swarmPeers.delete(id)
      this.#links.get(id)?.destroy()
    })
    const channel = Protomux.from(conn).createChannel({
      protocol: PROTOCOL,
      handshake: c.uint,
      onopen: (port: number) => {
        const host = conn.rawStream?.remoteHost
        if (conn.isInitiator && port > 0 && this.#port > 0 && host !== undefined && !this.#links.has(id)) this.#dial(host, port, conn)
      }
    })
    channel?.open(this.#port)
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const link of this.#links.values()) link.destroy()
    this.#links.clear()
    const server = this.#server
    if (server !== null) await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }

  #dial (host: string, port: number, conn: Connection): void {
    const expected = conn.remotePublicKey
    if (expected === null) return
    const stream = SideStream.connect(port, host, { keyPair: this.#keyPair, remotePublicKey: expected, writableHighWaterMark: SOCKET_BUFFER })
    stream.on('error', (err: Error) => { this.#log.debug(`side link to ${host}:${port}: ${err.message}`) })
    void stream.opened.then((ok) => {
      if (!ok) { stream.destroy(); return } // (a peer with another key than `expected` fails the handshake)
      this.#register(stream)
    })
  }

  #accept (socket: net.Socket): void {
    socket.setNoDelay(true)
    const stream = new SideStream(false, socket, { keyPair: this.#keyPair })
    stream.on('error', (err: Error) => { this.#log.debug(`side link from ${socket.remoteAddress ?? '?'}: ${err.message}`) })
    // Anyone can connect: one who does not finish the handshake does not keep the socket.
    const timer = setTimeout(() => { stream.destroy() }, HANDSHAKE_MS)
    void stream.opened.then((ok) => {
      clearTimeout(timer)
      const id = stream.remotePublicKey?.toString('hex')
      // Only peers we are connected to through the swarm: the link is theirs, nobody else's.
      if (!ok || id === undefined || !this.#swarmPeers.has(id)) { stream.destroy(); return }
      this.#register(stream)
    })
  }

  #register (stream: SideStream): void {
    const id = stream.remotePublicKey?.toString('hex') ?? ''
    if (this.#closed || !this.#swarmPeers.has(id)) { stream.destroy(); return }
    const old = this.#links.get(id)
    this.#links.set(id, stream)
    old?.destroy()
    stream.on('close', () => { if (this.#links.get(id) === stream) this.#links.delete(id) })
    this.#log.debug(`side link with ${id.slice(0, 8)} (${stream.isInitiator ? 'dialed' : 'accepted'})`)
    this.emit('connection', stream as unknown as Connection)
  }
}

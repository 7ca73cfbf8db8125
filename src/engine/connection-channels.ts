// One protomux channel per swarm connection, for as long as a namespace is attached: what the
// admission channel (peers.ts) and the content channel (content.ts) share. A channel is made once
// the connection's handshake is known (its hash binds the channel's proof to this connection), at
// most one per connection, and all are closed on detach.
import type { Channel } from 'protomux'
import type { Connection, ConnectionSource } from './peers.js'

export interface ChannelSession { conn: Connection, channel: Channel }

export interface ChannelHooks<S extends ChannelSession> {
  /** Creates the channel and its session; null when there is none to open (already open, no key). */
  make: (conn: Connection, handshakeHash: Buffer) => S | null
  /** The session is registered: open the channel (send our proof), tell whoever listens. */
  start: (s: S, handshakeHash: Buffer) => void
}

export class ConnectionChannels<S extends ChannelSession> {
  readonly #source: ConnectionSource
  readonly #hooks: ChannelHooks<S>
  readonly #sessions = new Map<Connection, S>()
  readonly #onConnection = (conn: Connection): void => { void this.#add(conn) }
  #attached = false

  constructor (source: ConnectionSource, hooks: ChannelHooks<S>) {
    this.#source = source
    this.#hooks = hooks
  }

  get attached (): boolean { return this.#attached }

  /** Opens a channel on every connection there is and on every new one. */
  attach (): void {
    if (this.#attached) return
    this.#attached = true
    this.#source.on('connection', this.#onConnection)
    for (const conn of this.#source.connections()) void this.#add(conn)
  }

  /** Closes every channel and opens no more. */
  detach (): void {
    if (!this.#attached) return
    this.#attached = false
    this.#source.off('connection', this.#onConnection)
    for (const s of [...this.#sessions.values()]) s.channel.close()
    this.#sessions.clear()
  }

  sessions (): IterableIterator<S> { return this.#sessions.values() }

  /** A session's channel closed: forget it, unless a newer one took its connection's place. */
  closed (s: S): void {
    if (this.#sessions.get(s.conn) === s) this.#sessions.delete(s.conn)
  }

  async #add (conn: Connection): Promise<void> {
    if (!this.#attached || this.#sessions.has(conn) || conn.destroyed) return
    if (conn.handshakeHash === null && !(await conn.opened)) return
    const hh = conn.handshakeHash
    if (hh === null || !this.#attached || this.#sessions.has(conn)) return
    const s = this.#hooks.make(conn, hh)
    if (s === null) return
    this.#sessions.set(conn, s)
    this.#hooks.start(s, hh)
  }
}

import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../log.js'
import { Resource } from '../resource.js'
import { AllowList } from './allow.js'
import type { ExportTable } from './exports.js'
import { RpcDispatcher, type RpcConnection } from './rpc/dispatch.js'
import { RecordReader, recordMark } from './rpc/record.js'
import { LocalVfs } from './vfs/local.js'
import { MountProgram } from './v3/mount.js'
import { Nfs3Program } from './v3/program.js'
import { MAX_RECORD } from './v4/consts.js'
import { OpStats, type V4Env } from './v4/env.js'
import { Nfs4Program } from './v4/program.js'
import { ClientTable } from './v4/state/clients.js'
import { OpenTable } from './v4/state/opens.js'

export interface NfsServerOptions {
  port: number
  /** default '0.0.0.0' */
  host?: string
  /** CIDRs allowed to connect, IPv4 and IPv6 */
  allow: string[]
  exports: ExportTable
  /** persistent state (the handle db) */
  stateDir: string
  log: Logger
}

export interface NfsServerStats {
  connections: number
  clients: number
  states: number
  ops: Record<string, Record<string, number>>
  /** microseconds spent per op */
  micros: Record<string, number>
}

/** Requests one connection may have in flight before we stop reading from it. */
const MAX_INFLIGHT = 32
/** Connections at once; more are refused (each may hold MAX_INFLIGHT requests of MAX_RECORD). */
const MAX_CONNECTIONS = 1024
/** Replies up to this size are copied into one buffer: one socket write instead of one per chunk. */
const SMALL_REPLY = 16 * 1024
/** Replies queued on a slow reader before we stop reading its requests. */
const MAX_QUEUED = 16 * 1024 * 1024

/**
 * shoal's userland NFS server: one TCP port, ONC RPC record marking, NFSv4.0 and 4.1 over the
 * namespace folders. Each connection is checked against the allow list; every request is handled
 * asynchronously, so one slow or hostile client never holds up the others.
 */
export class NfsServer extends Resource {
  readonly #opts: NfsServerOptions
  readonly #allow: AllowList
  readonly #log: Logger
  readonly #vfs: LocalVfs
  readonly #env: V4Env
  readonly #rpc: RpcDispatcher
  readonly #conns = new Set<Socket>()
  #server: Server | null = null
  #port = 0
  #nextConn = 0

  constructor (opts: NfsServerOptions) {
    super()
    this.#opts = opts
    this.#allow = new AllowList(opts.allow)
    this.#log = opts.log
    this.#vfs = new LocalVfs(opts.exports, opts.stateDir, opts.log.extend('vfs'))
    const clients = new ClientTable()
    this.#env = {
      vfs: this.#vfs,
      exports: opts.exports,
      clients,
      opens: new OpenTable(clients),
      log: opts.log.extend('v4'),
      writeVerf: randomBytes(8),
      serverOwner: Buffer.from('shoal'),
      stats: new OpStats()
    }
    this.#rpc = new RpcDispatcher(opts.log.extend('rpc'))
    this.#rpc.register(new Nfs4Program(this.#env))
    // NFSv3 (100003 v3) and MOUNT v3 (100005) register here too: same port, same vfs, handles,
    // write verifier and counters
    const v3 = { vfs: this.#vfs, exports: opts.exports, log: opts.log.extend('v3'), writeVerf: this.#env.writeVerf, allow: this.#allow, stats: this.#env.stats }
    this.#rpc.register(new Nfs3Program(v3))
    this.#rpc.register(new MountProgram(v3))
  }

  /** The listening port (the actual one when opened with port 0). */
  get port (): number { return this.#port }

  stats (): NfsServerStats {
    return { connections: this.#conns.size, clients: this.#env.clients.size, states: this.#env.opens.size, ops: this.#env.stats.toJSON(), micros: Object.fromEntries(this.#env.stats.micros) }
  }

  protected override async _open (): Promise<void> {
    await this.#vfs.open()
    const server = createServer((sock) => this.#onConnection(sock))
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.#opts.port, this.#opts.host ?? '0.0.0.0', () => { server.off('error', reject); resolve() })
      })
    } catch (err) {
      await this.#vfs.close()
      throw err
    }
    server.on('error', (err) => this.#log.error('nfs listener failed', err))
    this.#server = server
    const addr = server.address()
    this.#port = typeof addr === 'object' && addr ? addr.port : this.#opts.port
    this.#log.info(`nfs listening on ${this.#opts.host ?? '0.0.0.0'}:${this.#port}`)
  }

  protected override async _close (): Promise<void> {
    const server = this.#server
    this.#server = null
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    for (const s of this.#conns) s.destroy()
    await closed
    await this.#vfs.close()
  }

  #onConnection (sock: Socket): void {
    if (!this.#allow.allows(sock.remoteAddress)) {
      this.#log.warn(`nfs: refused connection from ${sock.remoteAddress ?? '?'} (not in SHOAL_NFS_ALLOW)`)
      sock.destroy()
      return
    }
    if (this.#conns.size >= MAX_CONNECTIONS) {
      this.#log.warn(`nfs: refused connection from ${sock.remoteAddress ?? '?'} (${MAX_CONNECTIONS} connections open)`)
      sock.destroy()
      return
    }
    this.#conns.add(sock)
    sock.setNoDelay(true)
    const conn: RpcConnection = { id: ++this.#nextConn, remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? 0}` }
    this.#log.debug(`connection ${conn.id} from ${conn.remote}`)
    const records = new RecordReader(MAX_RECORD)
    let inflight = 0
    let paused = false
    let corked = false
    const uncork = (): void => { corked = false; if (!sock.destroyed) sock.uncork() }
    const send = (chunks: Buffer[]): void => {
      let len = 0
      for (const c of chunks) len += c.length
      // While other requests are in flight, replies finished in the same turn of the event loop
      // leave in one writev (a send on loopback costs as much as the request it answers); the only
      // request in flight (a client that waits for each reply) is answered at once, without the
      // extra turn of the loop that waiting for others would cost.
      if (inflight > 0 && !corked) { corked = true; sock.cork(); setImmediate(uncork) }
      if (len <= SMALL_REPLY) { sock.write(joinReply(chunks, len)); return }
      // READ data by reference: the record mark and the chunks in one writev
      if (!corked) sock.cork()
      sock.write(recordMark(len))
      for (const c of chunks) sock.write(c)
      if (!corked) sock.uncork()
    }
    const pauseIfBusy = (): void => {
      const busy = inflight >= MAX_INFLIGHT || sock.writableLength > MAX_QUEUED
      if (busy && !paused) { paused = true; sock.pause() } else if (!busy && paused && !sock.destroyed) { paused = false; sock.resume() }
    }
    sock.on('data', (data: Buffer) => {
      let got: Buffer[]
      try { got = records.push(data) } catch (err) {
        this.#log.warn(`nfs: closing ${conn.remote}: ${(err as Error).message}`)
        sock.destroy()
        return
      }
      for (const record of got) {
        inflight++
        this.#rpc.dispatch(record, conn).then((reply) => {
          inflight--
          if (!sock.destroyed) {
            if (reply === null) sock.destroy()
            else send(reply.chunks())
          }
          pauseIfBusy()
        }, (err) => {
          inflight--
          this.#log.error('nfs: request failed', err)
          sock.destroy()
        })
      }
      pauseIfBusy()
    })
    sock.on('drain', pauseIfBusy)
    sock.on('error', (err) => this.#log.debug(`connection ${conn.id}: ${err.message}`))
    sock.on('close', () => { this.#conns.delete(sock) })
  }
}

/** The record mark and a reply's chunks in one buffer (RFC 5531 §11, one last fragment). */
function joinReply (chunks: Buffer[], len: number): Buffer {
  const b = Buffer.allocUnsafe(4 + len)
  b.writeUInt32BE((0x80000000 | len) >>> 0, 0)
  let off = 4
  for (const c of chunks) off += c.copy(b, off)
  return b
}

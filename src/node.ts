// A shoal node: owns the namespaces, the control socket and (as they land) the store, the swarm,
// the NFS server and the dashboard. Opened once by main.ts; closed in the reverse order.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { Resource } from './resource.js'
import { currentAllocator, describeAllocator } from './allocator.js'
import type { Config } from './config.js'
import { createLogger, type Logger } from './log.js'
import { EventLog } from './events.js'
import { NamespaceManager } from './namespace/manager.js'
import { Namespace } from './namespace/namespace.js'
import { Store } from './engine/store.js'
import { Swarm } from './engine/swarm.js'
import { ControlService } from './control/service.js'
import { createControlApp } from './control/http.js'
import { listenControlSocket, closeServer } from './control/socket.js'
import { ShoalError, isErrno } from './errors.js'
import { VERSION } from './version.js'
import { Dashboard } from '../webui/server.js'
import type { DashboardProviders } from '../webui/providers.js'
import { NfsServer } from './nfs/server.js'
import { NamespaceExports } from './namespace/exports.js'

export interface NodeOptions {
  config: Config
  log?: Logger
}

export class Node extends Resource {
  readonly config: Config
  readonly log: Logger
  readonly events = new EventLog()
  readonly manager: NamespaceManager
  readonly startedAt = new Date()
  id = ''
  service: ControlService | null = null
  readonly store: Store
  swarm: Swarm | null = null
  #nfs: NfsServer | null = null
  #dashboard: Dashboard | null = null
  #closers: Array<() => Promise<void>> = []

  constructor (opts: NodeOptions) {
    super()
    this.config = opts.config
    this.log = opts.log ?? createLogger('shoal')
    this.store = new Store(path.join(this.config.stateDir, 'store'), this.log.extend('engine'))
    this.manager = new NamespaceManager({
      config: this.config,
      events: this.events,
      log: this.log,
      // Every namespace replicates over the node's one store and swarm (opened before the manager).
      factory: (o) => new Namespace(this.swarm === null
        ? o
        : { ...o, replication: { store: this.store, swarm: this.swarm, stateDir: this.config.stateDir, nodeId: this.id, options: { clockSkewMs: this.config.clockSkewMs, corruptDirect: this.config.corruptDirect } } })
    })
  }

  protected async _open (): Promise<void> {
    const c = this.config
    await mkdir(c.dataPath, { recursive: true })
    await mkdir(c.stateDir, { recursive: true, mode: 0o700 })
    this.id = await loadNodeId(c.stateDir)
    // Each part pushes its closer once open; a failure closes what is open, newest first.
    try {
      await this.store.open()
      this.#closers.push(async () => { await this.store.close() })

      const swarm = new Swarm(this.store.corestore, {
        bootstrap: c.bootstrap,
        dhtPort: c.dhtPort,
        contentPort: c.contentPort,
        keyPair: await this.store.keyPair('shoal/swarm')
      }, this.log.extend('swarm'))
      await swarm.open()
      this.swarm = swarm
      this.#closers.push(async () => { await swarm.close() })

      await this.manager.open()
      this.#closers.push(async () => { await this.manager.close() })

      const service = new ControlService({
        config: c,
        manager: this.manager,
        events: this.events,
        nodeId: this.id,
        version: VERSION,
        startedAt: this.startedAt,
        ports: () => ({ nfs: this.#nfs?.port ?? null, web: this.#dashboard?.port ?? null })
      })
      this.service = service
      const control = await listenControlSocket(c.controlSocket, createControlApp(service, this.log.extend('control')))
      this.#closers.push(async () => { await closeServer(control, c.controlSocket) })

      if (c.nfsPort !== 0) {
        const nfs = new NfsServer({
          port: c.nfsPort,
          host: c.listenHost,
          allow: c.nfsAllow,
          exports: new NamespaceExports(this.manager),
          stateDir: path.join(c.stateDir, 'nfs'),
          log: this.log.extend('nfs')
        })
        await nfs.open().catch((err: unknown) => { throw listenError('NFS', c.nfsPort, 'SHOAL_NFS_PORT', err) })
        this.#nfs = nfs
        this.#closers.push(async () => { await nfs.close() })
      }

      if (c.webPort !== 0) {
        const dashboard = new Dashboard(service, {
          port: c.webPort,
          host: c.listenHost,
          stateDir: c.stateDir,
          password: c.webPassword,
          log: this.log.extend('web'),
          processMetrics: true,
          providers: this.#dashboardProviders(service)
        })
        await dashboard.open()
        this.#dashboard = dashboard
        this.#closers.push(async () => { await dashboard.close() })
      }
    } catch (err) {
      await this.#unwind()
      throw err
    }
    this.log.info(`shoal ${VERSION} node ${this.id.slice(0, 12)} ready`)
    this.log.info(`data: ${c.dataPath} (host path ${c.hostDataPath}); namespaces: ${this.manager.list().map((n) => n.name).join(' ') || 'none yet'}`)
    this.log.info(`control socket: ${c.controlSocket} (try: ctl add NAME)`)
    this.log.info(this.#nfs !== null
      ? `nfs: port ${this.#nfs.port} (mount -t nfs4 -o port=${this.#nfs.port} HOST:/NAME /mnt)`
      : 'nfs: off (SHOAL_NFS_PORT=0)')
    this.log.info(this.#dashboard !== null ? `dashboard: ${this.#dashboard.url}` : 'dashboard: off (SHOAL_WEB_PORT=0)')
    this.log.info(describeAllocator(await currentAllocator()))
  }

  protected async _close (): Promise<void> {
    await this.#unwind()
  }

  async #unwind (): Promise<void> {
    while (this.#closers.length > 0) {
      const close = this.#closers.pop() as () => Promise<void>
      try {
        await close()
      } catch (err) {
        this.log.error('close failed', err)
      }
    }
  }

  #dashboardProviders (service: ControlService): DashboardProviders {
    return {
      ready: () => [
        { name: 'node', ok: this.opened && !this.closing, detail: this.opened ? 'open' : 'starting' },
        { name: 'swarm', ok: this.swarm !== null, detail: this.swarm?.online === true ? 'online' : 'serving locally' }
      ],
      peers: () => this.manager.list().flatMap((ns) => ns.peers().filter((p) => p.admitted).map((p) => ({
        namespace: ns.name,
        id: p.id,
        address: p.address,
        connectedSince: new Date(p.since).toISOString(),
        bytesIn: null, // not counted per peer yet: shown as unknown, never as a made-up 0
        bytesOut: null
      }))),
      resume: async (ns) => { await service.resume(ns) },
      nfsOps: () => {
        const ops = this.#nfs?.stats().ops ?? {}
        return Object.entries(ops).flatMap(([op, byStatus]) =>
          Object.entries(byStatus).map(([status, count]) => ({ op, status, count })))
      }
    }
  }
}

/** A listener that cannot bind says which port and which variable to change. */
function listenError (what: string, port: number, variable: string, err: unknown): unknown {
  if (isErrno(err, 'EADDRINUSE') || isErrno(err, 'EACCES')) {
    return new ShoalError('UNAVAILABLE', `${what} cannot listen on port ${port}: ${(err as NodeJS.ErrnoException).code ?? ''}`, {
      hint: `set ${variable} to a free port (0 turns it off)${port < 1024 ? '; ports below 1024 need root' : ''}`,
      cause: err
    })
  }
  return err
}

/** A stable random id for this node, kept in the state directory. */
async function loadNodeId (stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'node-id')
  try {
    const id = (await readFile(file, 'utf8')).trim()
    if (/^[0-9a-f]{64}$/.test(id)) return id
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err
  }
  const id = randomBytes(32).toString('hex')
  await writeFile(file, id + '\n', { mode: 0o600 })
  return id
}

// A shoal node: owns the namespaces, the control socket and (as they land) the store, the swarm,
// the NFS server and the dashboard. Opened once by main.ts; closed in the reverse order.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type http from 'node:http'
import { Resource } from './resource.js'
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
import { isErrno } from './errors.js'
import { VERSION } from './version.js'
import { Dashboard } from '../webui/server.js'

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
  #control: http.Server | null = null
  #dashboard: Dashboard | null = null

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
        : { ...o, replication: { store: this.store, swarm: this.swarm, stateDir: this.config.stateDir, nodeId: this.id } })
    })
  }

  protected async _open (): Promise<void> {
    const c = this.config
    await mkdir(c.dataPath, { recursive: true })
    await mkdir(c.stateDir, { recursive: true, mode: 0o700 })
    this.id = await loadNodeId(c.stateDir)
    await this.store.open()
    const swarm = new Swarm(this.store.corestore, {
      bootstrap: c.bootstrap,
      dhtPort: c.dhtPort,
      keyPair: await this.store.keyPair('shoal/swarm')
    }, this.log.extend('swarm'))
    try {
      await swarm.open()
      this.swarm = swarm
      await this.manager.open()
    } catch (err) {
      await swarm.close()
      await this.store.close()
      throw err
    }
    try {
      this.service = new ControlService({
        config: c,
        manager: this.manager,
        events: this.events,
        nodeId: this.id,
        version: VERSION,
        startedAt: this.startedAt,
        ports: () => ({ nfs: null, web: this.#dashboard?.port ?? null })
      })
      this.#control = await listenControlSocket(c.controlSocket, createControlApp(this.service, this.log.extend('control')))
      if (c.webPort !== 0) {
        this.#dashboard = new Dashboard(this.service, {
          port: c.webPort,
          host: c.listenHost,
          stateDir: c.stateDir,
          password: c.webPassword,
          log: this.log.extend('web'),
          processMetrics: true,
          providers: {
            ready: () => [{ name: 'node', ok: this.opened && !this.closing, detail: this.opened ? 'open' : 'starting' }]
            // TODO(#5): when replication merges, wire peers: () => …, traffic: (ns) => …, resume: (ns) => this.service.resume(ns),
            // and a 'swarm' ready check; when NFS merges, nfsOps: () => nfs.stats() as {op, status, count}[].
          }
        })
        await this.#dashboard.open()
      }
    } catch (err) {
      await this.#dashboard?.close()
      if (this.#control !== null) await closeServer(this.#control, c.controlSocket)
      await this.manager.close()
      await swarm.close()
      await this.store.close()
      throw err
    }
    this.log.info(`shoal ${VERSION} node ${this.id.slice(0, 12)} ready`)
    this.log.info(`data: ${c.dataPath} (host path ${c.hostDataPath}); namespaces: ${this.manager.list().map((n) => n.name).join(' ') || 'none yet'}`)
    this.log.info(`control socket: ${c.controlSocket} (try: ctl add NAME)`)
    if (this.#dashboard !== null) this.log.info(`dashboard: ${this.#dashboard.url}`)
  }

  protected async _close (): Promise<void> {
    if (this.#dashboard !== null) await this.#dashboard.close()
    if (this.#control !== null) await closeServer(this.#control, this.config.controlSocket)
    await this.manager.close()
    await this.swarm?.close()
    await this.store.close()
  }
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

// The typed control API: what `ctl`, the dashboard and tests can ask of a node. It validates its
// input and throws ShoalError; transports (control/http.ts, the web UI) only map errors.
import { ShoalError } from '../errors.js'
import type { EventLog, NodeEvent } from '../events.js'
import type { NamespaceManager, AddResult } from '../namespace/manager.js'
import type { NamespaceStatus } from '../namespace/namespace.js'
import { readOnlySecret } from '../secrets.js'
import type { Config } from '../config.js'

/** One connected node, with the namespaces it was admitted to. */
export interface PeerStatus {
  id: string
  address: string | null
  since: string
  namespaces: string[]
}

export type PathScope = 'host' | 'container'

export interface NodeInfo {
  id: string
  version: string
  pid: number
  startedAt: string
  uptimeSeconds: number
  dataPath: string
  hostDataPath: string
  nfsPort: number | null
  webPort: number | null
  namespaces: number
}

/** What the node provides to the service; kept narrow so tests can build one. */
export interface ServiceDeps {
  config: Config
  manager: NamespaceManager
  events: EventLog
  nodeId: string
  version: string
  startedAt: Date
  ports: () => { nfs: number | null, web: number | null }
}

export class ControlService {
  #d: ServiceDeps

  constructor (deps: ServiceDeps) {
    this.#d = deps
  }

  node (): NodeInfo {
    const d = this.#d
    const ports = d.ports()
    return {
      id: d.nodeId,
      version: d.version,
      pid: process.pid,
      startedAt: d.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - d.startedAt.getTime()) / 1000),
      dataPath: d.config.dataPath,
      hostDataPath: d.config.hostDataPath,
      nfsPort: ports.nfs,
      webPort: ports.web,
      namespaces: d.manager.list().length
    }
  }

  async add (name: string, secret?: string): Promise<AddResult> {
    if (secret !== undefined && typeof secret !== 'string') throw ShoalError.badRequest('secret must be a string')
    return await this.#d.manager.add(name, secret)
  }

  async del (name: string, keepData = false): Promise<void> {
    await this.#d.manager.del(name, { keepData })
  }

  has (name: string): boolean {
    try {
      return this.#d.manager.require(name) !== undefined
    } catch (err) {
      if (err instanceof ShoalError && err.code === 'NS_NOT_FOUND') return false
      throw err
    }
  }

  names (): string[] { return this.#d.manager.list().map((ns) => ns.name) }

  async list (): Promise<NamespaceStatus[]> {
    return await Promise.all(this.#d.manager.list().map(async (ns) => await ns.status()))
  }

  async status (name: string): Promise<NamespaceStatus> {
    return await this.#d.manager.require(name).status()
  }

  /** Every connected peer (admitted to at least one namespace, or still proving itself). */
  peers (): PeerStatus[] {
    const byId = new Map<string, PeerStatus>()
    for (const ns of this.#d.manager.list()) {
      for (const p of ns.peers()) {
        const peer = byId.get(p.id) ?? { id: p.id, address: p.address, since: new Date(p.since).toISOString(), namespaces: [] }
        if (p.admitted) peer.namespaces.push(ns.name)
        byId.set(p.id, peer)
      }
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  /** Resolves once `name` has every connected writer's latest version applied; TIMEOUT otherwise. */
  async wait (name: string, timeoutMs: number): Promise<NamespaceStatus> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw ShoalError.badRequest('timeout must be a number of milliseconds ≥ 0')
    const ns = this.#d.manager.require(name)
    await ns.waitSynced(Math.min(timeoutMs, 24 * 3600_000))
    return await ns.status()
  }

  /** Confirms a mass delete so that `name` publishes again. */
  async resume (name: string): Promise<NamespaceStatus> {
    const ns = this.#d.manager.require(name)
    await ns.resume()
    return await ns.status()
  }

  path (name: string, scope: PathScope = 'host'): string {
    if (scope !== 'host' && scope !== 'container') {
      throw ShoalError.badRequest(`scope must be host or container, not '${String(scope)}'`)
    }
    const ns = this.#d.manager.require(name)
    return scope === 'host' ? ns.hostPath : ns.path
  }

  secret (name: string, readOnly = false): string {
    const ns = this.#d.manager.require(name)
    if (!readOnly) {
      if (ns.keys.kind !== 'read-write') {
        throw new ShoalError('NOT_WRITABLE', `this node holds only the ${ns.keys.kind} secret of '${name}'`, {
          hint: ns.keys.kind === 'read-only' ? `\`ctl secret --read-only ${name}\` prints it` : 'a blind node cannot hand out a readable secret'
        })
      }
      return ns.keys.secret
    }
    const ro = readOnlySecret(ns.keys)
    if (ro === null) throw new ShoalError('NOT_WRITABLE', `this node holds only the blind secret of '${name}'`)
    return ro
  }

  events (since: number, waitMs = 0, signal?: AbortSignal): Promise<NodeEvent[]> {
    return this.#d.events.wait(since, Math.min(Math.max(waitMs, 0), 60_000), signal)
  }
}

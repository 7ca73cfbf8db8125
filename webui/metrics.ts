// Prometheus metrics for /metrics. One registry per dashboard (not prom-client's global one), so
// tests can build many apps. Values are read from the service and providers at scrape time; a
// namespace that is removed disappears from the next scrape instead of lingering at its last value.
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client'
import type { ControlService } from '../src/control/service.js'
import type { DashboardProviders } from './providers.js'

export interface MetricsOptions {
  providers: DashboardProviders
  /** Process metrics (CPU, memory, event loop); off in tests, which build many registries. */
  processMetrics?: boolean
  now?: () => number
}

export class DashboardMetrics {
  readonly registry = new Registry()
  readonly loginFailures: Counter
  #svc: ControlService
  #o: MetricsOptions
  #scrape: Promise<string> | null = null
  #g: Record<'info' | 'uptime' | 'state' | 'peers' | 'files' | 'bytes' | 'pending' | 'pendingBytes' | 'conflicts' | 'paused' | 'lastSync', Gauge>
  #c: Record<'sent' | 'received' | 'nfs', Counter>

  constructor (svc: ControlService, opts: MetricsOptions) {
    this.#svc = svc
    this.#o = opts
    const registers = [this.registry]
    const ns = ['namespace']
    const gauge = (name: string, help: string, labelNames = ns): Gauge => new Gauge({ name, help, labelNames, registers })
    const counter = (name: string, help: string, labelNames = ns): Counter => new Counter({ name, help, labelNames, registers })
    this.#g = {
      info: gauge('shoal_node_info', 'This node: always 1, with its id and version as labels.', ['node', 'version']),
      uptime: gauge('shoal_node_uptime_seconds', 'Seconds since the daemon started.', []),
      state: gauge('shoal_namespace_state', 'The namespace state: 1 for the current one.', ['namespace', 'state']),
      peers: gauge('shoal_namespace_peers', 'Peers connected for the namespace.'),
      files: gauge('shoal_namespace_files', 'Files in the namespace.'),
      bytes: gauge('shoal_namespace_bytes', 'Bytes of the files in the namespace.'),
      pending: gauge('shoal_namespace_pending_files', 'Files waiting to be synced.'),
      pendingBytes: gauge('shoal_namespace_pending_bytes', 'Bytes waiting to be synced.'),
      conflicts: gauge('shoal_namespace_conflicts', 'Conflict copies in the namespace.'),
      paused: gauge('shoal_namespace_paused', '1 while publishing is paused (e.g. by the mass-delete guard).'),
      lastSync: gauge('shoal_namespace_last_sync_age_seconds', 'Seconds since the namespace was last in sync (absent if never).')
    }
    this.#c = {
      sent: counter('shoal_namespace_sent_bytes_total', 'Bytes sent to peers for the namespace.'),
      received: counter('shoal_namespace_received_bytes_total', 'Bytes received from peers for the namespace.'),
      nfs: counter('shoal_nfs_operations_total', 'NFS operations served, by operation and status.', ['op', 'status'])
    }
    this.loginFailures = counter('shoal_web_login_failures_total', 'Failed dashboard logins.', [])
    if (opts.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'shoal_' })
  }

  get contentType (): string { return this.registry.contentType }

  /** The exposition text. Concurrent scrapes share one collection. */
  render (): Promise<string> {
    this.#scrape ??= this.#collect().finally(() => { this.#scrape = null })
    return this.#scrape
  }

  async #collect (): Promise<string> {
    const now = (this.#o.now ?? Date.now)()
    const node = this.#svc.node()
    const list = await this.#svc.list()
    const p = this.#o.providers
    for (const g of Object.values(this.#g)) g.reset()
    for (const c of [this.#c.sent, this.#c.received, this.#c.nfs]) c.reset()

    this.#g.info.set({ node: node.id, version: node.version }, 1)
    this.#g.uptime.set(node.uptimeSeconds)
    for (const s of list) {
      const l = { namespace: s.name }
      this.#g.state.set({ namespace: s.name, state: s.state }, 1)
      this.#g.peers.set(l, s.peers)
      this.#g.files.set(l, s.files)
      this.#g.bytes.set(l, s.bytes)
      this.#g.pending.set(l, s.pending)
      this.#g.pendingBytes.set(l, s.pendingBytes)
      this.#g.conflicts.set(l, s.conflicts)
      this.#g.paused.set(l, s.paused === null ? 0 : 1)
      if (s.lastSync !== null) this.#g.lastSync.set(l, Math.max(0, (now - Date.parse(s.lastSync)) / 1000))
      const t = p.traffic?.(s.name) ?? { bytesSent: 0, bytesReceived: 0 }
      this.#c.sent.inc(l, t.bytesSent)
      this.#c.received.inc(l, t.bytesReceived)
    }
    for (const op of p.nfsOps?.() ?? []) this.#c.nfs.inc({ op: op.op, status: op.status }, op.count)
    return await this.registry.metrics()
  }
}

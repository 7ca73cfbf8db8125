// What the dashboard shows beyond the control service: peers and traffic (replication), NFS
// operation counters (the NFS server), the resume of a namespace paused by the mass-delete guard,
// and readiness. Each is optional; the node wires in what it has. With none, the page and
// /metrics show empty lists rather than made-up numbers.
import os from 'node:os'

export interface PeerView {
  namespace: string
  /** The peer's node key (hex) or another stable id. */
  id: string
  address: string | null
  /** ISO time. */
  connectedSince: string | null
  /** Bytes received from / sent to this peer; null where replication does not count them (yet). */
  bytesIn: number | null
  bytesOut: number | null
}

export interface NamespaceTraffic {
  /** Totals since the node started (monotonic: they feed Prometheus counters). */
  bytesSent: number
  bytesReceived: number
}

export interface NfsOpCount {
  op: string
  status: string
  count: number
}

export interface ReadyCheck {
  name: string
  ok: boolean
  detail?: string
}

export interface DashboardProviders {
  /** Connected peers of every namespace. */
  peers?: () => PeerView[] | Promise<PeerView[]>
  /** Bytes replicated for one namespace; null when unknown. */
  traffic?: (namespace: string) => NamespaceTraffic | null
  /** NFS operations served, by operation and status. */
  nfsOps?: () => NfsOpCount[]
  /** Lifts the mass-delete guard's pause; absent when this build cannot. */
  resume?: (namespace: string) => Promise<void>
  /** Readiness beyond "namespaces open" (e.g. the swarm joined). */
  ready?: () => ReadyCheck[]
  /** Addresses this node can be reached at, as shown on the page. */
  addresses?: () => string[]
}

/** The host's non-internal IP addresses (all of them when the listener binds a wildcard). */
export function hostAddresses (listenHost: string): string[] {
  if (listenHost !== '0.0.0.0' && listenHost !== '::' && listenHost !== '') return [listenHost]
  const out: string[] = []
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue
      if (listenHost === '0.0.0.0' && a.family !== 'IPv4') continue
      out.push(a.address)
    }
  }
  return out.length > 0 ? out : ['127.0.0.1']
}

import type { Logger } from '../../log.js'
import type { ExportTable } from '../exports.js'
import type { LocalVfs } from '../vfs/local.js'
import type { ClientTable } from './state/clients.js'
import type { OpenTable } from './state/opens.js'

/** Counters per operation name and status name, for /metrics. */
export class OpStats {
  readonly ops = new Map<string, Map<string, number>>()
  /** total time spent in each op, in microseconds */
  readonly micros = new Map<string, number>()

  count (op: string, status: string, micros = 0): void {
    let m = this.ops.get(op)
    if (!m) this.ops.set(op, (m = new Map()))
    m.set(status, (m.get(status) ?? 0) + 1)
    this.micros.set(op, (this.micros.get(op) ?? 0) + micros)
  }

  toJSON (): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [op, m] of this.ops) out[op] = Object.fromEntries(m)
    return out
  }
}

/** What every v4 operation can reach: shared by all connections of one server. */
export interface V4Env {
  readonly vfs: LocalVfs
  readonly exports: ExportTable
  readonly clients: ClientTable
  readonly opens: OpenTable
  readonly log: Logger
  /** RFC 7530 §16.36.5: changes when the server restarts, so clients resend UNSTABLE writes. */
  readonly writeVerf: Buffer
  /** RFC 8881 §2.5: server_owner major id and scope */
  readonly serverOwner: Buffer
  readonly stats: OpStats
}

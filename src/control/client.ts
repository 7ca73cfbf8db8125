// The control API's client, used by `ctl`, the tests and anything else that talks to a running node
// over its unix socket. Transport errors become UNAVAILABLE (exit 3); API errors keep their code.
import http from 'node:http'
import { ShoalError, isErrno, ErrorCodes, type ErrorCode } from '../errors.js'
import type { NodeInfo, PathScope, PeerStatus } from './service.js'
import type { AddResult } from '../namespace/manager.js'
import type { NamespaceStatus } from '../namespace/namespace.js'
import type { NodeEvent } from '../events.js'

/** process.memoryUsage() of the daemon; `gc`: a full collection ran just before. */
export interface MemoryReport { gc: boolean, rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number, malloced: number, spaces: Record<string, number>, spacesUsed: Record<string, number> }

export class ControlClient {
  readonly socketPath: string
  readonly timeoutMs: number

  constructor (socketPath: string, opts: { timeoutMs?: number } = {}) {
    this.socketPath = socketPath
    this.timeoutMs = opts.timeoutMs ?? 120_000
  }

  node (): Promise<NodeInfo> { return this.request('GET', '/v1/node') }
  names (): Promise<string[]> { return this.request('GET', '/v1/namespaces?names=1') }
  list (): Promise<NamespaceStatus[]> { return this.request('GET', '/v1/namespaces') }
  status (name: string): Promise<NamespaceStatus> { return this.request('GET', `/v1/namespaces/${enc(name)}`) }
  add (name: string, secret?: string): Promise<AddResult> {
    return this.request('POST', '/v1/namespaces', secret === undefined ? { name } : { name, secret })
  }

  async del (name: string, keepData = false): Promise<void> {
    await this.request('DELETE', `/v1/namespaces/${enc(name)}${keepData ? '?keepData=1' : ''}`)
  }

  async has (name: string): Promise<boolean> {
    return (await this.request<{ exists: boolean }>('GET', `/v1/namespaces/${enc(name)}/exists`)).exists
  }

  async path (name: string, scope: PathScope = 'host'): Promise<string> {
    return (await this.request<{ path: string }>('GET', `/v1/namespaces/${enc(name)}/path?scope=${enc(scope)}`)).path
  }

  async secret (name: string, readOnly = false): Promise<string> {
    return (await this.request<{ secret: string }>('GET', `/v1/namespaces/${enc(name)}/secret${readOnly ? '?readOnly=1' : ''}`)).secret
  }

  peers (): Promise<PeerStatus[]> { return this.request('GET', '/v1/peers') }

  /** Waits (on the daemon) until the namespace is in sync with its connected writers. */
  wait (name: string, timeoutMs: number): Promise<NamespaceStatus> {
    return this.request('POST', `/v1/namespaces/${enc(name)}/wait`, { timeoutMs }, timeoutMs + 10_000)
  }

  memory (gc = false): Promise<MemoryReport> { return this.request('GET', `/v1/debug/memory${gc ? '?gc=1' : ''}`) }
  resume (name: string): Promise<NamespaceStatus> { return this.request('POST', `/v1/namespaces/${enc(name)}/resume`) }

  events (since: number, waitMs = 0): Promise<NodeEvent[]> {
    return this.request('GET', `/v1/events?since=${since}&wait=${waitMs}`)
  }

  request<T> (method: string, urlPath: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise<T>((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        path: urlPath,
        method,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown = null
          try {
            json = text.length > 0 ? JSON.parse(text) : null
          } catch {
            reject(new ShoalError('INTERNAL', `the daemon answered ${res.statusCode ?? '?'} with a body that is not JSON`))
            return
          }
          if ((res.statusCode ?? 500) >= 400) reject(toError(json, res.statusCode ?? 500))
          else resolve(json as T)
        })
      })
      req.setTimeout(timeoutMs, () => {
        req.destroy(new ShoalError('TIMEOUT', `the daemon did not answer within ${Math.round(timeoutMs / 1000)} s`))
      })
      req.on('error', (err) => {
        if (err instanceof ShoalError) reject(err)
        else if (isErrno(err) && ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EACCES', 'ENOTSOCK'].includes(err.code ?? '')) {
          reject(new ShoalError('UNREACHABLE', `no shoal daemon is listening on ${this.socketPath} (${err.code ?? 'error'})`, {
            hint: 'start one with `shoal daemon` (or `make run` in a checkout); set SHOAL_CONTROL_SOCKET or DATA_PATH if it uses another data path',
            cause: err
          }))
        } else reject(err)
      })
      req.end(payload)
    })
  }
}

function enc (s: string): string { return encodeURIComponent(s) }

function toError (json: unknown, status: number): ShoalError {
  const e = (json as { error?: { code?: string, message?: string, hint?: string } } | null)?.error
  const code: ErrorCode = e?.code !== undefined && e.code in ErrorCodes ? e.code as ErrorCode : 'INTERNAL'
  return new ShoalError(code, e?.message ?? `the daemon answered ${status}`, e?.hint !== undefined ? { hint: e.hint } : {})
}

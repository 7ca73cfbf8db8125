// The control API over HTTP/JSON (served on a unix socket for `ctl`). Built from the service; never
// calls listen. Errors map through one table; the body is always {error: {code, message, hint}}.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'
import express, { type Request, type Response, type NextFunction, type Express } from 'express'
import { ShoalError, isShoalError, type ErrorCode } from '../errors.js'
import type { ControlService, PathScope } from './service.js'
import type { Logger } from '../log.js'
import { compactingCollection } from '../memory-trim.js'

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_NAME: 400,
  BAD_SECRET: 400,
  BAD_CONFIG: 400,
  BAD_REQUEST: 400,
  NS_EXISTS: 409,
  NS_NOT_FOUND: 404,
  NOT_WRITABLE: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  UNREACHABLE: 502,
  CLOSED: 503,
  INTERNAL: 500
}

export function createControlApp (svc: ControlService, log: Logger): Express {
  const app = express()
  app.disable('x-powered-by')
  app.use(express.json({ limit: '64kb' }))

  app.get('/v1/node', (_req, res) => { res.json(svc.node()) })

  app.get('/v1/namespaces', async (req, res) => {
    if (req.query.names !== undefined) res.json(svc.names())
    else res.json(await svc.list())
  })

  app.post('/v1/namespaces', async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown, secret?: unknown }
    const result = await svc.add(body.name as string, optionalString(body.secret, 'secret'))
    res.status(result.created ? 201 : 200).json(result)
  })

  app.get('/v1/namespaces/:name', async (req, res) => { res.json(await svc.status(param(req, 'name'))) })

  app.get('/v1/namespaces/:name/exists', (req, res) => { res.json({ exists: svc.has(param(req, 'name')) }) })

  app.delete('/v1/namespaces/:name', async (req, res) => {
    await svc.del(param(req, 'name'), flag(req.query.keepData))
    res.status(204).end()
  })

  app.get('/v1/namespaces/:name/path', (req, res) => {
    const scope = (typeof req.query.scope === 'string' ? req.query.scope : 'host') as PathScope
    res.json({ path: svc.path(param(req, 'name'), scope) })
  })

  app.get('/v1/namespaces/:name/secret', (req, res) => {
    res.json({ secret: svc.secret(param(req, 'name'), flag(req.query.readOnly)) })
  })

  app.get('/v1/peers', (_req, res) => { res.json(svc.peers()) })

  app.post('/v1/namespaces/:name/wait', async (req, res) => {
    const timeoutMs = Number((req.body as { timeoutMs?: unknown } | undefined)?.timeoutMs ?? 60_000)
    res.json(await svc.wait(param(req, 'name'), timeoutMs))
  })

  app.post('/v1/namespaces/:name/resume', async (req, res) => { res.json(await svc.resume(param(req, 'name'))) })

  app.get('/v1/events', async (req, res) => {
    const since = Number(req.query.since ?? 0)
    const wait = Number(req.query.wait ?? 0)
    if (!Number.isFinite(since) || !Number.isFinite(wait)) throw ShoalError.badRequest('since and wait must be numbers')
    const ac = new AbortController()
    res.on('close', () => { ac.abort() })
    res.json(await svc.events(since, wait, ac.signal))
  })

  // Process memory for benchmarks and diagnosis: heap, external and RSS apart. `?gc=1` forces a full
  // collection first when the daemon runs with --expose-gc (otherwise `gc` says it did not). It is
  // the compacting one the daemon runs when quiet (memory-trim.ts), so that a reading before a sync
  // and one after it are taken alike: with a plain collection, a baseline's old space held 0–4 MB
  // of slack that the trimmed reading after the sync did not, and bench:scale's writer figure moved
  // by up to 40 B/file with it.
  app.get('/v1/debug/memory', (req, res) => {
    const forced = flag(req.query.gc) && (globalThis as { gc?: () => void }).gc !== undefined
    if (forced) compactingCollection()
    const stats = getHeapSpaceStatistics()
    const spaces = Object.fromEntries(stats.map((sp) => [sp.space_name, sp.space_size]))
    const spacesUsed = Object.fromEntries(stats.map((sp) => [sp.space_name, sp.space_used_size]))
    // V8's own malloc'd memory (compiler zones, tables), which is neither heap nor external.
    const malloced = getHeapStatistics().malloced_memory
    res.json({ gc: forced, ...process.memoryUsage(), malloced, spaces, spacesUsed })
  })

  app.use((_req, res) => { res.status(404).json({ error: { code: 'BAD_REQUEST', message: 'no such endpoint' } }) })
  app.use(errorHandler(log))
  return app
}

export function errorHandler (log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (isShoalError(err)) {
      res.status(HTTP_STATUS[err.code]).json({ error: err.toJSON() })
      return
    }
    const e = err as { type?: string, status?: number, message?: string }
    if (e?.type === 'entity.parse.failed' || e?.type === 'entity.too.large') {
      res.status(e.status ?? 400).json({ error: { code: 'BAD_REQUEST', message: e.message ?? 'bad request body' } })
      return
    }
    log.error('control request failed', err)
    res.status(500).json({ error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } })
  }
}

function param (req: Request, key: string): string {
  const v = req.params[key]
  return typeof v === 'string' ? v : ''
}

function flag (v: unknown): boolean {
  return v === '1' || v === 'true' || v === ''
}

function optionalString (v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw ShoalError.badRequest(`${what} must be a string`)
  return v
}

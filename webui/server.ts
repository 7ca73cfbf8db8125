// The web dashboard: a static page (webui/public/, no build step) over a JSON API under /api/v1,
// plus /healthz, /readyz and /metrics. `createDashboardApp` builds the express app from the control
// service and never listens; `Dashboard` is the node's listener on SHOAL_WEB_PORT.
//
// Safety: no default password; an HttpOnly SameSite=Strict session cookie; failed logins are
// rate-limited; a mutating request must be same-origin (Origin/Sec-Fetch-Site) and, with a body,
// JSON — which a cross-site HTML form cannot send. Secrets are returned only by their own endpoint.
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import express, { type Express, type Request, type Response, type NextFunction } from 'express'
import { Resource } from '../src/resource.js'
import { ShoalError } from '../src/errors.js'
import { errorHandler } from '../src/control/http.js'
import { closeServer } from '../src/control/socket.js'
import type { ControlService } from '../src/control/service.js'
import type { Logger } from '../src/log.js'
import { PasswordVerifier, SessionStore, LoginLimiter, type Session, type SessionOptions, type LimiterOptions } from './auth.js'
import { DashboardMetrics } from './metrics.js'
import { hostAddresses, type DashboardProviders, type ReadyCheck } from './providers.js'

export const PUBLIC_DIR = fileURLToPath(new URL('../../webui/public/', import.meta.url))
export const SESSION_COOKIE = 'shoal_session'

export interface DashboardOptions {
  password: PasswordVerifier
  log: Logger
  providers?: DashboardProviders
  sessions?: SessionOptions
  limiter?: LimiterOptions
  /** The port the page is served on, for /api/v1/node's addresses (0 in tests). */
  port?: () => number | null
  listenHost?: string
  /** How often an idle event stream sends a keep-alive comment. */
  heartbeatMs?: number
  processMetrics?: boolean
  publicDir?: string
}

/** Error codes of the dashboard's own refusals, beside ShoalError's. */
type WebErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'UNSUPPORTED_MEDIA_TYPE' | 'NOT_FOUND'

function refuse (res: Response, status: number, code: WebErrorCode, message: string, hint?: string): void {
  res.status(status).json({ error: hint === undefined ? { code, message } : { code, message, hint } })
}

export function createDashboardApp (svc: ControlService, opts: DashboardOptions): Express {
  const providers = opts.providers ?? {}
  const sessions = new SessionStore(opts.sessions)
  const limiter = new LoginLimiter(opts.limiter)
  const metrics = new DashboardMetrics(svc, { providers, processMetrics: opts.processMetrics })
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const log = opts.log

  /** The one place a password is checked (login and /metrics): limited, counted, logged. */
  const check = async (req: Request, res: Response, password: unknown): Promise<boolean> => {
    const client = req.socket.remoteAddress ?? 'unknown'
    const wait = limiter.attempt(client)
    if (wait > 0) {
      res.set('retry-after', String(Math.ceil(wait / 1000)))
      refuse(res, 429, 'RATE_LIMITED', 'too many failed logins', `try again in ${Math.ceil(wait / 1000)} s`)
      return false
    }
    if (await opts.password.verify(password)) {
      limiter.succeed(client)
      return true
    }
    metrics.loginFailures.inc()
    log.warn(`dashboard: failed login from ${client}`)
    return false
  }

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(securityHeaders)

  // Liveness and readiness: no login, no secrets, for orchestrators' probes.
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }) })
  app.get('/readyz', async (_req, res) => {
    const checks = await readiness(svc, providers)
    const ready = checks.every((c) => c.ok)
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks })
  })

  // Prometheus scrapes with HTTP Basic (any user name, the dashboard password) or a session.
  app.get('/metrics', async (req, res) => {
    if (sessionOf(req, sessions) === undefined && !(await basicAuth(req, res, check))) return
    res.set('content-type', metrics.contentType).send(await metrics.render())
  })

  const api = express.Router()
  api.use(sameOriginOnly)
  api.use(express.json({ limit: '16kb' }))
  api.use((_req, res, next) => { res.set('cache-control', 'no-store'); next() })

  api.post('/login', async (req, res) => {
    if (!(await check(req, res, (req.body as { password?: unknown } | undefined)?.password))) {
      if (res.headersSent) return
      refuse(res, 401, 'UNAUTHORIZED', 'wrong password',
        opts.password.source === 'env' ? 'it is the value of SHOAL_WEB_PASSWORD' : 'the daemon printed it in its log at first start')
      return
    }
    const old = sessionOf(req, sessions)
    if (old !== undefined) sessions.end(old.id) // a new login never reuses a session id
    const s = sessions.create()
    res.cookie(SESSION_COOKIE, s.id, {
      httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: sessions.maxAgeMs
    })
    res.json({ ok: true })
  })

  api.use((req, res, next) => {
    const s = sessionOf(req, sessions)
    if (s === undefined) { refuse(res, 401, 'UNAUTHORIZED', 'log in first', 'POST /api/v1/login with {"password": "…"}'); return }
    res.locals.session = s
    next()
  })

  api.post('/logout', (req, res) => {
    sessions.end((res.locals.session as Session).id)
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' })
    res.status(204).end()
  })

  api.get('/node', (_req, res) => {
    const port = opts.port?.() ?? null
    const hosts = providers.addresses?.() ?? hostAddresses(opts.listenHost ?? '127.0.0.1')
    res.json({
      ...svc.node(),
      addresses: hosts,
      dashboard: port === null ? [] : hosts.map((h) => `http://${h.includes(':') ? `[${h}]` : h}:${port}/`),
      features: { peers: providers.peers !== undefined, resume: providers.resume !== undefined, nfs: providers.nfsOps !== undefined }
    })
  })

  api.get('/namespaces', async (_req, res) => { res.json(await svc.list()) })

  api.post('/namespaces', async (req, res) => {
    const body = (req.body ?? {}) as { name?: unknown, secret?: unknown }
    if (body.secret !== undefined && body.secret !== null && body.secret !== '' && typeof body.secret !== 'string') {
      throw ShoalError.badRequest('secret must be a string')
    }
    const secret = typeof body.secret === 'string' && body.secret.trim() !== '' ? body.secret.trim() : undefined
    const result = await svc.add(body.name as string, secret)
    // The secret is not echoed: it is shown only when asked for (GET …/secret).
    res.status(result.created ? 201 : 200).json({ name: result.name, kind: result.kind, created: result.created })
  })

  api.get('/namespaces/:name', async (req, res) => { res.json(await svc.status(param(req))) })

  api.delete('/namespaces/:name', async (req, res) => {
    await svc.del(param(req), req.query.keepData === '1' || req.query.keepData === 'true')
    res.status(204).end()
  })

  api.get('/namespaces/:name/secret', (req, res) => {
    const readOnly = req.query.readOnly === '1' || req.query.readOnly === 'true'
    res.json({ secret: svc.secret(param(req), readOnly), readOnly })
  })

  api.post('/namespaces/:name/resume', async (req, res) => {
    const name = param(req)
    await svc.status(name) // validates the name and that it exists
    if (providers.resume === undefined) {
      throw new ShoalError('UNAVAILABLE', 'this build cannot resume a paused namespace yet', { hint: 'resuming arrives with replication' })
    }
    await providers.resume(name)
    res.status(204).end()
  })

  api.get('/peers', async (_req, res) => { res.json(await providers.peers?.() ?? []) })

  // Server-sent events from the node's event log. A reconnecting EventSource sends Last-Event-ID and
  // gets what it missed; a client that knows nothing gets only new events (it loads state itself).
  api.get('/events', async (req, res) => {
    const session = res.locals.session as Session
    const last = req.get('last-event-id') ?? (typeof req.query.since === 'string' ? req.query.since : undefined)
    let since = last === undefined ? -1 : Number(last)
    if (!Number.isSafeInteger(since) || since < -1) throw ShoalError.badRequest('Last-Event-ID and since must be event ids')
    const buffered = await svc.events(0)
    const newest = buffered.at(-1)?.id ?? 0
    // -1: start now. An id from before a restart (above the newest) would wait for ids that already went by.
    if (since === -1 || since > newest) since = newest

    const ac = new AbortController()
    const stop = (): void => { ac.abort() }
    const offEnd = sessions.onEnd(session.id, () => { stop(); res.end() })
    res.on('close', () => { stop(); offEnd() })
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no'
    })
    res.flushHeaders()
    res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ lastId: since })}\n\n`)
    while (!ac.signal.aborted) {
      const events = await svc.events(since, heartbeatMs, ac.signal)
      if (ac.signal.aborted) break
      if (events.length === 0) { res.write(': keep-alive\n\n'); continue }
      for (const e of events) {
        if (e.id <= since) continue
        res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`)
        since = e.id
      }
    }
  })

  api.use((_req, res) => { refuse(res, 404, 'NOT_FOUND', 'no such endpoint') })
  app.use('/api/v1', api)

  app.use(express.static(opts.publicDir ?? PUBLIC_DIR, { index: 'index.html', etag: true, maxAge: 0 }))
  app.use((_req, res) => { refuse(res, 404, 'NOT_FOUND', 'not found') })
  app.use(errorHandler(log))
  return app
}

function securityHeaders (_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  })
  next()
}

/**
 * CSRF: SameSite=Strict already keeps the cookie off cross-site requests; on top of that a
 * mutating request must not come from another origin, and one with a body must be JSON (an HTML
 * form can only send urlencoded, multipart or text/plain; fetch with JSON cross-site needs CORS,
 * which this server never grants).
 */
function sameOriginOnly (req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') { next(); return }
  const site = req.get('sec-fetch-site')
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    refuse(res, 403, 'FORBIDDEN', `cross-site request refused (Sec-Fetch-Site: ${site})`); return
  }
  const origin = req.get('origin')
  if (origin !== undefined && !sameHost(origin, req.get('host'))) {
    refuse(res, 403, 'FORBIDDEN', `cross-origin request refused (Origin: ${origin.slice(0, 100)})`); return
  }
  const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' || Number(req.get('content-length') ?? 0) > 0
  if (hasBody && !req.is('application/json')) {
    refuse(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the request body as JSON', 'set content-type: application/json (use {} for no fields)'); return
  }
  next()
}

function sameHost (origin: string, host: string | undefined): boolean {
  if (origin === 'null' || host === undefined) return false
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

function sessionOf (req: Request, sessions: SessionStore): Session | undefined {
  return sessions.get(cookie(req.get('cookie'), SESSION_COOKIE))
}

function cookie (header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}

async function basicAuth (req: Request, res: Response, check: (req: Request, res: Response, password: unknown) => Promise<boolean>): Promise<boolean> {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('authorization') ?? '')
  const decoded = m === null ? null : Buffer.from(m[1] as string, 'base64').toString('utf8')
  if (decoded !== null && await check(req, res, decoded.slice(decoded.indexOf(':') + 1))) return true
  if (res.headersSent) return false
  res.set('www-authenticate', 'Basic realm="shoal", charset="UTF-8"')
  refuse(res, 401, 'UNAUTHORIZED', 'log in first', 'scrape with HTTP basic auth: any user name, the dashboard password')
  return false
}

async function readiness (svc: ControlService, providers: DashboardProviders): Promise<ReadyCheck[]> {
  const list = await svc.list()
  const bad = list.filter((s) => s.state === 'error' || s.state === 'starting' || s.state === 'stopped')
  return [
    ...(providers.ready?.() ?? []),
    {
      name: 'namespaces',
      ok: bad.length === 0,
      detail: bad.length === 0 ? `${list.length} open` : bad.map((s) => `${s.name}: ${s.state}${s.error !== null ? ` (${s.error})` : ''}`).join('; ')
    }
  ]
}

function param (req: Request): string {
  const v = req.params.name
  return typeof v === 'string' ? v : ''
}

export interface DashboardServerOptions extends Omit<DashboardOptions, 'password' | 'port'> {
  port: number
  host: string
  stateDir: string
  /** SHOAL_WEB_PASSWORD, or null to use (or generate) the stored one. */
  password: string | null
}

/** The dashboard's listener; the node opens it after the control service exists. */
export class Dashboard extends Resource {
  #svc: ControlService
  #o: DashboardServerOptions
  #server: http.Server | null = null
  port: number | null = null

  constructor (svc: ControlService, opts: DashboardServerOptions) {
    super()
    this.#svc = svc
    this.#o = opts
  }

  /** The page's URL as printed in the log (a wildcard host shows as the first real address). */
  get url (): string {
    const h = this.#o.host === '0.0.0.0' || this.#o.host === '::' ? (hostAddresses(this.#o.host)[0] as string) : this.#o.host
    return `http://${h.includes(':') ? `[${h}]` : h}:${String(this.port)}/`
  }

  protected async _open (): Promise<void> {
    const o = this.#o
    const password = await PasswordVerifier.load(o.stateDir, o.password, o.log)
    const app = createDashboardApp(this.#svc, { ...o, password, port: () => this.port })
    const server = http.createServer(app)
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE'
          ? new ShoalError('UNAVAILABLE', `port ${o.port} on ${o.host} is in use: the dashboard cannot listen`, { hint: 'set SHOAL_WEB_PORT to a free port, or 0 to turn the dashboard off', cause: err })
          : err)
      })
      server.listen(o.port, o.host, () => { resolve() })
    })
    this.#server = server
    const addr = server.address()
    this.port = typeof addr === 'object' && addr !== null ? addr.port : o.port
  }

  protected async _close (): Promise<void> {
    if (this.#server !== null) await closeServer(this.#server)
  }
}

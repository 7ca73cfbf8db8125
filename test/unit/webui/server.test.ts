// The dashboard's HTTP contract (issue 5), with supertest against the app factory: no port opened,
// except for the event stream, which supertest cannot read while it is still open.
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import type { Express } from 'express'
import { createDashboardApp, SESSION_COOKIE, type DashboardOptions } from '../../../webui/server.js'
import { PasswordVerifier } from '../../../webui/auth.js'
import { silentLogger } from '../../../src/log.js'
import { deriveFromReadWrite, readOnlySecret, blindSecret } from '../../../src/secrets.js'
import { useTeardown } from '../../helpers/teardown.js'
import { createTestService, readSse, type TestService } from '../../helpers/web.js'

const PASSWORD = 'correct horse battery staple'
const RW = deriveFromReadWrite(Buffer.alloc(32, 9))

describe('dashboard HTTP API', function () {
  this.timeout(20_000)
  const teardown = useTeardown()
  let password: PasswordVerifier
  before(async () => { password = await PasswordVerifier.fromPassword(PASSWORD) })

  async function setup (opts: Partial<DashboardOptions> = {}): Promise<TestService & { app: Express }> {
    const t = await createTestService(teardown)
    const app = createDashboardApp(t.svc, { password, log: silentLogger, listenHost: '127.0.0.1', port: () => 8888, ...opts })
    return { ...t, app }
  }

  async function login (app: Express): Promise<string> {
    const res = await request(app).post('/api/v1/login').send({ password: PASSWORD }).expect(200)
    const cookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0]
    assert.ok(cookie !== undefined)
    return cookie.split(';')[0] as string
  }

  it('answers /healthz and /readyz without login; /readyz is 503 while a namespace is in error', async () => {
    const { app, svc, manager } = await setup()
    assert.deepEqual((await request(app).get('/healthz').expect(200)).body, { status: 'ok' })
    await svc.add('good')
    const ready = await request(app).get('/readyz').expect(200)
    assert.equal(ready.body.status, 'ready')
    await svc.add('bad')
    manager.get('bad')?.setError(new Error('disk on fire'))
    const notReady = await request(app).get('/readyz').expect(503)
    assert.match(JSON.stringify(notReady.body.checks), /bad: error \(disk on fire\)/)
  })

  it('/readyz includes the providers\' checks (the swarm, once replication lands)', async () => {
    let joined = false
    const { app } = await setup({ providers: { ready: () => [{ name: 'swarm', ok: joined }] } })
    await request(app).get('/readyz').expect(503)
    joined = true
    await request(app).get('/readyz').expect(200)
  })

  it('answers 401 on every API endpoint but login without a session', async () => {
    const { app, svc } = await setup()
    await svc.add('photos')
    const calls: Array<[string, string]> = [
      ['get', '/api/v1/node'], ['get', '/api/v1/namespaces'], ['post', '/api/v1/namespaces'], ['get', '/api/v1/namespaces/photos'],
      ['delete', '/api/v1/namespaces/photos'], ['get', '/api/v1/namespaces/photos/secret'], ['post', '/api/v1/namespaces/photos/resume'],
      ['get', '/api/v1/peers'], ['get', '/api/v1/events'], ['post', '/api/v1/logout'], ['get', '/api/v1/nope']
    ]
    for (const [method, url] of calls) {
      let r = request(app)[method as 'get'](url).set('cookie', `${SESSION_COOKIE}=forged`)
      if (method === 'post') r = r.send({ name: 'x' })
      const res = await r
      assert.equal(res.status, 401, `${method} ${url}`)
      assert.equal(res.body.error.code, 'UNAUTHORIZED')
    }
    assert.ok(svc.has('photos'), 'nothing was deleted')
    const m = await request(app).get('/metrics').expect(401)
    assert.match(m.headers['www-authenticate'] as string, /^Basic realm="shoal"/)
  })

  it('logs in with an HttpOnly SameSite=Strict cookie and logs out', async () => {
    const { app } = await setup()
    const wrong = await request(app).post('/api/v1/login').send({ password: 'nope' }).expect(401)
    assert.equal(wrong.body.error.code, 'UNAUTHORIZED')
    assert.equal(wrong.headers['set-cookie'], undefined)
    await request(app).post('/api/v1/login').send({}).expect(401)

    const res = await request(app).post('/api/v1/login').send({ password: PASSWORD }).expect(200)
    const setCookie = (res.headers['set-cookie'] as unknown as string[])[0] as string
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`))
    assert.match(setCookie, /; HttpOnly/)
    assert.match(setCookie, /; SameSite=Strict/)
    assert.match(setCookie, /; Path=\//)
    const cookie = setCookie.split(';')[0] as string

    const node = await request(app).get('/api/v1/node').set('cookie', cookie).expect(200)
    assert.equal(node.body.id, 'ab'.repeat(32))
    assert.equal(node.body.version, '9.9.9')
    assert.ok(node.body.uptimeSeconds >= 89)
    assert.deepEqual(node.body.addresses, ['127.0.0.1'])
    assert.deepEqual(node.body.dashboard, ['http://127.0.0.1:8888/'])
    assert.deepEqual(node.body.features, { peers: false, resume: false, nfs: false })
    assert.equal(node.headers['cache-control'], 'no-store')

    await request(app).post('/api/v1/logout').set('cookie', cookie).set('content-type', 'application/json').send('{}').expect(204)
    await request(app).get('/api/v1/node').set('cookie', cookie).expect(401)
  })

  it('limits failed logins per client, even for the right password, until the window passes', async () => {
    let now = 1_000_000
    const { app } = await setup({ limiter: { perClient: 5, windowMs: 60_000, now: () => now } })
    for (let i = 0; i < 5; i++) await request(app).post('/api/v1/login').send({ password: `guess ${i}` }).expect(401)
    const limited = await request(app).post('/api/v1/login').send({ password: PASSWORD }).expect(429)
    assert.equal(limited.body.error.code, 'RATE_LIMITED')
    assert.equal(limited.headers['retry-after'], '60')
    now += 30_000
    assert.equal((await request(app).post('/api/v1/login').send({ password: PASSWORD })).status, 429)
    now += 30_001
    await request(app).post('/api/v1/login').send({ password: PASSWORD }).expect(200)
  })

  it('counts a burst of parallel guesses before checking any', async () => {
    const { app } = await setup({ limiter: { perClient: 5 } })
    const codes = await Promise.all(Array.from({ length: 12 }, async (_, i) => (await request(app).post('/api/v1/login').send({ password: `g${i}` })).status))
    assert.deepEqual([codes.filter((c) => c === 401).length, codes.filter((c) => c === 429).length], [5, 7])
  })

  it('limits all clients together too', async () => {
    const { app } = await setup({ limiter: { perClient: 100, global: 3 } })
    for (let i = 0; i < 3; i++) await request(app).post('/api/v1/login').send({ password: 'x' }).expect(401)
    await request(app).post('/api/v1/login').send({ password: PASSWORD }).expect(429)
  })

  it('refuses cross-site and non-JSON mutating requests (CSRF)', async () => {
    const { app, svc } = await setup()
    const cookie = await login(app)
    await svc.add('keep')
    // What an HTML form on another site can send: urlencoded, multipart or text/plain bodies.
    const form = await request(app).post('/api/v1/namespaces').set('cookie', cookie).type('form').send({ name: 'evil' }).expect(415)
    assert.equal(form.body.error.code, 'UNSUPPORTED_MEDIA_TYPE')
    await request(app).post('/api/v1/namespaces').set('cookie', cookie).set('content-type', 'text/plain').send('{"name":"evil"}').expect(415)
    await request(app).post('/api/v1/login').set('content-type', 'text/plain').send(`{"password":"${PASSWORD}"}`).expect(415)
    await request(app).post('/api/v1/logout').set('cookie', cookie).expect(415)
    // JSON from another origin (it would need CORS, which is never granted; refused anyway).
    const cross = await request(app).post('/api/v1/namespaces').set('cookie', cookie).set('origin', 'https://evil.example').send({ name: 'evil' }).expect(403)
    assert.equal(cross.body.error.code, 'FORBIDDEN')
    await request(app).delete('/api/v1/namespaces/keep').set('cookie', cookie).set('origin', 'http://evil.example').expect(403)
    await request(app).delete('/api/v1/namespaces/keep').set('cookie', cookie).set('sec-fetch-site', 'cross-site').expect(403)
    await request(app).post('/api/v1/login').set('origin', 'null').send({ password: PASSWORD }).expect(403)
    assert.deepEqual(svc.names(), ['keep'], 'nothing changed')
    // The page itself: same origin.
    const same = request(app).post('/api/v1/namespaces')
    const host = '127.0.0.1:8888'
    await same.set('cookie', cookie).set('host', host).set('origin', `http://${host}`).set('sec-fetch-site', 'same-origin').send({ name: 'ok' }).expect(201)
  })

  it('adds, lists and removes namespaces with the same validation and errors as ctl', async () => {
    const { app, svc, dir } = await setup()
    const cookie = await login(app)
    const api = (m: 'get' | 'post' | 'delete', url: string): request.Test => request(app)[m](`/api/v1${url}`).set('cookie', cookie)

    const created = await api('post', '/namespaces').send({ name: 'photos' }).expect(201)
    assert.deepEqual(created.body, { name: 'photos', kind: 'read-write', created: true }, 'no secret in the answer')
    assert.equal((await api('post', '/namespaces').send({ name: 'photos' }).expect(200)).body.created, false)
    await api('post', '/namespaces').send({ name: 'joined', secret: RW.secret }).expect(201)
    await api('post', '/namespaces').send({ name: 'joined', secret: RW.secret }).expect(200)
    const exists = await api('post', '/namespaces').send({ name: 'joined', secret: 'another passphrase, long enough' }).expect(409)
    assert.equal(exists.body.error.code, 'NS_EXISTS')
    assert.match(exists.body.error.hint, /ctl del joined/)

    const bad: Array<[unknown, string, RegExp]> = [
      [{ name: 'a/b' }, 'BAD_NAME', /contains \//],
      [{ name: '..' }, 'BAD_NAME', /not allowed/],
      [{ name: '.hidden' }, 'BAD_NAME', /starts with/],
      [{ name: 'UPPER' }, 'BAD_NAME', /upper-case/],
      [{ name: 'x'.repeat(64) }, 'BAD_NAME', /longer than 63/],
      [{}, 'BAD_NAME', /required/],
      [{ name: 7 }, 'BAD_NAME', /required/],
      [{ name: 'ok', secret: 'short' }, 'BAD_SECRET', /at least 16 characters/],
      [{ name: 'ok', secret: 42 }, 'BAD_REQUEST', /secret must be a string/]
    ]
    for (const [body, code, message] of bad) {
      const res = await api('post', '/namespaces').send(body as object).expect(400)
      assert.equal(res.body.error.code, code, JSON.stringify(body))
      assert.match(res.body.error.message, message, JSON.stringify(body))
    }
    const broken = await api('post', '/namespaces').set('content-type', 'application/json').send('{"name": ').expect(400)
    assert.equal(broken.body.error.code, 'BAD_REQUEST')

    const list = await api('get', '/namespaces').expect(200)
    assert.deepEqual(list.body.map((n: { name: string }) => n.name), ['joined', 'photos'])
    assert.equal(list.body[0].state, 'idle')
    assert.ok(!JSON.stringify(list.body).includes(RW.secret), 'the list never carries secrets')
    assert.ok(!JSON.stringify(list.body).includes(svc.secret('photos')))
    assert.equal((await api('get', '/namespaces/photos').expect(200)).body.name, 'photos')
    assert.equal((await api('get', '/namespaces/nope').expect(404)).body.error.code, 'NS_NOT_FOUND')
    assert.equal((await api('get', '/namespaces/..%2Fetc').expect(400)).body.error.code, 'BAD_NAME')

    assert.equal((await api('delete', '/namespaces/a%2Fb').expect(400)).body.error.code, 'BAD_NAME')
    assert.equal((await api('delete', '/namespaces/nope').expect(404)).body.error.code, 'NS_NOT_FOUND')
    await api('delete', '/namespaces/photos?keepData=1').expect(204)
    await api('delete', '/namespaces/joined').expect(204)
    assert.deepEqual(svc.names(), [])
    const { readdir } = await import('node:fs/promises')
    assert.deepEqual((await readdir(dir)).sort(), ['.shoal', 'photos'], 'keepData kept photos; joined is gone')
  })

  it('hands out a secret only from its own endpoint, and only what the node holds', async () => {
    const { app, svc } = await setup()
    const cookie = await login(app)
    await svc.add('rw', RW.secret)
    // Other namespaces' secrets: a node holds one namespace once, whichever of its secrets it got.
    const ro = deriveFromReadWrite(Buffer.alloc(32, 11))
    await svc.add('ro', readOnlySecret(ro) as string)
    await svc.add('blind', blindSecret(deriveFromReadWrite(Buffer.alloc(32, 12))))
    const get = (url: string): request.Test => request(app).get(`/api/v1/namespaces/${url}`).set('cookie', cookie)
    const rw = await get('rw/secret').expect(200)
    assert.deepEqual(rw.body, { secret: RW.secret, readOnly: false })
    assert.equal(rw.headers['cache-control'], 'no-store')
    assert.equal((await get('rw/secret?readOnly=1').expect(200)).body.secret, readOnlySecret(RW))
    assert.equal((await get('ro/secret').expect(409)).body.error.code, 'NOT_WRITABLE')
    assert.equal((await get('ro/secret?readOnly=1').expect(200)).body.secret, readOnlySecret(ro))
    assert.equal((await get('blind/secret?readOnly=1').expect(409)).body.error.code, 'NOT_WRITABLE')
    assert.equal((await get('nope/secret').expect(404)).body.error.code, 'NS_NOT_FOUND')
  })

  it('shows peers and resumes through the providers, and says so when there are none', async () => {
    const plain = await setup()
    const c1 = await login(plain.app)
    await plain.svc.add('photos')
    assert.deepEqual((await request(plain.app).get('/api/v1/peers').set('cookie', c1).expect(200)).body, [])
    const un = await request(plain.app).post('/api/v1/namespaces/photos/resume').set('cookie', c1).send({}).expect(503)
    assert.equal(un.body.error.code, 'UNAVAILABLE')

    const resumed: string[] = []
    const peer = { namespace: 'photos', id: 'cd'.repeat(32), address: '10.0.0.2:49737', connectedSince: new Date().toISOString(), bytesIn: 10, bytesOut: 20 }
    const wired = await setup({ providers: { peers: () => [peer], resume: async (ns) => { resumed.push(ns) } } })
    const c2 = await login(wired.app)
    await wired.svc.add('photos')
    assert.deepEqual((await request(wired.app).get('/api/v1/peers').set('cookie', c2).expect(200)).body, [peer])
    await request(wired.app).post('/api/v1/namespaces/photos/resume').set('cookie', c2).send({}).expect(204)
    await request(wired.app).post('/api/v1/namespaces/nope/resume').set('cookie', c2).send({}).expect(404)
    assert.deepEqual(resumed, ['photos'])
    assert.deepEqual((await request(wired.app).get('/api/v1/node').set('cookie', c2)).body.features, { peers: true, resume: true, nfs: false })
  })

  it('serves /metrics in Prometheus text format to a session or HTTP basic auth', async () => {
    const { app, svc, manager } = await setup({
      providers: {
        traffic: (ns) => (ns === 'photos' ? { bytesSent: 1234, bytesReceived: 5678 } : null),
        nfsOps: () => [{ op: 'READ', status: 'NFS4_OK', count: 7 }, { op: 'OPEN', status: 'NFS4ERR_ACCESS', count: 1 }]
      }
    })
    await svc.add('photos')
    await svc.add('docs')
    manager.get('docs')?.setError(new Error('x'))
    const basic = 'Basic ' + Buffer.from(`prometheus:${PASSWORD}`).toString('base64')
    const res = await request(app).get('/metrics').set('authorization', basic).expect(200)
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
    const text = res.text
    for (const line of [
      'shoal_namespace_files{namespace="photos"} 0',
      'shoal_namespace_bytes{namespace="photos"} 0',
      'shoal_namespace_peers{namespace="photos"} 0',
      'shoal_namespace_pending_files{namespace="photos"} 0',
      'shoal_namespace_conflicts{namespace="photos"} 0',
      'shoal_namespace_sent_bytes_total{namespace="photos"} 1234',
      'shoal_namespace_received_bytes_total{namespace="photos"} 5678',
      'shoal_namespace_state{namespace="docs",state="error"} 1',
      'shoal_nfs_operations_total{op="READ",status="NFS4_OK"} 7',
      'shoal_nfs_operations_total{op="OPEN",status="NFS4ERR_ACCESS"} 1',
      `shoal_node_info{node="${'ab'.repeat(32)}",version="9.9.9"} 1`
    ]) assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`)
    assert.match(text, /# TYPE shoal_namespace_sent_bytes_total counter/)
    assert.match(text, /# TYPE shoal_namespace_files gauge/)
    assert.match(text, /# HELP shoal_namespace_last_sync_age_seconds /)
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      assert.match(line, /^[a-z_:][a-z0-9_:]*(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? -?[0-9.e+-]+$/i, line)
    }
    // A removed namespace is gone from the next scrape.
    await svc.del('photos')
    const after = await request(app).get('/metrics').set('cookie', await login(app)).expect(200)
    assert.ok(!after.text.includes('namespace="photos"'))

    await request(app).get('/metrics').set('authorization', 'Basic ' + Buffer.from('p:wrong').toString('base64')).expect(401)
    assert.match((await request(app).get('/metrics').set('authorization', basic)).text, /^shoal_web_login_failures_total 1$/m)
  })

  it('streams events as server-sent events, resuming from Last-Event-ID, and ends with the session', async () => {
    const { app, svc } = await setup({ heartbeatMs: 50 })
    const server = http.createServer(app)
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`
    const cookie = await login(app)
    await svc.add('one') // events 1 (state) and 2 (added)

    assert.equal((await readSse(url, {}, () => true)).status, 401)
    // since=0: what the node still buffers.
    const all = await readSse(`${url}?since=0`, { cookie }, (m) => m.some((x) => x.data.includes('namespace-added')))
    assert.equal(all.status, 200)
    assert.equal(all.messages[0]?.event, 'hello')
    const added = all.messages.find((m) => m.data.includes('"namespace-added"'))
    assert.equal(JSON.parse(added?.data ?? '{}').namespace, 'one')
    assert.equal(added?.id, '2')

    // Last-Event-ID: only what came after; a live event arrives while the stream is open.
    const later = readSse(url, { cookie, 'last-event-id': '2' }, (m) => m.some((x) => x.data.includes('"two"') && x.data.includes('namespace-added')))
    await svc.add('two')
    const got = (await later).messages.filter((m) => m.event === undefined).map((m) => JSON.parse(m.data) as { id: number, namespace: string })
    assert.ok(got.every((e) => e.id > 2))
    assert.deepEqual([...new Set(got.map((e) => e.namespace))], ['two'])

    // An id from before a restart (above the newest) does not swallow new events.
    const reset = readSse(url, { cookie, 'last-event-id': '999' }, (m) => m.some((x) => x.data.includes('"three"')))
    await new Promise((resolve) => setTimeout(resolve, 100))
    await svc.add('three')
    assert.ok((await reset).messages.length >= 2)

    assert.equal((await request(app).get('/api/v1/events?since=x').set('cookie', cookie).expect(400)).body.error.code, 'BAD_REQUEST')

    // Logging out ends open streams.
    const open = readSse(url, { cookie }, () => false)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await request(app).post('/api/v1/logout').set('cookie', cookie).send({}).expect(204)
    assert.equal((await open).ended, true)
  })

  it('serves the page with a strict Content-Security-Policy', async () => {
    const { app } = await setup()
    const page = await request(app).get('/').expect(200)
    assert.match(page.headers['content-type'] as string, /^text\/html/)
    assert.match(page.text, /<form id="login-form"/)
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self';/)
    assert.equal(page.headers['x-frame-options'], 'DENY')
    for (const f of ['/app.js', '/app.css', '/favicon.svg']) await request(app).get(f).expect(200)
    assert.equal((await request(app).get('/nope.html').expect(404)).body.error.code, 'NOT_FOUND')
  })
})

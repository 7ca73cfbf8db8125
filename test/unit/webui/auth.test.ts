// The dashboard's password, sessions and login limiter, without HTTP.
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PasswordVerifier, SessionStore, LoginLimiter, generatePassword, PASSWORD_FILE } from '../../../webui/auth.js'
import { createLogger, silentLogger } from '../../../src/log.js'
import { isShoalError } from '../../../src/errors.js'
import { tmpDir, useTeardown } from '../../helpers/teardown.js'

describe('dashboard auth', function () {
  this.timeout(20_000)
  const teardown = useTeardown()

  it('generates a password at first start, logs it once and stores only its scrypt hash', async () => {
    const dir = await tmpDir(teardown)
    const lines: string[] = []
    const log = createLogger('shoal:web', (l) => lines.push(l))
    const v1 = await PasswordVerifier.load(dir, null, log)
    assert.equal(v1.source, 'file')
    const m = /generated; shown only this once.*: ([a-z2-9]{5}(?:-[a-z2-9]{5}){3})$/m.exec(lines.join('\n'))
    assert.ok(m !== null, lines.join('\n'))
    const password = m[1] as string
    const file = path.join(dir, PASSWORD_FILE)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const stored = await readFile(file, 'utf8')
    assert.ok(!stored.includes(password) && !stored.includes(password.replaceAll('-', '')), 'the password itself is not stored')
    assert.equal(JSON.parse(stored).algorithm, 'scrypt')
    assert.ok(await v1.verify(password))
    assert.ok(!(await v1.verify(password.toUpperCase())))

    lines.length = 0
    const v2 = await PasswordVerifier.load(dir, null, log)
    assert.deepEqual(lines, [], 'printed only at first start')
    assert.ok(await v2.verify(password))
  })

  it('prefers SHOAL_WEB_PASSWORD and writes nothing for it', async () => {
    const dir = await tmpDir(teardown)
    const v = await PasswordVerifier.load(dir, 'a long enough password', silentLogger)
    assert.equal(v.source, 'env')
    assert.ok(await v.verify('a long enough password'))
    for (const wrong of ['', 'a long enough passwor', undefined, 42, 'x'.repeat(2000)]) assert.equal(await v.verify(wrong), false)
    await assert.rejects(stat(path.join(dir, PASSWORD_FILE)), /ENOENT/)
  })

  it('refuses a corrupt hash file instead of silently making a new password', async () => {
    const dir = await tmpDir(teardown)
    await writeFile(path.join(dir, PASSWORD_FILE), '{"algorithm":"plain","hash":"admin"}')
    await assert.rejects(PasswordVerifier.load(dir, null, silentLogger), (e: unknown) => isShoalError(e, 'BAD_CONFIG'))
  })

  it('generates distinct readable passwords', () => {
    const seen = new Set(Array.from({ length: 50 }, generatePassword))
    assert.equal(seen.size, 50)
    for (const p of seen) assert.match(p, /^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$/)
  })

  it('ends sessions after idling, after their maximum age, and on demand', () => {
    let now = 0
    const store = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, now: () => now })
    const a = store.create()
    now = 900
    assert.equal(store.get(a.id)?.id, a.id)
    now = 1800
    assert.ok(store.get(a.id) !== undefined, 'use keeps it alive')
    now = 2900
    assert.equal(store.get(a.id), undefined, 'idle too long')

    const b = store.create()
    for (now = 3000; now <= 8000; now += 900) store.get(b.id)
    assert.equal(store.get(b.id), undefined, 'older than maxAge')

    const c = store.create()
    let ended = 0
    store.onEnd(c.id, () => { ended++ })
    store.end(c.id)
    assert.equal(store.get(c.id), undefined)
    assert.equal(ended, 1)
    assert.equal(store.get(undefined), undefined)
    assert.equal(store.get('forged'), undefined)
  })

  it('caps the number of sessions, dropping the oldest', () => {
    const store = new SessionStore({ maxSessions: 2 })
    const [a, b, c] = [store.create(), store.create(), store.create()]
    assert.equal(store.size, 2)
    assert.equal(store.get(a.id), undefined)
    assert.ok(store.get(b.id) !== undefined && store.get(c.id) !== undefined)
  })

  it('counts attempts per client within a sliding window; a success clears the client', () => {
    let now = 0
    const l = new LoginLimiter({ perClient: 3, global: 100, windowMs: 1000, now: () => now })
    for (let i = 0; i < 3; i++) { assert.equal(l.attempt('a'), 0); now += 100 }
    assert.equal(l.attempt('a'), 700, 'the fourth attempt waits; parallel ones count before they are checked')
    assert.equal(l.retryAfter('b'), 0, 'others are not affected')
    now = 1001
    assert.equal(l.attempt('a'), 0)
    l.succeed('a')
    assert.equal(l.attempt('a'), 0)
    assert.equal(l.attempt('a'), 0)
    assert.equal(l.retryAfter('a'), 0, 'two failures since the success')
  })

  it('counts successes off the overall limit', () => {
    const l = new LoginLimiter({ perClient: 100, global: 2 })
    for (let i = 0; i < 10; i++) { assert.equal(l.attempt(`c${i}`), 0); l.succeed(`c${i}`) }
    l.attempt('x')
    l.attempt('y')
    assert.ok(l.attempt('z') > 0)
  })

  it('checks at most two passwords at a time', async () => {
    const v = await PasswordVerifier.fromPassword('a long enough password')
    const results = await Promise.all(Array.from({ length: 6 }, async (_, i) => await v.verify(i === 5 ? 'a long enough password' : `guess ${i}`)))
    assert.deepEqual(results, [false, false, false, false, false, true])
  })
})

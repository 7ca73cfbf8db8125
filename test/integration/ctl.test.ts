// The `ctl` contract (DESIGN.md §3) against a real daemon, through the real binary.
import assert from 'node:assert/strict'
import { readFile, stat, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startDaemon, runCtl, type TestDaemon } from '../helpers/daemon.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'
import { deriveFromReadWrite, readOnlySecret, blindSecret } from '../../src/secrets.js'

const A_SECRET = deriveFromReadWrite(Buffer.alloc(32, 7)).secret
const B_SECRET = readOnlySecret(deriveFromReadWrite(Buffer.alloc(32, 7))) as string
/** Another namespace's: one node holds a namespace once, whichever of its secrets it was given. */
const OTHER_B_SECRET = readOnlySecret(deriveFromReadWrite(Buffer.alloc(32, 8))) as string
const OTHER_C_SECRET = blindSecret(deriveFromReadWrite(Buffer.alloc(32, 8)))
const isRoot = process.getuid?.() === 0

describe('ctl against a running daemon', function () {
  this.timeout(60_000)
  const teardown = useTeardown()

  async function daemon (env: Record<string, string> = {}, dataPath?: string): Promise<TestDaemon> {
    const d = await startDaemon({ dataPath: dataPath ?? await tmpDir(teardown), env })
    teardown(async () => { await d.stop('SIGKILL') })
    return d
  }

  it('exits 3 with a hint when no daemon runs', async () => {
    const dir = await tmpDir(teardown)
    const r = await runCtl(['list'], { DATA_PATH: dir })
    assert.equal(r.code, 3)
    assert.match(r.stderr, /^UNREACHABLE: no shoal daemon is listening on .*control\.sock/)
    assert.match(r.stderr, /hint: start one with `shoal daemon`/)
  })

  it('add makes a read-write secret, prints it, and creates the folder owned by UID/GID', async () => {
    const d = await daemon({ UID: '1234', GID: '2345' })
    const r = await d.ctl('add', 'gitlab')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^A[A-Z2-7]{52}\n$/)
    const st = await stat(path.join(d.dataPath, 'gitlab'))
    assert.ok(st.isDirectory())
    if (isRoot) assert.deepEqual([st.uid, st.gid], [1234, 2345])
    // again, without a secret: exists already, no change, same secret
    const again = await d.ctl('add', 'gitlab')
    assert.equal(again.code, 0)
    assert.equal(again.stdout, r.stdout)
  })

  it('joining with the same secret again succeeds; another secret is refused', async () => {
    const d = await daemon()
    assert.equal((await d.ctl('add', `--secret=${A_SECRET}`, 'app')).code, 0)
    const same = await d.ctl('add', '--secret', A_SECRET, 'app')
    assert.deepEqual([same.code, same.stdout], [0, ''])
    const other = await d.ctl('add', '--secret=' + 'another passphrase, long enough', 'app')
    assert.equal(other.code, 1)
    assert.match(other.stderr, /^NS_EXISTS: namespace 'app' exists with another secret\nhint: /)
    assert.equal((await d.ctl('secret', 'app')).stdout, A_SECRET + '\n')
  })

  it('refuses the same namespace under a second name, whichever of its secrets is given', async () => {
    const d = await daemon()
    assert.equal((await d.ctl('add', `--secret=${A_SECRET}`, 'app')).code, 0)
    const readOnly = (await d.ctl('secret', '--read-only', 'app')).stdout.trim()
    for (const secret of [A_SECRET, readOnly]) {
      const twin = await d.ctl('add', `--secret=${secret}`, 'app2')
      assert.equal(twin.code, 1)
      assert.match(twin.stderr, /^NS_EXISTS: this secret's namespace is already on this node as 'app'\nhint: /)
    }
    assert.equal((await d.ctl('has', 'app2')).code, 1)
    assert.equal((await d.ctl('list')).stdout.trim(), 'app')
  })

  it('refuses bad names and bad secrets with exit 1 and writes nothing', async () => {
    const d = await daemon()
    const before = await readdir(d.dataPath)
    const cases: Array<[string[], RegExp]> = [
      [['add', 'a/b'], /^BAD_NAME: .*contains \//],
      [['add', '..'], /^BAD_NAME/],
      [['add', '.hidden'], /^BAD_NAME: .*starts with/],
      [['add', 'UPPER'], /^BAD_NAME: .*upper-case/],
      [['add', 'x'.repeat(64)], /^BAD_NAME: .*longer than 63/],
      [['add', '--secret=short', 'ok'], /^BAD_SECRET: a passphrase needs at least 16 characters/],
      [['add', `--secret=${A_SECRET.slice(0, -3)}`, 'ok'], /^BAD_SECRET: malformed read-write secret/],
      [['add', `--secret=${B_SECRET}X`, 'ok'], /^BAD_SECRET: malformed read-only secret/],
      [['del', 'a/../b'], /^BAD_NAME/],
      [['path', '../etc'], /^BAD_NAME/]
    ]
    for (const [args, message] of cases) {
      const r = await d.ctl(...args)
      assert.equal(r.code, 1, args.join(' '))
      assert.match(r.stderr, message, args.join(' '))
      assert.match(r.stderr, /\nhint: /, 'every refusal says what to do')
    }
    assert.deepEqual(await readdir(d.dataPath), before, 'no folder was created')
    assert.equal((await d.ctl('list')).stdout, '')
  })

  it('list, has, path, secret and del answer as the seed did', async () => {
    const d = await daemon({ HOST_DATA_PATH: '/mnt/host-data' })
    for (const n of ['web', 'db', 'cache']) assert.equal((await d.ctl('add', n)).code, 0)
    assert.equal((await d.ctl('list')).stdout, 'cache db web\n')
    const listed = JSON.parse((await d.ctl('list', '--json')).stdout) as Array<{ name: string, state: string, files: number }>
    assert.deepEqual(listed.map((x) => [x.name, x.state]), [['cache', 'idle'], ['db', 'idle'], ['web', 'idle']])

    assert.deepEqual(await d.ctl('has', 'db'), { code: 0, stdout: '', stderr: '' })
    assert.deepEqual(await d.ctl('has', 'nope'), { code: 1, stdout: '', stderr: '' })

    assert.equal((await d.ctl('path', 'db')).stdout, '/mnt/host-data/db\n')
    assert.equal((await d.ctl('path', '--scope=host', 'db')).stdout, '/mnt/host-data/db\n')
    assert.equal((await d.ctl('path', '--scope=container', 'db')).stdout, path.join(d.dataPath, 'db') + '\n')
    assert.equal((await d.ctl('path', '--scope=moon', 'db')).code, 2)
    const missing = await d.ctl('path', 'nope')
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^NS_NOT_FOUND/)

    const secret = (await d.ctl('secret', 'db')).stdout.trim()
    const ro = (await d.ctl('secret', '--read-only', 'db')).stdout.trim()
    assert.match(ro, /^B[A-Z2-7]{103}$/)
    const { parseSecret } = await import('../../src/secrets.js')
    assert.equal(readOnlySecret(await parseSecret(secret)), ro)

    await writeFile(path.join(d.dataPath, 'db', 'keep.txt'), 'x')
    assert.equal((await d.ctl('del', '--keep-data', 'db')).code, 0)
    assert.equal(await readFile(path.join(d.dataPath, 'db', 'keep.txt'), 'utf8'), 'x')
    assert.equal((await d.ctl('del', 'web')).code, 0)
    await assert.rejects(stat(path.join(d.dataPath, 'web')), /ENOENT/)
    assert.equal((await d.ctl('list')).stdout, 'cache\n')
    assert.equal((await d.ctl('del', 'web')).code, 1)
  })

  it('joins read-only and blind namespaces and hands out only what it holds', async () => {
    const d = await daemon()
    assert.equal((await d.ctl('add', `--secret=${B_SECRET}`, 'ro')).code, 0)
    assert.equal((await d.ctl('add', `--secret=${OTHER_C_SECRET}`, 'blind')).code, 0)
    const rw = await d.ctl('secret', 'ro')
    assert.equal(rw.code, 1)
    assert.match(rw.stderr, /^NOT_WRITABLE: .*read-only secret/)
    assert.equal((await d.ctl('secret', '--read-only', 'ro')).stdout, B_SECRET + '\n')
    assert.equal((await d.ctl('secret', '--read-only', 'blind')).code, 1)
    const listed = JSON.parse((await d.ctl('list', '--json')).stdout) as Array<{ name: string, kind: string, readOnly: boolean, blind: boolean }>
    assert.deepEqual(listed.map((x) => [x.name, x.kind, x.readOnly, x.blind]), [['blind', 'blind', true, true], ['ro', 'read-only', true, false]])
  })

  it('usage errors exit 2', async () => {
    const d = await daemon()
    for (const args of [['bogus'], ['add'], ['add', 'a', 'b'], ['list', '--nope']]) {
      assert.equal((await d.ctl(...args)).code, 2, args.join(' '))
    }
    assert.equal((await d.ctl('--help')).code, 0)
  })

  it('20 concurrent adds all land, each with its own index', async () => {
    const d = await daemon()
    const names = Array.from({ length: 20 }, (_, i) => `ns${String(i).padStart(2, '0')}`)
    const results = await Promise.all(names.map(async (n) => await d.ctl('add', n)))
    assert.deepEqual(results.map((r) => r.code), names.map(() => 0), results.map((r) => r.stderr).join(''))
    assert.equal((await d.ctl('list')).stdout, names.join(' ') + '\n')
    const file = JSON.parse(await readFile(path.join(d.dataPath, '.shoal', 'config.json'), 'utf8')) as { namespaces: Array<{ index: number }> }
    assert.equal(new Set(file.namespaces.map((r) => r.index)).size, 20)
  })

  it('keeps namespaces across a clean restart and across SIGKILL', async () => {
    const dataPath = await tmpDir(teardown)
    const d1 = await daemon({}, dataPath)
    const secret = (await d1.ctl('add', 'photos')).stdout.trim()
    assert.equal((await d1.ctl('add', `--secret=${B_SECRET}`, 'ro')).code, 0)
    assert.equal(await d1.stop('SIGTERM'), 0)
    const cfg = path.join(dataPath, '.shoal', 'config.json')
    assert.equal((await stat(cfg)).mode & 0o777, 0o600)

    const d2 = await daemon({}, dataPath)
    assert.equal((await d2.ctl('list')).stdout, 'photos ro\n')
    assert.equal((await d2.ctl('secret', 'photos')).stdout.trim(), secret)
    await d2.ctl('add', 'late')
    assert.equal(await d2.stop('SIGKILL'), null)

    const d3 = await daemon({}, dataPath) // the killed daemon's socket file is still there
    assert.equal((await d3.ctl('list')).stdout, 'late photos ro\n')
  })

  it('refuses a second daemon on the same data path', async () => {
    const d = await daemon()
    const second = await startDaemon({ dataPath: d.dataPath, expectExit: true })
    assert.equal(await second.exited, 1)
    assert.match(second.log, /another shoal daemon is running/)
    assert.equal((await d.ctl('list')).code, 0, 'the first one is unaffected')
  })

  it('adds SHOAL_NAMESPACES at start, idempotently, and refuses bad entries', async () => {
    const dataPath = await tmpDir(teardown)
    const env = { SHOAL_NAMESPACES: `app:${A_SECRET},mirror:${OTHER_B_SECRET}` }
    const d1 = await daemon(env, dataPath)
    assert.equal((await d1.ctl('list')).stdout, 'app mirror\n')
    assert.equal((await d1.ctl('secret', 'app')).stdout.trim(), A_SECRET)
    await d1.stop()
    const d2 = await daemon(env, dataPath)
    assert.equal((await d2.ctl('list')).stdout, 'app mirror\n')
    await d2.stop()

    const bad = await startDaemon({ dataPath, env: { SHOAL_NAMESPACES: 'Bad/Name:' + A_SECRET }, expectExit: true })
    assert.equal(await bad.exited, 1)
    assert.match(bad.log, /BAD_NAME/)
  })

  it('`shoal bootstrap SECRET NAME` runs a node with that namespace', async () => {
    const dataPath = await tmpDir(teardown)
    const d = await startDaemon({ dataPath, args: ['bootstrap', A_SECRET, 'sidekick'] })
    teardown(async () => { await d.stop('SIGKILL') })
    assert.equal((await d.ctl('list')).stdout, 'sidekick\n')
    assert.equal((await d.ctl('secret', 'sidekick')).stdout.trim(), A_SECRET)
  })

  it('stops cleanly on SIGTERM and removes its socket', async () => {
    const d = await daemon()
    assert.equal(await d.stop('SIGTERM'), 0)
    assert.match(d.log, /SIGTERM: closing/)
    await assert.rejects(stat(d.socket), /ENOENT/)
  })
})

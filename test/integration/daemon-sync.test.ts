// Replication between real daemons (separate processes and DATA_PATHs) on a private DHT bootstrap on
// loopback: SHOAL_DHT_PORT on the first node, SHOAL_BOOTSTRAP on all of them.
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startDaemon, type TestDaemon } from '../helpers/daemon.js'
import { freeUdpPort } from '../helpers/ports.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'
import { until } from '../helpers/tmp.js'

const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '')

describe('replication between daemons (loopback, private bootstrap)', function () {
  this.timeout(120_000)
  const teardown = useTeardown()

  async function cluster (n: number): Promise<TestDaemon[]> {
    const port = await freeUdpPort()
    const bootstrap = `127.0.0.1:${port}`
    const nodes: TestDaemon[] = []
    for (let i = 0; i < n; i++) {
      const env: Record<string, string> = { SHOAL_BOOTSTRAP: bootstrap, ...(i === 0 ? { SHOAL_DHT_PORT: String(port) } : {}) }
      nodes.push(await start(await tmpDir(teardown), env))
    }
    return nodes
  }

  async function start (dataPath: string, env: Record<string, string>): Promise<TestDaemon> {
    const d = await startDaemon({ dataPath, env })
    teardown(async () => { await d.stop('SIGKILL') })
    return d
  }

  async function join (nodes: TestDaemon[], name: string, secretOf = (s: string) => s): Promise<string> {
    const first = nodes[0] as TestDaemon
    const secret = (await first.ctl('add', name)).stdout.trim()
    for (const d of nodes.slice(1)) {
      const r = await d.ctl('add', `--secret=${secretOf(secret)}`, name)
      assert.equal(r.code, 0, r.stderr)
    }
    return secret
  }

  const folder = (d: TestDaemon, name: string, file = ''): string => path.join(d.dataPath, name, file)

  it('two daemons replicate both ways; status, peers and wait report it', async () => {
    const [a, b] = await cluster(2) as [TestDaemon, TestDaemon]
    await join([a, b], 'photos')
    await writeFile(folder(a, 'photos', 'from-a.txt'), 'hello from a')
    await mkdir(folder(b, 'photos', 'dir b'))
    await writeFile(folder(b, 'photos', 'dir b/ünicode.txt'), 'hello from b')
    await until(async () => (await read(folder(b, 'photos', 'from-a.txt'))) === 'hello from a', 'a → b', 30_000)
    await until(async () => (await read(folder(a, 'photos', 'dir b/ünicode.txt'))) === 'hello from b', 'b → a', 30_000)
    const wait = await b.ctl('wait', '--timeout=20', 'photos')
    assert.equal(wait.code, 0, wait.stderr)
    const status = JSON.parse((await b.ctl('status', '--json', 'photos')).stdout) as { peers: number, files: number, readOnly: boolean, paused: string | null }
    assert.equal(status.peers, 1)
    assert.equal(status.files, 2)
    assert.equal(status.paused, null)
    const peers = JSON.parse((await a.ctl('peers', '--json')).stdout) as Array<{ namespaces: string[] }>
    assert.deepEqual(peers.map((p) => p.namespaces), [['photos']])
    const text = (await a.ctl('status')).stdout
    assert.match(text, /photos: (idle|syncing)/)
    assert.match(text, /peers +1/)
  })

  it('`ctl wait` returns when a peer that joined later never wrote anything', async () => {
    // A writer drive nobody wrote to has a core of length 0 (hyperbee calls that version 1), and
    // never appends: the peer that follows it must not wait for a merge of it that never comes.
    const [a, b] = await cluster(2) as [TestDaemon, TestDaemon]
    const secret = (await a.ctl('add', 'quiet')).stdout.trim()
    await writeFile(folder(a, 'quiet', 'only-a.txt'), 'a')
    await until(async () => JSON.parse((await a.ctl('status', '--json', 'quiet')).stdout).state === 'idle', 'a idle', 20_000)
    assert.equal((await b.ctl('add', `--secret=${secret}`, 'quiet')).code, 0)
    await until(async () => (await read(folder(b, 'quiet', 'only-a.txt'))) === 'a', 'a → b', 30_000)
    for (const d of [a, b]) {
      const wait = await d.ctl('wait', '--timeout=15', 'quiet')
      assert.equal(wait.code, 0, wait.stderr)
    }
  })

  it('mass delete pauses publishing until `ctl resume`; a restarted daemon catches up', async () => {
    const [a, b] = await cluster(2) as [TestDaemon, TestDaemon]
    await join([a, b], 'docs')
    await Promise.all(Array.from({ length: 120 }, async (_, i) => await writeFile(folder(a, 'docs', `f${i}`), String(i))))
    assert.equal((await b.ctl('wait', '--timeout=30', 'docs')).code, 0)
    await until(async () => (await readdir(folder(b, 'docs'))).length === 120, '120 files on b', 30_000)
    for (const f of await readdir(folder(a, 'docs'))) await rm(folder(a, 'docs', f))
    await until(async () => JSON.parse((await a.ctl('status', '--json', 'docs')).stdout).paused === 'mass-delete', 'paused', 30_000)
    assert.match((await a.ctl('status', 'docs')).stdout, /paused: mass-delete/)
    assert.equal((await a.ctl('wait', '--timeout=1', 'docs')).code, 1, 'wait fails while paused')
    assert.equal((await readdir(folder(b, 'docs'))).length, 120, 'nothing deleted on b')
    assert.equal((await a.ctl('resume', 'docs')).code, 0)
    await until(async () => (await readdir(folder(b, 'docs'))).length === 0, 'deletions after resume', 30_000)

    // b goes down, a writes, b comes back and catches up.
    assert.equal(await b.stop('SIGTERM'), 0)
    await writeFile(folder(a, 'docs', 'while-b-was-down'), 'x')
    const b2 = await start(b.dataPath, b.env)
    await until(async () => (await read(folder(b2, 'docs', 'while-b-was-down'))) === 'x', 'b caught up after restart', 30_000)
  })

  it('a read-only daemon receives and never publishes; a blind daemon keeps its folder empty', async () => {
    const [a, r, x] = await cluster(3) as [TestDaemon, TestDaemon, TestDaemon]
    const secret = (await a.ctl('add', 'media')).stdout.trim()
    const ro = (await a.ctl('secret', '--read-only', 'media')).stdout.trim()
    assert.equal((await r.ctl('add', `--secret=${ro}`, 'media')).code, 0)
    const { blindSecret, parseSecret } = await import('../../src/secrets.js')
    assert.equal((await x.ctl('add', `--secret=${blindSecret(await parseSecret(secret))}`, 'media')).code, 0)
    await writeFile(folder(a, 'media', 'song'), 'la la la')
    await until(async () => (await read(folder(r, 'media', 'song'))) === 'la la la', 'song on the read-only node', 30_000)
    await writeFile(folder(r, 'media', 'local'), 'not published')
    const rs = JSON.parse((await r.ctl('status', '--json', 'media')).stdout) as { readOnly: boolean }
    assert.equal(rs.readOnly, true)
    assert.match((await r.ctl('status', 'media')).stdout, /read-only/)
    await until(async () => JSON.parse((await x.ctl('status', '--json', 'media')).stdout).bytes > 0, 'blind node stores data', 30_000)
    assert.deepEqual(await readdir(folder(x, 'media')), [])
    await writeFile(folder(a, 'media', 'song2'), 'again')
    await until(async () => (await read(folder(r, 'media', 'song2'))) === 'again', 'song2 on the read-only node', 30_000)
    assert.deepEqual((await readdir(folder(a, 'media'))).sort(), ['song', 'song2'])
  })
})

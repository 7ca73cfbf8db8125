// Three hosts in network namespaces on a bridge, each running a real daemon; one runs the DHT
// bootstrapper. Skipped, with the reason, where the machine does not allow network namespaces.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createHosts, netnsUnavailable } from '../helpers/netns.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'
import { until } from '../helpers/tmp.js'

const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '')
const DHT_PORT = '49737'

describe('three hosts in network namespaces', function () {
  this.timeout(120_000)
  const teardown = useTeardown()

  before(async function () {
    const why = await netnsUnavailable()
    if (why !== null) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
  })

  it('find each other through a bootstrapper on one host, replicate every way, and reconnect after a restart', async () => {
    const { hosts, destroy } = await createHosts(3)
    teardown(destroy)
    const bootstrap = `${hosts[0]?.ip ?? ''}:${DHT_PORT}`
    const start = async (i: number, dataPath?: string): Promise<TestDaemon> => {
      const host = hosts[i]
      if (host === undefined) throw new Error('no such host')
      const env = { SHOAL_BOOTSTRAP: bootstrap, ...(i === 0 ? { SHOAL_DHT_PORT: DHT_PORT } : {}) }
      const d = await startDaemon({ dataPath: dataPath ?? await tmpDir(teardown), env, prefix: host.prefix })
      teardown(async () => { await d.stop('SIGKILL') })
      return d
    }
    const nodes = [await start(0), await start(1), await start(2)]
    const [a, b, c] = nodes as [TestDaemon, TestDaemon, TestDaemon]
    const secret = (await a.ctl('add', 'shared')).stdout.trim()
    const t0 = Date.now()
    await Promise.all([b.ctl('add', `--secret=${secret}`, 'shared'), c.ctl('add', `--secret=${secret}`, 'shared')])
    const peers = async (d: TestDaemon): Promise<number> => JSON.parse((await d.ctl('status', '--json', 'shared')).stdout).peers as number
    await until(async () => (await peers(a)) === 2 && (await peers(b)) === 2 && (await peers(c)) === 2, 'a full mesh', 30_000, 25)
    console.log(`      full mesh of 3 after ${Date.now() - t0} ms`)

    const file = (d: TestDaemon, name: string): string => path.join(d.dataPath, 'shared', name)
    await writeFile(file(a, 'from-a'), 'A')
    await writeFile(file(c, 'from-c'), 'C')
    for (const d of nodes) {
      await until(async () => (await read(file(d, 'from-a'))) === 'A' && (await read(file(d, 'from-c'))) === 'C', 'every file everywhere', 30_000)
    }
    assert.equal((await b.ctl('wait', '--timeout=20', 'shared')).code, 0)

    assert.equal(await b.stop('SIGTERM'), 0)
    await writeFile(file(a, 'while-b-was-down'), 'later')
    const b2 = await start(1, b.dataPath)
    await until(async () => (await read(file(b2, 'while-b-was-down'))) === 'later', 'b caught up after restart', 30_000)
    await until(async () => (await peers(b2)) === 2, 'b reconnected to both', 30_000)
  })
})

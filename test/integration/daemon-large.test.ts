// Large files between real daemons: they come straight from the writer's folder over a side link
// (engine/side-links.ts, engine/content.ts), checked against the entry's hash before they land.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { startDaemon, type TestDaemon } from '../helpers/daemon.js'
import { freeUdpPort } from '../helpers/ports.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'
import { until } from '../helpers/tmp.js'

const MIB = 1 << 20
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const shaOf = async (file: string): Promise<string> => sha(await readFile(file).catch(() => Buffer.alloc(0)))

describe('large files between daemons', function () {
  this.timeout(180_000)
  const teardown = useTeardown()

  async function start (dataPath: string, env: Record<string, string>): Promise<TestDaemon> {
    const d = await startDaemon({ dataPath, env: { DEBUG: 'shoal:*', ...env } })
    teardown(async () => { await d.stop('SIGKILL') })
    return d
  }

  async function two (envA: Record<string, string> = {}): Promise<{ a: TestDaemon, b: TestDaemon, bootstrap: string }> {
    const port = await freeUdpPort()
    const bootstrap = `127.0.0.1:${port}`
    const a = await start(await tmpDir(teardown), { SHOAL_BOOTSTRAP: bootstrap, SHOAL_DHT_PORT: String(port), ...envA })
    const b = await start(await tmpDir(teardown), { SHOAL_BOOTSTRAP: bootstrap })
    const secret = (await a.ctl('add', 'big')).stdout.trim()
    assert.equal((await b.ctl('add', `--secret=${secret}`, 'big')).code, 0)
    await until(async () => (JSON.parse((await b.ctl('status', '--json', 'big')).stdout) as { peers: number }).peers === 1, 'peers', 30_000)
    return { a, b, bootstrap }
  }

  /** Writes `mib` MiB of random bytes to A's folder; returns their hash. */
  async function writeBig (a: TestDaemon, mib: number): Promise<string> {
    const h = createHash('sha256')
    const ws = createWriteStream(path.join(a.dataPath, 'big', 'big.bin'))
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(MIB)
      h.update(chunk)
      if (!ws.write(chunk)) await new Promise<void>((resolve) => { ws.once('drain', () => { resolve() }) })
    }
    await new Promise<void>((resolve) => { ws.end(() => { resolve() }) })
    return h.digest('hex')
  }

  /** Polls B's folder until big.bin has `hash`; any other content seen there fails the test. */
  async function arrives (b: TestDaemon, hash: string): Promise<void> {
    const file = path.join(b.dataPath, 'big', 'big.bin')
    await until(async () => {
      const names = await readdir(path.dirname(file)).catch(() => [] as string[])
      if (!names.includes('big.bin')) return false
      const got = await shaOf(file)
      assert.equal(got, hash, 'only the whole, right content ever appears')
      return true
    }, 'big.bin on B', 120_000, 50)
  }

  it('a large file comes straight from the writer\'s folder, byte-identical', async () => {
    const { a, b } = await two()
    const hash = await writeBig(a, 48)
    await arrives(b, hash)
    assert.match(a.log, /served big\.bin: 48\.0 MiB/)
    assert.deepEqual((await readdir(path.join(b.dataPath, 'big'))).filter((n) => n.startsWith('.shoal.tmp.')), [])
  })

  it('a large file deleted while its writer still stores the blob: the delete travels too', async () => {
    const { a, b } = await two()
    await writeBig(a, 128)
    // B has it long before A has stored its blob (the transfer goes first).
    await until(async () => (await readdir(path.join(b.dataPath, 'big'))).includes('big.bin'), 'big.bin on B', 120_000, 10)
    await rm(path.join(a.dataPath, 'big', 'big.bin'))
    await until(async () => !(await readdir(path.join(b.dataPath, 'big'))).includes('big.bin'), 'the delete on B', 60_000)
  })

  it('wrong bytes from a peer never land: the file comes from the drive instead', async () => {
    const { a, b } = await two({ SHOAL_TEST_CORRUPT_DIRECT: '1' })
    const hash = await writeBig(a, 24)
    await arrives(b, hash)
    assert.match(b.log, /sent big\.bin with the wrong content/)
  })

  it('a receiver killed mid-transfer shows no half file, and has the whole file after a restart', async () => {
    const { a, b, bootstrap } = await two()
    const hash = await writeBig(a, 160)
    const dir = path.join(b.dataPath, 'big')
    await until(async () => (await readdir(dir)).some((n) => n.startsWith('.shoal.tmp.')), 'a transfer under way', 60_000, 10)
    await b.stop('SIGKILL')
    // Killed mid-transfer, as a rule; but the transfer may have ended between the last look and the
    // kill (160 MiB take ~1 s over the side link): then the file there must be whole.
    if ((await readdir(dir)).includes('big.bin')) assert.equal(await shaOf(path.join(dir, 'big.bin')), hash, 'no half file')
    const again = await start(b.dataPath, { SHOAL_BOOTSTRAP: bootstrap })
    await arrives(again, hash)
  })
})

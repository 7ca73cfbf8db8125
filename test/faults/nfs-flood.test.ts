// The NFS flood, long version: more attackers, more stalled records, 30 s.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { startDaemon } from '../helpers/daemon.js'
import { flood, freeTcpPort } from '../helpers/flood.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'

const MiB = 1 << 20

describe('faults: NFS flood (long)', function () {
  this.timeout(180_000)
  const teardown = useTeardown()

  it('12 malformed clients, 64 stalled 1 MiB records, 4 valid clients for 30 s', async () => {
    const port = await freeTcpPort()
    const d = await startDaemon({ dataPath: await tmpDir(teardown), env: { SHOAL_NFS_PORT: String(port) } })
    teardown(async () => { await d.stop('SIGKILL') })
    assert.equal((await d.ctl('add', 'data')).code, 0)
    await writeFile(`${d.dataPath}/data/hello.txt`, 'hello')
    const r = await flood({ port, pid: d.proc.pid as number, ns: 'data', file: 'hello.txt', attackers: 12, validClients: 4, slow: 64, durationMs: 30_000, maxRecords: 40_000 })
    console.log(`      ${r.malformedSent} malformed records over ${r.attackerConnections} connections + 64 stalled 1 MiB records; ` +
      `valid: ${r.validOk} ok, ${r.validFailed} failed, p50 ${r.validP50Ms} ms, p99 ${r.validP99Ms} ms, max ${r.validMaxMs} ms; ` +
      `RSS ${(r.rssBefore / MiB).toFixed(0)} → peak ${(r.rssPeak / MiB).toFixed(0)} → ${(r.rssAfter / MiB).toFixed(0)} MiB`)
    assert.ok(d.running)
    assert.equal(r.validFailed, 0)
    assert.ok(r.validP99Ms < 2000)
    assert.ok(r.rssPeak - r.rssBefore < 256 * MiB, `RSS grew by ${((r.rssPeak - r.rssBefore) / MiB).toFixed(0)} MiB`)
  })
})

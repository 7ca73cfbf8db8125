// The NFS port of a real daemon under a bounded flood of malformed requests from several clients,
// with valid clients beside them: the valid ones keep being served, the daemon's RSS stays bounded.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { startDaemon } from '../helpers/daemon.js'
import { flood, freeTcpPort } from '../helpers/flood.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'

const MiB = 1 << 20

describe('faults: NFS flood (short)', function () {
  this.timeout(90_000)
  const teardown = useTeardown()

  it('serves valid clients through malformed floods from several clients; RSS stays bounded', async () => {
    const port = await freeTcpPort()
    const d = await startDaemon({ dataPath: await tmpDir(teardown), env: { SHOAL_NFS_PORT: String(port) } })
    teardown(async () => { await d.stop('SIGKILL') })
    assert.equal((await d.ctl('add', 'data')).code, 0)
    await writeFile(`${d.dataPath}/data/hello.txt`, 'hello')
    const r = await flood({ port, pid: d.proc.pid as number, ns: 'data', file: 'hello.txt', attackers: 6, validClients: 3, slow: 16, durationMs: 6000, maxRecords: 4000 })
    console.log(`      ${r.malformedSent} malformed records over ${r.attackerConnections} connections + 16 stalled 1 MiB records; ` +
      `valid: ${r.validOk} ok, ${r.validFailed} failed, p50 ${r.validP50Ms} ms, p99 ${r.validP99Ms} ms, max ${r.validMaxMs} ms; ` +
      `RSS ${(r.rssBefore / MiB).toFixed(0)} → peak ${(r.rssPeak / MiB).toFixed(0)} → ${(r.rssAfter / MiB).toFixed(0)} MiB`)
    assert.ok(d.running, 'the daemon survived')
    assert.equal(r.validFailed, 0, 'every valid request answered OK')
    assert.ok(r.validOk > 100, `valid clients were served (${r.validOk})`)
    assert.ok(r.validP99Ms < 2000, `p99 latency of valid requests ${r.validP99Ms} ms`)
    assert.ok(r.rssPeak - r.rssBefore < 192 * MiB, `RSS grew by ${((r.rssPeak - r.rssBefore) / MiB).toFixed(0)} MiB`)
    // Still serving after the flood, and ctl still answers.
    assert.equal((await d.ctl('status', 'data')).code, 0)
  })
})

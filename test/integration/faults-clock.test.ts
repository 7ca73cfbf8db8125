// Clock skew of ±10 minutes between nodes (SHOAL_CLOCK_SKEW_MS, a test hook read by config.ts and
// added to the HLC's wall clock): a causal successor still wins, with no conflict copy.
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import type { TestDaemon } from '../helpers/daemon.js'
import { folderOf, joinAll, loopbackCluster, statusOf } from '../helpers/cluster.js'
import { useTeardown } from '../helpers/teardown.js'
import { until } from '../helpers/tmp.js'

const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '')
const TEN_MINUTES = 10 * 60_000

describe('faults: clock skew ±10 minutes', function () {
  this.timeout(120_000)
  const teardown = useTeardown()

  it('an edit made after seeing another node\'s edit wins, whichever clock is ahead', async () => {
    const { nodes } = await loopbackCluster(teardown, 2, (i) => ({ SHOAL_CLOCK_SKEW_MS: String(i === 0 ? TEN_MINUTES : -TEN_MINUTES) }))
    const [ahead, behind] = nodes as [TestDaemon, TestDaemon]
    await joinAll(nodes, 'skew')
    await until(async () => (await statusOf(ahead, 'skew')).peers === 1, 'connected', 30_000, 50)
    const file = (d: TestDaemon, name: string): string => folderOf(d, 'skew', name)
    const both = async (name: string, text: string): Promise<void> => {
      for (const d of nodes) await until(async () => (await read(file(d, name))) === text, `${name} = ${text} on ${d.dataPath}`, 30_000)
    }

    // Ahead writes, behind (20 minutes behind it) edits after seeing it, ahead edits again.
    await writeFile(file(ahead, 'doc.txt'), 'v1 from ahead')
    await both('doc.txt', 'v1 from ahead')
    await writeFile(file(behind, 'doc.txt'), 'v2 from behind, 20 minutes slower')
    await both('doc.txt', 'v2 from behind, 20 minutes slower')
    await writeFile(file(ahead, 'doc.txt'), 'v3 from ahead again')
    await both('doc.txt', 'v3 from ahead again')

    // The other way round: behind writes first.
    await writeFile(file(behind, 'other.txt'), 'o1 from behind')
    await both('other.txt', 'o1 from behind')
    await writeFile(file(ahead, 'other.txt'), 'o2 from ahead, after seeing o1')
    await both('other.txt', 'o2 from ahead, after seeing o1')
    await writeFile(file(behind, 'other.txt'), 'o3 from behind, after seeing o2')
    await both('other.txt', 'o3 from behind, after seeing o2')

    for (const d of nodes) {
      assert.equal((await d.ctl('wait', '--timeout=20', 'skew')).code, 0)
      assert.deepEqual((await readdir(folderOf(d, 'skew'))).sort(), ['doc.txt', 'other.txt'], 'no conflict copies')
    }
  })
})

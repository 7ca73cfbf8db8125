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

    // Each edit is made after the previous one arrived: a chain of causal successors.
    const chain = async (name: string, steps: Array<[TestDaemon, string]>): Promise<void> => {
      for (const [d, text] of steps) {
        await writeFile(file(d, name), text)
        await both(name, text)
      }
    }
    // Ahead writes, behind (20 minutes behind it) edits after seeing it, ahead edits again…
    await chain('doc.txt', [[ahead, 'v1 from ahead'], [behind, 'v2 from behind, 20 minutes slower'], [ahead, 'v3 from ahead again']])
    // …and the other way round: behind writes first.
    await chain('other.txt', [[behind, 'o1 from behind'], [ahead, 'o2 from ahead, after seeing o1'], [behind, 'o3 from behind, after seeing o2']])

    for (const d of nodes) {
      assert.equal((await d.ctl('wait', '--timeout=20', 'skew')).code, 0)
      assert.deepEqual((await readdir(folderOf(d, 'skew'))).sort(), ['doc.txt', 'other.txt'], 'no conflict copies')
    }
  })
})

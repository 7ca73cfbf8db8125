import assert from 'node:assert/strict'
import { JobLoop, type Jobs } from '../../../src/namespace/job-loop.js'

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Jobs that record what ran; `scans` local changes are waiting. */
function recorder (over: Partial<Jobs> = {}): { jobs: Jobs, log: string[], states: string[], wanted: { scans: number } } {
  const log: string[] = []
  const states: string[] = []
  const wanted = { scans: 0 }
  const jobs: Jobs = {
    scanWanted: () => wanted.scans > 0,
    scan: async () => { log.push('scan'); wanted.scans = 0; await tick(5) },
    merge: async () => { log.push('merge'); await tick(5) },
    runnable: () => true,
    state: (s) => { states.push(s) },
    settled: () => {},
    beforeRetry: () => { log.push('retry') },
    ...over
  }
  return { jobs, log, states, wanted }
}

/** Polls until `cond` holds (the loop's timers are real: awaited, not slept through). */
async function waitFor (what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await tick(5) }
}

const until = async (loop: JobLoop): Promise<void> => { await waitFor('loop idle', () => !loop.busy) }

describe('namespace/job loop', () => {
  it('coalesces a burst of requests into one run: the scan first, then one merge', async () => {
    const r = recorder()
    const loop = new JobLoop(r.jobs)
    r.wanted.scans = 3
    for (let i = 0; i < 50; i++) { loop.requestMerge(); loop.kickSoon() }
    await tick(30)
    await until(loop)
    assert.deepEqual(r.log, ['scan', 'merge'])
    assert.deepEqual(r.states, ['syncing', 'idle'])
    await loop.stop()
  })

  it('never runs two jobs at once: a merge asked for during a merge follows it in the same run', async () => {
    let inside = 0
    let most = 0
    let loop!: JobLoop
    let asked = false
    const r = recorder({
      merge: async () => {
        most = Math.max(most, ++inside)
        if (!asked) { asked = true; loop.requestMerge(); loop.kick() }
        await tick(10)
        inside--
      }
    })
    loop = new JobLoop(r.jobs)
    loop.requestMerge()
    await tick(30)
    await until(loop)
    assert.equal(most, 1)
    assert.equal(asked, true)
    await loop.stop()
  })

  it('a failed run reports the error, then retries by itself after rescanning everything', async () => {
    let fail = true
    const r = recorder({ merge: async () => { if (fail) { fail = false; throw new Error('disk on fire') } } })
    const errors: string[] = []
    const state = r.jobs.state
    r.jobs.state = (s, err) => { if (err !== undefined) errors.push(err.message); state(s, err) }
    const loop = new JobLoop(r.jobs)
    loop.requestMerge()
    await tick(50)
    assert.deepEqual(errors, ['disk on fire'])
    assert.equal(r.states.at(-1), 'error')
    await waitFor('the retry', () => r.log.length > 0)
    await until(loop)
    assert.deepEqual(r.log, ['retry'])
    assert.equal(r.states.at(-1), 'idle')
    await loop.stop()
  })

  it('retryMergeIn backs off once, however often it is asked', async () => {
    const r = recorder()
    const loop = new JobLoop(r.jobs)
    for (let i = 0; i < 5; i++) loop.retryMergeIn(40)
    await tick(20)
    assert.deepEqual(r.log, [])
    await waitFor('the merge', () => r.log.length > 0)
    await until(loop)
    await tick(60) // a second timer would have fired by now
    assert.deepEqual(r.log, ['merge'])
    await loop.stop()
  })

  it('does nothing while not runnable, and stop() waits for the running job and starts no other', async () => {
    let runnable = false
    const r = recorder({ runnable: () => runnable, merge: async () => { r.log.push('merge'); await tick(30) } })
    const loop = new JobLoop(r.jobs)
    loop.requestMerge()
    await tick(30)
    assert.deepEqual(r.log, [])
    runnable = true
    loop.kick()
    await tick(5)
    loop.requestMerge()
    await loop.stop()
    assert.deepEqual(r.log, ['merge'])
    await tick(40)
    assert.deepEqual(r.log, ['merge'])
  })

  describe('under sustained churn', () => {
    /** Marks a change every 2 ms for `ms`, kicking like the watcher does. */
    async function churn (loop: JobLoop, wanted: { scans: number }, ms: number): Promise<void> {
      const end = Date.now() + ms
      while (Date.now() < end) { wanted.scans++; loop.kickSoon(); await tick(2) }
    }

    it('spaces the scans out, and publishes everything once the changes stop', async () => {
      const r = recorder()
      const loop = new JobLoop(r.jobs, { churnMinMs: 20, churnMaxMs: 80 })
      await churn(loop, r.wanted, 400)
      await until(loop)
      assert.equal(r.wanted.scans, 0)
      const scans = r.log.filter((x) => x === 'scan').length
      // Back to back (a 5 ms scan every ~5 ms) this was ~50 scans; paused 20, 40, 80, 80… about 8.
      assert.ok(scans >= 2 && scans <= 16, `${scans} scans`)
      // One run: the pauses are inside it, never idle in between.
      assert.deepEqual(r.states.filter((x) => x === 'idle'), ['idle'])
      await loop.stop()
    })

    it('a lone change after the churn is not held back by it', async () => {
      const r = recorder()
      const loop = new JobLoop(r.jobs, { churnMinMs: 400, churnMaxMs: 400 })
      await churn(loop, r.wanted, 30)
      await until(loop)
      const before = r.log.length
      const t0 = Date.now()
      r.wanted.scans = 1
      loop.kickSoon()
      await waitFor('the scan', () => r.log.length > before)
      assert.ok(Date.now() - t0 < 300, `${Date.now() - t0} ms`)
      await until(loop)
      await loop.stop()
    })

    /** A loop paused for a minute: a change came in while its first scan ran. */
    async function paused (): Promise<{ r: ReturnType<typeof recorder>, loop: JobLoop }> {
      const r = recorder({ scan: async () => { r.log.push('scan'); r.wanted.scans = r.log.length === 1 ? 1 : 0; await tick(5) } })
      const loop = new JobLoop(r.jobs, { churnMinMs: 60_000, churnMaxMs: 60_000 })
      r.wanted.scans = 1
      loop.kickSoon()
      await waitFor('the first scan', () => r.log.length > 0)
      await tick(30)
      assert.deepEqual(r.log, ['scan'])
      assert.equal(loop.busy, true)
      return { r, loop }
    }

    it('a merge asked for ends the pause: the pending scan, then the merge', async () => {
      const { r, loop } = await paused()
      loop.requestMerge()
      await until(loop)
      assert.deepEqual(r.log, ['scan', 'scan', 'merge'])
      await loop.stop()
    })

    it('stop() ends the pause at once', async () => {
      const { r, loop } = await paused()
      const t0 = Date.now()
      await loop.stop()
      assert.ok(Date.now() - t0 < 1000)
      assert.deepEqual(r.log, ['scan'])
    })
  })
})

import assert from 'node:assert/strict'
import { WorkerCalls } from '../../src/worker-calls.js'

type Ask = { echo: string } | { errno: string } | { exit: number } | { waitMs: number }
const THREAD = new URL('./fixtures/calls-thread.js', import.meta.url)

describe('worker calls', () => {
  let calls: WorkerCalls<Ask, string> | null = null
  afterEach(async () => { await calls?.stop() })

  it('answers each call by its number, also out of order of completion, after saying it is loaded', async () => {
    calls = new WorkerCalls(THREAD)
    assert.equal(calls.ready, false)
    const answers = await Promise.all([calls.call({ waitMs: 30 }), calls.call({ echo: 'a' }), calls.call({ echo: 'b' })])
    assert.deepEqual(answers, ['waited', 'a', 'b'])
    assert.equal(await calls.loaded, true)
    assert.equal(calls.ready, true)
    assert.equal(calls.pending, 0)
  })

  it('passes a thrown error on with its errno code, number, syscall and path', async () => {
    calls = new WorkerCalls(THREAD)
    await assert.rejects(calls.call({ errno: 'ENOSPC' }), (err: NodeJS.ErrnoException) =>
      err.code === 'ENOSPC' && err.errno === -2 && err.syscall === 'open' && err.path === '/x' && /asked for/.test(err.message))
    assert.equal(await calls.call({ echo: 'still serving' }), 'still serving')
  })

  it('a thread that exits fails every call it held, once, and says it is gone', async () => {
    let gone = 0
    calls = new WorkerCalls(THREAD, { onGone: () => { gone++ } })
    const exit = calls.call({ exit: 3 })
    const behind = calls.call({ echo: 'queued behind the exit' })
    await assert.rejects(exit, /exited \(3\)/)
    await assert.rejects(behind, /exited \(3\)/)
    assert.equal(gone, 1)
    assert.equal(calls.gone, true)
    await assert.rejects(calls.call({ echo: 'late' }), /stopped/)
  })

  it('stop() fails the calls still out and settles `loaded` for a thread that never loaded', async () => {
    calls = new WorkerCalls(THREAD)
    const out = calls.call({ echo: 'never' })
    await calls.stop()
    await assert.rejects(out, /stopped/)
    assert.equal(await calls.loaded, false)
  })
})

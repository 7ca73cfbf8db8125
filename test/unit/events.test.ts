import assert from 'node:assert/strict'
import { EventLog } from '../../src/events.js'

describe('events', () => {
  it('numbers events and returns what a client missed', () => {
    const log = new EventLog(3)
    for (const n of ['a', 'b', 'c', 'd']) log.publish({ type: 'namespace-added', namespace: n })
    assert.equal(log.lastId, 4)
    assert.deepEqual(log.since(2).map((e) => e.id), [3, 4])
    assert.deepEqual(log.since(0).map((e) => e.id), [2, 3, 4], 'older ones fell out of the buffer')
    assert.deepEqual(log.since(4), [])
  })

  it('long-polls for the next event', async () => {
    const log = new EventLog()
    const waiting = log.wait(0, 5000)
    log.publish({ type: 'node', message: 'hi' })
    assert.deepEqual((await waiting).map((e) => e.type), ['node'])
    assert.deepEqual(await log.wait(1, 0), [])
  })
})

import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { QuietGate, compactingCollection, type GateTimers, heapSpace, shrinkWhenStillQuiet } from '../../src/memory-trim.js'
import type { Logger } from '../../src/log.js'


describe('memory trim', function () {
  this.timeout(30_000)

  it('gives back old space left fragmented by a burst, which an ordinary full collection keeps', () => {
    // A burst that leaves one object in three alive, spread over every page it filled.
    const kept: object[] = []
    let burst: object[] | null = []
    for (let i = 0; i < 600_000; i++) {
      const o = { i, s: `x${i}`, a: [i] }
      if (i % 3 === 0) kept.push(o)
      else burst.push(o)
    }
    burst = null
    setFlagsFromString('--expose-gc')
    ;(runInNewContext('gc') as () => void)()
    const plain = heapSpace('old_space')
    const r = compactingCollection()
    // How much an ordinary collection keeps varies (10–30 MB here); the compacting one keeps
    // little beyond what is used, and less than the ordinary one by a few MB at least.
    assert.ok(r.after < r.used + 4 * 1048576, `committed ${r.after} for ${r.used} used`)
    assert.ok(r.after < plain.size - 4 * 1048576, `an ordinary collection kept ${plain.size} (${plain.used} used), the compacting one ${r.after}`)
    assert.equal(kept.length, 200_000)
    // The next ordinary collection does not compact everything again (the flag was for one only):
    // nothing to check from JavaScript but that it still runs.
    ;(runInNewContext('gc') as () => void)()
  })

  // V8 decides the shrink itself, from allocation rates it sampled (too heuristic for a test:
  // bench:scale's daemon logs show it); this checks the tries around it.
  it('collects again after quiet time while the young generation stays above its size at rest', async () => {
    const said: string[] = []
    const log = { debug: (m: string) => { said.push(m) } } as unknown as Logger
    const sizes = [8 << 20, 8 << 20, 1 << 20]
    let collections = 0
    const wait = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
    shrinkWhenStillQuiet(log, { delayMs: 20, tries: 5, size: () => sizes[collections] as number, collect: () => { collections++ } })
    await wait(200)
    assert.equal(collections, 2, 'the second collection shrank it: no third')
    assert.deepEqual(said.map((m) => /young generation (\S+) → (\S+) MiB/.exec(m)?.slice(1)), [['8.0', '8.0'], ['8.0', '1.0']])

    collections = 0
    shrinkWhenStillQuiet(log, { delayMs: 20, tries: 3, size: () => 8 << 20, collect: () => { collections++ } })
    await wait(200)
    assert.equal(collections, 3, 'at most `tries` collections')

    collections = 0
    shrinkWhenStillQuiet(log, { delayMs: 20, tries: 3, size: () => 1 << 20, collect: () => { collections++ } })
    await wait(60)
    assert.equal(collections, 0, 'nothing to shrink: no collection')
  })

  it('runs once no holder has been busy for the delay; new work puts a pending run off, it does not drop it', () => {
    // A manual clock: the gate's timer fires when the test says the time has come.
    let now = 0
    const pending = new Map<number, { at: number, run: () => void }>()
    let ids = 0
    const timers: GateTimers = {
      set: (run, ms) => { pending.set(++ids, { at: now + ms, run }); return ids },
      clear: (id) => { pending.delete(id as number) }
    }
    const advance = (ms: number): void => {
      now += ms
      for (const [id, t] of [...pending]) if (t.at <= now) { pending.delete(id); t.run() }
    }
    let runs = 0
    let busyCalls = 0
    const gate = new QuietGate(40, () => { runs++ }, () => { busyCalls++ }, timers)
    const a = {}
    const b = {}

    gate.busy(a)
    gate.done(a, true)
    advance(10)
    gate.busy(a) // the next burst starts inside the delay: the pending run waits for it
    advance(60)
    assert.equal(runs, 0, 'a run armed by one burst does not land inside the next')
    assert.equal(busyCalls, 2)
    gate.done(a, false) // that burst asks for nothing itself (an error): the first request stands
    advance(39)
    assert.equal(runs, 0)
    advance(1)
    assert.equal(runs, 1, 'the put-off run happens once everyone is quiet for the delay')

    gate.busy(b)
    gate.busy(a)
    gate.done(a, true) // a is done, b still busy: nothing yet
    advance(60)
    assert.equal(runs, 1, 'no run while another holder is busy')
    gate.done(b, false) // b leaves (closed, error) without asking: a's request still stands
    assert.equal(gate.quiet, true)
    advance(40)
    assert.equal(runs, 2, "the last holder's leaving runs what an earlier one asked for")

    gate.busy(a)
    gate.done(a, false)
    advance(60)
    assert.equal(runs, 2, 'nobody asked: no run')

    gate.busy(a)
    gate.done(a, true)
    gate.busy(b)
    advance(20)
    gate.done(b, true) // a second request moves the time
    advance(20)
    assert.equal(runs, 2)
    advance(20)
    assert.equal(runs, 3, 'one run for requests that fall within one delay')
    assert.equal(pending.size, 0)

    gate.busy(a) // work began while the run ran: it stops short and asks again
    gate.again()
    gate.done(a, false)
    advance(40)
    assert.equal(runs, 4, 'a run that stopped short runs again after the work')
  })
})

// Waiting for a condition that changes with an emitter's events, as `ctl wait` does: re-checked on
// every event and at least every RECHECK_MS (some changes emit nothing), bounded by a deadline.
import type { EventEmitter } from 'node:events'

const RECHECK_MS = 250

export interface WaitOptions {
  timeoutMs: number
  /** The event that may have changed the condition. */
  event: string
  /** Thrown at once when this turns true (the emitter is closing). */
  abort: () => Error | null
  /** Thrown when the deadline passes first. */
  timeout: () => Error
}

export async function waitUntil (emitter: EventEmitter, ready: () => boolean, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs
  while (!ready()) {
    const aborted = o.abort()
    if (aborted !== null) throw aborted
    const left = deadline - Date.now()
    if (left <= 0) throw o.timeout()
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(t); emitter.off(o.event, done); resolve() }
      const t = setTimeout(done, Math.min(left, RECHECK_MS))
      emitter.on(o.event, done)
    })
  }
}

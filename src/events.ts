// Typed node events with sequence ids. One stream serves the dashboard and `ctl watch`:
// `since(n)` returns what a client missed, `wait(n)` long-polls for the next one.
import { EventEmitter } from 'node:events'

export type NodeEventBody =
  | { type: 'namespace-added', namespace: string }
  | { type: 'namespace-removed', namespace: string, keptData: boolean }
  | { type: 'namespace-state', namespace: string, from: string, to: string, error?: string }
  | { type: 'namespace-progress', namespace: string, pending: number, pendingBytes: number }
  | { type: 'peer-connected', namespace: string, peer: string, address?: string }
  | { type: 'peer-disconnected', namespace: string, peer: string }
  | { type: 'conflict', namespace: string, path: string, copy: string }
  | { type: 'node', message: string }

export type NodeEvent = NodeEventBody & { id: number, time: string }

export class EventLog extends EventEmitter {
  #events: NodeEvent[] = []
  #next = 1
  readonly capacity: number

  constructor (capacity = 1000) {
    super()
    this.capacity = capacity
    this.setMaxListeners(0)
  }

  get lastId (): number { return this.#next - 1 }

  publish (body: NodeEventBody): NodeEvent {
    const event = { ...body, id: this.#next++, time: new Date().toISOString() } as NodeEvent
    this.#events.push(event)
    if (this.#events.length > this.capacity) this.#events.splice(0, this.#events.length - this.capacity)
    this.emit('event', event)
    return event
  }

  /** Events with id > `id` still in the buffer, oldest first. */
  since (id: number): NodeEvent[] {
    const first = this.#events[0]
    if (first === undefined || id < first.id - 1) return [...this.#events]
    return this.#events.slice(Math.max(0, id - first.id + 1))
  }

  /** Resolves with the events after `id`, waiting up to `timeoutMs` for the first one. */
  wait (id: number, timeoutMs: number, signal?: AbortSignal): Promise<NodeEvent[]> {
    const now = this.since(id)
    if (now.length > 0 || timeoutMs <= 0) return Promise.resolve(now)
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.off('event', done)
        signal?.removeEventListener('abort', done)
        resolve(this.since(id))
      }
      const timer = setTimeout(done, timeoutMs)
      this.on('event', done)
      signal?.addEventListener('abort', done)
    })
  }
}

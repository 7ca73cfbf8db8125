import type { Stat } from './types.js'

/**
 * Counts the mutations the vfs has finished (any file, any request). A stat remembered at one
 * count is stale once the count moves on: cheaper and safer than knowing which nodes a create,
 * rename or write touched (a create changes its directory, a rename two, a remove maybe a link
 * count elsewhere).
 */
export class MutationClock {
  #ticks = 0
  get now (): number { return this.#ticks }
  tick (): void { this.#ticks++ }
}

/**
 * The stats one request (a v3 call, a v4 COMPOUND) has already taken, by file key, so the
 * attributes a reply needs twice (LOOKUP then GETATTR, a CREATE's pre-op attributes and its
 * directory check) cost one file-system call. An entry is good only while the vfs has finished no
 * mutation since it was remembered (any mutation, by this request or another one), and the memo
 * itself lives no longer than its request: changes made outside NFS are seen by the next request.
 */
export class StatMemo {
  readonly #entries = new Map<string, { st: Stat, at: number }>()

  constructor (private readonly clock: MutationClock) {}

  get (key: string): Stat | undefined {
    const e = this.#entries.get(key)
    if (e === undefined) return undefined
    if (e.at === this.clock.now) return e.st
    this.#entries.delete(key)
    return undefined
  }

  /** `at`: the clock when the stat was asked for (default now); a mutation finished since makes it stale. */
  set (key: string, st: Stat, at = this.clock.now): Stat {
    if (at === this.clock.now) this.#entries.set(key, { st, at })
    return st
  }

  /** The remembered stat of `key`, else `load()`'s, remembered unless a mutation finished meanwhile. */
  async through (key: string, load: () => Promise<Stat>): Promise<Stat> {
    const known = this.get(key)
    if (known !== undefined) return known
    const at = this.clock.now
    return this.set(key, await load(), at)
  }

  clear (): void { this.#entries.clear() }
}

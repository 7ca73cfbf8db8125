// Hybrid logical clocks (Kulkarni et al.): a clock is one safe integer, physical milliseconds
// times 1024 plus a logical counter. It never goes backwards, stays close to wall time, and a node
// that observes a clock moves past it, so whatever a node writes after seeing an entry wins over it.
export const LOGICAL_BITS = 1024

export type Clock = number

/** The wall-clock milliseconds a clock was taken at (for conflict names and logs). */
export function clockTime (c: Clock): number {
  return Math.floor(c / LOGICAL_BITS)
}

export class Hlc {
  #last: Clock
  readonly #now: () => number

  constructor (last: Clock = 0, now: () => number = Date.now) {
    this.#last = last
    this.#now = now
  }

  get last (): Clock { return this.#last }

  /** A clock greater than every clock issued or observed so far. */
  tick (): Clock {
    const physical = this.#now() * LOGICAL_BITS
    this.#last = physical > this.#last ? physical : this.#last + 1
    return this.#last
  }

  /** Records a clock seen on another node's entry; the next tick() is past it. */
  observe (c: Clock): void {
    if (Number.isSafeInteger(c) && c > this.#last) this.#last = c
  }
}

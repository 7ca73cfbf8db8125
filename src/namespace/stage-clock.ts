/** Where a round's time went, for the debug log: milliseconds per named stage. */
export class StageClock {
  count = 0
  #t = performance.now()
  readonly #ms = new Map<string, number>()
  lap (stage: string): void {
    const now = performance.now()
    this.#ms.set(stage, (this.#ms.get(stage) ?? 0) + now - this.#t)
    this.#t = now
  }

  summary (): string { return [...this.#ms].map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ') }
}

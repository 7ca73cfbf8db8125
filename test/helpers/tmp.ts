import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

type Teardown = () => Promise<void> | void
const teardowns: Teardown[] = []

/** Registers a teardown run after the current test, last registered first. */
export function onTeardown (fn: Teardown): void {
  teardowns.push(fn)
}

export async function runTeardowns (): Promise<void> {
  while (teardowns.length > 0) {
    const fn = teardowns.pop()
    try { await fn?.() } catch { /* teardown is best effort */ }
  }
}

/** A fresh temp dir, removed after the test. */
export async function tmpDir (label = 'shoal'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${label}-`))
  onTeardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Polls `check` until it returns a truthy value (bounded). For observing a folder another process writes. */
export async function until<T> (check: () => Promise<T> | T, what: string, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

// Outside mocha (benchmarks reuse these helpers) the caller runs runTeardowns() itself.
if (typeof afterEach === 'function') afterEach(runTeardowns)

/** Runs the closes in order, once, however often it is called (a test may stop a node itself). */
export function closer (...closes: Array<{ close: () => Promise<void> }>): () => Promise<void> {
  let done: Promise<void> | null = null
  return async () => {
    done ??= (async () => { for (const c of closes) await c.close() })()
    await done
  }
}

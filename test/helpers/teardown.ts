// Register a teardown as soon as a resource exists; they run after each test, newest first.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

type Fn = () => unknown

export function useTeardown (): (fn: Fn) => void {
  const fns: Fn[] = []
  afterEach(async function () {
    this.timeout(30_000)
    while (fns.length > 0) {
      const fn = fns.pop() as Fn
      try { await fn() } catch (err) { console.error('teardown failed:', err) }
    }
  })
  return (fn) => { fns.push(fn) }
}

/** A fresh temporary directory, removed at teardown. Short, so unix socket paths fit. */
export async function tmpDir (teardown: (fn: Fn) => void, prefix = 'shoal-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

// The file system calls of each fs-batch.ts operation, written once and run two ways: with
// synchronous calls in the batch worker (fs-batch-thread.ts), and with libuv's pool on the calling
// thread for the few operations that come while the worker is stopped (fs-direct.ts). Each
// operation is a generator that yields the calls it makes, in order, and receives their results
// (or has their errors thrown into it), so the order, the clean-up on failure and the errors are
// the same either way. The generator costs well under a microsecond per call; the calls cost tens.
import type { Stats } from 'node:fs'
import type { FsOp } from './fs-batch.js'
import type { DiskEntry } from './scanner.js'

/** One system call. `write` writes the whole buffer at `position` 0 (more than one call if short). */
export type FsCall =
  | { c: 'lstat', path: string }
  | { c: 'readlink', path: string }
  | { c: 'readFile', path: string }
  | { c: 'unlink', path: string }
  | { c: 'rmdir', path: string }
  | { c: 'rename', from: string, to: string }
  | { c: 'open', path: string, flags: 'wx', mode: number }
  | { c: 'write', fd: number, data: Uint8Array }
  | { c: 'futimes', fd: number, time: Date }
  | { c: 'fchown', fd: number, uid: number, gid: number }
  | { c: 'fstat', fd: number }
  | { c: 'fchmod', fd: number, mode: number }
  | { c: 'close', fd: number }

/** Steps of an operation: yields calls, gets back what each returns. */
export type FsSteps<T> = Generator<FsCall, T, unknown>

export interface OpResult { stat: DiskEntry | null, data?: Uint8Array }

export function * opSteps (op: FsOp): FsSteps<OpResult> {
  if (op.t === 'stat') return { stat: yield * statSteps(op.abs) }
  if (op.t === 'read') {
    const data = (yield { c: 'readFile', path: op.abs }) as Uint8Array
    return { data, stat: yield * statSteps(op.abs) }
  }
  if (op.t === 'remove') {
    yield op.dir ? { c: 'rmdir', path: op.abs } : { c: 'unlink', path: op.abs }
    return { stat: null }
  }
  return { stat: yield * putSteps(op) }
}

/** An lstat as a DiskEntry (a link's target read); null when nothing, or nothing replicable, is there. */
export function * statSteps (abs: string): FsSteps<DiskEntry | null> {
  let st: Stats
  try {
    st = (yield { c: 'lstat', path: abs }) as Stats
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
  const d = toDiskEntry(st)
  if (d?.kind === 'link') d.target = (yield { c: 'readlink', path: abs }) as string
  return d
}

/**
 * Writes the content to the new file `tmp` with its mtime, owner and mode, then renames it over
 * the target: a reader sees the old file or the whole new one. Returns the temp file's stat (a
 * rename keeps it). On failure the temp file is removed and the error passed on.
 */
function * putSteps (op: Extract<FsOp, { t: 'put' }>): FsSteps<DiskEntry> {
  try {
    const fd = (yield { c: 'open', path: op.tmp, flags: 'wx', mode: op.mode }) as number
    let stat: DiskEntry
    try {
      yield { c: 'write', fd, data: op.data }
      yield { c: 'futimes', fd, time: new Date(op.mtimeMs) }
      if (op.owner !== null) {
        try { yield { c: 'fchown', fd, uid: op.owner.uid, gid: op.owner.gid } } catch { /* not permitted: keep ours */ }
      }
      const st = (yield { c: 'fstat', fd }) as Stats
      if ((st.mode & 0o777) !== op.mode) yield { c: 'fchmod', fd, mode: op.mode } // the umask took bits away
      stat = { kind: 'file', size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: op.mode, ino: st.ino }
    } finally {
      yield { c: 'close', fd }
    }
    yield { c: 'rename', from: op.tmp, to: op.abs }
    return stat
  } catch (err) {
    try { yield { c: 'unlink', path: op.tmp } } catch { /* never made, or renamed */ }
    throw err
  }
}

/** An lstat as a DiskEntry without its link target; null for what is not replicated. */
export function toDiskEntry (st: Stats): DiskEntry | null {
  const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : null
  if (kind === null) return null // sockets, fifos, devices: not replicated
  return { kind, size: kind === 'file' ? st.size : 0, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777, ino: st.ino }
}

/** Runs steps with `call` for each call, synchronously. */
export function runSteps<T> (steps: FsSteps<T>, call: (c: FsCall) => unknown): T {
  let next = steps.next()
  while (next.done !== true) {
    let result: unknown
    try {
      result = call(next.value)
    } catch (err) {
      next = steps.throw(err)
      continue
    }
    next = steps.next(result)
  }
  return next.value
}

/** Runs steps with `call` for each call, awaiting each. */
export async function runStepsAsync<T> (steps: FsSteps<T>, call: (c: FsCall) => Promise<unknown>): Promise<T> {
  let next = steps.next()
  while (next.done !== true) {
    let result: unknown
    try {
      result = await call(next.value)
    } catch (err) {
      next = steps.throw(err)
      continue
    }
    next = steps.next(result)
  }
  return next.value
}

// The worker side of fs-batch.ts: runs a batch of file system operations with synchronous calls,
// one after the other, and answers with one message per batch.
import { closeSync, fchmodSync, fchownSync, fstatSync, futimesSync, lstatSync, openSync, readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs'
import { serveCalls } from '../worker-calls.js'
import { own, toDiskEntry, type FsOp, type FsResult } from './fs-batch.js'
import type { DiskEntry } from './scanner.js'

function run (op: FsOp): FsResult {
  try {
    if (op.t === 'stat') return { ok: true, stat: stat(op.abs) }
    if (op.t === 'read') {
      const data = own(readFileSync(op.abs))
      return { ok: true, data, stat: stat(op.abs) }
    }
    if (op.t === 'remove') {
      if (op.dir) rmdirSync(op.abs)
      else unlinkSync(op.abs)
      return { ok: true, stat: null }
    }
    return { ok: true, stat: put(op) }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { ok: false, code: e.code, message: e.message }
  }
}

/** statEntry (scanner.ts), synchronously. */
function stat (abs: string): DiskEntry | null {
  try {
    return toDiskEntry(lstatSync(abs), () => readlinkSync(abs))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
}

/** Temp file with the content, mtime, owner and mode, then renamed over the target; its stat. */
function put (op: Extract<FsOp, { t: 'put' }>): DiskEntry {
  const data = op.data
  try {
    const fd = openSync(op.tmp, 'wx', op.mode)
    let stat
    try {
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off, off)
      const mtime = new Date(op.mtimeMs)
      futimesSync(fd, mtime, mtime)
      if (op.owner !== null) try { fchownSync(fd, op.owner.uid, op.owner.gid) } catch { /* not permitted: keep ours */ }
      const st = fstatSync(fd)
      if ((st.mode & 0o777) !== op.mode) fchmodSync(fd, op.mode) // the umask took bits away
      stat = { kind: 'file' as const, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: op.mode, ino: st.ino }
    } finally {
      closeSync(fd)
    }
    renameSync(op.tmp, op.abs)
    return stat
  } catch (err) {
    try { unlinkSync(op.tmp) } catch { /* never made, or renamed */ }
    throw err
  }
}

// Loaded once this runs: batches may come here now (until then small ones go to libuv, fs-batch.ts).
serveCalls((ops: FsOp[]) => ops.map(run))

// fs-batch.ts's operations made with the async fs API (libuv's pool) on the calling thread: for
// the few operations that come while the batch worker is stopped. Starting the worker for them
// cost 30–65 ms on each side of a sync (bench w3 with 3 s between changes: p50 184 ms against 55
// ms before the worker was ever stopped); a handful of libuv trips costs well under 1 ms.
// The same steps as fs-batch-thread.ts, in the same order, with the same results and errors.
import { open, readFile, rename, rmdir, unlink } from 'node:fs/promises'
import type { FsOp } from './fs-batch.js'
import { statEntry, type DiskEntry } from './scanner.js'

export async function runDirect (op: FsOp): Promise<{ stat: DiskEntry | null, data?: Uint8Array }> {
  if (op.t === 'stat') return { stat: await statEntry(op.abs) }
  if (op.t === 'read') {
    const data = await readFile(op.abs)
    return { data, stat: await statEntry(op.abs) }
  }
  if (op.t === 'remove') {
    if (op.dir) await rmdir(op.abs)
    else await unlink(op.abs)
    return { stat: null }
  }
  return { stat: await putDirect(op) }
}

/** Temp file with the content, mtime, owner and mode, then renamed over the target; its stat. */
async function putDirect (op: Extract<FsOp, { t: 'put' }>): Promise<DiskEntry> {
  try {
    const fh = await open(op.tmp, 'wx', op.mode)
    let stat: DiskEntry
    try {
      await fh.writeFile(op.data)
      const mtime = new Date(op.mtimeMs)
      await fh.utimes(mtime, mtime)
      if (op.owner !== null) await fh.chown(op.owner.uid, op.owner.gid).catch(() => {}) // not permitted: keep ours
      const st = await fh.stat()
      if ((st.mode & 0o777) !== op.mode) await fh.chmod(op.mode) // the umask took bits away
      stat = { kind: 'file', size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: op.mode, ino: st.ino }
    } finally {
      await fh.close()
    }
    await rename(op.tmp, op.abs)
    return stat
  } catch (err) {
    await unlink(op.tmp).catch(() => {}) // never made, or renamed
    throw err
  }
}

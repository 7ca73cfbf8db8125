// fs-batch.ts's operations made with libuv's pool on the calling thread: for the few operations
// that come while the batch worker is stopped. Starting the worker for them cost 30–65 ms on each
// side of a sync (bench w3 with 3 s between changes: p50 184 ms against 55 ms before the worker was
// ever stopped); a handful of libuv trips costs well under 1 ms. The steps are fs-steps.ts's, the
// same the worker runs synchronously.
import { close, fchmod, fchown, fstat, futimes, lstat, open, readFile, readlink, rename, rmdir, unlink, write } from 'node:fs'
import { promisify } from 'node:util'
import type { FsOp } from './fs-batch.js'
import { opSteps, runStepsAsync, statSteps, type FsCall, type OpResult } from './fs-steps.js'
import type { DiskEntry } from './scanner.js'

const p = {
  lstat: promisify(lstat),
  readlink: promisify(readlink),
  readFile: promisify(readFile),
  unlink: promisify(unlink),
  rmdir: promisify(rmdir),
  rename: promisify(rename),
  open: promisify(open),
  write: promisify(write),
  futimes: promisify(futimes),
  fchown: promisify(fchown),
  fstat: promisify(fstat),
  fchmod: promisify(fchmod),
  close: promisify(close)
}

async function callAsync (c: FsCall): Promise<unknown> {
  switch (c.c) {
    case 'lstat': return await p.lstat(c.path)
    case 'readlink': return await p.readlink(c.path)
    case 'readFile': return await p.readFile(c.path)
    case 'unlink': return await p.unlink(c.path)
    case 'rmdir': return await p.rmdir(c.path)
    case 'rename': return await p.rename(c.from, c.to)
    case 'open': return await p.open(c.path, c.flags, c.mode)
    case 'write':
      for (let off = 0; off < c.data.length;) off += (await p.write(c.fd, c.data, off, c.data.length - off, off)).bytesWritten
      return undefined
    case 'futimes': return await p.futimes(c.fd, c.time, c.time)
    case 'fchown': return await p.fchown(c.fd, c.uid, c.gid)
    case 'fstat': return await p.fstat(c.fd)
    case 'fchmod': return await p.fchmod(c.fd, c.mode)
    case 'close': return await p.close(c.fd)
  }
}

export async function runDirect (op: FsOp): Promise<OpResult> {
  return await runStepsAsync(opSteps(op), callAsync)
}

/** An lstat as a DiskEntry (a link with its target); null when nothing replicable is there. */
export async function statEntry (abs: string): Promise<DiskEntry | null> {
  return await runStepsAsync(statSteps(abs), callAsync)
}

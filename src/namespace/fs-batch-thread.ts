// The worker side of fs-batch.ts: runs a batch of file system operations (fs-steps.ts) with
// synchronous calls, one after the other, and answers with one message per batch.
import { closeSync, fchmodSync, fchownSync, fstatSync, futimesSync, lstatSync, openSync, readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs'
import { serveCalls } from '../worker-calls.js'
import { own, type FsOp, type FsResult } from './fs-batch.js'
import { opSteps, runSteps, type FsCall } from './fs-steps.js'

function callSync (c: FsCall): unknown {
  switch (c.c) {
    case 'lstat': return lstatSync(c.path)
    case 'readlink': return readlinkSync(c.path)
    case 'readFile': return own(readFileSync(c.path))
    case 'unlink': return unlinkSync(c.path)
    case 'rmdir': return rmdirSync(c.path)
    case 'rename': return renameSync(c.from, c.to)
    case 'open': return openSync(c.path, c.flags, c.mode)
    case 'write':
      for (let off = 0; off < c.data.length;) off += writeSync(c.fd, c.data, off, c.data.length - off, off)
      return undefined
    case 'futimes': return futimesSync(c.fd, c.time, c.time)
    case 'fchown': return fchownSync(c.fd, c.uid, c.gid)
    case 'fstat': return fstatSync(c.fd)
    case 'fchmod': return fchmodSync(c.fd, c.mode)
    case 'close': return closeSync(c.fd)
  }
}

function run (op: FsOp): FsResult {
  try {
    return { ok: true, ...runSteps(opSteps(op), callSync) }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { ok: false, code: e.code, message: e.message }
  }
}

// Loaded once this runs: batches may come here now (until then small ones go to libuv, fs-batch.ts).
serveCalls((ops: FsOp[]) => ops.map(run))

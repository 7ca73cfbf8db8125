// The body of an fs worker (fs-worker.ts): runs each job with synchronous file-system calls, off
// the event loop, and answers { id, ok } or { id, err } with the error's code kept (isErrno).
import { parentPort } from 'node:worker_threads'
import { runJob, type FsJob } from './fs-job.js'

const port = parentPort
if (!port) throw new Error('fs-worker-thread runs in a worker thread')
port.on('message', ({ id, job }: { id: number, job: FsJob }) => {
  try {
    port.postMessage({ id, ok: runJob(job) })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    port.postMessage({ id, err: { message: String(e?.message ?? err), code: e?.code, errno: e?.errno, syscall: e?.syscall, path: e?.path } })
  }
})

// The body of an fs worker (fs-worker.ts): runs each job with synchronous file-system calls, off
// the event loop; a job's error goes back with its code (isErrno).
import { serveCalls } from '../../worker-calls.js'
import { runJob } from './fs-job.js'

serveCalls(runJob)

// CPU seconds of a process, whole and per thread, from /proc (the stage benchmarks print them),
// and a perf recording of processes for a stage.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** utime and stime of a /proc stat line, in seconds (fields 14 and 15; the name may hold spaces). */
function times (statLine: string): { user: number, sys: number } {
  const parts = statLine.split(') ')[1]?.split(' ') ?? []
  return { user: Number(parts[11]) / 100, sys: Number(parts[12]) / 100 }
}

function seconds (statLine: string): number {
  const t = times(statLine)
  return t.user + t.sys
}

/** CPU seconds the process has used so far. */
export function cpu (pid: number | undefined): number {
  return seconds(readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8'))
}

/** Per thread name ('main' for the event loop's thread), user and system CPU seconds so far. */
export function threadTimes (pid: number | undefined): Map<string, { user: number, sys: number }> {
  const by = new Map<string, { user: number, sys: number }>()
  for (const t of readdirSync(`/proc/${pid ?? 0}/task`)) {
    let st: string
    try { st = readFileSync(`/proc/${pid ?? 0}/task/${t}/stat`, 'utf8') } catch { continue } // a thread that just ended
    const name = t === String(pid) ? 'main' : /\((.*)\)/.exec(st)?.[1] ?? '?'
    const was = by.get(name) ?? { user: 0, sys: 0 }
    const now = times(st)
    by.set(name, { user: was.user + now.user, sys: was.sys + now.sys })
  }
  return by
}

/**
 * CPU seconds per thread name, busiest first, as `name=total(sys s)`; with `since` (an earlier
 * threadTimes), only what was used after it.
 */
export function threads (pid: number | undefined, since?: Map<string, { user: number, sys: number }>): string {
  const rows: Array<[string, number, number]> = []
  for (const [n, t] of threadTimes(pid)) {
    const b = since?.get(n) ?? { user: 0, sys: 0 }
    rows.push([n, t.user - b.user + t.sys - b.sys, t.sys - b.sys])
  }
  return rows.sort((x, y) => y[1] - x[1]).filter((r) => r[1] >= 0.05).map(([n, c, s]) => `${n}=${c.toFixed(1)}(sys ${s.toFixed(1)})`).join(' ')
}

/**
 * `perf record -g` of the processes `pids` into `out` until the returned stop() (for diagnosis);
 * no `out`: nothing is recorded and stop() does nothing.
 */
export function perfRecord (out: string | undefined, pids: Array<number | undefined>): () => Promise<void> {
  if (out === undefined) return async () => {}
  const perf = spawn('perf', ['record', '-q', '-F', '499', '-g', '-o', out, '-p', pids.map((p) => p ?? 0).join(',')], { stdio: 'inherit' })
  const exited = new Promise((resolve) => perf.once('exit', resolve))
  return async () => { perf.kill('SIGINT'); await exited }
}

// CPU seconds of a process, whole and per thread, from /proc (the stage benchmarks print them).
import { readdirSync, readFileSync } from 'node:fs'

/** utime + stime of a /proc stat line, in seconds (fields 14 and 15; the name may hold spaces). */
function seconds (statLine: string): number {
  const parts = statLine.split(') ')[1]?.split(' ') ?? []
  return (Number(parts[11]) + Number(parts[12])) / 100
}

/** CPU seconds the process has used so far. */
export function cpu (pid: number | undefined): number {
  return seconds(readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8'))
}

/** CPU seconds per thread name (main, libuv pool, …), busiest first: `name=s name=s …`. */
export function threads (pid: number | undefined): string {
  const by = new Map<string, number>()
  for (const t of readdirSync(`/proc/${pid ?? 0}/task`)) {
    const st = readFileSync(`/proc/${pid ?? 0}/task/${t}/stat`, 'utf8')
    const name = /\((.*)\)/.exec(st)?.[1] ?? '?'
    by.set(name, (by.get(name) ?? 0) + seconds(st))
  }
  return [...by].sort((x, y) => y[1] - x[1]).map(([n, c]) => `${n}=${c.toFixed(1)}`).join(' ')
}

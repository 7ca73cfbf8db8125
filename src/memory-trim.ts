// Gives back memory a burst of work (a large sync or publish) left behind, once the process is
// quiet again. Measured with bench:scale at 100,000 files (issue #7):
//   - V8 grows the old space to the burst's peak, and its ordinary full collections compact only
//     the most fragmented pages, a few MB at a time: the receiver kept 27–42 MB of old space
//     committed for ~15 MB used, through forced collections and 30 s of idle. One full collection
//     that evacuates every fragmented page (V8's --compact-on-every-full-gc, set for that one
//     collection) brought it to ~16 MB: 55.7 → 15.7 MiB in 133 ms on the receiver, 69 → 16.5 on
//     the writer.
//   - Other holders register a task (addQuietTask): the drive store writes out its memtable.
//
//   - V8 shrinks its young generation only at a collection that finds the allocation rate it
//     sampled at its recent collections low, so the trim's collection, right after a burst, keeps
//     the burst's semi-spaces (5.5 of 8 MB committed on the writer after 100,000 files, in two
//     bench:scale runs of three: 45 bytes per file). Full collections once the process has been
//     quiet for SHRINK_DELAY_MS, up to SHRINK_TRIES of them while the size stays up, see a low rate
//     and shrink it to 1 MB (the first one did not always, in the bench's daemon logs).
//
// The collection holds the event loop while it runs (30–130 ms measured at load 7), so it runs
// only once no namespace has been busy for TRIM_DELAY_MS (new work cancels it), and only when the old space has grown
// by MIN_GROWTH since the last one. (Its unused part cannot tell: before a collection, "used"
// counts the burst's garbage too.)
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Logger } from './log.js'

/** Quiet time, no namespace busy, before trimming. */
const TRIM_DELAY_MS = 2000
/** Old-space growth below this is left alone: not worth a pause. */
const MIN_GROWTH = 8 << 20
/** Quiet time after a trim (and between tries) before a collection that may shrink the young generation. */
const SHRINK_DELAY_MS = 8000
const SHRINK_TRIES = 3
/** The young generation's size at rest (two 512 KiB semi-spaces): nothing to shrink. */
const NEW_SPACE_AT_REST = 1 << 20

export interface TrimResult { before: number, after: number, used: number, ms: number }

/** A task run when the process is quiet; returns what to log (or null). */
export type QuietTask = () => Promise<string | null>

let collect: (() => void) | null = null
let shrinkTimer: NodeJS.Timeout | null = null
/** Old space committed after the last trim (at first: at start). */
let trimmedTo = oldSpace().size
const tasks = new Set<QuietTask>()

function oldSpace (): { size: number, used: number } {
  return heapSpace('old_space')
}

/** A V8 heap space's committed (`size`) and used bytes. */
export function heapSpace (name: string): { size: number, used: number } {
  const s = getHeapSpaceStatistics().find((s) => s.space_name === name)
  return { size: s?.space_size ?? 0, used: s?.space_used_size ?? 0 }
}

function gcFunction (): () => void {
  if (collect === null) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed !== undefined) collect = exposed
    else {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as () => void
    }
  }
  return collect
}

/**
 * A full collection that compacts every fragmented page. V8 gives JavaScript no handle on that
 * but its `gc` extension, which a context made after --expose-gc is set gets.
 */
export function compactingCollection (): TrimResult {
  const before = oldSpace().size
  const t0 = performance.now()
  const gc = gcFunction()
  setFlagsFromString('--compact-on-every-full-gc')
  try {
    gc()
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc')
  }
  const ms = performance.now() - t0
  const { size: after, used } = oldSpace()
  return { before, after, used, ms }
}

/** Runs `task` whenever the process turns quiet, until the returned function is called. */
export function addQuietTask (task: QuietTask): () => void {
  tasks.add(task)
  return () => { tasks.delete(task) }
}

/** Sets and clears the gate's timer (the test's clock is a manual one). */
export interface GateTimers { set: (run: () => void, ms: number) => unknown, clear: (timer: unknown) => void }

const UNREF_TIMERS: GateTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (timer) => { clearTimeout(timer as NodeJS.Timeout) }
}

/**
 * Holders (namespaces) say when they turn busy and quiet; once none has been busy for `delayMs`,
 * `onQuiet` runs. Turning busy puts a pending run off until everyone is quiet again, so that a trim
 * armed by one burst does not land in the middle of the next (it did: bench:sync's W6 started
 * 1–3 s after W1 settled, and the trim's 80–110 ms compacting collection and memtable flush fell
 * inside it). Exported for its test.
 */
export class QuietGate {
  readonly #busy = new Set<object>()
  #timer: unknown = null
  /** A run was asked for and has not happened yet. */
  #wanted = false
  readonly #delayMs: number
  readonly #onQuiet: () => void
  readonly #onBusy: () => void
  readonly #timers: GateTimers

  constructor (delayMs: number, onQuiet: () => void, onBusy: () => void = () => {}, timers: GateTimers = UNREF_TIMERS) {
    this.#delayMs = delayMs
    this.#onQuiet = onQuiet
    this.#onBusy = onBusy
    this.#timers = timers
  }

  get quiet (): boolean { return this.#busy.size === 0 }

  busy (holder: object): void {
    this.#busy.add(holder)
    this.#cancel()
    this.#onBusy()
  }

  /** `holder` is done; `arm` says whether its work is worth a run once everyone is quiet. */
  done (holder: object, arm: boolean): void {
    this.#busy.delete(holder)
    this.#wanted ||= arm
    if (!this.#wanted || this.#busy.size > 0) return
    this.#cancel()
    this.#timer = this.#timers.set(() => {
      this.#timer = null
      this.#wanted = false
      this.#onQuiet()
    }, this.#delayMs)
  }

  /** The run stopped short (work began while it ran): run it again once everyone is quiet. */
  again (): void {
    this.#wanted = true
  }

  #cancel (): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer)
    this.#timer = null
  }
}

let trimLog: Logger | null = null
const gate = new QuietGate(TRIM_DELAY_MS, () => { if (trimLog !== null) void trimMemoryNow(trimLog) }, () => {
  if (shrinkTimer !== null) { clearTimeout(shrinkTimer); shrinkTimer = null }
})

/** A namespace started work (a sync, a publish): no trim until every namespace is quiet again. */
export function memoryBusy (holder: object): void {
  gate.busy(holder)
}

/**
 * A namespace's work ended (`trim`: it went back to idle, so it may have left garbage behind):
 * once no namespace has been busy for TRIM_DELAY_MS, runs the quiet tasks, then compacts the heap
 * if the old space grew by MIN_GROWTH.
 */
export function memoryQuiet (holder: object, log: Logger, trim: boolean): void {
  const on = trim && process.env.SHOAL_MEMORY_TRIM !== '0'
  if (on) trimLog = log
  gate.done(holder, on)
}

/**
 * The quiet tasks, then the compacting collection if the old space grew by MIN_GROWTH, and the
 * young generation's shrink later if it is larger than at rest.
 */
export async function trimMemoryNow (log: Logger): Promise<void> {
  for (const task of tasks) {
    try {
      const said = await task()
      if (said !== null) log.debug(`memory trim: ${said}`)
    } catch (err) {
      log.debug(`memory trim: a task failed: ${(err as Error).message}`)
    }
  }
  if (!gate.quiet) { gate.again(); return } // work began while the tasks ran: trim after it
  shrinkWhenStillQuiet(log)
  if (oldSpace().size < trimmedTo + MIN_GROWTH) return
  const r = compactingCollection()
  trimmedTo = r.after
  log.debug(`memory trim: old space ${mib(r.before)} → ${mib(r.after)} MiB committed (${mib(r.used)} used) in ${r.ms.toFixed(0)} ms`)
}

export interface YoungShrink {
  delayMs: number
  tries: number
  /** The young generation's committed size. */
  size: () => number
  /** A full collection. */
  collect: () => void
}

/**
 * Up to `tries` full collections, `delayMs` apart, while the young generation stays above its size
 * at rest; new work cancels them (memoryBusy). Exported, with its V8 parts, for its test.
 */
export function shrinkWhenStillQuiet (log: Logger, o: YoungShrink = { delayMs: SHRINK_DELAY_MS, tries: SHRINK_TRIES, size: () => heapSpace('new_space').size, collect: () => { gcFunction()() } }): void {
  if (shrinkTimer !== null) clearTimeout(shrinkTimer)
  shrinkTimer = null
  if (o.tries <= 0 || o.size() <= NEW_SPACE_AT_REST) return
  shrinkTimer = setTimeout(() => {
    shrinkTimer = null
    const before = o.size()
    if (before <= NEW_SPACE_AT_REST) return
    const t0 = performance.now()
    o.collect()
    log.debug(`memory trim: young generation ${mib(before)} → ${mib(o.size())} MiB in ${(performance.now() - t0).toFixed(0)} ms`)
    shrinkWhenStillQuiet(log, { ...o, tries: o.tries - 1 })
  }, o.delayMs)
  shrinkTimer.unref()
}

const mib = (n: number): string => (n / 1048576).toFixed(1)

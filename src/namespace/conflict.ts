// The conflict rules, as pure functions (syncthing's WinsConflict / conflictName, our clocks).
import { baseRel } from '../rel-path.js'
import { clockTime, type Clock } from './hlc.js'

/** What the merge needs to know about one writer's version of a path. */
export interface Version {
  /** HLC of the write. */
  c: Clock
  /** Writer id (hex of the writer's drive key, shortened). */
  w: string
  /** What the writer had applied when it wrote: writer id → highest clock. */
  s: Record<string, Clock>
  /** Content identity: hash for files, target for links, '' for dirs and tombstones. */
  h: string
  k: EntryKind
}

export type EntryKind = 'file' | 'dir' | 'link' | 'tomb'

/** Does `a` win over `b`? Highest clock; equal clocks are broken by writer id. Total and antisymmetric. */
export function winsConflict (a: Pick<Version, 'c' | 'w'>, b: Pick<Version, 'c' | 'w'>): boolean {
  if (a.c !== b.c) return a.c > b.c
  return a.w > b.w
}

/** Had the writer of `winner` applied `other` (or a later write of the same writer) when it wrote? */
export function hasSeen (winner: Version, other: Version): boolean {
  if (winner.w === other.w) return winner.c >= other.c
  return (winner.s[other.w] ?? 0) >= other.c
}

/** Do two versions hold the same thing? Then neither needs a conflict copy. */
export function sameContent (a: Version, b: Version): boolean {
  return a.k === b.k && a.h === b.h
}

/**
 * Picks the winner among every writer's version of one path, and the losers that must be kept as
 * conflict copies: content the winner's writer had not seen and that differs from the winner's.
 * Tombstones and directories never need a copy: nothing would be lost.
 */
export function resolve<V extends Version> (versions: readonly V[]): { winner: V, conflicts: V[] } | null {
  let winner: V | null = null
  for (const v of versions) if (winner === null || winsConflict(v, winner)) winner = v
  if (winner === null) return null
  const w = winner
  const conflicts = versions.filter((v) => v !== w && (v.k === 'file' || v.k === 'link') &&
    !hasSeen(w, v) && !sameContent(w, v))
  return { winner: w, conflicts }
}

const CONFLICT_MARK = '.sync-conflict-'

/** `dir/name.ext` → `dir/name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext` (UTC). */
export function conflictName (path: string, nodeId: string, date: Date): string {
  const slash = path.lastIndexOf('/')
  const dir = path.slice(0, slash + 1)
  const base = path.slice(slash + 1)
  const dot = base.lastIndexOf('.')
  const stem = dot > 0 ? base.slice(0, dot) : base
  const ext = dot > 0 ? base.slice(dot) : ''
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  const stamp = `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`
  return `${dir}${stem}${CONFLICT_MARK}${stamp}-${nodeId}${ext}`
}

/** The conflict copy of a losing version: named after its writer and the time it was written. */
export function conflictPath (path: string, loser: Pick<Version, 'c' | 'w'>): string {
  return conflictName(path, shortWriter(loser.w), new Date(clockTime(loser.c)))
}

export function shortWriter (w: string): string {
  return w.slice(0, 7).toUpperCase()
}

export function isConflictCopy (path: string): boolean {
  return baseRel(path).includes(CONFLICT_MARK)
}

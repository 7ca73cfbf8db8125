import { lstatSync } from 'node:fs'
import { lstat } from 'node:fs/promises'
import { isErrno } from '../../errors.js'
import type { Stat } from './types.js'

/**
 * lstat (never follows a symlink) that answers null for a missing path, run on the event loop.
 * An lstat of a path the kernel has cached costs ~3 µs here; through libuv's thread pool it costs
 * 25–300 µs on a busy 2-core machine (a futex wake, an eventfd write and an epoll round), and an NFS
 * create does several. Walks of many entries (scans, READDIR listings) use `lstatOrNullAsync`, so
 * a cold directory never holds the loop for long.
 */
export async function lstatOrNull (p: string): Promise<Stat | null> { return lstatNow(p) }

export function lstatNow (p: string): Stat | null {
  try { return lstatSync(p, { bigint: true, throwIfNoEntry: false }) ?? null } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null
    throw err
  }
}

/** The thread-pool lstat, for walks over many possibly uncached entries. */
export async function lstatOrNullAsync (p: string): Promise<Stat | null> {
  try { return await lstat(p, { bigint: true }) } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null
    throw err
  }
}

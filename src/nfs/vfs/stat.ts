import { isErrno } from '../../errors.js'
import { lstatPath } from './fs-calls.js'
import type { Stat } from './types.js'

/** lstat (never follows a symlink) through the thread pool; null for a missing path. */
export async function lstatOrNull (p: string): Promise<Stat | null> {
  try { return await lstatPath(p) } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null
    throw err
  }
}

import { lstat } from 'node:fs/promises'
import { isErrno } from '../../errors.js'
import type { Stat } from './types.js'

/** lstat (never follows a symlink) that answers null for a missing path. */
export async function lstatOrNull (p: string): Promise<Stat | null> {
  try { return await lstat(p, { bigint: true }) } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null
    throw err
  }
}

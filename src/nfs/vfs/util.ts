import { NfsError, NfsStatus } from '../errors.js'
import { isErrno } from '../../errors.js'
import type { Kind } from './fd-cache.js'
import type { Creds, Stat } from './types.js'

// Small pure helpers of the local vfs.

const S_ISGID = 0o2000
/** the process umask, read once (the kernel applies it to every create; clients send exact modes) */
export const UMASK = ((): number => {
  try { const u = process.umask(0o022); process.umask(u); return u } catch { return 0o022 } // not settable in a worker thread
})()
const EUID = process.geteuid?.() ?? 0
const EGID = process.getegid?.() ?? 0

/** The owner a new object needs besides what the kernel gives it, or null when that is already right. */
export function ownerFor (dirSt: Stat, creds: Creds): { uid: number, gid: number } | null {
  const gid = (Number(dirSt.mode) & S_ISGID) !== 0 ? Number(dirSt.gid) : creds.gid
  const kernelGid = (Number(dirSt.mode) & S_ISGID) !== 0 ? Number(dirSt.gid) : EGID
  return creds.uid === EUID && gid === kernelGid ? null : { uid: creds.uid, gid }
}


/** The EXCLUSIVE4 verifier as stored by create(): atime seconds ‖ mtime seconds. */
export function verifierOf (st: Stat): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32BE(Number((st.atimeNs / 1_000_000_000n) & 0xffffffffn), 0)
  b.writeUInt32BE(Number((st.mtimeNs / 1_000_000_000n) & 0xffffffffn), 4)
  return b
}

export function toTime (t: bigint | 'now' | undefined, current: bigint): number | Date {
  if (t === 'now') return new Date()
  return Number(t ?? current) / 1e9
}

export function regular (kind: Kind): void {
  if (kind === 'dir') throw new NfsError(NfsStatus.ISDIR)
  if (kind !== 'file') throw new NfsError(NfsStatus.INVAL, 'not a regular file')
}

export function mapIoError (err: unknown): never {
  if (isErrno(err, 'EISDIR')) throw new NfsError(NfsStatus.ISDIR)
  if (isErrno(err, 'ELOOP')) throw new NfsError(NfsStatus.INVAL, 'not a regular file')
  throw err
}


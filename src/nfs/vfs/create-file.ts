import { constants } from 'node:fs'
import { isErrno } from '../../errors.js'
import { NfsError, NfsStatus } from '../errors.js'
import { closeQuietly, fchmodFd, fchownFd, fstatFd, ftruncateFd, futimesFd, openFd } from './fs-calls.js'
import { lstatOrNull } from './stat.js'
import type { CreateHow, Creds, SetAttrs, Stat } from './types.js'
import { ownerFor, UMASK, verifierOf } from './util.js'

/** A file made by createFile, open O_RDWR (the caller keeps or closes `fd`), or the one already there. */
export type Made = { created: true, fd: number, stat: Stat } | { created: false, stat: Stat }

/**
 * The file-system side of an NFS create of a regular file at `abs` in a directory whose stat is
 * `dirSt`: O_CREAT|O_EXCL|O_NOFOLLOW, then the owner, the exact mode and the EXCLUSIVE4 verifier
 * on the new descriptor, then its attributes (fstat). An existing file is EXIST for a guarded
 * create, and for an exclusive one unless it holds the same verifier (a retransmission).
 * `onCreated` runs as soon as the open made the file (work that can go beside the set-up).
 */
export async function createFile (abs: string, how: CreateHow, attrs: SetAttrs, creds: Creds, dirSt: Stat, onCreated?: () => void): Promise<Made> {
  const mode = (attrs.mode ?? 0o644) & 0o7777
  let fd: number
  try {
    fd = await openFd(abs, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW, mode)
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err
    if (how.mode === 'guarded') throw new NfsError(NfsStatus.EXIST)
    const st = await lstatOrNull(abs)
    if (!st) throw new NfsError(NfsStatus.NOENT, 'removed while created')
    // RFC 7530 §16.16.5: a retransmitted EXCLUSIVE4 create finds its own verifier and succeeds.
    if (how.mode === 'exclusive' && !(st.isFile() && verifierOf(st).equals(how.verifier))) throw new NfsError(NfsStatus.EXIST)
    return { created: false, stat: st }
  }
  onCreated?.()
  try {
    // the caller owns it (a setgid directory's group wins, as in a local create); chown clears
    // set-id bits, so exactly the client's mode comes after it, and the server's umask must not apply
    const owner = ownerFor(dirSt, creds)
    if (owner) await fchownFd(fd, owner.uid, owner.gid).catch(() => {})
    if ((mode & ~UMASK) !== mode || (owner && (mode & 0o6000) !== 0)) await fchmodFd(fd, mode)
    if (attrs.size !== undefined || attrs.uid !== undefined || attrs.gid !== undefined) await applyOnFd(fd, attrs)
    // RFC 7530 §16.16.5: the verifier is kept in the times (atime, mtime seconds) until the client's SETATTR.
    if (how.mode === 'exclusive') await futimesFd(fd, how.verifier.readUInt32BE(0), how.verifier.readUInt32BE(4))
    return { created: true, fd, stat: await fstatFd(fd) }
  } catch (err) { void closeQuietly(fd); throw err }
}

/** On a file this call just created (empty): a truncate only grows it, never waits for the disk. */
async function applyOnFd (fd: number, a: SetAttrs): Promise<void> {
  if (a.size !== undefined) await ftruncateFd(fd, Number(a.size))
  if (a.uid !== undefined || a.gid !== undefined) {
    const st = await fstatFd(fd)
    await fchownFd(fd, a.uid ?? Number(st.uid), a.gid ?? Number(st.gid)).catch(() => {})
  }
}

import { constants, type BigIntStats } from 'node:fs'
import * as fs from 'node:fs'
import { isErrno } from '../../errors.js'
import type { Creds, SetAttrs, Stat } from './types.js'
import { ownerFor, toTime } from './util.js'

/**
 * The jobs an fs worker runs (fs-worker.ts): each is a few file-system calls in a row that the
 * request path would otherwise make one thread-pool round trip at a time (a create was four in a
 * row, a SETATTR two). They run here with synchronous calls, in a worker thread, never on the
 * event loop; what they return crosses threads by structured clone (stats as packed bigints).
 */

/** A stat's fields in the order `unpackStat` reads them. */
export type PackedStat = bigint[]

/**
 * create: the regular file `name` in the directory at `dir`, whose inode must still be `dirIno`
 * (checked by an lstat just before the open: a symlink put in the directory's place is never
 * followed). O_CREAT|O_EXCL|O_NOFOLLOW, then the owner, the exact mode and the EXCLUSIVE4
 * verifier on the new descriptor, then its attributes (fstat) and the directory's after (lstat).
 */
export interface CreateJob {
  op: 'create'
  dir: string
  dirIno: bigint
  path: string
  mode: number
  umask: number
  creds: Creds
  attrs: Pick<SetAttrs, 'size' | 'uid' | 'gid'>
  /** EXCLUSIVE4: the verifier to keep in the times, as (atime, mtime) seconds */
  times?: [number, number] | undefined
}

/**
 * `dir`: the directory's lstat before (null: gone or not a directory there, or another inode:
 * nothing was done). `exists`: the open found a file there (its lstat, null if it went meanwhile).
 */
export interface CreateResult { dir: PackedStat | null, exists?: PackedStat | null, fd?: number, stat?: PackedStat, dirAfter?: PackedStat | null }

/**
 * setattr: size, owner, mode and times of the node at `path`, if its inode is still `ino`, checked
 * by the lstat the job starts with (so a SETATTR is one job, whatever it sets). A size is applied
 * only to a regular file that has another size (as knfsd: the O_TRUNC of a new, empty file sends
 * size 0), through a descriptor opened O_NOFOLLOW and checked to be the same inode; on anything
 * else it is `refused` (ISDIR, INVAL) and nothing is changed. Changes nothing it need not (an owner
 * or mode it has already); the mode comes after the owner (chown clears set-id bits); chmod never
 * on a symlink (it follows them). Returns the lstat after, or `moved` when the inode differs.
 */
export interface SetattrJob { op: 'setattr', path: string, ino: bigint, attrs: SetAttrs }
export interface SetattrResult { moved: boolean, stat?: PackedStat, refused?: 'ISDIR' | 'INVAL', truncated?: boolean }

/**
 * write: pwrite all of `data` at `offset` on the open descriptor `fd` (the main thread's descriptor
 * cache holds it open meanwhile), then its fstat: a WRITE that answers with the attributes after it
 * (NFSv3's wcc_data) in one round trip instead of two.
 */
export interface WriteJob { op: 'write', fd: number, offset: number, data: Uint8Array }
export interface WriteResult { stat: PackedStat }

/**
 * lookup: the lstat of `path`, and when nothing is there, of its directory `dir` (an NFSv3 LOOKUP
 * that misses answers with the directory's attributes): one round trip either way.
 */
export interface LookupJob { op: 'lookup', path: string, dir: string }
export interface LookupResult { stat: PackedStat | null, dir?: PackedStat | null }

/**
 * close: descriptors the main thread's descriptor cache let go of (no call uses them), closed
 * together: one round trip for a batch instead of a thread-pool round trip each.
 */
export interface CloseJob { op: 'close', fds: number[] }

export type FsJob = CreateJob | SetattrJob | WriteJob | LookupJob | CloseJob
export type FsResult = CreateResult | SetattrResult | WriteResult | LookupResult | null

export function runJob (job: FsJob): FsResult {
  switch (job.op) {
    case 'create': return create(job)
    case 'setattr': return setattr(job)
    case 'write': return write(job)
    case 'lookup': return lookup(job)
    case 'close':
      for (const fd of job.fds) tryQuietly(() => { fs.closeSync(fd) })
      return null
  }
}

function create (j: CreateJob): CreateResult {
  const dirSt = lstatOrNull(j.dir)
  if (!dirSt || dirSt.ino !== j.dirIno || !dirSt.isDirectory()) return { dir: dirSt && dirSt.ino === j.dirIno ? pack(dirSt) : null }
  let fd: number
  try {
    fd = fs.openSync(j.path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW, j.mode)
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err
    const st = lstatOrNull(j.path)
    return { dir: pack(dirSt), exists: st && pack(st) }
  }
  try {
    // the caller owns it (a setgid directory's group wins, as in a local create); chown clears
    // set-id bits, so exactly the client's mode comes after it, and the server's umask must not apply
    const owner = ownerFor(dirSt, j.creds)
    if (owner) tryQuietly(() => { fs.fchownSync(fd, owner.uid, owner.gid) })
    if ((j.mode & ~j.umask) !== j.mode || (owner && (j.mode & 0o6000) !== 0)) fs.fchmodSync(fd, j.mode)
    // on a file this call just created (empty): a truncate only grows it, never waits for the disk
    if (j.attrs.size !== undefined) fs.ftruncateSync(fd, Number(j.attrs.size))
    if (j.attrs.uid !== undefined || j.attrs.gid !== undefined) {
      const st = fs.fstatSync(fd, { bigint: true })
      tryQuietly(() => { fs.fchownSync(fd, j.attrs.uid ?? Number(st.uid), j.attrs.gid ?? Number(st.gid)) })
    }
    // RFC 7530 §16.16.5: the verifier is kept in the times (atime, mtime seconds) until the client's SETATTR
    if (j.times) fs.futimesSync(fd, j.times[0], j.times[1])
    const stat = pack(fs.fstatSync(fd, { bigint: true }))
    const after = lstatOrNull(j.dir)
    return { dir: pack(dirSt), fd, stat, dirAfter: after && pack(after) }
  } catch (err) { fs.closeSync(fd); throw err }
}

function setattr (j: SetattrJob): SetattrResult {
  const st = lstatOrNull(j.path)
  if (!st || st.ino !== j.ino) return { moved: true }
  const a = j.attrs
  let truncated = false
  if (a.size !== undefined) {
    if (st.isDirectory()) return { moved: false, refused: 'ISDIR' }
    if (!st.isFile()) return { moved: false, refused: 'INVAL' }
    if (a.size !== st.size) {
      const fd = fs.openSync(j.path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      try {
        if (fs.fstatSync(fd, { bigint: true }).ino !== j.ino) return { moved: true }
        fs.ftruncateSync(fd, Number(a.size))
        truncated = true
      } finally { fs.closeSync(fd) }
    }
  }
  if ((a.uid !== undefined && BigInt(a.uid) !== st.uid) || (a.gid !== undefined && BigInt(a.gid) !== st.gid)) {
    fs.lchownSync(j.path, a.uid ?? Number(st.uid), a.gid ?? Number(st.gid))
  }
  if (a.mode !== undefined && !st.isSymbolicLink() && (a.mode !== (Number(st.mode) & 0o7777) || a.uid !== undefined || a.gid !== undefined)) {
    fs.chmodSync(j.path, a.mode & 0o7777)
  }
  if (a.atime !== undefined || a.mtime !== undefined) fs.lutimesSync(j.path, toTime(a.atime, st.atimeNs), toTime(a.mtime, st.mtimeNs))
  const after = lstatOrNull(j.path)
  return after && after.ino === j.ino ? { moved: false, stat: pack(after), truncated } : { moved: true, truncated }
}

function write (j: WriteJob): WriteResult {
  let done = 0
  while (done < j.data.length) done += fs.writeSync(j.fd, j.data, done, j.data.length - done, j.offset + done)
  return { stat: pack(fs.fstatSync(j.fd, { bigint: true })) }
}

function lookup (j: LookupJob): LookupResult {
  const st = lstatOrNull(j.path)
  if (st) return { stat: pack(st) }
  const dir = lstatOrNull(j.dir)
  return { stat: null, dir: dir && pack(dir) }
}

function lstatOrNull (p: string): BigIntStats | null {
  // a missing name (every NFSv3 LOOKUP before a CREATE) answers undefined instead of building an
  // error with its stack: the worker's part of such a lookup job was 54 µs of CPU, 32 on a hit
  try { return fs.lstatSync(p, { bigint: true, throwIfNoEntry: false }) ?? null } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null
    throw err
  }
}

/** chown of a new file: a refusal (not root, an unmapped id) leaves the kernel's owner, as before */
function tryQuietly (fn: () => void): void { try { fn() } catch {} }

export function pack (s: Stat): PackedStat {
  return [s.dev, s.ino, s.mode, s.nlink, s.uid, s.gid, s.rdev, s.size, s.blksize, s.blocks, s.atimeNs, s.mtimeNs, s.ctimeNs, s.birthtimeNs]
}

const S_IFMT = 0o170000n

/** A stat rebuilt from `pack`: the fields and type tests the vfs reads. */
export class UnpackedStat implements Stat {
  readonly dev: bigint; readonly ino: bigint; readonly mode: bigint; readonly nlink: bigint; readonly uid: bigint
  readonly gid: bigint; readonly rdev: bigint; readonly size: bigint; readonly blksize: bigint; readonly blocks: bigint
  readonly atimeNs: bigint; readonly mtimeNs: bigint; readonly ctimeNs: bigint; readonly birthtimeNs: bigint

  constructor (p: PackedStat) {
    [this.dev, this.ino, this.mode, this.nlink, this.uid, this.gid, this.rdev, this.size, this.blksize, this.blocks,
      this.atimeNs, this.mtimeNs, this.ctimeNs, this.birthtimeNs] = p as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint]
  }

  isFile (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFREG) }
  isDirectory (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFDIR) }
  isSymbolicLink (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFLNK) }
  isFIFO (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFIFO) }
  isSocket (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFSOCK) }
  isBlockDevice (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFBLK) }
  isCharacterDevice (): boolean { return (this.mode & S_IFMT) === BigInt(constants.S_IFCHR) }
}

export function unpackStat (p: PackedStat): Stat { return new UnpackedStat(p) }

import { NfsError, NfsStatus, toNfsStatus } from '../errors.js'

/** RFC 1813 §3: program NFS_PROGRAM (100003) version NFS_V3; appendix I: MOUNTPROG (100005) version MOUNT_V3. */
export const NFS3_VERSION = 3
export const MOUNT_PROGRAM = 100005
export const MOUNT_VERSION = 3

/** RFC 1813 §2.4: NFS3_FHSIZE (64); our handles are 18 bytes, the same bytes as v4's. */
export const FHSIZE3 = 64
/** RFC 1813 appendix I: MNTPATHLEN 1024, MNTNAMLEN 255. */
export const MNTPATHLEN = 1024
export const MNTNAMLEN = 255
/** symlink targets (nfspath3) */
export const MAXPATHLEN = 4096
/** filename3 is unbounded on the wire: read up to this, then NAMETOOLONG above 255 */
export const MAX_FILENAME = 4096
/** READ, WRITE and READDIR sizes we offer in FSINFO (and accept) */
export const MAX_IO3 = 1024 * 1024
export const DTPREF = 64 * 1024

/** RFC 1813 §2.6: enum nfsstat3 (a subset of nfsstat4's numbers, plus NOT_SYNC). */
export enum Nfs3Status {
  OK = 0, PERM = 1, NOENT = 2, IO = 5, NXIO = 6, ACCES = 13, EXIST = 17, XDEV = 18, NODEV = 19,
  NOTDIR = 20, ISDIR = 21, INVAL = 22, FBIG = 27, NOSPC = 28, ROFS = 30, MLINK = 31,
  NAMETOOLONG = 63, NOTEMPTY = 66, DQUOT = 69, STALE = 70, REMOTE = 71, BADHANDLE = 10001,
  NOT_SYNC = 10002, BAD_COOKIE = 10003, NOTSUPP = 10004, TOOSMALL = 10005, SERVERFAULT = 10006,
  BADTYPE = 10007, JUKEBOX = 10008
}

/** RFC 1813 appendix I: enum mountstat3. */
export enum MountStat {
  OK = 0, PERM = 1, NOENT = 2, IO = 5, ACCES = 13, NOTDIR = 20, INVAL = 22, NAMETOOLONG = 63,
  NOTSUPP = 10004, SERVERFAULT = 10006
}

/** RFC 1813 §3.2 ftype3 (the same numbers as nfs_ftype4). */
export enum Ftype3 { REG = 1, DIR = 2, BLK = 3, CHR = 4, LNK = 5, SOCK = 6, FIFO = 7 }
/** RFC 1813 §3.3.7 stable_how */
export enum StableHow { UNSTABLE = 0, DATA_SYNC = 1, FILE_SYNC = 2 }
/** RFC 1813 §3.3.8 createmode3 */
export enum CreateMode { UNCHECKED = 0, GUARDED = 1, EXCLUSIVE = 2 }
/** RFC 1813 §3.3.4 ACCESS3_* (the same bits as v4's) */
export const ACCESS3 = { READ: 1, LOOKUP: 2, MODIFY: 4, EXTEND: 8, DELETE: 0x10, EXECUTE: 0x20 } as const
/** RFC 1813 §3.3.19 FSF3_* */
export const FSF3 = { LINK: 1, SYMLINK: 2, HOMOGENEOUS: 8, CANSETTIME: 0x10 } as const

const V3_CODES = new Set<number>(Object.values(Nfs3Status).filter((v): v is number => typeof v === 'number'))

/**
 * The v3 edge of the one error mapping (errors.ts toNfsStatus): statuses nfsstat3 has pass through,
 * the v4-only ones become their nearest v3 meaning. NOT_SYNC (10002) is unused by v4, so v3 code
 * throws it as an NfsError too (see notSync()).
 */
export function toNfs3Status (err: unknown): Nfs3Status {
  const s = toNfsStatus(err)
  if (V3_CODES.has(s)) return s as number as Nfs3Status
  switch (s) {
    case NfsStatus.SYMLINK: return Nfs3Status.NOTDIR // a path component that is a symlink
    case NfsStatus.BADCHAR: case NfsStatus.BADNAME: case NfsStatus.BADXDR: return Nfs3Status.INVAL
    case NfsStatus.ATTRNOTSUPP: return Nfs3Status.NOTSUPP
    case NfsStatus.OPENMODE: case NfsStatus.WRONGSEC: return Nfs3Status.ACCES
    case NfsStatus.LOCKED: case NfsStatus.SHARE_DENIED: case NfsStatus.GRACE: case NfsStatus.FILE_OPEN: return Nfs3Status.JUKEBOX
    case NfsStatus.RESOURCE: return Nfs3Status.SERVERFAULT
    default: return Nfs3Status.SERVERFAULT
  }
}

/** RFC 1813 §3.3.2: SETATTR's guard did not match the object's ctime. */
export function notSync (): NfsError { return new NfsError(Nfs3Status.NOT_SYNC as number as NfsStatus, 'NOT_SYNC') }

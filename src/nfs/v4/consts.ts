/** RFC 7530 §16 and RFC 8881 §18: enum nfs_opnum4. */
export enum Op {
  ACCESS = 3, CLOSE = 4, COMMIT = 5, CREATE = 6, DELEGPURGE = 7, DELEGRETURN = 8, GETATTR = 9,
  GETFH = 10, LINK = 11, LOCK = 12, LOCKT = 13, LOCKU = 14, LOOKUP = 15, LOOKUPP = 16,
  NVERIFY = 17, OPEN = 18, OPENATTR = 19, OPEN_CONFIRM = 20, OPEN_DOWNGRADE = 21, PUTFH = 22,
  PUTPUBFH = 23, PUTROOTFH = 24, READ = 25, READDIR = 26, READLINK = 27, REMOVE = 28, RENAME = 29,
  RENEW = 30, RESTOREFH = 31, SAVEFH = 32, SECINFO = 33, SETATTR = 34, SETCLIENTID = 35,
  SETCLIENTID_CONFIRM = 36, VERIFY = 37, WRITE = 38, RELEASE_LOCKOWNER = 39,
  BACKCHANNEL_CTL = 40, BIND_CONN_TO_SESSION = 41, EXCHANGE_ID = 42, CREATE_SESSION = 43,
  DESTROY_SESSION = 44, FREE_STATEID = 45, GET_DIR_DELEGATION = 46, GETDEVICEINFO = 47,
  GETDEVICELIST = 48, LAYOUTCOMMIT = 49, LAYOUTGET = 50, LAYOUTRETURN = 51, SECINFO_NO_NAME = 52,
  SEQUENCE = 53, SET_SSV = 54, TEST_STATEID = 55, WANT_DELEGATION = 56, DESTROY_CLIENTID = 57,
  RECLAIM_COMPLETE = 58, ILLEGAL = 10044
}

/** RFC 7530 §3.2 enum nfs_ftype4. */
export enum Ftype { REG = 1, DIR = 2, BLK = 3, CHR = 4, LNK = 5, SOCK = 6, FIFO = 7 }

export const NFS_PROGRAM = 100003
export const MAX_MINOR = 1
export const LEASE_SECONDS = 90
export const MAX_IO = 1024 * 1024
/** Records carry one WRITE of MAX_IO plus its compound; anything larger closes the connection. */
export const MAX_RECORD = MAX_IO + 64 * 1024
export const MAX_OPS = 128
export const MAX_OPAQUE = 1024 // RFC 7530 NFS4_OPAQUE_LIMIT
export const MAX_FH = 128 // RFC 7530 NFS4_FHSIZE
export const MAX_COMPONENT = 4096 // read up to this, then NAMETOOLONG above 255

// RFC 7530 §16.1 ACCESS4_* bits
export const ACCESS = { READ: 1, LOOKUP: 2, MODIFY: 4, EXTEND: 8, DELETE: 0x10, EXECUTE: 0x20 } as const
// RFC 7530 §16.36 stable_how4
export enum Stable { UNSTABLE = 0, DATA_SYNC = 1, FILE_SYNC = 2 }
// RFC 7530 §16.16 OPEN4_SHARE_ACCESS_* / DENY_*
export const SHARE_ACCESS_BOTH = 3
/** RFC 8881 §2.10.6.1.3 reply cache: the most a slot keeps, and what is kept even without sa_cachethis */
export const MAX_CACHED_REPLY = 64 * 1024
export const SMALL_REPLY = 4096

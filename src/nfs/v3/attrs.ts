import { NfsError, NfsStatus } from '../errors.js'
import type { Stat, SetAttrs } from '../vfs/types.js'
import { fromStat, FSID_MAJOR, type AttrSource } from '../v4/attrs.js'
import type { XdrReader } from '../xdr/reader.js'
import type { XdrWriter } from '../xdr/writer.js'

export type { AttrSource }

const EMPTY = Buffer.alloc(0)
const BOOT_NS = BigInt(Date.now()) * 1_000_000n

/** The attributes of a file inside an export, in the form v4 uses too (one stat → one source). */
export function statAttrs (st: Stat, index: number): AttrSource { return fromStat(st, EMPTY, index) }

/** The pseudo-root: a read-only directory, fileid 1, one subdirectory per namespace. */
export function pseudoAttrs (exports: number): AttrSource {
  return {
    type: 2, mode: 0o555, nlink: 2 + exports, uid: 0, gid: 0, size: 4096n, used: 4096n, fileid: 1n, mountedOn: 1n,
    atime: BOOT_NS, mtime: BOOT_NS, ctime: BOOT_NS, change: BOOT_NS, rdev: [0, 0], fsid: [FSID_MAJOR, 0n], fh: EMPTY
  }
}

/** RFC 1813 §2.5: struct nfstime3 { uint32 seconds; uint32 nseconds; }; times before 1970 are clamped. */
export function nfstime3 (w: XdrWriter, ns: bigint): void {
  if (ns < 0n) ns = 0n
  const s = ns / 1_000_000_000n
  w.u32(Number(s > 0xffffffffn ? 0xffffffffn : s)).u32(Number(ns % 1_000_000_000n))
}

/**
 * RFC 1813 §2.5:
 *   struct fattr3 { ftype3 type; mode3 mode; uint32 nlink; uid3 uid; gid3 gid; size3 size; size3 used;
 *                   specdata3 rdev; uint64 fsid; fileid3 fileid; nfstime3 atime; nfstime3 mtime; nfstime3 ctime; };
 * fsid is v4's (major, minor) folded into 64 bits, so each namespace is its own file system.
 */
export function fattr3 (w: XdrWriter, a: AttrSource): void {
  w.u32(a.type).u32(a.mode).u32(a.nlink).u32(a.uid).u32(a.gid).u64(a.size).u64(a.used)
  w.u32(a.rdev[0]).u32(a.rdev[1]).u64((a.fsid[0] << 32n) | a.fsid[1]).u64(a.fileid)
  nfstime3(w, a.atime)
  nfstime3(w, a.mtime)
  nfstime3(w, a.ctime)
}

/** RFC 1813 §2.6: union post_op_attr switch (bool attributes_follow) { case TRUE: fattr3 attributes; case FALSE: void; }; */
export function postOpAttr (w: XdrWriter, a: AttrSource | undefined): void {
  if (a) { w.bool(true); fattr3(w, a) } else w.bool(false)
}

/** RFC 1813 §2.6: struct wcc_attr { size3 size; nfstime3 mtime; nfstime3 ctime; }; */
export interface WccAttr { size: bigint, mtime: bigint, ctime: bigint }

export function wccAttr (a: AttrSource): WccAttr { return { size: a.size, mtime: a.mtime, ctime: a.ctime } }

/**
 * RFC 1813 §2.6: union pre_op_attr switch (bool attributes_follow) { case TRUE: wcc_attr attributes; … };
 *   struct wcc_data { pre_op_attr before; post_op_attr after; };
 */
export function wccData (w: XdrWriter, pre: WccAttr | undefined, post: AttrSource | undefined): void {
  if (pre) { w.bool(true).u64(pre.size); nfstime3(w, pre.mtime); nfstime3(w, pre.ctime) } else w.bool(false)
  postOpAttr(w, post)
}

/**
 * RFC 1813 §2.6:
 *   union set_mode3 switch (bool set_it) { case TRUE: mode3 mode; default: void; };  (uid3, gid3, size3 alike)
 *   enum time_how { DONT_CHANGE = 0, SET_TO_SERVER_TIME = 1, SET_TO_CLIENT_TIME = 2 };
 *   union set_atime switch (time_how set_it) { case SET_TO_CLIENT_TIME: nfstime3 atime; default: void; };
 *   struct sattr3 { set_mode3 mode; set_uid3 uid; set_gid3 gid; set_size3 size; set_atime atime; set_mtime mtime; };
 */
export function readSattr3 (r: XdrReader): SetAttrs {
  const a: SetAttrs = {}
  if (r.bool()) a.mode = r.u32() & 0o7777
  if (r.bool()) a.uid = r.u32()
  if (r.bool()) a.gid = r.u32()
  if (r.bool()) a.size = r.u64()
  const atime = readSetTime(r)
  if (atime !== undefined) a.atime = atime
  const mtime = readSetTime(r)
  if (mtime !== undefined) a.mtime = mtime
  return a
}

/** A bad time_how is still well-formed XDR: INVAL, not GARBAGE_ARGS. */
function readSetTime (r: XdrReader): bigint | 'now' | undefined {
  const how = r.u32()
  if (how === 0) return undefined
  if (how === 1) return 'now'
  if (how !== 2) throw new NfsError(NfsStatus.INVAL, `time_how ${how}`)
  const s = r.u32()
  const ns = r.u32()
  if (ns >= 1_000_000_000) throw new NfsError(NfsStatus.INVAL, 'nseconds out of range')
  return BigInt(s) * 1_000_000_000n + BigInt(ns)
}

export function isEmpty (a: SetAttrs): boolean { return Object.keys(a).length === 0 }

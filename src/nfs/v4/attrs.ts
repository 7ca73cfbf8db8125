import { constants } from 'node:fs'
import { NfsError, NfsStatus } from '../errors.js'
import { XdrReader } from '../xdr/reader.js'
import { XdrWriter } from '../xdr/writer.js'
import type { SetAttrs, Stat } from '../vfs/types.js'
import { Ftype, LEASE_SECONDS, MAX_IO } from './consts.js'

/** RFC 7530 §5.8 / RFC 8881 §5.8: attribute numbers (fattr4 bits). */
export enum Attr {
  SUPPORTED_ATTRS = 0, TYPE = 1, FH_EXPIRE_TYPE = 2, CHANGE = 3, SIZE = 4, LINK_SUPPORT = 5,
  SYMLINK_SUPPORT = 6, NAMED_ATTR = 7, FSID = 8, UNIQUE_HANDLES = 9, LEASE_TIME = 10,
  RDATTR_ERROR = 11, ACL = 12, ACLSUPPORT = 13, CANSETTIME = 15, CASE_INSENSITIVE = 16,
  CASE_PRESERVING = 17, CHOWN_RESTRICTED = 18, FILEHANDLE = 19, FILEID = 20, FILES_AVAIL = 21,
  FILES_FREE = 22, FILES_TOTAL = 23, HOMOGENEOUS = 26, MAXFILESIZE = 27, MAXLINK = 28,
  MAXNAME = 29, MAXREAD = 30, MAXWRITE = 31, MODE = 33, NO_TRUNC = 34, NUMLINKS = 35, OWNER = 36,
  OWNER_GROUP = 37, RAWDEV = 41, SPACE_AVAIL = 42, SPACE_FREE = 43, SPACE_TOTAL = 44,
  SPACE_USED = 45, TIME_ACCESS = 47, TIME_ACCESS_SET = 48, TIME_DELTA = 51, TIME_METADATA = 52,
  TIME_MODIFY = 53, TIME_MODIFY_SET = 54, MOUNTED_ON_FILEID = 55, SUPPATTR_EXCLCREAT = 75
}

/** RFC 7530 §3.2: typedef uint32_t bitmap4<>. */
export type Bitmap = number[]

export function readBitmap (r: XdrReader): Bitmap { return r.array(8, (x) => x.u32()) }
export function writeBitmap (w: XdrWriter, b: Bitmap): void {
  let n = b.length
  while (n > 0 && b[n - 1] === 0) n--
  w.u32(n)
  for (let i = 0; i < n; i++) w.u32(b[i]!)
}
export function has (b: Bitmap, bit: number): boolean { return (((b[bit >> 5] ?? 0) >>> (bit & 31)) & 1) === 1 }
export function withoutBit (b: Bitmap, bit: number): Bitmap {
  return b.map((w, i) => (i === bit >> 5 ? (w & ~(1 << (bit & 31))) >>> 0 : w))
}
export function bitmapOf (bits: number[]): Bitmap {
  const b: Bitmap = []
  for (const bit of bits) {
    while (b.length <= bit >> 5) b.push(0)
    b[bit >> 5] = (b[bit >> 5]! | (1 << (bit & 31))) >>> 0
  }
  return b
}

const SUPPORTED_40 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30, 31,
  33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 47, 48, 51, 52, 53, 54, 55]
const SUPPORTED = [bitmapOf(SUPPORTED_40), bitmapOf([...SUPPORTED_40, Attr.SUPPATTR_EXCLCREAT])]
/** RFC 8881 §5.8.3.1: what EXCLUSIVE4_1 may set along with the verifier (the times hold the verifier). */
export const EXCLCREAT = bitmapOf([Attr.SIZE, Attr.MODE, Attr.OWNER, Attr.OWNER_GROUP])
export function supported (minor: number): Bitmap { return SUPPORTED[minor > 0 ? 1 : 0]! }

/** Everything an fattr4 can say about one object, from a real stat or the pseudo-root. */
export interface AttrSource {
  type: Ftype, mode: number, nlink: number, uid: number, gid: number, size: bigint, used: bigint
  fileid: bigint, mountedOn: bigint, atime: bigint, mtime: bigint, ctime: bigint, change: bigint
  rdev: [number, number], fsid: [bigint, bigint], fh: Buffer
}

export interface FsStats { bsize: bigint, blocks: bigint, bfree: bigint, bavail: bigint, files: bigint, ffree: bigint }

/** What the encoder needs besides the object: the minor version and (lazily) the file system's figures. */
export interface AttrEnv { minor: number, statfs: () => Promise<FsStats> }

export const FSID_MAJOR = 0x53484f41n // 'SHOA'

export function fromStat (st: Stat, fh: Buffer, index: number): AttrSource {
  const fmt = Number(st.mode) & constants.S_IFMT
  const type = fmt === constants.S_IFDIR ? Ftype.DIR : fmt === constants.S_IFLNK ? Ftype.LNK
    : fmt === constants.S_IFIFO ? Ftype.FIFO : fmt === constants.S_IFCHR ? Ftype.CHR
      : fmt === constants.S_IFBLK ? Ftype.BLK : fmt === constants.S_IFSOCK ? Ftype.SOCK : Ftype.REG
  const rdev = Number(st.rdev)
  return {
    type, mode: Number(st.mode) & 0o7777, nlink: Number(st.nlink), uid: Number(st.uid), gid: Number(st.gid),
    size: st.size, used: st.blocks * 512n, fileid: st.ino, mountedOn: st.ino,
    atime: st.atimeNs, mtime: st.mtimeNs, ctime: st.ctimeNs, change: st.ctimeNs,
    rdev: [(rdev >>> 8) & 0xfff, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00)], fsid: [FSID_MAJOR, BigInt(index)], fh
  }
}

function time (w: XdrWriter, ns: bigint): void {
  // RFC 7530 §3.3.1: struct nfstime4 { int64_t seconds; uint32_t nseconds; };
  let s = ns / 1_000_000_000n
  let n = ns % 1_000_000_000n
  if (n < 0n) { n += 1_000_000_000n; s -= 1n }
  w.i64(s).u32(Number(n))
}

/**
 * RFC 7530 §3.3.9: struct fattr4 { bitmap4 attrmask; attrlist4 attr_vals; }, the values in
 * ascending bit order. Bits the server does not support are left out of the returned mask.
 */
export async function encodeAttrs (w: XdrWriter, a: AttrSource, req: Bitmap, env: AttrEnv, rdattrError = 0): Promise<void> {
  const sup = supported(env.minor)
  const v = new XdrWriter(256)
  const out: number[] = []
  const needFs = [Attr.FILES_AVAIL, Attr.FILES_FREE, Attr.FILES_TOTAL, Attr.SPACE_AVAIL, Attr.SPACE_FREE, Attr.SPACE_TOTAL].some((b) => has(req, b))
  const fs = needFs ? await env.statfs() : undefined
  const words = Math.min(req.length, sup.length)
  for (let wi = 0; wi < words; wi++) {
    const bits = (req[wi]! & sup[wi]!) >>> 0
    if (bits === 0) continue
    for (let b = 0; b < 32; b++) {
      if (((bits >>> b) & 1) === 0) continue
      const bit = wi * 32 + b
      if (bit === Attr.TIME_ACCESS_SET || bit === Attr.TIME_MODIFY_SET) continue // write-only
      out.push(bit)
      encodeOne(v, bit, a, env, fs, rdattrError)
    }
  }
  writeBitmap(w, bitmapOf(out))
  w.opaque(v.toBuffer())
}

function encodeOne (v: XdrWriter, bit: number, a: AttrSource, env: AttrEnv, fs: FsStats | undefined, rdattrError: number): void {
  switch (bit) {
    case Attr.SUPPORTED_ATTRS: writeBitmap(v, supported(env.minor)); break
    case Attr.TYPE: v.u32(a.type); break
    case Attr.FH_EXPIRE_TYPE: v.u32(0); break // FH4_PERSISTENT
    case Attr.CHANGE: v.u64(a.change); break
    case Attr.SIZE: v.u64(a.size); break
    case Attr.LINK_SUPPORT: case Attr.SYMLINK_SUPPORT: case Attr.UNIQUE_HANDLES: case Attr.CANSETTIME:
    case Attr.CASE_PRESERVING: case Attr.CHOWN_RESTRICTED: case Attr.HOMOGENEOUS: case Attr.NO_TRUNC: v.bool(true); break
    case Attr.NAMED_ATTR: case Attr.CASE_INSENSITIVE: v.bool(false); break
    case Attr.FSID: v.u64(a.fsid[0]).u64(a.fsid[1]); break
    case Attr.LEASE_TIME: v.u32(LEASE_SECONDS); break
    case Attr.RDATTR_ERROR: v.u32(rdattrError); break
    case Attr.ACLSUPPORT: v.u32(0); break
    case Attr.FILEHANDLE: v.opaque(a.fh); break
    case Attr.FILEID: v.u64(a.fileid); break
    case Attr.FILES_AVAIL: v.u64(fs?.ffree ?? 0n); break
    case Attr.FILES_FREE: v.u64(fs?.ffree ?? 0n); break
    case Attr.FILES_TOTAL: v.u64(fs?.files ?? 0n); break
    case Attr.MAXFILESIZE: v.u64(BigInt(Number.MAX_SAFE_INTEGER)); break
    case Attr.MAXLINK: v.u32(65000); break
    case Attr.MAXNAME: v.u32(255); break
    case Attr.MAXREAD: case Attr.MAXWRITE: v.u64(BigInt(MAX_IO)); break
    case Attr.MODE: v.u32(a.mode); break
    case Attr.NUMLINKS: v.u32(a.nlink); break
    case Attr.OWNER: v.string(String(a.uid)); break
    case Attr.OWNER_GROUP: v.string(String(a.gid)); break
    case Attr.RAWDEV: v.u32(a.rdev[0]).u32(a.rdev[1]); break
    case Attr.SPACE_AVAIL: v.u64((fs?.bavail ?? 0n) * (fs?.bsize ?? 0n)); break
    case Attr.SPACE_FREE: v.u64((fs?.bfree ?? 0n) * (fs?.bsize ?? 0n)); break
    case Attr.SPACE_TOTAL: v.u64((fs?.blocks ?? 0n) * (fs?.bsize ?? 0n)); break
    case Attr.SPACE_USED: v.u64(a.used); break
    case Attr.TIME_ACCESS: time(v, a.atime); break
    case Attr.TIME_DELTA: time(v, 1n); break
    case Attr.TIME_METADATA: time(v, a.ctime); break
    case Attr.TIME_MODIFY: time(v, a.mtime); break
    case Attr.MOUNTED_ON_FILEID: v.u64(a.mountedOn); break
    case Attr.SUPPATTR_EXCLCREAT: writeBitmap(v, EXCLCREAT); break
  }
}

/**
 * The settable attributes (SETATTR, CREATE, OPEN createattrs), decoded in bit order. A supported
 * but read-only attribute is INVAL; an unsupported one is ATTRNOTSUPP (RFC 7530 §16.32.5).
 */
export function decodeSetAttrs (r: XdrReader, minor: number): { attrs: SetAttrs, set: Bitmap } {
  const mask = readBitmap(r)
  const vals = r.opaque(64 * 1024)
  const v = new XdrReader(vals)
  const attrs: SetAttrs = {}
  const set: number[] = []
  const sup = supported(minor)
  for (let wi = 0; wi < mask.length; wi++) {
    for (let b = 0; b < 32; b++) {
      if (((mask[wi]! >>> b) & 1) === 0) continue
      const bit = wi * 32 + b
      if (!has(sup, bit)) throw new NfsError(NfsStatus.ATTRNOTSUPP, `attribute ${bit}`)
      switch (bit) {
        case Attr.SIZE: attrs.size = v.u64(); break
        case Attr.MODE: attrs.mode = v.u32() & 0o7777; break
        case Attr.OWNER: attrs.uid = parseId(v.opaque(1024)); break
        case Attr.OWNER_GROUP: attrs.gid = parseId(v.opaque(1024)); break
        case Attr.TIME_ACCESS_SET: attrs.atime = setTime(v); break
        case Attr.TIME_MODIFY_SET: attrs.mtime = setTime(v); break
        default: throw new NfsError(NfsStatus.INVAL, `attribute ${bit} is read-only`)
      }
      set.push(bit)
    }
  }
  return { attrs, set: bitmapOf(set) }
}

/** RFC 7530 §5.9: owners as numeric strings ("1000", or "1000@domain" from an idmapper). */
function parseId (raw: Buffer): number {
  const m = /^(\d{1,10})(@.*)?$/.exec(raw.toString('utf8'))
  const n = m ? Number(m[1]) : NaN
  if (!Number.isInteger(n) || n > 0xffffffff) throw new NfsError(NfsStatus.BADOWNER, 'owners must be numeric')
  return n
}

/** RFC 7530 §3.3.2: union settime4 switch (time_how4) { case SET_TO_CLIENT_TIME4: nfstime4; default: void; } */
function setTime (v: XdrReader): bigint | 'now' {
  const how = v.u32()
  if (how === 0) return 'now'
  if (how !== 1) throw new NfsError(NfsStatus.INVAL, 'bad time_how4')
  const s = v.i64()
  const ns = v.u32()
  if (ns >= 1_000_000_000) throw new NfsError(NfsStatus.INVAL, 'nseconds out of range')
  return s * 1_000_000_000n + BigInt(ns)
}

import { XdrReader } from '../../src/nfs/xdr/reader.js'
import { XdrWriter } from '../../src/nfs/xdr/writer.js'
import type { RawClient } from './nfs-client.js'

/** RFC 1813 procedure numbers, for tests. */
export const P3 = {
  NULL: 0, GETATTR: 1, SETATTR: 2, LOOKUP: 3, ACCESS: 4, READLINK: 5, READ: 6, WRITE: 7, CREATE: 8,
  MKDIR: 9, SYMLINK: 10, MKNOD: 11, REMOVE: 12, RMDIR: 13, RENAME: 14, LINK: 15, READDIR: 16,
  READDIRPLUS: 17, FSSTAT: 18, FSINFO: 19, PATHCONF: 20, COMMIT: 21
} as const

export interface Fattr3 { type: number, mode: number, nlink: number, uid: number, gid: number, size: bigint, fsid: bigint, fileid: bigint, mtime: [number, number], ctime: [number, number] }

export function fattr3 (r: XdrReader): Fattr3 {
  const type = r.u32(); const mode = r.u32(); const nlink = r.u32(); const uid = r.u32(); const gid = r.u32()
  const size = r.u64(); r.u64(); r.u32(); r.u32()
  const fsid = r.u64(); const fileid = r.u64()
  r.u32(); r.u32()
  const mtime: [number, number] = [r.u32(), r.u32()]
  const ctime: [number, number] = [r.u32(), r.u32()]
  return { type, mode, nlink, uid, gid, size, fsid, fileid, mtime, ctime }
}
export function postOp (r: XdrReader): Fattr3 | undefined { return r.bool() ? fattr3(r) : undefined }
export function wcc (r: XdrReader): { pre?: { size: bigint }, post?: Fattr3 } {
  let pre: { size: bigint } | undefined
  if (r.bool()) { pre = { size: r.u64() }; r.u64(); r.u64() }
  return { pre, post: postOp(r) }
}

/** sattr3 from a partial description (RFC 1813 §2.6). */
export function sattr3 (w: XdrWriter, a: { mode?: number, uid?: number, gid?: number, size?: bigint, mtime?: number } = {}): XdrWriter {
  for (const v of [a.mode, a.uid, a.gid]) { if (v === undefined) w.bool(false); else w.bool(true).u32(v) }
  if (a.size === undefined) w.bool(false); else w.bool(true).u64(a.size)
  w.u32(0)
  if (a.mtime === undefined) w.u32(0); else w.u32(2).u32(a.mtime).u32(0)
  return w
}

export const dirop = (w: XdrWriter, dir: Buffer, name: string | Buffer): XdrWriter => w.opaque(dir).opaque(Buffer.isBuffer(name) ? name : Buffer.from(name))

/** NFSv3 and MOUNT v3 calls over a RawClient; a reply that is not accepted SUCCESS throws with its accept_stat. */
export class V3Client {
  constructor (readonly c: RawClient) {}

  /** The RPC reply's accept_stat (or -1 for MSG_DENIED) and a reader at the results. */
  async rpc (prog: number, vers: number, proc: number, build: (w: XdrWriter) => void = () => {}): Promise<{ accept: number, r: XdrReader }> {
    const w = new XdrWriter()
    build(w)
    const reply = await this.c.call(prog, vers, proc, w)
    if (reply.length === 0) throw new Error('connection closed')
    const r = new XdrReader(reply)
    r.u32(); r.u32()
    if (r.u32() !== 0) return { accept: -1, r }
    r.u32(); r.opaque(400)
    return { accept: r.u32(), r }
  }

  /** An NFSv3 procedure: its nfsstat3 and a reader at the rest. */
  async call (proc: number, build: (w: XdrWriter) => void = () => {}): Promise<{ status: number, r: XdrReader }> {
    const { accept, r } = await this.rpc(100003, 3, proc, build)
    if (accept !== 0) throw new Error(`accept_stat ${accept}`)
    return { status: r.u32(), r }
  }

  async mnt (path: string): Promise<{ status: number, fh: Buffer, flavors: number[] }> {
    const { accept, r } = await this.rpc(100005, 3, 1, (w) => w.string(path))
    if (accept !== 0) throw new Error(`accept_stat ${accept}`)
    const status = r.u32()
    if (status !== 0) return { status, fh: Buffer.alloc(0), flavors: [] }
    return { status, fh: Buffer.from(r.opaque(64)), flavors: r.array(8, (x) => x.u32()) }
  }

  async lookup (dir: Buffer, name: string): Promise<Buffer> {
    const { status, r } = await this.call(P3.LOOKUP, (w) => dirop(w, dir, name))
    if (status !== 0) throw new Error(`LOOKUP ${name}: ${status}`)
    return Buffer.from(r.opaque(64))
  }

  async getattr (fh: Buffer): Promise<Fattr3> {
    const { status, r } = await this.call(P3.GETATTR, (w) => w.opaque(fh))
    if (status !== 0) throw new Error(`GETATTR: ${status}`)
    return fattr3(r)
  }

  /** CREATE (UNCHECKED, or GUARDED/EXCLUSIVE) → status and the new handle. */
  async create (dir: Buffer, name: string, how: { mode?: 0 | 1, attrs?: Parameters<typeof sattr3>[1] } | { verf: Buffer } = {}): Promise<{ status: number, fh?: Buffer }> {
    const { status, r } = await this.call(P3.CREATE, (w) => {
      dirop(w, dir, name)
      if ('verf' in how) w.u32(2).fixed(how.verf)
      else sattr3(w.u32(how.mode ?? 0), how.attrs)
    })
    if (status !== 0) return { status }
    return { status, fh: r.bool() ? Buffer.from(r.opaque(64)) : undefined }
  }

  async write (fh: Buffer, offset: bigint, data: Buffer, stable = 2): Promise<{ status: number, count: number, committed: number, verf: Buffer }> {
    const { status, r } = await this.call(P3.WRITE, (w) => w.opaque(fh).u64(offset).u32(data.length).u32(stable).opaque(data))
    wcc(r)
    if (status !== 0) return { status, count: 0, committed: 0, verf: Buffer.alloc(0) }
    return { status, count: r.u32(), committed: r.u32(), verf: Buffer.from(r.fixed(8)) }
  }

  async read (fh: Buffer, offset: bigint, count: number): Promise<{ status: number, eof: boolean, data: Buffer }> {
    const { status, r } = await this.call(P3.READ, (w) => w.opaque(fh).u64(offset).u32(count))
    postOp(r)
    if (status !== 0) return { status, eof: false, data: Buffer.alloc(0) }
    r.u32()
    const eof = r.bool()
    return { status, eof, data: Buffer.from(r.opaque(1 << 21)) }
  }

  /** Every name in a directory, through as many READDIR (or READDIRPLUS) calls as it takes. */
  async list (dir: Buffer, opts: { plus?: boolean, count?: number } = {}): Promise<Array<{ name: string, cookie: bigint, fh?: Buffer }>> {
    const out: Array<{ name: string, cookie: bigint, fh?: Buffer }> = []
    let cookie = 0n
    let verf = Buffer.alloc(8)
    for (let calls = 0; calls < 10_000; calls++) {
      const count = opts.count ?? 8192
      const { status, r } = await this.call(opts.plus ? P3.READDIRPLUS : P3.READDIR, (w) => {
        w.opaque(dir).u64(cookie).fixed(verf).u32(count)
        if (opts.plus) w.u32(count * 4)
      })
      if (status !== 0) throw new Error(`READDIR: ${status}`)
      postOp(r)
      verf = Buffer.from(r.fixed(8))
      while (r.bool()) {
        r.u64()
        const name = r.string(255)
        cookie = r.u64()
        let fh: Buffer | undefined
        if (opts.plus) { postOp(r); if (r.bool()) fh = Buffer.from(r.opaque(64)) }
        out.push({ name, cookie, fh })
      }
      if (r.bool()) return out
    }
    throw new Error('READDIR never reached eof')
  }
}

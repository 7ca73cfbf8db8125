import type { Logger } from '../../log.js'
import type { AllowList } from '../allow.js'
import { NfsError, NfsStatus } from '../errors.js'
import type { ExportTable } from '../exports.js'
import { decodeFh, encodeFh, PSEUDO_ROOT } from '../fh.js'
import type { RpcConnection } from '../rpc/dispatch.js'
import type { AuthSys } from '../rpc/message.js'
import type { LocalVfs } from '../vfs/local.js'
import { checkName } from '../vfs/names.js'
import { StatMemo } from '../vfs/stat-memo.js'
import { PSEUDO, type Creds, type FsNode, type Stat, type VNode } from '../vfs/types.js'
import type { XdrReader } from '../xdr/reader.js'
import type { XdrWriter } from '../xdr/writer.js'
import { postOpAttr, pseudoAttrs, statAttrs, wccAttr, wccData, type AttrSource, type WccAttr } from './attrs.js'
import { FHSIZE3, MAX_FILENAME } from './consts.js'

/** What every v3 procedure and MOUNT can reach: shared by all connections of one server. */
export interface V3Env {
  readonly vfs: LocalVfs
  readonly exports: ExportTable
  readonly log: Logger
  /** RFC 1813 §3.3.7: changes when the server restarts, so clients resend UNSTABLE writes (v4's). */
  readonly writeVerf: Buffer
  /** SHOAL_NFS_ALLOW, checked again by MNT */
  readonly allow: AllowList
  /** per-procedure counters and time spent (the server's, shared with v4) */
  readonly stats?: { count (op: string, status: string, micros?: number): void }
}

/**
 * One v3 call while it runs. Procedures record the objects their failure results speak of
 * (`obj` for post_op_attr or the after half of wcc_data, `pre` its before half; `obj2`/`pre2`
 * for RENAME's target directory and LINK's directory), so the program can write resfail bodies.
 */
export class Call3 {
  obj: VNode | undefined
  /** obj's attributes when the procedure already asked for them (read alongside its work) */
  objAttrs: Promise<AttrSource | undefined> | undefined
  pre: WccAttr | undefined
  obj2: VNode | undefined
  pre2: WccAttr | undefined
  readonly creds: Creds
  /**
   * The stats this call has taken (a CREATE's pre-op attributes are its directory check, a
   * LOOKUP's directory attributes serve a failure too); stale once any mutation finishes.
   */
  readonly #memo: StatMemo

  constructor (readonly env: V3Env, readonly auth: AuthSys | undefined, readonly conn: RpcConnection) {
    this.creds = auth ? { uid: auth.uid, gid: auth.gid } : { uid: 65534, gid: 65534 }
    this.#memo = new StatMemo(env.vfs.clock)
  }

  /** nfs_fh3 → node; a handle that is not ours is BADHANDLE, one of ours that is gone STALE. */
  async node (raw: Buffer): Promise<VNode> {
    const h = decodeFh(raw)
    if (h.index === 0) return PSEUDO
    return await this.env.vfs.resolve(h)
  }

  fh (n: VNode): Buffer { return n.kind === 'pseudo' ? encodeFh(PSEUDO_ROOT) : encodeFh(this.env.vfs.handle(n)) }

  async attrs (n: VNode): Promise<AttrSource> {
    if (n.kind === 'pseudo') return pseudoAttrs(this.env.exports.list().length)
    return statAttrs(await this.stat(n), n.exp.index)
  }

  /** A stat from earlier in this call (no mutation since), else a fresh one, remembered. */
  async stat (n: FsNode): Promise<Stat> {
    return await this.#memo.through(this.env.vfs.key(n), async () => await this.env.vfs.stat(n))
  }

  /** A stat this call has without asking the file system (remembered, or the handle check's), or undefined. */
  known (n: FsNode): Stat | undefined { return this.#memo.get(this.env.vfs.key(n)) ?? n.pre }

  /** A stat the call got from a mutation's result (taken after it): the node's attributes from now on. */
  remember (n: FsNode, st: Stat): Stat { return this.#memo.set(this.env.vfs.key(n), st) }

  /** Attributes for a post_op_attr: best effort, a failure just leaves them out. */
  async attrsOrNone (n: VNode | undefined): Promise<AttrSource | undefined> {
    if (!n) return undefined
    try { return await this.attrs(n) } catch { return undefined }
  }

  /** The before half of wcc_data, taken now. */
  async wcc (n: VNode): Promise<WccAttr> { return wccAttr(await this.attrs(n)) }

  /** Mutations on a read-only export or the pseudo-root are ROFS. */
  writable (n: VNode): FsNode {
    if (n.kind === 'pseudo' || n.exp.readOnly) throw new NfsError(NfsStatus.ROFS)
    return n
  }
}

/** RFC 1813 §2.5: typedef opaque nfs_fh3<NFS3_FHSIZE>; */
export function readFh (r: XdrReader): Buffer { return Buffer.from(r.opaque(FHSIZE3)) }

/** RFC 1813 §2.5: typedef string filename3<>; read bounded, checked before it meets a path. */
export function readName (r: XdrReader): Buffer { return r.opaque(MAX_FILENAME) }

/** RFC 1813 §3.3.3: struct diropargs3 { nfs_fh3 dir; filename3 name; }; */
export function readDirop (r: XdrReader): { dir: Buffer, name: Buffer } {
  const dir = readFh(r)
  return { dir, name: readName(r) }
}

/** A name for a new or existing entry: '.' and '..' cannot be created or removed (EXIST / INVAL). */
export function entryName (raw: Buffer, dotStatus: NfsStatus = NfsStatus.INVAL): string {
  const s = raw.toString('utf8')
  if (s === '.' || s === '..') throw new NfsError(dotStatus)
  return checkName(raw)
}

/**
 * The result of the procedures that make an object (RFC 1813 §3.3.8 CREATE3resok and alike):
 *   post_op_fh3 obj; post_op_attr obj_attributes; wcc_data dir_wcc;
 */
export async function writeMade (res: XdrWriter, c: Call3, made: { node: FsNode, stat: Stat }, dir: FsNode): Promise<void> {
  res.bool(true).opaque(c.fh(made.node))
  postOpAttr(res, statAttrs(made.stat, made.node.exp.index))
  wccData(res, c.pre, await c.attrsOrNone(dir))
}

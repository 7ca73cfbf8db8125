import type { AuthSys } from '../rpc/message.js'
import type { RpcConnection } from '../rpc/dispatch.js'
import { NfsError, NfsStatus } from '../errors.js'
import { encodeFh, PSEUDO_ROOT } from '../fh.js'
import { StatMemo } from '../vfs/stat-memo.js'
import type { FsNode, VNode, Creds, Stat } from '../vfs/types.js'
import type { XdrWriter } from '../xdr/writer.js'
import { encodeAttrs, fromStat, FSID_MAJOR, type AttrSource, type Bitmap } from './attrs.js'
import { Ftype, MAX_RECORD } from './consts.js'
import type { V4Env } from './env.js'
import type { Client, Session, Slot } from './state/clients.js'
import type { Stateid } from './state/stateid.js'

/** The state of one COMPOUND while it runs (RFC 7530 §15.2: current and saved filehandles). */
export class Ctx {
  current: VNode | null = null
  saved: VNode | null = null
  session: Session | null = null
  slot: Slot | null = null
  /** RFC 8881 §16.2.3.1.2: the current stateid, for the special "current" stateid */
  stateid: Stateid | null = null
  readonly creds: Creds
  /**
   * Bytes of READ and READDIR data this compound may still return: one compound of many READs
   * must not build a reply of hundreds of MiB (RESOURCE in 4.0, REP_TOO_BIG in 4.1).
   */
  budget = MAX_RECORD
  /**
   * Stats taken earlier in this compound, by file key: a LOOKUP or OPEN followed by GETATTR costs
   * one lstat, not two. An entry is stale once the vfs finishes any mutation (its clock), so an op
   * after a change never sees the attributes from before it.
   */
  readonly #memo: StatMemo

  constructor (readonly env: V4Env, readonly minor: number, readonly auth: AuthSys | undefined, readonly conn: RpcConnection) {
    this.creds = auth ? { uid: auth.uid, gid: auth.gid } : { uid: 65534, gid: 65534 }
    this.#memo = new StatMemo(env.vfs.clock)
  }

  /** The 4.1 session's client (set by SEQUENCE). */
  get client (): Client | null { return this.session?.client ?? null }

  fh (): VNode {
    if (!this.current) throw new NfsError(NfsStatus.NOFILEHANDLE)
    return this.current
  }

  /** The current file inside an export; the pseudo-root gets `pseudoStatus` (e.g. ROFS, ISDIR). */
  fsFh (pseudoStatus: NfsStatus = NfsStatus.INVAL): FsNode {
    const n = this.fh()
    if (n.kind === 'pseudo') throw new NfsError(pseudoStatus)
    return n
  }

  /** Mutations on a read-only export or the pseudo-root are ROFS. */
  writable (n: VNode): FsNode {
    if (n.kind === 'pseudo' || n.exp.readOnly) throw new NfsError(NfsStatus.ROFS)
    return n
  }

  fhBytes (n: VNode): Buffer { return n.kind === 'pseudo' ? encodeFh(PSEUDO_ROOT) : encodeFh(this.env.vfs.handle(n)) }

  async attrSource (n: VNode): Promise<AttrSource> {
    if (n.kind === 'pseudo') return pseudoAttrs(this)
    return fromStat(await this.stat(n), this.fhBytes(n), n.exp.index)
  }

  /** Takes up to `want` bytes of the reply budget; none left is RESOURCE / REP_TOO_BIG. */
  take (want: number): number {
    if (want > 0 && this.budget <= 0) throw new NfsError(this.minor === 0 ? NfsStatus.RESOURCE : NfsStatus.REP_TOO_BIG)
    const n = Math.min(want, this.budget)
    this.budget -= n
    return n
  }

  /** A stat from earlier in this compound, else a fresh one. */
  async stat (n: FsNode): Promise<Stat> {
    return await this.#memo.through(this.env.vfs.key(n), async () => await this.env.vfs.stat(n))
  }

  /** A stat this compound has without asking the file system (remembered, or the handle check's), or undefined. */
  known (n: FsNode): Stat | undefined { return this.#memo.get(this.env.vfs.key(n)) ?? n.pre }

  /** A fresh stat (after a change), remembered for the rest of the compound. */
  async fresh (n: FsNode): Promise<Stat> {
    const at = this.env.vfs.clock.now
    return this.#memo.set(this.env.vfs.key(n), await this.env.vfs.stat(n), at)
  }

  /** A stat taken after the last mutation (a lookup's, a create's result), remembered. */
  remember (n: FsNode, st: Stat): Stat { return this.#memo.set(this.env.vfs.key(n), st) }

  async writeAttrs (w: XdrWriter, n: VNode, req: Bitmap): Promise<void> {
    await encodeAttrs(w, await this.attrSource(n), req, this.attrEnv(n))
  }

  attrEnv (n: VNode): { minor: number, statfs: () => Promise<{ bsize: bigint, blocks: bigint, bfree: bigint, bavail: bigint, files: bigint, ffree: bigint }> } {
    return {
      minor: this.minor,
      statfs: async () => n.kind === 'pseudo'
        ? { bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n }
        : await this.env.vfs.statfs(n.exp)
    }
  }
}

const BOOT_NS = BigInt(Date.now()) * 1_000_000n

/** The pseudo-root: a read-only directory whose change attribute follows the export list. */
export function pseudoAttrs (ctx: Ctx): AttrSource {
  let change = BOOT_NS
  for (const e of ctx.env.exports.list()) change += BigInt(e.index) * 7919n + BigInt(e.name.length)
  return {
    type: Ftype.DIR, mode: 0o555, nlink: 2 + ctx.env.exports.list().length, uid: 0, gid: 0, size: 4096n, used: 4096n,
    fileid: 1n, mountedOn: 1n, atime: BOOT_NS, mtime: BOOT_NS, ctime: BOOT_NS, change,
    rdev: [0, 0], fsid: [FSID_MAJOR, 0n], fh: encodeFh(PSEUDO_ROOT)
  }
}

/** RFC 7530 §3.3.11: struct change_info4 { bool atomic; changeid4 before; changeid4 after; }; */
export function changeInfo (w: XdrWriter, before: bigint, after: bigint): void {
  w.bool(false).u64(before).u64(after)
}

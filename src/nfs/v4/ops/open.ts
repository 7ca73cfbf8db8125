import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import type { CreateHow, FsNode, SetAttrs, Stat } from '../../vfs/types.js'
import type { XdrReader } from '../../xdr/reader.js'
import { Attr, bitmapOf, decodeSetAttrs, has, writeBitmap, EXCLCREAT, type Bitmap } from '../attrs.js'
import { changeInfo, type Ctx } from '../context.js'
import { MAX_COMPONENT, MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'
import type { Client } from '../state/clients.js'
import { readStateid, writeStateid } from '../state/stateid.js'

// RFC 7530 §16.16.1 / RFC 8881 §18.16.1
const CLAIM_NULL = 0
const CLAIM_PREVIOUS = 1
const CLAIM_DELEGATE_CUR = 2
const CLAIM_DELEGATE_PREV = 3
const CLAIM_FH = 4
const CLAIM_DELEG_PREV_FH = 5
const CLAIM_DELEG_CUR_FH = 6
const UNCHECKED4 = 0
const GUARDED4 = 1
const EXCLUSIVE4 = 2
const EXCLUSIVE4_1 = 3
const OPEN4_RESULT_LOCKTYPE_POSIX = 4
const OPEN_DELEGATE_NONE = 0

interface Create { how: CreateHow, attrs: SetAttrs, set: Bitmap }

/**
 * RFC 7530 §16.16.1:
 *   struct OPEN4args { seqid4 seqid; uint32_t share_access; uint32_t share_deny; open_owner4 owner;
 *                      openflag4 openhow; open_claim4 claim; };
 *   struct OPEN4resok { stateid4 stateid; change_info4 cinfo; uint32_t rflags; bitmap4 attrset;
 *                       open_delegation4 delegation; };
 * No delegations are given and no OPEN_CONFIRM is required (OPEN4_RESULT_CONFIRM is never set).
 * EXCLUSIVE4 keeps the verifier in the times and reports them in attrset, so the client's
 * follow-up SETATTR sets the real times (RFC 7530 §16.16.5, what libnfs relies on).
 */
export const open: OpDesc = {
  name: 'OPEN',
  needsFh: true,
  async run (ctx, args, res) {
    args.u32() // seqid: owners are not sequenced here (RFC 8881 ignores it; 4.0 clients do not need the check)
    const access = args.u32() & 0xff
    const deny = args.u32()
    const clientid = args.u64()
    const owner = Buffer.from(args.opaque(MAX_OPAQUE))
    const create = args.u32() === 1 ? readCreate(args, ctx.minor) : null
    const claim = args.u32()
    let name: string | null = null
    if (claim === CLAIM_NULL || claim === CLAIM_DELEGATE_PREV) name = checkName(args.opaque(MAX_COMPONENT))
    else if (claim === CLAIM_PREVIOUS) args.u32()
    else if (claim === CLAIM_DELEGATE_CUR) { readStateid(args); args.opaque(MAX_COMPONENT) } else if (claim === CLAIM_DELEG_CUR_FH) readStateid(args)
    else if (claim !== CLAIM_FH && claim !== CLAIM_DELEG_PREV_FH) throw new NfsError(NfsStatus.BADXDR, 'bad open_claim4')
    if (access < 1 || access > 3 || deny > 3) throw new NfsError(NfsStatus.INVAL)
    if (ctx.minor === 0 && claim > CLAIM_DELEGATE_PREV) throw new NfsError(NfsStatus.BADXDR)
    if (claim === CLAIM_PREVIOUS || claim === CLAIM_DELEGATE_PREV || claim === CLAIM_DELEG_PREV_FH) throw new NfsError(NfsStatus.NO_GRACE)
    if (claim === CLAIM_DELEGATE_CUR || claim === CLAIM_DELEG_CUR_FH) throw new NfsError(NfsStatus.BAD_STATEID, 'no delegations are given')
    const client = ownerClient(ctx, clientid)

    const cur = ctx.fh()
    let file: FsNode
    let fileStat: Stat | undefined
    let before = 0n
    let after = 0n
    let attrset: Bitmap = []
    if (name !== null) {
      if (cur.kind === 'pseudo') {
        if (create) throw new NfsError(NfsStatus.ROFS)
        throw new NfsError(ctx.env.exports.byName(name) ? NfsStatus.ISDIR : NfsStatus.NOENT)
      }
      if (create) {
        const dir = ctx.writable(cur)
        // change_info4's before: the directory's lstat the create took just before its open
        const made = await ctx.env.vfs.create(dir, name, create.how, create.attrs, ctx.creds)
        file = made.node
        fileStat = made.stat
        before = made.dirBefore.ctimeNs
        after = made.dirAfter ? ctx.remember(dir, made.dirAfter).ctimeNs : (await ctx.fresh(dir)).ctimeNs
        const excl = create.how.mode === 'exclusive'
        if (made.created) attrset = excl ? bitmapOf([Attr.TIME_ACCESS, Attr.TIME_MODIFY, ...bits(create.set)]) : create.set
        else if (!excl && has(create.set, Attr.SIZE)) attrset = bitmapOf([Attr.SIZE])
      } else {
        before = (await ctx.stat(cur)).ctimeNs
        const found = await ctx.env.vfs.lookup(cur, name)
        file = found.node
        fileStat = found.stat
        after = before
      }
    } else {
      if (cur.kind === 'pseudo') throw new NfsError(NfsStatus.ISDIR)
      file = cur
    }
    const st = fileStat ?? await ctx.env.vfs.stat(file)
    if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
    if (st.isSymbolicLink()) throw new NfsError(NfsStatus.SYMLINK)
    if (!st.isFile()) throw new NfsError(ctx.minor > 0 ? NfsStatus.WRONG_TYPE : NfsStatus.INVAL)
    if ((access & 2) !== 0 && file.exp.readOnly) throw new NfsError(NfsStatus.ROFS)
    if (create && create.how.mode !== 'exclusive' && create.attrs.size !== undefined && has(attrset, Attr.SIZE) && st.size !== create.attrs.size) {
      await ctx.env.vfs.setattr(file, { size: create.attrs.size })
    } else {
      ctx.remember(file, st)
    }
    const o = ctx.env.opens.open(client, owner, ctx.env.vfs.key(file), access, deny)
    if (create?.how.mode === 'exclusive' && has(attrset, Attr.TIME_MODIFY)) o.verifier = create.how.verifier
    ctx.current = file
    ctx.stateid = { ...o.id }
    writeStateid(res, o.id)
    changeInfo(res, before, after)
    res.u32(OPEN4_RESULT_LOCKTYPE_POSIX)
    writeBitmap(res, attrset)
    res.u32(OPEN_DELEGATE_NONE)
  }
}

/** RFC 7530 §16.16.1: union createhow4 switch (createmode4 mode) { … }; RFC 8881 adds EXCLUSIVE4_1. */
function readCreate (r: XdrReader, minor: number): Create {
  const mode = r.u32()
  if (mode === UNCHECKED4 || mode === GUARDED4) {
    const { attrs, set } = decodeSetAttrs(r, minor)
    return { how: { mode: mode === UNCHECKED4 ? 'unchecked' : 'guarded' }, attrs, set }
  }
  if (mode === EXCLUSIVE4) return { how: { mode: 'exclusive', verifier: Buffer.from(r.fixed(8)) }, attrs: {}, set: [] }
  if (mode === EXCLUSIVE4_1 && minor > 0) {
    const verifier = Buffer.from(r.fixed(8))
    const { attrs, set } = decodeSetAttrs(r, minor)
    for (let i = 0; i < set.length; i++) if ((set[i]! & ~(EXCLCREAT[i] ?? 0)) !== 0) throw new NfsError(NfsStatus.INVAL, 'attribute not allowed with EXCLUSIVE4_1')
    return { how: { mode: 'exclusive', verifier }, attrs, set }
  }
  throw new NfsError(NfsStatus.BADXDR, 'bad createmode4')
}

function bits (b: Bitmap): number[] {
  const out: number[] = []
  for (let i = 0; i < b.length * 32; i++) if (has(b, i)) out.push(i)
  return out
}

/** 4.0: the owner's clientid must be a confirmed client; 4.1: the session's client. */
export function ownerClient (ctx: Ctx, clientid: bigint): Client {
  if (ctx.minor > 0) {
    if (!ctx.client) throw new NfsError(NfsStatus.OP_NOT_IN_SESSION)
    return ctx.client
  }
  const c = ctx.env.clients.get(clientid)
  if (!c.confirmed) throw new NfsError(NfsStatus.STALE_CLIENTID)
  ctx.env.clients.renew(c)
  return c
}

import { NfsError, NfsStatus } from '../../errors.js'
import type { Ctx } from '../context.js'
import type { OpDesc } from '../op.js'
import { OpenState } from '../state/opens.js'
import { isCurrent, readStateid, writeStateid, type Stateid } from '../state/stateid.js'

/** An open stateid of the current file (RFC 8881 §16.2.3.1.2: the "current" stateid is substituted). */
export function openOf (ctx: Ctx, sid: Stateid): OpenState {
  const s = ctx.minor > 0 && isCurrent(sid) && ctx.stateid ? ctx.stateid : sid
  const st = ctx.env.opens.find(s, ctx.minor)
  if (!(st instanceof OpenState)) throw new NfsError(NfsStatus.BAD_STATEID, 'not an open stateid')
  const n = ctx.fh()
  if (n.kind === 'pseudo' || st.fileKey !== ctx.env.vfs.key(n)) throw new NfsError(NfsStatus.BAD_STATEID, 'stateid of another file')
  return st
}

// RFC 7530 §16.2: struct CLOSE4args { seqid4 seqid; stateid4 open_stateid; }; CLOSE4res: stateid4 open_stateid
export const close: OpDesc = {
  name: 'CLOSE',
  needsFh: true,
  async run (ctx, args, res) {
    args.u32()
    const o = openOf(ctx, readStateid(args))
    o.close()
    writeStateid(res, { seq: o.id.seq + 1, other: o.id.other })
  }
}

// RFC 7530 §16.18: struct OPEN_CONFIRM4args { stateid4 open_stateid; seqid4 seqid; }; resok: stateid4 open_stateid
export const openConfirm: OpDesc = {
  name: 'OPEN_CONFIRM',
  needsFh: true,
  minors: [0, 0],
  async run (ctx, args, res) {
    const o = openOf(ctx, readStateid(args))
    args.u32()
    o.id.seq++
    writeStateid(res, o.id)
  }
}

// RFC 7530 §16.19: struct OPEN_DOWNGRADE4args { stateid4 open_stateid; seqid4 seqid; uint32_t share_access; uint32_t share_deny; };
export const openDowngrade: OpDesc = {
  name: 'OPEN_DOWNGRADE',
  needsFh: true,
  async run (ctx, args, res) {
    const o = openOf(ctx, readStateid(args))
    args.u32()
    const access = args.u32() & 0xff
    const deny = args.u32()
    ctx.env.opens.downgrade(o, access, deny)
    writeStateid(res, o.id)
  }
}

// RFC 7530 §16.6: DELEGRETURN; no delegation is ever given, so no stateid can name one.
export const delegreturn: OpDesc = {
  name: 'DELEGRETURN',
  needsFh: true,
  async run (_ctx, args) { readStateid(args); throw new NfsError(NfsStatus.BAD_STATEID) }
}

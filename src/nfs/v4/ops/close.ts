import { NfsError, NfsStatus } from '../../errors.js'
import type { Ctx } from '../context.js'
import { verifierOf } from '../../vfs/util.js'
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
    // Kind to libnfs, which never sends the SETATTR of the times after an EXCLUSIVE4 create
    // (RFC 7530 §16.16.5 asks the client to): times still holding the verifier become "now".
    const n = ctx.fh()
    if (o.verifier && n.kind === 'fs' && !n.exp.readOnly) {
      const st = await ctx.env.vfs.stat(n)
      if (verifierOf(st).equals(o.verifier)) await ctx.env.vfs.setattr(n, { atime: 'now', mtime: 'now' })
    }
    writeStateid(res, { seq: o.id.seq + 1, other: o.id.other })
  }
}

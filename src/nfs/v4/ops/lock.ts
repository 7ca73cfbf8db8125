import { NfsError, NfsStatus } from '../../errors.js'
import { MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'
import { LockState } from '../state/opens.js'
import { readStateid, writeStateid } from '../state/stateid.js'
import { openOf } from './close.js'
import { ownerClient } from './open.js'

export function lockType (t: number): number {
  if (t < 1 || t > 4) throw new NfsError(NfsStatus.BADXDR, 'bad nfs_lock_type4')
  return t
}

/**
 * RFC 7530 §16.10:
 *   struct LOCK4args { nfs_lock_type4 locktype; bool reclaim; offset4 offset; length4 length; locker4 locker; };
 *   union locker4 switch (bool new_lock_owner) { case TRUE: open_to_lock_owner4 open_owner;
 *                                                case FALSE: exist_lock_owner4 lock_owner; };
 *   struct open_to_lock_owner4 { seqid4 open_seqid; stateid4 open_stateid; seqid4 lock_seqid; lock_owner4 lock_owner; };
 *   struct exist_lock_owner4 { stateid4 lock_stateid; seqid4 lock_seqid; };
 *   LOCK4resok { stateid4 lock_stateid; }  LOCK4denied on conflict.
 */
export const lock: OpDesc = {
  name: 'LOCK',
  needsFh: true,
  async run (ctx, args, res) {
    const type = lockType(args.u32())
    const reclaim = args.bool()
    const offset = args.u64()
    const length = args.u64()
    let ls: LockState
    if (args.bool()) {
      args.u32()
      const openSid = readStateid(args)
      args.u32()
      const clientid = args.u64()
      const owner = Buffer.from(args.opaque(MAX_OPAQUE))
      if (reclaim) throw new NfsError(NfsStatus.NO_GRACE)
      const open = openOf(ctx, openSid)
      const client = ownerClient(ctx, clientid)
      ls = ctx.env.opens.lock(open, { client, owner }, undefined, type, offset, length)
    } else {
      const sid = readStateid(args)
      args.u32()
      if (reclaim) throw new NfsError(NfsStatus.NO_GRACE)
      const cur = ctx.env.opens.find(sid, ctx.minor)
      if (!(cur instanceof LockState)) throw new NfsError(NfsStatus.BAD_STATEID, 'not a lock stateid')
      const n = ctx.fsFh()
      if (cur.fileKey !== ctx.env.vfs.key(n)) throw new NfsError(NfsStatus.BAD_STATEID)
      ls = ctx.env.opens.lock(cur.open, cur.owner, cur, type, offset, length)
    }
    ctx.stateid = { ...ls.id }
    writeStateid(res, ls.id)
  }
}

import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'
import { LockState } from '../state/opens.js'
import { readStateid, writeStateid } from '../state/stateid.js'
import { lockType } from './lock.js'

// RFC 7530 §16.12: struct LOCKU4args { nfs_lock_type4 locktype; seqid4 seqid; stateid4 lock_stateid; offset4 offset; length4 length; };
export const locku: OpDesc = {
  name: 'LOCKU',
  needsFh: true,
  async run (ctx, args, res) {
    lockType(args.u32())
    args.u32()
    const sid = readStateid(args)
    const offset = args.u64()
    const length = args.u64()
    const ls = ctx.env.opens.find(sid, ctx.minor)
    if (!(ls instanceof LockState)) throw new NfsError(NfsStatus.BAD_STATEID, 'not a lock stateid')
    const n = ctx.fsFh()
    if (ls.fileKey !== ctx.env.vfs.key(n)) throw new NfsError(NfsStatus.BAD_STATEID)
    ctx.env.opens.unlock(ls, offset, length)
    writeStateid(res, ls.id)
  }
}

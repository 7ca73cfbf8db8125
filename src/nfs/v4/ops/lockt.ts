import { NfsError, NfsStatus } from '../../errors.js'
import { MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'
import { ownerClient } from './open.js'
import { lockType } from './lock.js'

// RFC 7530 §16.11: struct LOCKT4args { nfs_lock_type4 locktype; offset4 offset; length4 length; lock_owner4 owner; };
export const lockt: OpDesc = {
  name: 'LOCKT',
  needsFh: true,
  async run (ctx, args) {
    const type = lockType(args.u32())
    const offset = args.u64()
    const length = args.u64()
    const clientid = args.u64()
    const owner = args.opaque(MAX_OPAQUE)
    const n = ctx.fsFh(NfsStatus.ISDIR)
    const st = await ctx.env.vfs.stat(n)
    if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
    if (!st.isFile()) throw new NfsError(NfsStatus.INVAL)
    const client = ownerClient(ctx, clientid)
    ctx.env.opens.test(ctx.env.vfs.key(n), client, owner, type, offset, length)
  }
}

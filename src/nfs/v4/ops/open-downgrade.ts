import type { OpDesc } from '../op.js'
import { readStateid, writeStateid } from '../state/stateid.js'
import { openOf } from './close.js'

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

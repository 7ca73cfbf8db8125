import { NfsStatus } from '../../errors.js'
import { MAX_IO } from '../consts.js'
import type { OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'
import { checkIo } from './io-state.js'

/**
 * RFC 7530 §16.23: struct READ4args { stateid4 stateid; offset4 offset; count4 count; };
 *   struct READ4resok { bool eof; opaque data<>; };
 * The data goes to the socket by reference, without a copy.
 */
export const read: OpDesc = {
  name: 'READ',
  needsFh: true,
  async run (ctx, args, res) {
    const sid = readStateid(args)
    const offset = args.u64()
    const count = ctx.take(Math.min(args.u32(), MAX_IO))
    const n = ctx.fsFh(NfsStatus.ISDIR)
    checkIo(ctx, sid, n, false)
    const { data, eof } = await ctx.env.vfs.read(n, offset, count)
    res.bool(eof).opaque(data)
  }
}

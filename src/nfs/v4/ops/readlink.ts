import { NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.25: READLINK4resok { linktext4 link; }
export const readlink: OpDesc = {
  name: 'READLINK',
  needsFh: true,
  async run (ctx, _args, res) {
    res.string(await ctx.env.vfs.readlink(ctx.fsFh(NfsStatus.INVAL)))
  }
}

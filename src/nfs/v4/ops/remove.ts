import { checkName } from '../../vfs/names.js'
import { changeInfo } from '../context.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.25: struct REMOVE4args { component4 target; }; REMOVE4resok { change_info4 cinfo; };
export const remove: OpDesc = {
  name: 'REMOVE',
  needsFh: true,
  async run (ctx, args, res) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    const dir = ctx.writable(ctx.fh())
    const before = await ctx.env.vfs.remove(dir, name)
    changeInfo(res, before, (await ctx.fresh(dir)).ctimeNs)
  }
}

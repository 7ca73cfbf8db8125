import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { changeInfo } from '../context.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.9: struct LINK4args { component4 newname; }; LINK4resok { change_info4 cinfo; };
 * The saved filehandle is the existing file, the current one the target directory.
 */
export const link: OpDesc = {
  name: 'LINK',
  needsFh: true,
  async run (ctx, args, res) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    if (!ctx.saved) throw new NfsError(NfsStatus.NOFILEHANDLE)
    const file = ctx.writable(ctx.saved)
    const dir = ctx.writable(ctx.fh())
    const before = await ctx.env.vfs.link(file, dir, name)
    changeInfo(res, before, (await ctx.fresh(dir)).ctimeNs)
  }
}

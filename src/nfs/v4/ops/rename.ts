import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { changeInfo } from '../context.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.26: struct RENAME4args { component4 oldname; component4 newname; };
 *   struct RENAME4resok { change_info4 source_cinfo; change_info4 target_cinfo; };
 * The saved filehandle is the source directory, the current one the target directory.
 */
export const rename: OpDesc = {
  name: 'RENAME',
  needsFh: true,
  async run (ctx, args, res) {
    const from = checkName(args.opaque(MAX_COMPONENT))
    const to = checkName(args.opaque(MAX_COMPONENT))
    if (!ctx.saved) throw new NfsError(NfsStatus.NOFILEHANDLE)
    const sdir = ctx.writable(ctx.saved)
    const ddir = ctx.writable(ctx.fh())
    const vfs = ctx.env.vfs
    const [sBefore, dBefore] = await vfs.rename(sdir, from, ddir, to)
    changeInfo(res, sBefore, (await ctx.fresh(sdir)).ctimeNs)
    changeInfo(res, dBefore, (await ctx.fresh(ddir)).ctimeNs)
  }
}

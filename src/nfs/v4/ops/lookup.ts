import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.15: struct LOOKUP4args { component4 objname; };
 * In the pseudo-root a name is an export; exports not in the table are NOENT.
 */
export const lookup: OpDesc = {
  name: 'LOOKUP',
  needsFh: true,
  async run (ctx, args) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    const dir = ctx.fh()
    if (dir.kind === 'pseudo') {
      const exp = ctx.env.exports.byName(name)
      if (!exp) throw new NfsError(NfsStatus.NOENT)
      ctx.current = (await ctx.env.vfs.root(exp)).node
      return
    }
    const found = await ctx.env.vfs.lookup(dir, name)
    ctx.remember(found.node, found.stat)
    ctx.current = found.node
  }
}

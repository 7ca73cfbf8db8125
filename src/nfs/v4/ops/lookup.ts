import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { PSEUDO } from '../../vfs/types.js'
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

// RFC 7530 §16.16: LOOKUPP; the parent of an export root is the pseudo-root, the pseudo-root has none.
export const lookupp: OpDesc = {
  name: 'LOOKUPP',
  needsFh: true,
  async run (ctx) {
    const n = ctx.fh()
    if (n.kind === 'pseudo') throw new NfsError(NfsStatus.NOENT)
    const p = await ctx.env.vfs.parent(n)
    if (p) ctx.remember(p.node, p.stat)
    ctx.current = p ? p.node : PSEUDO
  }
}

import { NfsError, NfsStatus } from '../../errors.js'
import { PSEUDO } from '../../vfs/types.js'
import type { OpDesc } from '../op.js'

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

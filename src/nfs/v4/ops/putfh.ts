import { decodeFh, isPseudo } from '../../fh.js'
import { PSEUDO } from '../../vfs/types.js'
import { MAX_FH } from '../consts.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.20: struct PUTFH4args { nfs_fh4 object; };
export const putfh: OpDesc = {
  name: 'PUTFH',
  async run (ctx, args) {
    const h = decodeFh(args.opaque(MAX_FH))
    ctx.current = isPseudo(h) ? PSEUDO : await ctx.env.vfs.resolve(h)
    ctx.stateid = null
  }
}

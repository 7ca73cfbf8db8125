import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.3: struct COMMIT4args { offset4 offset; count4 count; }; COMMIT4resok { verifier4 writeverf; };
export const commit: OpDesc = {
  name: 'COMMIT',
  needsFh: true,
  async run (ctx, args, res) {
    args.u64()
    args.u32()
    const n = ctx.fsFh(NfsStatus.ISDIR)
    if (n.exp.readOnly) {
      const st = await ctx.stat(n)
      if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
      if (!st.isFile()) throw new NfsError(NfsStatus.INVAL)
    } else {
      // the vfs's commit refuses what is not a regular file (ISDIR, INVAL) from its descriptor: no stat first
      await ctx.env.vfs.commit(n)
      n.exp.notifyChange(n.rel)
    }
    res.fixed(ctx.env.writeVerf)
  }
}

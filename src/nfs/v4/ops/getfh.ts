import type { OpDesc } from '../op.js'

// RFC 7530 §16.8: struct GETFH4resok { nfs_fh4 object; };
export const getfh: OpDesc = {
  name: 'GETFH',
  needsFh: true,
  async run (ctx, _args, res) { res.opaque(ctx.fhBytes(ctx.fh())) }
}

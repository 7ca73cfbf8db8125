import { NfsError, toNfsStatus } from '../../errors.js'
import { XdrWriter } from '../../xdr/writer.js'
import { decodeSetAttrs, writeBitmap } from '../attrs.js'
import type { OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'
import { checkIo } from './io-state.js'

/**
 * RFC 7530 §16.32: struct SETATTR4args { stateid4 stateid; fattr4 obj_attributes; };
 *   struct SETATTR4res { nfsstat4 status; bitmap4 attrsset; };  (attrsset is sent on failure too)
 */
export const setattr: OpDesc = {
  name: 'SETATTR',
  needsFh: true,
  async run (ctx, args, res) {
    try {
      const sid = readStateid(args)
      const { attrs, set } = decodeSetAttrs(args, ctx.minor)
      const n = ctx.writable(ctx.fh())
      if (attrs.size !== undefined) checkIo(ctx, sid, n, true)
      // the vfs stats the node itself (in the same job as the change) unless this compound has a stat of it
      const after = await ctx.env.vfs.setattr(n, attrs, ctx.known(n))
      if (after) ctx.remember(n, after)
      // the times no longer hold an EXCLUSIVE4 verifier: CLOSE need not look (libnfs's O_TRUNC sets mtime)
      if (attrs.atime !== undefined || attrs.mtime !== undefined) ctx.env.opens.timesSet(ctx.env.vfs.key(n))
      writeBitmap(res, set)
    } catch (err) {
      throw new NfsError(toNfsStatus(err), err instanceof Error ? err.message : String(err), { cause: err }, (w: XdrWriter) => writeBitmap(w, []))
    }
  }
}

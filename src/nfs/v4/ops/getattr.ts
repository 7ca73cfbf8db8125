import { NfsError, NfsStatus } from '../../errors.js'
import { XdrWriter } from '../../xdr/writer.js'
import { encodeAttrs, has, readBitmap, Attr } from '../attrs.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.7: struct GETATTR4args { bitmap4 attr_request; }; GETATTR4resok { fattr4 obj_attributes; }
export const getattr: OpDesc = {
  name: 'GETATTR',
  needsFh: true,
  async run (ctx, args, res) {
    const req = readBitmap(args)
    await ctx.writeAttrs(res, ctx.fh(), req)
  }
}

/**
 * RFC 7530 §16.35 VERIFY / §16.17 NVERIFY: compare the client's fattr4 with ours, byte for byte
 * (the encoding is canonical). VERIFY: NOT_SAME when different; NVERIFY: SAME when equal.
 */
export async function same (ctx: Parameters<OpDesc['run']>[0], args: Parameters<OpDesc['run']>[1]): Promise<boolean> {
  const req = readBitmap(args)
  const theirs = args.opaque(64 * 1024)
  if (has(req, Attr.RDATTR_ERROR) || has(req, Attr.TIME_ACCESS_SET) || has(req, Attr.TIME_MODIFY_SET)) throw new NfsError(NfsStatus.INVAL)
  const n = ctx.fh()
  const w = new XdrWriter()
  const src = await ctx.attrSource(n)
  await encodeAttrs(w, src, req, ctx.attrEnv(n))
  const mine = w.toBuffer()
  // skip our bitmap: the request's attributes must all be supported
  const words = mine.readUInt32BE(0)
  const ourMask = []
  for (let i = 0; i < words; i++) ourMask.push(mine.readUInt32BE(4 + i * 4))
  for (let i = 0; i < req.length; i++) if ((req[i]! & ~(ourMask[i] ?? 0)) !== 0) throw new NfsError(NfsStatus.ATTRNOTSUPP)
  return mine.subarray(4 + words * 4 + 4).equals(theirs)
}

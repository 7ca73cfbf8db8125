import { NfsError, NfsStatus } from '../../errors.js'
import { XdrWriter } from '../../xdr/writer.js'
import { encodeAttrs, fromStat, readBitmap, type Bitmap } from '../attrs.js'
import { pseudoAttrs, type Ctx } from '../context.js'
import { encodeFh } from '../../fh.js'
import type { OpDesc } from '../op.js'
import { MAX_IO } from '../consts.js'
import type { FsNode } from '../../vfs/types.js'

/**
 * RFC 7530 §16.24:
 *   struct READDIR4args { nfs_cookie4 cookie; verifier4 cookieverf; count4 dircount; count4 maxcount; bitmap4 attr_request; };
 *   struct entry4 { nfs_cookie4 cookie; component4 name; fattr4 attrs; entry4 *nextentry; };
 *   struct dirlist4 { entry4 *entries; bool eof; };
 *   struct READDIR4resok { verifier4 cookieverf; dirlist4 reply; };
 * Cookies are inode numbers (the vfs lists a directory sorted by inode), so a client that removes
 * entries between calls neither skips nor repeats any; the verifier is not needed and is zero.
 * maxcount bounds the whole result; dircount (names and cookies only) is honoured as well.
 */
const VERF = Buffer.alloc(8)
const RESERVED = 3n // cookies 0, 1, 2 are reserved (RFC 7530 §16.24.5)

export const readdir: OpDesc = {
  name: 'READDIR',
  needsFh: true,
  async run (ctx, args, res) {
    const cookie = args.u64()
    args.fixed(8)
    const dircount = args.u32()
    const maxcount = ctx.take(Math.min(args.u32(), MAX_IO))
    const req = readBitmap(args)
    if (cookie === 1n || cookie === 2n) throw new NfsError(NfsStatus.BAD_COOKIE)
    const dir = ctx.fh()
    const entries = dir.kind === 'pseudo' ? await pseudoEntries(ctx, cookie, req) : await fsEntries(ctx, dir, cookie, req)
    const budget = maxcount - 8 - 4 - 4 - 4 // verifier, the final "no more" and eof
    let used = 0
    let names = 0
    let count = 0
    let eof = true
    const out = new XdrWriter(4096)
    for await (const e of entries) {
      const size = 4 + 8 + 4 + ((e.name.length + 3) & ~3) + e.attrs.length
      const nsize = 8 + 4 + e.name.length
      if (used + size > budget || (dircount > 0 && count > 0 && names + nsize > dircount)) { eof = false; break }
      out.bool(true).u64(e.cookie).opaque(e.name).fixed(e.attrs)
      used += size
      names += nsize
      count++
    }
    if (count === 0 && !eof) throw new NfsError(NfsStatus.TOOSMALL)
    res.fixed(VERF).append(out).bool(false).bool(eof)
  }
}

interface Entry { cookie: bigint, name: Buffer, attrs: Buffer }

async function * fsEntries (ctx: Ctx, dir: FsNode, cookie: bigint, req: Bitmap): AsyncGenerator<Entry> {
  const list = await ctx.env.vfs.readdir(dir)
  // first entry with an inode above the cookie (cookie = last inode returned + RESERVED offset)
  let lo = 0
  let hi = list.length
  const after = cookie === 0n ? -1n : cookie - RESERVED
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid]!.ino <= after) lo = mid + 1; else hi = mid }
  const env = ctx.attrEnv(dir)
  for (let i = lo; i < list.length; i++) {
    const e = list[i]!
    const c = await ctx.env.vfs.child(dir, e)
    if (!c) continue
    const w = new XdrWriter(256)
    await encodeAttrs(w, fromStat(c.stat, encodeFh(ctx.env.vfs.handle(c.node)), dir.exp.index), req, env)
    yield { cookie: e.ino + RESERVED, name: Buffer.from(e.name, 'utf8'), attrs: w.toBuffer() }
  }
}

async function * pseudoEntries (ctx: Ctx, cookie: bigint, req: Bitmap): AsyncGenerator<Entry> {
  const root = pseudoAttrs(ctx)
  for (const exp of ctx.env.exports.list()) {
    const c = BigInt(exp.index) + RESERVED
    if (c <= cookie) continue
    let r
    try { r = await ctx.env.vfs.root(exp) } catch { continue }
    const w = new XdrWriter(256)
    const src = fromStat(r.stat, encodeFh(ctx.env.vfs.handle(r.node)), exp.index)
    src.mountedOn = root.fileid + BigInt(exp.index) // as seen from the pseudo-root, like a mount point
    await encodeAttrs(w, src, req, ctx.attrEnv(r.node))
    yield { cookie: c, name: Buffer.from(exp.name, 'utf8'), attrs: w.toBuffer() }
  }
}

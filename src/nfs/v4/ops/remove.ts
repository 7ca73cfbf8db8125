import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { changeInfo } from '../context.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.25: struct REMOVE4args { component4 target; }; REMOVE4resok { change_info4 cinfo; };
export const remove: OpDesc = {
  name: 'REMOVE',
  needsFh: true,
  async run (ctx, args, res) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    const dir = ctx.writable(ctx.fh())
    const before = (await ctx.stat(dir)).ctimeNs
    await ctx.env.vfs.remove(dir, name)
    changeInfo(res, before, (await ctx.fresh(dir)).ctimeNs)
  }
}

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
    const sBefore = (await ctx.stat(sdir)).ctimeNs
    const dBefore = (await ctx.stat(ddir)).ctimeNs
    await vfs.rename(sdir, from, ddir, to)
    changeInfo(res, sBefore, (await ctx.fresh(sdir)).ctimeNs)
    changeInfo(res, dBefore, (await ctx.fresh(ddir)).ctimeNs)
  }
}

/**
 * RFC 7530 §16.9: struct LINK4args { component4 newname; }; LINK4resok { change_info4 cinfo; };
 * The saved filehandle is the existing file, the current one the target directory.
 */
export const link: OpDesc = {
  name: 'LINK',
  needsFh: true,
  async run (ctx, args, res) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    if (!ctx.saved) throw new NfsError(NfsStatus.NOFILEHANDLE)
    const file = ctx.writable(ctx.saved)
    const dir = ctx.writable(ctx.fh())
    const before = (await ctx.stat(dir)).ctimeNs
    await ctx.env.vfs.link(file, dir, name)
    changeInfo(res, before, (await ctx.fresh(dir)).ctimeNs)
  }
}

// RFC 7530 §16.25: READLINK4resok { linktext4 link; }
export const readlink: OpDesc = {
  name: 'READLINK',
  needsFh: true,
  async run (ctx, _args, res) {
    res.string(await ctx.env.vfs.readlink(ctx.fsFh(NfsStatus.INVAL)))
  }
}

import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { Attr, decodeSetAttrs, withoutBit, writeBitmap } from '../attrs.js'
import { changeInfo } from '../context.js'
import { Ftype, MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.4:
 *   union createtype4 switch (nfs_ftype4 type) { case NF4LNK: linktext4 linkdata;
 *     case NF4BLK: case NF4CHR: specdata4 devdata; case NF4SOCK: case NF4FIFO: case NF4DIR: void; };
 *   struct CREATE4args { createtype4 objtype; component4 objname; fattr4 createattrs; };
 *   struct CREATE4resok { change_info4 cinfo; bitmap4 attrset; };
 * Device nodes and sockets are refused: a shared folder is no place for them.
 */
export const create: OpDesc = {
  name: 'CREATE',
  needsFh: true,
  async run (ctx, args, res) {
    const type = args.u32()
    let target: string | undefined
    if (type === Ftype.LNK) {
      const raw = args.opaque(4096)
      target = raw.toString('utf8')
      // RFC 7530 §16.4.5: linktext4 is UTF-8; a NUL cannot be stored in a symlink
      if (raw.length === 0 || raw.includes(0) || !Buffer.from(target, 'utf8').equals(raw)) throw new NfsError(NfsStatus.INVAL, 'bad link text')
    }
    else if (type === Ftype.BLK || type === Ftype.CHR) { args.u32(); args.u32() } else if (type < 1 || type > 9) throw new NfsError(NfsStatus.BADXDR)
    const name = checkName(args.opaque(MAX_COMPONENT))
    const { attrs, set } = decodeSetAttrs(args, ctx.minor)
    const dir = ctx.writable(ctx.fh())
    if (type === Ftype.REG) throw new NfsError(NfsStatus.BADTYPE)
    if (type === Ftype.BLK || type === Ftype.CHR || type === Ftype.SOCK) throw new NfsError(NfsStatus.PERM, 'device nodes are not allowed')
    if (type !== Ftype.DIR && type !== Ftype.LNK && type !== Ftype.FIFO) throw new NfsError(NfsStatus.BADTYPE)
    const vfs = ctx.env.vfs
    const before = (await ctx.stat(dir)).ctimeNs
    const mode = attrs.mode ?? (type === Ftype.DIR ? 0o755 : 0o644)
    const made = type === Ftype.DIR
      ? await vfs.mkdir(dir, name, mode, ctx.creds)
      : type === Ftype.LNK
        ? await vfs.symlink(dir, name, target ?? '', ctx.creds)
        : await vfs.mkfifo(dir, name, mode, ctx.creds)
    const rest = { ...attrs }
    delete rest.mode
    if (Object.keys(rest).length > 0) await vfs.setattr(made.node, rest)
    const after = (await ctx.fresh(dir)).ctimeNs
    if (Object.keys(rest).length === 0) ctx.remember(made.node, made.stat)
    ctx.current = made.node
    changeInfo(res, before, after)
    // a symlink has no mode of its own (Linux): the mode was not set
    writeBitmap(res, type === Ftype.LNK ? withoutBit(set, Attr.MODE) : set)
  }
}

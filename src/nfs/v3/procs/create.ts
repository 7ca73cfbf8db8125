import { NfsError, NfsStatus, XdrError } from '../../errors.js'
import type { CreateHow, SetAttrs } from '../../vfs/types.js'
import { readSattr3, statAttrs, wccAttr } from '../attrs.js'
import { entryName, readDirop, writeMade } from '../call.js'
import { CreateMode } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.8:
 *   union createhow3 switch (createmode3 mode) { case UNCHECKED: case GUARDED: sattr3 obj_attributes;
 *                                                 case EXCLUSIVE: createverf3 verf; };
 *   struct CREATE3args { diropargs3 where; createhow3 how; };
 *   CREATE3resok { post_op_fh3 obj; post_op_attr obj_attributes; wcc_data dir_wcc; }; resfail { wcc_data dir_wcc; };
 * UNCHECKED on an existing regular file succeeds and applies only the size (as knfsd does: that is
 * O_TRUNC); EXCLUSIVE keeps the verifier in the times (the vfs's EXCLUSIVE4 scheme), so a
 * retransmitted create finds its own file and succeeds; the client then sets the real attributes.
 */
export const create: ProcDesc = {
  name: 'CREATE',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    const mode = args.u32()
    let attrs: SetAttrs = {}
    let how: CreateHow
    if (mode === CreateMode.UNCHECKED || mode === CreateMode.GUARDED) {
      attrs = readSattr3(args)
      how = { mode: mode === CreateMode.GUARDED ? 'guarded' : 'unchecked' }
    } else if (mode === CreateMode.EXCLUSIVE) {
      how = { mode: 'exclusive', verifier: Buffer.from(args.fixed(8)) }
    } else throw new XdrError(`createmode3 ${mode}`)
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    // the pre-op attributes are the directory stat the create takes anyway (its directory check
    // and owner rule, just before the open)
    const fname = entryName(name, NfsStatus.EXIST)
    const made = await c.env.vfs.create(dir, fname, how, attrs, c.creds)
    c.pre = wccAttr(statAttrs(made.dirBefore, dir.exp.index))
    if (made.dirAfter) c.remember(dir, made.dirAfter)
    if (!made.created) {
      if (!made.stat.isFile()) throw new NfsError(NfsStatus.EXIST)
      if (how.mode === 'unchecked' && attrs.size !== undefined) {
        await c.env.vfs.setattr(made.node, { size: attrs.size })
        made.stat = await c.env.vfs.stat(made.node)
      }
    } else if (attrs.atime !== undefined || attrs.mtime !== undefined) {
      made.stat = await c.env.vfs.setattr(made.node, { atime: attrs.atime, mtime: attrs.mtime }) ?? await c.env.vfs.stat(made.node)
    }
    await writeMade(res, c, made, dir)
  }
}

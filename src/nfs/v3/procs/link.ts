import { NfsStatus } from '../../errors.js'
import { postOpAttr, wccData } from '../attrs.js'
import { entryName, readDirop, readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.15: struct LINK3args { nfs_fh3 file; diropargs3 link; };
 *   LINK3resok / resfail { post_op_attr file_attributes; wcc_data linkdir_wcc; };
 */
export const link: ProcDesc = {
  name: 'LINK',
  fail: 'link',
  async run (c, args, res) {
    const file = readFh(args)
    const where = readDirop(args)
    c.obj = await c.node(file)
    c.obj2 = await c.node(where.dir)
    const f = c.writable(c.obj)
    const dir = c.writable(c.obj2)
    c.pre2 = await c.wcc(dir)
    await c.env.vfs.link(f, dir, entryName(where.name, NfsStatus.EXIST))
    postOpAttr(res, await c.attrsOrNone(f))
    wccData(res, c.pre2, await c.attrsOrNone(dir))
  }
}

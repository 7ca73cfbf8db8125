import { wccData } from '../attrs.js'
import { entryName, readDirop } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.14: struct RENAME3args { diropargs3 from; diropargs3 to; };
 *   RENAME3resok / resfail { wcc_data fromdir_wcc; wcc_data todir_wcc; };
 * Handles stay valid across the rename (the vfs moves their recorded paths); across namespaces XDEV.
 */
export const rename: ProcDesc = {
  name: 'RENAME',
  fail: 'wcc2',
  async run (c, args, res) {
    const from = readDirop(args)
    const to = readDirop(args)
    c.obj = await c.node(from.dir)
    c.obj2 = await c.node(to.dir)
    const sdir = c.writable(c.obj)
    const ddir = c.writable(c.obj2)
    c.pre = await c.wcc(sdir)
    c.pre2 = await c.wcc(ddir)
    await c.env.vfs.rename(sdir, entryName(from.name), ddir, entryName(to.name))
    wccData(res, c.pre, await c.attrsOrNone(sdir))
    wccData(res, c.pre2, await c.attrsOrNone(ddir))
  }
}

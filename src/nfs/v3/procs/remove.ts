import { NfsError, NfsStatus } from '../../errors.js'
import { wccData } from '../attrs.js'
import { entryName, readDirop } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.12: REMOVE3args { diropargs3 object; }; REMOVE3resok / resfail { wcc_data dir_wcc; };
 * A directory is RMDIR's business (ISDIR here, as unlink(2) says).
 */
export const remove: ProcDesc = {
  name: 'REMOVE',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    c.pre = await c.wcc(dir)
    const fname = entryName(name)
    if ((await c.env.vfs.lookup(dir, fname)).stat.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
    await c.env.vfs.remove(dir, fname)
    wccData(res, c.pre, await c.attrsOrNone(dir))
  }
}

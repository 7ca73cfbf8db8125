import { NfsError, NfsStatus } from '../../errors.js'
import { wccData } from '../attrs.js'
import { entryName, readDirop } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.13: RMDIR3args { diropargs3 object; }; RMDIR3resok / resfail { wcc_data dir_wcc; };
 * Only empty directories go (NOTEMPTY otherwise); '.' is INVAL and '..' EXIST, as the RFC allows.
 */
export const rmdir: ProcDesc = {
  name: 'RMDIR',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    c.pre = await c.wcc(dir)
    const fname = entryName(name, name.toString('utf8') === '..' ? NfsStatus.EXIST : NfsStatus.INVAL)
    if (!(await c.env.vfs.lookup(dir, fname)).stat.isDirectory()) throw new NfsError(NfsStatus.NOTDIR)
    await c.env.vfs.remove(dir, fname)
    wccData(res, c.pre, await c.attrsOrNone(dir))
  }
}

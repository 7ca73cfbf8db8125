import { NfsError, NfsStatus } from '../../errors.js'
import type { XdrReader } from '../../xdr/reader.js'
import type { XdrWriter } from '../../xdr/writer.js'
import { wccData } from '../attrs.js'
import { entryName, readDirop, type Call3 } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.12: REMOVE3args { diropargs3 object; }; REMOVE3resok / resfail { wcc_data dir_wcc; };
 * A directory is RMDIR's business (ISDIR here, as unlink(2) says).
 */
export const remove: ProcDesc = {
  name: 'REMOVE',
  fail: 'wcc',
  async run (c, args, res) { await removeEntry(c, args, res, false) }
}

/** REMOVE and RMDIR: the entry must be a directory exactly when `dir` (else ISDIR / NOTDIR). */
export async function removeEntry (c: Call3, args: XdrReader, res: XdrWriter, dir: boolean): Promise<void> {
  const { dir: raw, name } = readDirop(args)
  c.obj = await c.node(raw)
  const parent = c.writable(c.obj)
  c.pre = await c.wcc(parent)
  const fname = entryName(name, dir && name.toString('utf8') === '..' ? NfsStatus.EXIST : NfsStatus.INVAL)
  const isDir = (await c.env.vfs.lookup(parent, fname)).stat.isDirectory()
  if (isDir !== dir) throw new NfsError(dir ? NfsStatus.NOTDIR : NfsStatus.ISDIR)
  await c.env.vfs.remove(parent, fname)
  wccData(res, c.pre, await c.attrsOrNone(parent))
}

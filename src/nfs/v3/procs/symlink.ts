import { NfsStatus } from '../../errors.js'
import { readSattr3 } from '../attrs.js'
import { entryName, readDirop, writeMade } from '../call.js'
import { MAXPATHLEN } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.10: struct symlinkdata3 { sattr3 symlink_attributes; nfspath3 symlink_data; };
 *   struct SYMLINK3args { diropargs3 where; symlinkdata3 symlink; };
 *   SYMLINK3resok { post_op_fh3 obj; post_op_attr obj_attributes; wcc_data dir_wcc; };
 * A symlink's own mode means nothing on Linux; the target is stored as given (never followed).
 */
export const symlink: ProcDesc = {
  name: 'SYMLINK',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    readSattr3(args)
    const target = args.opaque(MAXPATHLEN).toString('utf8')
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    c.pre = await c.wcc(dir)
    const made = await c.env.vfs.symlink(dir, entryName(name, NfsStatus.EXIST), target, c.creds)
    await writeMade(res, c, made, dir)
  }
}

import { NfsStatus } from '../../errors.js'
import { isEmpty, readSattr3 } from '../attrs.js'
import { entryName, readDirop, writeMade } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.9: struct MKDIR3args { diropargs3 where; sattr3 attributes; };
 *   MKDIR3resok { post_op_fh3 obj; post_op_attr obj_attributes; wcc_data dir_wcc; }; resfail { wcc_data dir_wcc; };
 */
export const mkdir: ProcDesc = {
  name: 'MKDIR',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    const { mode, size: _size, ...rest } = readSattr3(args)
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    c.pre = await c.wcc(dir)
    const made = await c.env.vfs.mkdir(dir, entryName(name, NfsStatus.EXIST), mode ?? 0o755, c.creds)
    if (!isEmpty(rest)) {
      await c.env.vfs.setattr(made.node, rest)
      made.stat = await c.env.vfs.stat(made.node)
    }
    await writeMade(res, c, made, dir)
  }
}

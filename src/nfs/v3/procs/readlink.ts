import { NfsError, NfsStatus } from '../../errors.js'
import { postOpAttr } from '../attrs.js'
import { readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

// RFC 1813 §3.3.5: READLINK3args { nfs_fh3 symlink; }; READLINK3resok { post_op_attr symlink_attributes; nfspath3 data; };
export const readlink: ProcDesc = {
  name: 'READLINK',
  fail: 'attr',
  async run (c, args, res) {
    const n = c.obj = await c.node(readFh(args))
    if (n.kind === 'pseudo') throw new NfsError(NfsStatus.INVAL)
    const target = await c.env.vfs.readlink(n)
    postOpAttr(res, await c.attrs(n))
    res.string(target)
  }
}

import { postOpAttr } from '../attrs.js'
import { readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.20: PATHCONF3args { nfs_fh3 object; };
 *   PATHCONF3resok { post_op_attr obj_attributes; uint32 linkmax; uint32 name_max; bool no_trunc;
 *                    bool chown_restricted; bool case_insensitive; bool case_preserving; };
 */
export const pathconf: ProcDesc = {
  name: 'PATHCONF',
  fail: 'attr',
  async run (c, args, res) {
    const n = c.obj = await c.node(readFh(args))
    postOpAttr(res, await c.attrs(n))
    res.u32(65000).u32(255).bool(true).bool(true).bool(false).bool(true)
  }
}

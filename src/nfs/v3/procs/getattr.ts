import { fattr3 } from '../attrs.js'
import { readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

// RFC 1813 §3.3.1: struct GETATTR3args { nfs_fh3 object; }; GETATTR3resok { fattr3 obj_attributes; }
export const getattr: ProcDesc = {
  name: 'GETATTR',
  fail: 'void',
  async run (c, args, res) {
    const n = await c.node(readFh(args))
    fattr3(res, await c.attrs(n))
  }
}

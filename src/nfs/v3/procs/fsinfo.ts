import { postOpAttr, nfstime3 } from '../attrs.js'
import { readFh } from '../call.js'
import { DTPREF, FSF3, MAX_IO3 } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.19: FSINFO3args { nfs_fh3 fsroot; };
 *   FSINFO3resok { post_op_attr obj_attributes; uint32 rtmax; uint32 rtpref; uint32 rtmult;
 *                  uint32 wtmax; uint32 wtpref; uint32 wtmult; uint32 dtpref; size3 maxfilesize;
 *                  nfstime3 time_delta; uint32 properties; };
 * 1 MiB reads and writes (what one record may carry), nanosecond times, links and symlinks.
 */
export const fsinfo: ProcDesc = {
  name: 'FSINFO',
  fail: 'attr',
  async run (c, args, res) {
    const n = c.obj = await c.node(readFh(args))
    postOpAttr(res, await c.attrs(n))
    res.u32(MAX_IO3).u32(MAX_IO3).u32(4096).u32(MAX_IO3).u32(MAX_IO3).u32(4096).u32(DTPREF)
    res.u64(BigInt(Number.MAX_SAFE_INTEGER))
    nfstime3(res, 1n)
    res.u32(FSF3.LINK | FSF3.SYMLINK | FSF3.HOMOGENEOUS | FSF3.CANSETTIME)
  }
}

import { postOpAttr } from '../attrs.js'
import { readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.18: FSSTAT3args { nfs_fh3 fsroot; };
 *   FSSTAT3resok { post_op_attr obj_attributes; size3 tbytes; size3 fbytes; size3 abytes;
 *                  size3 tfiles; size3 ffiles; size3 afiles; uint32 invarsec; };
 * The namespace folder's file system; the pseudo-root holds nothing.
 */
export const fsstat: ProcDesc = {
  name: 'FSSTAT',
  fail: 'attr',
  async run (c, args, res) {
    const n = c.obj = await c.node(readFh(args))
    const a = await c.attrs(n)
    const fs = n.kind === 'pseudo'
      ? { bsize: 0n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n }
      : await c.env.vfs.statfs(n.exp)
    postOpAttr(res, a)
    res.u64(fs.blocks * fs.bsize).u64(fs.bfree * fs.bsize).u64(fs.bavail * fs.bsize)
    res.u64(fs.files).u64(fs.ffree).u64(fs.ffree).u32(0)
  }
}

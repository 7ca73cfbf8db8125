import { postOpAttr } from '../attrs.js'
import { readFh } from '../call.js'
import { ACCESS3, Ftype3 } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.4: struct ACCESS3args { nfs_fh3 object; uint32 access; };
 *   ACCESS3resok { post_op_attr obj_attributes; uint32 access; }; resfail { post_op_attr obj_attributes; };
 * From the mode bits and the AUTH_SYS identity (root may do anything but execute a file without
 * an x bit); mutations are never granted on a read-only export or the pseudo-root.
 */
export const access: ProcDesc = {
  name: 'ACCESS',
  fail: 'attr',
  async run (c, args, res) {
    const raw = readFh(args)
    const want = args.u32()
    const n = c.obj = await c.node(raw)
    const a = await c.attrs(n)
    const uid = c.auth?.uid ?? 65534
    const gid = c.auth?.gid ?? 65534
    const inGroup = gid === a.gid || (c.auth?.gids ?? []).includes(a.gid)
    const bits = uid === 0 ? 7 : (a.mode >> (uid === a.uid ? 6 : inGroup ? 3 : 0)) & 7
    const dir = Number(a.type) === Ftype3.DIR
    const exec = uid === 0 ? dir || (a.mode & 0o111) !== 0 : (bits & 1) !== 0
    const canWrite = (bits & 2) !== 0 && !(n.kind === 'pseudo' || n.exp.readOnly)
    let granted = (bits & 4) !== 0 ? ACCESS3.READ : 0
    if (dir) granted |= (exec ? ACCESS3.LOOKUP : 0) | (canWrite && exec ? ACCESS3.MODIFY | ACCESS3.EXTEND | ACCESS3.DELETE : 0)
    else granted |= (canWrite ? ACCESS3.MODIFY | ACCESS3.EXTEND : 0) | (exec ? ACCESS3.EXECUTE : 0)
    postOpAttr(res, a)
    res.u32(granted & want)
  }
}

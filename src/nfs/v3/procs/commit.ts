import { NfsError, NfsStatus } from '../../errors.js'
import { statAttrs, wccAttr, wccData } from '../attrs.js'
import { readFh } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.21: struct COMMIT3args { nfs_fh3 file; offset3 offset; count3 count; };
 *   COMMIT3resok { wcc_data file_wcc; writeverf3 verf; }; resfail { wcc_data file_wcc; };
 * The whole file is synced whatever the range; the verifier tells the client whether the server
 * restarted since its UNSTABLE writes (then it writes them again).
 */
export const commit: ProcDesc = {
  name: 'COMMIT',
  fail: 'wcc',
  async run (c, args, res) {
    const raw = readFh(args)
    args.u64()
    args.u32()
    const n = c.obj = await c.node(raw)
    if (n.kind === 'pseudo') throw new NfsError(NfsStatus.ISDIR)
    // syncing changes neither size nor times, so file_wcc is the attributes the call already has
    // (the handle check's lstat), else none (RFC 1813 §2.6; Linux refreshes from them only when sent)
    // rather than a stat beside every sync; the vfs's commit refuses what is not a regular file
    const st = c.known(n) ?? (n.exp.readOnly ? await c.stat(n) : undefined)
    if (!n.exp.readOnly) {
      await c.env.vfs.commit(n)
      n.exp.notifyChange(n.rel)
    }
    const a = st && statAttrs(st, n.exp.index)
    if (a) c.pre = wccAttr(a)
    wccData(res, c.pre, a)
    res.fixed(c.env.writeVerf)
  }
}

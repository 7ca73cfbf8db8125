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
    // the sync and the attributes at once; the vfs's commit refuses what is not a regular file
    const [st] = await Promise.all([c.stat(n), n.exp.readOnly ? undefined : c.env.vfs.commit(n)])
    c.pre = wccAttr(statAttrs(st, n.exp.index))
    if (!n.exp.readOnly) n.exp.notifyChange(n.rel)
    // syncing changes neither size nor times: the attributes from before are the ones after
    wccData(res, c.pre, statAttrs(st, n.exp.index))
    res.fixed(c.env.writeVerf)
  }
}

import { NfsError, NfsStatus, XdrError } from '../../errors.js'
import { statAttrs, wccAttr, wccData } from '../attrs.js'
import { readFh } from '../call.js'
import { MAX_IO3, StableHow } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.7:
 *   struct WRITE3args { nfs_fh3 file; offset3 offset; count3 count; stable_how stable; opaque data<>; };
 *   WRITE3resok { wcc_data file_wcc; count3 count; stable_how committed; writeverf3 verf; };
 * UNSTABLE writes stay in the page cache until COMMIT; DATA_SYNC and FILE_SYNC are synced before
 * the reply (and answered FILE_SYNC). The verifier changes with every server start, so a client
 * resends what it had not committed. Replication hears of every write at once (the vfs notifies).
 */
export const write: ProcDesc = {
  name: 'WRITE',
  fail: 'wcc',
  async run (c, args, res) {
    const raw = readFh(args)
    const offset = args.u64()
    const count = args.u32()
    const stable = args.u32()
    if (stable > StableHow.FILE_SYNC) throw new XdrError(`stable_how ${stable}`)
    const data = args.opaque(MAX_IO3)
    c.obj = await c.node(raw)
    const n = c.writable(c.obj)
    // pre-op attributes only when the call already has them (the handle check's lstat): asking
    // for them would put a stat before every write, and RFC 1813 §2.6 lets them be absent (Linux
    // then takes its cached ones). The vfs's write refuses what is not a regular file.
    const st = c.known(n)
    if (st) {
      c.pre = wccAttr(statAttrs(st, n.exp.index))
      if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
      if (!st.isFile()) throw new NfsError(NfsStatus.INVAL)
    }
    if (count > data.length) throw new NfsError(NfsStatus.INVAL, 'count beyond the data')
    // the post-op attributes come from the written descriptor (fstat), not a walk of the path
    const after = await c.env.vfs.write(n, offset, data.subarray(0, count), stable !== StableHow.UNSTABLE, true)
    wccData(res, c.pre, after ? statAttrs(c.remember(n, after), n.exp.index) : await c.attrsOrNone(n))
    res.u32(count).u32(stable === StableHow.UNSTABLE ? StableHow.UNSTABLE : StableHow.FILE_SYNC).fixed(c.env.writeVerf)
  }
}

import { readSattr3, statAttrs, wccAttr, wccData, isEmpty } from '../attrs.js'
import { readFh } from '../call.js'
import { Ftype3, notSync } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.2:
 *   union sattrguard3 switch (bool check) { case TRUE: nfstime3 obj_ctime; case FALSE: void; };
 *   struct SETATTR3args { nfs_fh3 object; sattr3 new_attributes; sattrguard3 guard; };
 *   SETATTR3resok / resfail { wcc_data obj_wcc; };
 * With a guard, the change happens only while the object's ctime is still the client's.
 */
export const setattr: ProcDesc = {
  name: 'SETATTR',
  fail: 'wcc',
  async run (c, args, res) {
    const raw = readFh(args)
    const attrs = readSattr3(args)
    const guard = args.bool() ? BigInt(args.u32()) * 1_000_000_000n + BigInt(args.u32()) : undefined
    const obj = c.obj = await c.node(raw)
    const before = await c.attrs(obj)
    c.pre = wccAttr(before)
    const n = c.writable(obj)
    if (guard !== undefined && guard !== before.ctime) throw notSync()
    // what would change nothing is not done (as knfsd: O_TRUNC of a new, empty file sends size 0);
    // chown clears set-id bits, so the mode stays whenever an owner is set
    if (attrs.size === before.size && Number(before.type) === Ftype3.REG) delete attrs.size
    if (attrs.uid === before.uid) delete attrs.uid
    if (attrs.gid === before.gid) delete attrs.gid
    if (attrs.mode === before.mode && attrs.uid === undefined && attrs.gid === undefined) delete attrs.mode
    if (isEmpty(attrs)) { wccData(res, c.pre, before); return }
    // the stat `before` came from is still this call's (no mutation since): the vfs need not take another
    const after = await c.env.vfs.setattr(n, attrs, c.known(n))
    wccData(res, c.pre, after ? statAttrs(c.remember(n, after), n.exp.index) : await c.attrs(n))
  }
}

import { ACCESS, Ftype } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.1: struct ACCESS4args { uint32_t access; };
 *   struct ACCESS4resok { uint32_t supported; uint32_t access; };
 * Decided from the mode bits and the AUTH_SYS identity (root may do anything but execute a
 * file without an x bit); mutations are never granted on a read-only export or the pseudo-root.
 */
export const access: OpDesc = {
  name: 'ACCESS',
  needsFh: true,
  async run (ctx, args, res) {
    const want = args.u32() & 0x3f
    const n = ctx.fh()
    const a = await ctx.attrSource(n)
    const { uid, gid } = ctx.creds
    const gids = ctx.auth?.gids ?? []
    const shift = uid === a.uid ? 6 : gid === a.gid || gids.includes(a.gid) ? 3 : 0
    const perm = uid === 0 ? 7 : (a.mode >> shift) & 7
    const r = (perm & 4) !== 0
    const w = (perm & 2) !== 0
    let x = (perm & 1) !== 0
    if (uid === 0) x = a.type === Ftype.DIR || (a.mode & 0o111) !== 0
    const ro = n.kind === 'pseudo' || n.exp.readOnly
    let granted = 0
    if (r) granted |= ACCESS.READ
    if (a.type === Ftype.DIR) {
      if (x) granted |= ACCESS.LOOKUP
      if (w && x && !ro) granted |= ACCESS.MODIFY | ACCESS.EXTEND | ACCESS.DELETE
    } else {
      if (w && !ro) granted |= ACCESS.MODIFY | ACCESS.EXTEND
      if (x) granted |= ACCESS.EXECUTE
    }
    res.u32(want).u32(granted & want)
  }
}

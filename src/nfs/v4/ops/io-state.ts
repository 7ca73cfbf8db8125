import { NfsError, NfsStatus } from '../../errors.js'
import type { FsNode } from '../../vfs/types.js'
import type { Ctx } from '../context.js'
import { OpenState } from '../state/opens.js'
import { isAnonymous, isBypass, isCurrent, type Stateid } from '../state/stateid.js'

/**
 * RFC 7530 §9.1.4.3 / RFC 8881 §8.2.3: the stateid of a READ, WRITE or SETATTR(size). The special
 * stateids are allowed unless another open denies the access; a real one must be for this file,
 * and a WRITE needs an open with write access (OPENMODE).
 */
export function checkIo (ctx: Ctx, given: Stateid, n: FsNode, write: boolean): void {
  let sid = given
  if (ctx.minor > 0 && isCurrent(sid)) {
    if (!ctx.stateid) throw new NfsError(NfsStatus.BAD_STATEID)
    sid = ctx.stateid
  }
  const key = ctx.env.vfs.key(n)
  if (isAnonymous(sid) || isBypass(sid)) {
    if (ctx.env.opens.denies(key, write ? 2 : 1) && !(isBypass(sid) && !write)) throw new NfsError(NfsStatus.LOCKED)
    return
  }
  const st = ctx.env.opens.find(sid, ctx.minor)
  if (st.fileKey !== key) throw new NfsError(NfsStatus.BAD_STATEID, 'stateid of another file')
  const open = st instanceof OpenState ? st : st.open
  if (write && (open.access & 2) === 0) throw new NfsError(NfsStatus.OPENMODE)
}

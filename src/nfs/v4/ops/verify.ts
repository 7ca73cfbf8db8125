import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'
import { same } from './getattr.js'

// RFC 7530 §16.35 VERIFY: NOT_SAME when the attributes differ (compared in getattr.ts)
export const verify: OpDesc = {
  name: 'VERIFY',
  needsFh: true,
  async run (ctx, args) { if (!await same(ctx, args)) throw new NfsError(NfsStatus.NOT_SAME) }
}

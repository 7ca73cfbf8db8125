import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'
import { same } from './getattr.js'

// RFC 7530 §16.17 NVERIFY: SAME when the attributes are equal (compared in getattr.ts)
export const nverify: OpDesc = {
  name: 'NVERIFY',
  needsFh: true,
  async run (ctx, args) { if (await same(ctx, args)) throw new NfsError(NfsStatus.SAME) }
}

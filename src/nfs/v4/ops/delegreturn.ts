import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'

// RFC 7530 §16.6: DELEGRETURN; no delegation is ever given, so no stateid can name one.
export const delegreturn: OpDesc = {
  name: 'DELEGRETURN',
  needsFh: true,
  async run (_ctx, args) { readStateid(args); throw new NfsError(NfsStatus.BAD_STATEID) }
}

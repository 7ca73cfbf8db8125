import { NfsError, NfsStatus } from '../../errors.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.27 RESTOREFH: no saved filehandle is RESTOREFH
export const restorefh: OpDesc = {
  name: 'RESTOREFH',
  async run (ctx) {
    if (!ctx.saved) throw new NfsError(NfsStatus.RESTOREFH)
    ctx.current = ctx.saved
  }
}

import type { OpDesc } from '../op.js'
import { flavors } from './secinfo.js'

// RFC 8881 §18.45: SECINFO_NO_NAME4args = secinfo_style4 (0 current fh, 1 parent); consumes the current fh.
export const secinfoNoName: OpDesc = {
  name: 'SECINFO_NO_NAME',
  needsFh: true,
  minors: [1, 1],
  async run (ctx, args, res) {
    args.u32()
    flavors(res)
    ctx.current = null
  }
}

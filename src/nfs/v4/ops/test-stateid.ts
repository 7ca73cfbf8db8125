import { NfsStatus, toNfsStatus } from '../../errors.js'
import { type OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'

// RFC 8881 §18.48: struct TEST_STATEID4args { stateid4 ts_stateids<>; }; resok { nfsstat4 tsr_status_codes<>; }
export const testStateid: OpDesc = {
  name: 'TEST_STATEID',
  minors: [1, 1],
  async run (ctx, args, res) {
    const ids = args.array(1024, readStateid)
    res.u32(ids.length)
    for (const id of ids) {
      try { ctx.env.opens.find(id, 1); res.u32(NfsStatus.OK) } catch (err) { res.u32(toNfsStatus(err)) }
    }
  }
}

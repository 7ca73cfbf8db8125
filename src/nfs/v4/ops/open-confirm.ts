import type { OpDesc } from '../op.js'
import { readStateid, writeStateid } from '../state/stateid.js'
import { openOf } from './close.js'

// RFC 7530 §16.18: struct OPEN_CONFIRM4args { stateid4 open_stateid; seqid4 seqid; }; resok: stateid4 open_stateid
export const openConfirm: OpDesc = {
  name: 'OPEN_CONFIRM',
  needsFh: true,
  minors: [0, 0],
  async run (ctx, args, res) {
    const o = openOf(ctx, readStateid(args))
    args.u32()
    o.id.seq++
    writeStateid(res, o.id)
  }
}

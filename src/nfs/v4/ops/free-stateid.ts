import { type OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'

// RFC 8881 §18.38: struct FREE_STATEID4args { stateid4 fsa_stateid; };
export const freeStateid: OpDesc = {
  name: 'FREE_STATEID',
  minors: [1, 1],
  async run (ctx, args) {
    ctx.env.opens.free(ctx.env.opens.find(readStateid(args), 1))
  }
}

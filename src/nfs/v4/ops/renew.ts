import type { OpDesc } from '../op.js'

// RFC 7530 §16.29: struct RENEW4args { clientid4 clientid; };
export const renew: OpDesc = {
  name: 'RENEW',
  minors: [0, 0],
  async run (ctx, args) {
    const c = ctx.env.clients.get(args.u64())
    ctx.env.clients.renew(c)
  }
}

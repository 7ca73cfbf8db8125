import { type OpDesc } from '../op.js'

// RFC 8881 §18.37: struct DESTROY_SESSION4args { sessionid4 dsa_sessionid; };
export const destroySession: OpDesc = {
  name: 'DESTROY_SESSION',
  minors: [1, 1],
  async run (ctx, args) { ctx.env.clients.destroySession(Buffer.from(args.fixed(16))) }
}

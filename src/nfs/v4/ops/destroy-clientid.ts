import { type OpDesc } from '../op.js'

// RFC 8881 §18.50: struct DESTROY_CLIENTID4args { clientid4 dca_clientid; };
export const destroyClientid: OpDesc = {
  name: 'DESTROY_CLIENTID',
  minors: [1, 1],
  async run (ctx, args) { ctx.env.clients.destroyClient(args.u64()) }
}

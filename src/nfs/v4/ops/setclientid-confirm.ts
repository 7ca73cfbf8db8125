import type { OpDesc } from '../op.js'

// RFC 7530 §16.34: struct SETCLIENTID_CONFIRM4args { clientid4 clientid; verifier4 setclientid_confirm; };
export const setclientidConfirm: OpDesc = {
  name: 'SETCLIENTID_CONFIRM',
  minors: [0, 0],
  async run (ctx, args) {
    const id = args.u64()
    const verf = Buffer.from(args.fixed(8))
    ctx.env.clients.confirmClientId(id, verf)
  }
}

import { MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'

/**
 * RFC 7530 §16.33:
 *   struct nfs_client_id4 { verifier4 verifier; opaque id<NFS4_OPAQUE_LIMIT>; };
 *   struct cb_client4 { unsigned int cb_program; netaddr4 cb_location; };  netaddr4 = { string na_r_netid<>; string na_r_addr<>; }
 *   struct SETCLIENTID4args { nfs_client_id4 client; cb_client4 callback; uint32_t callback_ident; };
 *   struct SETCLIENTID4resok { clientid4 clientid; verifier4 setclientid_confirm; };
 * The callback is never used: no delegations are given.
 */
export const setclientid: OpDesc = {
  name: 'SETCLIENTID',
  minors: [0, 0],
  async run (ctx, args, res) {
    const verifier = Buffer.from(args.fixed(8))
    const id = Buffer.from(args.opaque(MAX_OPAQUE))
    args.u32()
    args.string(64)
    args.string(256)
    args.u32()
    const c = ctx.env.clients.setClientId(id, verifier)
    res.u64(c.id).fixed(c.confirmVerf)
  }
}

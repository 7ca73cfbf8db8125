import { NfsError, NfsStatus } from '../../errors.js'
import { MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'

const EXCHGID4_FLAG_USE_NON_PNFS = 0x00010000
const EXCHGID4_FLAG_CONFIRMED_R = 0x80000000
const SP4_NONE = 0

/**
 * RFC 8881 §18.35:
 *   struct client_owner4 { verifier4 co_verifier; opaque co_ownerid<NFS4_OPAQUE_LIMIT>; };
 *   struct EXCHANGE_ID4args { client_owner4 eia_clientowner; uint32_t eia_flags;
 *     state_protect4_a eia_state_protect; nfs_impl_id4 eia_client_impl_id<1>; };
 *   struct EXCHANGE_ID4resok { clientid4 eir_clientid; sequenceid4 eir_sequenceid; uint32_t eir_flags;
 *     state_protect4_r eir_state_protect; server_owner4 eir_server_owner; opaque eir_server_scope<>;
 *     nfs_impl_id4 eir_server_impl_id<1>; };
 * Only SP4_NONE state protection (what clients with sec=sys ask for).
 */
export const exchangeId: OpDesc = {
  name: 'EXCHANGE_ID',
  minors: [1, 1],
  async run (ctx, args, res) {
    const verifier = Buffer.from(args.fixed(8))
    const owner = Buffer.from(args.opaque(MAX_OPAQUE))
    args.u32()
    const sp = args.u32()
    if (sp !== SP4_NONE) throw new NfsError(NfsStatus.ENCR_ALG_UNSUPP, 'only SP4_NONE')
    args.array(1, (r) => { r.string(1024); r.string(1024); r.i64(); r.u32() })
    const c = ctx.env.clients.exchangeId(owner, verifier)
    res.u64(c.id).u32(c.csSeq).u32(EXCHGID4_FLAG_USE_NON_PNFS | (c.confirmed ? EXCHGID4_FLAG_CONFIRMED_R : 0))
    res.u32(SP4_NONE)
    res.u64(0n).opaque(ctx.env.serverOwner) // server_owner4 { so_minor_id; so_major_id }
    res.opaque(ctx.env.serverOwner) // server scope
    res.u32(0) // no impl id
  }
}

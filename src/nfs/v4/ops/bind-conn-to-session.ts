import { type OpDesc } from '../op.js'

/**
 * RFC 8881 §18.34: struct BIND_CONN_TO_SESSION4args { sessionid4 bctsa_sessid;
 *   channel_dir_from_client4 bctsa_dir; bool bctsa_use_conn_in_rdma_mode; };
 *   resok { sessionid4 bctsr_sessid; channel_dir_from_server4 bctsr_dir; bool bctsr_use_conn_in_rdma_mode; };
 */
export const bindConnToSession: OpDesc = {
  name: 'BIND_CONN_TO_SESSION',
  minors: [1, 1],
  async run (ctx, args, res) {
    const sid = Buffer.from(args.fixed(16))
    const dir = args.u32()
    args.bool()
    const s = ctx.env.clients.session(sid)
    s.conns.add(ctx.conn.id)
    ctx.env.clients.renew(s.client)
    res.fixed(sid).u32(dir === 1 ? 1 : dir === 2 ? 2 : 3).bool(false)
  }
}

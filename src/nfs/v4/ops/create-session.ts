import { randomBytes } from 'node:crypto'
import { NfsError, NfsStatus } from '../../errors.js'
import { decodeAuthSys } from '../../rpc/message.js'
import type { XdrReader } from '../../xdr/reader.js'
import { XdrWriter } from '../../xdr/writer.js'
import { MAX_CACHED_REPLY, MAX_OPS, MAX_RECORD } from '../consts.js'
import type { OpDesc } from '../op.js'
import { Session } from '../state/clients.js'

const MAX_SLOTS = 64
const MAX_SESSIONS_PER_CLIENT = 16
const CREATE_SESSION4_FLAG_PERSIST = 1
const CREATE_SESSION4_FLAG_CONN_BACK_CHAN = 2

/**
 * RFC 8881 §18.36.1:
 *   struct channel_attrs4 { count4 ca_headerpadsize; count4 ca_maxrequestsize; count4 ca_maxresponsesize;
 *     count4 ca_maxresponsesize_cached; count4 ca_maxoperations; count4 ca_maxrequests; uint32_t ca_rdma_ird<1>; };
 */
interface Channel { pad: number, req: number, resp: number, cached: number, ops: number, reqs: number }
function readChannel (r: XdrReader): Channel {
  const c = { pad: r.u32(), req: r.u32(), resp: r.u32(), cached: r.u32(), ops: r.u32(), reqs: r.u32() }
  r.array(1, (x) => x.u32())
  return c
}
function writeChannel (w: XdrWriter, c: Channel): void {
  w.u32(c.pad).u32(c.req).u32(c.resp).u32(c.cached).u32(c.ops).u32(c.reqs).u32(0)
}

/**
 * RFC 8881 §18.36: struct CREATE_SESSION4args { clientid4 csa_clientid; sequenceid4 csa_sequence;
 *   uint32_t csa_flags; channel_attrs4 csa_fore_chan_attrs; channel_attrs4 csa_back_chan_attrs;
 *   uint32_t csa_cb_program; callback_sec_parms4 csa_sec_parms<>; };
 * The result is cached per client for a retransmission (§18.36.4).
 */
let sessions = 0n
export const createSession: OpDesc = {
  name: 'CREATE_SESSION',
  minors: [1, 1],
  async run (ctx, args, res) {
    const clientid = args.u64()
    const seq = args.u32()
    const flags = args.u32()
    const fore = readChannel(args)
    const back = readChannel(args)
    args.u32()
    args.array(16, (r) => {
      const flavor = r.u32()
      if (flavor === 1) decodeAuthSys(r)
      else if (flavor === 6) { r.u32(); r.opaque(1024); r.opaque(1024) }
    })
    const c = ctx.env.clients.get(clientid)
    if (seq === ((c.csSeq - 1) >>> 0) && c.csReply) { res.fixed(Buffer.concat(c.csReply)); return }
    if (seq !== c.csSeq) throw new NfsError(NfsStatus.SEQ_MISORDERED)
    const mine: Channel = {
      pad: 0,
      req: Math.min(fore.req, MAX_RECORD),
      resp: Math.min(fore.resp, MAX_RECORD),
      cached: Math.min(fore.cached, MAX_CACHED_REPLY),
      ops: Math.min(fore.ops, MAX_OPS),
      reqs: Math.max(1, Math.min(fore.reqs, MAX_SLOTS))
    }
    if (mine.req < 256 || mine.resp < 256) throw new NfsError(NfsStatus.TOOSMALL)
    if (c.sessions.size >= MAX_SESSIONS_PER_CLIENT) throw new NfsError(NfsStatus.RESOURCE, 'too many sessions')
    const id = Buffer.alloc(16)
    id.writeBigUInt64BE(clientid, 0)
    id.writeBigUInt64BE(++sessions, 8)
    randomBytes(2).copy(id, 14)
    const s = new Session(id, c, mine.reqs, mine.ops, mine.req, mine.resp, mine.cached)
    s.conns.add(ctx.conn.id)
    ctx.env.clients.confirmExchanged(c)
    ctx.env.clients.addSession(s)
    ctx.env.clients.renew(c)
    const out = new XdrWriter()
    out.fixed(id).u32(seq).u32(flags & (CREATE_SESSION4_FLAG_CONN_BACK_CHAN | CREATE_SESSION4_FLAG_PERSIST) & ~CREATE_SESSION4_FLAG_PERSIST)
    writeChannel(out, mine)
    writeChannel(out, back)
    c.csReply = out.chunks().map((b) => Buffer.from(b))
    c.csSeq = (c.csSeq + 1) >>> 0
    res.append(out)
  }
}



import { randomBytes } from 'node:crypto'
import { NfsError, NfsStatus, toNfsStatus } from '../../errors.js'
import { decodeAuthSys } from '../../rpc/message.js'
import type { XdrReader } from '../../xdr/reader.js'
import { XdrWriter } from '../../xdr/writer.js'
import { MAX_OPS, MAX_RECORD } from '../consts.js'
import { ReplayHit, type OpDesc } from '../op.js'
import { Session, type Slot } from '../state/clients.js'
import { readStateid } from '../state/stateid.js'

const MAX_SLOTS = 64
const MAX_CACHED = 64 * 1024
const SMALL_REPLY = 4096
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
      cached: Math.min(fore.cached, MAX_CACHED),
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

/**
 * RFC 8881 §18.46:
 *   struct SEQUENCE4args { sessionid4 sa_sessionid; sequenceid4 sa_sequenceid; slotid4 sa_slotid;
 *     slotid4 sa_highest_slotid; bool sa_cachethis; };
 *   struct SEQUENCE4resok { sessionid4 sr_sessionid; sequenceid4 sr_sequenceid; slotid4 sr_slotid;
 *     slotid4 sr_highest_slotid; slotid4 sr_target_highest_slotid; uint32_t sr_status_flags; };
 * §2.10.6.1: a new request is the slot's sequence + 1; the same sequence is a retry, answered
 * from the slot's reply cache (the whole COMPOUND reply, see compound.ts).
 */
export const sequence: OpDesc = {
  name: 'SEQUENCE',
  minors: [1, 1],
  async run (ctx, args, res) {
    const sid = Buffer.from(args.fixed(16))
    const seq = args.u32()
    const slotId = args.u32()
    args.u32()
    const cacheThis = args.bool()
    const s = ctx.env.clients.session(sid)
    const slot = s.slots[slotId]
    if (!slot) throw new NfsError(NfsStatus.BADSLOT)
    if (seq === slot.seq) {
      if (slot.busy) throw new NfsError(NfsStatus.DELAY)
      if (slot.reply) throw new ReplayHit(slot.reply)
      throw new NfsError(NfsStatus.RETRY_UNCACHED_REP)
    }
    if (seq !== ((slot.seq + 1) >>> 0)) throw new NfsError(NfsStatus.SEQ_MISORDERED)
    slot.seq = seq
    slot.busy = true
    slot.reply = null
    slot.cacheThis = cacheThis
    ctx.session = s
    ctx.slot = slot
    s.conns.add(ctx.conn.id)
    ctx.env.clients.renew(s.client)
    res.fixed(sid).u32(seq).u32(slotId).u32(s.slots.length - 1).u32(s.slots.length - 1).u32(0)
  }
}

/**
 * RFC 8881 §2.10.6.1.3: replies the client asked to cache (sa_cachethis) are kept up to the
 * session's limit, others only when small; a retry of an uncached one gets RETRY_UNCACHED_REP.
 */
export function finishSlot (s: Session, slot: Slot, reply: Buffer[]): void {
  slot.busy = false
  const size = reply.reduce((n, b) => n + b.length, 0)
  slot.reply = size <= SMALL_REPLY || (slot.cacheThis && size <= Math.max(s.maxCached, SMALL_REPLY)) ? reply : null
}

// RFC 8881 §18.37: struct DESTROY_SESSION4args { sessionid4 dsa_sessionid; };
export const destroySession: OpDesc = {
  name: 'DESTROY_SESSION',
  minors: [1, 1],
  async run (ctx, args) { ctx.env.clients.destroySession(Buffer.from(args.fixed(16))) }
}

// RFC 8881 §18.50: struct DESTROY_CLIENTID4args { clientid4 dca_clientid; };
export const destroyClientid: OpDesc = {
  name: 'DESTROY_CLIENTID',
  minors: [1, 1],
  async run (ctx, args) { ctx.env.clients.destroyClient(args.u64()) }
}

// RFC 8881 §18.51: struct RECLAIM_COMPLETE4args { bool rca_one_fs; }; the server is graceless.
export const reclaimComplete: OpDesc = {
  name: 'RECLAIM_COMPLETE',
  minors: [1, 1],
  async run (_ctx, args) { args.bool() }
}

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

// RFC 8881 §18.48: struct TEST_STATEID4args { stateid4 ts_stateids<>; }; resok { nfsstat4 tsr_status_codes<>; }
export const testStateid: OpDesc = {
  name: 'TEST_STATEID',
  minors: [1, 1],
  async run (ctx, args, res) {
    const ids = args.array(1024, readStateid)
    res.u32(ids.length)
    for (const id of ids) {
      try { ctx.env.opens.find(id, 1); res.u32(NfsStatus.OK) } catch (err) { res.u32(toNfsStatus(err)) }
    }
  }
}

// RFC 8881 §18.38: struct FREE_STATEID4args { stateid4 fsa_stateid; };
export const freeStateid: OpDesc = {
  name: 'FREE_STATEID',
  minors: [1, 1],
  async run (ctx, args) {
    ctx.env.opens.free(ctx.env.opens.find(readStateid(args), 1))
  }
}

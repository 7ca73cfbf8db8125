import { NfsError, NfsStatus } from '../../errors.js'
import { ReplayHit, type OpDesc } from '../op.js'
import { Session, type Slot } from '../state/clients.js'
import { SMALL_REPLY } from '../consts.js'

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
    ctx.budget = Math.min(ctx.budget, s.maxResponse - 1024)
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

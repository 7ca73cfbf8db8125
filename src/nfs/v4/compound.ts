import { NfsError, NfsStatus, toNfsStatus, XdrError } from '../errors.js'
import type { RpcCall } from '../rpc/message.js'
import type { RpcConnection } from '../rpc/dispatch.js'
import type { XdrReader } from '../xdr/reader.js'
import { XdrWriter } from '../xdr/writer.js'
import { Ctx } from './context.js'
import { MAX_MINOR, MAX_OPAQUE, MAX_OPS, Op } from './consts.js'
import type { V4Env } from './env.js'
import { ReplayHit, type OpDesc } from './op.js'
import { access } from './ops/access.js'
import { bindConnToSession } from './ops/bind-conn-to-session.js'
import { close } from './ops/close.js'
import { commit } from './ops/commit.js'
import { createSession } from './ops/create-session.js'
import { create } from './ops/create.js'
import { delegreturn } from './ops/delegreturn.js'
import { destroyClientid } from './ops/destroy-clientid.js'
import { destroySession } from './ops/destroy-session.js'
import { exchangeId } from './ops/exchange-id.js'
import { freeStateid } from './ops/free-stateid.js'
import { getattr } from './ops/getattr.js'
import { getfh } from './ops/getfh.js'
import { link } from './ops/link.js'
import { lock } from './ops/lock.js'
import { lockt } from './ops/lockt.js'
import { locku } from './ops/locku.js'
import { lookup } from './ops/lookup.js'
import { lookupp } from './ops/lookupp.js'
import { nverify } from './ops/nverify.js'
import { openConfirm } from './ops/open-confirm.js'
import { openDowngrade } from './ops/open-downgrade.js'
import { open } from './ops/open.js'
import { putfh } from './ops/putfh.js'
import { putpubfh } from './ops/putpubfh.js'
import { putrootfh } from './ops/putrootfh.js'
import { read } from './ops/read.js'
import { readdir } from './ops/readdir.js'
import { readlink } from './ops/readlink.js'
import { reclaimComplete } from './ops/reclaim-complete.js'
import { releaseLockowner } from './ops/release-lockowner.js'
import { remove } from './ops/remove.js'
import { rename } from './ops/rename.js'
import { renew } from './ops/renew.js'
import { restorefh } from './ops/restorefh.js'
import { savefh } from './ops/savefh.js'
import { secinfoNoName } from './ops/secinfo-no-name.js'
import { secinfo } from './ops/secinfo.js'
import { sequence } from './ops/sequence.js'
import { finishSlot } from './ops/sequence.js'
import { setattr } from './ops/setattr.js'
import { setclientidConfirm } from './ops/setclientid-confirm.js'
import { setclientid } from './ops/setclientid.js'
import { testStateid } from './ops/test-stateid.js'
import { verify } from './ops/verify.js'
import { write } from './ops/write.js'

const notsupp = (name: string, minors?: readonly [number, number]): OpDesc => ({
  name, ...(minors ? { minors } : {}), async run () { throw new NfsError(NfsStatus.NOTSUPP) }
})

/** The op table, indexed by opcode (RFC 7530 §16, RFC 8881 §18). */
export const OPS: ReadonlyMap<number, OpDesc> = new Map<number, OpDesc>([
  [Op.ACCESS, access], [Op.CLOSE, close], [Op.COMMIT, commit], [Op.CREATE, create],
  [Op.DELEGPURGE, notsupp('DELEGPURGE')], [Op.DELEGRETURN, delegreturn], [Op.GETATTR, getattr],
  [Op.GETFH, getfh], [Op.LINK, link], [Op.LOCK, lock], [Op.LOCKT, lockt], [Op.LOCKU, locku],
  [Op.LOOKUP, lookup], [Op.LOOKUPP, lookupp], [Op.NVERIFY, nverify], [Op.OPEN, open],
  [Op.OPENATTR, notsupp('OPENATTR')], [Op.OPEN_CONFIRM, openConfirm], [Op.OPEN_DOWNGRADE, openDowngrade],
  [Op.PUTFH, putfh], [Op.PUTPUBFH, putpubfh], [Op.PUTROOTFH, putrootfh], [Op.READ, read],
  [Op.READDIR, readdir], [Op.READLINK, readlink], [Op.REMOVE, remove], [Op.RENAME, rename],
  [Op.RENEW, renew], [Op.RESTOREFH, restorefh], [Op.SAVEFH, savefh], [Op.SECINFO, secinfo],
  [Op.SETATTR, setattr], [Op.SETCLIENTID, setclientid], [Op.SETCLIENTID_CONFIRM, setclientidConfirm],
  [Op.VERIFY, verify], [Op.WRITE, write], [Op.RELEASE_LOCKOWNER, releaseLockowner],
  [Op.BACKCHANNEL_CTL, notsupp('BACKCHANNEL_CTL', [1, 1])], [Op.BIND_CONN_TO_SESSION, bindConnToSession],
  [Op.EXCHANGE_ID, exchangeId], [Op.CREATE_SESSION, createSession], [Op.DESTROY_SESSION, destroySession],
  [Op.FREE_STATEID, freeStateid], [Op.GET_DIR_DELEGATION, notsupp('GET_DIR_DELEGATION', [1, 1])],
  [Op.GETDEVICEINFO, notsupp('GETDEVICEINFO', [1, 1])], [Op.GETDEVICELIST, notsupp('GETDEVICELIST', [1, 1])],
  [Op.LAYOUTCOMMIT, notsupp('LAYOUTCOMMIT', [1, 1])], [Op.LAYOUTGET, notsupp('LAYOUTGET', [1, 1])],
  [Op.LAYOUTRETURN, notsupp('LAYOUTRETURN', [1, 1])], [Op.SECINFO_NO_NAME, secinfoNoName],
  [Op.SEQUENCE, sequence], [Op.SET_SSV, notsupp('SET_SSV', [1, 1])], [Op.TEST_STATEID, testStateid],
  [Op.WANT_DELEGATION, notsupp('WANT_DELEGATION', [1, 1])], [Op.DESTROY_CLIENTID, destroyClientid],
  [Op.RECLAIM_COMPLETE, reclaimComplete]
])

/** RFC 8881 §2.10.6.4: ops that may start a compound without SEQUENCE (as its only op). */
const SESSIONLESS = new Set([Op.EXCHANGE_ID, Op.CREATE_SESSION, Op.DESTROY_SESSION, Op.DESTROY_CLIENTID, Op.BIND_CONN_TO_SESSION])

/**
 * RFC 7530 §16.2:
 *   struct COMPOUND4args { utf8str_cs tag; uint32_t minorversion; nfs_argop4 argarray<>; };
 *   struct COMPOUND4res { nfsstat4 status; utf8str_cs tag; nfs_resop4 resarray<>; };
 * Ops run in order; the first failure ends the compound and its status is the compound's.
 */
export async function compound (env: V4Env, call: RpcCall, conn: RpcConnection): Promise<XdrWriter> {
  const r = call.args
  const tag = Buffer.from(r.opaque(MAX_OPAQUE))
  const minor = r.u32()
  const count = r.u32()
  if (minor > MAX_MINOR) return header(NfsStatus.MINOR_VERS_MISMATCH, tag, 0)
  if (count > MAX_OPS) return header(minor === 0 ? NfsStatus.RESOURCE : NfsStatus.TOO_MANY_OPS, tag, 0)
  const ctx = new Ctx(env, minor, call.auth, conn)
  const results = new XdrWriter(512)
  let status = NfsStatus.OK
  let done = 0
  try {
    for (let i = 0; i < count && status === NfsStatus.OK; i++) {
      let opnum: number
      try { opnum = r.u32() } catch { status = NfsStatus.BADXDR; results.u32(Op.ILLEGAL).u32(status); done++; break }
      status = await runOne(ctx, r, results, opnum, i, count)
      done++
      if (ctx.session && i === 0 && ctx.session.maxOps < count && status === NfsStatus.OK) {
        status = NfsStatus.TOO_MANY_OPS
        break
      }
    }
  } catch (err) {
    if (err instanceof ReplayHit) return XdrWriter.of(err.reply)
    throw err
  }
  const reply = header(status, tag, done).append(results)
  if (ctx.session && ctx.slot) finishSlot(ctx.session, ctx.slot, [...reply.chunks()])
  return reply
}

function header (status: NfsStatus, tag: Buffer, n: number): XdrWriter {
  return new XdrWriter(64 + tag.length).u32(status).opaque(tag).u32(n)
}

async function runOne (ctx: Ctx, r: XdrReader, out: XdrWriter, opnum: number, i: number, count: number): Promise<NfsStatus> {
  const desc = OPS.get(opnum)
  const [lo, hi] = desc?.minors ?? [0, 1]
  let status: NfsStatus
  let errBody: NfsError['body']
  const started = performance.now()
  const body = new XdrWriter(128)
  if (!desc || (ctx.minor === 0 && opnum > Op.RELEASE_LOCKOWNER)) {
    opnum = Op.ILLEGAL
    status = NfsStatus.OP_ILLEGAL
  } else if (ctx.minor < lo || ctx.minor > hi) {
    status = NfsStatus.NOTSUPP
  } else if (ctx.minor > 0 && i === 0 && opnum !== Op.SEQUENCE && !SESSIONLESS.has(opnum)) {
    status = NfsStatus.OP_NOT_IN_SESSION
  } else if (ctx.minor > 0 && i === 0 && count > 1 && SESSIONLESS.has(opnum) && opnum !== Op.DESTROY_SESSION) {
    status = NfsStatus.NOT_ONLY_OP
  } else if (ctx.minor > 0 && i > 0 && opnum === Op.SEQUENCE) {
    status = NfsStatus.SEQUENCE_POS
  } else if (desc.needsFh && !ctx.current) {
    status = NfsStatus.NOFILEHANDLE
  } else {
    try {
      await desc.run(ctx, r, body)
      status = NfsStatus.OK
    } catch (err) {
      if (err instanceof ReplayHit) throw err
      status = toNfsStatus(err)
      if (err instanceof NfsError) errBody = err.body
      if (status === NfsStatus.SERVERFAULT) ctx.env.log.error(`${desc.name} failed`, err)
      else if (err instanceof XdrError) ctx.env.log.debug(`${desc.name}: ${err.message}`)
    }
  }
  ctx.env.stats.count(desc?.name ?? 'ILLEGAL', NfsStatus[status] ?? String(status), Math.round((performance.now() - started) * 1000))
  out.u32(opnum).u32(status)
  if (status === NfsStatus.OK) out.append(body)
  else if (errBody) errBody(out)
  return status
}

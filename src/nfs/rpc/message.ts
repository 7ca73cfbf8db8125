import { XdrError } from '../errors.js'
import { XdrReader } from '../xdr/reader.js'
import { XdrWriter } from '../xdr/writer.js'

// RFC 5531 §9: enum msg_type { CALL = 0, REPLY = 1 }; enum reply_stat { MSG_ACCEPTED = 0, MSG_DENIED = 1 }
const CALL = 0
const REPLY = 1
const MSG_ACCEPTED = 0
const MSG_DENIED = 1

// RFC 5531 §9: enum accept_stat
export enum AcceptStat { SUCCESS = 0, PROG_UNAVAIL = 1, PROG_MISMATCH = 2, PROC_UNAVAIL = 3, GARBAGE_ARGS = 4, SYSTEM_ERR = 5 }
// RFC 5531 §9: enum reject_stat { RPC_MISMATCH = 0, AUTH_ERROR = 1 }; enum auth_stat
export enum AuthStat { OK = 0, BADCRED = 1, REJECTEDCRED = 2, BADVERF = 3, REJECTEDVERF = 4, TOOWEAK = 5 }
// RFC 5531 §8.1 / RFC 5531 appendix A: auth_flavor
export const AUTH_NONE = 0
export const AUTH_SYS = 1

/**
 * RFC 5531 appendix A:
 *   struct authsys_parms { unsigned int stamp; string machinename<255>; unsigned int uid;
 *                          unsigned int gid; unsigned int gids<16>; };
 */
export interface AuthSys { readonly stamp: number, readonly machine: string, readonly uid: number, readonly gid: number, readonly gids: number[] }

export interface RpcCall {
  readonly xid: number
  readonly prog: number
  readonly vers: number
  readonly proc: number
  /** undefined for AUTH_NONE */
  readonly auth: AuthSys | undefined
  /** positioned at the procedure's arguments */
  readonly args: XdrReader
}

/** An RPC-level failure: the call is answered with this accept or reject status, not an NFS status. */
export class RpcError extends Error {
  constructor (readonly accept: AcceptStat, readonly low = 0, readonly high = 0, readonly auth?: AuthStat) {
    super(auth !== undefined ? `AUTH_ERROR ${AuthStat[auth]}` : AcceptStat[accept])
    this.name = 'RpcError'
  }

  static auth (stat: AuthStat): RpcError { return new RpcError(AcceptStat.SUCCESS, 0, 0, stat) }
}

const MAX_AUTH = 400 // RFC 5531 §8.2: opaque body<400>

/**
 * RFC 5531 §9:
 *   struct rpc_msg { unsigned int xid; union switch (msg_type mtype) { case CALL: call_body cbody; … } };
 *   struct call_body { unsigned int rpcvers; unsigned int prog; unsigned int vers; unsigned int proc;
 *                      opaque_auth cred; opaque_auth verf; };
 * Returns the xid alone when the header is readable but not acceptable (so the caller can reply),
 * and throws XdrError when not even the xid can be trusted.
 */
export function decodeCall (record: Buffer): RpcCall {
  const r = new XdrReader(record)
  const xid = r.u32()
  if (r.u32() !== CALL) throw new XdrError('not a CALL')
  const rpcvers = r.u32()
  if (rpcvers !== 2) throw new RpcVersionError(xid)
  const prog = r.u32()
  const vers = r.u32()
  const proc = r.u32()
  const flavor = r.u32()
  const credBody = r.opaque(MAX_AUTH)
  r.u32() // verifier flavor: AUTH_NONE or ignored (we do not use AUTH_SHORT)
  r.opaque(MAX_AUTH)
  let auth: AuthSys | undefined
  if (flavor === AUTH_SYS) {
    try { auth = decodeAuthSys(new XdrReader(credBody)) } catch { throw new AuthFailure(xid, AuthStat.BADCRED) }
  } else if (flavor !== AUTH_NONE) {
    throw new AuthFailure(xid, AuthStat.BADCRED)
  }
  return { xid, prog, vers, proc, auth, args: r }
}

export function decodeAuthSys (r: XdrReader): AuthSys {
  const stamp = r.u32()
  const machine = r.string(255)
  const uid = r.u32()
  const gid = r.u32()
  const gids = r.array(16, (x) => x.u32())
  return { stamp, machine, uid, gid, gids }
}

export class RpcVersionError extends Error { constructor (readonly xid: number) { super('RPC_MISMATCH') } }
export class AuthFailure extends Error { constructor (readonly xid: number, readonly stat: AuthStat) { super(`AUTH_ERROR ${AuthStat[stat]}`) } }

/** RFC 5531 §9 accepted_reply with a null verifier; the results follow for SUCCESS. */
export function acceptedReply (xid: number, stat: AcceptStat, low = 0, high = 0): XdrWriter {
  const w = new XdrWriter(64)
  w.u32(xid).u32(REPLY).u32(MSG_ACCEPTED).u32(AUTH_NONE).u32(0).u32(stat)
  if (stat === AcceptStat.PROG_MISMATCH) w.u32(low).u32(high)
  return w
}

/** RFC 5531 §9 rejected_reply: RPC_MISMATCH {low, high} or AUTH_ERROR {auth_stat}. */
export function deniedReply (xid: number, auth?: AuthStat): XdrWriter {
  const w = new XdrWriter(32)
  w.u32(xid).u32(REPLY).u32(MSG_DENIED)
  if (auth === undefined) w.u32(0).u32(2).u32(2)
  else w.u32(1).u32(auth)
  return w
}

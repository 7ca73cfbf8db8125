import { RpcError, AcceptStat, type RpcCall } from '../rpc/message.js'
import type { RpcConnection, RpcProgram } from '../rpc/dispatch.js'
import { XdrWriter } from '../xdr/writer.js'
import { compound } from './compound.js'
import { NFS_PROGRAM } from './consts.js'
import type { V4Env } from './env.js'

/**
 * RFC 7530 §16.1 / RFC 7531: program NFS4_PROGRAM (100003) version 4: procedure 0 NULL, 1 COMPOUND.
 * NFS version 3 of the same program registers as its own RpcProgram (the dispatcher picks by version).
 */
export class Nfs4Program implements RpcProgram {
  readonly prog = NFS_PROGRAM
  readonly vers = 4
  readonly name = 'NFSv4'
  constructor (private readonly env: V4Env) {}

  async call (call: RpcCall, conn: RpcConnection): Promise<XdrWriter> {
    if (call.proc === 0) return new XdrWriter(0)
    if (call.proc !== 1) throw new RpcError(AcceptStat.PROC_UNAVAIL)
    return await compound(this.env, call, conn)
  }
}

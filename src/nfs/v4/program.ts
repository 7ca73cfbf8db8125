import { RpcError, AcceptStat, type RpcCall } from '../rpc/message.js'
import type { RpcConnection, RpcProgram } from '../rpc/dispatch.js'
import { XdrWriter } from '../xdr/writer.js'
import { compound } from './compound.js'
import { NFS_PROGRAM } from './consts.js'
import type { V4Env } from './env.js'

/**
 * RFC 7530 §16.1 / RFC 7531: program NFS4_PROGRAM (100003) version 4: procedure 0 NULL, 1 COMPOUND.
 * Version 3 of the same program is another RpcProgram's business (v3/); until it exists, other
 * versions get PROG_MISMATCH 4..4.
 */
export class Nfs4Program implements RpcProgram {
  readonly prog = NFS_PROGRAM
  readonly name = 'NFSv4'
  constructor (private readonly env: V4Env, private readonly other?: RpcProgram) {}

  async call (call: RpcCall, conn: RpcConnection): Promise<XdrWriter> {
    if (call.vers !== 4) {
      if (this.other) return await this.other.call(call, conn)
      throw new RpcError(AcceptStat.PROG_MISMATCH, 4, 4)
    }
    if (call.proc === 0) return new XdrWriter(0)
    if (call.proc !== 1) throw new RpcError(AcceptStat.PROC_UNAVAIL)
    return await compound(this.env, call, conn)
  }
}

import type { Logger } from '../../log.js'
import { XdrError } from '../errors.js'
import type { XdrWriter } from '../xdr/writer.js'
import { AcceptStat, AuthFailure, RpcError, RpcVersionError, acceptedReply, decodeCall, deniedReply, type RpcCall } from './message.js'

/** What a program learns about the transport a call came on (NFSv4.1 binds sessions to connections). */
export interface RpcConnection {
  readonly id: number
  readonly remote: string
}

/**
 * One version of one ONC RPC program (NFS 4, later NFS 3 and MOUNT 3) on the shared port. `call`
 * returns the procedure's results; it throws RpcError for PROC_UNAVAIL and XdrError for
 * undecodable arguments (→ GARBAGE_ARGS).
 */
export interface RpcProgram {
  readonly prog: number
  readonly vers: number
  readonly name: string
  call (call: RpcCall, conn: RpcConnection): Promise<XdrWriter>
}

/** Version-neutral dispatch by program number; every failure becomes a reply, never an exception. */
export class RpcDispatcher {
  readonly #programs = new Map<number, Map<number, RpcProgram>>()

  constructor (private readonly log: Logger) {}

  register (p: RpcProgram): void {
    let versions = this.#programs.get(p.prog)
    if (!versions) this.#programs.set(p.prog, (versions = new Map()))
    versions.set(p.vers, p)
  }

  /** Returns the whole reply (header + results), or null when the record is not even an RPC call. */
  async dispatch (record: Buffer, conn: RpcConnection): Promise<XdrWriter | null> {
    let call: RpcCall
    try {
      call = decodeCall(record)
    } catch (err) {
      if (err instanceof RpcVersionError) return deniedReply(err.xid)
      if (err instanceof AuthFailure) return deniedReply(err.xid, err.stat)
      return null
    }
    const versions = this.#programs.get(call.prog)
    if (!versions) return acceptedReply(call.xid, AcceptStat.PROG_UNAVAIL)
    const program = versions.get(call.vers)
    // RFC 5531 §9: PROG_MISMATCH carries the lowest and highest versions supported
    if (!program) return acceptedReply(call.xid, AcceptStat.PROG_MISMATCH, Math.min(...versions.keys()), Math.max(...versions.keys()))
    try {
      const results = await program.call(call, conn)
      return acceptedReply(call.xid, AcceptStat.SUCCESS).append(results)
    } catch (err) {
      if (err instanceof RpcError) {
        if (err.auth !== undefined) return deniedReply(call.xid, err.auth)
        return acceptedReply(call.xid, err.accept, err.low, err.high)
      }
      if (err instanceof XdrError) return acceptedReply(call.xid, AcceptStat.GARBAGE_ARGS)
      this.log.error(`${program.name} proc ${call.proc} failed`, err)
      return acceptedReply(call.xid, AcceptStat.SYSTEM_ERR)
    }
  }
}

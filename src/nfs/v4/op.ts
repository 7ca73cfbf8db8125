import type { XdrReader } from '../xdr/reader.js'
import type { XdrWriter } from '../xdr/writer.js'
import type { Ctx } from './context.js'

/**
 * One row of the op table (nfs-ganesha's optabv4). `run` decodes its own arguments, writes only its
 * result body and throws NfsError; the dispatcher writes the op number and status.
 */
export interface OpDesc {
  readonly name: string
  readonly run: (ctx: Ctx, args: XdrReader, res: XdrWriter) => Promise<void>
  /** fails with NOFILEHANDLE when there is no current filehandle */
  readonly needsFh?: boolean
  /** lowest and highest minor version that has the op (default 0..1) */
  readonly minors?: readonly [number, number]
}

/** Thrown by SEQUENCE for a retransmission: the compound answers with the cached reply. */
export class ReplayHit extends Error {
  constructor (readonly reply: Buffer[]) { super('replay') }
}

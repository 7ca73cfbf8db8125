import type { XdrReader } from '../xdr/reader.js'
import type { XdrWriter } from '../xdr/writer.js'
import type { Call3 } from './call.js'

/**
 * What a procedure's resfail carries (RFC 1813 §3.3), written by the program from the objects the
 * procedure recorded on its Call3 before it failed:
 *   void: nothing (GETATTR) · attr: post_op_attr of obj · wcc: wcc_data of (pre, obj)
 *   wcc2: wcc_data of (pre, obj) then of (pre2, obj2) (RENAME) · link: post_op_attr of obj, wcc_data of (pre2, obj2)
 */
export type FailBody = 'void' | 'attr' | 'wcc' | 'wcc2' | 'link'

/**
 * One NFSv3 procedure, one file each under procs/ (go-nfs's nfs_on<proc>.go). `run` decodes all
 * of its arguments first (an XdrError becomes GARBAGE_ARGS), then works and writes only its resok
 * body; it throws NfsError for an NFS status, and the program writes the status and the resfail.
 */
export interface ProcDesc {
  readonly name: string
  readonly fail: FailBody
  run (c: Call3, args: XdrReader, res: XdrWriter): Promise<void>
}

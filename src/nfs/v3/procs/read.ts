import { NfsError, NfsStatus } from '../../errors.js'
import { postOpAttr, statAttrs } from '../attrs.js'
import { readFh } from '../call.js'
import { MAX_IO3 } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.6: struct READ3args { nfs_fh3 file; offset3 offset; count3 count; };
 *   READ3resok { post_op_attr file_attributes; count3 count; bool eof; opaque data<>; };
 * count is capped at FSINFO's rtmax; the data goes to the socket by reference.
 */
export const read: ProcDesc = {
  name: 'READ',
  fail: 'attr',
  async run (c, args, res) {
    const raw = readFh(args)
    const offset = args.u64()
    const count = Math.min(args.u32(), MAX_IO3)
    const n = c.obj = await c.node(raw)
    if (n.kind === 'pseudo') throw new NfsError(NfsStatus.ISDIR)
    // the attributes come with the data, from the descriptor (fstat beside the pread, or the stat
    // that validated bytes read ahead); the vfs's read refuses what is not a regular file
    const got = await c.env.vfs.read(n, offset, count, true)
    const st = got.st ?? await c.stat(n)
    const data = got.data
    const eof = got.eof || offset + BigInt(data.length) >= st.size
    postOpAttr(res, statAttrs(st, n.exp.index))
    res.u32(data.length).bool(eof).opaque(data)
  }
}

import { postOpAttr } from '../attrs.js'
import { readFh } from '../call.js'
import { checkCookie, COOKIEVERF, entries, fill } from '../dirlist.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.16: struct READDIR3args { nfs_fh3 dir; cookie3 cookie; cookieverf3 cookieverf; count3 count; };
 *   struct entry3 { fileid3 fileid; filename3 name; cookie3 cookie; entry3 *nextentry; };
 *   struct dirlist3 { entry3 *entries; bool eof; };
 *   READDIR3resok { post_op_attr dir_attributes; cookieverf3 cookieverf; dirlist3 reply; };
 * count bounds the whole READDIR3resok.
 */
export const readdir: ProcDesc = {
  name: 'READDIR',
  fail: 'attr',
  async run (c, args, res) {
    const raw = readFh(args)
    const cookie = args.u64()
    const verf = args.fixed(8)
    const count = args.u32()
    const dir = c.obj = await c.node(raw)
    checkCookie(cookie, verf)
    const { body, eof } = await fill(c, entries(c, dir, cookie, false), 4 + 88 + 8 + 8, count, 0, false)
    postOpAttr(res, await c.attrsOrNone(dir))
    res.fixed(COOKIEVERF).append(body).bool(false).bool(eof)
  }
}

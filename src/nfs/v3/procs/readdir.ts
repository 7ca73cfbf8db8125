import { listing } from '../dirlist.js'
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
  async run (c, args, res) { await listing(c, args, res, false) }
}

import { listing } from '../dirlist.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.17:
 *   struct READDIRPLUS3args { nfs_fh3 dir; cookie3 cookie; cookieverf3 cookieverf; count3 dircount; count3 maxcount; };
 *   struct entryplus3 { fileid3 fileid; filename3 name; cookie3 cookie; post_op_attr name_attributes;
 *                       post_op_fh3 name_handle; entryplus3 *nextentry; };
 *   READDIRPLUS3resok { post_op_attr dir_attributes; cookieverf3 cookieverf; dirlistplus3 reply; };
 * maxcount bounds the whole result, dircount the fileids, names and cookies alone.
 */
export const readdirplus: ProcDesc = {
  name: 'READDIRPLUS',
  fail: 'attr',
  async run (c, args, res) { await listing(c, args, res, true) }
}

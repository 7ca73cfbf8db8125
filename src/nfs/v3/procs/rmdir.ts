import type { ProcDesc } from '../proc.js'
import { removeEntry } from './remove.js'

/**
 * RFC 1813 §3.3.13: RMDIR3args { diropargs3 object; }; RMDIR3resok / resfail { wcc_data dir_wcc; };
 * Only empty directories go (NOTEMPTY otherwise); '.' is INVAL and '..' EXIST, as the RFC allows.
 */
export const rmdir: ProcDesc = {
  name: 'RMDIR',
  fail: 'wcc',
  async run (c, args, res) { await removeEntry(c, args, res, true) }
}

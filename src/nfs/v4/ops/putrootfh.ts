import { PSEUDO } from '../../vfs/types.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.22 PUTROOTFH: the pseudo-root, which lists the exports
export const putrootfh: OpDesc = { name: 'PUTROOTFH', async run (ctx) { ctx.current = PSEUDO; ctx.stateid = null } }

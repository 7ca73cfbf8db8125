import { PSEUDO } from '../../vfs/types.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.21 PUTPUBFH: the public filehandle is the pseudo-root here
export const putpubfh: OpDesc = { name: 'PUTPUBFH', async run (ctx) { ctx.current = PSEUDO; ctx.stateid = null } }

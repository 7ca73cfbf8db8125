import type { OpDesc } from '../op.js'

// RFC 7530 §16.28 SAVEFH: the current filehandle becomes the saved one (RENAME, LINK use both)
export const savefh: OpDesc = { name: 'SAVEFH', needsFh: true, async run (ctx) { ctx.saved = ctx.current } }

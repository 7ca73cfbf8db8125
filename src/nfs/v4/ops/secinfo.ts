import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { AUTH_NONE, AUTH_SYS } from '../../rpc/message.js'
import type { XdrWriter } from '../../xdr/writer.js'
import { MAX_COMPONENT } from '../consts.js'
import type { OpDesc } from '../op.js'

/** RFC 7530 §16.31: SECINFO4resok<>: secinfo4 { uint32_t flavor; … }; AUTH_SYS first, then AUTH_NONE. */
export function flavors (w: XdrWriter): void { w.u32(2).u32(AUTH_SYS).u32(AUTH_NONE) }

// RFC 7530 §16.31: struct SECINFO4args { component4 name; }; the current filehandle is consumed (RFC 8881 §2.6.3.1.1.8).
export const secinfo: OpDesc = {
  name: 'SECINFO',
  needsFh: true,
  async run (ctx, args, res) {
    const name = checkName(args.opaque(MAX_COMPONENT))
    const dir = ctx.fh()
    if (dir.kind === 'pseudo') {
      if (!ctx.env.exports.byName(name)) throw new NfsError(NfsStatus.NOENT)
    } else {
      await ctx.env.vfs.lookup(dir, name)
    }
    flavors(res)
    if (ctx.minor > 0) ctx.current = null
  }
}

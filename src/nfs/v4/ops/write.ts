import { NfsError, NfsStatus } from '../../errors.js'
import { MAX_IO, Stable } from '../consts.js'
import type { OpDesc } from '../op.js'
import { readStateid } from '../state/stateid.js'
import { checkIo } from './io-state.js'

/**
 * RFC 7530 §16.36: struct WRITE4args { stateid4 stateid; offset4 offset; stable_how4 stable; opaque data<>; };
 *   struct WRITE4resok { count4 count; stable_how4 committed; verifier4 writeverf; };
 * UNSTABLE writes are left to the page cache until COMMIT; DATA_SYNC and FILE_SYNC are synced
 * before the reply. The verifier changes with every server start.
 */
export const write: OpDesc = {
  name: 'WRITE',
  needsFh: true,
  async run (ctx, args, res) {
    const sid = readStateid(args)
    const offset = args.u64()
    const stable = args.u32()
    if (stable > Stable.FILE_SYNC) throw new NfsError(NfsStatus.BADXDR, 'bad stable_how4')
    const data = args.opaque(MAX_IO)
    const n = ctx.writable(ctx.fh())
    checkIo(ctx, sid, n, true)
    await ctx.env.vfs.write(n, offset, data, stable !== Stable.UNSTABLE)
    res.u32(data.length).u32(stable === Stable.UNSTABLE ? Stable.UNSTABLE : Stable.FILE_SYNC).fixed(ctx.env.writeVerf)
  }
}

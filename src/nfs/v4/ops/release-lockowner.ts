import { MAX_OPAQUE } from '../consts.js'
import type { OpDesc } from '../op.js'

// RFC 7530 §16.37: struct RELEASE_LOCKOWNER4args { lock_owner4 lock_owner; };
export const releaseLockowner: OpDesc = {
  name: 'RELEASE_LOCKOWNER',
  minors: [0, 0],
  async run (ctx, args) {
    const clientid = args.u64()
    const owner = args.opaque(MAX_OPAQUE)
    const client = ctx.env.clients.get(clientid)
    ctx.env.clients.renew(client)
    ctx.env.opens.releaseLockOwner(client, owner)
  }
}

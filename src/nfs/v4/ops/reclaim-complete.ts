import { type OpDesc } from '../op.js'

// RFC 8881 §18.51: struct RECLAIM_COMPLETE4args { bool rca_one_fs; }; the server is graceless.
export const reclaimComplete: OpDesc = {
  name: 'RECLAIM_COMPLETE',
  minors: [1, 1],
  async run (_ctx, args) { args.bool() }
}

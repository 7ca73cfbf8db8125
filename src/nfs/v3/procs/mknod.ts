import { NfsError, NfsStatus } from '../../errors.js'
import type { SetAttrs } from '../../vfs/types.js'
import { readSattr3 } from '../attrs.js'
import { entryName, readDirop, writeMade } from '../call.js'
import { Ftype3 } from '../consts.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.11:
 *   struct devicedata3 { sattr3 dev_attributes; specdata3 spec; };
 *   union mknoddata3 switch (ftype3 type) { case NF3CHR: case NF3BLK: devicedata3 device;
 *                                           case NF3SOCK: case NF3FIFO: sattr3 pipe_attributes; default: void; };
 *   struct MKNOD3args { diropargs3 where; mknoddata3 what; };
 * FIFOs are made (as v4's CREATE makes them; `mkfifo` on a mount is common). Device nodes and
 * sockets have no place in a replicated folder: NOTSUPP. Other types are BADTYPE.
 */
export const mknod: ProcDesc = {
  name: 'MKNOD',
  fail: 'wcc',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    const type = args.u32()
    let attrs: SetAttrs = {}
    if (type === Ftype3.CHR || type === Ftype3.BLK) { attrs = readSattr3(args); args.u32(); args.u32() } else if (type === Ftype3.SOCK || type === Ftype3.FIFO) attrs = readSattr3(args)
    c.obj = await c.node(raw)
    const dir = c.writable(c.obj)
    c.pre = await c.wcc(dir)
    const fname = entryName(name, NfsStatus.EXIST)
    if (type === Ftype3.CHR || type === Ftype3.BLK || type === Ftype3.SOCK) throw new NfsError(NfsStatus.NOTSUPP, 'device nodes and sockets are not allowed')
    if (type !== Ftype3.FIFO) throw new NfsError(NfsStatus.BADTYPE)
    const made = await c.env.vfs.mkfifo(dir, fname, attrs.mode ?? 0o644, c.creds)
    await writeMade(res, c, made, dir)
  }
}

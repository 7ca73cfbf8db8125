import { XdrError } from '../errors.js'
import type { RpcConnection, RpcProgram } from '../rpc/dispatch.js'
import { AcceptStat, RpcError, type RpcCall } from '../rpc/message.js'
import { XdrWriter } from '../xdr/writer.js'
import { postOpAttr, wccData } from './attrs.js'
import { Call3, type V3Env } from './call.js'
import { NFS3_VERSION, Nfs3Status, toNfs3Status } from './consts.js'
import type { ProcDesc } from './proc.js'
import { access } from './procs/access.js'
import { commit } from './procs/commit.js'
import { create } from './procs/create.js'
import { fsinfo } from './procs/fsinfo.js'
import { fsstat } from './procs/fsstat.js'
import { getattr } from './procs/getattr.js'
import { link } from './procs/link.js'
import { lookup } from './procs/lookup.js'
import { mkdir } from './procs/mkdir.js'
import { mknod } from './procs/mknod.js'
import { pathconf } from './procs/pathconf.js'
import { read } from './procs/read.js'
import { readdir } from './procs/readdir.js'
import { readdirplus } from './procs/readdirplus.js'
import { readlink } from './procs/readlink.js'
import { remove } from './procs/remove.js'
import { rename } from './procs/rename.js'
import { rmdir } from './procs/rmdir.js'
import { setattr } from './procs/setattr.js'
import { symlink } from './procs/symlink.js'
import { write } from './procs/write.js'

/** RFC 1813 §3: the procedures of NFS_PROGRAM version 3, by number (0 NULL is answered inline). */
export const PROCS: ReadonlyMap<number, ProcDesc> = new Map([
  [1, getattr], // GETATTR
  [2, setattr], // SETATTR
  [3, lookup], // LOOKUP
  [4, access], // ACCESS
  [5, readlink], // READLINK
  [6, read], // READ
  [7, write], // WRITE
  [8, create], // CREATE
  [9, mkdir], // MKDIR
  [10, symlink], // SYMLINK
  [11, mknod], // MKNOD
  [12, remove], // REMOVE
  [13, rmdir], // RMDIR
  [14, rename], // RENAME
  [15, link], // LINK
  [16, readdir], // READDIR
  [17, readdirplus], // READDIRPLUS
  [18, fsstat], // FSSTAT
  [19, fsinfo], // FSINFO
  [20, pathconf], // PATHCONF
  [21, commit] // COMMIT
])

/**
 * NFSv3 (RFC 1813) over the same vfs and file handles as v4, registered beside it (one program
 * number, two versions on one port: the dispatcher picks by version). Every result starts with nfsstat3;
 * failures carry the procedure's resfail body (post-op attributes or wcc data) so clients keep
 * their caches right even when a call fails.
 */
export class Nfs3Program implements RpcProgram {
  readonly prog = 100003
  readonly vers = NFS3_VERSION
  readonly name = 'NFSv3'
  constructor (private readonly env: V3Env) {}

  async call (call: RpcCall, conn: RpcConnection): Promise<XdrWriter> {
    if (call.proc === 0) return new XdrWriter(0)
    const desc = PROCS.get(call.proc)
    if (!desc) throw new RpcError(AcceptStat.PROC_UNAVAIL)
    const started = performance.now()
    const c = new Call3(this.env, call.auth, conn)
    const body = new XdrWriter(256)
    let status = Nfs3Status.OK
    try {
      await desc.run(c, call.args, body)
    } catch (err) {
      if (err instanceof XdrError || err instanceof RpcError) throw err
      status = toNfs3Status(err)
      if (status === Nfs3Status.SERVERFAULT) this.env.log.error(`v3 ${desc.name} failed`, err)
      else this.env.log.debug(`v3 ${desc.name}: ${Nfs3Status[status]} ${(err as Error).message}`)
    }
    this.env.stats?.count(`v3.${desc.name}`, Nfs3Status[status] ?? String(status), Math.round((performance.now() - started) * 1000))
    const out = new XdrWriter(128).u32(status)
    if (status === Nfs3Status.OK) return out.append(body)
    switch (desc.fail) {
      case 'void': break
      case 'attr': postOpAttr(out, await (c.objAttrs ?? c.attrsOrNone(c.obj))); break
      case 'wcc': wccData(out, c.pre, await c.attrsOrNone(c.obj)); break
      case 'wcc2':
        wccData(out, c.pre, await c.attrsOrNone(c.obj))
        wccData(out, c.pre2, await c.attrsOrNone(c.obj2))
        break
      case 'link':
        postOpAttr(out, await c.attrsOrNone(c.obj))
        wccData(out, c.pre2, await c.attrsOrNone(c.obj2))
        break
    }
    return out
  }
}

import { NfsError, NfsStatus, toNfsStatus } from '../errors.js'
import { encodeFh, PSEUDO_ROOT } from '../fh.js'
import type { RpcConnection, RpcProgram } from '../rpc/dispatch.js'
import { AcceptStat, AUTH_SYS, RpcError, type RpcCall } from '../rpc/message.js'
import { checkName } from '../vfs/names.js'
import type { FsNode } from '../vfs/types.js'
import { XdrWriter } from '../xdr/writer.js'
import type { V3Env } from './call.js'
import { MAX_FILENAME, MNTPATHLEN, MOUNT_PROGRAM, MOUNT_VERSION, MountStat } from './consts.js'

/** How many mounts DUMP remembers (it is advisory: RFC 1813 appendix I says clients must not rely on it). */
const MAX_MOUNTS = 4096

/**
 * RFC 1813 appendix I, MOUNT version 3 on the NFS port (no portmapper: clients pass
 * `mountport=`): NULL, MNT, DUMP, UMNT, UMNTALL, EXPORT. `/NAME` is a namespace (a path below it
 * is walked), `/` the pseudo-root that lists them. MNT repeats the SHOAL_NFS_ALLOW check; the
 * handles are the NFS handles every version uses.
 */
export class MountProgram implements RpcProgram {
  readonly prog = MOUNT_PROGRAM
  readonly vers = MOUNT_VERSION
  readonly name = 'MOUNTv3'
  /** "host dirpath" of the mounts clients told us about, for DUMP */
  readonly #mounts = new Set<string>()

  constructor (private readonly env: V3Env) {}

  async call (call: RpcCall, conn: RpcConnection): Promise<XdrWriter> {
    const host = hostOf(conn.remote)
    switch (call.proc) {
      case 0: return new XdrWriter(0) // MOUNTPROC3_NULL
      case 1: return await this.#mnt(call.args.opaque(MAX_FILENAME), host) // MOUNTPROC3_MNT (dirpath)
      case 2: return this.#dump() // MOUNTPROC3_DUMP
      case 3: { // MOUNTPROC3_UMNT (dirpath)
        this.#mounts.delete(`${host} ${call.args.string(MAX_FILENAME)}`)
        return new XdrWriter(0)
      }
      case 4: { // MOUNTPROC3_UMNTALL
        for (const m of this.#mounts) if (m.startsWith(host + ' ')) this.#mounts.delete(m)
        return new XdrWriter(0)
      }
      case 5: return this.#exports() // MOUNTPROC3_EXPORT
      default: throw new RpcError(AcceptStat.PROC_UNAVAIL)
    }
  }

  /**
   * union mountres3 switch (mountstat3 fhs_status) { case MNT3_OK: mountres3_ok mountinfo; default: void; };
   *   struct mountres3_ok { fhandle3 fhandle; int auth_flavors<>; };
   */
  async #mnt (raw: Buffer, host: string): Promise<XdrWriter> {
    const w = new XdrWriter(64)
    let fh: Buffer
    try {
      if (raw.length > MNTPATHLEN) throw new NfsError(NfsStatus.NAMETOOLONG)
      if (!this.env.allow.allows(host)) throw new NfsError(NfsStatus.ACCESS, `${host} is not in SHOAL_NFS_ALLOW`)
      fh = await this.#resolve(raw.toString('utf8'))
    } catch (err) {
      const stat = mountStat(err)
      if (stat === MountStat.SERVERFAULT) this.env.log.error('MNT failed', err)
      this.env.stats?.count('mount.MNT', MountStat[stat] ?? String(stat))
      return w.u32(stat)
    }
    const path = raw.toString('utf8')
    if (this.#mounts.size < MAX_MOUNTS) this.#mounts.add(`${host} ${path}`)
    this.env.stats?.count('mount.MNT', 'OK')
    return w.u32(MountStat.OK).opaque(fh).u32(1).u32(AUTH_SYS)
  }

  /** '/' → the pseudo-root; '/NAME[/dir…]' → that directory of the namespace. */
  async #resolve (path: string): Promise<Buffer> {
    const parts = path.split('/').filter((p) => p !== '')
    if (parts.length === 0) return encodeFh(PSEUDO_ROOT)
    const exp = this.env.exports.byName(parts[0]!)
    if (!exp) throw new NfsError(NfsStatus.NOENT)
    const vfs = this.env.vfs
    let node: FsNode = (await vfs.root(exp)).node
    for (const p of parts.slice(1)) {
      let name: string
      try { name = checkName(Buffer.from(p, 'utf8')) } catch { throw new NfsError(NfsStatus.NOENT) }
      const next = await vfs.lookup(node, name)
      if (!next.stat.isDirectory()) throw new NfsError(NfsStatus.NOTDIR)
      node = next.node
    }
    return encodeFh(vfs.handle(node))
  }

  /**
   * typedef struct mountbody *mountlist;
   *   struct mountbody { name ml_hostname; dirpath ml_directory; mountlist ml_next; };
   */
  #dump (): XdrWriter {
    const w = new XdrWriter(256)
    for (const m of this.#mounts) {
      const i = m.indexOf(' ')
      w.bool(true).string(m.slice(0, i)).string(m.slice(i + 1))
    }
    return w.bool(false)
  }

  /**
   * typedef struct exportnode *exports;
   *   struct exportnode { dirpath ex_dir; groups ex_groups; exports ex_next; };
   * No groups: who may mount is decided by address (SHOAL_NFS_ALLOW), not by netgroup.
   */
  #exports (): XdrWriter {
    const w = new XdrWriter(256)
    for (const e of this.env.exports.list()) w.bool(true).string('/' + e.name).bool(false)
    return w.bool(false)
  }
}

function mountStat (err: unknown): MountStat {
  switch (toNfsStatus(err)) {
    case NfsStatus.NOENT: case NfsStatus.STALE: return MountStat.NOENT
    case NfsStatus.NOTDIR: case NfsStatus.SYMLINK: return MountStat.NOTDIR
    case NfsStatus.ACCESS: case NfsStatus.PERM: return MountStat.ACCES
    case NfsStatus.NAMETOOLONG: return MountStat.NAMETOOLONG
    case NfsStatus.INVAL: case NfsStatus.BADCHAR: case NfsStatus.BADNAME: return MountStat.INVAL
    case NfsStatus.IO: return MountStat.IO
    default: return MountStat.SERVERFAULT
  }
}

/** RpcConnection.remote is "address:port" (IPv6 addresses contain colons too). */
function hostOf (remote: string): string {
  const i = remote.lastIndexOf(':')
  return i < 0 ? remote : remote.slice(0, i)
}

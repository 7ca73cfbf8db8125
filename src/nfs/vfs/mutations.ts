import * as fsp from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { NfsError, NfsStatus } from '../errors.js'
import type { NfsExport } from '../exports.js'
import { lchownPath } from './fs-calls.js'
import { unpackStat, type CreateResult, type SetattrResult } from './fs-job.js'
import type { FsWorkers } from './fs-worker.js'
import type { FileIo } from './file-io.js'
import { joinRel } from '../../rel-path.js'
import type { Nodes } from './nodes.js'
import type { DirCache } from './scan.js'
import { lstatOrNull } from './stat.js'
import type { MutationClock } from './stat-memo.js'
import type { Created, CreateHow, Creds, FsNode, SetAttrs, Stat } from './types.js'
import { ownerFor, UMASK, verifierOf } from './util.js'
import { under } from './verified.js'

const run = promisify(execFile)

/**
 * The local vfs's changes to files and directories: creates (a regular file, a directory, a
 * symlink, a FIFO), SETATTR, link, remove and rename. A create and a SETATTR are each one job in an
 * fs worker (fs-job.ts), whatever they set; the rest are single calls through the thread pool.
 * Every change calls the export's notifyChange (replication hears of it) and ticks `clock` once
 * done, so the stats a request remembered from before it are stale.
 */
export class Mutations {
  constructor (private readonly nodes: Nodes, private readonly workers: FsWorkers, private readonly io: FileIo,
    private readonly dirs: DirCache, private readonly clock: MutationClock) {}

  /**
   * A regular file (OPEN with create, v3 CREATE), made by one fs-worker job (fs-job.ts: the
   * directory's lstat just before the open, the open, the owner, mode and verifier, the file's and
   * the directory's stats after). Returns whether this call created it, the directory's stat
   * before (change_info4's before, a v3 CREATE's pre-op attributes) and, when it created the file,
   * the directory's attributes after. The lstat before the open is what tells a directory from a
   * symlink put in its place; when the directory is not where the handle db says, it is followed
   * (as stat() does) and the job runs once more.
   */
  async create (dir: FsNode, name: string, how: CreateHow, attrs: SetAttrs, creds: Creds): Promise<Created> {
    dir.pre = undefined
    try { return await this.#create(dir, name, how, attrs, creds) } finally { this.clock.tick() }
  }

  async #create (dir: FsNode, name: string, how: CreateHow, attrs: SetAttrs, creds: Creds): Promise<Created> {
    const job = (): Promise<CreateResult> => this.workers.create({
      dir: this.nodes.abs(dir),
      dirIno: dir.ino,
      path: under(dir.exp.path, joinRel(dir.rel, name)),
      mode: (attrs.mode ?? 0o644) & 0o7777,
      umask: UMASK,
      creds: { uid: creds.uid, gid: creds.gid },
      attrs: { size: attrs.size, uid: attrs.uid, gid: attrs.gid },
      times: how.mode === 'exclusive' ? [how.verifier.readUInt32BE(0), how.verifier.readUInt32BE(4)] : undefined
    })
    let r = await job()
    if (r.dir === null) {
      await this.nodes.dirStat(dir) // moved (follows it and updates rel), else STALE, NOTDIR or SYMLINK
      r = await job()
      if (r.dir === null) throw new NfsError(NfsStatus.STALE, 'directory moved while created in')
    }
    const dirBefore = unpackStat(r.dir)
    if (!dirBefore.isDirectory()) throw new NfsError(dirBefore.isSymbolicLink() ? NfsStatus.SYMLINK : NfsStatus.NOTDIR)
    const rel = joinRel(dir.rel, name)
    if (r.fd === undefined || r.stat === undefined) {
      if (how.mode === 'guarded') throw new NfsError(NfsStatus.EXIST)
      if (!r.exists) throw new NfsError(NfsStatus.NOENT, 'removed while created')
      const st = unpackStat(r.exists)
      // RFC 7530 §16.16.5: a retransmitted EXCLUSIVE4 create finds its own verifier and succeeds.
      if (how.mode === 'exclusive' && !(st.isFile() && verifierOf(st).equals(how.verifier))) throw new NfsError(NfsStatus.EXIST)
      return { node: this.nodes.record(dir.exp, rel, st), stat: st, created: false, dirBefore }
    }
    const stat = unpackStat(r.stat)
    const node = this.nodes.record(dir.exp, rel, stat)
    this.dirs.invalidate(this.nodes.key(dir))
    dir.exp.notifyChange(rel)
    this.io.adopt(this.nodes.key(node), r.fd, 'file') // the client's WRITEs come next
    const after = r.dirAfter ? unpackStat(r.dirAfter) : undefined
    return { node, stat, created: true, dirBefore, dirAfter: after && after.ino === dir.ino ? after : undefined }
  }

  async mkdir (dir: FsNode, name: string, mode: number, creds: Creds): Promise<{ node: FsNode, stat: Stat }> {
    dir.pre = undefined
    // mkdir(2) applies the umask (and keeps a setgid parent's bit): chmod only when the umask cut something
    return await this.#make(dir, name, creds, async (abs) => {
      await fsp.mkdir(abs, mode & 0o1777)
      if ((mode & ~UMASK & 0o1777) !== (mode & 0o7777)) await fsp.chmod(abs, mode & 0o7777)
    })
  }

  async symlink (dir: FsNode, name: string, target: string, creds: Creds): Promise<{ node: FsNode, stat: Stat }> {
    dir.pre = undefined
    // a NUL cannot be in a path (symlink(2) would throw a TypeError here: SERVERFAULT, found by fuzzing v3)
    if (target.includes('\0')) throw new NfsError(NfsStatus.INVAL, 'NUL in a symlink target')
    return await this.#make(dir, name, creds, (abs) => fsp.symlink(target, abs))
  }

  /** FIFOs only: device nodes inside a shared folder are refused (PERM) by the caller. */
  async mkfifo (dir: FsNode, name: string, mode: number, creds: Creds): Promise<{ node: FsNode, stat: Stat }> {
    dir.pre = undefined
    return await this.#make(dir, name, creds, async (abs) => {
      try { await run('mkfifo', ['-m', (mode & 0o7777).toString(8), '--', abs]) } catch (err) {
        if ((await lstatOrNull(abs)) !== null) throw new NfsError(NfsStatus.EXIST)
        throw new NfsError(NfsStatus.NOTSUPP, 'mkfifo failed', { cause: err })
      }
    })
  }

  /** Returns the directory's change attribute before (for change_info4), as remove and rename do. */
  async link (file: FsNode, dir: FsNode, name: string): Promise<bigint> {
    file.pre = dir.pre = undefined
    try {
      const before = (await this.nodes.dirStat(dir)).ctimeNs
      if (file.exp !== dir.exp) throw new NfsError(NfsStatus.XDEV)
      const st = await this.nodes.stat(file)
      if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
      const rel = joinRel(dir.rel, name)
      await fsp.link(this.nodes.abs(file), under(dir.exp.path, rel))
      this.dirs.invalidate(this.nodes.key(dir))
      dir.exp.notifyChange(rel)
      return before
    } finally { this.clock.tick() }
  }

  /** Returns the directory's change attribute before. */
  async remove (dir: FsNode, name: string): Promise<bigint> {
    dir.pre = undefined
    try {
      const before = (await this.nodes.dirStat(dir)).ctimeNs
      const rel = joinRel(dir.rel, name)
      const abs = under(dir.exp.path, rel)
      const st = await lstatOrNull(abs)
      if (!st) throw new NfsError(NfsStatus.NOENT)
      if (st.isDirectory()) await fsp.rmdir(abs)
      else await fsp.unlink(abs)
      this.dirs.invalidate(this.nodes.key(dir))
      this.#forget(dir.exp, st, rel)
      dir.exp.notifyChange(rel)
      return before
    } finally { this.clock.tick() }
  }

  /** Returns both directories' change attributes before. */
  async rename (sdir: FsNode, sname: string, ddir: FsNode, dname: string): Promise<[bigint, bigint]> {
    sdir.pre = ddir.pre = undefined
    try {
      if (sdir.exp !== ddir.exp) throw new NfsError(NfsStatus.XDEV)
      const before: [bigint, bigint] = [(await this.nodes.dirStat(sdir)).ctimeNs, (await this.nodes.dirStat(ddir)).ctimeNs]
      const from = joinRel(sdir.rel, sname)
      const to = joinRel(ddir.rel, dname)
      const src = await lstatOrNull(under(sdir.exp.path, from))
      if (!src) throw new NfsError(NfsStatus.NOENT)
      const dst = await lstatOrNull(under(ddir.exp.path, to))
      if (src.isDirectory() && (to === from || to.startsWith(from + '/'))) throw new NfsError(NfsStatus.INVAL, 'rename into itself')
      if (dst && dst.ino === src.ino) return before // RFC 7530 §16.26.4: same file, nothing to do
      await fsp.rename(under(sdir.exp.path, from), under(ddir.exp.path, to))
      if (dst) this.#forget(ddir.exp, dst, to)
      if (src.isDirectory()) this.nodes.db.moved(sdir.exp.index, from, to) // O(entries): only a directory has paths below it
      this.nodes.unverify(sdir.exp)
      this.nodes.db.set(sdir.exp.index, src.ino, to)
      this.dirs.invalidate(this.nodes.key(sdir))
      this.dirs.invalidate(this.nodes.key(ddir))
      sdir.exp.notifyChange(from)
      sdir.exp.notifyChange(to)
      return before
    } finally { this.clock.tick() }
  }

  /**
   * SETATTR as one fs-worker job (fs-job.ts: the node's lstat, its size, owner, mode and times,
   * its lstat after, returned here). `known`: the node's stat the caller took in this request
   * (remembered: no mutation since); what it shows the node has already is not asked of the job
   * (as knfsd: the O_TRUNC of a new, empty file sends size 0), and with nothing left to change
   * there is no job at all. Without it the job checks the size itself.
   */
  async setattr (n: FsNode, a: SetAttrs, known?: Stat): Promise<Stat | undefined> {
    n.pre = undefined
    try { return await this.#setattr(n, a, known) } finally { this.clock.tick() }
  }

  async #setattr (n: FsNode, a: SetAttrs, known: Stat | undefined): Promise<Stat | undefined> {
    const attrs = { ...a }
    if (attrs.size !== undefined) {
      if (attrs.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new NfsError(NfsStatus.FBIG)
      if (known) {
        if (known.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
        if (!known.isFile()) throw new NfsError(NfsStatus.INVAL)
        if (attrs.size === known.size) delete attrs.size
      }
    }
    if (attrs.size === undefined && attrs.mode === undefined && attrs.uid === undefined && attrs.gid === undefined &&
      attrs.atime === undefined && attrs.mtime === undefined) {
      n.exp.notifyChange(n.rel)
      return undefined
    }
    const key = this.nodes.key(n)
    const job = (): Promise<SetattrResult> => this.workers.setattr({ path: this.nodes.abs(n), ino: n.ino, attrs })
    let r: SetattrResult
    try {
      r = await job()
      if (r.moved) {
        await this.nodes.stat(n) // follows a moved node (updates rel), else STALE
        r = await job()
      }
    } finally {
      // bytes read ahead may be from before a truncation
      if (attrs.size !== undefined) this.io.dropAhead(key)
    }
    if (r.refused !== undefined) throw new NfsError(NfsStatus[r.refused])
    if (r.moved || !r.stat) throw new NfsError(NfsStatus.STALE, 'moved while its attributes were set')
    n.exp.notifyChange(n.rel)
    return unpackStat(r.stat)
  }

  /** After a remove or an overwrite: the last link gone means the handle is STALE from now on. */
  #forget (exp: NfsExport, st: Stat, rel: string): void {
    const key = `${exp.index}:${st.ino}`
    this.nodes.unverify(exp)
    if (st.isDirectory() || st.nlink <= 1n) {
      this.nodes.db.set(exp.index, st.ino, null)
      this.io.forget(key)
      this.dirs.invalidate(key)
    } else if (this.nodes.db.get(exp.index, st.ino) === rel) {
      this.nodes.db.delete(exp.index, st.ino) // another link remains: found again by a scan
    }
  }

  async #make (dir: FsNode, name: string, creds: Creds, make: (abs: string) => Promise<unknown>): Promise<{ node: FsNode, stat: Stat }> {
    try {
      const dirSt = await this.nodes.dirStat(dir)
      const rel = joinRel(dir.rel, name)
      const abs = under(dir.exp.path, rel)
      await make(abs)
      const owner = ownerFor(dirSt, creds)
      if (owner) await lchownPath(abs, owner.uid, owner.gid).catch(() => {})
      const st = await lstatOrNull(abs)
      if (!st) throw new NfsError(NfsStatus.NOENT, 'removed while made')
      this.dirs.invalidate(this.nodes.key(dir))
      dir.exp.notifyChange(rel)
      return { node: this.nodes.record(dir.exp, rel, st), stat: st }
    } finally { this.clock.tick() }
  }
}

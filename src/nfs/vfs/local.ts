import * as fsp from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { Logger } from '../../log.js'
import { NfsError, NfsStatus } from '../errors.js'
import type { ExportTable, NfsExport } from '../exports.js'
import { genOf, type FileHandle } from '../fh.js'
import { unpackStat, type CreateResult, type SetattrResult } from './fs-job.js'
import { FsWorkers } from './fs-worker.js'
import { FileIo } from './file-io.js'
import { HandleDb } from './handle-db.js'
import { joinRel, parentRel } from './names.js'
import { DirCache, scanExport } from './scan.js'
import { under, Verified } from './verified.js'
import { lstatOrNull } from './stat.js'
import { MutationClock } from './stat-memo.js'
import { lchownPath } from './fs-calls.js'
import { ownerFor, UMASK, verifierOf } from './util.js'
import type { Created, CreateHow, Creds, DirEntry, FsNode, SetAttrs, Stat } from './types.js'

const run = promisify(execFile)
const VERIFIED_MS = 1000
const SCAN_REUSE_MS = 5000
/**
 * The id-based backend over the real namespace folders. Contract:
 * - every name given here has passed `checkName`, so a path never leaves its export;
 * - files are reached with lstat/O_NOFOLLOW and symlinks are never followed;
 * - a handle maps to a path through the HandleDb; a path whose inode (or generation, or device)
 *   differs is not the file: a walk of the export (shared, at most one per SCAN_REUSE_MS) looks
 *   for the inode, else the handle is STALE;
 * - no file-system call runs on the event loop: single calls go through libuv's thread pool
 *   (fs-calls.ts), and a create or a SETATTR's owner/mode/times, several calls in a row, run as
 *   one job in an fs worker thread (fs-worker.ts); a slow disk holds pool or worker threads, never
 *   the event loop that serves every client; a request makes as few round trips as it can (the
 *   handle's verifying lstat answers its first stat, descriptors are cached, a request's stats are
 *   remembered for the rest of it: `clock` tells when they go stale);
 * - every mutation calls the export's notifyChange, and ticks `clock` once it is done.
 */
export class LocalVfs {
  readonly db: HandleDb
  /** ticks after every mutation through this vfs: a request's remembered stats are stale then */
  readonly clock = new MutationClock()
  readonly #io = new FileIo()
  /** a create or a SETATTR: one job, not one thread-pool round trip per call */
  readonly #workers = new FsWorkers()
  readonly #dirs = new DirCache()
  readonly #devs = new Map<number, bigint>()
  /** one walk per export at a time, its result reused for SCAN_REUSE_MS */
  readonly #scans = new Map<number, { at: number, walk: Promise<Map<bigint, string>> }>()
  /**
   * Handles verified in the last VERIFIED_MS: a PUTFH of one of them costs no lstat. Safe because
   * every op that touches the file stats it again (and `stat` follows a moved file or says STALE);
   * removals and renames through NFS drop entries at once.
   */
  readonly #verified = new Verified()

  constructor (readonly exports: ExportTable, stateDir: string, private readonly log: Logger) {
    this.db = new HandleDb(stateDir, log)
  }

  async open (): Promise<void> { await this.db.open() }
  async close (): Promise<void> { await this.#workers.close(); await this.#io.close(); await this.db.close() }

  abs (n: FsNode): string { return under(n.exp.path, n.rel) }
  handle (n: FsNode): FileHandle { return { index: n.exp.index, ino: n.ino, gen: n.gen } }
  key (n: FsNode): string { return `${n.exp.index}:${n.ino}` }

  /** The root of an export, as LOOKUP from the pseudo-root sees it. */
  async root (exp: NfsExport): Promise<{ node: FsNode, stat: Stat }> {
    const st = await lstatOrNull(exp.path)
    if (!st || !st.isDirectory()) throw new NfsError(NfsStatus.NOENT, `export folder ${exp.path} is missing`)
    this.#devs.set(exp.index, st.dev)
    this.db.set(exp.index, st.ino, '')
    return { node: { kind: 'fs', exp, ino: st.ino, gen: genOf(st.birthtimeNs), rel: '' }, stat: st }
  }

  /** PUTFH: handle → node, or STALE. */
  async resolve (h: FileHandle): Promise<FsNode> {
    const exp = this.exports.byIndex(h.index)
    if (!exp) throw new NfsError(NfsStatus.STALE, `no export ${h.index}`)
    const dev = await this.#dev(exp)
    const known = this.db.get(exp.index, h.ino)
    if (known === null) throw new NfsError(NfsStatus.STALE)
    const v = this.#verified.get(exp.index, h.ino, h.gen)
    if (v && v.rel === known && Date.now() - v.at < VERIFIED_MS) return { kind: 'fs', exp, ino: h.ino, gen: h.gen, rel: known }
    if (known !== undefined) {
      const st = await lstatOrNull(under(exp.path, known))
      if (st && st.ino === h.ino && st.dev === dev) {
        if (h.gen !== 0 && genOf(st.birthtimeNs) !== h.gen) throw new NfsError(NfsStatus.STALE, 'inode reused')
        this.#verified.set(exp.index, h.ino, { gen: h.gen, rel: known, at: Date.now(), dir: st.isDirectory() })
        return { kind: 'fs', exp, ino: h.ino, gen: h.gen, rel: known, pre: st }
      }
    }
    const found = await this.#scan(exp, h.ino, dev)
    // not found: STALE, but no tombstone (only a remove through NFS is certain); a walk costs at most one per SCAN_REUSE_MS
    if (found === null) throw new NfsError(NfsStatus.STALE)
    const st = await lstatOrNull(under(exp.path, found))
    if (!st || (h.gen !== 0 && genOf(st.birthtimeNs) !== h.gen)) throw new NfsError(NfsStatus.STALE)
    this.db.set(exp.index, h.ino, found)
    return { kind: 'fs', exp, ino: h.ino, gen: h.gen, rel: found, pre: st }
  }

  /** Attributes of a node; follows it if it moved behind our back. */
  async stat (n: FsNode): Promise<Stat> {
    const pre = n.pre
    n.pre = undefined
    if (pre !== undefined) return pre
    const st = await lstatOrNull(this.abs(n))
    if (st && st.ino === n.ino) return st
    this.#verified.delete(n.exp.index, n.ino)
    const fresh = await this.resolve(this.handle(n))
    n.rel = fresh.rel
    const again = await lstatOrNull(this.abs(n))
    if (!again || again.ino !== n.ino) throw new NfsError(NfsStatus.STALE)
    return again
  }

  async lookup (dir: FsNode, name: string): Promise<{ node: FsNode, stat: Stat }> {
    if (!this.#verifiedDir(dir)) await this.#dirStat(dir)
    const rel = joinRel(dir.rel, name)
    const st = await lstatOrNull(under(dir.exp.path, rel))
    if (!st || st.dev !== await this.#dev(dir.exp)) throw new NfsError(NfsStatus.NOENT)
    return { node: this.#record(dir.exp, rel, st), stat: st }
  }

  /** LOOKUPP: the parent, or null at the export root (the caller goes to the pseudo-root). */
  async parent (n: FsNode): Promise<{ node: FsNode, stat: Stat } | null> {
    const st = await this.stat(n)
    if (!st.isDirectory()) throw new NfsError(st.isSymbolicLink() ? NfsStatus.SYMLINK : NfsStatus.NOTDIR)
    if (n.rel === '') return null
    const rel = parentRel(n.rel)
    const pst = await lstatOrNull(under(n.exp.path, rel))
    if (!pst) throw new NfsError(NfsStatus.STALE)
    return { node: this.#record(n.exp, rel, pst), stat: pst }
  }

  /** Entries sorted by inode, so a cookie (the last inode returned) survives removals in between. */
  async readdir (dir: FsNode): Promise<DirEntry[]> {
    const st = await this.#dirStat(dir)
    return await this.#dirs.list(this.key(dir), this.abs(dir), st)
  }

  /** lstat of one directory entry for READDIR's attributes; null if it vanished meanwhile. */
  async child (dir: FsNode, e: DirEntry): Promise<{ node: FsNode, stat: Stat } | null> {
    const rel = joinRel(dir.rel, e.name)
    const st = await lstatOrNull(under(dir.exp.path, rel))
    if (!st) return null
    return { node: this.#record(dir.exp, rel, st), stat: st }
  }

  /** READ: eof when the file ends within this read. Not a regular file: ISDIR or INVAL. With `attrs`, its stat too. */
  async read (n: FsNode, offset: bigint, count: number, attrs = false): Promise<{ data: Buffer, eof: boolean, st?: Stat | undefined }> {
    return await this.#io.read(this.key(n), this.abs(n), offset, count, attrs)
  }

  /** WRITE; with `attrs`, returns the file's attributes after it (from the descriptor). */
  async write (n: FsNode, offset: bigint, data: Buffer, sync: boolean, attrs = false): Promise<Stat | undefined> {
    n.pre = undefined
    if (offset + BigInt(data.length) > BigInt(Number.MAX_SAFE_INTEGER)) throw new NfsError(NfsStatus.FBIG)
    try {
      const st = await this.#io.write(this.key(n), this.abs(n), Number(offset), data, sync, attrs)
      n.exp.notifyChange(n.rel)
      return st
    } finally { this.clock.tick() }
  }

  async commit (n: FsNode): Promise<void> { await this.#io.commit(this.key(n), this.abs(n)) }

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
    const job = (): Promise<CreateResult> => this.#workers.create({
      dir: this.abs(dir),
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
      await this.#dirStat(dir) // moved (follows it and updates rel), else STALE, NOTDIR or SYMLINK
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
      return { node: this.#record(dir.exp, rel, st), stat: st, created: false, dirBefore }
    }
    const stat = unpackStat(r.stat)
    const node = this.#record(dir.exp, rel, stat)
    this.#dirs.invalidate(this.key(dir))
    dir.exp.notifyChange(rel)
    this.#io.adopt(this.key(node), r.fd, 'file') // the client's WRITEs come next
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
      const before = (await this.#dirStat(dir)).ctimeNs
      if (file.exp !== dir.exp) throw new NfsError(NfsStatus.XDEV)
      const st = await this.stat(file)
      if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
      const rel = joinRel(dir.rel, name)
      await fsp.link(this.abs(file), under(dir.exp.path, rel))
      this.#dirs.invalidate(this.key(dir))
      dir.exp.notifyChange(rel)
      return before
    } finally { this.clock.tick() }
  }

  async readlink (n: FsNode): Promise<string> {
    const st = await this.stat(n)
    if (!st.isSymbolicLink()) throw new NfsError(NfsStatus.INVAL)
    return await fsp.readlink(this.abs(n))
  }

  /** Returns the directory's change attribute before. */
  async remove (dir: FsNode, name: string): Promise<bigint> {
    dir.pre = undefined
    try {
      const before = (await this.#dirStat(dir)).ctimeNs
      const rel = joinRel(dir.rel, name)
      const abs = under(dir.exp.path, rel)
      const st = await lstatOrNull(abs)
      if (!st) throw new NfsError(NfsStatus.NOENT)
      if (st.isDirectory()) await fsp.rmdir(abs)
      else await fsp.unlink(abs)
      this.#dirs.invalidate(this.key(dir))
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
      const before: [bigint, bigint] = [(await this.#dirStat(sdir)).ctimeNs, (await this.#dirStat(ddir)).ctimeNs]
      const from = joinRel(sdir.rel, sname)
      const to = joinRel(ddir.rel, dname)
      const src = await lstatOrNull(under(sdir.exp.path, from))
      if (!src) throw new NfsError(NfsStatus.NOENT)
      const dst = await lstatOrNull(under(ddir.exp.path, to))
      if (src.isDirectory() && (to === from || to.startsWith(from + '/'))) throw new NfsError(NfsStatus.INVAL, 'rename into itself')
      if (dst && dst.ino === src.ino) return before // RFC 7530 §16.26.4: same file, nothing to do
      await fsp.rename(under(sdir.exp.path, from), under(ddir.exp.path, to))
      if (dst) this.#forget(ddir.exp, dst, to)
      if (src.isDirectory()) this.db.moved(sdir.exp.index, from, to) // O(entries): only a directory has paths below it
      this.#verified.clear()
      this.db.set(sdir.exp.index, src.ino, to)
      this.#dirs.invalidate(this.key(sdir))
      this.#dirs.invalidate(this.key(ddir))
      sdir.exp.notifyChange(from)
      sdir.exp.notifyChange(to)
      return before
    } finally { this.clock.tick() }
  }

  /**
   * `known`: the node's stat the caller took in this request (remembered: no mutation since),
   * needed only for a size: else the vfs takes one. A size a regular file already has is not
   * applied (as knfsd: the O_TRUNC of a new, empty file sends size 0). Owner, mode and times are
   * one fs-worker job (fs-job.ts), which returns the node's stat after them: returned here.
   */
  async setattr (n: FsNode, a: SetAttrs, known?: Stat): Promise<Stat | undefined> {
    n.pre = undefined
    try { return await this.#setattr(n, a, known) } finally { this.clock.tick() }
  }

  async #setattr (n: FsNode, a: SetAttrs, known: Stat | undefined): Promise<Stat | undefined> {
    const { size, ...rest } = a
    if (size !== undefined) {
      const st = known ?? await this.stat(n)
      if (st.isDirectory()) throw new NfsError(NfsStatus.ISDIR)
      if (!st.isFile()) throw new NfsError(NfsStatus.INVAL)
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new NfsError(NfsStatus.FBIG)
      if (size !== st.size) await this.#io.truncate(this.key(n), this.abs(n), Number(size))
    }
    let after: Stat | undefined
    if (rest.mode !== undefined || rest.uid !== undefined || rest.gid !== undefined || rest.atime !== undefined || rest.mtime !== undefined) {
      const job = (): Promise<SetattrResult> => this.#workers.setattr({ path: this.abs(n), ino: n.ino, attrs: rest })
      let r = await job()
      if (r.moved) {
        await this.stat(n) // follows a moved node (updates rel), else STALE
        r = await job()
      }
      if (r.moved || !r.stat) throw new NfsError(NfsStatus.STALE, 'moved while its attributes were set')
      after = unpackStat(r.stat)
    }
    n.exp.notifyChange(n.rel)
    return after
  }

  async statfs (exp: NfsExport): Promise<{ bsize: bigint, blocks: bigint, bfree: bigint, bavail: bigint, files: bigint, ffree: bigint }> {
    return await fsp.statfs(exp.path, { bigint: true })
  }

  #record (exp: NfsExport, rel: string, st: Stat): FsNode {
    this.db.set(exp.index, st.ino, rel)
    return { kind: 'fs', exp, ino: st.ino, gen: genOf(st.birthtimeNs), rel }
  }

  /** After a remove or an overwrite: the last link gone means the handle is STALE from now on. */
  #forget (exp: NfsExport, st: Stat, rel: string): void {
    const key = `${exp.index}:${st.ino}`
    this.#verified.clear()
    if (st.isDirectory() || st.nlink <= 1n) {
      this.db.set(exp.index, st.ino, null)
      this.#io.forget(key)
      this.#dirs.invalidate(key)
    } else if (this.db.get(exp.index, st.ino) === rel) {
      this.db.delete(exp.index, st.ino) // another link remains: found again by a scan
    }
  }

  async #make (dir: FsNode, name: string, creds: Creds, make: (abs: string) => Promise<unknown>): Promise<{ node: FsNode, stat: Stat }> {
    try {
      const dirSt = await this.#dirStat(dir)
      const rel = joinRel(dir.rel, name)
      const abs = under(dir.exp.path, rel)
      await make(abs)
      const owner = ownerFor(dirSt, creds)
      if (owner) await lchownPath(abs, owner.uid, owner.gid).catch(() => {})
      const st = await lstatOrNull(abs)
      if (!st) throw new NfsError(NfsStatus.NOENT, 'removed while made')
      this.#dirs.invalidate(this.key(dir))
      dir.exp.notifyChange(rel)
      return { node: this.#record(dir.exp, rel, st), stat: st }
    } finally { this.clock.tick() }
  }

  /** The handle was found a directory at its path in the last VERIFIED_MS (no stat needed to trust that). */
  #verifiedDir (dir: FsNode): boolean {
    const v = this.#verified.get(dir.exp.index, dir.ino, dir.gen)
    return v !== undefined && v.dir && v.rel === dir.rel && Date.now() - v.at < VERIFIED_MS
  }

  async #dirStat (dir: FsNode): Promise<Stat> {
    const st = await this.stat(dir)
    if (st.isDirectory()) return st
    throw new NfsError(st.isSymbolicLink() ? NfsStatus.SYMLINK : NfsStatus.NOTDIR)
  }

  async #dev (exp: NfsExport): Promise<bigint> {
    const d = this.#devs.get(exp.index)
    if (d !== undefined) return d
    const st = await lstatOrNull(exp.path)
    if (!st) throw new NfsError(NfsStatus.STALE, `export folder ${exp.path} is missing`)
    this.#devs.set(exp.index, st.dev)
    return st.dev
  }

  async #scan (exp: NfsExport, ino: bigint, dev: bigint): Promise<string | null> {
    let s = this.#scans.get(exp.index)
    if (!s || Date.now() - s.at > SCAN_REUSE_MS) {
      this.log.debug(`scanning ${exp.name} for moved files`)
      s = { at: Date.now(), walk: scanExport(exp.path, dev) }
      this.#scans.set(exp.index, s)
      s.walk.then(() => { if (s) s.at = Date.now() }, () => this.#scans.delete(exp.index))
    }
    return (await s.walk).get(ino) ?? null
  }
}



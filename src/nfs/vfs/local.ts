import * as fsp from 'node:fs/promises'
import type { Logger } from '../../log.js'
import { NfsError, NfsStatus } from '../errors.js'
import type { ExportTable, NfsExport } from '../exports.js'
import type { FileHandle } from '../fh.js'
import { unpackStat } from './fs-job.js'
import { FsWorkers } from './fs-worker.js'
import { FileIo } from './file-io.js'
import type { HandleDb } from './handle-db.js'
import { Mutations } from './mutations.js'
import { joinRel, parentRel } from '../../rel-path.js'
import { Nodes } from './nodes.js'
import { DirCache } from './scan.js'
import { lstatOrNull } from './stat.js'
import { MutationClock } from './stat-memo.js'
import type { Created, CreateHow, Creds, DirEntry, FsNode, SetAttrs, Stat } from './types.js'
import { under } from './verified.js'

/**
 * The id-based backend over the real namespace folders, in three parts: where a handle's file is
 * (nodes.ts), the data path of READ, WRITE and COMMIT (file-io.ts), and the changes to files and
 * directories (mutations.ts); lookups and listings are here. Contract:
 * - every name given here has passed `checkName`, so a path never leaves its export;
 * - files are reached with lstat/O_NOFOLLOW and symlinks are never followed;
 * - a handle maps to a path through the HandleDb; a path whose inode (or generation, or device)
 *   differs is not the file (nodes.ts);
 * - no file-system call runs on the event loop: single calls go through libuv's thread pool
 *   (fs-calls.ts), and a request's calls in a row (a create, a SETATTR, a small WRITE with its
 *   attributes, a v3 LOOKUP with the directory's attributes when it misses) run as one job in an
 *   fs worker thread (fs-worker.ts); a slow disk holds pool or worker threads, never the event
 *   loop that serves every client. Each round trip wakes two threads, which on this kind of
 *   machine costs more than the calls, so a request makes as few as it can: a file just found or
 *   created needs no lstat for its next PUTFH, descriptors are cached, a request's stats are
 *   remembered for the rest of it (`clock` tells when they go stale);
 * - every mutation calls the export's notifyChange, and ticks `clock` once it is done.
 */
export class LocalVfs {
  /** ticks after every mutation through this vfs: a request's remembered stats are stale then */
  readonly clock = new MutationClock()
  /** a create, a SETATTR, a small WRITE: one job, not one thread-pool round trip per call */
  readonly #workers = new FsWorkers()
  readonly #io = new FileIo(this.#workers)
  readonly #dirs = new DirCache()
  readonly #nodes: Nodes
  readonly #changes: Mutations

  constructor (readonly exports: ExportTable, stateDir: string, log: Logger) {
    this.#nodes = new Nodes(exports, stateDir, log)
    this.#changes = new Mutations(this.#nodes, this.#workers, this.#io, this.#dirs, this.clock)
  }

  get db (): HandleDb { return this.#nodes.db }

  async open (): Promise<void> { await this.db.open() }
  // the descriptors first: the cache closes them through the workers
  async close (): Promise<void> { await this.#io.close(); await this.#workers.close(); await this.db.close() }

  abs (n: FsNode): string { return this.#nodes.abs(n) }
  handle (n: FsNode): FileHandle { return this.#nodes.handle(n) }
  key (n: FsNode): string { return this.#nodes.key(n) }

  /** The root of an export, as LOOKUP from the pseudo-root sees it. */
  async root (exp: NfsExport): Promise<{ node: FsNode, stat: Stat }> { return await this.#nodes.root(exp) }
  /** PUTFH: handle → node, or STALE. */
  async resolve (h: FileHandle): Promise<FsNode> { return await this.#nodes.resolve(h) }
  /** Attributes of a node; follows it if it moved behind our back. */
  async stat (n: FsNode): Promise<Stat> { return await this.#nodes.stat(n) }

  async lookup (dir: FsNode, name: string): Promise<{ node: FsNode, stat: Stat }> {
    if (!this.#nodes.verifiedDir(dir)) await this.#nodes.dirStat(dir)
    const rel = joinRel(dir.rel, name)
    const st = await lstatOrNull(under(dir.exp.path, rel))
    if (!st || st.dev !== await this.#nodes.dev(dir.exp)) throw new NfsError(NfsStatus.NOENT)
    return { node: this.#nodes.record(dir.exp, rel, st), stat: st }
  }

  /**
   * A lookup that, when the name is not there, also returns the directory's attributes (an NFSv3
   * LOOKUP's resfail carries them, for the client's negative entries): one fs-worker job either
   * way. `dir: null`: the directory itself is gone from its path meanwhile.
   */
  async lookupOrDir (dir: FsNode, name: string): Promise<{ node: FsNode, stat: Stat } | { node: null, dir: Stat | null }> {
    if (!this.#nodes.verifiedDir(dir)) await this.#nodes.dirStat(dir)
    const dev = await this.#nodes.dev(dir.exp)
    const rel = joinRel(dir.rel, name)
    const r = await this.#workers.lookup({ path: under(dir.exp.path, rel), dir: this.abs(dir) })
    if (r.stat) {
      const st = unpackStat(r.stat)
      if (st.dev === dev) return { node: this.#nodes.record(dir.exp, rel, st), stat: st }
      return { node: null, dir: null }
    }
    const dst = r.dir ? unpackStat(r.dir) : null
    return { node: null, dir: dst && dst.ino === dir.ino ? dst : null }
  }

  /** LOOKUPP: the parent, or null at the export root (the caller goes to the pseudo-root). */
  async parent (n: FsNode): Promise<{ node: FsNode, stat: Stat } | null> {
    const st = await this.stat(n)
    if (!st.isDirectory()) throw new NfsError(st.isSymbolicLink() ? NfsStatus.SYMLINK : NfsStatus.NOTDIR)
    if (n.rel === '') return null
    const rel = parentRel(n.rel)
    const pst = await lstatOrNull(under(n.exp.path, rel))
    if (!pst) throw new NfsError(NfsStatus.STALE)
    return { node: this.#nodes.record(n.exp, rel, pst, false), stat: pst }
  }

  /** Entries sorted by inode, so a cookie (the last inode returned) survives removals in between. */
  async readdir (dir: FsNode): Promise<DirEntry[]> {
    const st = await this.#nodes.dirStat(dir)
    return await this.#dirs.list(this.key(dir), this.abs(dir), st)
  }

  /** lstat of one directory entry for READDIR's attributes; null if it vanished meanwhile. */
  async child (dir: FsNode, e: DirEntry): Promise<{ node: FsNode, stat: Stat } | null> {
    const rel = joinRel(dir.rel, e.name)
    const st = await lstatOrNull(under(dir.exp.path, rel))
    if (!st) return null
    return { node: this.#nodes.record(dir.exp, rel, st, false), stat: st }
  }

  async readlink (n: FsNode): Promise<string> {
    const st = await this.stat(n)
    if (!st.isSymbolicLink()) throw new NfsError(NfsStatus.INVAL)
    return await fsp.readlink(this.abs(n))
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

  async statfs (exp: NfsExport): Promise<{ bsize: bigint, blocks: bigint, bfree: bigint, bavail: bigint, files: bigint, ffree: bigint }> {
    return await fsp.statfs(exp.path, { bigint: true })
  }

  // the changes (mutations.ts)
  async create (dir: FsNode, name: string, how: CreateHow, attrs: SetAttrs, creds: Creds): Promise<Created> { return await this.#changes.create(dir, name, how, attrs, creds) }
  async mkdir (dir: FsNode, name: string, mode: number, creds: Creds): Promise<{ node: FsNode, stat: Stat }> { return await this.#changes.mkdir(dir, name, mode, creds) }
  async symlink (dir: FsNode, name: string, target: string, creds: Creds): Promise<{ node: FsNode, stat: Stat }> { return await this.#changes.symlink(dir, name, target, creds) }
  async mkfifo (dir: FsNode, name: string, mode: number, creds: Creds): Promise<{ node: FsNode, stat: Stat }> { return await this.#changes.mkfifo(dir, name, mode, creds) }
  async link (file: FsNode, dir: FsNode, name: string): Promise<bigint> { return await this.#changes.link(file, dir, name) }
  async remove (dir: FsNode, name: string): Promise<bigint> { return await this.#changes.remove(dir, name) }
  async rename (sdir: FsNode, sname: string, ddir: FsNode, dname: string): Promise<[bigint, bigint]> { return await this.#changes.rename(sdir, sname, ddir, dname) }
  /** SETATTR (mutations.ts); `known`: the node's stat the caller took in this request, if any. */
  async setattr (n: FsNode, a: SetAttrs, known?: Stat): Promise<Stat | undefined> { return await this.#changes.setattr(n, a, known) }
}

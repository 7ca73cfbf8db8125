import type { Logger } from '../../log.js'
import { NfsError, NfsStatus } from '../errors.js'
import type { ExportTable, NfsExport } from '../exports.js'
import { genOf, type FileHandle } from '../fh.js'
import { HandleDb } from './handle-db.js'
import { scanExport } from './scan.js'
import { lstatOrNull } from './stat.js'
import type { FsNode, Stat } from './types.js'
import { under, Verified } from './verified.js'

const VERIFIED_MS = 1000
const SCAN_REUSE_MS = 5000

/**
 * Where a handle's file is: handles → nodes through the persistent HandleDb, checked against the
 * disk. A path whose inode (or generation, or device) differs is not the file: a walk of the export
 * (shared, at most one per SCAN_REUSE_MS) looks for the inode, else the handle is STALE.
 *
 * Files found at their path in the last VERIFIED_MS (by a PUTFH's lstat, a lookup, a create) are
 * trusted without an lstat by the next PUTFH: safe because every op that touches the file stats it
 * again (and `stat` follows a moved file or says STALE), removals and renames through NFS drop the
 * entries at once, and a lookup that finds another inode at a path drops the old one's.
 */
export class Nodes {
  readonly db: HandleDb
  readonly #devs = new Map<number, bigint>()
  /** one walk per export at a time, its result reused for SCAN_REUSE_MS */
  readonly #scans = new Map<number, { at: number, walk: Promise<Map<bigint, string>> }>()
  readonly #verified = new Verified()

  constructor (readonly exports: ExportTable, stateDir: string, private readonly log: Logger) {
    this.db = new HandleDb(stateDir, log)
  }

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
    const dev = await this.dev(exp)
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

  /** A directory's attributes; anything else is NOTDIR (SYMLINK for a symlink). */
  async dirStat (dir: FsNode): Promise<Stat> {
    const st = await this.stat(dir)
    if (st.isDirectory()) return st
    throw new NfsError(st.isSymbolicLink() ? NfsStatus.SYMLINK : NfsStatus.NOTDIR)
  }

  /** The handle was found a directory at its path in the last VERIFIED_MS (no stat needed to trust that). */
  verifiedDir (dir: FsNode): boolean {
    const v = this.#verified.get(dir.exp.index, dir.ino, dir.gen)
    return v !== undefined && v.dir && v.rel === dir.rel && Date.now() - v.at < VERIFIED_MS
  }

  /**
   * The node for the file `st` just found at `rel`, remembered. `checked`: found by a lookup or a
   * create on the export's device (a READDIR entry's is not checked), so trusted for a moment.
   */
  record (exp: NfsExport, rel: string, st: Stat, checked = true): FsNode {
    this.db.set(exp.index, st.ino, rel)
    const gen = genOf(st.birthtimeNs)
    if (checked) this.#verified.set(exp.index, st.ino, { gen, rel, at: Date.now(), dir: st.isDirectory() })
    return { kind: 'fs', exp, ino: st.ino, gen, rel }
  }

  /** A file left its path (removed, or moved: `to`), or many may have (a directory renamed). */
  unverify (exp: NfsExport, ino?: bigint): void {
    if (ino === undefined) this.#verified.clear()
    else this.#verified.delete(exp.index, ino)
  }

  async dev (exp: NfsExport): Promise<bigint> {
    const d = this.#devs.get(exp.index)
    if (d !== undefined) return d
    const st = await lstatOrNull(exp.path)
    if (!st) throw new NfsError(NfsStatus.STALE, `export folder ${exp.path} is missing`)
    this.#devs.set(exp.index, st.dev)
    return st.dev
  }

  /** The device of an export seen before (undefined until a first lookup, root or resolve). */
  knownDev (exp: NfsExport): bigint | undefined { return this.#devs.get(exp.index) }

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

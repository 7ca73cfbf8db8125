import { NfsError, NfsStatus } from '../errors.js'
import type { FsNode, VNode } from '../vfs/types.js'
import { XdrWriter } from '../xdr/writer.js'
import type { XdrReader } from '../xdr/reader.js'
import { postOpAttr, statAttrs, type AttrSource } from './attrs.js'
import { readFh, type Call3 } from './call.js'
import { MAX_IO3, Nfs3Status } from './consts.js'

/**
 * The listing behind READDIR and READDIRPLUS. Cookies: 1 is '.', 2 is '..', and every other
 * entry's cookie is its inode + 3 (the vfs lists a directory sorted by inode), so a cookie stays
 * good while entries come and go between calls: nothing is skipped or repeated. The cookie
 * verifier is therefore constant; one that is not ours (nor zero, which some clients always send)
 * is BAD_COOKIE. '.' and '..' are listed because v3 clients (unlike v4's) do not invent them.
 */
export const COOKIEVERF = Buffer.from('shoal\0v3')
const RESERVED = 3n

export interface Entry3 { fileid: bigint, name: string, cookie: bigint, node?: VNode, attrs?: AttrSource }

/** Checks the cookie and its verifier; the caller has already resolved the directory. */
export function checkCookie (cookie: bigint, verf: Buffer): void {
  if (cookie !== 0n && !verf.equals(COOKIEVERF) && !verf.equals(Buffer.alloc(8))) throw new NfsError(Nfs3Status.BAD_COOKIE as number as NfsStatus)
}

/** Entries after `cookie`; with `plus`, each with its node and attributes (entries that vanished are left out). */
export async function * entries (c: Call3, dir: VNode, cookie: bigint, plus: boolean): AsyncGenerator<Entry3> {
  const dirAttrs = await c.attrs(dir)
  if (dirAttrs.type !== 2) throw new NfsError(NfsStatus.NOTDIR)
  if (dir.kind === 'pseudo') {
    if (cookie < 1n) yield { fileid: 1n, name: '.', cookie: 1n, node: dir, attrs: dirAttrs }
    if (cookie < 2n) yield { fileid: 1n, name: '..', cookie: 2n, node: dir, attrs: dirAttrs }
    for (const exp of c.env.exports.list()) {
      const ck = BigInt(exp.index) + RESERVED
      if (ck <= cookie) continue
      let r
      try { r = await c.env.vfs.root(exp) } catch { continue }
      yield { fileid: r.stat.ino, name: exp.name, cookie: ck, node: r.node, attrs: statAttrs(r.stat, exp.index) }
    }
    return
  }
  if (cookie < 1n) yield { fileid: dirAttrs.fileid, name: '.', cookie: 1n, node: dir, attrs: dirAttrs }
  if (cookie < 2n) yield await dotdot(c, dir, dirAttrs, plus)
  const list = await c.env.vfs.readdir(dir)
  const after = cookie < RESERVED ? -1n : cookie - RESERVED
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid]!.ino <= after) lo = mid + 1; else hi = mid }
  for (let i = lo; i < list.length; i++) {
    const e = list[i]!
    if (!plus) { yield { fileid: e.ino, name: e.name, cookie: e.ino + RESERVED }; continue }
    const ch = await c.env.vfs.child(dir, e)
    if (!ch) continue
    yield { fileid: e.ino, name: e.name, cookie: e.ino + RESERVED, node: ch.node, attrs: statAttrs(ch.stat, dir.exp.index) }
  }
}

/** '..' of an export root is the root itself: the pseudo-root is another file system. */
async function dotdot (c: Call3, dir: FsNode, dirAttrs: AttrSource, plus: boolean): Promise<Entry3> {
  if (dir.rel === '') return { fileid: dirAttrs.fileid, name: '..', cookie: 2n, node: dir, attrs: dirAttrs }
  const p = await c.env.vfs.parent(dir)
  if (!p) return { fileid: dirAttrs.fileid, name: '..', cookie: 2n, node: dir, attrs: dirAttrs }
  return { fileid: p.stat.ino, name: '..', cookie: 2n, ...(plus ? { node: p.node, attrs: statAttrs(p.stat, dir.exp.index) } : {}) }
}

/**
 * Writes entries until the reply would pass `maxcount` bytes or the names pass `dircount`
 * (RFC 1813 §3.3.17: fileid, name and cookie only), at least one entry or TOOSMALL. Returns the
 * entry list (entry3 or entryplus3, linked by value_follows) and whether the listing ended.
 */
export async function fill (c: Call3, list: AsyncGenerator<Entry3>, fixed: number, maxcount: number, dircount: number, plus: boolean): Promise<{ body: XdrWriter, eof: boolean }> {
  const body = new XdrWriter(4096)
  let used = fixed
  let names = 0
  let count = 0
  let eof = true
  for await (const e of list) {
    const nameLen = (Buffer.byteLength(e.name) + 3) & ~3
    const base = 4 + 8 + 4 + nameLen + 8
    const size = base + (plus ? 4 + (e.attrs ? 84 : 0) + 4 + (e.node ? 4 + 20 : 0) : 0)
    if (count > 0 && (used + size > maxcount || (dircount > 0 && names + base > dircount))) { eof = false; break }
    if (count === 0 && used + size > maxcount) throw new NfsError(Nfs3Status.TOOSMALL as number as NfsStatus)
    body.bool(true).u64(e.fileid).string(e.name).u64(e.cookie)
    if (plus) {
      postOpAttr(body, e.attrs)
      if (e.node) body.bool(true).opaque(c.fh(e.node)); else body.bool(false)
    }
    used += size
    names += base
    count++
  }
  return { body, eof }
}

/**
 * READDIR and READDIRPLUS after their arguments' first fields (dir, cookie, cookieverf, then count
 * or dircount and maxcount): the directory's post_op_attr, our verifier, the entries and eof.
 * The fixed part of the reply: status, post_op_attr, verifier, the last value_follows and eof.
 */
export async function listing (c: Call3, args: XdrReader, res: XdrWriter, plus: boolean): Promise<void> {
  const raw = readFh(args)
  const cookie = args.u64()
  const verf = args.fixed(8)
  // a reply is built whole in memory: never more than one READ's worth, whatever the client offers
  const dircount = Math.min(plus ? args.u32() : 0, MAX_IO3)
  const maxcount = Math.min(args.u32(), MAX_IO3)
  const dir = c.obj = await c.node(raw)
  checkCookie(cookie, verf)
  const { body, eof } = await fill(c, entries(c, dir, cookie, plus), 4 + 88 + 8 + 8, maxcount, dircount, plus)
  postOpAttr(res, await c.attrsOrNone(dir))
  res.fixed(COOKIEVERF).append(body).bool(false).bool(eof)
}

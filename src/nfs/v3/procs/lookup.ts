import { NfsError, NfsStatus } from '../../errors.js'
import { checkName } from '../../vfs/names.js'
import { PSEUDO, type VNode } from '../../vfs/types.js'
import { postOpAttr, statAttrs, type AttrSource } from '../attrs.js'
import { readDirop } from '../call.js'
import type { ProcDesc } from '../proc.js'

/**
 * RFC 1813 §3.3.3: LOOKUP3args { diropargs3 what; };
 *   LOOKUP3resok { nfs_fh3 object; post_op_attr obj_attributes; post_op_attr dir_attributes; };
 *   LOOKUP3resfail { post_op_attr dir_attributes; };
 * '.' is the directory itself and '..' its parent (an export root is its own parent: the
 * pseudo-root is another file system). In the pseudo-root a name is an export.
 */
export const lookup: ProcDesc = {
  name: 'LOOKUP',
  fail: 'attr',
  async run (c, args, res) {
    const { dir: raw, name } = readDirop(args)
    const dir = c.obj = await c.node(raw)
    const s = name.toString('utf8')
    let found: VNode
    let attrs: AttrSource | undefined
    /** the directory's attributes for the reply; unset: a stat of it (remembered when taken already) */
    let dirAttrs: Promise<AttrSource | undefined> | undefined
    if (dir.kind === 'pseudo') {
      if (s === '.' || s === '..') found = PSEUDO
      else {
        const exp = c.env.exports.byName(checkName(name))
        if (!exp) throw new NfsError(NfsStatus.NOENT)
        const r = await c.env.vfs.root(exp)
        found = r.node
        attrs = statAttrs(r.stat, exp.index)
      }
    } else if (s === '.' || s === '..') {
      const p = await c.env.vfs.parent(dir) // checks that dir is a directory
      found = s === '.' || !p ? dir : p.node
    } else {
      // the lookup's own lstat gives the object's attributes; on success the directory's go along
      // only when the call has them already (the handle check's lstat): dir_attributes may be
      // absent (RFC 1813 §3.3.3; Linux keeps its cached ones) and a stat per LOOKUP would cost a
      // file-system call each time (twice per file in a create loop). A NOENT still carries them,
      // for the client's negative entries: the lookup's job takes them in the same round trip.
      const known = c.known(dir)
      if (known) c.objAttrs = Promise.resolve(statAttrs(known, dir.exp.index))
      const r = await c.env.vfs.lookupOrDir(dir, checkName(name))
      if (r.node === null) {
        if (r.dir) c.objAttrs = Promise.resolve(statAttrs(c.remember(dir, r.dir), dir.exp.index))
        throw new NfsError(NfsStatus.NOENT)
      }
      found = r.node
      attrs = statAttrs(r.stat, dir.exp.index)
      dirAttrs = c.objAttrs ?? Promise.resolve(undefined)
    }
    res.opaque(c.fh(found))
    postOpAttr(res, attrs ?? await c.attrs(found))
    postOpAttr(res, await (dirAttrs ?? c.attrsOrNone(dir)))
  }
}

import { NfsStatus, toNfsStatus } from '../errors.js'
import type { FsNode, Stat } from '../vfs/types.js'
import { XdrWriter } from '../xdr/writer.js'

/** The compound ends at the op `index`: its result, settled late, is a failure. */
export class DeferredFailure extends Error {
  constructor (readonly index: number, readonly status: NfsStatus) { super(`deferred op ${index}: ${NfsStatus[status] ?? status}`) }
}

interface Request { key: string, node: FsNode, finish: (w: XdrWriter, st: Stat) => Promise<void> }
interface Entry extends Request { index: number, opnum: number, hole: number }

/**
 * Results of a COMPOUND's GETATTR and ACCESS that wait for a stat the compound has not taken yet,
 * so that the stat comes with the next round trip to the disk instead of costing one of its own.
 * libnfs opens a file as PUTFH, LOOKUP(dir), GETATTR, ACCESS, OPEN(create), GETFH: the directory's
 * lstat that the create's job takes just before its open (nothing has changed in between but what
 * other clients did, which could as well have come before the GETATTR) answers the GETATTR and the
 * ACCESS, and the compound costs one round trip instead of two.
 *
 * A deferred result is settled (compound.ts) before any op that could change a file or needs
 * attributes itself runs, with the stat taken then; by OPEN with the directory stat its create
 * took before the open; at the end of the compound otherwise. Its place in the reply is kept (an
 * XdrWriter hole). When it turns out a failure (the directory went meanwhile: STALE), the
 * compound ends there, as if the op had failed when it ran: the ops after it changed nothing.
 */
export class DeferredResults {
  #entries: Entry[] = []
  #next: Request | null = null

  get pending (): boolean { return this.#entries.length > 0 }

  /** Whether every deferred result is waiting for the node with this key. */
  onlyFor (key: string): boolean { return this.#entries.every((e) => e.key === key) }

  /** An op's result needs `node`'s stat: `finish` writes it once there is one. */
  request (key: string, node: FsNode, finish: (w: XdrWriter, st: Stat) => Promise<void>): void {
    this.#next = { key, node, finish }
  }

  /** After an op ran: whether it deferred its result; if so the result's place is kept in `out`. */
  take (out: XdrWriter, index: number, opnum: number): boolean {
    const next = this.#next
    if (next === null) return false
    this.#next = null
    this.#entries.push({ ...next, index, opnum, hole: out.hole() })
    return true
  }

  /** The op failed after asking: nothing is deferred for it. */
  drop (): void { this.#next = null }

  /**
   * Writes every deferred result, in op order: with `st` (a stat of the one node they all wait
   * for), else with `stat`'s. Throws DeferredFailure at the first that fails, the reply cut after it.
   */
  async settle (out: XdrWriter, stat: (n: FsNode) => Promise<Stat>, st?: Stat): Promise<void> {
    const entries = this.#entries
    this.#entries = []
    for (const e of entries) {
      const body = new XdrWriter(256)
      let status = NfsStatus.OK
      try { await e.finish(body, st ?? await stat(e.node)) } catch (err) { status = toNfsStatus(err) }
      const res = new XdrWriter(8).u32(e.opnum).u32(status)
      if (status === NfsStatus.OK) res.append(body)
      out.fill(e.hole, res)
      if (status !== NfsStatus.OK) {
        out.cutAfter(e.hole)
        throw new DeferredFailure(e.index, status)
      }
    }
  }
}

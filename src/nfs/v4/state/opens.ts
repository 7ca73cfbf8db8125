import { NfsError, NfsStatus } from '../../errors.js'
import type { XdrWriter } from '../../xdr/writer.js'
import type { Client, ClientTable } from './clients.js'
import { checkEpoch, checkSeq, newOther, type Stateid } from './stateid.js'

const END = 1n << 64n
const ALL_ONES = END - 1n

export interface Owner { readonly client: Client, readonly owner: Buffer }

export class OpenState {
  readonly id: Stateid = { seq: 1, other: newOther() }
  readonly locks = new Set<LockState>()
  /** EXCLUSIVE4 create by this open: the verifier still sitting in the file's times */
  verifier: Buffer | undefined
  constructor (readonly client: Client, readonly owner: string, readonly fileKey: string,
    public access: number, public deny: number) {}

  close (): void { /* set by OpenTable */ }
}

interface Range { start: bigint, end: bigint, write: boolean }

export class LockState {
  readonly id: Stateid = { seq: 1, other: newOther() }
  ranges: Range[] = []
  constructor (readonly client: Client, readonly owner: Owner, readonly ownerKey: string,
    readonly fileKey: string, readonly open: OpenState) {}

  close (): void { /* set by OpenTable */ }
}

export type AnyState = OpenState | LockState

/**
 * Share reservations (RFC 7530 §9.9) and byte-range locks (§9.1–9.5), per file key. A conflict
 * with a client whose lease expired revokes that client's state (courteous leases) instead of
 * failing.
 */
export class OpenTable {
  readonly #byOther = new Map<string, AnyState>()
  readonly #opens = new Map<string, Set<OpenState>>()
  readonly #locks = new Map<string, Set<LockState>>()

  constructor (private readonly clients: ClientTable, private readonly maxStates = 1_000_000) {
    clients.onExpire.push((c) => { for (const s of [...c.states]) s.close() })
  }

  get size (): number { return this.#byOther.size }

  /** Looks a stateid up (not the special ones); renews its client's lease. */
  find (s: Stateid, minor: number): AnyState {
    checkEpoch(s, minor)
    const st = this.#byOther.get(s.other.toString('hex'))
    if (!st) throw new NfsError(NfsStatus.BAD_STATEID)
    checkSeq(s, st.id.seq, minor)
    this.clients.renew(st.client)
    return st
  }

  open (client: Client, owner: Buffer, fileKey: string, access: number, deny: number): OpenState {
    const ownerKey = `${client.id}:${owner.toString('hex')}`
    const set = this.#opens.get(fileKey) ?? new Set<OpenState>()
    for (const o of [...set]) {
      if (o.owner === ownerKey) continue
      if ((o.deny & access) === 0 && (o.access & deny) === 0) continue
      if (o.client !== client && o.client.expired(Date.now())) { this.clients.expire(o.client); continue }
      throw new NfsError(NfsStatus.SHARE_DENIED)
    }
    const mine = [...set].find((o) => o.owner === ownerKey)
    if (mine) {
      mine.access |= access
      mine.deny |= deny
      mine.id.seq++
      return mine
    }
    this.#room()
    const o = new OpenState(client, ownerKey, fileKey, access, deny)
    o.close = () => {
      for (const l of [...o.locks]) l.close()
      this.#byOther.delete(o.id.other.toString('hex'))
      set.delete(o)
      if (set.size === 0) this.#opens.delete(fileKey)
      client.states.delete(o)
    }
    set.add(o)
    this.#opens.set(fileKey, set)
    this.#byOther.set(o.id.other.toString('hex'), o)
    client.states.add(o)
    return o
  }

  /** State is bounded: past the cap, new opens and locks get RESOURCE. */
  #room (): void {
    if (this.#byOther.size >= this.maxStates) throw new NfsError(NfsStatus.RESOURCE, 'too many open and lock states')
  }

  /** RFC 7530 §16.19.4: the new access and deny must be subsets of what the open holds. */
  downgrade (o: OpenState, access: number, deny: number): void {
    if ((access & ~o.access) !== 0 || (deny & ~o.deny) !== 0 || access === 0) throw new NfsError(NfsStatus.INVAL)
    o.access = access
    o.deny = deny
    o.id.seq++
  }

  /** LOCK: returns the lock state, or throws DENIED with the RFC's lock4denied body. */
  lock (open: OpenState, owner: Owner, existing: LockState | undefined, type: number, offset: bigint, length: bigint): LockState {
    const r = range(offset, length, type)
    const ownerKey = `${owner.client.id}:${owner.owner.toString('hex')}`
    const set = this.#locks.get(open.fileKey) ?? new Set<LockState>()
    for (const l of [...set]) {
      if (l.ownerKey === ownerKey || !l.ranges.some((x) => overlaps(x, r) && (x.write || r.write))) continue
      if (l.client !== open.client && l.client.expired(Date.now())) { this.clients.expire(l.client); continue }
      throw denied(l, r)
    }
    let ls = existing ?? [...open.locks].find((l) => l.ownerKey === ownerKey)
    if (!ls) {
      this.#room()
      const created = new LockState(open.client, owner, ownerKey, open.fileKey, open)
      created.close = () => {
        this.#byOther.delete(created.id.other.toString('hex'))
        set.delete(created)
        if (set.size === 0) this.#locks.delete(open.fileKey)
        open.locks.delete(created)
        created.client.states.delete(created)
      }
      set.add(created)
      this.#locks.set(open.fileKey, set)
      this.#byOther.set(created.id.other.toString('hex'), created)
      open.locks.add(created)
      open.client.states.add(created)
      ls = created
    } else {
      ls.id.seq++
    }
    ls.ranges = [...subtract(ls.ranges, r), r]
    return ls
  }

  /** LOCKT: throws DENIED if the owner could not take this lock now. */
  test (fileKey: string, client: Client, owner: Buffer, type: number, offset: bigint, length: bigint): void {
    const r = range(offset, length, type)
    const ownerKey = `${client.id}:${owner.toString('hex')}`
    for (const l of this.#locks.get(fileKey) ?? []) {
      if (l.ownerKey === ownerKey) continue
      if (l.ranges.some((x) => overlaps(x, r) && (x.write || r.write))) {
        if (l.client.expired(Date.now()) && l.client !== client) continue // would be revoked by a LOCK
        throw denied(l, r)
      }
    }
  }

  unlock (ls: LockState, offset: bigint, length: bigint): void {
    ls.ranges = subtract(ls.ranges, range(offset, length, 1))
    ls.id.seq++
  }

  /** RFC 7530 §16.37: LOCKS_HELD while the owner still holds ranges. */
  releaseLockOwner (client: Client, owner: Buffer): void {
    const ownerKey = `${client.id}:${owner.toString('hex')}`
    const mine = [...client.states].filter((s): s is LockState => s instanceof LockState && s.ownerKey === ownerKey)
    if (mine.some((l) => l.ranges.length > 0)) throw new NfsError(NfsStatus.LOCKS_HELD)
    for (const l of mine) l.close()
  }

  /** RFC 8881 §18.38: FREE_STATEID of a lock state with no locks; opens must be CLOSEd. */
  free (s: AnyState): void {
    if (s instanceof OpenState || s.ranges.length > 0) throw new NfsError(NfsStatus.LOCKS_HELD)
    s.close()
  }

  /** A SETATTR set the file's times: no open's EXCLUSIVE4 verifier sits in them any more. */
  timesSet (fileKey: string): void {
    for (const o of this.#opens.get(fileKey) ?? []) o.verifier = undefined
  }

  /** Whether another client's open denies this access (for I/O with the special stateids). */
  denies (fileKey: string, access: number): boolean {
    for (const o of this.#opens.get(fileKey) ?? []) if ((o.deny & access) !== 0 && !o.client.expired(Date.now())) return true
    return false
  }
}

function range (offset: bigint, length: bigint, type: number): Range {
  if (length === 0n) throw new NfsError(NfsStatus.INVAL, 'zero-length lock')
  const end = length === ALL_ONES ? END : offset + length
  if (end > END) throw new NfsError(NfsStatus.INVAL, 'lock range overflows')
  return { start: offset, end, write: type === 2 || type === 4 }
}

function overlaps (a: Range, b: Range): boolean { return a.start < b.end && b.start < a.end }

function subtract (ranges: Range[], r: Range): Range[] {
  const out: Range[] = []
  for (const x of ranges) {
    if (!overlaps(x, r)) { out.push(x); continue }
    if (x.start < r.start) out.push({ ...x, end: r.start })
    if (x.end > r.end) out.push({ ...x, start: r.end })
  }
  return out
}

/**
 * RFC 7530 §16.10: struct LOCK4denied { offset4 offset; length4 length; nfs_lock_type4 locktype;
 *   lock_owner4 owner; };  lock_owner4 = { clientid4 clientid; opaque owner<NFS4_OPAQUE_LIMIT>; }
 */
function denied (holder: LockState, want: Range): NfsError {
  const x = holder.ranges.find((h) => overlaps(h, want) && (h.write || want.write))!
  return new NfsError(NfsStatus.DENIED, 'DENIED', undefined, (w: XdrWriter) => {
    w.u64(x.start).u64(x.end === END ? ALL_ONES : x.end - x.start).u32(x.write ? 2 : 1)
    w.u64(holder.owner.client.id).opaque(holder.owner.owner)
  })
}

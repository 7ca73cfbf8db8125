import { randomBytes } from 'node:crypto'
import { NfsError, NfsStatus } from '../../errors.js'
import { LEASE_SECONDS } from '../consts.js'
import { EPOCH } from './stateid.js'

/** One slot of a session's reply cache (RFC 8881 §2.10.6.1). */
export interface Slot { seq: number, busy: boolean, reply: Buffer[] | null, cacheThis: boolean }

export class Session {
  readonly slots: Slot[]
  readonly conns = new Set<number>()

  constructor (readonly id: Buffer, readonly client: Client, slots: number, readonly maxOps: number,
    readonly maxRequest: number, readonly maxResponse: number, readonly maxCached: number) {
    this.slots = Array.from({ length: slots }, () => ({ seq: 0, busy: false, reply: null, cacheThis: false }))
  }
}

/** A client as identified by SETCLIENTID (4.0) or EXCHANGE_ID (4.1). */
export class Client {
  confirmed = false
  lastRenew = Date.now()
  /** 4.0: the verifier SETCLIENTID_CONFIRM must echo */
  confirmVerf: Buffer = randomBytes(8)
  /** 4.1: RFC 8881 §18.36.4, the CREATE_SESSION sequence id and its cached result */
  csSeq = 1
  csReply: Buffer[] | null = null
  readonly sessions = new Map<string, Session>()
  /** open and lock states, owned by OpenTable */
  readonly states = new Set<{ close: () => void }>()

  constructor (readonly id: bigint, readonly owner: string, readonly verifier: Buffer, readonly minor: number) {}

  expired (now: number): boolean { return now - this.lastRenew > LEASE_SECONDS * 1000 }
}

/**
 * Clients and sessions, with courteous leases: a client whose lease ran out keeps its state (libnfs
 * never sends RENEW) until another client needs it (`OpenTable` then calls `expire`), or until it
 * has held nothing for a while. The table is bounded.
 */
export class ClientTable {
  readonly #byId = new Map<bigint, Client>()
  readonly #sessions = new Map<string, Session>()
  #next = 0
  readonly onExpire: Array<(c: Client) => void> = []

  constructor (private readonly maxClients = 4096) {}

  get size (): number { return this.#byId.size }

  #create (owner: string, verifier: Buffer, minor: number): Client {
    this.sweep()
    const id = (BigInt(EPOCH.readUInt32BE(0)) << 32n) | BigInt(++this.#next)
    const c = new Client(id, owner, Buffer.from(verifier), minor)
    this.#byId.set(id, c)
    return c
  }

  #byOwner (owner: string, minor: number): Client[] {
    return [...this.#byId.values()].filter((c) => c.owner === owner && c.minor === (minor > 0 ? 1 : 0))
  }

  /** RFC 7530 §16.33.5 (SETCLIENTID), simplified to the cases one principal produces. */
  setClientId (owner: Buffer, verifier: Buffer): Client {
    const key = owner.toString('hex')
    const same = this.#byOwner(key, 0).find((c) => c.verifier.equals(verifier))
    if (same) { same.confirmVerf = randomBytes(8); return same }
    return this.#create(key, verifier, 0)
  }

  /** RFC 7530 §16.34: confirming a new record for a known owner replaces (expires) the old one. */
  confirmClientId (id: bigint, verf: Buffer): Client {
    const c = this.#byId.get(id)
    if (!c) throw new NfsError(NfsStatus.STALE_CLIENTID)
    if (!c.confirmVerf.equals(verf)) throw new NfsError(NfsStatus.STALE_CLIENTID, 'wrong confirm verifier')
    c.confirmed = true
    c.lastRenew = Date.now()
    for (const old of this.#byOwner(c.owner, 0)) if (old !== c) this.expire(old)
    return c
  }

  /** RFC 8881 §18.35.5 (EXCHANGE_ID), the cases a well-behaved client produces. */
  exchangeId (owner: Buffer, verifier: Buffer): Client {
    const key = owner.toString('hex')
    const same = this.#byOwner(key, 1).find((c) => c.verifier.equals(verifier))
    if (same) { same.lastRenew = Date.now(); return same }
    return this.#create(key, verifier, 1)
  }

  /** First CREATE_SESSION confirms a 4.1 client and retires older records of its owner (a reboot). */
  confirmExchanged (c: Client): void {
    if (c.confirmed) return
    c.confirmed = true
    for (const old of this.#byOwner(c.owner, 1)) if (old !== c) this.expire(old)
  }

  get (id: bigint): Client {
    const c = this.#byId.get(id)
    if (!c) throw new NfsError(NfsStatus.STALE_CLIENTID)
    return c
  }

  find (id: bigint): Client | undefined { return this.#byId.get(id) }

  renew (c: Client): void { c.lastRenew = Date.now() }

  addSession (s: Session): void {
    this.#sessions.set(s.id.toString('hex'), s)
    s.client.sessions.set(s.id.toString('hex'), s)
  }

  session (id: Buffer): Session {
    const s = this.#sessions.get(id.toString('hex'))
    if (!s) throw new NfsError(NfsStatus.BADSESSION)
    return s
  }

  destroySession (id: Buffer): void {
    const s = this.session(id)
    this.#sessions.delete(id.toString('hex'))
    s.client.sessions.delete(id.toString('hex'))
  }

  destroyClient (id: bigint): void {
    const c = this.get(id)
    if (c.sessions.size > 0) throw new NfsError(NfsStatus.CLIENTID_BUSY)
    this.expire(c)
  }

  /** Drops a client with all its sessions and state. */
  expire (c: Client): void {
    if (!this.#byId.delete(c.id)) return
    for (const k of c.sessions.keys()) this.#sessions.delete(k)
    c.sessions.clear()
    for (const f of this.onExpire) f(c)
  }

  /** Forget clients that hold nothing and expired long ago; past the cap, the longest expired. */
  sweep (now = Date.now()): void {
    for (const c of this.#byId.values()) {
      if (c.states.size === 0 && now - c.lastRenew > 4 * LEASE_SECONDS * 1000) this.expire(c)
    }
    if (this.#byId.size < this.maxClients) return
    const old = [...this.#byId.values()].filter((c) => c.expired(now)).sort((a, b) => a.lastRenew - b.lastRenew)
    for (const c of old.slice(0, this.#byId.size - this.maxClients + 1)) this.expire(c)
    if (this.#byId.size >= this.maxClients) throw new NfsError(NfsStatus.RESOURCE, 'too many clients')
  }
}

// The dashboard's login: one password (SHOAL_WEB_PASSWORD, or generated at first start and stored
// hashed), in-memory sessions behind an HttpOnly SameSite=Strict cookie, and a limit on failed
// logins. There is no default password: the seed's admin/admin is what this replaces.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { readFile, writeFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { isErrno, ShoalError } from '../src/errors.js'
import type { Logger } from '../src/log.js'

/** Where the generated password's hash lives, under $stateDir. */
export const PASSWORD_FILE = 'web-password.json'

// scrypt N=2^15, r=8: ~30 ms and 32 MiB per check on this machine. Costly enough to slow offline
// guessing from a stolen state dir; the login limiter below handles online guessing.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const
const KEY_LEN = 32

interface StoredHash {
  algorithm: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
  hash: string
}

function scrypt (password: string, salt: Buffer, o: ScryptOptions & { N: number, r: number, p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, KEY_LEN, { ...o, maxmem: SCRYPT.maxmem }, (err, key) => { if (err) reject(err); else resolve(key) })
  })
}

async function hashPassword (password: string): Promise<StoredHash> {
  const salt = randomBytes(16)
  const key = await scrypt(password, salt, SCRYPT)
  return { algorithm: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64'), hash: key.toString('base64') }
}

/** Checks a password against a stored scrypt hash, in constant time. */
export class PasswordVerifier {
  readonly #stored: StoredHash
  /** 'env' (SHOAL_WEB_PASSWORD) or 'file' (generated at first start). */
  readonly source: 'env' | 'file'
  #running = 0
  #waiting: Array<() => void> = []

  private constructor (stored: StoredHash, source: 'env' | 'file') {
    this.#stored = stored
    this.source = source
  }

  static async fromPassword (password: string): Promise<PasswordVerifier> {
    return new PasswordVerifier(await hashPassword(password), 'env')
  }

  /**
   * SHOAL_WEB_PASSWORD when set; otherwise the hash in $stateDir/web-password.json, made (and the
   * password logged, once) on first start. Delete that file and restart to get a new password.
   */
  static async load (stateDir: string, envPassword: string | null, log: Logger): Promise<PasswordVerifier> {
    if (envPassword !== null && envPassword !== '') {
      if (envPassword.length < 12) log.warn('SHOAL_WEB_PASSWORD is shorter than 12 characters; the dashboard is only as safe as its password')
      return await PasswordVerifier.fromPassword(envPassword)
    }
    const file = path.join(stateDir, PASSWORD_FILE)
    try {
      return new PasswordVerifier(parseStored(await readFile(file, 'utf8'), file), 'file')
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err
    }
    const password = generatePassword()
    const stored = await hashPassword(password)
    const tmp = `${file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(stored) + '\n', { mode: 0o600 })
    await rename(tmp, file)
    log.warn(`dashboard password (generated; shown only this once, stored hashed in ${file}): ${password}`)
    log.warn('set SHOAL_WEB_PASSWORD to choose your own, or delete that file and restart for a new one')
    return new PasswordVerifier(stored, 'file')
  }

  async verify (password: unknown): Promise<boolean> {
    if (typeof password !== 'string' || password.length === 0 || password.length > 1024) return false
    const s = this.#stored
    const expected = Buffer.from(s.hash, 'base64')
    // At most two checks at a time: each takes 32 MiB, and requests could otherwise pile them up.
    while (this.#running >= 2) await new Promise<void>((resolve) => { this.#waiting.push(resolve) })
    this.#running++
    try {
      const got = await scrypt(password, Buffer.from(s.salt, 'base64'), { N: s.N, r: s.r, p: s.p })
      return got.length === expected.length && timingSafeEqual(got, expected)
    } finally {
      this.#running--
      this.#waiting.shift()?.()
    }
  }
}

function parseStored (text: string, file: string): StoredHash {
  let v: Partial<StoredHash>
  try {
    v = JSON.parse(text) as Partial<StoredHash>
  } catch {
    v = {}
  }
  const ok = v.algorithm === 'scrypt' && typeof v.salt === 'string' && typeof v.hash === 'string' &&
    [v.N, v.r, v.p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) && (v.N as number) <= 2 ** 20
  if (!ok) throw ShoalError.badConfig(`${file} is not a dashboard password hash`, 'delete it and restart: a new password is generated and logged')
  return v as StoredHash
}

/** 20 characters from an unambiguous alphabet (~99 bits) in groups of five: `k7mqa-…`. */
export function generatePassword (): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789' // 31 characters: no i, l, o, 0, 1
  let chars = ''
  while (chars.length < 20) {
    for (const b of randomBytes(32)) {
      if (b < 248 && chars.length < 20) chars += alphabet[b % 31] as string // 248 = 8 × 31: uniform
    }
  }
  return (chars.match(/.{5}/g) as string[]).join('-')
}

export interface Session {
  id: string
  createdAt: number
  lastSeen: number
}

export interface SessionOptions {
  /** A session unused this long ends. */
  idleMs?: number
  /** A session ends this long after login, used or not. */
  maxAgeMs?: number
  maxSessions?: number
  now?: () => number
}

/** Sessions live in memory: a restart logs everyone out, which is fine for an admin page. */
export class SessionStore {
  readonly idleMs: number
  readonly maxAgeMs: number
  readonly #max: number
  readonly #now: () => number
  readonly #sessions = new Map<string, Session>()
  readonly #onEnd = new Map<string, Set<() => void>>()

  constructor (opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? 12 * 3600_000
    this.maxAgeMs = opts.maxAgeMs ?? 7 * 24 * 3600_000
    this.#max = opts.maxSessions ?? 1000
    this.#now = opts.now ?? Date.now
  }

  get size (): number { return this.#sessions.size }

  create (): Session {
    if (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value
      if (oldest !== undefined) this.end(oldest)
    }
    const now = this.#now()
    const s = { id: randomBytes(32).toString('base64url'), createdAt: now, lastSeen: now }
    this.#sessions.set(s.id, s)
    return s
  }

  /** The live session for a token, touched; undefined (and ended) when expired. */
  get (id: string | undefined): Session | undefined {
    if (id === undefined) return undefined
    const s = this.#sessions.get(id)
    if (s === undefined) return undefined
    const now = this.#now()
    if (now - s.lastSeen > this.idleMs || now - s.createdAt > this.maxAgeMs) {
      this.end(id)
      return undefined
    }
    s.lastSeen = now
    return s
  }

  /** Ends a session and runs its end callbacks (open event streams close with it). */
  end (id: string): void {
    this.#sessions.delete(id)
    const fns = this.#onEnd.get(id)
    this.#onEnd.delete(id)
    for (const fn of fns ?? []) fn()
  }

  /** Registers a callback for the end of a session; returns its removal. */
  onEnd (id: string, fn: () => void): () => void {
    let set = this.#onEnd.get(id)
    if (set === undefined) this.#onEnd.set(id, set = new Set())
    set.add(fn)
    return () => { set.delete(fn); if (set.size === 0 && this.#onEnd.get(id) === set) this.#onEnd.delete(id) }
  }
}

export interface LimiterOptions {
  /** Failed logins allowed per client address within `windowMs`. */
  perClient?: number
  /** Failed logins allowed from all addresses together within `windowMs` (slows distributed guessing). */
  global?: number
  windowMs?: number
  now?: () => number
}

/**
 * A sliding window of failed logins, per client address and overall. While a client is over its
 * limit every login is refused, right password or not: otherwise the limit would only slow the
 * messages, not the guessing.
 */
export class LoginLimiter {
  readonly perClient: number
  readonly global: number
  readonly windowMs: number
  readonly #now: () => number
  readonly #clients = new Map<string, number[]>()
  #all: number[] = []

  constructor (opts: LimiterOptions = {}) {
    this.perClient = opts.perClient ?? 5
    this.global = opts.global ?? 50
    this.windowMs = opts.windowMs ?? 60_000
    this.#now = opts.now ?? Date.now
  }

  /** Milliseconds until `client` may try again; 0 = now. */
  retryAfter (client: string): number {
    const now = this.#now()
    const since = now - this.windowMs
    this.#all = this.#all.filter((t) => t > since)
    const mine = (this.#clients.get(client) ?? []).filter((t) => t > since)
    if (mine.length === 0) this.#clients.delete(client)
    else this.#clients.set(client, mine)
    let wait = 0
    if (mine.length >= this.perClient) wait = Math.max(wait, (mine[mine.length - this.perClient] as number) + this.windowMs - now)
    if (this.#all.length >= this.global) wait = Math.max(wait, (this.#all[this.#all.length - this.global] as number) + this.windowMs - now)
    return wait
  }

  /**
   * Starts a login attempt: 0 and the attempt counted as a failure up front, or the milliseconds
   * to wait. Counting first means a burst of parallel guesses is limited before any is checked.
   */
  attempt (client: string): number {
    const wait = this.retryAfter(client)
    if (wait > 0) return wait
    const now = this.#now()
    this.#all.push(now)
    const mine = this.#clients.get(client) ?? []
    mine.push(now)
    this.#clients.set(client, mine)
    if (this.#clients.size > 10_000) this.#clients.delete(this.#clients.keys().next().value as string)
    return 0
  }

  /** The attempt had the right password: forget the client's failures and take it off the overall count. */
  succeed (client: string): void {
    this.#clients.delete(client)
    this.#all.pop()
  }
}

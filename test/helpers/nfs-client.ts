import { connect, type Socket } from 'node:net'
import { RecordReader, recordMark } from '../../src/nfs/rpc/record.js'
import { XdrReader } from '../../src/nfs/xdr/reader.js'
import { XdrWriter } from '../../src/nfs/xdr/writer.js'

/**
 * A minimal ONC RPC client for tests: sends raw calls and NFSv4 compounds, matches replies by xid.
 * Builds requests with the same XDR codec the server uses (tests of the codec itself live in
 * xdr.test.ts).
 */
export class RawClient {
  readonly #sock: Socket
  readonly #records = new RecordReader(64 * 1024 * 1024)
  readonly #waiting = new Map<number, (b: Buffer) => void>()
  #xid = Math.floor(Math.random() * 0x7fffffff)
  closed: Promise<void>

  private constructor (sock: Socket) {
    this.#sock = sock
    sock.on('data', (d: Buffer) => {
      for (const r of this.#records.push(d)) {
        const xid = r.readUInt32BE(0)
        const cb = this.#waiting.get(xid)
        this.#waiting.delete(xid)
        cb?.(r)
      }
    })
    sock.on('error', () => {})
    this.closed = new Promise((resolve) => sock.on('close', () => {
      for (const cb of this.#waiting.values()) cb(Buffer.alloc(0))
      this.#waiting.clear()
      resolve()
    }))
  }

  static async connect (port: number): Promise<RawClient> {
    const sock = connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    return new RawClient(sock)
  }

  get destroyed (): boolean { return this.#sock.destroyed }

  writeRaw (b: Buffer): void { this.#sock.write(b) }

  /** Sends a hand-made record (its first word is the xid) and waits for the reply to that xid. */
  send (record: Buffer): Promise<Buffer> {
    const xid = record.readUInt32BE(0)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.#waiting.delete(xid); reject(new Error(`no reply to xid ${xid}`)) }, 10_000)
      this.#waiting.set(xid, (b) => { clearTimeout(t); resolve(b) })
      this.#sock.write(Buffer.concat([recordMark(record.length), record]))
    })
  }

  /** One RPC call with AUTH_SYS uid/gid 0; resolves with the whole reply record (empty if the connection closed). */
  call (prog: number, vers: number, proc: number, args: XdrWriter | Buffer, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    const xid = ++this.#xid >>> 0
    const w = new XdrWriter()
    w.u32(xid).u32(0).u32(2).u32(prog).u32(vers).u32(proc)
    const cred = new XdrWriter().u32(0).string('test').u32(0).u32(0).u32(0).toBuffer()
    w.u32(1).opaque(cred).u32(0).u32(0)
    if (Buffer.isBuffer(args)) w.fixed(args); else w.append(args)
    const body = w.toBuffer()
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.#waiting.delete(xid); reject(new Error(`no reply to xid ${xid}`)) }, opts.timeoutMs ?? 10_000)
      this.#waiting.set(xid, (b) => { clearTimeout(t); resolve(b) })
      this.#sock.write(Buffer.concat([recordMark(body.length), body]))
    })
  }

  /** A COMPOUND; returns a reader positioned at the first result, plus the status and count. */
  async compound (minor: number, ops: (w: XdrWriter) => void, count: number): Promise<{ status: number, n: number, r: XdrReader }> {
    const w = new XdrWriter()
    w.string('t').u32(minor).u32(count)
    ops(w)
    const reply = await this.call(100003, 4, 1, w)
    if (reply.length === 0) throw new Error('connection closed')
    const r = new XdrReader(reply)
    r.u32(); r.u32(); r.u32(); r.u32(); r.opaque(400)
    const accept = r.u32()
    if (accept !== 0) throw new Error(`accept_stat ${accept}`)
    const status = r.u32()
    r.opaque(1024)
    const n = r.u32()
    return { status, n, r }
  }

  close (): void { this.#sock.destroy() }
}

/** Encoders for the ops tests use (RFC 7530 §16 argument layouts). */
export const op = {
  putrootfh: (w: XdrWriter) => w.u32(24),
  putfh: (w: XdrWriter, fh: Buffer) => w.u32(22).opaque(fh),
  getfh: (w: XdrWriter) => w.u32(10),
  lookup: (w: XdrWriter, name: string | Buffer) => w.u32(15).opaque(Buffer.isBuffer(name) ? name : Buffer.from(name)),
  lookupp: (w: XdrWriter) => w.u32(16),
  getattr: (w: XdrWriter, words: number[]) => { w.u32(9).u32(words.length); for (const x of words) w.u32(x) },
  readdir: (w: XdrWriter, cookie = 0n, maxcount = 32768, words: number[] = [1 << 20 /* fileid */]) => {
    w.u32(26).u64(cookie).fixed(Buffer.alloc(8)).u32(maxcount).u32(maxcount).u32(words.length)
    for (const x of words) w.u32(x)
  },
  /** CREATE of a directory with no attributes */
  mkdir: (w: XdrWriter, name: string) => w.u32(6).u32(2).opaque(Buffer.from(name)).u32(0).u32(0),
  remove: (w: XdrWriter, name: string) => w.u32(28).opaque(Buffer.from(name)),
  savefh: (w: XdrWriter) => w.u32(32),
  rename: (w: XdrWriter, from: string, to: string) => w.u32(29).opaque(Buffer.from(from)).opaque(Buffer.from(to)),
  setclientid: (w: XdrWriter, id: string, verf = Buffer.alloc(8, 1)) =>
    w.u32(35).fixed(verf).opaque(Buffer.from(id)).u32(0x40000000).string('tcp').string('127.0.0.1.0.0').u32(1),
  setclientidConfirm: (w: XdrWriter, clientid: bigint, verf: Buffer) => w.u32(36).u64(clientid).fixed(verf),
  /** OPEN (4.0, CLAIM_NULL) creating with EXCLUSIVE4 when verf is given, else plain open */
  open: (w: XdrWriter, clientid: bigint, owner: string, name: string, access: number, opts: { exclusive?: Buffer, deny?: number } = {}) => {
    w.u32(18).u32(0).u32(access).u32(opts.deny ?? 0).u64(clientid).opaque(Buffer.from(owner))
    if (opts.exclusive) w.u32(1).u32(2).fixed(opts.exclusive)
    else w.u32(0)
    w.u32(0).opaque(Buffer.from(name))
  },
  write: (w: XdrWriter, stateid: Buffer, offset: bigint, data: Buffer) => w.u32(38).fixed(stateid).u64(offset).u32(2).opaque(data),
  read: (w: XdrWriter, stateid: Buffer, offset: bigint, count: number) => w.u32(25).fixed(stateid).u64(offset).u32(count),
  close: (w: XdrWriter, stateid: Buffer) => w.u32(4).u32(0).fixed(stateid),
  /** SETATTR of mode only (fattr4 with bit 33) */
  chmod: (w: XdrWriter, mode: number) => w.u32(34).fixed(Buffer.alloc(16)).u32(2).u32(0).u32(1 << 1).u32(4).u32(mode),
  link: (w: XdrWriter, name: string) => w.u32(11).opaque(Buffer.from(name)),
  symlink: (w: XdrWriter, name: string, target: string) => w.u32(6).u32(5).opaque(Buffer.from(target)).opaque(Buffer.from(name)).u32(0).u32(0),
  commit: (w: XdrWriter) => w.u32(5).u64(0n).u32(0),
  lock: (w: XdrWriter, openStateid: Buffer, clientid: bigint, owner: string, write: boolean, offset: bigint, length: bigint) =>
    w.u32(12).u32(write ? 2 : 1).bool(false).u64(offset).u64(length).bool(true).u32(0).fixed(openStateid).u32(0).u64(clientid).opaque(Buffer.from(owner))
}

/** Reads one op result header: [opnum, status]. */
export function res (r: XdrReader): [number, number] { return [r.u32(), r.u32()] }

/** SETCLIENTID + SETCLIENTID_CONFIRM: a confirmed 4.0 client id. */
export async function clientId (c: RawClient, id: string): Promise<bigint> {
  const a = await c.compound(0, (w) => op.setclientid(w, id), 1)
  if (a.status !== 0) throw new Error(`SETCLIENTID ${a.status}`)
  res(a.r)
  const clientid = a.r.u64()
  const verf = Buffer.from(a.r.fixed(8))
  const b = await c.compound(0, (w) => op.setclientidConfirm(w, clientid, verf), 1)
  if (b.status !== 0) throw new Error(`SETCLIENTID_CONFIRM ${b.status}`)
  return clientid
}

/** NFSv4.1 session ops (RFC 8881 §18.35, §18.36, §18.46). */
export const op41 = {
  exchangeId: (w: XdrWriter, owner: string, verf = Buffer.alloc(8, 7)) => w.u32(42).fixed(verf).opaque(Buffer.from(owner)).u32(0).u32(0).u32(0),
  createSession: (w: XdrWriter, clientid: bigint, seq: number) => {
    w.u32(43).u64(clientid).u32(seq).u32(0)
    for (let i = 0; i < 2; i++) w.u32(0).u32(1 << 20).u32(1 << 20).u32(16384).u32(16).u32(8).u32(0)
    w.u32(0x40000000).u32(1).u32(0)
  },
  sequence: (w: XdrWriter, sid: Buffer, seq: number, slot = 0) => w.u32(53).fixed(sid).u32(seq).u32(slot).u32(slot).bool(false)
}

/** EXCHANGE_ID + CREATE_SESSION: a 4.1 session id. */
export async function session (c: RawClient, owner: string): Promise<Buffer> {
  const a = await c.compound(1, (w) => op41.exchangeId(w, owner), 1)
  if (a.status !== 0) throw new Error(`EXCHANGE_ID ${a.status}`)
  res(a.r)
  const clientid = a.r.u64()
  const seq = a.r.u32()
  const b = await c.compound(1, (w) => op41.createSession(w, clientid, seq), 1)
  if (b.status !== 0) throw new Error(`CREATE_SESSION ${b.status}`)
  res(b.r)
  return Buffer.from(b.r.fixed(16))
}

import { randomBytes } from 'node:crypto'
import { NfsError, NfsStatus } from '../../errors.js'
import type { XdrReader } from '../../xdr/reader.js'
import type { XdrWriter } from '../../xdr/writer.js'

/**
 * RFC 7530 §9.1.3 / RFC 8881 §8.2.1:
 *   struct stateid4 { uint32_t seqid; opaque other[12]; };
 * Our `other`: 4 bytes of boot epoch, 8 bytes of counter. A stateid from another boot is
 * STALE_STATEID (4.0) / BAD_STATEID (4.1); state itself is not persisted (the server is graceless).
 */
export interface Stateid { seq: number, readonly other: Buffer }

export const EPOCH = randomBytes(4)
let counter = 0n

export function newOther (): Buffer {
  const b = Buffer.alloc(12)
  EPOCH.copy(b, 0)
  b.writeBigUInt64BE(++counter, 4)
  return b
}

export function readStateid (r: XdrReader): Stateid { return { seq: r.u32(), other: Buffer.from(r.fixed(12)) } }
export function writeStateid (w: XdrWriter, s: Stateid): void { w.u32(s.seq).fixed(s.other) }

/** RFC 8881 §8.2.3: the special stateids. */
export function isAnonymous (s: Stateid): boolean { return s.seq === 0 && s.other.every((b) => b === 0) }
export function isBypass (s: Stateid): boolean { return s.seq === 0xffffffff && s.other.every((b) => b === 0xff) }
export function isCurrent (s: Stateid): boolean { return s.seq === 1 && s.other.every((b) => b === 0) }

export function checkEpoch (s: Stateid, minor: number): void {
  if (!s.other.subarray(0, 4).equals(EPOCH)) throw new NfsError(minor === 0 ? NfsStatus.STALE_STATEID : NfsStatus.BAD_STATEID)
}

/** RFC 8881 §8.2.2: seqid 0 (4.1) means "the current one"; older is OLD_STATEID, newer BAD_STATEID. */
export function checkSeq (given: Stateid, current: number, minor: number): void {
  if (given.seq === current || (minor > 0 && given.seq === 0)) return
  throw new NfsError(given.seq < current ? NfsStatus.OLD_STATEID : NfsStatus.BAD_STATEID)
}

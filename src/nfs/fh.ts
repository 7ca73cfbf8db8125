import { NfsError, NfsStatus } from './errors.js'

/**
 * Persistent file handles, the same bytes for every protocol version:
 *
 *   [0] version (1)  [1] flags (bit 0: pseudo-root)  [2..5] export index (0 = pseudo-root)
 *   [6..13] inode number  [14..17] generation (low 32 bits of the birth time in ns; 0 = unknown)
 *
 * Nothing here depends on the boot: the handle names the file by (export, inode, generation), and
 * the vfs maps that back to a path through its persistent handle db, so handles survive a restart
 * and a rename. The generation tells a reused inode number from the file that had it before.
 * RFC 7530 §4.2.3: NFS4_FHSIZE is 128; ours is 18.
 */
export const FH_VERSION = 1
export const FH_LEN = 18
const FLAG_PSEUDO = 1

export interface FileHandle {
  readonly index: number
  readonly ino: bigint
  readonly gen: number
}

export const PSEUDO_ROOT: FileHandle = { index: 0, ino: 0n, gen: 0 }

export function isPseudo (h: FileHandle): boolean { return h.index === 0 }

export function encodeFh (h: FileHandle): Buffer {
  const b = Buffer.alloc(FH_LEN)
  b[0] = FH_VERSION
  b[1] = h.index === 0 ? FLAG_PSEUDO : 0
  b.writeUInt32BE(h.index, 2)
  b.writeBigUInt64BE(h.ino, 6)
  b.writeUInt32BE(h.gen >>> 0, 14)
  return b
}

/** RFC 7530 §16.20.5 (PUTFH): a handle that is not ours is BADHANDLE; one of ours that no longer exists is STALE (in the vfs). */
export function decodeFh (b: Buffer): FileHandle {
  if (b.length !== FH_LEN || b[0] !== FH_VERSION) throw new NfsError(NfsStatus.BADHANDLE)
  const index = b.readUInt32BE(2)
  const pseudo = (b[1]! & FLAG_PSEUDO) !== 0
  if (pseudo !== (index === 0) || (b[1]! & ~FLAG_PSEUDO) !== 0) throw new NfsError(NfsStatus.BADHANDLE)
  const ino = b.readBigUInt64BE(6)
  if (pseudo && ino !== 0n) throw new NfsError(NfsStatus.BADHANDLE)
  return { index, ino, gen: b.readUInt32BE(14) }
}

export function genOf (birthtimeNs: bigint): number { return Number(birthtimeNs & 0xffffffffn) }

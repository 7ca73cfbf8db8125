import type { BigIntStats } from 'node:fs'
import type { NfsExport } from '../exports.js'

/**
 * A file or directory inside one export, named by inode (the handle) and located by its current
 * path relative to the export root ('' = the root). `rel` is refreshed when the file moves.
 */
export interface FsNode {
  readonly kind: 'fs'
  readonly exp: NfsExport
  readonly ino: bigint
  readonly gen: number
  rel: string
  /**
   * The lstat resolve() checked the handle with, in this request: the next stat() takes it instead
   * of asking the disk again, unless something this server did changed the node since (the vfs
   * drops it in every call that changes a node). Nodes live for one request (a v3 call, a v4
   * COMPOUND), so this never outlives it.
   */
  pre?: Stat | undefined
}

/** The pseudo-root above all exports (RFC 7530 §7): a read-only directory listing the namespaces. */
export interface PseudoNode { readonly kind: 'pseudo' }

export type VNode = FsNode | PseudoNode

export const PSEUDO: PseudoNode = { kind: 'pseudo' }

/**
 * What the vfs reads of a file's lstat/fstat: a BigIntStats from the thread pool, or the same
 * fields unpacked from an fs worker's reply (fs-worker.ts).
 */
export type Stat = Pick<BigIntStats, 'dev' | 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'rdev' | 'size' | 'blksize' | 'blocks' |
'atimeNs' | 'mtimeNs' | 'ctimeNs' | 'birthtimeNs' | 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' |
'isBlockDevice' | 'isCharacterDevice'>

/** Who the caller is (AUTH_SYS); new files are given to them. */
export interface Creds { readonly uid: number, readonly gid: number }

/** Attributes a client may set (SETATTR, CREATE, OPEN). Times: a bigint ns value or 'now'. */
export interface SetAttrs {
  mode?: number
  uid?: number
  gid?: number
  size?: bigint
  atime?: bigint | 'now'
  mtime?: bigint | 'now'
}

export interface DirEntry { readonly name: string, readonly ino: bigint }

export type CreateHow = { mode: 'unchecked' | 'guarded' } | { mode: 'exclusive', verifier: Buffer }

/** What a create returns: the directory's stat before, and after only when this call created the file (and could stat the directory). */
export interface Created { node: FsNode, stat: Stat, created: boolean, dirBefore: Stat, dirAfter?: Stat | undefined }

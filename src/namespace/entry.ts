// The drive entry format. Each writer drive maps '/' + path to a Hyperdrive entry whose metadata is
// an EntryMeta: the merge reads nothing else, so a malformed entry (or one from a newer format) is
// ignored rather than trusted.
import type { DriveNode } from 'hyperdrive'
import type { BlobId } from 'hyperblobs'
import type { EntryKind, Version } from './conflict.js'

export interface EntryMeta {
  v: 1
  /** HLC of the write. */
  c: number
  /** Writer id. */
  w: string
  /** Seen map: writer id → highest clock of that writer applied when this was written. */
  s: Record<string, number>
  k: EntryKind
  /** sha256 for files, link target for links, '' otherwise. */
  h: string
  /** Permission bits. */
  m: number
  /** mtime, ms. */
  t: number
  /** Size in bytes (files). */
  z: number
  /** Packed small file (blob-pack.ts): its content starts this many bytes into its blob's block. Absent: the blob is the content. */
  p?: number
}

/** One writer's version of a path, as the merge sees it. */
export interface Candidate extends Version {
  meta: EntryMeta
  blob: BlobId | null
  /** Offset of the content in the blob's first block (packed), or null (the blob's blocks are the content). */
  at: number | null
  linkname: string | null
}

const KINDS = new Set<EntryKind>(['file', 'dir', 'link', 'tomb'])

export function toCandidate (node: DriveNode | null): Candidate | null {
  if (node === null) return null
  const m = node.value.metadata as Partial<EntryMeta> | null
  if (m === null || typeof m !== 'object' || m.v !== 1) return null
  if (!Number.isSafeInteger(m.c) || typeof m.w !== 'string' || typeof m.h !== 'string' || !KINDS.has(m.k as EntryKind)) return null
  if (typeof m.s !== 'object' || m.s === null || typeof m.m !== 'number' || typeof m.t !== 'number' || typeof m.z !== 'number') return null
  const meta = m as EntryMeta
  if (meta.k === 'file' && node.value.blob === null && meta.z !== 0) return null
  if (meta.k === 'link' && typeof node.value.linkname !== 'string') return null
  const at = meta.p === undefined ? null : meta.p
  if (at !== null && (!Number.isSafeInteger(at) || at < 0 || node.value.blob === null || node.value.blob.blockLength !== 1)) return null
  return { c: meta.c, w: meta.w, s: meta.s, h: meta.h, k: meta.k, meta, blob: node.value.blob, at, linkname: node.value.linkname }
}

/** Drive key for a folder-relative path. */
export function drivePath (path: string): string {
  return '/' + path
}

/** Folder-relative path for a drive key. */
export function folderPath (key: string): string {
  return key.startsWith('/') ? key.slice(1) : key
}

/** Writer id: the first 16 bytes of the drive key, hex (unique enough, short in every entry's seen map). */
export function writerId (driveKey: Buffer): string {
  return driveKey.subarray(0, 16).toString('hex')
}

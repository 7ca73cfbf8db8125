import { NfsError, NfsStatus } from '../errors.js'

export const MAX_NAME = 255

/**
 * One path component from the wire (RFC 7530 §12.7 and nfs-ganesha's nfs4_utf8string_scan):
 * empty → INVAL, too long → NAMETOOLONG, not UTF-8 → INVAL, '/' or NUL → BADCHAR, '.' and '..' →
 * BADNAME. Only names that pass are ever joined to a path, so no name can leave its directory.
 */
export function checkName (raw: Buffer): string {
  if (raw.length === 0) throw new NfsError(NfsStatus.INVAL, 'empty name')
  if (raw.length > MAX_NAME) throw new NfsError(NfsStatus.NAMETOOLONG)
  const name = raw.toString('utf8')
  if (!Buffer.from(name, 'utf8').equals(raw)) throw new NfsError(NfsStatus.INVAL, 'name is not UTF-8')
  if (name.includes('/') || name.includes('\0')) throw new NfsError(NfsStatus.BADCHAR)
  if (name === '.' || name === '..') throw new NfsError(NfsStatus.BADNAME)
  return name
}


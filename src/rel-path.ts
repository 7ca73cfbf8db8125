// Folder-relative paths ('a/b/c', '' for the folder itself), as namespaces and NFS exports both
// name their files.

/** The folder holding `rel` ('' for a top-level name). */
export function parentRel (rel: string): string {
  const i = rel.lastIndexOf('/')
  return i < 0 ? '' : rel.slice(0, i)
}

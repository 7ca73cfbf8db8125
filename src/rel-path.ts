// Folder-relative paths ('a/b/c', '' for the folder itself), as namespaces and NFS exports both
// name their files.

/** The folder holding `rel` ('' for a top-level name). */
export function parentRel (rel: string): string {
  const i = rel.lastIndexOf('/')
  return i < 0 ? '' : rel.slice(0, i)
}

/** The last component of `rel`. */
export function baseRel (rel: string): string { return rel.slice(rel.lastIndexOf('/') + 1) }

/** `name` (one component, already checked) inside the folder `dir` ('' = the root). */
export function joinRel (dir: string, name: string): string { return dir === '' ? name : `${dir}/${name}` }

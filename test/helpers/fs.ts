import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

/** A folder as path → content ('<dir>', '-> target', or file content + ' [x]' when executable). */
export async function snapshot (folder: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  let names: string[]
  try { names = await readdir(join(folder, rel)) } catch { return out }
  for (const name of names.sort()) {
    if (name.startsWith('.shoal.tmp.')) continue
    const path = rel === '' ? name : `${rel}/${name}`
    const abs = join(folder, path)
    const st = await lstat(abs)
    if (st.isDirectory()) {
      out[path] = '<dir>'
      Object.assign(out, await snapshot(folder, path))
    } else if (st.isSymbolicLink()) out[path] = '-> ' + await readlink(abs)
    else out[path] = (await readFile(abs, 'utf8')) + ((st.mode & 0o111) !== 0 ? ' [x]' : '')
  }
  return out
}

export function sameJson (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isErrno } from '../errors.js'

/** Reads a JSON file; null if it does not exist. */
export async function readJson<T> (file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null
    throw err
  }
}

/** Writes a JSON file atomically (temp file + rename), so a crash leaves the old or the new one. */
export async function writeJsonAtomic (file: string, value: unknown): Promise<void> {
  await writeTextAtomic(file, JSON.stringify(value))
}

/** Writes a text file atomically (temp file + rename). */
export async function writeTextAtomic (file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode: 0o600 })
  await rename(tmp, file)
}

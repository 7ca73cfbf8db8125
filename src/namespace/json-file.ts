import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises'
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

/**
 * Writes a file atomically from pieces of text (temp file + rename), never holding the whole text:
 * each piece is taken from the iterator only when the previous one is written. Returns the bytes written.
 */
export async function writeChunksAtomic (file: string, chunks: Iterable<string>): Promise<number> {
  const tmp = `${file}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  let bytes = 0
  try {
    for (const chunk of chunks) {
      const buf = Buffer.from(chunk)
      await fh.write(buf)
      bytes += buf.length
    }
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  return bytes
}

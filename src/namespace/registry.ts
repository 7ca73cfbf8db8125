// The persisted list of namespaces (CONFIG_PATH, mode 0600): names, secrets and the stable index
// each one carries in NFS file handles. Written atomically (temp file, fsync, rename) so a killed
// daemon leaves either the old or the new file, never half of one.
import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { ShoalError, isErrno } from '../errors.js'

export interface NamespaceRecord {
  name: string
  /** The canonical secret ('A…', 'B…' or 'C…'). */
  secret: string
  /** Stable, never reused: NFS handles carry it, so a deleted namespace's handles go stale. */
  index: number
  createdAt: string
}

interface RegistryFile {
  version: 1
  nextIndex: number
  namespaces: NamespaceRecord[]
  settings?: Record<string, unknown>
}

export class Registry {
  readonly file: string
  #data: RegistryFile = { version: 1, nextIndex: 1, namespaces: [] }

  constructor (file: string) {
    this.file = file
  }

  async load (): Promise<void> {
    let raw: string
    try {
      raw = await readFile(this.file, 'utf8')
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return
      throw err
    }
    let parsed: Partial<RegistryFile>
    try {
      parsed = JSON.parse(raw) as Partial<RegistryFile>
    } catch (err) {
      throw ShoalError.badConfig(`${this.file} is not valid JSON`, 'restore it from a backup, or move it away to start empty')
    }
    const namespaces = Array.isArray(parsed.namespaces) ? parsed.namespaces.filter(isRecord) : []
    const maxIndex = namespaces.reduce((m, r) => Math.max(m, r.index), 0)
    this.#data = {
      version: 1,
      nextIndex: Math.max(typeof parsed.nextIndex === 'number' ? parsed.nextIndex : 1, maxIndex + 1),
      namespaces,
      ...(parsed.settings !== undefined ? { settings: parsed.settings } : {})
    }
  }

  list (): readonly NamespaceRecord[] { return this.#data.namespaces }
  get (name: string): NamespaceRecord | undefined { return this.#data.namespaces.find((r) => r.name === name) }

  /** Adds a record (not yet saved). */
  add (name: string, secret: string): NamespaceRecord {
    const record = { name, secret, index: this.#data.nextIndex++, createdAt: new Date().toISOString() }
    this.#data.namespaces.push(record)
    return record
  }

  remove (name: string): void {
    this.#data.namespaces = this.#data.namespaces.filter((r) => r.name !== name)
  }

  async save (): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.${process.pid}.tmp`
    const fh = await open(tmp, 'w', 0o600)
    try {
      await fh.writeFile(JSON.stringify(this.#data, null, 2) + '\n')
      await fh.sync()
    } catch (err) {
      await fh.close()
      await unlink(tmp).catch(() => {})
      throw err
    }
    await fh.close()
    await rename(tmp, this.file)
  }
}

function isRecord (r: unknown): r is NamespaceRecord {
  const o = r as NamespaceRecord
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.secret === 'string' &&
    typeof o.index === 'number' && Number.isInteger(o.index) && o.index > 0
}

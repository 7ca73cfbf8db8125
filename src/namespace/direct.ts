// The namespace's side of the content channel (engine/content.ts): what this node offers from its
// folder, and which peer to ask for a remote file's bytes.
import type { Logger } from '../log.js'
import { ContentPeers, type Offer } from '../engine/content.js'
import type { ConnectionSource, NamespacePeers } from '../engine/peers.js'
import type { NamespaceKeys } from '../secrets.js'
import type { FolderWriter } from './apply.js'
import type { DirectFetch } from './blob-fetch.js'
import type { FolderIndex } from './index.js'
import { statEntry, statMatches, type DiskEntry } from './scanner.js'

/** Smaller files come through the drive: its blocks are there as soon as the entry is. */
export const DIRECT_MIN = 4 << 20

export interface DirectInit {
  source: ConnectionSource
  keys: NamespaceKeys
  peers: NamespacePeers
  index: FolderIndex
  writer: FolderWriter
  /** Serve files from the folder (a node with a folder: not blind). */
  serve: boolean
  /** Test hook: offer random bytes instead of the file (a lying peer). */
  corrupt?: boolean
  log: Logger
}

export class DirectContent {
  readonly content: ContentPeers
  /** Large files whose entries are published and whose blobs are being stored (publish.ts). */
  readonly uploading = new Map<string, { hash: string, stat: DiskEntry }>()
  readonly #i: DirectInit
  /** Content hashes a direct stream delivered wrong: they come from the drive only. */
  readonly #refused = new Set<string>()

  constructor (init: DirectInit) {
    this.#i = init
    this.content = new ContentPeers(init.source, init.keys, init.serve ? async (p, h) => await this.#offer(p, h) : null, init.log)
  }

  /** A direct fetch of `path` with content `hash` from the writer of drive `key`, or null. */
  fetch (key: string, path: string, hash: string, size: number, timeoutMs: number): DirectFetch | null {
    if (size < DIRECT_MIN || this.#refused.has(hash)) return null
    const peer = this.#i.peers.writerConnections(key).map((c) => c.remotePublicKey).find((k) => k !== null && this.content.has(k))
    if (peer === undefined || peer === null) return null
    const log = this.#i.log
    return {
      open: () => this.content.fetch(peer, path, hash, size, timeoutMs),
      stopped: (bytes, err) => { log.info(`direct fetch of ${path} stopped after ${bytes} bytes (${(err as Error).message}): the rest comes from the drive`) },
      mismatch: () => {
        log.warn(`a peer sent ${path} with the wrong content: fetching it from the drive`)
        this.#refused.add(hash)
      }
    }
  }

  /** Only a path the index (or an upload in progress) says holds `hash`, and only while it does. */
  async #offer (path: string, hash: string): Promise<Offer | null> {
    const known = this.#i.index.get(path)
    const up = this.uploading.get(path)
    const expect: DiskEntry | null = up?.hash === hash
      ? up.stat
      : known?.kind === 'file' && known.hash === hash ? { kind: 'file', size: known.size, mtimeMs: known.mtimeMs, mode: known.mode, ino: known.ino } : null
    if (expect === null) return null
    const abs = this.#i.writer.abs(path)
    const same = async (): Promise<boolean> => {
      const now = await statEntry(abs)
      return now !== null && statMatches({ ...expect, hash, ver: null }, now)
    }
    if (!(await same())) return null
    return { abs: this.#i.corrupt === true ? '/dev/urandom' : abs, size: expect.size, unchanged: same }
  }
}

// Ambient types for the Holepunch stack and sodium-native (CommonJS, shipped without types).
// Only the signatures shoal uses, typed as precisely as their source allows.

declare module 'sodium-native' {
  export const crypto_pwhash_SALTBYTES: number
  export const crypto_pwhash_OPSLIMIT_INTERACTIVE: number
  export const crypto_pwhash_MEMLIMIT_INTERACTIVE: number
  export const crypto_pwhash_ALG_ARGON2ID13: number
  export const crypto_sign_PUBLICKEYBYTES: number
  export const crypto_sign_SECRETKEYBYTES: number
  export const crypto_sign_BYTES: number
  export function crypto_generichash (out: Buffer, input: Buffer, key?: Buffer): void
  export function crypto_pwhash (out: Buffer, passwd: Buffer, salt: Buffer, opslimit: number, memlimit: number, alg: number): void
  export function crypto_pwhash_async (out: Buffer, passwd: Buffer, salt: Buffer, opslimit: number, memlimit: number, alg: number): Promise<void>
  export function crypto_sign_seed_keypair (pk: Buffer, sk: Buffer, seed: Buffer): void
  export function crypto_sign_keypair (pk: Buffer, sk: Buffer): void
  export function crypto_sign_detached (sig: Buffer, msg: Buffer, sk: Buffer): void
  export function crypto_sign_verify_detached (sig: Buffer, msg: Buffer, pk: Buffer): boolean
  export function randombytes_buf (buf: Buffer): void
  export function sodium_memcmp (a: Buffer, b: Buffer): boolean
  /** Throws when it cannot encrypt; `c` may be `m` (in place). */
  export function crypto_aead_chacha20poly1305_ietf_encrypt (c: Buffer, m: Buffer, ad: Buffer | null, nsec: null, npub: Buffer, k: Buffer): number
  /** Throws when the tag does not verify; `m` may be `c` (in place). */
  export function crypto_aead_chacha20poly1305_ietf_decrypt (m: Buffer, nsec: null, c: Buffer, ad: Buffer | null, npub: Buffer, k: Buffer): number
}

declare module 'compact-encoding' {
  export interface State { start: number, end: number, buffer: Buffer | null }
  export interface Encoding<T> {
    preencode (state: State, value: T): void
    encode (state: State, value: T): void
    decode (state: State): T
  }
  export const fixed32: Encoding<Buffer>
  export const fixed64: Encoding<Buffer>
  export const uint: Encoding<number>
  export const buffer: Encoding<Buffer | null>
  export const string: Encoding<string>
  /** The rest of the message as-is (tests send arbitrary bytes with it). */
  export const raw: Encoding<Buffer>
  export function encode<T> (enc: Encoding<T>, value: T): Buffer
  export function decode<T> (enc: Encoding<T>, buf: Buffer): T
  const c: {
    fixed32: Encoding<Buffer>, fixed64: Encoding<Buffer>, uint: Encoding<number>, buffer: Encoding<Buffer | null>
    string: Encoding<string>, raw: Encoding<Buffer>, encode: typeof encode, decode: typeof decode
  }
  export default c
}

declare module 'protomux' {
  import type { Encoding } from 'compact-encoding'
  import type { Duplex } from 'node:stream'
  export interface Message<T> { send (value: T): boolean }
  export interface Channel {
    readonly opened: boolean
    readonly closed: boolean
    /** False while the underlying stream's write buffer is full (wait for `ondrain`). */
    readonly drained: boolean
    open (handshake?: unknown): void
    close (): void
    /** Messages sent until the matching uncork() go out together, in one batch. */
    cork (): void
    uncork (): void
    addMessage<T> (opts: { encoding: Encoding<T>, onmessage: (value: T) => void }): Message<T>
  }
  export interface ChannelOptions<H> {
    protocol: string
    id?: Buffer | null
    unique?: boolean
    handshake?: Encoding<H> | null
    onopen?: (handshake: H) => void
    onclose?: () => void
    ondrain?: () => void
  }
  export default class Protomux {
    static from (stream: unknown): Protomux
    readonly stream: Duplex
    createChannel<H> (opts: ChannelOptions<H>): Channel | null
  }
}

declare module 'hypercore' {
  import type { EventEmitter } from 'node:events'
  export interface Download { done (): Promise<void>, destroy (): void }
  /** hypercore-storage's options (its RocksDB and tree-node cache), as passed by defaultStorage. */
  export interface StorageOptions {
    /** RocksDB memtable size per column family (default 64 MiB). */
    writeBufferSize?: number
    /** RocksDB's block cache (default on; its size is not settable). */
    blockCache?: boolean
    tableCacheIndexAndFilterBlocks?: boolean
    /** Merkle tree nodes cached per store (default 8192, kept twice over by its cache). */
    treeCache?: { maxSize: number }
  }
  /** A hypercore-storage instance (one RocksDB): opaque here. */
  export interface CoreStorage { readonly path: string }
  export default class Hypercore extends EventEmitter {
    /** A core stored in its own folder (`storage`), or a replica of `key`'s. */
    constructor (storage: string, key?: Buffer)
    static defaultStorage (storage: string, opts?: StorageOptions): CoreStorage
    readonly key: Buffer | null
    readonly discoveryKey: Buffer | null
    readonly length: number
    readonly contiguousLength: number
    readonly byteLength: number
    readonly writable: boolean
    readonly peers: unknown[]
    ready (): Promise<void>
    close (): Promise<void>
    update (opts?: { wait?: boolean }): Promise<boolean>
    download (range?: { start?: number, end?: number, linear?: boolean }): Download
    append (block: Buffer | Buffer[]): Promise<{ length: number, byteLength: number }>
    get (index: number, opts?: { wait?: boolean, timeout?: number }): Promise<Buffer | null>
    on (event: 'append' | 'close', fn: () => void): this
    off (event: 'append' | 'close', fn: () => void): this
  }
}

declare module 'corestore' {
  import type Hypercore from 'hypercore'
  import type { CoreStorage } from 'hypercore'
  import type Rache from 'rache'
  export interface ReplicationStream { readonly noiseStream: unknown, pipe<T> (dest: T): T, on (event: string, fn: (...args: unknown[]) => void): unknown, destroy (err?: Error): void }
  /** The store's RocksDB column family (hypercore-storage's `db`, a rocksdb-native session). */
  export interface StoreColumnFamily {
    getProperty (name: string): Promise<string>
    /** Writes the memtable out to a table file. */
    flush (): Promise<void>
  }
  export default class Corestore {
    constructor (storage: string | CoreStorage, opts?: { writable?: boolean, globalCache?: Rache })
    readonly opened: boolean
    readonly storage: { db: StoreColumnFamily }
    ready (): Promise<void>
    close (): Promise<void>
    get (opts: { key?: Buffer, name?: string, encryptionKey?: Buffer | null, active?: boolean }): Hypercore
    session (opts?: Record<string, unknown>): Corestore
    namespace (name: string | Buffer): Corestore
    createKeyPair (name: string): Promise<{ publicKey: Buffer, secretKey: Buffer }>
    replicate (isInitiatorOrStream: boolean | unknown, opts?: Record<string, unknown>): ReplicationStream
  }
}

declare module 'hyperbee' {
  export interface BeeNode<V> { seq: number, key: string, value: V }
}

declare module 'hyperbee/lib/messages.js' {
  /** A hyperbee block: the key and value written, and the tree index (protobuf). */
  export const Node: { decode (buf: Buffer): { index: Buffer, key: Buffer, value: Buffer | null } }
}

declare module 'hyperblobs' {
  import type Hypercore from 'hypercore'
  import type { Readable, Writable } from 'node:stream'
  export interface BlobId { blockOffset: number, blockLength: number, byteOffset: number, byteLength: number }
  export interface BlobWriteStream extends Writable { readonly id: BlobId }
  export interface BlobBatch { put (buf: Buffer): Promise<BlobId>, flush (): Promise<void> }
  export default class Hyperblobs {
    constructor (core: Hypercore, opts?: { blockSize?: number })
    readonly core: Hypercore
    put (buf: Buffer): Promise<BlobId>
    get (id: BlobId, opts?: { wait?: boolean, timeout?: number }): Promise<Buffer | null>
    batch (): BlobBatch
    createWriteStream (): BlobWriteStream
    createReadStream (id: BlobId, opts?: { wait?: boolean, timeout?: number }): Readable
  }
}

declare module 'hyperdrive' {
  import type Corestore from 'corestore'
  import type Hypercore from 'hypercore'
  import type { BeeNode } from 'hyperbee'
  import type Hyperblobs from 'hyperblobs'
  import type { BlobId } from 'hyperblobs'
  import type { EventEmitter } from 'node:events'
  import type { Readable } from 'node:stream'
  export interface DriveEntryValue {
    executable: boolean
    linkname: string | null
    blob: BlobId | null
    metadata: unknown
  }
  export type DriveNode = BeeNode<DriveEntryValue>
  export interface DiffItem { left: DriveNode | null, right: DriveNode | null }
  export default class Hyperdrive extends EventEmitter {
    constructor (store: Corestore, key?: Buffer | null, opts?: { encryptionKey?: Buffer | null })
    constructor (store: Corestore, opts?: { encryptionKey?: Buffer | null })
    readonly key: Buffer
    readonly contentKey: Buffer | undefined
    readonly core: Hypercore
    /** The drive's Hyperbee; in a drive's batch(), hyperbee's Batch: `length` is its blocks not yet flushed. */
    readonly db: {
      readonly length: number
      put (key: Buffer, value: Buffer, opts: { keyEncoding: 'binary', valueEncoding: 'binary' }): Promise<void>
      get (key: Buffer, opts: { keyEncoding: 'binary', valueEncoding: 'binary' }): Promise<{ seq: number, key: Buffer, value: Buffer } | null>
      /** The first entry in the range (keys compared as bytes), or null. */
      peek (range: { gt?: Buffer, lt?: Buffer }, opts: { keyEncoding: 'binary', valueEncoding: 'binary', extension?: false, timeout?: number }): Promise<{ seq: number, key: Buffer, value: Buffer } | null>
    }
    readonly blobs: Hyperblobs | null
    readonly version: number
    readonly writable: boolean
    readonly closed: boolean
    ready (): Promise<void>
    close (): Promise<void>
    getBlobs (): Promise<Hyperblobs | null>
    entry (path: string, opts?: { wait?: boolean, timeout?: number }): Promise<DriveNode | null>
    putEntry (path: string, value: Partial<DriveEntryValue>): Promise<void>
    put (path: string, data: Buffer, opts?: { executable?: boolean, metadata?: unknown }): Promise<void>
    get (path: string, opts?: { wait?: boolean, timeout?: number }): Promise<Buffer | null>
    checkout (version: number): Hyperdrive
    batch (): Hyperdrive
    flush (): Promise<void>
    diff (length: number, folder?: string | null): AsyncIterable<DiffItem>
    list (folder?: string, opts?: { recursive?: boolean }): AsyncIterable<DriveNode>
    readdir (folder?: string): AsyncIterable<string>
    createReadStream (path: string, opts?: { wait?: boolean, timeout?: number }): Readable
  }
}

declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'
  export interface DhtOptions {
    bootstrap?: string[] | Array<{ host: string, port: number }>
    port?: number
    host?: string
    firewalled?: boolean
    ephemeral?: boolean
  }
  export default class HyperDHT extends EventEmitter {
    constructor (opts?: DhtOptions)
    static bootstrapper (port: number, host: string, opts?: DhtOptions): HyperDHT
    readonly bootstrapped: boolean
    readonly online: boolean
    readonly destroyed: boolean
    readonly table: { size: number }
    static keyPair (seed?: Buffer): { publicKey: Buffer, secretKey: Buffer }
    ready (): Promise<void>
    fullyBootstrapped (): Promise<void>
    address (): { host: string, port: number }
    destroy (opts?: { force?: boolean }): Promise<void>
  }
}

declare module 'hyperswarm' {
  import type HyperDHT from 'hyperdht'
  import type { EventEmitter } from 'node:events'
  export interface PeerDiscovery { flushed (): Promise<void>, refresh (opts?: { client?: boolean, server?: boolean }): Promise<void>, destroy (): Promise<void> }
  /** udx-native's socket: a connection's UDP socket (shared by the DHT and its streams). */
  export interface UdxSocket {
    getRecvBufferSize (): number
    setRecvBufferSize (size: number): number
    getSendBufferSize (): number
    setSendBufferSize (size: number): number
  }
  export interface SwarmConnection extends EventEmitter {
    readonly isInitiator: boolean
    readonly handshakeHash: Buffer | null
    readonly remotePublicKey: Buffer | null
    readonly publicKey: Buffer
    readonly opened: Promise<boolean>
    readonly destroyed: boolean
    readonly rawStream?: { remoteHost?: string, remotePort?: number, socket?: UdxSocket | null } | null
    destroy (err?: Error): void
  }
  export interface PeerInfo { publicKey: Buffer, topics: Buffer[] }
  export default class Hyperswarm extends EventEmitter {
    constructor (opts?: { dht?: HyperDHT, keyPair?: { publicKey: Buffer, secretKey: Buffer }, maxPeers?: number })
    readonly dht: HyperDHT
    readonly keyPair: { publicKey: Buffer, secretKey: Buffer }
    readonly connections: Set<SwarmConnection>
    readonly connecting: number
    join (topic: Buffer, opts?: { server?: boolean, client?: boolean }): PeerDiscovery
    leave (topic: Buffer): Promise<void>
    flush (): Promise<void>
    destroy (opts?: { force?: boolean }): Promise<void>
    on (event: 'connection', fn: (conn: SwarmConnection, info: PeerInfo) => void): this
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht'
  export interface Testnet { nodes: HyperDHT[], bootstrap: Array<{ host: string, port: number }>, destroy (): Promise<void> }
  export default function createTestnet (size?: number, opts?: { host?: string, port?: number }): Promise<Testnet>
}

declare module 'rache' {
  /**
   * Random-eviction cache. Given to Corestore as `globalCache`, every Hyperbee on its cores (drive
   * checkouts included) takes its key and node caches from it: one bound for all of them.
   */
  export default class Rache {
    constructor (opts?: { maxSize?: number })
    readonly maxSize: number
    readonly globalSize: number
  }
}

declare module '@hyperswarm/secret-stream' {
  import type { Duplex } from 'node:stream'
  /** A Noise (XX, or IK when the initiator names the remote key) secret stream over any duplex. */
  export default class NoiseSecretStream extends Duplex {
    constructor (isInitiator: boolean, rawStream: Duplex | null, opts?: { keyPair?: { publicKey: Buffer, secretKey: Buffer }, remotePublicKey?: Buffer })
    readonly isInitiator: boolean
    readonly handshakeHash: Buffer | null
    readonly publicKey: Buffer | null
    readonly remotePublicKey: Buffer | null
    readonly opened: Promise<boolean>
    /** Without a raw stream (null), this one: pipe two of them together in tests. */
    readonly rawStream: Duplex
  }
}

declare module '@hyperswarm/secret-stream/lib/handshake.js' {
  interface Result { data: Buffer | null, tx: Buffer | null, rx: Buffer | null, hash: Buffer | null, remotePublicKey: Buffer | null }
  /** secret-stream's Noise handshake: send() and recv() return the next message (u24le-framed) and, once complete, the split keys; null when it failed. */
  export default class Handshake {
    constructor (isInitiator: boolean, keyPair: { publicKey: Buffer, secretKey: Buffer }, remotePublicKey: Buffer | null, pattern: string)
    send (): Result | null
    recv (data: Buffer): Result | null
  }
}

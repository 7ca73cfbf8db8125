// Secret formats and key derivation (DESIGN.md §3, Secrets).
//
//   read-write  'A' + base32(S)                    S: 32 random bytes, or a passphrase ≥ 16 chars
//   read-only   'B' + base32(R ‖ signPublicKey)    R = kdf(S, 'ro')
//   blind       'C' + base32(E ‖ signPublicKey)    E = kdf(R, 'blind')
//
// Each one is derived one way from the one before, so a node can hand out a weaker secret but
// never recover a stronger one. kdf(key, label) is keyed BLAKE2b-256 of the label.
import sodium from 'sodium-native'
import { ShoalError } from './errors.js'

export type SecretKind = 'read-write' | 'read-only' | 'blind'

export interface KeyPair { publicKey: Buffer, secretKey: Buffer }

export interface NamespaceKeys {
  kind: SecretKind
  /** The canonical secret string ('A…', 'B…' or 'C…'); a passphrase is replaced by its 'A…' form. */
  secret: string
  /** Ed25519 key pair that signs writer drives (read-write only). */
  signKeyPair: KeyPair | null
  signPublicKey: Buffer
  /** R: present for read-write and read-only. */
  readKey: Buffer | null
  /** E: every kind has it. */
  blindKey: Buffer
  /** Swarm topic: what peers announce and look up. Safe to reveal. */
  topic: Buffer
  /** Hypercore block encryption key (read-write and read-only). */
  encryptionKey: Buffer | null
}

export const MIN_PASSPHRASE_LENGTH = 16
const KEY_BYTES = 32
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const PASSPHRASE_SALT = kdf(Buffer.alloc(KEY_BYTES), 'shoal passphrase v1').subarray(0, 16)

/** Keyed BLAKE2b-256: kdf(key, label). */
export function kdf (key: Buffer, label: string): Buffer {
  const out = Buffer.alloc(KEY_BYTES)
  sodium.crypto_generichash(out, Buffer.from(label, 'utf8'), key)
  return out
}

/** RFC 4648 base32, upper case, no padding. */
export function base32Encode (buf: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of buf) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Decodes RFC 4648 base32 (case-insensitive, no padding); null if a character is not base32. */
export function base32Decode (str: string): Buffer | null {
  const out = Buffer.alloc(Math.floor((str.length * 5) / 8))
  let bits = 0
  let value = 0
  let i = 0
  for (const ch of str.toUpperCase()) {
    const v = ALPHABET.indexOf(ch)
    if (v < 0) return null
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[i++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}

const encodedLength = (bytes: number): number => Math.ceil((bytes * 8) / 5)

export function generateSecret (): string {
  const s = Buffer.alloc(KEY_BYTES)
  sodium.randombytes_buf(s)
  return 'A' + base32Encode(s)
}

/** Keys from a read-write key S. */
export function deriveFromReadWrite (s: Buffer): NamespaceKeys {
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, kdf(s, 'sign'))
  const ro = deriveFromReadOnly(kdf(s, 'ro'), publicKey)
  return { ...ro, kind: 'read-write', secret: 'A' + base32Encode(s), signKeyPair: { publicKey, secretKey } }
}

/** Keys from a read-only key R and the signing public key. */
export function deriveFromReadOnly (r: Buffer, signPublicKey: Buffer): NamespaceKeys {
  const blind = deriveFromBlind(kdf(r, 'blind'), signPublicKey)
  return {
    ...blind,
    kind: 'read-only',
    secret: 'B' + base32Encode(Buffer.concat([r, signPublicKey])),
    readKey: r,
    encryptionKey: kdf(r, 'enc')
  }
}

/** Keys from a blind key E and the signing public key. */
export function deriveFromBlind (e: Buffer, signPublicKey: Buffer): NamespaceKeys {
  return {
    kind: 'blind',
    secret: 'C' + base32Encode(Buffer.concat([e, signPublicKey])),
    signKeyPair: null,
    signPublicKey,
    readKey: null,
    blindKey: e,
    topic: kdf(e, 'topic'),
    encryptionKey: null
  }
}

/** Stretches a passphrase into a read-write key (Argon2id, interactive limits, fixed salt). */
export async function stretchPassphrase (passphrase: string): Promise<Buffer> {
  const out = Buffer.alloc(KEY_BYTES)
  await sodium.crypto_pwhash_async(out, Buffer.from(passphrase, 'utf8'), PASSPHRASE_SALT,
    sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
    sodium.crypto_pwhash_ALG_ARGON2ID13)
  return out
}

/**
 * Does this string try to be an encoded secret rather than a passphrase? Base32 characters in one
 * case after 'A', 'B' or 'C': then a wrong length is a truncated or mangled secret, refused, never
 * silently taken as a passphrase for some other namespace.
 */
function looksEncoded (str: string): boolean {
  return /^([ABC][A-Z2-7]+|[abc][a-z2-7]+)$/.test(str) && str.length >= MIN_PASSPHRASE_LENGTH
}

/**
 * Parses any accepted secret: 'A…' (read-write), 'B…' (read-only), 'C…' (blind) or a passphrase of
 * at least 16 characters (read-write). Throws BAD_SECRET with a hint otherwise.
 */
export async function parseSecret (input: string): Promise<NamespaceKeys> {
  const str = input.trim()
  if (str.length === 0) throw ShoalError.badSecret('the secret is empty', 'omit --secret to make a new one')
  if (looksEncoded(str)) return parseEncoded(str)
  if ([...str].length < MIN_PASSPHRASE_LENGTH) {
    throw ShoalError.badSecret(`a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
      'use a longer passphrase, or omit --secret and shoal makes a strong secret for you')
  }
  return deriveFromReadWrite(await stretchPassphrase(str))
}

function parseEncoded (str: string): NamespaceKeys {
  const kind = str[0]?.toUpperCase() as 'A' | 'B' | 'C'
  const bytes = kind === 'A' ? KEY_BYTES : 2 * KEY_BYTES
  const body = str.slice(1)
  const decoded = body.length === encodedLength(bytes) ? base32Decode(body) : null
  if (decoded === null || decoded.length !== bytes || base32Encode(decoded) !== body.toUpperCase()) {
    const what = kind === 'A' ? 'read-write' : kind === 'B' ? 'read-only' : 'blind'
    throw ShoalError.badSecret(`malformed ${what} secret: expected '${kind}' and ${encodedLength(bytes)} base32 characters`,
      'copy the whole secret from `ctl secret NAME` on a node that has it (a passphrase needs a space, a digit 0/1/8/9 or mixed case)')
  }
  if (kind === 'A') return deriveFromReadWrite(decoded)
  const key = decoded.subarray(0, KEY_BYTES)
  const signPublicKey = decoded.subarray(KEY_BYTES)
  return kind === 'B' ? deriveFromReadOnly(key, signPublicKey) : deriveFromBlind(key, signPublicKey)
}

/** The weaker secrets a node may hand out, given what it holds. */
export function readOnlySecret (keys: NamespaceKeys): string | null {
  if (keys.readKey === null) return null
  return 'B' + base32Encode(Buffer.concat([keys.readKey, keys.signPublicKey]))
}

export function blindSecret (keys: NamespaceKeys): string {
  return 'C' + base32Encode(Buffer.concat([keys.blindKey, keys.signPublicKey]))
}

/** Do two key sets name the same namespace with the same rights? */
export function sameSecret (a: NamespaceKeys, b: NamespaceKeys): boolean {
  return a.secret === b.secret
}

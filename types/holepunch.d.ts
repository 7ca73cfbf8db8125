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
  export function crypto_sign_detached (sig: Buffer, msg: Buffer, sk: Buffer): void
  export function crypto_sign_verify_detached (sig: Buffer, msg: Buffer, pk: Buffer): boolean
  export function randombytes_buf (buf: Buffer): void
  export function sodium_memcmp (a: Buffer, b: Buffer): boolean
}

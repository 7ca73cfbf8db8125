import assert from 'node:assert/strict'
import {
  base32Decode, base32Encode, blindSecret, deriveFromReadWrite, generateSecret, kdf, parseSecret, readOnlySecret
} from '../../src/secrets.js'
import { isShoalError } from '../../src/errors.js'

// Fixed vectors: a change of the derivation breaks every existing cluster, so it must break this test.
const S = Buffer.alloc(32, 1)
const A = 'AAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQ'
const B = 'BBL2M7VR2N54WORDWATKBQYHXV3W4UBKXV5VVPYAPF6VYBBXPQLBPDCPD4GRFODYYDRI2SUFFIHNKTXVBG243ZXSU44LZNAFK2PVDAMI'
const C = 'CMU34PFW3IKFNMAXEIVSGHWUXWIRBAIPCCP4JEKDCAWE2E7ATU6U7DCPD4GRFODYYDRI2SUFFIHNKTXVBG243ZXSU44LZNAFK2PVDAMI'
const TOPIC = '6dea49f8cf23746e827406305d0d340360683468a622c364d10d286fdb175d01'
const PASSPHRASE = 'correct horse battery staple'
const PASSPHRASE_A = 'AKAK4CX57U7BM3RRRWAKKHCJO5KTDU6DZUTEGIMTTCSYP44E63LAQ'

const rejects = async (input: string, pattern: RegExp): Promise<void> => {
  await assert.rejects(parseSecret(input), (err: unknown) => isShoalError(err, 'BAD_SECRET') && pattern.test(err.message))
}

describe('secrets', () => {
  it('base32 round-trips every length', () => {
    for (let n = 0; n < 70; n++) {
      const buf = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff))
      assert.deepEqual(base32Decode(base32Encode(buf)), buf)
    }
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI') // RFC 4648 §10, unpadded
    assert.equal(base32Decode('not base32!'), null)
  })

  it('derives the fixed vectors: read-write → read-only → blind → topic', async () => {
    const keys = deriveFromReadWrite(S)
    assert.equal(keys.secret, A)
    assert.equal(readOnlySecret(keys), B)
    assert.equal(blindSecret(keys), C)
    assert.equal(keys.topic.toString('hex'), TOPIC)
    assert.equal(kdf(S, 'ro').toString('hex'), kdf(Buffer.alloc(32, 1), 'ro').toString('hex'))
  })

  it('parses each kind and derives the same namespace from each', async () => {
    const rw = await parseSecret(A)
    const ro = await parseSecret(B)
    const blind = await parseSecret(C)
    assert.equal(rw.kind, 'read-write')
    assert.equal(ro.kind, 'read-only')
    assert.equal(blind.kind, 'blind')
    for (const k of [ro, blind]) {
      assert.deepEqual(k.topic, rw.topic)
      assert.deepEqual(k.signPublicKey, rw.signPublicKey)
      assert.equal(k.signKeyPair, null)
    }
    assert.deepEqual(ro.encryptionKey, rw.encryptionKey)
    assert.equal(blind.encryptionKey, null)
    assert.equal(blind.readKey, null)
    assert.equal(readOnlySecret(blind), null)
    assert.equal((await parseSecret(A.toLowerCase())).secret, A, 'base32 is case-insensitive')
  })

  it('stretches a passphrase of 16+ characters to a fixed read-write secret', async () => {
    const keys = await parseSecret(PASSPHRASE)
    assert.equal(keys.kind, 'read-write')
    assert.equal(keys.secret, PASSPHRASE_A)
    assert.equal((await parseSecret('  ' + PASSPHRASE + ' ')).secret, PASSPHRASE_A, 'surrounding blanks are ignored')
  })

  it('refuses short passphrases and malformed secrets with a clear message', async () => {
    await rejects('', /empty/)
    await rejects('too short', /at least 16/)
    await rejects('fifteen chars!!', /at least 16/)
    await rejects(A.slice(0, -1), /malformed read-write secret/)
    await rejects(A + 'A', /malformed read-write secret/)
    await rejects(B.slice(0, -2), /malformed read-only secret/)
    await rejects(C + 'QQ', /malformed blind secret/)
    await rejects(A.slice(0, -1) + 'B', /malformed read-write secret/) // non-zero padding bits
    await rejects(A.slice(0, 20), /malformed read-write secret/) // truncated: never a passphrase
    await rejects('CORRECTHORSEBATTERYSTAPLE', /malformed blind secret/)
    assert.equal((await parseSecret('Correcthorsebatterystaple')).kind, 'read-write', 'mixed case is a passphrase')
  })

  it('generates distinct, valid read-write secrets', async () => {
    const a = generateSecret()
    const b = generateSecret()
    assert.notEqual(a, b)
    assert.match(a, /^A[A-Z2-7]{52}$/)
    assert.equal((await parseSecret(a)).secret, a)
  })
})

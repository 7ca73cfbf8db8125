import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { admissionMac, headsApplied, signDrive, verifyDrive, type PeerInfo } from '../../src/engine/peers.js'
import { blindSecret, deriveFromReadWrite, parseSecret } from '../../src/secrets.js'

describe('engine/peers admission', () => {
  const keys = deriveFromReadWrite(randomBytes(32))
  const other = deriveFromReadWrite(randomBytes(32))

  it('a drive record signed by the namespace key verifies, for blind nodes too', async () => {
    const rec = signDrive(keys, randomBytes(32), randomBytes(32))
    assert.equal(verifyDrive(keys, rec), true)
    assert.equal(verifyDrive(await parseSecret(blindSecret(keys)), rec), true)
  })

  it('unsigned, forged or tampered records are refused', () => {
    const rec = signDrive(keys, randomBytes(32), randomBytes(32))
    assert.equal(verifyDrive(other, rec), false)
    assert.equal(verifyDrive(keys, { ...rec, key: randomBytes(32) }), false)
    assert.equal(verifyDrive(keys, { ...rec, blobs: randomBytes(32) }), false)
    assert.equal(verifyDrive(keys, { ...rec, sig: Buffer.alloc(64) }), false)
    assert.equal(verifyDrive(keys, signDrive(other, rec.key, rec.blobs)), false)
  })

  it('only a read-write node can sign', () => {
    assert.throws(() => signDrive({ ...keys, signKeyPair: null }, randomBytes(32), randomBytes(32)))
  })

  it('the admission MAC binds the namespace, the connection and the side', () => {
    const hh = randomBytes(64)
    const mac = admissionMac(keys, hh, true)
    assert.deepEqual(admissionMac(keys, hh, true), mac)
    assert.notDeepEqual(admissionMac(keys, hh, false), mac, 'the other side cannot echo ours back')
    assert.notDeepEqual(admissionMac(keys, randomBytes(64), true), mac, 'no replay on another connection')
    assert.notDeepEqual(admissionMac(other, hh, true), mac, 'another namespace')
  })
})

describe('headsApplied (ctl wait)', () => {
  const peer = (admitted: boolean, heads: Array<[string, number]>, since = 0): PeerInfo => ({ id: 'p', address: null, admitted, since, heads: new Map(heads) })
  const have = (m: Record<string, number>) => (key: string): number | null => m[key] ?? null

  it('waits until every admitted writer head is applied', () => {
    const peers = [peer(true, [['k1', 5]]), peer(true, [['k2', 3]])]
    assert.equal(headsApplied(peers, true, have({ k1: 5, k2: 2 })), false)
    assert.equal(headsApplied(peers, true, have({ k1: 5, k2: 3 })), true)
    assert.equal(headsApplied(peers, true, have({ k1: 5 })), false, 'a drive not followed yet')
  })

  it('gives a fresh connection time to prove itself, then counts it out', () => {
    const now = 10_000
    assert.equal(headsApplied([peer(false, [], now - 100)], true, have({}), now), false)
    assert.equal(headsApplied([peer(false, [], now - 5000)], true, have({}), now), true)
  })

  it('alone: only after the first discovery ran', () => {
    assert.equal(headsApplied([], false, have({})), false)
    assert.equal(headsApplied([], true, have({})), true)
  })
})

import assert from 'node:assert/strict'
import { NfsError, NfsStatus } from '../../../src/nfs/errors.js'
import { decodeFh, encodeFh, FH_LEN, PSEUDO_ROOT } from '../../../src/nfs/fh.js'
import { AllowList } from '../../../src/nfs/allow.js'
import { checkName } from '../../../src/nfs/vfs/names.js'

const status = (fn: () => unknown): NfsStatus | undefined => {
  try { fn() } catch (err) { return err instanceof NfsError ? err.status : undefined }
  return NfsStatus.OK
}

describe('nfs/fh and names', () => {
  it('encodes a versioned handle and decodes it back', () => {
    const h = { index: 7, ino: 123456789012n, gen: 0xfeedbeef }
    const b = encodeFh(h)
    assert.equal(b.length, FH_LEN)
    assert.deepEqual(decodeFh(b), h)
    assert.deepEqual(decodeFh(encodeFh(PSEUDO_ROOT)), PSEUDO_ROOT)
  })

  it('refuses foreign or damaged handles as BADHANDLE', () => {
    const b = encodeFh({ index: 1, ino: 5n, gen: 0 })
    assert.equal(status(() => decodeFh(b.subarray(1))), NfsStatus.BADHANDLE)
    const v = Buffer.from(b); v[0] = 9
    assert.equal(status(() => decodeFh(v)), NfsStatus.BADHANDLE)
    const f = Buffer.from(b); f[1] = 1 // pseudo flag on a real export
    assert.equal(status(() => decodeFh(f)), NfsStatus.BADHANDLE)
  })

  it('checks names the way RFC 7530 §12.7 asks', () => {
    assert.equal(checkName(Buffer.from('ok name.txt')), 'ok name.txt')
    assert.equal(status(() => checkName(Buffer.alloc(0))), NfsStatus.INVAL)
    assert.equal(status(() => checkName(Buffer.from('..'))), NfsStatus.BADNAME)
    assert.equal(status(() => checkName(Buffer.from('.'))), NfsStatus.BADNAME)
    assert.equal(status(() => checkName(Buffer.from('a/b'))), NfsStatus.BADCHAR)
    assert.equal(status(() => checkName(Buffer.from('a\0b'))), NfsStatus.BADCHAR)
    assert.equal(status(() => checkName(Buffer.alloc(256, 0x61))), NfsStatus.NAMETOOLONG)
    assert.equal(status(() => checkName(Buffer.from([0xff, 0xfe]))), NfsStatus.INVAL)
  })

  it('allows connections by CIDR, IPv4, mapped IPv4 and IPv6', () => {
    const a = new AllowList(['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8'])
    assert.ok(a.allows('127.0.0.1'))
    assert.ok(a.allows('::ffff:127.0.0.1'))
    assert.ok(a.allows('10.1.200.3'))
    assert.ok(a.allows('fd12::1'))
    assert.ok(!a.allows('10.2.0.1'))
    assert.ok(!a.allows('::1'))
    assert.ok(!a.allows(undefined))
    assert.throws(() => new AllowList(['nonsense']))
    assert.throws(() => new AllowList(['10.0.0.0/33']))
  })
})

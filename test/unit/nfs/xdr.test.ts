import assert from 'node:assert/strict'
import { XdrError } from '../../../src/nfs/errors.js'
import { RecordReader, recordMark } from '../../../src/nfs/rpc/record.js'
import { XdrReader } from '../../../src/nfs/xdr/reader.js'
import { XdrWriter } from '../../../src/nfs/xdr/writer.js'

describe('nfs/xdr', () => {
  it('round-trips every item type big-endian with padding', () => {
    const w = new XdrWriter(4)
    w.u32(0xdeadbeef).i32(-2).u64(0x0102030405060708n).i64(-5n).bool(true).opaque(Buffer.from('abcde')).string('hé')
    const b = w.toBuffer()
    assert.equal(b.readUInt32BE(0), 0xdeadbeef)
    assert.equal(b.length, 4 + 4 + 8 + 8 + 4 + (4 + 8) + (4 + 4))
    const r = new XdrReader(b)
    assert.equal(r.u32(), 0xdeadbeef)
    assert.equal(r.i32(), -2)
    assert.equal(r.u64(), 0x0102030405060708n)
    assert.equal(r.i64(), -5n)
    assert.equal(r.bool(), true)
    assert.equal(r.opaque(16).toString(), 'abcde')
    assert.equal(r.string(16), 'hé')
    assert.equal(r.remaining, 0)
  })

  it('keeps large opaques by reference (no copy) and pads them', () => {
    const big = Buffer.alloc(5001, 7)
    const w = new XdrWriter().u32(1).opaque(big).u32(2)
    const chunks = w.chunks()
    assert.ok(chunks.includes(big))
    const r = new XdrReader(w.toBuffer())
    assert.equal(r.u32(), 1)
    assert.ok(r.opaque(10_000).equals(big))
    assert.equal(r.u32(), 2)
  })

  it('bounds every variable-length read', () => {
    const b = new XdrWriter().u32(100).toBuffer()
    assert.throws(() => new XdrReader(b).opaque(99), XdrError)
    assert.throws(() => new XdrReader(b).opaque(1000), XdrError) // truncated
    assert.throws(() => new XdrReader(new XdrWriter().u32(0xffffffff).toBuffer()).array(16, (r) => r.u32()), XdrError)
    assert.throws(() => new XdrReader(Buffer.alloc(3)).u32(), XdrError)
    assert.throws(() => new XdrReader(new XdrWriter().u32(2).toBuffer()).bool(), XdrError)
  })

  it('reassembles records split anywhere and across fragments', () => {
    const body = Buffer.from('0123456789abcdef')
    const frag1 = Buffer.concat([Buffer.from([0, 0, 0, 6]), body.subarray(0, 6)])
    const frag2 = Buffer.concat([recordMark(10), body.subarray(6)])
    const stream = Buffer.concat([frag1, frag2, recordMark(4), Buffer.from('wxyz')])
    for (let cut = 1; cut < stream.length; cut++) {
      const rr = new RecordReader(1024)
      const got = [...rr.push(stream.subarray(0, cut)), ...rr.push(stream.subarray(cut))]
      assert.deepEqual(got.map((g) => g.toString()), ['0123456789abcdef', 'wxyz'], `cut at ${cut}`)
    }
    const rr = new RecordReader(1024)
    const got: Buffer[] = []
    for (const byte of stream) got.push(...rr.push(Buffer.from([byte])))
    assert.equal(got.length, 2)
  })

  it('refuses a record over the cap before buffering it', () => {
    const rr = new RecordReader(1000)
    assert.throws(() => rr.push(recordMark(1001)), XdrError)
    const r2 = new RecordReader(1000)
    r2.push(Buffer.concat([Buffer.from([0, 0, 2, 0]), Buffer.alloc(512)]))
    assert.throws(() => r2.push(Buffer.from([0x80, 0, 2, 0])), XdrError) // 512 + 512 > 1000
  })
})

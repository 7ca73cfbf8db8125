import assert from 'node:assert/strict'
import { XdrReader } from '../../../src/nfs/xdr/reader.js'
import { XdrWriter } from '../../../src/nfs/xdr/writer.js'
import { startNfs, type TestNfs } from '../../helpers/nfs.js'
import { RawClient } from '../../helpers/nfs-client.js'

/** Decodes an RPC reply header (RFC 5531 §9) into [reply_stat, accept_or_reject_stat, …rest words]. */
function header (reply: Buffer): number[] {
  const r = new XdrReader(reply)
  r.u32(); assert.equal(r.u32(), 1)
  const stat = r.u32()
  if (stat === 1) return [1, r.u32(), r.u32(), ...(r.remaining >= 4 ? [r.u32()] : [])]
  r.u32(); r.opaque(400)
  const accept = r.u32()
  return accept === 2 ? [0, accept, r.u32(), r.u32()] : [0, accept]
}

function call (xid: number, prog: number, vers: number, proc: number, opts: { rpcvers?: number, flavor?: number, body?: Buffer } = {}): Buffer {
  const w = new XdrWriter()
  w.u32(xid).u32(0).u32(opts.rpcvers ?? 2).u32(prog).u32(vers).u32(proc)
  w.u32(opts.flavor ?? 0).opaque(Buffer.alloc(0)).u32(0).opaque(Buffer.alloc(0))
  if (opts.body) w.fixed(opts.body)
  return w.toBuffer()
}

describe('nfs/rpc', () => {
  let t: TestNfs
  let c: RawClient
  before(async () => { t = await startNfs(['data']); c = await RawClient.connect(t.port) })
  after(async () => { c.close(); await t.close() })

  it('answers NULL with AUTH_NONE and AUTH_SYS', async () => {
    assert.deepEqual(header(await c.send(call(1, 100003, 4, 0))), [0, 0])
    assert.deepEqual(header(await c.call(100003, 4, 0, Buffer.alloc(0))), [0, 0])
  })

  it('PROG_UNAVAIL, PROG_MISMATCH (3..4), PROC_UNAVAIL, GARBAGE_ARGS', async () => {
    assert.deepEqual(header(await c.send(call(2, 100021, 4, 0))), [0, 1]) // NLM: not served
    assert.deepEqual(header(await c.send(call(3, 100003, 2, 0))), [0, 2, 3, 4])
    assert.deepEqual(header(await c.send(call(4, 100003, 4, 9))), [0, 3])
    assert.deepEqual(header(await c.send(call(5, 100003, 4, 1, { body: Buffer.from([0, 0, 0, 9]) }))), [0, 4])
  })

  it('RPC_MISMATCH for rpcvers ≠ 2 and AUTH_ERROR for an unknown flavor', async () => {
    assert.deepEqual(header(await c.send(call(6, 100003, 4, 0, { rpcvers: 3 }))), [1, 0, 2, 2])
    assert.deepEqual(header(await c.send(call(7, 100003, 4, 0, { flavor: 6 }))), [1, 1, 1])
  })

  it('closes a connection that sends something that is not a call, and keeps serving others', async () => {
    const bad = await RawClient.connect(t.port)
    const reply = bad.send(Buffer.from([0, 0, 0, 8, 0, 0, 0, 1])).catch(() => Buffer.alloc(0))
    await bad.closed
    assert.equal((await reply).length, 0)
    assert.deepEqual(header(await c.send(call(8, 100003, 4, 0))), [0, 0])
  })
})

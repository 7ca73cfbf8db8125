import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import c from 'compact-encoding'
import Protomux from 'protomux'
import sodium from 'sodium-native'
import { claimFrame, MAX_PLAINTEXT, returnFrame, SideStream, SideStreamError } from '../../src/engine/side-stream.js'
import type { KeyPair } from '../../src/secrets.js'


const crypto = {
  keyPair (): KeyPair {
    const k = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }
    sodium.crypto_sign_keypair(k.publicKey, k.secretKey)
    return k
  }
}

/** A listening socket on loopback; `through` (optional) sits between dialer and listener. */
async function pair (opts: { through?: (fromDialer: Buffer) => Buffer | null, keys?: [KeyPair, KeyPair], expect?: Buffer, dial?: boolean } = {}): Promise<{ a: SideStream, b: SideStream, sent: Buffer[], inject: (bytes: Buffer) => void, close: () => Promise<void> }> {
  const [ka, kb] = opts.keys ?? [crypto.keyPair(), crypto.keyPair()]
  let accepted: (s: net.Socket) => void = () => {}
  const got = new Promise<net.Socket>((resolve) => { accepted = resolve })
  const server = net.createServer((s) => { accepted(s) })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as net.AddressInfo).port
  let proxy: net.Server | null = null
  let dialPort = port
  const through = opts.through
  const sent: Buffer[] = []
  let toB: net.Socket | null = null
  if (through !== undefined) {
    proxy = net.createServer((from) => {
      const to = toB = net.connect(port, '127.0.0.1')
      from.on('data', (d: Buffer) => { sent.push(Buffer.from(d)); const out = through(d); if (out !== null) to.write(out) })
      to.pipe(from)
      from.on('error', () => {}); to.on('error', () => {})
      from.on('close', () => to.destroy()); to.on('close', () => from.destroy())
    })
    await new Promise<void>((resolve) => { proxy?.listen(0, '127.0.0.1', resolve) })
    dialPort = (proxy.address() as net.AddressInfo).port
  }
  // dial: the dialer made by SideStream.connect (reads into its frames); else around a plain socket.
  const a = opts.dial === true
    ? SideStream.connect(dialPort, '127.0.0.1', { keyPair: ka, remotePublicKey: opts.expect ?? kb.publicKey })
    : new SideStream(true, net.connect(dialPort, '127.0.0.1'), { keyPair: ka, remotePublicKey: opts.expect ?? kb.publicKey })
  const b = new SideStream(false, await got, { keyPair: kb })
  a.on('error', () => {}); b.on('error', () => {})
  return {
    a,
    b,
    sent,
    inject: (bytes) => { toB?.write(bytes) },
    close: async () => {
      a.destroy(); b.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
      if (proxy !== null) await new Promise<void>((resolve) => { proxy?.close(() => { resolve() }) })
    }
  }
}

/** Collects what `s` delivers until it has `n` messages. */
function take (s: SideStream, n: number): Promise<Buffer[]> {
  const out: Buffer[] = []
  return new Promise((resolve, reject) => {
    s.on('data', (m: Buffer) => { out.push(Buffer.from(m)); if (out.length === n) resolve(out) })
    s.on('close', () => { if (out.length < n) reject(new Error(`closed after ${out.length} of ${n} messages`)) })
  })
}

const closed = (s: SideStream): Promise<Error | null> => new Promise((resolve) => {
  let err: Error | null = null
  s.on('error', (e: Error) => { err = e })
  s.on('close', () => { resolve(err) })
})

describe('side stream: the side link\'s encrypted framing', () => {
  it('both ends authenticate each other\'s swarm key and agree on the handshake hash', async () => {
    const ka = crypto.keyPair(); const kb = crypto.keyPair()
    const { a, b, close } = await pair({ keys: [ka, kb] })
    try {
      assert.equal(await a.opened, true)
      assert.equal(await b.opened, true)
      assert.deepEqual(a.remotePublicKey, kb.publicKey)
      assert.deepEqual(b.remotePublicKey, ka.publicKey)
      assert.ok(a.handshakeHash !== null && a.handshakeHash.equals(b.handshakeHash as Buffer))
    } finally { await close() }
  })

  for (const dial of [false, true]) {
    const how = dial ? ' (dialer reads into its frames: SideStream.connect)' : ''
    it(`delivers messages of every size whole and in order, both ways, also when many large ones are in flight${how}`, async () => {
      const { a, b, close } = await pair({ dial })
      try {
        await a.opened; await b.opened
        const sizes = [0, 1, 17, 65535, 65536, 65537, 300_000, MAX_PLAINTEXT, 5, 1 << 20]
        // 24 distinct 1 MiB messages written without waiting: the sender's pooled frames are reused
        // while earlier ones may still be in the socket; any early reuse would corrupt one.
        for (let i = 0; i < 24; i++) sizes.push(1 << 20)
        const msgs = sizes.map((n) => randomBytes(n))
        const atB = take(b, msgs.length)
        const atA = take(a, msgs.length)
        for (const m of msgs) { a.write(m); b.write(m) }
        for (const got of [await atB, await atA]) {
          assert.equal(got.length, msgs.length)
          got.forEach((m, i) => { assert.ok(m.equals(msgs[i] as Buffer), `message ${i} (${msgs[i]?.length} bytes) differs`) })
        }
      } finally { await close() }
    })

    it(`carries a Protomux channel, writing large messages in place from alloc()${how}`, async () => {
      const { a, b, close } = await pair({ dial })
      try {
        const chunks = Array.from({ length: 40 }, () => randomBytes(1 << 20))
        const want = createHash('sha256'); for (const x of chunks) want.update(x)
        const done = new Promise<string>((resolve) => {
          const h = createHash('sha256')
          let n = 0
          const ch = Protomux.from(b).createChannel({ protocol: 't' })
          ch?.addMessage({ encoding: c.raw, onmessage: (m: Buffer) => { h.update(m); if (++n === chunks.length) resolve(h.digest('hex')) } })
          ch?.open()
        })
        const ch = Protomux.from(a).createChannel({ protocol: 't' })
        const msg = ch?.addMessage({ encoding: c.raw, onmessage: () => {} })
        ch?.open()
        for (const x of chunks) msg?.send(x)
        assert.equal(await done, want.digest('hex'))
      } finally { await close() }
    })
    it(`a large frame received is reused once its one claimant returns it, never before, and never when shared${how}`, async () => {
      const { a, b, close } = await pair({ dial })
      try {
        // B claims every message of the first type; one size is claimed twice (as if two consumers held it).
        const TWICE = (1 << 20) + 1
        const got: Array<{ m: Buffer, copy: Buffer }> = []
        let wanted = 0
        let arrived: () => void = () => {}
        const rx = Protomux.from(b).createChannel({ protocol: 't' })
        rx?.addMessage({
          encoding: c.raw,
          onmessage: (m: Buffer) => {
            claimFrame(m)
            if (m.length === TWICE) claimFrame(m)
            got.push({ m, copy: Buffer.from(m) })
            if (got.length === wanted) arrived()
          }
        })
        // Another message type keeps its bytes without claiming them.
        rx?.addMessage({
          encoding: c.raw,
          onmessage: (m: Buffer) => {
            got.push({ m, copy: Buffer.from(m) })
            if (got.length === wanted) arrived()
          }
        })
        rx?.open()
        const tx = Protomux.from(a).createChannel({ protocol: 't' })
        const msg = tx?.addMessage({ encoding: c.raw, onmessage: () => {} })
        const unclaimed = tx?.addMessage({ encoding: c.raw, onmessage: () => {} })
        tx?.open()
        const send = async (sizes: number[], batch = false): Promise<Array<{ m: Buffer, copy: Buffer }>> => {
          const from = got.length
          wanted = from + sizes.length
          const done = new Promise<void>((resolve) => { arrived = resolve })
          if (batch) tx?.cork()
          for (const [i, n] of sizes.entries()) (batch && i === 1 ? unclaimed : msg)?.send(randomBytes(n))
          if (batch) tx?.uncork()
          await done
          return got.slice(from)
        }
        const first = await send([1 << 20, 1 << 20, 1 << 20, 1 << 20])
        assert.equal(new Set(first.map((g) => g.m.buffer)).size, 4, 'frames held are not reused')
        const shared = [...await send([TWICE]), ...await send([40_000, 40_000], true)] // a batch: claimed + unclaimed
        assert.equal(shared[1]!.m.buffer, shared[2]!.m.buffer, 'the batch came in one frame')
        for (const g of shared) returnFrame(g.m)
        returnFrame(first[0]!.m); returnFrame(first[1]!.m)
        returnFrame(first[1]!.m) // twice: the second does nothing
        const second = await send([1 << 20, 1 << 20, 1 << 20, 1 << 20])
        const reused = second.map((g) => g.m.buffer)
        assert.ok(reused.includes(first[0]!.m.buffer) && reused.includes(first[1]!.m.buffer), 'returned frames are reused')
        assert.equal(new Set(reused).size, 4, 'a frame returned twice is handed out once')
        for (const g of [...first.slice(2), ...shared]) {
          assert.ok(!reused.includes(g.m.buffer), 'a frame held, claimed twice or shared by a batch is not reused')
          assert.ok(g.m.equals(g.copy), 'its bytes are intact')
        }
        for (const g of second) assert.ok(g.m.equals(g.copy))
      } finally { await close() }
    })
  }

  it('refuses a message larger than a frame', async () => {
    const { a, close } = await pair()
    try {
      await a.opened
      const err = closed(a)
      a.write(Buffer.alloc(MAX_PLAINTEXT + 1))
      assert.ok((await err) instanceof SideStreamError)
    } finally { await close() }
  })

  it('a changed byte on the wire ends the stream and delivers nothing of that frame', async () => {
    let seen = 0
    // Flip one byte well after the handshake (the first ~300 bytes): inside the first data frame.
    const { a, b, close } = await pair({
      through: (d) => {
        const out = Buffer.from(d)
        for (let i = 0; i < out.length; i++) if (seen + i === 5000) out[i] = (out[i] as number) ^ 1
        seen += d.length
        return out
      }
    })
    try {
      await a.opened
      const got: Buffer[] = []
      b.on('data', (m: Buffer) => { got.push(m) })
      const err = closed(b)
      a.write(randomBytes(100_000))
      const e = await err
      assert.ok(e instanceof SideStreamError && /authentication/.test(e.message), String(e))
      assert.equal(got.length, 0)
    } finally { await close() }
  })

  it('a replayed frame fails its tag (nonces count frames)', async () => {
    const { a, b, sent, inject, close } = await pair({ through: (d) => d })
    try {
      await a.opened
      const got: Buffer[] = []
      const first = new Promise<void>((resolve) => { b.on('data', (m: Buffer) => { got.push(Buffer.from(m)); resolve() }) })
      const err = closed(b)
      a.write(Buffer.from('once'))
      await first
      // The last 24 bytes the dialer sent are that frame: 4 length bytes, 4 of message, 16 of tag.
      inject(Buffer.concat(sent).subarray(-24))
      const e = await err
      assert.ok(e instanceof SideStreamError && /authentication/.test(e.message), String(e))
      assert.deepEqual(got.map(String), ['once'])
    } finally { await close() }
  })

  it('garbage instead of a handshake, or a frame length beyond the limit, closes the stream', async () => {
    for (const junk of [randomBytes(4000), Buffer.from([0xff, 0xff, 0xff, 0x7f])]) {
      const kb = crypto.keyPair()
      const server = net.createServer()
      await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
      const accepted = new Promise<net.Socket>((resolve) => { server.once('connection', resolve) })
      const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
      raw.on('error', () => {})
      const b = new SideStream(false, await accepted, { keyPair: kb })
      const err = closed(b)
      raw.write(junk)
      assert.ok((await err) instanceof SideStreamError)
      assert.equal(await b.opened, false)
      raw.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  })

  it('after the handshake, a frame length beyond the limit closes the stream before anything is allocated for it', async () => {
    const { a, b, inject, close } = await pair({ through: (d) => d })
    try {
      await a.opened; await b.opened
      const err = closed(b)
      inject(Buffer.from([0xff, 0xff, 0xff, 0x7f]))
      const e = await err
      assert.ok(e instanceof SideStreamError && /frame length/.test(e.message), String(e))
    } finally { await close() }
  })

  it('a dialer that expected another key ends the handshake: neither end opens, the dialer says why', async () => {
    const other = crypto.keyPair().publicKey
    const kb = crypto.keyPair()
    const { a, b, close } = await pair({ keys: [crypto.keyPair(), kb], expect: other })
    try {
      const err = closed(a)
      assert.equal(await a.opened, false)
      const e = await err
      assert.ok(e instanceof SideStreamError && /another swarm key/.test(e.message), String(e))
      assert.equal(await b.opened, false, 'the other end never completes the handshake either')
      assert.equal(a.remotePublicKey, null)
    } finally { await close() }
  })

})

// Bad peers: garbage on the wire, a drive record not signed by the namespace key (from a peer that
// holds the read-only secret, so it passes admission), a read-only daemon that edits its folder, a
// daemon with the wrong secret. None of them is admitted to write anywhere; nothing changes on the
// honest nodes, which keep replicating with each other.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import c from 'compact-encoding'
import Hyperdrive from 'hyperdrive'
import Protomux from 'protomux'
import sodium from 'sodium-native'
import { admissionMac, type Connection } from '../../src/engine/peers.js'
import { Store } from '../../src/engine/store.js'
import { Swarm } from '../../src/engine/swarm.js'
import { silentLogger } from '../../src/log.js'
import { kdf, parseSecret, type NamespaceKeys } from '../../src/secrets.js'
import type { TestDaemon } from '../helpers/daemon.js'
import { digest, folderOf, joinAll, loopbackCluster, statusOf } from '../helpers/cluster.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'
import { until } from '../helpers/tmp.js'

const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '')
const PROTOCOL = 'shoal/namespace/v1'

type Attack = 'garbage' | 'forged-drive'

/** An in-process peer on the cluster's DHT that attacks every connection it gets on the topic. */
async function rogue (teardown: (fn: () => unknown) => void, bootstrap: string, keys: NamespaceKeys, attack: Attack): Promise<{ attacked: () => number, refused: () => number }> {
  const dir = await tmpDir(teardown, 'shoal-rogue-')
  const store = new Store(join(dir, 'store'), silentLogger)
  await store.open()
  teardown(async () => { await store.close() })
  const swarm = new Swarm(store.corestore, { bootstrap: [bootstrap], refreshMs: 1000, keyPair: await store.keyPair('swarm') }, silentLogger)
  await swarm.open()
  teardown(async () => { await swarm.close() })
  // A real drive, which the rogue signs with a key of its own.
  const drive = new Hyperdrive(store.corestore.namespace('evil'), { encryptionKey: keys.encryptionKey })
  await drive.ready()
  teardown(async () => { await drive.close() })
  const blobs = await drive.getBlobs()
  const fake = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }
  sodium.crypto_sign_seed_keypair(fake.publicKey, fake.secretKey, randomBytes(32))
  const signed = Buffer.concat([Buffer.from('shoal drive record v1\0'), keys.signPublicKey, drive.key, blobs?.core.key ?? Buffer.alloc(32)])
  const sig = Buffer.alloc(64)
  sodium.crypto_sign_detached(sig, signed, fake.secretKey)
  let attacked = 0
  let refused = 0

  swarm.on('connection', (conn: Connection) => {
    void (async () => {
      if (conn.handshakeHash === null && !(await conn.opened)) return
      const hh = conn.handshakeHash as Buffer
      conn.on('close', () => { refused++ })
      const mux = Protomux.from(conn as never)
      let sent = false
      const ch = mux.createChannel<Buffer>({
        protocol: PROTOCOL,
        id: kdf(keys.blindKey, 'channel'),
        handshake: c.fixed32,
        onopen: () => { send() },
        onclose: () => { if (attack === 'garbage') refused++ }
      })
      if (ch === null) return
      const rec = ch.addMessage({ encoding: c.raw, onmessage: () => {} })
      const head = ch.addMessage({ encoding: c.raw, onmessage: () => {} })
      attacked++
      // Sent once the honest side opened its end (or after a second): before that, protomux only buffers.
      const send = (): void => {
        if (sent) return
        sent = true
        if (attack === 'garbage') {
          for (let i = 0; i < 50; i++) { rec.send(randomBytes(i * 7)); head.send(randomBytes(i)) }
          mux.createChannel({ protocol: 'garbage/' + randomBytes(4).toString('hex') })?.open()
          // Then bytes that are not even protomux frames, inside the encrypted stream.
          for (let i = 0; i < 20; i++) (conn as unknown as { write: (b: Buffer) => void }).write(randomBytes(1 + i * 31))
        } else {
          rec.send(Buffer.concat([drive.key, blobs?.core.key ?? Buffer.alloc(32), sig])) // not signed by the namespace key
          head.send(Buffer.concat([drive.key, Buffer.from([5])]))
          rec.send(randomBytes(128)) // a record of random bytes
        }
      }
      // The garbage peer's MAC proves nothing; the forger knows the read-only secret, so it is admitted.
      ch.open(attack === 'garbage' ? randomBytes(32) : admissionMac(keys, hh, conn.isInitiator))
      setTimeout(send, 1000).unref()
    })().catch(() => {})
  })
  swarm.join(keys.topic)
  return { attacked: () => attacked, refused: () => refused }
}

describe('faults: bad peers are admitted nowhere', function () {
  this.timeout(150_000)
  const teardown = useTeardown()

  it('garbage, an unsigned drive, a read-only editor and a wrong secret change nothing on the honest nodes', async () => {
    const cluster = await loopbackCluster(teardown, 3)
    const [a, b, r] = cluster.nodes as [TestDaemon, TestDaemon, TestDaemon]
    const secret = await joinAll([a, b], 'shared')
    const keys = await parseSecret(secret)
    const ro = (await a.ctl('secret', '--read-only', 'shared')).stdout.trim()
    assert.equal((await r.ctl('add', `--secret=${ro}`, 'shared')).code, 0)
    // The wrong-secret node shares another namespace with a, so they are connected.
    const w = await cluster.start()
    assert.equal((await w.ctl('add', 'shared')).code, 0, 'its own, different secret')
    const common = (await a.ctl('add', 'common')).stdout.trim()
    assert.equal((await w.ctl('add', `--secret=${common}`, 'common')).code, 0)

    await writeFile(folderOf(a, 'shared', 'doc.txt'), 'original')
    await writeFile(folderOf(b, 'shared', 'keep.txt'), 'keep me')
    for (const d of [a, b, r]) {
      await until(async () => (await read(folderOf(d, 'shared', 'doc.txt'))) === 'original' && (await read(folderOf(d, 'shared', 'keep.txt'))) === 'keep me', 'first files everywhere', 30_000)
    }
    await until(async () => (await statusOf(w, 'common')).peers === 1, 'w connected to a (common)', 30_000, 50)
    const before = await digest(folderOf(a, 'shared'))

    const garbage = await rogue(teardown, cluster.bootstrap, keys, 'garbage')
    const roKeys = await parseSecret(ro)
    const forged = await rogue(teardown, cluster.bootstrap, roKeys, 'forged-drive')
    // The read-only node edits, adds and deletes; the wrong-secret node writes its own files.
    await writeFile(folderOf(r, 'shared', 'doc.txt'), 'edited on the read-only node')
    await writeFile(folderOf(r, 'shared', 'ro-new.txt'), 'new on the read-only node')
    await rm(folderOf(r, 'shared', 'keep.txt'))
    await writeFile(folderOf(w, 'shared', 'doc.txt'), 'from the wrong secret')
    await writeFile(folderOf(w, 'shared', 'w-new.txt'), 'from the wrong secret')

    await until(() => garbage.attacked() >= 2 && forged.attacked() >= 2, 'both rogues reached the honest nodes', 30_000, 50)
    await until(() => garbage.refused() >= 2, 'the garbage peer refused (channel or connection closed)', 30_000, 50)
    await until(() => /bad signature/.test(a.log + b.log + r.log), 'the unsigned drive refused', 30_000, 50)
    console.log(`      garbage: ${garbage.attacked()} connections attacked, ${garbage.refused()} closed by the honest side; admission failures logged: ${(a.log + b.log + r.log).split('failed namespace admission').length - 1}`)

    // The honest nodes still replicate with each other, and only with each other.
    await writeFile(folderOf(b, 'shared', 'after.txt'), 'honest write after the attacks')
    await until(async () => (await read(folderOf(a, 'shared', 'after.txt'))) === 'honest write after the attacks', 'b → a after the attacks', 30_000)
    await until(async () => (await read(folderOf(r, 'shared', 'after.txt'))) === 'honest write after the attacks', 'b → read-only r after the attacks', 30_000)
    for (const d of [a, b]) {
      assert.ok(d.running, 'still running')
      assert.equal((await d.ctl('wait', '--timeout=20', 'shared')).code, 0)
      const now = await digest(folderOf(d, 'shared'))
      now.delete('after.txt')
      assert.deepEqual([...now], [...before], `${d.dataPath}: nothing else changed`)
      const st = await statusOf(d, 'shared')
      // Admitted as readers: the other honest node, the read-only node, and the forger (it holds the
      // read-only secret, so it may read, like any read-only node; its drive is never followed).
      assert.equal(st.peers, 3, 'nobody without a secret is admitted')
      assert.equal(st.error, null)
    }
    assert.deepEqual((await readdir(folderOf(w, 'shared'))).sort(), ['doc.txt', 'w-new.txt'], 'the wrong-secret node got nothing')
    assert.equal((await statusOf(w, 'shared')).peers, 0, 'the wrong-secret node is admitted nowhere')
    assert.equal(await read(folderOf(r, 'shared', 'doc.txt')), 'edited on the read-only node', 'the read-only node keeps its local edit locally')
  })
})

import assert from 'node:assert/strict'
import { NfsError, NfsStatus } from '../../../src/nfs/errors.js'
import { LEASE_SECONDS } from '../../../src/nfs/v4/consts.js'
import { ClientTable } from '../../../src/nfs/v4/state/clients.js'
import { OpenTable } from '../../../src/nfs/v4/state/opens.js'

const statusOf = (fn: () => unknown): NfsStatus => {
  try { fn() } catch (err) { if (err instanceof NfsError) return err.status; throw err }
  return NfsStatus.OK
}
const ALL = (1n << 64n) - 1n

describe('nfs/v4 state', () => {
  const setup = (): { clients: ClientTable, opens: OpenTable, a: ReturnType<ClientTable['setClientId']>, b: ReturnType<ClientTable['setClientId']> } => {
    const clients = new ClientTable()
    const opens = new OpenTable(clients)
    const mk = (id: string) => {
      const c = clients.setClientId(Buffer.from(id), Buffer.alloc(8, 1))
      return clients.confirmClientId(c.id, c.confirmVerf)
    }
    return { clients, opens, a: mk('a'), b: mk('b') }
  }

  it('checks share reservations and upgrades an owner\'s own open', () => {
    const { opens, a, b } = setup()
    const o = opens.open(a, Buffer.from('o'), 'f', 1, 2) // read, deny write
    assert.equal(statusOf(() => opens.open(b, Buffer.from('o'), 'f', 2, 0)), NfsStatus.SHARE_DENIED)
    assert.equal(statusOf(() => opens.open(b, Buffer.from('o'), 'f', 1, 0)), NfsStatus.OK)
    const again = opens.open(a, Buffer.from('o'), 'f', 2, 0)
    assert.equal(again, o)
    assert.equal(o.access, 3)
    assert.equal(o.id.seq, 2)
    assert.equal(statusOf(() => opens.downgrade(o, 1, 3)), NfsStatus.INVAL) // deny 3 is more than the open holds
    assert.equal(statusOf(() => opens.downgrade(o, 1, 0)), NfsStatus.OK)
    assert.equal(o.access, 1)
  })

  it('locks: conflicts are DENIED, unlock splits ranges, same owner may upgrade', () => {
    const { opens, a, b } = setup()
    const oa = opens.open(a, Buffer.from('oa'), 'f', 3, 0)
    const ob = opens.open(b, Buffer.from('ob'), 'f', 3, 0)
    const la = opens.lock(oa, { client: a, owner: Buffer.from('la') }, undefined, 2, 0n, 100n)
    assert.equal(statusOf(() => opens.lock(ob, { client: b, owner: Buffer.from('lb') }, undefined, 1, 50n, 10n)), NfsStatus.DENIED)
    assert.equal(statusOf(() => opens.lock(ob, { client: b, owner: Buffer.from('lb') }, undefined, 1, 100n, ALL)), NfsStatus.OK)
    opens.unlock(la, 40n, 20n)
    assert.equal(statusOf(() => opens.test('f', b, Buffer.from('lb'), 2, 45n, 10n)), NfsStatus.OK)
    assert.equal(statusOf(() => opens.test('f', b, Buffer.from('lb'), 2, 30n, 20n)), NfsStatus.DENIED)
    assert.equal(statusOf(() => opens.lock(oa, { client: a, owner: Buffer.from('la') }, la, 1, 0n, 10n)), NfsStatus.OK)
    assert.equal(statusOf(() => opens.releaseLockOwner(a, Buffer.from('la'))), NfsStatus.LOCKS_HELD)
    assert.equal(statusOf(() => opens.lock(oa, { client: a, owner: Buffer.from('la') }, la, 1, 0n, 0n)), NfsStatus.INVAL)
  })

  it('courteous leases: an expired client keeps its state until another client needs it', () => {
    const { clients, opens, a, b } = setup()
    const oa = opens.open(a, Buffer.from('oa'), 'f', 3, 3) // deny both
    a.lastRenew -= (LEASE_SECONDS + 1) * 1000
    clients.sweep()
    assert.ok(clients.find(a.id), 'an expired client with state is kept')
    assert.equal(opens.find(oa.id, 0), oa)
    a.lastRenew -= (LEASE_SECONDS + 1) * 1000 // find() renewed it; expire it again
    assert.equal(statusOf(() => opens.open(b, Buffer.from('ob'), 'f', 1, 0)), NfsStatus.OK)
    assert.equal(clients.find(a.id), undefined, 'revoked when it was in the way')
    assert.equal(statusOf(() => opens.find(oa.id, 0)), NfsStatus.BAD_STATEID)
  })

  it('a live client is not revoked by a conflict', () => {
    const { opens, a, b } = setup()
    opens.open(a, Buffer.from('oa'), 'f', 3, 3)
    assert.equal(statusOf(() => opens.open(b, Buffer.from('ob'), 'f', 1, 0)), NfsStatus.SHARE_DENIED)
  })

  it('SETCLIENTID_CONFIRM of a rebooted client drops the old record and its state', () => {
    const { clients, opens, a } = setup()
    const o = opens.open(a, Buffer.from('oa'), 'f', 3, 0)
    const again = clients.setClientId(Buffer.from('a'), Buffer.alloc(8, 2))
    assert.notEqual(again.id, a.id)
    clients.confirmClientId(again.id, again.confirmVerf)
    assert.equal(statusOf(() => opens.find(o.id, 0)), NfsStatus.BAD_STATEID)
    assert.equal(statusOf(() => clients.get(a.id)), NfsStatus.STALE_CLIENTID)
  })
})

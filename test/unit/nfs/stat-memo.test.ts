import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../src/log.js'
import { StaticExportTable } from '../../../src/nfs/exports.js'
import { LocalVfs } from '../../../src/nfs/vfs/local.js'
import { MutationClock, StatMemo } from '../../../src/nfs/vfs/stat-memo.js'
import type { Stat } from '../../../src/nfs/vfs/types.js'
import { TestExport } from '../../helpers/nfs.js'

const fake = (size: bigint): Stat => ({ size } as unknown as Stat)

describe('nfs/vfs stat memo: a request\'s stats go stale with the first finished mutation', () => {
  it('answers what was remembered while the clock stands still', () => {
    const clock = new MutationClock()
    const memo = new StatMemo(clock)
    assert.equal(memo.get('1:5'), undefined)
    memo.set('1:5', fake(3n))
    assert.equal(memo.get('1:5')?.size, 3n)
    assert.equal(memo.get('1:6'), undefined, 'keyed by file')
  })

  it('forgets everything once any mutation finished, whichever file it touched', () => {
    const clock = new MutationClock()
    const memo = new StatMemo(clock)
    memo.set('1:5', fake(3n))
    clock.tick()
    assert.equal(memo.get('1:5'), undefined)
    memo.set('1:5', fake(4n))
    assert.equal(memo.get('1:5')?.size, 4n, 'a stat taken after the mutation is good again')
  })

  it('does not keep a stat asked for before a mutation that finished while it was on its way', () => {
    const clock = new MutationClock()
    const memo = new StatMemo(clock)
    const askedAt = clock.now
    clock.tick() // a write finished while the lstat was in the thread pool
    memo.set('1:5', fake(3n), askedAt)
    assert.equal(memo.get('1:5'), undefined)
  })

  it('through() loads once while nothing changes, and does not keep a load a mutation overtook', async () => {
    const clock = new MutationClock()
    const memo = new StatMemo(clock)
    let loads = 0
    const load = async (): Promise<ReturnType<typeof fake>> => { loads++; return fake(BigInt(loads)) }
    assert.equal((await memo.through('1:5', load)).size, 1n)
    assert.equal((await memo.through('1:5', load)).size, 1n, 'remembered')
    assert.equal(loads, 1)
    const overtaken = memo.through('1:7', async () => { clock.tick(); return fake(9n) })
    assert.equal((await overtaken).size, 9n, 'the caller still gets its stat')
    assert.equal(memo.get('1:7'), undefined, 'but it is not remembered')
  })

  it('clear() drops every entry', () => {
    const memo = new StatMemo(new MutationClock())
    memo.set('1:5', fake(3n))
    memo.clear()
    assert.equal(memo.get('1:5'), undefined)
  })
})

describe('nfs/vfs local: the attributes mutations return, and the clock they tick', () => {
  let root: string
  let exp: TestExport
  let vfs: LocalVfs
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-memo-'))
    exp = new TestExport('data', 1, join(root, 'data'))
    await mkdir(exp.path)
    vfs = new LocalVfs(new StaticExportTable([exp]), join(root, '.state'), silentLogger)
    await vfs.open()
  })
  afterEach(async () => { await vfs.close(); await rm(root, { recursive: true, force: true }) })
  const creds = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }

  it('a create returns the directory before and after it (its new entry counted) and ticks the clock', async () => {
    const { node: dir } = await vfs.root(exp)
    const before = await vfs.stat(dir)
    const t = vfs.clock.now
    const made = await vfs.create(dir, 'f', { mode: 'unchecked' }, {}, creds)
    assert.ok(vfs.clock.now > t)
    assert.equal(made.created, true)
    assert.equal(made.dirBefore.ino, before.ino)
    assert.equal(made.dirBefore.ctimeNs, before.ctimeNs, 'taken before the open')
    const now = await vfs.stat(dir)
    assert.ok(now.ctimeNs > before.ctimeNs || now.mtimeNs !== before.mtimeNs || now.size !== before.size)
    assert.equal(made.dirAfter?.ino, now.ino)
    assert.equal(made.dirAfter?.ctimeNs, now.ctimeNs)
    assert.equal(made.dirAfter?.mtimeNs, now.mtimeNs)
  })

  it('a create in something that is not a directory is NOTDIR', async () => {
    const { node: dir } = await vfs.root(exp)
    await writeFile(join(exp.path, 'plain'), 'x')
    const { node: file } = await vfs.lookup(dir, 'plain')
    await assert.rejects(vfs.create(file, 'f', { mode: 'unchecked' }, {}, creds), (err: { status?: number }) => err.status === 20)
  })

  it('a write returns the attributes after it (size grown, mtime moved), from the descriptor', async () => {
    const { node: dir } = await vfs.root(exp)
    const made = await vfs.create(dir, 'f', { mode: 'unchecked' }, {}, creds)
    const t = vfs.clock.now
    const after = await vfs.write(made.node, 10n, Buffer.from('hello'), false, true)
    assert.ok(vfs.clock.now > t)
    assert.equal(after?.size, 15n)
    const st = await vfs.stat(made.node)
    assert.equal(after?.mtimeNs, st.mtimeNs)
    assert.equal(after?.ctimeNs, st.ctimeNs)
    assert.equal(await vfs.write(made.node, 0n, Buffer.from('x'), false), undefined, 'no attributes unless asked')
  })

  it('a setattr of the size a file already has changes nothing on disk', async () => {
    const { node: dir } = await vfs.root(exp)
    const made = await vfs.create(dir, 'f', { mode: 'unchecked' }, {}, creds)
    await vfs.write(made.node, 0n, Buffer.from('abc'), false)
    const st = await vfs.stat(made.node)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await vfs.setattr(made.node, { size: 3n }, st)
    assert.equal((await vfs.stat(made.node)).mtimeNs, st.mtimeNs)
    await vfs.setattr(made.node, { size: 1n })
    assert.equal((await vfs.stat(made.node)).size, 1n)
  })
})

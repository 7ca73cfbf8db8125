import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TestExport, startNfs, type TestNfs } from '../helpers/nfs.js'
import { have, lsNames, nfsCat, randomFile, run, sha } from '../helpers/libnfs.js'

// the C sources, not dist/
const OPS_C = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'tools', 'libnfs-ops.c')

/**
 * NFSv3 and MOUNT v3 on one port through Debian's libnfs 4.0 (its best protocol): nfs-cp both
 * ways, nfs-ls, and test/tools/libnfs-ops.c (libnfs-dev) for creates, mkdir, rename and remove.
 */
describe('nfs: libnfs client (NFSv3 + MOUNT v3)', function () {
  this.timeout(180_000)
  let t: TestNfs
  let tmp: string
  let ops: string | undefined
  const q = (): string => `version=3&nfsport=${t.port}&mountport=${t.port}`
  const url = (p: string): string => `nfs://127.0.0.1/${p}?${q()}`

  before(async function () {
    if (!(await have('nfs-ls'))) {
      console.warn('    skipped: libnfs-utils is not installed (apt-get install -y libnfs-utils)')
      this.skip()
    }
    t = await startNfs(['data', 'other'])
    await mkdir(join(t.root, 'ro'))
    await writeFile(join(t.root, 'ro', 'kept'), 'kept')
    t.table.add(new TestExport('ro', 3, join(t.root, 'ro'), true))
    tmp = await mkdtemp(join(tmpdir(), 'shoal-nfs3-local-'))
    try {
      ops = join(tmp, 'libnfs-ops')
      await run('gcc', ['-O2', '-o', ops, OPS_C, '-lnfs'])
    } catch {
      console.warn('    libnfs-ops not built (needs gcc and libnfs-dev): the create/rename tests are skipped')
      ops = undefined
    }
  })
  after(async () => {
    await t?.close()
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })

  it('lists the namespaces when / is mounted, and a namespace when /NAME is', async () => {
    assert.deepEqual(lsNames((await run('nfs-ls', [`nfs://127.0.0.1/?${q()}`])).stdout).sort(), ['data', 'other', 'ro'])
    await writeFile(join(t.root, 'other', 'hello'), 'hi')
    assert.deepEqual(lsNames((await run('nfs-ls', [url('other')])).stdout), ['hello'])
  })

  for (const [label, size] of [['1 B', 1], ['1 MiB', 1 << 20], ['100 MiB', 100 << 20]] as const) {
    it(`copies a ${label} file in and out byte-identical, and the namespace hears of it`, async () => {
      const name = `c-${size}.bin`
      const src = join(tmp, name)
      const want = await randomFile(src, size)
      await run('nfs-cp', [src, url(`data/${name}`)])
      assert.equal(await sha(join(t.root, 'data', name)), want, 'on disk')
      assert.ok(t.exports.get('data')!.changes.includes(name))
      const back = join(tmp, `back-${name}`)
      await run('nfs-cp', [url(`data/${name}`), back])
      assert.equal((await stat(back)).size, size)
      assert.equal(await sha(back), want, 'copied out')
      await rm(src)
      await rm(back)
    })
  }

  it('a file written over v3 is on disk, announced to replication, and read over v4 byte-identical', async () => {
    const src = join(tmp, 'cross.bin')
    const want = await randomFile(src, 3 << 20)
    await run('nfs-cp', [src, url('data/cross.bin')])
    assert.equal(await sha(join(t.root, 'data', 'cross.bin')), want, 'on disk')
    assert.ok(t.exports.get('data')!.changes.includes('cross.bin'), 'replication heard of it')
    const dest = join(tmp, 'cross-v4.bin')
    assert.equal(await nfsCat(`nfs://127.0.0.1/data/cross.bin?version=4&nfsport=${t.port}`, dest), 0)
    assert.equal(await sha(dest), want)
  })

  it('creates 2,000 small files over one mount and lists them', async function () {
    if (!ops) this.skip()
    await run(ops!, [url('data'), 'mkdir:/many', 'creates:/many:2000:1000'])
    const onDisk = await readdir(join(t.root, 'data', 'many'))
    assert.equal(onDisk.length, 2000)
    assert.equal((await stat(join(t.root, 'data', 'many', 'f01999'))).size, 1000)
    const names = lsNames((await run('nfs-ls', [url('data/many')], { maxBuffer: 16 << 20 })).stdout)
    assert.equal(names.length, 2000)
    assert.equal(new Set(names).size, 2000)
    assert.ok(names.includes('f00000') && names.includes('f01999'))
  })

  it('makes, renames and removes files and directories', async function () {
    if (!ops) this.skip()
    await writeFile(join(t.root, 'data', 'old-name'), 'content')
    await run(ops!, [url('data'), 'mkdir:/d1', 'mkdir:/d1/d2', 'rename:/old-name:/d1/d2/new-name', 'rename:/d1:/moved'])
    assert.equal(await readFile(join(t.root, 'data', 'moved', 'd2', 'new-name'), 'utf8'), 'content')
    const changes = t.exports.get('data')!.changes
    assert.ok(changes.includes('d1/d2/new-name') && changes.includes('moved'))
    await assert.rejects(run(ops!, [url('data'), 'rmdir:/moved/d2']), /NOTEMPTY|not empty/i)
    await run(ops!, [url('data'), 'unlink:/moved/d2/new-name', 'rmdir:/moved/d2', 'rmdir:/moved'])
    await assert.rejects(stat(join(t.root, 'data', 'moved')))
    await assert.rejects(run(ops!, [url('data'), 'unlink:/moved']), /NOENT|no such/i)
  })

  it('refuses writes to a read-only namespace (ROFS) and reads it', async function () {
    const src = join(tmp, 'ro.txt')
    await writeFile(src, 'x')
    await assert.rejects(run('nfs-cp', [src, url('ro/new')]))
    if (ops) await assert.rejects(run(ops, [url('ro'), 'unlink:/kept']), /ROFS|read-only/i)
    const dest = join(tmp, 'kept')
    assert.equal(await nfsCat(url('ro/kept'), dest), 0)
    assert.equal(await readFile(dest, 'utf8'), 'kept')
    assert.deepEqual(await readdir(join(t.root, 'ro')), ['kept'])
  })
})

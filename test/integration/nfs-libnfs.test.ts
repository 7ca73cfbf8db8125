import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { have, nfsCat, randomFile, run, sha } from '../helpers/libnfs.js'
import { startNfs, type TestNfs } from '../helpers/nfs.js'

describe('nfs: libnfs client (NFSv4.0)', function () {
  this.timeout(120_000)
  let t: TestNfs
  let url: (path: string) => string
  let tmp: string

  before(async function () {
    if (!(await have('nfs-ls'))) {
      console.warn('    skipped: libnfs-utils is not installed (apt-get install -y libnfs-utils)')
      this.skip()
    }
    t = await startNfs(['data', 'other'])
    url = (p) => `nfs://127.0.0.1/${p}?version=4&nfsport=${t.port}`
    tmp = join(t.root, '.local')
    await mkdir(tmp)
  })
  after(async () => { await t?.close() })

  it('lists the namespaces in the pseudo-root', async () => {
    const { stdout } = await run('nfs-ls', [url('')])
    assert.deepEqual(stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).pop()).sort(), ['data', 'other'])
  })

  for (const [label, size] of [['1 B', 1], ['1 MiB', 1 << 20], ['100 MiB', 100 << 20]] as const) {
    it(`reads a ${label} file byte-identical`, async () => {
      const name = `r-${size}.bin`
      const want = await randomFile(join(t.root, 'data', name), size)
      const dest = join(tmp, name)
      await rm(dest, { force: true })
      assert.equal(await nfsCat(url(`data/${name}`), dest), 0)
      assert.equal((await stat(dest)).size, size)
      assert.equal(await sha(dest), want)
    })
  }

  it('writes small files (libnfs v4 WRITEs are < 4 KB) and notifies the namespace', async () => {
    for (const size of [0, 1, 1000, 3900]) {
      const src = join(tmp, `w-${size}.bin`)
      const data = randomBytes(size)
      await writeFile(src, data)
      await run('nfs-cp', [src, url(`data/w-${size}.bin`)])
      assert.ok((await readFile(join(t.root, 'data', `w-${size}.bin`))).equals(data), `size ${size}`)
    }
    assert.ok(t.exports.get('data')!.changes.includes('w-1000.bin'))
    // libnfs creates with EXCLUSIVE4 and never resets the times that hold the verifier: CLOSE does
    const { mtimeMs } = await stat(join(t.root, 'data', 'w-0.bin'))
    assert.ok(Math.abs(Date.now() - mtimeMs) < 600_000, `mtime ${new Date(mtimeMs).toISOString()}`)
  })

  it('lists 1,000 files', async () => {
    const dir = join(t.root, 'data', 'many')
    await mkdir(dir)
    for (let i = 0; i < 1000; i++) await writeFile(join(dir, `f${String(i).padStart(4, '0')}`), String(i))
    const { stdout } = await run('nfs-ls', [url('data/many')], { maxBuffer: 16 << 20 })
    const names = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).pop())
    assert.equal(names.length, 1000)
    assert.equal(new Set(names).size, 1000)
  })

  it('keeps serving across a server restart in the middle of a 100 MiB read', async () => {
    const name = 'restart.bin'
    const want = await randomFile(join(t.root, 'data', name), 100 << 20)
    const dest = join(tmp, name)
    const reading = nfsCat(url(`data/${name}`), dest, 'ignore')
    // restart once the copy is under way
    for (let i = 0; i < 200; i++) {
      const s = await stat(dest).catch(() => null)
      if (s && s.size > 8 << 20) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await t.restart()
    const code = await reading
    if (code === 0) {
      assert.equal(await sha(dest), want)
    } else {
      // measured: libnfs 4.0 does not reconnect an NFSv4 mount at all (no request reaches the new
      // server), so that copy fails; a new client must then work at once with the same handles db
      console.log('      (libnfs does not reconnect NFSv4; a new client read the file after the restart)')
      await rm(dest, { force: true })
      assert.equal(await nfsCat(url(`data/${name}`), dest), 0)
      assert.equal(await sha(dest), want)
    }
    const { stdout } = await run('nfs-ls', [url('data')])
    assert.match(stdout, /restart\.bin/)
  })
})

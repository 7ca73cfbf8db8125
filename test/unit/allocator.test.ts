import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { currentAllocator } from '../../src/allocator.js'

const run = promisify(execFile)
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const LAUNCHER = path.join(ROOT, 'bin', 'with-jemalloc')
const MODULE = path.join(ROOT, 'dist', 'src', 'allocator.js')

/** What a node started through the launcher says it runs on. */
async function allocatorVia (env: Record<string, string>): Promise<string> {
  const script = `const { currentAllocator } = await import(${JSON.stringify(MODULE)}); process.stdout.write(await currentAllocator())`
  const { stdout } = await run(LAUNCHER, [process.execPath, '--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env } })
  return stdout
}

async function jemallocInstalled (): Promise<boolean> {
  const { stdout } = await run(LAUNCHER, ['sh', '-c', 'printf %s "${LD_PRELOAD-}"'], { env: { PATH: process.env.PATH ?? '' } })
  return stdout !== '' && await access(stdout).then(() => true, () => false)
}

describe('allocator', () => {
  it('reads the allocator from the mapped libraries, and says system where it cannot', async () => {
    assert.equal(await currentAllocator('/nonexistent/maps'), 'system')
    assert.equal(await currentAllocator(), 'system', 'the test runner itself runs on the system malloc')
  })

  it('bin/with-jemalloc runs node on jemalloc where installed, and leaves it off with SHOAL_MALLOC=glibc', async function () {
    if (!await jemallocInstalled()) { console.log('      skipped: libjemalloc2 is not installed (apt-get install libjemalloc2)'); this.skip() }
    assert.equal(await allocatorVia({}), 'jemalloc')
    assert.equal(await allocatorVia({ SHOAL_MALLOC: 'glibc' }), 'system')
  })
})

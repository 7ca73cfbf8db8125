import assert from 'node:assert/strict'
import { stat, writeFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { Registry } from '../../../src/namespace/registry.js'
import { isShoalError } from '../../../src/errors.js'
import { tmpDir, useTeardown } from '../../helpers/teardown.js'

describe('namespace registry', () => {
  const teardown = useTeardown()

  it('saves atomically with mode 0600 and never reuses an index', async () => {
    const dir = await tmpDir(teardown)
    const file = path.join(dir, 'sub', 'config.json')
    const r = new Registry(file)
    await r.load()
    assert.equal(r.add('a', 'A1').index, 1)
    assert.equal(r.add('b', 'A2').index, 2)
    r.remove('b')
    await r.save()
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(path.dirname(file)), ['config.json'], 'no temp file left behind')

    const again = new Registry(file)
    await again.load()
    assert.deepEqual(again.list().map((x) => [x.name, x.index]), [['a', 1]])
    assert.equal(again.add('c', 'A3').index, 3, 'index 2 belonged to a deleted namespace')
  })

  it('refuses a corrupt file rather than starting empty', async () => {
    const dir = await tmpDir(teardown)
    const file = path.join(dir, 'config.json')
    await writeFile(file, '{"namespaces": [')
    await assert.rejects(new Registry(file).load(), (e: unknown) => isShoalError(e, 'BAD_CONFIG'))
  })
})

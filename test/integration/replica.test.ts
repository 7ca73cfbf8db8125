import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deriveFromReadWrite } from '../../src/secrets.js'
import { createTestReplica, link } from '../helpers/replicas.js'
import { until } from '../helpers/tmp.js'

const read = (path: string): Promise<string> => readFile(path, 'utf8')

describe('replica (piped streams)', function () {
  this.timeout(30_000)

  it('a file written on A appears on B', async () => {
    const keys = deriveFromReadWrite(randomBytes(32))
    const a = await createTestReplica('a', keys)
    const b = await createTestReplica('b', keys)
    link(a, b)
    await writeFile(join(a.folder, 'hello.txt'), 'hi')
    a.replica.notifyChange('hello.txt')
    await until(() => read(join(b.folder, 'hello.txt')).then((s) => s === 'hi'), 'hello.txt on b')
  })
})

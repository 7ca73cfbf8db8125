import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../src/log.js'
import { HandleDb } from '../../../src/nfs/vfs/handle-db.js'

describe('nfs/vfs handle db', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'shoal-hdb-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('persists paths, tombstones and renames across a reopen, and compacts the log', async () => {
    const a = new HandleDb(dir, silentLogger)
    await a.open()
    a.set(1, 10n, 'd')
    a.set(1, 11n, 'd/f')
    a.set(1, 12n, 'd/sub/g')
    a.set(1, 13n, 'gone')
    a.set(1, 13n, null)
    a.set(2, 10n, 'other-export')
    a.moved(1, 'd', 'e')
    a.delete(1, 12n)
    await a.close()
    await appendFile(join(dir, 'handles.jsonl'), 'not json\n') // a torn tail is skipped
    const b = new HandleDb(dir, silentLogger)
    await b.open()
    assert.equal(b.get(1, 10n), 'e')
    assert.equal(b.get(1, 11n), 'e/f')
    assert.equal(b.get(1, 12n), undefined)
    assert.equal(b.get(1, 13n), null)
    assert.equal(b.get(2, 10n), 'other-export')
    assert.equal((await readFile(join(dir, 'handles.jsonl'), 'utf8')).trim().split('\n').length, 4)
    await b.close()
  })
})

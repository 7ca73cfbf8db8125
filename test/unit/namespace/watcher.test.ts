import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '../../../src/log.js'
import { Watcher } from '../../../src/namespace/watcher.js'
import { tmpDir, until } from '../../helpers/tmp.js'

/** A started watcher on a new folder, the paths it reported, stopped after `fn`. */
async function watching (fn: (dir: string, seen: Array<string | null>) => Promise<void>): Promise<void> {
  const dir = await tmpDir()
  const seen: Array<string | null> = []
  const w = new Watcher(dir, (p) => { seen.push(p) }, silentLogger)
  try {
    assert.ok(w.start())
    await fn(dir, seen)
  } finally {
    w.stop()
  }
}

describe('watcher', function () {
  this.timeout(20_000)

  it('reports a new directory again once it is watched, so files made before its watch are scanned', async () => {
    await watching(async (dir, seen) => {
      await mkdir(join(dir, 'd'))
      // Written at once: before the new directory's own watch exists (it comes ~50 ms later).
      await writeFile(join(dir, 'd', 'early'), 'x')
      // The parent's event for 'd', then 'd' again from its watch: a scan after it finds 'early'.
      await until(() => seen.filter((p) => p === 'd').length >= 2, 'd reported again once watched')
      await writeFile(join(dir, 'd', 'late'), 'y')
      await until(() => seen.includes('d/late'), 'an event from the new watch')
    })
  })

  it('watches a whole tree that appears at once, each directory reported once watched', async () => {
    await watching(async (dir, seen) => {
      await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true })
      await until(() => seen.includes('a/b/c'), 'the deepest new directory reported')
      await writeFile(join(dir, 'a', 'b', 'c', 'f'), 'z')
      await until(() => seen.includes('a/b/c/f'), 'an event from the deepest watch')
    })
  })
})

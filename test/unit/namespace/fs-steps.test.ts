import assert from 'node:assert/strict'
import type { Stats } from 'node:fs'
import { opSteps, runSteps, type FsCall } from '../../../src/namespace/fs-steps.js'
import type { FsOp } from '../../../src/namespace/fs-batch.js'

// The steps both executors run (the worker's synchronous calls, libuv's pool): the order of the
// calls, and what happens when one fails, checked against a scripted file system.
const fileStat = (mode: number): Stats => ({ mode: 0o100000 | mode, size: 3, mtimeMs: 1234.7, ino: 42, isDirectory: () => false, isSymbolicLink: () => false, isFile: () => true }) as unknown as Stats
const put: FsOp = { t: 'put', abs: '/d/f', tmp: '/d/.tmp', data: new Uint8Array([1, 2, 3]), mode: 0o640, mtimeMs: 1000, owner: { uid: 7, gid: 8 } }

function script (fail: Partial<Record<FsCall['c'], string>>, umaskedMode = 0o640): { calls: string[], call: (c: FsCall) => unknown } {
  const calls: string[] = []
  return {
    calls,
    call: (c) => {
      calls.push(c.c)
      const code = fail[c.c]
      if (code !== undefined) throw Object.assign(new Error(code), { code })
      if (c.c === 'open') return 9
      if (c.c === 'fstat') return fileStat(umaskedMode)
      return undefined
    }
  }
}

describe('namespace fs steps', () => {
  it('a put writes, sets the times, the owner and the mode the umask took, closes, then renames', () => {
    const s = script({}, 0o600)
    assert.deepEqual(runSteps(opSteps(put), s.call), { stat: { kind: 'file', size: 3, mtimeMs: 1234, mode: 0o640, ino: 42 } })
    assert.deepEqual(s.calls, ['open', 'write', 'futimes', 'fchown', 'fstat', 'fchmod', 'close', 'rename'])
  })

  it('an owner it may not set is kept as ours', () => {
    const s = script({ fchown: 'EPERM' })
    assert.equal(runSteps(opSteps(put), s.call).stat?.mode, 0o640)
    assert.deepEqual(s.calls, ['open', 'write', 'futimes', 'fchown', 'fstat', 'close', 'rename'])
  })

  it('a failed write closes the descriptor, removes the temp file and passes the error on', () => {
    const s = script({ write: 'ENOSPC' })
    assert.throws(() => runSteps(opSteps(put), s.call), { code: 'ENOSPC' })
    assert.deepEqual(s.calls, ['open', 'write', 'close', 'unlink'])
  })

  it('a failed rename removes the temp file; a failed open has nothing to close', () => {
    const renamed = script({ rename: 'EACCES' })
    assert.throws(() => runSteps(opSteps(put), renamed.call), { code: 'EACCES' })
    assert.deepEqual(renamed.calls.slice(-2), ['rename', 'unlink'])
    const opened = script({ open: 'EEXIST', unlink: 'ENOENT' })
    assert.throws(() => runSteps(opSteps(put), opened.call), { code: 'EEXIST' }, 'the open error, not the clean-up one')
    assert.deepEqual(opened.calls, ['open', 'unlink'])
  })

  it('a stat of nothing is null; other errors pass', () => {
    assert.deepEqual(runSteps(opSteps({ t: 'stat', abs: '/x' }), script({ lstat: 'ENOTDIR' }).call), { stat: null })
    assert.throws(() => runSteps(opSteps({ t: 'stat', abs: '/x' }), script({ lstat: 'EACCES' }).call), { code: 'EACCES' })
  })
})

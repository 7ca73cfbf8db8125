// bin/shoal's node flags, as benchmarks read them (test/helpers/daemon.ts launcherNodeFlags): a
// launcher edit that the parse no longer sees would silently bench the daemon without them.
import assert from 'node:assert/strict'
import { launcherNodeFlags } from '../helpers/daemon.js'

describe('launcher node flags', () => {
  it('reads the V8 heap settings bin/shoal starts the daemon with', () => {
    const flags = launcherNodeFlags()
    assert.ok(flags.includes('--initial-old-space-size=64'), flags.join(' '))
    assert.ok(flags.includes('--max-semi-space-size=4'), flags.join(' '))
    assert.ok(flags.every((f) => f.startsWith('--')), flags.join(' '))
  })
})

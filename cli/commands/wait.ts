import { ShoalError } from '../../src/errors.js'
import type { Command } from '../command.js'

export const wait: Command = {
  name: 'wait',
  summary: 'return once the namespace has every connected writer\'s latest version (for ExecStartPre and init containers)',
  args: ['<namespace>'],
  options: [{ flags: '--timeout <seconds>', description: 'give up after this many seconds (exit 1)', default: '60' }],
  async run (client, [name], opts) {
    const seconds = Number(opts.timeout)
    if (!Number.isFinite(seconds) || seconds < 0) throw ShoalError.badRequest(`--timeout must be a number of seconds, not '${String(opts.timeout)}'`)
    await client.wait(name as string, Math.round(seconds * 1000))
    return {}
  }
}

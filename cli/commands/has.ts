import type { Command } from '../command.js'

export const has: Command = {
  name: 'has',
  summary: 'exit 0 if the namespace exists, 1 if not; prints nothing',
  args: ['<namespace>'],
  options: [],
  async run (client, [name]) {
    return { exitCode: (await client.has(name as string)) ? 0 : 1 }
  }
}

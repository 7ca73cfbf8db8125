import type { Command } from '../command.js'

export const secret: Command = {
  name: 'secret',
  summary: "print a namespace's read-write secret, or its read-only one",
  args: ['<namespace>'],
  options: [{ flags: '--read-only', description: 'print the derived read-only secret (B…)' }],
  async run (client, [name], opts) {
    return { out: await client.secret(name as string, opts.readOnly === true) }
  }
}

import type { Command } from '../command.js'

export const add: Command = {
  name: 'add',
  summary: 'add a namespace, or join one with a secret (prints the new secret when it makes one)',
  args: ['<namespace>'],
  options: [{ flags: '--secret <secret>', description: "join with this secret: 'A…' read-write, 'B…' read-only, 'C…' blind, or a passphrase of 16+ characters" }],
  async run (client, [name], opts) {
    const secret = typeof opts.secret === 'string' ? opts.secret : undefined
    const result = await client.add(name as string, secret)
    return secret === undefined ? { out: result.secret } : {}
  }
}

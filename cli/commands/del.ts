import type { Command } from '../command.js'

export const del: Command = {
  name: 'del',
  summary: 'stop replicating a namespace and delete its folder',
  args: ['<namespace>'],
  options: [{ flags: '--keep-data', description: 'keep the folder and its files' }],
  async run (client, [name], opts) {
    await client.del(name as string, opts.keepData === true)
    return {}
  }
}

import { jsonOption, json, type Command } from '../command.js'

export const list: Command = {
  name: 'list',
  summary: 'print the namespaces on one line, separated by spaces',
  args: [],
  options: [jsonOption],
  async run (client, _args, opts) {
    if (opts.json === true) return { out: json(await client.list()) }
    const names = await client.names()
    return names.length > 0 ? { out: names.join(' ') } : {}
  }
}

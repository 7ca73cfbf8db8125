import { jsonOption, json, type Command } from '../command.js'

export const peers: Command = {
  name: 'peers',
  summary: 'the connected peers and the namespaces they share with this node',
  args: [],
  options: [jsonOption],
  async run (client, _args, opts) {
    const list = await client.peers()
    if (opts.json === true) return { out: json(list) }
    if (list.length === 0) return { out: 'no peers connected' }
    return { out: list.map((p) => `${p.id.slice(0, 16)}  ${p.address ?? '-'}  since ${p.since}  ${p.namespaces.join(' ') || '(not admitted)'}`).join('\n') }
  }
}

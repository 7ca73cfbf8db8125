import type { Command } from '../command.js'
import type { PathScope } from '../../src/control/service.js'

export const path: Command = {
  name: 'path',
  summary: "print a namespace's folder: as the host sees it (default) or inside this container",
  args: ['<namespace>'],
  options: [{ flags: '--scope <scope>', description: 'host ($HOST_DATA_PATH/NAME) or container ($DATA_PATH/NAME)', choices: ['host', 'container'], default: 'host' }],
  async run (client, [name], opts) {
    return { out: await client.path(name as string, (opts.scope ?? 'host') as PathScope) }
  }
}

import type { Command } from '../command.js'

export const resume: Command = {
  name: 'resume',
  summary: 'confirm a mass delete: the namespace publishes its deletions and resumes',
  args: ['<namespace>'],
  options: [],
  async run (client, [name]) {
    await client.resume(name as string)
    return {}
  }
}

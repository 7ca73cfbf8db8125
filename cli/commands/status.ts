import { jsonOption, json, type Command } from '../command.js'
import type { NamespaceStatus } from '../../src/namespace/namespace.js'

export const status: Command = {
  name: 'status',
  summary: 'state, peers, files, pending changes, conflicts and last sync of one namespace or all',
  args: ['[namespace]'],
  options: [jsonOption],
  async run (client, [name], opts) {
    const all = name === undefined ? await client.list() : [await client.status(name)]
    if (opts.json === true) return { out: json(name === undefined ? all : all[0]) }
    return all.length > 0 ? { out: all.map(formatStatus).join('\n\n') } : {}
  }
}

export function formatStatus (s: NamespaceStatus): string {
  const mode = s.blind ? 'blind (stores encrypted data only)' : s.readOnly ? 'read-only (local changes are not published)' : 'read-write'
  const lines = [
    `${s.name}: ${s.paused !== null ? `paused: ${s.paused} (confirm with \`ctl resume ${s.name}\`)` : s.state}`,
    `  mode       ${mode}`,
    `  peers      ${s.peers}${s.network !== null ? `  (${s.network})` : ''}`,
    `  files      ${s.files} (${bytes(s.bytes)})`,
    `  pending    ${s.pending} files, ${bytes(s.pendingBytes)}`,
    `  conflicts  ${s.conflicts}`,
    `  last sync  ${s.lastSync ?? 'never'}`
  ]
  if (s.error !== null) lines.push(`  error      ${s.error}`)
  return lines.join('\n')
}

function bytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i] ?? 'B'}`
}

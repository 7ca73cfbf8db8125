#!/usr/bin/env node
// The daemon's entry: `shoal daemon` runs a node in the foreground; `shoal bootstrap SECRET NAME`
// runs it with that one namespace added (the sidekick of the seed). SIGTERM/SIGINT close cleanly.
import { loadConfig } from './config.js'
import { Node } from './node.js'
import { createLogger } from './log.js'
import { isShoalError } from './errors.js'
import { VERSION } from './version.js'

const USAGE = `usage: shoal daemon                 run a node in the foreground
       shoal bootstrap SECRET NAME   run a node with namespace NAME joined with SECRET
       shoal --version

Environment: DATA_PATH, HOST_DATA_PATH, CONFIG_PATH, UID, GID, SHOAL_NAMESPACES, SHOAL_BOOTSTRAP,
SHOAL_DHT_PORT, SHOAL_NFS_PORT, SHOAL_NFS_ALLOW, SHOAL_WEB_PORT, SHOAL_WEB_PASSWORD, SHOAL_CONTROL_SOCKET, DEBUG=shoal:*`

async function main (argv: string[]): Promise<number> {
  const [cmd = 'daemon', ...rest] = argv
  if (cmd === '--version' || cmd === '-v') { process.stdout.write(VERSION + '\n'); return 0 }
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') { process.stdout.write(USAGE + '\n'); return 0 }
  if (cmd !== 'daemon' && cmd !== 'bootstrap') { process.stderr.write(`shoal: unknown command '${cmd}'\n${USAGE}\n`); return 2 }
  if ((cmd === 'daemon' && rest.length > 0) || (cmd === 'bootstrap' && rest.length !== 2)) {
    process.stderr.write(USAGE + '\n')
    return 2
  }

  const log = createLogger('shoal')
  const config = loadConfig(process.env)
  if (cmd === 'bootstrap') {
    const [secret, name] = rest as [string, string]
    config.namespaces = [...config.namespaces.filter((s) => s.name !== name), { name, secret }]
  }
  const node = new Node({ config, log })

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`)
      process.exit(1)
    }
    stopping = true
    log.info(`${signal}: closing`)
    const force = setTimeout(() => { log.error('close took over 10 s: exiting'); process.exit(1) }, 10_000)
    force.unref()
    node.close().then(() => { log.info('closed'); process.exit(0) }, (err: unknown) => { log.error('close failed', err); process.exit(1) })
  }
  process.on('SIGTERM', () => { stop('SIGTERM') })
  process.on('SIGINT', () => { stop('SIGINT') })

  await node.open()
  return -1 // keep running
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code)
}, (err: unknown) => {
  if (isShoalError(err)) {
    process.stderr.write(`shoal: ${err.code}: ${err.message}\n${err.hint !== undefined ? `  ${err.hint}\n` : ''}`)
  } else {
    process.stderr.write(`shoal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  }
  process.exit(1)
})

import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, silentLogger, type Logger } from '../../src/log.js'
import { StaticExportTable, type NfsExport } from '../../src/nfs/exports.js'
import { NfsServer } from '../../src/nfs/server.js'

/** An export over a folder that records its change notices. */
export class TestExport implements NfsExport {
  readonly changes: string[] = []
  constructor (readonly name: string, readonly index: number, readonly path: string, readonly readOnly = false) {}
  notifyChange (relPath: string): void { if (this.changes.length < 100_000) this.changes.push(relPath) }
}

export interface TestNfs {
  server: NfsServer
  table: StaticExportTable
  root: string
  stateDir: string
  exports: Map<string, TestExport>
  port: number
  close: () => Promise<void>
  /** closes the server and opens a new one on the same port, state dir and folders */
  restart: () => Promise<void>
}

/** A server on a free loopback port over fresh folders, one per name. */
export async function startNfs (names: string[] = ['data'], opts: { log?: Logger, root?: string, port?: number } = {}): Promise<TestNfs> {
  const root = opts.root ?? await mkdtemp(join(tmpdir(), 'shoal-nfs-'))
  const stateDir = join(root, '.state')
  const table = new StaticExportTable()
  const exports = new Map<string, TestExport>()
  names.forEach((n, i) => {
    const e = new TestExport(n, i + 1, join(root, n))
    exports.set(n, e)
    table.add(e)
  })
  await Promise.all([...exports.values()].map((e) => mkdir(e.path, { recursive: true })))
  const log = opts.log ?? silentLogger
  const make = (port: number): NfsServer => new NfsServer({ port, host: '127.0.0.1', allow: ['127.0.0.0/8', '::1/128'], exports: table, stateDir, log })
  const t: TestNfs = {
    server: make(opts.port ?? 0),
    table,
    root,
    stateDir,
    exports,
    port: 0,
    close: async () => { await t.server.close(); if (!opts.root) await rm(root, { recursive: true, force: true }) },
    restart: async () => {
      await t.server.close()
      t.server = make(t.port)
      await t.server.open()
    }
  }
  await t.server.open()
  t.port = t.server.port
  return t
}

// `node dist/test/helpers/nfs.js PORT ROOT name…`: a server for manual runs and child-process tests.
if (process.argv[1]?.endsWith('helpers/nfs.js')) {
  const [port = '0', root = '', ...names] = process.argv.slice(2)
  const t = await startNfs(names.length ? names : ['data'], { port: Number(port), root: root || undefined, log: createLogger('shoal:nfs') })
  process.stdout.write(`port ${t.port}\n`)
  const stop = (): void => { void t.server.close().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGUSR2', () => { process.stderr.write(JSON.stringify(t.server.stats()) + '\n') })
}

// Real daemons as child processes, driven with the real `ctl` binary (compiled output).
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ControlClient } from '../../src/control/client.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const SHOAL_BIN = path.join(ROOT, 'dist/src/main.js')
export const CTL_BIN = path.join(ROOT, 'dist/cli/ctl.js')
export const LAUNCHER = path.join(ROOT, 'bin/shoal')
/**
 * The flags bin/shoal gives node (V8's heap settings), read from the launcher itself so that a
 * benchmark starting `node dist/src/main.js` runs the daemon with the V8 settings it ships with.
 * (Read at start-up by tests and benchmarks, never by the daemon.)
 */
export function launcherNodeFlags (): string[] {
  const line = readFileSync(LAUNCHER, 'utf8').split('\n').find((l) => l.startsWith('exec ')) ?? ''
  return /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)/.exec(line)?.[1]?.trim().split(/\s+/).filter((f) => f !== '') ?? []
}

/** A DHT bootstrap address on loopback where nothing listens (the discard port). */
export const NO_BOOTSTRAP = '127.0.0.1:9'

export interface CtlResult { code: number, stdout: string, stderr: string }

export interface DaemonOptions {
  dataPath: string
  env?: Record<string, string>
  args?: string[]
  /** Resolve once the process has exited instead of once it serves (for start-up failures). */
  expectExit?: boolean
  /** A command the daemon runs under, e.g. ['ip', 'netns', 'exec', 'ns1'] (it must exec, keeping the pid). */
  prefix?: string[]
  /** Start it through bin/shoal (jemalloc, V8 settings: what the image and `make run` do) instead of node. */
  launcher?: boolean
  /** Another build's dist/src/main.js (a baseline to compare with), instead of this checkout's. */
  bin?: string
  /** Flags for node itself, e.g. --cpu-prof (which NODE_OPTIONS does not take). */
  nodeArgs?: string[]
}

export class TestDaemon {
  readonly dataPath: string
  readonly socket: string
  readonly env: Record<string, string>
  readonly proc: ChildProcess
  readonly client: ControlClient
  #log = ''
  exited: Promise<number | null>

  constructor (opts: DaemonOptions) {
    this.dataPath = opts.dataPath
    this.socket = opts.env?.SHOAL_CONTROL_SOCKET ?? path.join(opts.dataPath, '.shoal', 'control.sock')
    this.env = {
      PATH: process.env.PATH ?? '',
      DATA_PATH: opts.dataPath,
      SHOAL_NFS_PORT: '0',
      SHOAL_WEB_PORT: '0',
      // Never the public DHT from a test: a loopback port where nothing listens, unless a test
      // passes its own bootstrapper. Test traffic stays on this machine.
      SHOAL_BOOTSTRAP: NO_BOOTSTRAP,
      ...opts.env
    }
    const start = opts.launcher === true ? [LAUNCHER] : [process.execPath, ...(opts.nodeArgs ?? []), opts.bin ?? SHOAL_BIN]
    const argv = [...(opts.prefix ?? []), ...start, ...(opts.args ?? ['daemon'])]
    this.proc = spawn(argv[0] as string, argv.slice(1), { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout?.on('data', (b: Buffer) => { this.#log += b.toString() })
    this.proc.stderr?.on('data', (b: Buffer) => { this.#log += b.toString() })
    this.exited = new Promise((resolve) => { this.proc.once('exit', (code) => { resolve(code) }) })
    this.client = new ControlClient(this.socket, { timeoutMs: 10_000 })
  }

  get log (): string { return this.#log }
  get running (): boolean { return this.proc.exitCode === null && this.proc.signalCode === null }

  /** Waits until the control socket answers; rejects with the log if the daemon exits first. */
  async ready (timeoutMs = 20_000): Promise<this> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (!this.running) throw new Error(`daemon exited (${String(this.proc.exitCode ?? this.proc.signalCode)}):\n${this.log}`)
      try {
        await this.client.node()
        return this
      } catch {}
      if (Date.now() > deadline) throw new Error(`daemon not ready after ${timeoutMs} ms:\n${this.log}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  ctl (...args: string[]): Promise<CtlResult> {
    return runCtl(args, { DATA_PATH: this.dataPath, SHOAL_CONTROL_SOCKET: this.socket })
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.proc.kill(signal)
    return await this.exited
  }
}

export async function startDaemon (opts: DaemonOptions): Promise<TestDaemon> {
  const d = new TestDaemon(opts)
  if (opts.expectExit === true) {
    await d.exited
    return d
  }
  try {
    return await d.ready()
  } catch (err) {
    await d.stop('SIGKILL')
    throw err
  }
}

export function runCtl (args: string[], env: Record<string, string> = {}): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CTL_BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    p.on('error', reject)
    p.on('close', (code) => { resolve({ code: code ?? -1, stdout, stderr }) })
  })
}

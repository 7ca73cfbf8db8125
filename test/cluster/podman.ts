// A small podman driver for the cluster test: one run = one network, one host folder and the
// containers made on them, all labelled shoal.test=cluster so `make clean-cluster` finds leftovers.
// Every call has a time limit; waits poll with a deadline and say what they waited for.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'

export const IMAGE = process.env.SHOAL_IMAGE ?? 'localhost/shoal:latest'
export const LABEL = 'shoal.test=cluster'
/** The DHT bootstrapper's UDP port on the first node (SHOAL_DHT_PORT). */
export const DHT_PORT = 49737

export interface RunResult { code: number, stdout: string, stderr: string }

// Without systemd, podman prints these for every container whose image has a HEALTHCHECK: podman
// cannot arm the periodic timer. `podman healthcheck run` still works, which is what the test uses.
const NOISE = /unable to get systemd connection|Removing timer for container/

/** Runs podman; never throws on a non-zero exit (see `ok`), rejects only on a time-out. */
export async function podman (args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const p = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    const timer = setTimeout(() => {
      p.kill('SIGKILL')
      reject(new Error(`podman ${args.join(' ')}: no answer after ${timeoutMs} ms`))
    }, timeoutMs)
    p.on('error', (err) => { clearTimeout(timer); reject(err) })
    p.on('close', (code) => {
      clearTimeout(timer)
      stderr = stderr.split('\n').filter((l) => !NOISE.test(l)).join('\n')
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

/** Runs podman and returns its trimmed stdout; throws with stderr on a non-zero exit. */
export async function ok (args: string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs)
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout.trim()
}

/** Thrown by a probe to stop waiting at once (the thing awaited can no longer happen). */
export class GiveUp extends Error {}

/**
 * Polls `probe` until it returns something other than undefined/false, at most `timeoutMs`. The
 * error names what was awaited and the last thing the probe saw.
 */
export async function waitFor<T> (what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      if (err instanceof GiveUp) throw err
      last = err
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : ''
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`)
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

export interface NodeSpec {
  /** Short name: the container is `<prefix>-<name>`, its data `<dir>/<name>` on the host. */
  name: string
  env?: Record<string, string>
  /** Arguments to the image's entrypoint (none: the daemon). */
  args?: string[]
  /** A fixed address on the run's network (the bootstrapper's, which the others list). */
  ip?: string
  /** Bind-mount `<dir>/<name>` as /data and set HOST_DATA_PATH to it (default); false: the image's anonymous volume. */
  hostData?: boolean
}

export class PodmanRun {
  readonly id = randomBytes(3).toString('hex')
  readonly prefix = `shoal-ct-${this.id}`
  readonly network = this.prefix
  /** Host folder holding each node's /data (bind mounts), so the test can read what a host sees. */
  readonly dir = path.join('/var/tmp', this.prefix)
  readonly containers: string[] = []
  subnet = ''

  async up (): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await ok(['network', 'create', '--label', LABEL, this.network])
    this.subnet = await ok(['network', 'inspect', this.network, '--format', '{{range .Subnets}}{{.Subnet}} {{end}}'])
  }

  /** The n-th host address of the run's network (a /24 or larger IPv4 subnet, as podman makes). */
  address (n: number): string {
    const m = /^(\d+)\.(\d+)\.(\d+)\.\d+\/(\d+)/.exec(this.subnet)
    if (m === null || Number(m[4]) > 24) throw new Error(`unexpected subnet '${this.subnet}'`)
    return `${m[1] ?? ''}.${m[2] ?? ''}.${m[3] ?? ''}.${n}`
  }

  container (name: string): string { return `${this.prefix}-${name}` }
  hostData (name: string): string { return path.join(this.dir, name) }

  /** `podman run -d` a node; returns the container's name. */
  async start (spec: NodeSpec): Promise<string> {
    const name = this.container(spec.name)
    const args = ['run', '-d', '--pull=never', '--name', name, '--hostname', spec.name, '--label', LABEL,
      '--network', this.network]
    if (spec.ip !== undefined) args.push('--ip', spec.ip)
    if (spec.hostData !== false) {
      await mkdir(this.hostData(spec.name), { recursive: true })
      args.push('-v', `${this.hostData(spec.name)}:/data`, '-e', `HOST_DATA_PATH=${this.hostData(spec.name)}`)
    }
    for (const [k, v] of Object.entries(spec.env ?? {})) args.push('-e', `${k}=${v}`)
    args.push(IMAGE, ...(spec.args ?? []))
    this.containers.push(name)
    await ok(args)
    return name
  }

  /** A throwaway container (`podman run --rm`), e.g. an app using a node's data. */
  async runOnce (opts: string[], command: string[], timeoutMs = 60_000): Promise<RunResult> {
    return await podman(['run', '--rm', '--pull=never', '--label', LABEL, ...opts, IMAGE, ...command], timeoutMs)
  }

  async exec (name: string, command: string[], timeoutMs = 30_000): Promise<RunResult> {
    return await podman(['exec', this.container(name), ...command], timeoutMs)
  }

  /** `ctl` in a node; throws unless it exits 0. */
  async ctl (name: string, ...args: string[]): Promise<string> {
    const r = await this.exec(name, ['ctl', ...args])
    if (r.code !== 0) throw new Error(`ctl ${args.join(' ')} on ${name} exited ${r.code}: ${r.stderr.trim()}`)
    return r.stdout.trim()
  }

  /** Waits until the node's daemon answers on its control socket. */
  async ready (name: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${name} to answer ctl`, async () => {
      const state = await ok(['inspect', this.container(name), '--format', '{{.State.Status}}'])
      if (state !== 'running') throw new GiveUp(`${name} is ${state}: ${await this.logs(name, 20)}`)
      return (await this.exec(name, ['ctl', 'list'])).code === 0
    }, timeoutMs, 500)
  }

  async logs (name: string, lines = 40): Promise<string> {
    const r = await podman(['logs', '--tail', String(lines), this.container(name)])
    return (r.stdout + r.stderr).trim()
  }

  /** Removes every container, volume and the network this run made, and the host folder. */
  async down (): Promise<void> {
    if (this.containers.length > 0) await podman(['rm', '-f', '-v', '-t', '2', ...this.containers], 120_000)
    await podman(['network', 'rm', '-f', this.network])
    await rm(this.dir, { recursive: true, force: true })
  }
}

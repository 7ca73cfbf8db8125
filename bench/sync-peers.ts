// The two systems under test, each as two local peers: shoal daemons on a private loopback
// bootstrap, and Syncthing nodes on loopback (discovery, relays, NAT and usage reporting off; its
// watcher delay at 1 s, because the 10 s default would flatter shoal).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { launcherNodeFlags, startDaemon, type TestDaemon } from '../test/helpers/daemon.js'
import { freeUdpPort } from '../test/helpers/ports.js'

export interface Peer { name: string, folder: string, pid: () => number | undefined }
export interface System { name: string, a: Peer, b: Peer, stop: () => Promise<void> }

/**
 * `bin`: another build's dist/src/main.js (a baseline), instead of this checkout's. The daemons get
 * the V8 flags bin/shoal gives them (what the image and `make run` run); BENCH_NODE_FLAGS=plain
 * starts them with node's defaults instead (the figures before those flags).
 */
export async function startShoal (root: string, bin?: string): Promise<System> {
  const port = await freeUdpPort()
  const bootstrap = `127.0.0.1:${port}`
  const nodeArgs = process.env.BENCH_NODE_FLAGS === 'plain' ? [] : launcherNodeFlags()
  // BENCH_DAEMON_PROF=DIR: each daemon writes a --cpu-prof profile under DIR/a and DIR/b when it stops.
  const prof = (name: string): string[] => process.env.BENCH_DAEMON_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_DAEMON_PROF, name)}`]
  // BENCH_LOG_DIR: both daemons' logs are written there when they stop (DEBUG=shoal:* for more).
  const debug: Record<string, string> = process.env.DEBUG !== undefined ? { DEBUG: process.env.DEBUG } : {}
  const a = await startDaemon({ dataPath: path.join(root, 'shoal-a'), bin, nodeArgs: [...nodeArgs, ...prof('a')], env: { ...debug, SHOAL_BOOTSTRAP: bootstrap, SHOAL_DHT_PORT: String(port) } })
  const b = await startDaemon({ dataPath: path.join(root, 'shoal-b'), bin, nodeArgs: [...nodeArgs, ...prof('b')], env: { ...debug, SHOAL_BOOTSTRAP: bootstrap } })
  const secret = (await a.ctl('add', 'bench')).stdout.trim()
  await b.ctl('add', `--secret=${secret}`, 'bench')
  await until(async () => JSON.parse((await b.ctl('status', '--json', 'bench')).stdout).peers === 1)
  const peer = (d: TestDaemon, name: string): Peer => ({ name, folder: path.join(d.dataPath, 'bench'), pid: () => d.proc.pid })
  const logs = process.env.BENCH_LOG_DIR
  const stop = async (): Promise<void> => {
    await a.stop()
    await b.stop()
    if (logs !== undefined) {
      await mkdir(logs, { recursive: true })
      await writeFile(path.join(logs, 'shoal-a.log'), a.log)
      await writeFile(path.join(logs, 'shoal-b.log'), b.log)
    }
  }
  return { name: 'shoal', a: peer(a, 'a'), b: peer(b, 'b'), stop }
}

export async function startSyncthing (root: string, basePort: number): Promise<System | null> {
  try { execFileSync('syncthing', ['--version'], { stdio: 'ignore' }) } catch { return null }
  const homes = ['a', 'b'].map((n) => path.join(root, `st-${n}`))
  const folders = ['a', 'b'].map((n) => path.join(root, `st-${n}-folder`))
  const ids: string[] = []
  for (const home of homes) {
    execFileSync('syncthing', ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], { stdio: 'ignore' })
    ids.push(/<device id="([A-Z0-9-]+)"/.exec(await readFile(path.join(home, 'config.xml'), 'utf8'))?.[1] ?? '')
  }
  const procs: ChildProcess[] = []
  const keys: string[] = []
  for (let i = 0; i < 2; i++) {
    const home = homes[i] as string
    const other = 1 - i
    await mkdir(path.join(folders[i] as string, '.stfolder'), { recursive: true })
    let cfg = await readFile(path.join(home, 'config.xml'), 'utf8')
    keys.push(/<apikey>([^<]+)<\/apikey>/.exec(cfg)?.[1] ?? '')
    cfg = cfg
      .replace(/<listenAddress>default<\/listenAddress>/, `<listenAddress>tcp://127.0.0.1:${basePort + i}</listenAddress>`)
      .replace(/<globalAnnounceEnabled>true/, '<globalAnnounceEnabled>false')
      .replace(/<localAnnounceEnabled>true/, '<localAnnounceEnabled>false')
      .replace(/<relaysEnabled>true/, '<relaysEnabled>false')
      .replace(/<natEnabled>true/, '<natEnabled>false')
      .replace(/<urAccepted>0/, '<urAccepted>-1')
      .replace(/<address>127\.0\.0\.1:8384<\/address>/, `<address>127.0.0.1:${basePort + 10 + i}</address>`)
      .replace(/(<configuration[^>]*>)/, `$1
    <folder id="bench" label="bench" path="${folders[i] as string}" type="sendreceive" rescanIntervalS="3600" fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
        <device id="${ids[0] as string}"></device>
        <device id="${ids[1] as string}"></device>
    </folder>
    <device id="${ids[other] as string}" name="peer" compression="metadata" introducer="false"><address>tcp://127.0.0.1:${basePort + other}</address></device>`)
    await writeFile(path.join(home, 'config.xml'), cfg)
    procs.push(spawn('syncthing', ['serve', `--home=${home}`, '--no-browser', '--no-restart'], { stdio: 'ignore', env: { ...process.env, STNOUPGRADE: '1' } }))
  }
  const api = async (i: number, p: string): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${basePort + 10 + i}${p}`, { headers: { 'X-API-Key': keys[i] as string } })
    return await res.json()
  }
  const stop = async (): Promise<void> => {
    for (const p of procs) p.kill('SIGTERM')
    await Promise.all(procs.map(async (p) => await new Promise((resolve) => { if (p.exitCode !== null || p.signalCode !== null) resolve(null); else p.once('exit', resolve) })))
  }
  try {
    await until(async () => {
      const c = await api(0, '/rest/system/connections') as { connections: Record<string, { connected: boolean }> }
      return c.connections[ids[1] as string]?.connected === true
    }, 60_000)
  } catch (err) {
    await stop() // no node left running behind a failed start
    throw new Error(`the two Syncthing nodes did not connect within 60 s (${(err as Error).message})`)
  }
  const peer = (i: number): Peer => ({ name: String.fromCharCode(97 + i), folder: folders[i] as string, pid: () => servingPid(procs[i]?.pid) })
  return {
    name: 'syncthing',
    a: peer(0),
    b: peer(1),
    stop
  }
}

/**
 * `syncthing serve` runs as a monitor process that starts the real one as its child: measure the
 * child (the monitor's CPU and RSS are near zero, which made Syncthing's columns read 0).
 */
function servingPid (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  // Not /proc/PID/task/PID/children: Go forks from whichever thread it likes, so that list is
  // empty here. The child is the process whose parent is the monitor.
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ')[1])
      if (ppid === pid) return Number(name)
    } catch {}
  }
  return pid
}

export async function until (check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try { if (await check()) return } catch {}
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

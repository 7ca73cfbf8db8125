/**
 * `npm run bench:nfs`: shoal's NFS server against Debian's nfs-ganesha (VFS FSAL), same machine,
 * same run, same client (libnfs, loopback), over NFSv4.0 and over NFSv3 (MOUNT on shoal's NFS port;
 * ganesha's v3 needs rpcbind, started here when none runs):
 *   - write 512 MiB (bench/nfs-bench-client.c: libnfs pwrite, 3,584-byte pieces, 32 in flight)
 *   - read 512 MiB (nfs-cat to /dev/null)
 *   - 2,000 × 4 KiB file creates over one connection (nfs-bench-client creates)
 * Both servers run side by side and their runs alternate, so a ratio compares the same minutes.
 * Prints MiB/s and files/s per server and shoal/ganesha ratios; saves bench/results/nfs-<time>.json.
 * Needs gcc, libnfs-dev, libnfs-utils, nfs-ganesha, nfs-ganesha-vfs (apt-get install -y …).
 * BENCH_MIB (default 512), BENCH_FILES (default 2000), BENCH_RUNS (default 1, the median is kept),
 * BENCH_VERSIONS (default "4,3"), BENCH_ROWS (default "write,read,creates": the rows measured; a
 * row left out prints 0). Needs rpcbind too for v3.
 * BENCH_DAEMON=1 adds a "shoal daemon" row: a real `shoal daemon` (dist/src/main.js) with one
 * namespace exported over NFS, so every write is also scanned and published to its writer drive,
 * as on a user's node (BENCH_DAEMON=only measures the daemon rows alone). BENCH_DAEMON_BASE=DIR
 * adds a second daemon from another build (DIR/dist/src/main.js, e.g. main's) beside it, runs
 * alternating: before/after in the same minutes. After each run the bench waits until the daemon
 * has published everything ("drain s": from the end of the run) and checks that every file is in
 * the namespace's index. BENCH_DAEMON_PROF=DIR writes the daemons' --cpu-prof profiles there.
 * BENCH_BASE=DIR adds a bare server from another build (DIR/dist/test/helpers/nfs.js, e.g. main's)
 * beside this build's and ganesha, runs rotating among the three: before/after in the same minutes,
 * each against ganesha.
 * BENCH_FRESH_FS (default 1 when root): each server's folder is on a file system of its own, made
 * fresh for this run (fresh-fs.ts): on the shared one, whichever server's folder landed near another
 * process's deletions lost up to half its create rate. BENCH_FRESH_FS=0 keeps every folder under
 * the work directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startNfs } from '../test/helpers/nfs.js'
import { freshFs, freshFsWanted } from './fresh-fs.js'
import { startDaemon, type TestDaemon } from '../test/helpers/daemon.js'

const run = promisify(execFile)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MIB = Number(process.env.BENCH_MIB ?? 512)
const FILES = Number(process.env.BENCH_FILES ?? 2000)
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
const VERSIONS = (process.env.BENCH_VERSIONS ?? '4,3').split(',').map((v) => v.trim())
const ROWS = new Set((process.env.BENCH_ROWS ?? 'write,read,creates').split(',').map((r) => r.trim()))
const DAEMON = process.env.BENCH_DAEMON ?? ''
const DAEMON_BASE = process.env.BENCH_DAEMON_BASE ?? ''
const DAEMON_PROF = process.env.BENCH_DAEMON_PROF ?? ''
const BASE = process.env.BENCH_BASE ?? ''
const FRESH_FS = freshFsWanted(true)

interface Figures { writeMiBs: number, readMiBs: number, createsPerSec: number }

async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

async function timed (fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

/**
 * nfs-cat into `wc -c`: the bytes are counted by another process, not by this one, whose event
 * loop also runs the shoal server under test (counting 512 MiB of pipe reads here slowed shoal's
 * reads, not ganesha's).
 */
async function catToNull (url: string): Promise<void> {
  const { stdout } = await run('bash', ['-c', 'set -o pipefail; nfs-cat "$1" | wc -c', 'bash', url])
  const n = Number(stdout.trim())
  if (n !== MIB << 20) throw new Error(`nfs-cat: ${n} bytes`)
}

interface Target { url: (p: string) => string, base: string, dir: string, samples: Figures[] }

async function measureOnce (client: string, { url, base, dir, samples }: Target, i: number): Promise<void> {
  const rw = ROWS.has('write') || ROWS.has('read')
  const w = rw ? await timed(() => run(client, [base, 'write', `/big${i}.bin`, String(MIB << 20)], { maxBuffer: 1 << 20 })) : Infinity
  if (rw) await run('sync')
  const r = ROWS.has('read') ? await timed(() => catToNull(url(`big${i}.bin`))) : Infinity
  const c = ROWS.has('creates') ? await timed(() => run(client, [base, 'creates', `/files${i}`, String(FILES), '4096'])) : Infinity
  samples.push({ writeMiBs: ROWS.has('write') ? MIB / w : 0, readMiBs: MIB / r, createsPerSec: FILES / c })
  await rm(join(dir, `big${i}.bin`), { force: true })
  // the created files stay until the whole bench ends: on ext4 without a journal (this machine's)
  // the inode allocator skips inodes freed in the last 60 s (360 s while their inode-table block is
  // dirty: quiet-disk.ts), one buffer lookup each, so creates right after removing 2,000 files
  // nearby cost ~0.5 ms more each; removed here, they would slow whichever server runs next (perf:
  // recently_deleted and find_inode_bit, 17% of one server's time)
}

function median (samples: Figures[]): Figures {
  const med = (k: keyof Figures): number => samples.map((s) => s[k]).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
  return { writeMiBs: med('writeMiBs'), readMiBs: med('readMiBs'), createsPerSec: med('createsPerSec') }
}

/** libnfs URL query: v3 finds MOUNT at `mountPort` (shoal serves it on the NFS port). */
function query (vers: string, port: number, mountPort: number): string {
  return vers === '3' ? `version=3&nfsport=${port}&mountport=${mountPort}` : `version=4&nfsport=${port}`
}

/** ganesha with v3 registers with rpcbind and exits without one: start one unless port 111 is taken. */
async function rpcbind (): Promise<() => void> {
  const { stdout } = await run('ss', ['-ltn', 'sport = :111'])
  if (stdout.includes('LISTEN')) return () => {}
  const p = spawn('rpcbind', ['-f'], { stdio: 'ignore' })
  for (let i = 0; i < 50; i++) {
    if ((await run('ss', ['-ltn', 'sport = :111'])).stdout.includes('LISTEN')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return () => { p.kill('SIGTERM') }
}

async function ganesha (dir: string, work: string, vers: string): Promise<{ port: number, mountPort: number, stop: () => Promise<void> }> {
  const port = await freePort()
  const mountPort = await freePort()
  const protocols = vers === '3' ? '3, 4' : '4'
  const stopRpcbind = vers === '3' ? await rpcbind() : () => {}
  const conf = join(work, 'ganesha.conf')
  await writeFile(conf, `NFS_CORE_PARAM { Protocols = ${protocols}; NFS_Port = ${port}; MNT_Port = ${mountPort}; Bind_Addr = 127.0.0.1; Enable_NLM = false; Enable_RQUOTA = false; Enable_UDP = false; mount_path_pseudo = true; }
NFSV4 { Graceless = true; Lease_Lifetime = 30; RecoveryBackend = fs; Allow_Numeric_Owners = true; Only_Numeric_Owners = true; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT { Export_Id = 1; Path = ${dir}; Pseudo = /data; Protocols = ${protocols}; Transports = TCP; Access_Type = RW; Squash = No_Root_Squash; SecType = sys; FSAL { Name = VFS; } }
`)
  const log = join(work, 'ganesha.log')
  const p: ChildProcess = spawn('ganesha.nfsd', ['-F', '-f', conf, '-L', log, '-p', join(work, 'ganesha.pid')], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()))
  for (let i = 0; i < 100; i++) {
    try { await run('nfs-ls', [`nfs://127.0.0.1/data?${query(vers, port, mountPort)}`]); break } catch { await new Promise((resolve) => setTimeout(resolve, 200)) }
    if (p.exitCode !== null) { stopRpcbind(); throw new Error(`ganesha exited: ${await readFile(log, 'utf8').catch(() => '')}`) }
  }
  const stop = async (): Promise<void> => {
    p.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
    if (p.exitCode === null) p.kill('SIGKILL')
    stopRpcbind()
  }
  return { port, mountPort, stop }
}

type Ratios = Record<'write' | 'read' | 'creates', number>

interface Compared { shoal: Figures, ganesha: Figures, ratios: Ratios, base?: { shoal: Figures, ratios: Ratios } }

function ratios (s: Figures, n: Figures): Ratios {
  return { write: s.writeMiBs / n.writeMiBs, read: s.readMiBs / n.readMiBs, creates: s.createsPerSec / n.createsPerSec }
}

async function compare (client: string, work: string, vers: string): Promise<Compared> {
  // Both servers run at once and their runs alternate (who goes first, too): on a shared, noisy
  // machine, minutes apart is a different machine, and a ratio must compare like with like.
  const unmounts: Array<() => Promise<void>> = []
  const fresh = async (dir: string): Promise<string> => { unmounts.push(await freshFs(dir, 2 * MIB + 1024, FRESH_FS)); return dir }
  let shoal: Awaited<ReturnType<typeof startNfs>> | undefined
  let base: Awaited<ReturnType<typeof startNfs>> | undefined
  let g: Awaited<ReturnType<typeof ganesha>> | null = null
  try {
    shoal = await startNfs(['data'], { root: await fresh(join(work, `shoal-v${vers}`)) })
    const startBase = BASE === '' ? undefined : (await import(join(BASE, 'dist', 'test', 'helpers', 'nfs.js')) as { startNfs: typeof startNfs }).startNfs
    base = startBase ? await startBase(['data'], { root: await fresh(join(work, `base-v${vers}`)) }) : undefined
    const gdir = await fresh(join(work, `ganesha-export-v${vers}`))
    g = await ganesha(gdir, work, vers)
    const target = (port: number, mountPort: number, dir: string): Target => {
      const q = query(vers, port, mountPort)
      return { url: (p) => `nfs://127.0.0.1/data/${p}?${q}`, base: `nfs://127.0.0.1/data?${q}`, dir, samples: [] }
    }
    const ts = target(shoal.port, shoal.port, join(work, `shoal-v${vers}`, 'data'))
    const tg = target(g.port, g.mountPort, gdir)
    const tb = base ? target(base.port, base.port, join(work, `base-v${vers}`, 'data')) : undefined
    const all = tb ? [ts, tg, tb] : [ts, tg]
    for (let i = 0; i < RUNS; i++) {
      // each run starts with the next server (with two: alternating)
      for (let k = 0; k < all.length; k++) await measureOnce(client, all[(i + k) % all.length]!, i)
    }
    const s = median(ts.samples)
    const n = median(tg.samples)
    const out: Compared = { shoal: s, ganesha: n, ratios: ratios(s, n) }
    if (tb) { const b = median(tb.samples); out.base = { shoal: b, ratios: ratios(b, n) } }
    return out
  } finally {
    await g?.stop()
    await base?.close()
    await shoal?.close()
    for (const unmount of unmounts) await unmount()
  }
}

interface DaemonFigures extends Figures { drainS: number }

/** Waits until the namespace has published every local change and is idle; returns the seconds. */
async function drained (d: TestDaemon, name: string, files: number): Promise<number> {
  const t0 = performance.now()
  for (;;) {
    const st = await d.client.status(name)
    if (st.state === 'idle' && st.pending === 0 && st.files >= files) return (performance.now() - t0) / 1000
    if (performance.now() - t0 > 600_000) throw new Error(`not drained after 600 s: ${JSON.stringify(st)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Real daemons, one namespace each, exported by the daemon's NFS server: this build's, and
 * BENCH_DAEMON_BASE's when given. Runs alternate between them, like compare()'s servers.
 */
async function daemons (client: string, work: string, vers: string): Promise<Array<[string, DaemonFigures]>> {
  const builds: Array<[string, string | undefined]> = [['daemon', undefined]]
  if (DAEMON_BASE !== '') builds.push(['daemon (base)', join(DAEMON_BASE, 'dist', 'src', 'main.js')])
  const started: Array<{ label: string, d: TestDaemon, t: Target, drains: number[] }> = []
  try {
    for (const [label, bin] of builds) {
      const port = await freePort()
      const tag = label === 'daemon' ? 'new' : 'base'
      const nodeArgs = DAEMON_PROF === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(DAEMON_PROF, `${tag}-v${vers}`)}`]
      const d = await startDaemon({ dataPath: join(work, `daemon-${tag}-v${vers}`), bin, nodeArgs, env: { SHOAL_NFS_PORT: String(port) } })
      started.push({ label, d, t: { url: () => '', base: '', dir: '', samples: [] }, drains: [] })
      const add = await d.ctl('add', 'bench')
      if (add.code !== 0) throw new Error(`ctl add: ${add.stderr}`)
      await drained(d, 'bench', 0)
      const q = query(vers, port, port)
      const e = started.at(-1)!
      e.t = { url: (p) => `nfs://127.0.0.1/bench/${p}?${q}`, base: `nfs://127.0.0.1/bench?${q}`, dir: join(d.dataPath, 'bench'), samples: [] }
    }
    for (let i = 0; i < RUNS; i++) {
      for (const e of i % 2 === 0 ? started : [...started].reverse()) {
        await measureOnce(client, e.t, i)
        e.drains.push(await drained(e.d, 'bench', ROWS.has('creates') ? FILES * (i + 1) : 0))
      }
    }
    return started.map(({ label, t, drains }) => [label, { ...median(t.samples), drainS: drains.sort((a, b) => a - b)[Math.floor(drains.length / 2)]! }])
  } finally {
    // SIGINT, not SIGTERM: node writes --cpu-prof profiles on a clean exit only, which the daemon
    // does on either; both stop it the same way.
    for (const { d } of started) await d.stop('SIGINT')
  }
}

async function main (): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'shoal-bench-nfs-'))
  const client = join(work, 'nfs-bench-client')
  await run('gcc', ['-O2', '-o', client, join(ROOT, 'bench', 'nfs-bench-client.c'), '-lnfs'])
  const byVersion: Array<[string, Awaited<ReturnType<typeof compare>>]> = []
  if (DAEMON !== 'only') for (const vers of VERSIONS) byVersion.push([vers, await compare(client, work, vers)])
  const daemonRows: Array<[string, Array<[string, DaemonFigures]>]> = []
  if (DAEMON !== '') for (const vers of VERSIONS) daemonRows.push([vers, await daemons(client, work, vers)])

  const f = (x: number): string => x.toFixed(1)
  console.log(`libnfs, loopback, ${MIB} MiB, ${FILES} × 4 KiB, median of ${RUNS}${FRESH_FS ? ', each server on a fresh ext4' : ''}`)
  console.log(`                 write MiB/s   read MiB/s   creates/s`)
  const row = (label: string, x: Figures): void => { console.log(`${label.padEnd(17)}${f(x.writeMiBs).padStart(11)}   ${f(x.readMiBs).padStart(10)}   ${f(x.createsPerSec).padStart(9)}`) }
  const ratioRow = (label: string, r: Ratios): void => { console.log(`${label.padEnd(17)}${r.write.toFixed(2).padStart(11)}   ${r.read.toFixed(2).padStart(10)}   ${r.creates.toFixed(2).padStart(9)}`) }
  for (const [vers, { shoal: s, ganesha: n, ratios: r, base }] of byVersion) {
    const v = vers === '3' ? 'v3  ' : 'v4.0'
    row(`shoal   ${v}`, s)
    if (base) row(`base    ${v}`, base.shoal)
    row(`ganesha ${v}`, n)
    ratioRow(`ratio   ${v}`, r)
    if (base) ratioRow(`(base)  ${v}`, base.ratios)
  }
  for (const [vers, rows] of daemonRows) {
    const v = vers === '3' ? 'v3  ' : 'v4.0'
    for (const [label, s] of rows) {
      console.log(`${`${label} ${v}`.padEnd(19)}${f(s.writeMiBs).padStart(9)}   ${f(s.readMiBs).padStart(10)}   ${f(s.createsPerSec).padStart(9)}   drain ${s.drainS.toFixed(2)} s`)
    }
  }
  const outDir = join(ROOT, 'bench', 'results')
  await mkdir(outDir, { recursive: true })
  const file = join(outDir, `nfs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), freshFs: FRESH_FS, mib: MIB, files: FILES, runs: RUNS, versions: Object.fromEntries(byVersion), daemons: Object.fromEntries(daemonRows.map(([v, rows]) => [v, Object.fromEntries(rows)])) }, null, 2) + '\n')
  console.log(`saved ${file}`)
  await rm(work, { recursive: true, force: true })
}

main().catch((err) => { console.error(err); process.exit(1) })

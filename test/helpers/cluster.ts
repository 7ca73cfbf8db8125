// A loopback cluster of real daemons for the fault tests: the first one runs the DHT bootstrapper
// (SHOAL_DHT_PORT), every one uses it (SHOAL_BOOTSTRAP); nothing reaches the public DHT.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'
import { startDaemon, type TestDaemon } from './daemon.js'
import { freeUdpPort } from './ports.js'
import { tmpDir } from './teardown.js'
import { until } from './tmp.js'

type Teardown = (fn: () => unknown) => void

export interface Cluster {
  bootstrap: string
  nodes: TestDaemon[]
  /** Starts (or restarts, given its dataPath) a node of this cluster. */
  start: (dataPath?: string, env?: Record<string, string>, first?: boolean) => Promise<TestDaemon>
}

export async function loopbackCluster (teardown: Teardown, n: number, envOf: (i: number) => Record<string, string> = () => ({})): Promise<Cluster> {
  const port = await freeUdpPort()
  const bootstrap = `127.0.0.1:${port}`
  const start = async (dataPath?: string, env: Record<string, string> = {}, first = false): Promise<TestDaemon> => {
    const d = await startDaemon({
      dataPath: dataPath ?? await tmpDir(teardown),
      env: { SHOAL_BOOTSTRAP: bootstrap, ...(first ? { SHOAL_DHT_PORT: String(port) } : {}), ...env }
    })
    teardown(async () => { await d.stop('SIGKILL') })
    return d
  }
  const nodes: TestDaemon[] = []
  for (let i = 0; i < n; i++) nodes.push(await start(undefined, envOf(i), i === 0))
  return { bootstrap, nodes, start }
}

/** Adds `name` on the first node and joins it with the same secret on the others. */
export async function joinAll (nodes: TestDaemon[], name: string): Promise<string> {
  const first = nodes[0] as TestDaemon
  const r = await first.ctl('add', name)
  assert.equal(r.code, 0, r.stderr)
  const secret = r.stdout.trim()
  for (const d of nodes.slice(1)) {
    const j = await d.ctl('add', `--secret=${secret}`, name)
    assert.equal(j.code, 0, j.stderr)
  }
  return secret
}

export const folderOf = (d: TestDaemon, name: string, file = ''): string => path.join(d.dataPath, name, file)

/** path → sha256 of every file under a folder (shoal's temp files excluded, directories as '<dir>'). */
export async function digest (folder: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let names: string[]
  try { names = await readdir(path.join(folder, rel)) } catch { return out }
  for (const name of names.sort()) {
    if (name.startsWith('.shoal.tmp.')) continue
    const p = rel === '' ? name : `${rel}/${name}`
    const st = await lstat(path.join(folder, p))
    if (st.isDirectory()) {
      out.set(p, '<dir>')
      for (const [k, v] of await digest(folder, p)) out.set(k, v)
    } else out.set(p, await sha256(path.join(folder, p)))
  }
  return out
}

export async function sha256 (file: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Waits until every folder holds exactly `want` (path → sha256); reports the first difference. */
export async function converged (folders: string[], want: Map<string, string>, what: string, timeoutMs: number): Promise<void> {
  let diff = ''
  await until(async () => {
    for (const f of folders) {
      const got = await digest(f)
      diff = describeDiff(f, got, want)
      if (diff !== '') return false
    }
    return true
  }, `${what} (${diff})`, timeoutMs, 200).catch((err: Error) => { throw new Error(`${err.message}; last difference: ${diff}`) })
}

function describeDiff (folder: string, got: Map<string, string>, want: Map<string, string>): string {
  const missing = [...want.keys()].filter((k) => !got.has(k))
  const extra = [...got.keys()].filter((k) => !want.has(k))
  const changed = [...want.keys()].filter((k) => got.has(k) && got.get(k) !== want.get(k))
  if (missing.length + extra.length + changed.length === 0) return ''
  return `${folder}: ${missing.length} missing (${missing.slice(0, 3).join(', ')}), ${extra.length} extra (${extra.slice(0, 3).join(', ')}), ${changed.length} differ (${changed.slice(0, 3).join(', ')})`
}

export interface StatusJson { state: string, peers: number, files: number, bytes: number, error: string | null, paused: string | null, readOnly: boolean, pending: number }

export async function statusOf (d: TestDaemon, name: string): Promise<StatusJson> {
  const r = await d.ctl('status', '--json', name)
  return JSON.parse(r.stdout) as StatusJson
}

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { startNfs, type TestNfs } from '../helpers/nfs.js'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))
// the sources, not dist/: the scripts are not compiled
const TOOLS = join(HERE, '..', '..', '..', 'test', 'tools', 'nfs-guest')
const GUEST = join(TOOLS, 'nfs-guest.sh')
const FULL = process.env.SHOAL_NFS_KERNEL_FULL === '1'
let runs = 0

interface GuestResult { code: number, log: string, summary: string }

async function guest (port: number, vers: string, workload: string, env: Record<string, string> = {}): Promise<GuestResult> {
  const log = join(tmpdir(), `shoal-nfs-guest-${process.pid}-${++runs}.log`)
  try {
    const { stdout, stderr } = await run(GUEST, [String(port), '/data', vers, join(TOOLS, 'workloads', workload)], {
      // a private serial log: the default one in the shared cache dir is overwritten by concurrent runs
      env: { ...process.env, TIMEOUT: '280', LOG: log, ...env },
      maxBuffer: 64 << 20,
      timeout: 300_000
    })
    return { code: 0, log: stdout + stderr, summary: /result: (\d+ passed, \d+ failed)/.exec(stderr)?.[1] ?? '' }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    const out = (e.stdout ?? '') + (e.stderr ?? '')
    return { code: typeof e.code === 'number' ? e.code : 1, log: out, summary: /result: (\d+ passed, \d+ failed)/.exec(out)?.[1] ?? '' }
  } finally {
    await rm(log, { force: true })
  }
}

function failures (log: string): string {
  return log.split('\n').filter((l) => /FAIL|mount failed|NFSGUEST: dmesg/.test(l)).slice(0, 30).join('\n')
}

/**
 * The Linux kernel's NFS client (Debian's 6.1 kernel in a qemu guest, see test/tools/nfs-guest).
 * By default: the full 55-check workload over 4.1, a probe over 4.0, and a probe mounted with
 * mount.nfs `vers=4`, which asks for 4.2 first and must settle on 4.1.
 * SHOAL_NFS_KERNEL_FULL=1 runs the full workload for all three.
 */
describe('nfs: Linux kernel client in a guest', function () {
  this.timeout(320_000)
  let t: TestNfs

  before(async function () {
    try { await run('sh', ['-c', 'command -v qemu-system-x86_64 && test -x /bin/busybox']) } catch {
      console.warn('    skipped: qemu is not installed (apt-get install -y --no-install-recommends qemu-system-x86 busybox-static)')
      this.skip()
    }
    t = await startNfs(['data'])
  })
  after(async () => { await t?.close() })

  it('passes the basic workload over NFSv4.1 (2,002-file untar, 64 MiB, metadata ops)', async () => {
    const r = await guest(t.port, '4.1', 'basic.sh')
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.summary, /^55 passed, 0 failed$/)
  })

  it('keeps a mounted 4.1 client working across a server restart (persistent handles)', async () => {
    const r = await restartingOnCue(t, () => guest(t.port, '4.1', 'restart.sh'))
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.summary, /^7 passed, 0 failed$/)
  })

  it('works over NFSv4.0', async () => {
    const r = await guest(t.port, '4.0', FULL ? 'basic.sh' : 'probe.sh')
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.log, /vers=4\.0/)
  })

  it('negotiates 4.2 → 4.1 when mounted with mount.nfs vers=4', async () => {
    const r = await guest(t.port, '4', FULL ? 'basic.sh' : 'probe.sh', { MOUNT_HELPER: 'mount.nfs' })
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.log, /nfs4 rw,[^ ]*vers=4\.1/)
  })

  it('passes the basic workload over NFSv3, MOUNT v3 on the same port (vers=3,mountport=PORT,nolock)', async () => {
    const r = await guest(t.port, '3', 'basic.sh', { MOUNTPORT: String(t.port) })
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.log, /nfs rw,[^ ]*vers=3,/)
    assert.match(r.summary, /^55 passed, 0 failed$/)
  })

  it('keeps a vers=3 client working across a server restart (stateless, persistent handles)', async () => {
    const r = await restartingOnCue(t, () => guest(t.port, '3', 'restart.sh', { MOUNTPORT: String(t.port) }))
    assert.equal(r.code, 0, `guest failed (${r.summary}):\n${failures(r.log)}`)
    assert.match(r.summary, /^7 passed, 0 failed$/)
  })
})

/** Runs a guest while watching the export for "restart-now": then the server restarts and "restarted" appears. */
async function restartingOnCue (t: TestNfs, runGuest: () => Promise<GuestResult>): Promise<GuestResult> {
  const marker = join(t.root, 'data', 'restart-now')
  let restarted = false
  const watcher = (async () => {
    for (let i = 0; i < 1200 && !restarted; i++) {
      if (await access(marker).then(() => true, () => false)) {
        await t.restart()
        await writeFile(join(t.root, 'data', 'restarted'), '')
        restarted = true
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const r = await runGuest()
  restarted = true
  await watcher
  return r
}

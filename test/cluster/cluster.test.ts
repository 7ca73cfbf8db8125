// The image, for real: three shoal containers on a podman network with a private DHT bootstrap
// (SHOAL_DHT_PORT on n1, SHOAL_BOOTSTRAP on all), driven through `podman exec … ctl`, plus a
// sidekick and app containers. Needs podman and the image (`make test-cluster` builds both).
// Tests run in order and build on each other: one cluster for the whole file, as an operator would.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import { existsSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DHT_PORT, IMAGE, PodmanRun, ok, podman, waitFor } from './podman.js'

const NODES = ['n1', 'n2', 'n3'] as const
const NS = 'photos'
// Not the default 1000, so ownership by UID/GID is really what the node was told.
const OWNER = { UID: '1500', GID: '1500' }
const SYNC_MS = 60_000

/** Marks a test skipped, with the reason in its title (the spec reporter shows titles only). */
function skipBecause (ctx: Mocha.Context, why: string): never {
  if (ctx.test !== undefined) ctx.test.title += ` (skipped: ${why})`
  ctx.skip()
}

/** Whether something accepts TCP connections at host:port (2 s at most). */
async function listening (host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.once('connect', () => { done(true) })
    socket.once('timeout', () => { done(false) })
    socket.once('error', () => { done(false) })
  })
}

describe('cluster: three containers (podman)', function () {
  this.timeout(180_000)
  const run = new PodmanRun()
  let secret = ''
  let failed = false

  const hostFile = (node: string, name: string): string => path.join(run.hostData(node), NS, name)
  /** Waits until `name` on `node` holds `content` (read through the host's bind mount). */
  const arrives = async (node: string, name: string, content: string): Promise<void> => {
    await waitFor(`${name} on ${node}`, async () => {
      const got = await readFile(hostFile(node, name), 'utf8').catch(() => undefined)
      return got === content
    }, SYNC_MS)
  }
  const gone = async (node: string, name: string): Promise<void> => {
    await waitFor(`${name} deleted on ${node}`, async () => !existsSync(hostFile(node, name)), SYNC_MS)
  }

  before(async function () {
    this.timeout(240_000)
    const image = await podman(['image', 'exists', IMAGE])
    if (image.code !== 0) throw new Error(`no image ${IMAGE}: run \`make image\` (or \`make test-cluster\`)`)
    await run.up()
    const bootstrap = `${run.address(10)}:${DHT_PORT}`
    for (const name of NODES) {
      await run.start({
        name,
        ip: name === 'n1' ? run.address(10) : undefined,
        env: { ...OWNER, SHOAL_BOOTSTRAP: bootstrap, ...(name === 'n1' ? { SHOAL_DHT_PORT: String(DHT_PORT) } : {}), DEBUG: 'shoal:*' }
      })
    }
    for (const name of NODES) await run.ready(name)
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true
  })

  after(async function () {
    this.timeout(180_000)
    if (failed) {
      for (const c of run.containers) {
        const name = c.slice(run.prefix.length + 1)
        console.error(`\n--- last log lines of ${name} ---\n${await run.logs(name).catch((e: Error) => e.message)}`)
      }
    }
    await run.down()
  })

  it('the entrypoint runs shoal, ctl or any command; shoal and ctl are on PATH', async () => {
    assert.match((await run.runOnce([], ['shoal', '--version'])).stdout, /\d+\.\d+\.\d+/)
    assert.equal((await run.runOnce([], ['sh', '-c', 'command -v shoal && command -v ctl'])).stdout.trim(), '/usr/local/bin/shoal\n/usr/local/bin/ctl')
    assert.equal((await run.runOnce([], ['echo', 'hello'])).stdout, 'hello\n')
    // The native addons load: their prebuilds for this platform survived pruning, their libraries are there.
    const addons = await run.runOnce([], ['node', '-e', "for (const m of ['rocksdb-native', 'sodium-native', 'udx-native']) require(m)"])
    assert.equal(addons.code, 0, addons.stderr)
    assert.equal((await run.runOnce([], ['ctl', 'list'])).code, 3, 'ctl with no daemon exits 3')
    assert.equal((await run.runOnce([], ['bootstrap', 'only-a-secret'])).code, 2, 'bootstrap without a name is a usage error')
  })

  it('each node passes the image HEALTHCHECK', async () => {
    for (const name of NODES) {
      await waitFor(`${name} healthy`, async () => (await podman(['healthcheck', 'run', run.container(name)])).code === 0, 30_000, 1000)
      // The daemon runs on jemalloc (bin/with-jemalloc): the library is in the image and preloaded.
      assert.match(await run.logs(name), /memory allocator: jemalloc/, `${name}'s startup log`)
    }
  })

  it('the dashboard port answers /healthz and /readyz (the DaemonSet probes)', async () => {
    const probe = "for (const p of ['/healthz', '/readyz']) { const r = await fetch('http://127.0.0.1:8888' + p); console.log(p, r.status) }"
    const r = await run.exec('n1', ['node', '--input-type=module', '-e', probe])
    assert.equal(r.stdout, '/healthz 200\n/readyz 200\n', r.stderr)
  })

  it('ctl add on n1 makes a secret; ctl add --secret joins n2 and n3', async () => {
    secret = await run.ctl('n1', 'add', NS)
    assert.match(secret, /^A[A-Z2-7]{20,}$/)
    for (const name of ['n2', 'n3']) await run.ctl(name, 'add', `--secret=${secret}`, NS)
    for (const name of NODES) {
      assert.equal(await run.ctl(name, 'list'), NS)
      assert.equal(await run.ctl(name, 'secret', NS), secret)
      assert.equal((await run.exec(name, ['ctl', 'has', NS])).code, 0)
    }
    assert.equal((await run.exec('n1', ['ctl', 'has', 'nothing-here'])).code, 1)
    await run.ctl('n2', 'add', `--secret=${secret}`, NS) // same name and secret again: no change
  })

  it('ctl path answers with the host path, and that folder is the namespace', async () => {
    for (const name of NODES) {
      assert.equal(await run.ctl(name, 'path', NS), path.join(run.hostData(name), NS))
      assert.equal(await run.ctl(name, 'path', '--scope=container', NS), `/data/${NS}`)
    }
    const st = await stat(path.join(run.hostData('n1'), NS))
    assert.deepEqual([st.uid, st.gid], [Number(OWNER.UID), Number(OWNER.GID)], 'the folder belongs to UID/GID')
    await writeFile(path.join(await run.ctl('n1', 'path', NS), 'from-host.txt'), 'written on the host\n')
    assert.equal((await run.exec('n1', ['cat', `/data/${NS}/from-host.txt`])).stdout, 'written on the host\n')
  })

  it('a file written on each node reaches all three, owned by UID/GID', async () => {
    for (const name of NODES) {
      await ok(['exec', run.container(name), 'sh', '-c', `echo "hello from ${name}" > /data/${NS}/from-${name}.txt`])
    }
    for (const to of NODES) {
      for (const from of NODES) await arrives(to, `from-${from}.txt`, `hello from ${from}\n`)
      await arrives(to, 'from-host.txt', 'written on the host\n')
    }
    // Replicated files are written by shoal, so they belong to UID/GID (the local ones to root).
    const st = await stat(hostFile('n2', 'from-n1.txt'))
    assert.deepEqual([st.uid, st.gid], [Number(OWNER.UID), Number(OWNER.GID)])
  })

  it('SIGTERM stops a node cleanly within a few seconds; it comes back with its namespaces', async () => {
    const t0 = Date.now()
    await ok(['stop', '-t', '10', run.container('n2')], 30_000)
    const took = Date.now() - t0
    // About a second when the machine is idle; 8 s leaves room for a loaded 2-core CI machine while
    // staying under podman's 10 s SIGKILL (which the exit code below would also catch).
    assert.ok(took < 8000, `podman stop took ${took} ms`)
    assert.equal(await ok(['inspect', run.container('n2'), '--format', '{{.State.ExitCode}}']), '0')
    await ok(['start', run.container('n2')])
    await run.ready('n2')
    assert.equal(await run.ctl('n2', 'list'), NS)
  })

  it('a node killed and restarted catches up with the writes and deletes it missed', async () => {
    await ok(['kill', run.container('n3')]) // SIGKILL: no clean close
    await waitFor('n3 to stop', async () => await ok(['inspect', run.container('n3'), '--format', '{{.State.Status}}']) !== 'running', 30_000)
    await ok(['exec', run.container('n1'), 'sh', '-c', `echo "while n3 was down" > /data/${NS}/while-down.txt`])
    await ok(['exec', run.container('n2'), 'rm', `/data/${NS}/from-n2.txt`])
    await arrives('n2', 'while-down.txt', 'while n3 was down\n')
    await gone('n1', 'from-n2.txt')
    assert.ok(existsSync(hostFile('n3', 'from-n2.txt')), 'n3 is down: it still has the file')

    await ok(['start', run.container('n3')])
    await run.ready('n3')
    await arrives('n3', 'while-down.txt', 'while n3 was down\n')
    await gone('n3', 'from-n2.txt')
    // And it writes again after the restart.
    await writeFile(hostFile('n3', 'after-restart.txt'), 'n3 is back\n')
    await arrives('n1', 'after-restart.txt', 'n3 is back\n')
  })

  it('an app container gets a namespace with -v $(ctl path NAME):/data', async () => {
    const hostPath = await run.ctl('n2', 'path', NS)
    const r = await run.runOnce(['-v', `${hostPath}:/data`], ['sh', '-c', 'cat /data/from-n1.txt && echo "from an app" > /data/from-app.txt'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'hello from n1\n')
    await arrives('n1', 'from-app.txt', 'from an app\n')
    await arrives('n3', 'from-app.txt', 'from an app\n')
  })

  it('NFS: each node exports the namespace as /NAME on port 2049 (`mount -t nfs4 NODE:/NAME`)', async function () {
    // The host has no kernel NFS client: libnfs's nfs-cat reads through the same export, over the
    // run's own podman network.
    if (spawnSync('nfs-cat', ['--help'], { stdio: 'ignore' }).error !== undefined) {
      skipBecause(this, 'nfs-cat (Debian libnfs-utils) is not installed')
    }
    const ip = run.address(10)
    if (!await listening(ip, 2049)) skipBecause(this, 'the daemon does not listen on 2049 (NFS not wired into the node yet)')
    const r = spawnSync('nfs-cat', [`nfs://${ip}/${NS}/from-n1.txt?version=4&nfsport=2049`], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(r.stdout, 'hello from n1\n', r.stderr)
  })

  describe('sidekick: bootstrap SECRET NAME, then --volumes-from', () => {
    before(async function () {
      this.timeout(120_000)
      await run.start({
        name: 'side',
        hostData: false, // the image's VOLUME /data, which the app takes with --volumes-from
        env: { ...OWNER, SHOAL_BOOTSTRAP: `${run.address(10)}:${DHT_PORT}` },
        args: ['bootstrap', secret, NS]
      })
      await run.ready('side')
    })

    it('the sidekick has the namespace from its arguments', async () => {
      assert.equal(await run.ctl('side', 'list'), NS)
      assert.equal(await run.ctl('side', 'secret', NS), secret)
    })

    it('ctl wait returns once the sidekick has the namespace data (what ExecStartPre runs)', async () => {
      const r = await run.exec('side', ['ctl', 'wait', '--timeout=60', NS], 90_000)
      assert.equal(r.code, 0, r.stderr)
      assert.equal((await run.exec('side', ['cat', `/data/${NS}/while-down.txt`])).stdout, 'while n3 was down\n')
    })

    it('an app container with --volumes-from reads the namespace, and its writes reach the cluster', async () => {
      await waitFor('from-n1.txt on the sidekick', async () => (await run.exec('side', ['test', '-f', `/data/${NS}/from-n1.txt`])).code === 0, SYNC_MS)
      const r = await run.runOnce(['--volumes-from', run.container('side'), '-e', `DATA_DIR=/data/${NS}`],
        ['sh', '-c', 'cat "$DATA_DIR/from-n1.txt" && echo "from the sidekick app" > "$DATA_DIR/from-sidekick-app.txt"'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, 'hello from n1\n')
      for (const name of NODES) await arrives(name, 'from-sidekick-app.txt', 'from the sidekick app\n')
    })
  })

  describe('SHOAL_NAMESPACES (how the Kubernetes DaemonSet joins)', () => {
    it('a node started with SHOAL_NAMESPACES=name:secret has the namespace and its files', async () => {
      await run.start({
        name: 'k8s',
        hostData: false,
        env: { SHOAL_NAMESPACES: `${NS}:${secret}`, SHOAL_BOOTSTRAP: `${run.address(10)}:${DHT_PORT}` }
      })
      await run.ready('k8s')
      assert.equal(await run.ctl('k8s', 'list'), NS)
      await waitFor('from-n1.txt on k8s', async () => (await run.exec('k8s', ['cat', `/data/${NS}/from-n1.txt`])).stdout === 'hello from n1\n', SYNC_MS)
    })
  })

  // Last: mocha runs a suite's own tests before its nested suites, so this one is nested too.
  describe('ctl del', () => {
    it('stops replicating and removes the folder on that node only', async () => {
      await run.ctl('n2', 'del', NS)
      assert.equal((await run.exec('n2', ['ctl', 'has', NS])).code, 1)
      assert.ok(!existsSync(path.join(run.hostData('n2'), NS)), 'the folder is gone on n2')
      assert.equal(await run.ctl('n1', 'list'), NS)
      assert.ok(existsSync(hostFile('n1', 'from-host.txt')), 'n1 keeps its files')
    })
  })
})

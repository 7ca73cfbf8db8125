// Hosts in network namespaces on a bridge, for multi-host tests. The bridge lives in a namespace of
// its own, so nothing is added to the machine's own network (no routes, no addresses).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface NetHost { ns: string, ip: string, prefix: string[] }

async function ip (...args: string[]): Promise<void> {
  await run('ip', args)
}

/** Why this machine cannot run netns tests, or null if it can. */
export async function netnsUnavailable (): Promise<string | null> {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'needs root (ip netns)'
  const probe = `shoalprobe${process.pid}`
  try {
    await ip('netns', 'add', probe)
    await ip('netns', 'del', probe)
    return null
  } catch (err) {
    return `ip netns is not allowed here: ${(err as Error).message.split('\n')[0] ?? ''}`
  }
}

/**
 * Creates `n` hosts 10.<a>.<b>.1…n/24 on one bridge; returns them and the teardown.
 * Names carry the pid, so parallel runs do not collide.
 */
export async function createHosts (n: number): Promise<{ hosts: NetHost[], destroy: () => Promise<void>, setLink: (host: number, up: boolean) => Promise<void> }> {
  const id = `${process.pid % 100000}`
  const sw = `shsw${id}`
  const subnet = `10.${200 + (process.pid % 50)}.${Math.floor(process.pid / 50) % 250}`
  const created: string[] = []
  const destroy = async (): Promise<void> => {
    for (const ns of created.reverse()) await ip('netns', 'del', ns).catch(() => {})
  }
  try {
    await ip('netns', 'add', sw)
    created.push(sw)
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', sw, 'link', 'set', 'br0', 'up')
    const hosts: NetHost[] = []
    for (let i = 1; i <= n; i++) {
      const ns = `shh${id}n${i}`
      await ip('netns', 'add', ns)
      created.push(ns)
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
      await ip('-n', sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      await ip('-n', sw, 'link', 'set', `p${i}`, 'master', 'br0')
      await ip('-n', sw, 'link', 'set', `p${i}`, 'up')
      const addr = `${subnet}.${i}`
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      await ip('-n', ns, 'link', 'set', 'eth0', 'up')
      hosts.push({ ns, ip: addr, prefix: ['ip', 'netns', 'exec', ns] })
    }
    // Cuts (or restores) host i's (0-based) cable at the bridge: a partition without touching the host.
    const setLink = async (host: number, up: boolean): Promise<void> => { await ip('-n', sw, 'link', 'set', `p${host + 1}`, up ? 'up' : 'down') }
    return { hosts, destroy, setLink }
  } catch (err) {
    await destroy()
    throw err
  }
}

/** For a suite's `before`: skips it, saying why, where network namespaces are not allowed. */
export async function skipWithoutNetns (ctx: Mocha.Context): Promise<void> {
  const why = await netnsUnavailable()
  if (why !== null) {
    console.log(`      skipped: ${why}`)
    ctx.skip()
  }
}

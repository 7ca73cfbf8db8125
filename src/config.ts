// The one reader of the environment and the config file. Defaults, then the config file's
// `settings`, then the environment; validated once, at start. Tests call `testConfig(overrides)`.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ShoalError } from './errors.js'

export interface NamespaceSpec { name: string, secret: string }

export interface Config {
  /** Where namespaces live: `$dataPath/NAME`. */
  dataPath: string
  /** What the host calls dataPath (for `ctl path --scope=host`). */
  hostDataPath: string
  /** shoal's own state: `$dataPath/.shoal`. */
  stateDir: string
  /** Persisted namespaces and secrets (mode 0600). */
  configPath: string
  controlSocket: string
  uid: number
  gid: number
  uname: string
  /** Declarative namespaces from SHOAL_NAMESPACES, applied at start. */
  namespaces: NamespaceSpec[]
  /** Private DHT bootstrap nodes (`host:port`); empty = the public DHT. */
  bootstrap: string[]
  /** Run a DHT bootstrapper on this port (LAN-only clusters). */
  dhtPort: number | null
  /** TCP port of the side links that carry large files (null: any free port, 0: off). */
  contentPort: number | null
  nfsPort: number
  nfsAllow: string[]
  webPort: number
  webPassword: string | null
  /** Host to bind the NFS and web listeners to. */
  listenHost: string
  inContainer: boolean
  /**
   * Test hook (SHOAL_CLOCK_SKEW_MS, may be negative): added to the wall clock the replication's
   * hybrid logical clock reads, to simulate a node whose clock is off. 0 in production.
   */
  clockSkewMs: number
  /**
   * Test hook (SHOAL_TEST_CORRUPT_DIRECT=1): this node serves random bytes on the content channel,
   * as a lying or broken peer would. Off in production.
   */
  corruptDirect: boolean
}

export const DEFAULT_NFS_ALLOW = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '::1/128', 'fc00::/7', 'fe80::/10']

/** Settings the config file may carry under `settings` (the environment wins over them). */
const FILE_SETTINGS = ['hostDataPath', 'uid', 'gid', 'uname', 'bootstrap', 'dhtPort', 'contentPort', 'nfsPort', 'nfsAllow', 'webPort', 'listenHost'] as const

export function detectContainer (): boolean {
  return existsSync('/.dockerenv') || existsSync('/run/.containerenv') || process.env.container !== undefined
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const inContainer = overrides.inContainer ?? detectContainer()
  const dataPath = path.resolve(overrides.dataPath ?? env.DATA_PATH ?? (inContainer ? '/data' : './data'))
  const stateDir = path.join(dataPath, '.shoal')
  const configPath = path.resolve(overrides.configPath ?? env.CONFIG_PATH ?? path.join(stateDir, 'config.json'))
  const file = readSettings(configPath)

  const pick = <T>(key: keyof Config, envValue: string | undefined, parse: (v: string) => T, fallback: T): T => {
    if (key in overrides) return overrides[key] as T
    if (envValue !== undefined && envValue !== '') return parse(envValue)
    if (key in file) return file[key] as T
    return fallback
  }

  const config: Config = {
    dataPath,
    hostDataPath: pick('hostDataPath', env.HOST_DATA_PATH, (v) => v, '/mnt/resources'),
    stateDir,
    configPath,
    controlSocket: path.resolve(pick('controlSocket', env.SHOAL_CONTROL_SOCKET, (v) => v, path.join(stateDir, 'control.sock'))),
    uid: pick('uid', env.UID, (v) => int('UID', v, 0, 2 ** 32 - 2), 1000),
    gid: pick('gid', env.GID, (v) => int('GID', v, 0, 2 ** 32 - 2), 1000),
    uname: pick('uname', env.UNAME, (v) => v, 'shoal'),
    namespaces: pick('namespaces', env.SHOAL_NAMESPACES, parseNamespaceList, []),
    bootstrap: pick('bootstrap', env.SHOAL_BOOTSTRAP, parseHostList, []),
    dhtPort: pick('dhtPort', env.SHOAL_DHT_PORT, (v) => int('SHOAL_DHT_PORT', v, 1, 65535), null),
    contentPort: pick('contentPort', env.SHOAL_CONTENT_PORT, (v) => int('SHOAL_CONTENT_PORT', v, 0, 65535), null),
    nfsPort: pick('nfsPort', env.SHOAL_NFS_PORT, (v) => int('SHOAL_NFS_PORT', v, 0, 65535), 2049),
    nfsAllow: pick('nfsAllow', env.SHOAL_NFS_ALLOW, (v) => v.split(',').map((s) => s.trim()).filter(Boolean), DEFAULT_NFS_ALLOW),
    webPort: pick('webPort', env.SHOAL_WEB_PORT, (v) => int('SHOAL_WEB_PORT', v, 0, 65535), 8888),
    webPassword: pick('webPassword', env.SHOAL_WEB_PASSWORD, (v) => v, null),
    listenHost: pick('listenHost', env.SHOAL_LISTEN_HOST, (v) => v, '0.0.0.0'),
    inContainer,
    clockSkewMs: pick('clockSkewMs', env.SHOAL_CLOCK_SKEW_MS, parseSkew, 0),
    corruptDirect: pick('corruptDirect', env.SHOAL_TEST_CORRUPT_DIRECT, (v) => v === '1', false)
  }
  return config
}

/** A config for tests: everything under `dataPath`, listeners off unless asked for. */
export function testConfig (dataPath: string, overrides: Partial<Config> = {}): Config {
  return loadConfig({}, { inContainer: false, dataPath, nfsPort: 0, webPort: 0, listenHost: '127.0.0.1', ...overrides })
}

function readSettings (configPath: string): Partial<Record<keyof Config, unknown>> {
  let raw: string
  try {
    raw = readFileSync(configPath, 'utf8')
  } catch {
    return {}
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    throw ShoalError.badConfig(`${configPath} is not valid JSON`, 'fix or remove the file; namespaces are listed under "namespaces"')
  }
  const settings = (parsed as { settings?: Record<string, unknown> } | null)?.settings ?? {}
  const out: Partial<Record<keyof Config, unknown>> = {}
  for (const key of FILE_SETTINGS) if (settings[key] !== undefined) out[key] = settings[key]
  return out
}

function parseSkew (value: string): number {
  const n = Number(value)
  // At most a day either way: it is a test hook, not a setting.
  if (!/^-?\d+$/.test(value.trim()) || Math.abs(n) > 86_400_000) {
    throw ShoalError.badConfig(`SHOAL_CLOCK_SKEW_MS=${value} is not a number of milliseconds from -86400000 to 86400000`)
  }
  return n
}

function int (name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw ShoalError.badConfig(`${name}=${value} is not a number from ${min} to ${max}`)
  }
  return n
}

/** `name:secret,name2:secret2`. A secret may contain ':' (split at the first one), not ','. */
export function parseNamespaceList (value: string): NamespaceSpec[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const i = item.indexOf(':')
    if (i <= 0 || i === item.length - 1) {
      throw ShoalError.badConfig(`SHOAL_NAMESPACES entry '${item.slice(0, 40)}' is not name:secret`,
        'write SHOAL_NAMESPACES=name:secret,name2:secret2')
    }
    return { name: item.slice(0, i), secret: item.slice(i + 1) }
  })
}

/** `host:port,host:port` (IPv6 as `[::1]:port`). */
export function parseHostList (value: string): string[] {
  const hosts = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const h of hosts) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(h)
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw ShoalError.badConfig(`SHOAL_BOOTSTRAP entry '${h}' is not host:port`, 'write SHOAL_BOOTSTRAP=10.0.0.1:49737,10.0.0.2:49737')
    }
  }
  return hosts
}

/**
 * Where `ctl` finds the daemon, without reading or validating the rest of the configuration (a bad
 * SHOAL_NFS_PORT must not stop `ctl list`): SHOAL_CONTROL_SOCKET, else $DATA_PATH/.shoal/control.sock.
 */
export function controlSocketPath (env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHOAL_CONTROL_SOCKET !== undefined && env.SHOAL_CONTROL_SOCKET !== '') return path.resolve(env.SHOAL_CONTROL_SOCKET)
  const dataPath = env.DATA_PATH !== undefined && env.DATA_PATH !== '' ? env.DATA_PATH : (detectContainer() ? '/data' : './data')
  return path.resolve(dataPath, '.shoal', 'control.sock')
}

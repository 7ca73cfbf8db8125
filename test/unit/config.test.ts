import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { controlSocketPath, loadConfig, parseHostList, parseNamespaceList } from '../../src/config.js'
import { isShoalError } from '../../src/errors.js'
import { tmpDir, useTeardown } from '../helpers/teardown.js'

describe('config', () => {
  const teardown = useTeardown()

  it('has the documented defaults', () => {
    const c = loadConfig({}, { inContainer: true })
    assert.equal(c.dataPath, '/data')
    assert.equal(c.stateDir, '/data/.shoal')
    assert.equal(c.configPath, '/data/.shoal/config.json')
    assert.equal(c.controlSocket, '/data/.shoal/control.sock')
    assert.equal(c.hostDataPath, '/mnt/resources')
    assert.deepEqual([c.uid, c.gid, c.uname], [1000, 1000, 'shoal'])
    assert.deepEqual([c.nfsPort, c.webPort, c.dhtPort], [2049, 8888, null])
    assert.deepEqual(c.bootstrap, [])
    assert.equal(c.webPassword, null)
    assert.equal(loadConfig({}, { inContainer: false }).dataPath, path.resolve('./data'))
  })

  it('reads the environment', () => {
    const c = loadConfig({
      DATA_PATH: '/srv/d', HOST_DATA_PATH: '/h', UID: '33', GID: '44', SHOAL_NFS_PORT: '0', SHOAL_WEB_PORT: '9000',
      SHOAL_BOOTSTRAP: '10.0.0.1:49737,[::1]:5', SHOAL_DHT_PORT: '49737', SHOAL_NAMESPACES: 'a:' + 'p'.repeat(16) + ',b:x:y',
      SHOAL_NFS_ALLOW: '10.0.0.0/8, 127.0.0.1/32', SHOAL_CONTROL_SOCKET: '/run/s.sock', SHOAL_CONTENT_PORT: '0'
    })
    assert.equal(c.dataPath, '/srv/d')
    assert.equal(c.hostDataPath, '/h')
    assert.deepEqual([c.uid, c.gid, c.nfsPort, c.webPort, c.dhtPort], [33, 44, 0, 9000, 49737])
    assert.deepEqual(c.bootstrap, ['10.0.0.1:49737', '[::1]:5'])
    assert.deepEqual(c.namespaces, [{ name: 'a', secret: 'p'.repeat(16) }, { name: 'b', secret: 'x:y' }])
    assert.deepEqual(c.nfsAllow, ['10.0.0.0/8', '127.0.0.1/32'])
    assert.equal(c.controlSocket, '/run/s.sock')
    assert.equal(c.contentPort, 0)
    assert.equal(loadConfig({ SHOAL_CONTENT_PORT: '4040' }).contentPort, 4040)
    assert.equal(loadConfig({}).contentPort, null, 'unset: any free port')
  })

  it('refuses bad values with BAD_CONFIG', () => {
    const bad: Array<Record<string, string>> = [
      { SHOAL_NFS_PORT: 'x' }, { SHOAL_WEB_PORT: '70000' }, { UID: '-1' }, { SHOAL_DHT_PORT: '0' }, { SHOAL_CONTENT_PORT: '65536' },
      { SHOAL_BOOTSTRAP: 'nohost' }, { SHOAL_NAMESPACES: 'justaname' }, { SHOAL_NAMESPACES: ':secret' }
    ]
    for (const env of bad) assert.throws(() => loadConfig(env, { inContainer: false }), (e: unknown) => isShoalError(e, 'BAD_CONFIG'), JSON.stringify(env))
  })

  it('takes settings from the config file, and the environment wins', async () => {
    const dir = await tmpDir(teardown)
    const file = path.join(dir, 'config.json')
    await writeFile(file, JSON.stringify({ namespaces: [], settings: { nfsPort: 12049, webPort: 18888, bogus: 1 } }))
    const c = loadConfig({ CONFIG_PATH: file, SHOAL_WEB_PORT: '1' }, { inContainer: false })
    assert.deepEqual([c.nfsPort, c.webPort], [12049, 1])
    await writeFile(file, '{not json')
    assert.throws(() => loadConfig({ CONFIG_PATH: file }), (e: unknown) => isShoalError(e, 'BAD_CONFIG'))
  })

  it('finds the control socket without reading the rest', () => {
    assert.equal(controlSocketPath({ DATA_PATH: '/x', SHOAL_NFS_PORT: 'garbage' }), '/x/.shoal/control.sock')
    assert.equal(controlSocketPath({ SHOAL_CONTROL_SOCKET: '/run/c.sock' }), '/run/c.sock')
  })

  it('parses lists', () => {
    assert.deepEqual(parseNamespaceList(' a:s1 , ,b:s2 '), [{ name: 'a', secret: 's1' }, { name: 'b', secret: 's2' }])
    assert.deepEqual(parseHostList('h:1'), ['h:1'])
    assert.throws(() => parseHostList('h:99999'))
  })
})

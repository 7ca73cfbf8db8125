import assert from 'node:assert/strict'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { SideLinks } from '../../src/engine/side-links.js'
import { createLogger } from '../../src/log.js'

const keyPair = (): { publicKey: Buffer, secretKey: Buffer } => ({ publicKey: randomBytes(32), secretKey: randomBytes(64) })

describe('side links: the listening port (SHOAL_CONTENT_PORT)', () => {
  it('listens on the port it is given, so a firewall rule or a port mapping can name it', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const a = s.address()
        s.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) })
      })
    })
    const links = new SideLinks(keyPair(), '127.0.0.1', createLogger('t', () => {}))
    await links.listen(free)
    try {
      assert.equal(links.port, free)
    } finally { await links.close() }
  })

  it('a port already taken leaves the node without side links, says why, and does not throw', async () => {
    const busy = net.createServer()
    await new Promise<void>((resolve) => { busy.listen(0, '127.0.0.1', resolve) })
    const a = busy.address()
    const port = typeof a === 'object' && a !== null ? a.port : 0
    const lines: string[] = []
    const links = new SideLinks(keyPair(), '127.0.0.1', createLogger('t', (line) => { lines.push(line) }))
    try {
      await links.listen(port)
      assert.equal(links.port, 0)
      assert.ok(lines.some((l) => l.includes('no side links')), lines.join('\n'))
    } finally {
      await links.close()
      await new Promise<void>((resolve) => { busy.close(() => { resolve() }) })
    }
  })
})

// Serving the control app on a unix socket. A socket file left by a killed daemon is replaced; one
// that still answers means another daemon owns this DATA_PATH, and we refuse to start.
import http from 'node:http'
import net from 'node:net'
import { chmod, mkdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { RequestListener } from 'node:http'
import { ShoalError, isErrno } from '../errors.js'

const MAX_SOCKET_PATH = 107

export async function listenControlSocket (socketPath: string, app: RequestListener): Promise<http.Server> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw ShoalError.badConfig(`the control socket path is longer than ${MAX_SOCKET_PATH} bytes: ${socketPath}`,
      'set SHOAL_CONTROL_SOCKET to a shorter path')
  }
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 })
  if (await answers(socketPath)) {
    throw new ShoalError('UNAVAILABLE', `another shoal daemon is running on ${socketPath}`, {
      hint: 'stop it first, or give this one another DATA_PATH'
    })
  }
  await unlink(socketPath).catch((err: unknown) => { if (!isErrno(err, 'ENOENT')) throw err })
  const server = http.createServer(app)
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => { server.off('error', reject); resolve() })
  })
  await chmod(socketPath, 0o660)
  return server
}

export async function closeServer (server: http.Server, socketPath?: string): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  })
  if (socketPath !== undefined) await unlink(socketPath).catch(() => {})
}

function answers (socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
  })
}

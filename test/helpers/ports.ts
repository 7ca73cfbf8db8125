import { createSocket } from 'node:dgram'

/** A UDP port that was free a moment ago (for a DHT bootstrapper). */
export async function freeUdpPort (): Promise<number> {
  const sock = createSocket('udp4')
  await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(0, '127.0.0.1', resolve) })
  const port = sock.address().port
  await new Promise<void>((resolve) => { sock.close(() => resolve()) })
  return port
}

// Helpers for the dashboard's tests: a control service on a temp dir, a free TCP port, and a
// minimal server-sent-events reader (supertest buffers whole responses; an event stream never ends).
import http from 'node:http'
import net from 'node:net'
import { testConfig } from '../../src/config.js'
import { EventLog } from '../../src/events.js'
import { silentLogger } from '../../src/log.js'
import { NamespaceManager } from '../../src/namespace/manager.js'
import { ControlService } from '../../src/control/service.js'
import { tmpDir } from './teardown.js'

export interface TestService { svc: ControlService, manager: NamespaceManager, events: EventLog, dir: string }

export async function createTestService (teardown: (fn: () => unknown) => void): Promise<TestService> {
  const dir = await tmpDir(teardown)
  const config = testConfig(dir)
  const events = new EventLog()
  const manager = new NamespaceManager({ config, events, log: silentLogger })
  await manager.open()
  teardown(async () => { await manager.close() })
  const svc = new ControlService({
    config, manager, events, nodeId: 'ab'.repeat(32), version: '9.9.9', startedAt: new Date(Date.now() - 90_000),
    ports: () => ({ nfs: null, web: 8888 })
  })
  return { svc, manager, events, dir }
}

/** A port that was free a moment ago (for a child daemon, which must be told its port). */
export async function freePort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => { s.listen(0, '127.0.0.1', resolve) })
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => { s.close(() => { resolve() }) })
  return port
}

export interface SseMessage { id?: string, event?: string, data: string }

/** Reads an event stream until `until` says stop (or the stream ends); returns what it saw. */
export function readSse (url: string, headers: Record<string, string>, until: (seen: SseMessage[]) => boolean, timeoutMs = 5000):
Promise<{ status: number, messages: SseMessage[], ended: boolean }> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = []
    let buf = ''
    let status = 0
    const req = http.get(url, { headers }, (res) => {
      status = res.statusCode ?? 0
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        let i: number
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const m: SseMessage = { data: '' }
          let isMessage = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue
            const [k, ...rest] = line.split(':')
            const v = rest.join(':').replace(/^ /, '')
            if (k === 'data') { m.data += v; isMessage = true } else if (k === 'id') m.id = v; else if (k === 'event') m.event = v
          }
          if (isMessage) messages.push(m)
        }
        if (until(messages)) finish(false)
      })
      res.on('end', () => { finish(true) })
      if (status !== 200) res.resume()
    })
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`no end condition after ${timeoutMs} ms; saw ${JSON.stringify(messages)}`)) }, timeoutMs)
    let done = false
    const finish = (ended: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve({ status, messages, ended })
    }
    req.on('error', (err) => { if (!done) { clearTimeout(timer); reject(err) } })
  })
}

/**
 * Resolves once a daemon's log matches: the control socket answers (startDaemon's "ready") a moment
 * before the dashboard listens, and stderr arrives when it arrives.
 */
export async function waitForLog (d: { log: string, running: boolean }, re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const m = re.exec(d.log)
    if (m !== null) return m
    if (!d.running || Date.now() > deadline) throw new Error(`log never matched ${String(re)}:\n${d.log}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

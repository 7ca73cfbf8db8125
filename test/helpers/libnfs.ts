import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { promisify } from 'node:util'

/** Helpers for the tests that drive Debian's libnfs-utils (nfs-ls, nfs-cat, nfs-cp) against a server. */
export const run = promisify(execFile)

export async function have (cmd: string): Promise<boolean> {
  try { await run('sh', ['-c', `command -v ${cmd}`]); return true } catch { return false }
}

export async function sha (path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path)) h.update(c as Buffer)
  return h.digest('hex')
}

/** Writes n random bytes in 1 MiB pieces; returns the sha256. */
export async function randomFile (path: string, n: number): Promise<string> {
  const h = createHash('sha256')
  const out = createWriteStream(path)
  for (let done = 0; done < n;) {
    const chunk = randomBytes(Math.min(1 << 20, n - done))
    h.update(chunk)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    done += chunk.length
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return h.digest('hex')
}

/** nfs-cat to a file (streamed: 100 MiB does not go through a JS string). */
export function nfsCat (url: string, dest: string, stderr: 'inherit' | 'ignore' = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('nfs-cat', [url], { stdio: ['ignore', 'pipe', stderr] })
    const out = createWriteStream(dest)
    p.stdout.pipe(out)
    p.on('error', reject)
    p.on('close', (code) => out.end(() => resolve(code ?? 1)))
  })
}

/** The names nfs-ls prints (its last column). */
export function lsNames (stdout: string): string[] {
  return stdout.trim().split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).pop()!)
}

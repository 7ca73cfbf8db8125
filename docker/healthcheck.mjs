// The image's HEALTHCHECK: exit 0 if the daemon answers. GET /healthz on the dashboard port; with the
// dashboard off (SHOAL_WEB_PORT=0), `ctl list` over the control socket. Bounded to 4 s either way.
import { spawnSync } from 'node:child_process'

const port = process.env.SHOAL_WEB_PORT ?? '8888'
if (port === '0') {
  const r = spawnSync('ctl', ['list'], { stdio: 'ignore', timeout: 4000 })
  process.exit(r.status === 0 ? 0 : 1)
}
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) })
  process.exit(res.ok ? 0 : 1)
} catch {
  process.exit(1)
}

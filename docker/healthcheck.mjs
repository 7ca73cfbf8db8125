// The image's HEALTHCHECK: exit 0 if the daemon is alive, 1 if not; bounded to 4 s per probe.
// GET /healthz on the dashboard port decides when it answers: 2xx healthy, anything else not. When
// nothing answers there (the dashboard is off with SHOAL_WEB_PORT=0, or a build without it) or the
// route is missing (404), `ctl list` over the control socket decides instead: the daemon is one
// process, so a control socket that answers means it runs.
import { spawnSync } from 'node:child_process'

const port = process.env.SHOAL_WEB_PORT ?? '8888'

function viaControlSocket () {
  const r = spawnSync('ctl', ['list'], { stdio: 'ignore', timeout: 4000 })
  process.exit(r.status === 0 ? 0 : 1)
}

if (port === '0') viaControlSocket()
let res
try {
  res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) })
} catch {
  viaControlSocket()
}
if (res.status === 404) viaControlSocket()
process.exit(res.ok ? 0 : 1)

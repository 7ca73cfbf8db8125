import createDebug from 'debug'

/**
 * Daemon logging: info/warn/error always go to stderr (the daemon's log), debug only with
 * DEBUG=shoal:*. Loggers are passed down (`log.extend('ns:gitlab')`), never imported as a global.
 */
export interface Logger {
  readonly area: string
  info (msg: string, ...args: unknown[]): void
  warn (msg: string, ...args: unknown[]): void
  error (msg: string, ...args: unknown[]): void
  debug (msg: string, ...args: unknown[]): void
  extend (sub: string): Logger
}

export type LogSink = (line: string) => void

const stderrSink: LogSink = (line) => { process.stderr.write(line + '\n') }

export function createLogger (area = 'shoal', sink: LogSink = stderrSink): Logger {
  const dbg = createDebug(area)
  const fmt = (level: string, msg: string, args: unknown[]): string => {
    const extra = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === 'string' ? a : JSON.stringify(a)))
    return `${new Date().toISOString()} ${level} ${area} ${msg}${extra.length ? ' ' + extra.join(' ') : ''}`
  }
  return {
    area,
    info: (msg, ...args) => sink(fmt('info', msg, args)),
    warn: (msg, ...args) => sink(fmt('warn', msg, args)),
    error: (msg, ...args) => sink(fmt('error', msg, args)),
    debug: (msg, ...args) => dbg(msg, ...args),
    extend: (sub) => createLogger(`${area}:${sub}`, sink)
  }
}

/** A logger that drops everything: for tests and libraries used without a daemon. */
export const silentLogger: Logger = createLogger('shoal', () => {})

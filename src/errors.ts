// One error class for the node, one code per failure, a hint for the user. Mapped to exit codes,
// HTTP statuses and NFS statuses only at the edges (cli/, control/http.ts, nfs/).
export const ErrorCodes = {
  BAD_NAME: 'the namespace name is not allowed',
  BAD_SECRET: 'the secret is not valid',
  BAD_CONFIG: 'the configuration is not valid',
  BAD_REQUEST: 'the request is not valid',
  NS_EXISTS: 'the namespace exists with another secret',
  NS_NOT_FOUND: 'no such namespace',
  NOT_WRITABLE: 'the namespace is read-only on this node',
  TIMEOUT: 'timed out',
  UNAVAILABLE: 'not available',
  UNREACHABLE: 'the daemon is not reachable',
  CLOSED: 'the node is closing',
  INTERNAL: 'internal error'
} as const

export type ErrorCode = keyof typeof ErrorCodes

export interface ErrorOptions {
  hint?: string
  cause?: unknown
}

export class ShoalError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined

  constructor (code: ErrorCode, message: string = ErrorCodes[code], opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'ShoalError'
    this.code = code
    this.hint = opts.hint
  }

  toJSON (): { code: ErrorCode, message: string, hint?: string } {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint }
  }

  static badName (message: string, hint?: string): ShoalError { return new ShoalError('BAD_NAME', message, { hint }) }
  static badSecret (message: string, hint?: string): ShoalError { return new ShoalError('BAD_SECRET', message, { hint }) }
  static badConfig (message: string, hint?: string): ShoalError { return new ShoalError('BAD_CONFIG', message, { hint }) }
  static badRequest (message: string, hint?: string): ShoalError { return new ShoalError('BAD_REQUEST', message, { hint }) }
  static notFound (name: string): ShoalError {
    return new ShoalError('NS_NOT_FOUND', `no namespace named '${name}'`, { hint: 'see the namespaces with `ctl list`' })
  }
}

export function isShoalError (err: unknown, code?: ErrorCode): err is ShoalError {
  return err instanceof ShoalError && (code === undefined || err.code === code)
}

/** Node's own errors (fs, net) carry a string code such as 'ENOENT'. */
export function isErrno (err: unknown, code?: string): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' &&
    (code === undefined || (err as NodeJS.ErrnoException).code === code)
}

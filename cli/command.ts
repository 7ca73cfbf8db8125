// The shape of a `ctl` verb: it returns what to print and the exit code, so it is testable without
// a terminal. ctl.ts wires the verbs into commander; only control/client.ts talks to the daemon.
import type { ControlClient } from '../src/control/client.js'

export interface CommandResult {
  /** Printed to stdout, followed by a newline (nothing if undefined). */
  out?: string
  /** 0 success (default), 1 a negative answer. */
  exitCode?: number
}

export type Options = Record<string, string | boolean | undefined>

export interface CommandOption {
  flags: string
  description: string
  /** Only for options that take a value. */
  choices?: string[]
  default?: string
}

export interface Command {
  name: string
  summary: string
  /** commander argument syntax: '<namespace>', '[namespace]'. */
  args: string[]
  options: CommandOption[]
  run (client: ControlClient, args: string[], opts: Options): Promise<CommandResult>
}

export const jsonOption: CommandOption = { flags: '--json', description: 'print JSON' }

export function json (value: unknown): string { return JSON.stringify(value, null, 2) }

#!/usr/bin/env node
// ctl: manage a running shoal node over its control socket.
// Exit codes: 0 success; 1 a negative answer or a refused request; 2 usage; 3 the daemon is not reachable.
import { Command as Program, CommanderError, Option } from 'commander'
import { ControlClient } from '../src/control/client.js'
import { controlSocketPath } from '../src/config.js'
import { isShoalError } from '../src/errors.js'
import { VERSION } from '../src/version.js'
import { commands } from './commands/index.js'
import type { Options } from './command.js'

export const EXIT = { OK: 0, NO: 1, USAGE: 2, UNREACHABLE: 3 } as const

export async function ctl (argv: string[], io = { out: process.stdout, err: process.stderr }): Promise<number> {
  let exitCode: number = EXIT.OK
  const program = new Program('ctl')
    .description('manage the namespaces of a running shoal node')
    .version(VERSION, '-V, --version')
    .option('--socket <path>', 'control socket (default: $SHOAL_CONTROL_SOCKET or $DATA_PATH/.shoal/control.sock)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError('(run `ctl --help` for usage)')

  for (const cmd of commands) {
    const sub = program.command(cmd.name).description(cmd.summary).exitOverride()
    for (const a of cmd.args) sub.argument(a)
    for (const o of cmd.options) {
      const opt = new Option(o.flags, o.description)
      if (o.choices !== undefined) opt.choices(o.choices)
      if (o.default !== undefined) opt.default(o.default)
      sub.addOption(opt)
    }
    sub.action(async (...params: unknown[]) => {
      const args = params.slice(0, cmd.args.length).filter((a): a is string => typeof a === 'string')
      const opts = params[cmd.args.length] as Options
      const socket = program.opts<{ socket?: string }>().socket ?? controlSocketPath()
      const result = await cmd.run(new ControlClient(socket), args, opts)
      if (result.out !== undefined) io.out.write(result.out + '\n')
      exitCode = result.exitCode ?? EXIT.OK
    })
  }

  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.OK : EXIT.USAGE
    }
    if (isShoalError(err)) {
      io.err.write(`${err.code}: ${err.message}\n`)
      if (err.hint !== undefined) io.err.write(`hint: ${err.hint}\n`)
      return err.code === 'UNREACHABLE' ? EXIT.UNREACHABLE : EXIT.NO
    }
    io.err.write(`INTERNAL: ${err instanceof Error ? err.message : String(err)}\n`)
    return EXIT.NO
  }
}

ctl(process.argv.slice(2)).then((code) => { process.exitCode = code }, () => { process.exitCode = EXIT.NO })

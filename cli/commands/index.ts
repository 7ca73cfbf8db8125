import type { Command } from '../command.js'
import { add } from './add.js'
import { del } from './del.js'
import { path } from './path.js'
import { has } from './has.js'
import { list } from './list.js'
import { secret } from './secret.js'
import { status } from './status.js'
import { peers } from './peers.js'
import { wait } from './wait.js'
import { resume } from './resume.js'

/** Every verb of `ctl`, in the order `ctl --help` lists them. */
export const commands: Command[] = [add, del, path, has, list, secret, status, peers, wait, resume]

import { ShoalError } from '../errors.js'

/** DESIGN.md §3: `[a-z0-9][a-z0-9._-]{0,62}` — no '/', no '..', no leading dot. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

export function validateName (name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw ShoalError.badName('a namespace name is required', 'names look like `gitlab` or `app-data`')
  }
  const shown = JSON.stringify(name.length > 70 ? name.slice(0, 70) + '…' : name)
  if (!NAME.test(name) || name.includes('..')) {
    const why = name.length > 63
      ? 'it is longer than 63 characters'
      : name.includes('/') ? 'it contains /'
        : name.includes('..') ? 'it contains ..'
          : /^[._-]/.test(name) ? 'it starts with ' + JSON.stringify(name[0])
            : /[A-Z]/.test(name) ? 'it has upper-case letters'
              : 'it has characters other than a-z, 0-9, ., _ and -'
    throw ShoalError.badName(`namespace name ${shown} is not allowed: ${why}`,
      'use 1 to 63 characters from a-z, 0-9, ., _ and -, starting with a letter or digit')
  }
  return name
}

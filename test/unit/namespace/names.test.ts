import assert from 'node:assert/strict'
import { validateName } from '../../../src/namespace/names.js'
import { isShoalError } from '../../../src/errors.js'

describe('namespace names', () => {
  it('accepts [a-z0-9][a-z0-9._-]{0,62}', () => {
    for (const ok of ['gitlab', 'a', '0', 'app-data', 'my_app.v2', 'x'.repeat(63), '9lives']) assert.equal(validateName(ok), ok)
  })

  it('refuses everything else with a reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['', /required/], [undefined, /required/], [42, /required/],
      ['a/b', /contains \//], ['..', /contains|starts with/], ['a..b', /contains \.\./], ['.hidden', /starts with "\."/],
      ['-x', /starts with "-"/], ['GitLab', /upper-case/], ['x'.repeat(64), /longer than 63/],
      ['a b', /characters other/], ['ünï', /characters other/], ['a\0b', /characters other/], ['a\nb', /characters other/]
    ]
    for (const [input, reason] of cases) {
      assert.throws(() => validateName(input), (err: unknown) => isShoalError(err, 'BAD_NAME') && reason.test(err.message), String(input))
    }
  })
})

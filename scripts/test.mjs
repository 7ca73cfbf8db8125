#!/usr/bin/env node
// Runs the compiled mocha suites. `node scripts/test.mjs [unit|integration|cluster|all] [mocha args…]`
// Default: unit + integration. The closing line is "N passed, N failed" (scripts/reporter.cjs).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const suites = { unit: ['dist/test/unit'], integration: ['dist/test/integration'], faults: ['dist/test/faults'] }
const args = process.argv.slice(2)
const which = args[0] && !args[0].startsWith('-') ? args.shift() : 'default'
const dirs = which === 'default' ? [...suites.unit, ...suites.integration] : (suites[which] ?? [which])
const specs = dirs.filter((d) => existsSync(d)).map((d) => (d.endsWith('.js') ? d : `${d}/**/*.test.js`))
if (specs.length === 0) { console.error(`no compiled tests under ${dirs.join(', ')}: run \`make build\` first`); process.exit(2) }
const r = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', ...specs, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)

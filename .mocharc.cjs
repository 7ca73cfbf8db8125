// Tests run from the compiled output (make build first); see scripts/test.mjs.
module.exports = {
  reporter: './scripts/reporter.cjs',
  timeout: 60000,
  exit: true,
  recursive: true
}

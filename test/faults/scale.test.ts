// 10,000 files in one namespace (bench/scale.ts, which `npm run bench:scale` runs with 100,000):
// the initial sync completes and `ctl status` stays responsive during it. RSS per file is reported
// (the 256-byte goal is not met yet: docs/guarantees.md, Limits).
import assert from 'node:assert/strict'
import { runScale } from '../../bench/scale.js'

const FILES = Number(process.env.SHOAL_SCALE_FILES ?? 10_000)

describe(`faults: ${FILES} files in one namespace`, function () {
  this.timeout(1_200_000)

  it('the initial sync completes; ctl status stays responsive; RSS per file reported', async () => {
    const r = await runScale(FILES, (s) => { console.log(`      ${s}`) }, 900_000)
    console.log(`      status API p50 ${r.statusApiMs.p50} ms, p99 ${r.statusApiMs.p99} ms, max ${r.statusApiMs.max} ms; ctl CLI p50 ${r.statusCliMs.p50} ms, max ${r.statusCliMs.max} ms`)
    console.log(`      RSS growth per file: writer ${r.writer.bytesPerFile} B, receiver ${r.receiver.bytesPerFile} B; index ${r.indexBytes} B on disk`)
    assert.ok(r.statusApiMs.p99 < 1000, `status p99 ${r.statusApiMs.p99} ms`)
    assert.ok(r.statusApiMs.max < 5000, `status max ${r.statusApiMs.max} ms`)
  })
})

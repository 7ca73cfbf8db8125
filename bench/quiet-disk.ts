// Before a system's first workload: the same disk state for every system, whatever was deleted just
// before. This machine's ext4 has no journal, and its inode allocator then skips every free inode
// whose inode-table block is still in the buffer cache with a deletion time less than 60 s old,
// 360 s while that block is dirty (`recently_deleted` in fs/ext4/ialloc.c): one buffer lookup per
// skipped inode, on every create. Creates dirty the blocks they take inodes from, so a folder that
// fills up near freed inodes keeps them "recent" for minutes. Measured here (2,000 creates of 4 KiB
// in a new folder after removing 20,000 files, µs a create): 230 at once; with such creates every
// 20 s, 290–410 from 20 to 70 s, 160–180 at 100–130 s, 73 at 190 s; with nothing created meanwhile,
// 89 and 125 at 65 s (the fixed wait used before). bench:sync's second run of a back-to-back pair
// (65 s after the first one's cleanup) gave W1 0.62 with the receiver at 7.5 CPU s, the first 0.29
// with 3.8.
//
// The check reads the block only if it is cached: written out (sync) and dropped from the page
// cache, no freed inode counts as recent. The same removal, then `sync` and a drop: 18–37 µs a
// create at once. That needs root; otherwise, or with BENCH_SETTLE_S set, a timed wait.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Seconds to wait instead (BENCH_SETTLE_S): 0 skips it. */
const SETTLE_S = settleSeconds(process.env.BENCH_SETTLE_S)
/**
 * Without root: ~35 s for the blocks to be written back here, plus the 60 s. A compromise: a block
 * that the next run's creates dirty again brings its neighbours back for up to 360 s.
 */
const FALLBACK_S = 100

/** Makes inodes freed before now free for the next creates, and says how. */
export async function quietDisk (): Promise<void> {
  if (SETTLE_S === null) {
    try {
      const t0 = performance.now()
      await run('sync')
      await writeFile('/proc/sys/vm/drop_caches', '1')
      console.log(`synced and dropped the page cache in ${(performance.now() - t0).toFixed(0)} ms (inodes freed before count as old; BENCH_SETTLE_S=N waits N s instead)`)
      return
    } catch (err) {
      console.log(`cannot drop the page cache (${(err as Error).message.split('\n')[0]}): waiting instead`)
    }
  }
  const s = SETTLE_S ?? FALLBACK_S
  if (s <= 0) return
  console.log(`waiting ${s} s for inodes freed before this system's run to age out`)
  await new Promise((resolve) => setTimeout(resolve, s * 1000))
}

function settleSeconds (text: string | undefined): number | null {
  if (text === undefined) return null
  const s = Number(text)
  if (text.trim() === '' || !Number.isFinite(s) || s < 0) throw new Error(`BENCH_SETTLE_S=${text}: expected seconds (0 or more)`)
  return s
}

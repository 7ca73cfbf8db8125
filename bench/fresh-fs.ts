// A fresh ext4 file system for a benchmark's folders (bench:nfs, bench:sync). On the machine's one
// shared file system a create's cost depends on what was deleted nearby lately: ext4's inode
// allocator skips recently freed inodes, one lookup each (40-60 us per O_CREAT open in one folder,
// 281 us in its sibling, 380-760 us everywhere right after 10,000 removals; perf over W1 showed
// the receiver's file thread in `recently_deleted` and `__brelse`). So each system under test gets
// a file system of its own, made fresh, the same size and options for each (BENCH_FRESH_FS=1, root
// only). A loop device is not free either: its writes go through the image file's page cache too,
// and an fsync (Syncthing fsyncs every file it writes) goes on to the image file, so bench:sync
// keeps the shared disk unless asked (in one run on fresh file systems Syncthing took 15.8 s for
// W1 and 29.6 s for W4, against 10.9 and 22.9 s in the run before on the shared disk).
import { execFile } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** BENCH_FRESH_FS=1 or 0, else `byDefault`; never for a user but root (mount needs it). */
export function freshFsWanted (byDefault: boolean): boolean {
  return process.getuid?.() === 0 && (process.env.BENCH_FRESH_FS ?? (byDefault ? '1' : '0')) === '1'
}

/**
 * A new, empty ext4 of `mib` MiB (a sparse image beside `dir`, on a loop device) mounted at `dir`,
 * made if missing; nothing but the directory when `wanted` is false. Returns its unmount.
 */
export async function freshFs (dir: string, mib: number, wanted: boolean): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true })
  if (!wanted) return async () => {}
  const image = `${dir}.img`
  await run('truncate', ['-s', `${Math.ceil(mib)}M`, image])
  // itable and journal made now, not by a kernel thread in the background of the measurements
  await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image])
  await run('mount', ['-o', 'loop', image, dir])
  return async () => {
    await run('umount', [dir]).catch(async () => await run('umount', ['-l', dir]))
    await rm(image, { force: true })
  }
}

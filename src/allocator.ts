// Which malloc the process runs on: jemalloc when started through bin/with-jemalloc (the image,
// `make run`) on a system that has it, else the system's. Said once in the startup log, because
// it decides how much memory a large sync leaves behind (README "Scale").
import { readFile } from 'node:fs/promises'

export type Allocator = 'jemalloc' | 'system'

/** From the libraries mapped into this process (Linux); 'system' where that cannot be read. */
export async function currentAllocator (maps = '/proc/self/maps'): Promise<Allocator> {
  const text = await readFile(maps, 'utf8').catch(() => '')
  return /\/libjemalloc[^/\s]*\.so/.test(text) ? 'jemalloc' : 'system'
}

export function describeAllocator (a: Allocator): string {
  return a === 'jemalloc'
    ? 'memory allocator: jemalloc'
    : 'memory allocator: the system malloc (with libjemalloc2 installed, bin/shoal runs shoal on jemalloc: about half the memory kept per synced file)'
}

// Deletes native prebuilds for other platforms from node_modules (`prebuilds/<platform>-<arch>/`).
// rocksdb-native alone ships ~160 MB of them for Android, iOS, macOS and Windows; the image needs one.
import { readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'

const keep = `${process.platform}-${process.arch}`
let freed = 0

function walk (dir, depth) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (!statSync(p).isDirectory()) continue
    if (name === 'prebuilds') prune(p)
    else if (depth < 3) walk(p, depth + 1) // node_modules/@scope/pkg/node_modules/…
  }
}

function prune (dir) {
  for (const name of readdirSync(dir)) {
    if (name === keep || !statSync(path.join(dir, name)).isDirectory()) continue
    freed += size(path.join(dir, name))
    rmSync(path.join(dir, name), { recursive: true, force: true })
  }
}

function size (p) {
  const st = statSync(p)
  if (!st.isDirectory()) return st.size
  return readdirSync(p).reduce((n, c) => n + size(path.join(p, c)), 0)
}

walk(process.argv[2] ?? 'node_modules', 0)
console.log(`prune-prebuilds: kept ${keep}, freed ${(freed / 1e6).toFixed(0)} MB`)

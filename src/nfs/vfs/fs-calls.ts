// The file-system calls of the request path, all through libuv's thread pool: a slow or hung disk
// then holds pool threads, never the event loop that serves every client (issue #4: no synchronous
// file-system calls on the request path). Node's callback API rather than fs/promises: no
// FileHandle object per descriptor, one promise per call.
import * as fs from 'node:fs'
import type { Stat } from './types.js'

type Cb<T> = (err: NodeJS.ErrnoException | null, v: T) => void

function call<T> (start: (cb: Cb<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => { start((err, v) => { if (err) reject(err); else resolve(v) }) })
}

/** A call whose callback carries only an error. */
function callVoid (start: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return call<void>((cb) => { start((err) => { cb(err, undefined) }) })
}

export const openFd = (p: string, flags: number, mode?: number): Promise<number> => call((cb) => fs.open(p, flags, mode, cb))
export const fstatFd = (fd: number): Promise<Stat> => call((cb) => fs.fstat(fd, { bigint: true }, cb))
export const lstatPath = (p: string): Promise<Stat> => call((cb) => fs.lstat(p, { bigint: true }, cb))
export const fchownFd = (fd: number, uid: number, gid: number): Promise<void> => callVoid((cb) => fs.fchown(fd, uid, gid, cb))
export const fchmodFd = (fd: number, mode: number): Promise<void> => callVoid((cb) => fs.fchmod(fd, mode, cb))
export const futimesFd = (fd: number, atime: number, mtime: number): Promise<void> => callVoid((cb) => fs.futimes(fd, atime, mtime, cb))
export const fdatasyncFd = (fd: number): Promise<void> => callVoid((cb) => fs.fdatasync(fd, cb))
export const lchownPath = (p: string, uid: number, gid: number): Promise<void> => callVoid((cb) => fs.lchown(p, uid, gid, cb))
export const chmodPath = (p: string, mode: number): Promise<void> => callVoid((cb) => fs.chmod(p, mode, cb))
export const lutimesPath = (p: string, atime: fs.TimeLike, mtime: fs.TimeLike): Promise<void> => callVoid((cb) => fs.lutimes(p, atime, mtime, cb))
export const pread = (fd: number, buf: Buffer, len: number, pos: number): Promise<number> => call((cb) => fs.read(fd, buf, 0, len, pos, cb))
export const pwrite = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> => call((cb) => fs.write(fd, buf, off, len, pos, cb))

/** Closes a descriptor nothing uses any more; an error (EBADF, EIO on close) has no one to go to. */
export function closeQuietly (fd: number): Promise<void> { return new Promise((resolve) => { fs.close(fd, () => { resolve() }) }) }

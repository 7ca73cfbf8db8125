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

const done = <T>(cb: Cb<T | undefined>) => (err: NodeJS.ErrnoException | null): void => { cb(err, undefined) }

export const openFd = (p: string, flags: number, mode?: number): Promise<number> => call((cb) => fs.open(p, flags, mode, cb))
export const fstatFd = (fd: number): Promise<Stat> => call((cb) => fs.fstat(fd, { bigint: true }, cb))
export const lstatPath = (p: string): Promise<Stat> => call((cb) => fs.lstat(p, { bigint: true }, cb))
export const fchownFd = (fd: number, uid: number, gid: number): Promise<void> => call((cb) => fs.fchown(fd, uid, gid, done(cb))) as Promise<void>
export const fchmodFd = (fd: number, mode: number): Promise<void> => call((cb) => fs.fchmod(fd, mode, done(cb))) as Promise<void>
export const futimesFd = (fd: number, atime: number, mtime: number): Promise<void> => call((cb) => fs.futimes(fd, atime, mtime, done(cb))) as Promise<void>
export const ftruncateFd = (fd: number, len: number): Promise<void> => call((cb) => fs.ftruncate(fd, len, done(cb))) as Promise<void>
export const fdatasyncFd = (fd: number): Promise<void> => call((cb) => fs.fdatasync(fd, done(cb))) as Promise<void>
export const lchownPath = (p: string, uid: number, gid: number): Promise<void> => call((cb) => fs.lchown(p, uid, gid, done(cb))) as Promise<void>
export const chmodPath = (p: string, mode: number): Promise<void> => call((cb) => fs.chmod(p, mode, done(cb))) as Promise<void>
export const lutimesPath = (p: string, atime: fs.TimeLike, mtime: fs.TimeLike): Promise<void> => call((cb) => fs.lutimes(p, atime, mtime, done(cb))) as Promise<void>
export const pread = (fd: number, buf: Buffer, len: number, pos: number): Promise<number> => call((cb) => fs.read(fd, buf, 0, len, pos, cb))
export const pwrite = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> => call((cb) => fs.write(fd, buf, off, len, pos, cb))

/** Closes a descriptor nothing uses any more; an error (EBADF, EIO on close) has no one to go to. */
export function closeQuietly (fd: number): Promise<void> { return new Promise((resolve) => { fs.close(fd, () => { resolve() }) }) }

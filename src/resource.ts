import { EventEmitter } from 'node:events'

/**
 * open/close lifecycle with ready-resource semantics: calling either twice is safe and returns the
 * same promise; subclasses write only `_open`/`_close`. A failed `_open` must undo its own partial
 * work: `close()` then runs without `_close`.
 */
export abstract class Resource extends EventEmitter {
  opened = false
  closed = false
  #opening: Promise<void> | null = null
  #closing: Promise<void> | null = null

  get closing (): boolean { return this.#closing !== null }

  open (): Promise<void> { return (this.#opening ??= this.#open()) }
  close (): Promise<void> { return (this.#closing ??= this.#close()) }

  protected abstract _open (): Promise<void>
  protected abstract _close (): Promise<void>

  async #open (): Promise<void> {
    try {
      await this._open()
    } catch (err) {
      void this.close()
      throw err
    }
    this.opened = true
    this.emit('open')
  }

  async #close (): Promise<void> {
    if (this.#opening) await this.#opening.catch(() => {})
    if (this.opened) await this._close()
    this.closed = true
    this.emit('close')
  }
}

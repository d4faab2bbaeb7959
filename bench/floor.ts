/**
 * The floors: the least a JavaScript program can do for each workload.
 *
 * - {@link PromiseChan}: a minimal Go-style channel on bare Promise
 *   resolvers (no closing, no select, no cancellation). An operation that can
 *   complete at once returns `undefined`, so the caller awaits only when it
 *   must park: this is the bare Promise/microtask hand-off.
 * - {@link PromiseLock}: a minimal FIFO lock on Promise resolvers.
 * - {@link Ring}: a synchronous ring buffer, the bound for buffered rows
 *   (no scheduling at all).
 * - {@link promisePool}: `limit` workers pulling task indices, the bound for
 *   bounded-parallelism rows.
 */

/** A fixed-capacity FIFO ring (capacity rounded up to a power of two). */
export class Ring<A> {
  private readonly items: Array<A | undefined>
  private readonly mask: number
  private head = 0
  length = 0
  readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
    let size = 1
    while (size < Math.max(1, capacity)) size *= 2
    this.items = new Array(size)
    this.mask = size - 1
  }
  push(value: A): void {
    this.items[(this.head + this.length) & this.mask] = value
    this.length++
  }
  shift(): A {
    const value = this.items[this.head] as A
    this.items[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.length--
    return value
  }
}

/** A queue of waiters (array with a moving head, compacted now and then). */
class Fifo<A> {
  private items: Array<A | undefined> = []
  private head = 0
  get size(): number {
    return this.items.length - this.head
  }
  push(a: A): void {
    this.items.push(a)
  }
  shift(): A | undefined {
    if (this.head === this.items.length) return undefined
    const a = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return a
  }
}

interface ParkedSender<A> {
  readonly value: A
  readonly resolve: () => void
}

/** A minimal Go-style channel on Promise resolvers (see module doc). */
export class PromiseChan<A> {
  private readonly buffer: Ring<A> | undefined
  private readonly receivers = new Fifo<(value: A) => void>()
  private readonly senders = new Fifo<ParkedSender<A>>()
  constructor(capacity: number) {
    this.buffer = capacity > 0 ? new Ring<A>(capacity) : undefined
  }
  /** `undefined` when the send completed at once, else a Promise to await. */
  send(value: A): Promise<void> | undefined {
    const receiver = this.receivers.shift()
    if (receiver !== undefined) {
      receiver(value)
      return undefined
    }
    const buffer = this.buffer
    if (buffer !== undefined && buffer.length < buffer.capacity) {
      buffer.push(value)
      return undefined
    }
    return new Promise<void>((resolve) => this.senders.push({ value, resolve }))
  }
  /** The value when one is available at once, else a Promise of it. */
  recv(): A | Promise<A> {
    const buffer = this.buffer
    if (buffer !== undefined && buffer.length > 0) {
      const value = buffer.shift()
      const sender = this.senders.shift()
      if (sender !== undefined) {
        buffer.push(sender.value)
        sender.resolve()
      }
      return value
    }
    const sender = this.senders.shift()
    if (sender !== undefined) {
      sender.resolve()
      return sender.value
    }
    return new Promise<A>((resolve) => this.receivers.push(resolve))
  }
  get waitingReceivers(): number {
    return this.receivers.size
  }
}

/** A minimal FIFO lock: `lock` returns undefined when taken at once. */
export class PromiseLock {
  private locked = false
  private readonly waiters = new Fifo<() => void>()
  lock(): Promise<void> | undefined {
    if (!this.locked) {
      this.locked = true
      return undefined
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }
  unlock(): void {
    const next = this.waiters.shift()
    if (next === undefined) this.locked = false
    else next()
  }
}

/** A counting semaphore with the same shape as {@link PromiseLock}. */
export class PromiseSemaphore {
  private free: number
  private readonly waiters = new Fifo<() => void>()
  constructor(size: number) {
    this.free = size
  }
  acquire(): Promise<void> | undefined {
    if (this.free > 0 && this.waiters.size === 0) {
      this.free--
      return undefined
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve))
  }
  release(): void {
    const next = this.waiters.shift()
    if (next === undefined) this.free++
    else next()
  }
}

/** Runs `count` tasks with at most `limit` at once: `limit` workers pulling indices. */
export const promisePool = async (count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  const workers: Array<Promise<void>> = []
  for (let w = 0; w < Math.min(limit, count); w++) workers.push(worker())
  await Promise.all(workers)
}

/** A deterministic PRNG (xorshift32), so every select contestant sees the same channel sequence. */
export const xorshift = (seed: number): (() => number) => {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

/**
 * A reader/writer mutual-exclusion lock: Go's `sync.RWMutex`.
 *
 * Any number of readers may hold the lock together; a writer holds it alone.
 *
 * Scheduling, as in Go:
 * - **writer preference**: once a writer waits, new readers queue behind it
 *   (and {@link tryRLock} fails), so a stream of readers cannot starve a
 *   writer;
 * - **readers are admitted in batches**: when a writer unlocks, every reader
 *   waiting at that moment is admitted together, even if another writer
 *   waits; that writer then waits only for this batch, and readers arriving
 *   after the batch queue behind it. So a stream of writers cannot starve the
 *   readers either;
 * - writers are served in FIFO order among themselves.
 *
 * Differences from Go, all in the direction of safety:
 * - `rLock` and `lock` are interruptible; an interrupted call leaves the
 *   queue in O(1) and holds nothing. When the last waiting writer leaves
 *   that way while no writer holds the lock, the readers that queued behind
 *   it are admitted at once (they no longer have anybody to wait for);
 * - {@link withRLock} / {@link withLock} release on success, failure, defect
 *   and interruption (Go's `defer rw.RUnlock()` / `defer rw.Unlock()`).
 *
 * As in Go, the lock is not owned by a fiber: any fiber may unlock it, and
 * read locks are not reentrant — a fiber that holds a read lock and calls
 * `rLock` again while a writer waits deadlocks (the second `rLock` queues
 * behind the writer, which waits for the first).
 * Misuse that Go makes a fatal error is a defect carrying Go's message:
 * {@link RUnlockOfUnlockedRWMutexError}, {@link UnlockOfUnlockedRWMutexError};
 * no operation has a typed error.
 *
 * An RWMutex is `Pipeable` and `Inspectable`: `String(rw)` and
 * `console.log(rw)` show
 * `{ _id: "RWMutex", name, locked, readers, waitingReaders, waitingWriters }`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RWMutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const rw = yield* RWMutex.make()
 *   const table = new Map<string, number>()
 *   const read = (k: string) => RWMutex.withRLock(rw)(Effect.sync(() => table.get(k)))
 *   const write = (k: string, v: number) => RWMutex.withLock(rw)(Effect.sync(() => table.set(k, v)))
 *   yield* write("a", 1)
 *   return yield* read("a") // 1
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import { badTelemetryOption, invalidArgument, type InvalidArgumentError, unwrap } from "./internal/copied.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { anyone, type Diagnosis, type Holder, type Wakers } from "./internal/registry.ts"
import { setTelemetry } from "./internal/telemetry.ts"
import { type BlockedFiber, block, handsOver, shallow, Waiter, WaiterList, wake } from "./internal/waiters.ts"
import { isEffect } from "./internal/function.ts"

const TypeId = "~effect-go/RWMutex" as const

/**
 * A reader/writer lock. Create it with {@link make}.
 *
 * `Pipeable` and `Inspectable`: its `toJSON()` is
 * `{ _id: "RWMutex", name, locked, readers, waitingReaders, waitingWriters }`
 * (whether a writer holds it, how many readers hold it, how many fibers wait
 * in {@link rLock} and in {@link lock}, right now).
 *
 * @category models
 * @since 0.1.0
 */
export interface RWMutex extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * Read-unlocking an RWMutex that no reader holds: a defect, as Go makes it a
 * fatal error ("sync: RUnlock of unlocked RWMutex").
 *
 * @category errors
 * @since 0.1.0
 */
export class RUnlockOfUnlockedRWMutexError extends Data.TaggedError("RUnlockOfUnlockedRWMutexError")<{
  /** The name of the RWMutex (not `name`, which would shadow `Error.name`). */
  readonly mutexName: string | undefined
}> {
  override get message(): string {
    return "sync: RUnlock of unlocked RWMutex"
  }
}

/**
 * Unlocking an RWMutex that no writer holds: a defect, as Go makes it a fatal
 * error ("sync: Unlock of unlocked RWMutex").
 *
 * @category errors
 * @since 0.1.0
 */
export class UnlockOfUnlockedRWMutexError extends Data.TaggedError("UnlockOfUnlockedRWMutexError")<{
  /** The name of the RWMutex (not `name`, which would shadow `Error.name`). */
  readonly mutexName: string | undefined
}> {
  override get message(): string {
    return "sync: Unlock of unlocked RWMutex"
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface RWMutexOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this lock alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal lock); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** A waiting reader or writer; `seq` orders the two queues for {@link blocked}. */
class RWWaiter extends Waiter {
  readonly seq: number
  /**
   * The fiber that waits, kept after the node is granted (`fiber` is
   * cleared then): it becomes the holder the lock is recorded for.
   */
  readonly owner: AnyFiber
  constructor(op: "rLock" | "lock", seq: number, owner: AnyFiber) {
    super()
    this.op = op
    this.seq = seq
    this.owner = owner
  }
}

// Invariants, between operations:
// - `writer` and `readers > 0` never hold together;
// - readers wait only while a writer holds the lock or waits for it:
//   `readerWaiters.size > 0` implies `writer || writerWaiters.size > 0`;
// - a writer waits only while the lock is held: `writerWaiters.size > 0`
//   implies `writer || readers > 0`;
// - `readerFibers.length === readers`, and `writerFiber` is set exactly
//   while `writer`.
class RWMutexImpl extends PrimitiveBase implements RWMutex {
  readonly [TypeId] = TypeId
  readonly name: string | undefined
  /** A writer holds the lock. */
  writer = false
  /** How many readers hold the lock. */
  readers = 0
  /**
   * The fiber that holds the write lock, for the blocked-fiber dump and the
   * deadlock detector (Go lets another goroutine unlock it: then this is the
   * fiber that locked it, until the unlock).
   */
  writerFiber: AnyFiber | undefined = undefined
  /**
   * The fibers that hold read locks, one entry per read lock (a fiber that
   * read-locks twice is there twice). A plain array: a read lock pushes, a
   * read unlock removes its own fiber's entry, searched from the end (the
   * most recent reader usually leaves first) and swapped with the last.
   */
  readonly readerFibers: Array<AnyFiber> = []
  /**
   * Read unlocks made by a fiber that held no read lock (Go allows it) since
   * the lock was last free of readers. Each removed an arbitrary entry of
   * {@link readerFibers}, so while this is not zero the entries may name the
   * wrong fibers: the waiters can then be woken by anyone, as far as the
   * deadlock detector knows.
   */
  unattributed = 0
  /** Arrival counter, to merge the two queues in {@link blocked}. */
  seq = 0
  readonly readerWaiters: WaiterList<RWWaiter>
  readonly writerWaiters: WaiterList<RWWaiter>
  /**
   * A waiter interrupted before it resumed. A lock it was granted and never
   * saw (a grant and an interruption can meet: see `block`) is released as
   * its owner would. A writer that leaves without it may have been the last
   * one waiting: if no writer holds the lock, the readers queued behind it
   * have nothing left to wait for.
   */
  readonly onCancel: (node: RWWaiter, granted: Exit.Exit<void> | undefined) => void
  constructor(name: string | undefined) {
    super()
    this.name = name
    this.readerWaiters = new WaiterList("RWMutex", name, this, "rLock")
    this.writerWaiters = new WaiterList("RWMutex", name, this, "lock")
    this.onCancel = (node, granted) => {
      if (granted !== undefined) {
        if (node.op === "lock") unlockUnsafe(this)
        else rUnlockUnsafe(this, node.owner)
      } else if (node.op === "lock" && !this.writer && this.writerWaiters.size === 0) {
        admitReaders(this)
      }
    }
  }
  /**
   * Who can grant the waiters. A waiting writer needs the writer, or every
   * reader, to unlock (the writers ahead of it too, which only makes it
   * wait longer: leaving them out errs towards "can progress"). A waiting
   * reader needs the writer to unlock; when the lock is only read-held, it
   * waits behind the head waiting writer (a waiting writer blocks new
   * readers), which must get the lock and unlock it.
   */
  diagnose(): Diagnosis {
    const holders: Array<Holder> = []
    let current: Wakers = anyone
    if (this.writer && this.writerFiber !== undefined) {
      holders.push({ fiber: this.writerFiber, role: "writes" })
      current = { _tag: "AllOf", fibers: [this.writerFiber] }
    } else if (this.readers > 0) {
      const locks = new Map<AnyFiber, number>()
      for (const fiber of this.readerFibers) locks.set(fiber, (locks.get(fiber) ?? 0) + 1)
      // After an unlock by a fiber that held no read lock, which entry it
      // stood for is not known: the dump says so.
      const unsure = this.unattributed === 0 ? "" : ", unsure: another fiber read-unlocked"
      for (const [fiber, n] of locks) {
        holders.push({ fiber, role: `reads${n === 1 ? "" : ` (${n} read locks)`}${unsure}` })
      }
      if (this.unattributed === 0) current = { _tag: "AllOf", fibers: Array.from(locks.keys()) }
    }
    const headWriter = this.writerWaiters.head
    const readersWait: Wakers = this.writer
      ? current
      : headWriter !== undefined
        ? { _tag: "AllOf", fibers: [headWriter.owner] }
        : anyone
    return {
      kind: "RWMutex",
      name: this.name,
      state: { writer: this.writer, readers: this.readers },
      queues: [
        { list: this.writerWaiters, wakers: current },
        { list: this.readerWaiters, wakers: readersWait }
      ],
      holders
    }
  }
  toJSON() {
    return {
      _id: "RWMutex",
      name: this.name,
      locked: this.writer,
      readers: this.readers,
      waitingReaders: this.readerWaiters.size,
      waitingWriters: this.writerWaiters.size
    }
  }
}

const impl = (self: RWMutex): RWMutexImpl => unwrap(self, RWMutexImpl, "RWMutex")

/**
 * Admits every waiting reader at once. The count is raised for the whole
 * batch before anyone is woken: a woken reader runs at once and may unlock
 * before the others are woken, and must not hand the lock to a writer then.
 */
const admitReaders = (m: RWMutexImpl): boolean => {
  if (m.readerWaiters.size === 0) return false
  const batch = m.readerWaiters.drain()
  m.readers += batch.length
  for (let i = 0; i < batch.length; i++) m.readerFibers.push(batch[i]!.owner)
  for (let i = 0; i < batch.length; i++) {
    // A reader woken earlier in this loop may have interrupted this one
    // after the batch left the queue (its cancel handler ran, with no grant
    // yet): its read lock was counted but nobody holds it, so release it as
    // its owner would (handing off to a writer if it is the last). Readers
    // not woken yet are still counted, so the count cannot reach zero
    // before the last of the batch.
    const node = batch[i]!
    if (!wake(node, Exit.void)) rUnlockUnsafe(m, node.owner)
  }
  return true
}

/**
 * Takes a read lock if that needs no waiting: no writer holds the lock or
 * waits for it. The fast path of `rLock` and `tryRLock`, and the re-check
 * `block` makes at the moment of parking.
 */
const rLockNow = (m: RWMutexImpl, fiber: AnyFiber): Exit.Exit<void> | undefined => {
  if (m.writer || m.writerWaiters.size > 0) return undefined
  m.readers++
  m.readerFibers.push(fiber)
  return Exit.void
}

/**
 * Takes the write lock if that needs no waiting: nobody holds it and no
 * writer waits. The fast path of `lock` and `tryLock`, and the re-check
 * `block` makes at the moment of parking.
 */
const lockNow = (m: RWMutexImpl, fiber: AnyFiber): Exit.Exit<void> | undefined => {
  if (m.writer || m.readers > 0 || m.writerWaiters.size > 0) return undefined
  m.writer = true
  m.writerFiber = fiber
  return Exit.void
}

/**
 * Waits for the lock (`node.op` says which). It reaches the caller in the
 * step that resumes the fiber; an interruption before that releases it (see
 * `onCancel`).
 */
const park = (m: RWMutexImpl, node: RWWaiter, fiber: AnyFiber): Effect.Effect<void> =>
  node.op === "lock"
    ? block(m.writerWaiters, node, fiber, m.onCancel, () => lockNow(m, fiber))
    : block(m.readerWaiters, node, fiber, m.onCancel, () => rLockNow(m, fiber))

/**
 * Runs `effect` holding the lock (`write` or read). Only the wait is
 * interruptible: a lock taken at once is taken in the mask, so no
 * interruption can come between taking it and guarding it with the unlock
 * (a wait ends holding the lock in the step that resumes it: see {@link park}).
 */
const withLockImpl = <A, E, R>(self: RWMutex, effect: Effect.Effect<A, E, R>, write: boolean): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiber((fiber) => {
      const m = impl(self)
      if (!isEffect(effect)) {
        return Exit.die(invalidArgument(write ? "RWMutex.withLock" : "RWMutex.withRLock", "an Effect", effect))
      }
      const locked =
        (write ? lockNow(m, fiber) : rLockNow(m, fiber)) ??
        restore(park(m, new RWWaiter(write ? "lock" : "rLock", m.seq++, fiber), fiber))
      return Effect.andThen(
        locked,
        Effect.ensuring(
          restore(effect),
          shallow(() => (write ? unlockUnsafe(m) : rUnlockUnsafe(m, fiber)))
        )
      )
    })
  )

/** What is wrong with the options of `op`, if anything: `make` reports it inside its Effect, `makeUnsafe` throws it. */
const badOptions = (op: string, options: RWMutexOptions | undefined): InvalidArgumentError | undefined => {
  return badTelemetryOption(op, options)
}

/** An RWMutex with checked options, its `telemetry` option applied. */
const build = (options: RWMutexOptions | undefined): RWMutex => {
  const m = new RWMutexImpl(options?.name)
  setTelemetry(m, options?.telemetry)
  return m
}

/**
 * Creates an unlocked RWMutex outside of an Effect. Unsafe by name: it
 * throws where {@link make} would die (`InvalidArgumentError` on a
 * `telemetry` option that is not a boolean).
 *
 * @example
 * ```ts
 * import { RWMutex } from "effect-go"
 *
 * const rw = RWMutex.makeUnsafe({ name: "routes" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (options?: RWMutexOptions): RWMutex => {
  const bad = badOptions("RWMutex.makeUnsafe", options)
  if (bad !== undefined) throw bad
  return build(options)
}

/**
 * Creates an unlocked RWMutex. Go: `var rw sync.RWMutex`. A `telemetry`
 * option that is not a boolean is a defect (`InvalidArgumentError`), raised
 * when the effect runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RWMutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const rw = yield* RWMutex.make({ name: "routes" })
 *   return yield* RWMutex.readerCount(rw) // 0
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: RWMutexOptions): Effect.Effect<RWMutex> =>
  Effect.suspend(() => {
    const bad = badOptions("RWMutex.make", options)
    return bad === undefined ? Exit.succeed(build(options)) : Exit.die(bad)
  })

/**
 * Locks for reading: shares the lock with other readers, waits while a writer
 * holds it or waits for it. Go: `rw.RLock()`.
 *
 * Interruptible: an interrupted `rLock` leaves the queue and holds nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RWMutex } from "effect-go"
 *
 * declare const rw: RWMutex.RWMutex
 * declare const table: Map<string, number>
 *
 * const get = (k: string) =>
 *   Effect.gen(function* () {
 *     yield* RWMutex.rLock(rw)
 *     const v = table.get(k)
 *     yield* RWMutex.rUnlock(rw)
 *     return v
 *   })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const rLock = (self: RWMutex): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const m = impl(self)
    // Taken here only if it surely reaches the caller (see `handsOver`).
    return (handsOver(fiber) ? rLockNow(m, fiber) : undefined) ?? park(m, new RWWaiter("rLock", m.seq++, fiber), fiber)
  })

/**
 * Locks for reading if no writer holds the lock or waits for it; says
 * whether it did. Go: `rw.TryRLock()`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryRLock = (self: RWMutex): Effect.Effect<boolean> =>
  Effect.sync(() => rLockNow(impl(self), Fiber.getCurrent()!) !== undefined)

/** Forgets one read lock of `fiber` (the unlocker), or an arbitrary one if it holds none. */
const dropReader = (m: RWMutexImpl, fiber: AnyFiber): void => {
  const fibers = m.readerFibers
  const last = fibers.length - 1
  let i = last
  while (i >= 0 && fibers[i] !== fiber) i--
  if (i < 0) m.unattributed++
  else if (i !== last) fibers[i] = fibers[last]!
  fibers.pop()
}

/** Read-unlocks on behalf of `fiber`, the fiber that unlocks (or the reader that left). */
const rUnlockUnsafe = (m: RWMutexImpl, fiber: AnyFiber): Exit.Exit<void> => {
  if (m.readers === 0) return Exit.die(new RUnlockOfUnlockedRWMutexError({ mutexName: m.name }))
  m.readers--
  dropReader(m, fiber)
  if (m.readers === 0) {
    m.unattributed = 0
    // The last reader out hands the lock straight to the head writer, so
    // that neither a reader nor `tryLock` can slip in between.
    const next = m.writerWaiters.shift()
    if (next !== undefined) {
      m.writer = true
      m.writerFiber = next.owner
      wake(next, Exit.void)
    }
  }
  return Exit.void
}

/**
 * Undoes one {@link rLock}. The last reader out hands the lock to the longest
 * waiting writer. Go: `rw.RUnlock()`. Read-unlocking when no reader holds the
 * lock is a defect ({@link RUnlockOfUnlockedRWMutexError}).
 *
 * @category combinators
 * @since 0.1.0
 */
export const rUnlock = (self: RWMutex): Effect.Effect<void> =>
  shallow(() => rUnlockUnsafe(impl(self), Fiber.getCurrent()!))

/**
 * Locks for writing: waits until no reader and no writer holds the lock.
 * Writers are served in FIFO order, and a waiting writer blocks new readers.
 * Go: `rw.Lock()`.
 *
 * Interruptible: an interrupted `lock` leaves the queue and holds nothing; if
 * it was the last waiting writer, the readers queued behind it are admitted.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RWMutex } from "effect-go"
 *
 * declare const rw: RWMutex.RWMutex
 * declare const table: Map<string, number>
 *
 * const put = (k: string, v: number) =>
 *   Effect.gen(function* () {
 *     yield* RWMutex.lock(rw)
 *     table.set(k, v)
 *     yield* RWMutex.unlock(rw)
 *   })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const lock = (self: RWMutex): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const m = impl(self)
    return (handsOver(fiber) ? lockNow(m, fiber) : undefined) ?? park(m, new RWWaiter("lock", m.seq++, fiber), fiber)
  })

/**
 * Locks for writing if nobody holds the lock and no writer waits for it; says
 * whether it did. Go: `rw.TryLock()`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryLock = (self: RWMutex): Effect.Effect<boolean> =>
  Effect.sync(() => lockNow(impl(self), Fiber.getCurrent()!) !== undefined)

const unlockUnsafe = (m: RWMutexImpl): Exit.Exit<void> => {
  if (!m.writer) return Exit.die(new UnlockOfUnlockedRWMutexError({ mutexName: m.name }))
  m.writer = false
  m.writerFiber = undefined
  // Readers that waited for this writer go first, all together; a waiting
  // writer then waits for that batch (rUnlockUnsafe hands it the lock).
  if (admitReaders(m)) return Exit.void
  const next = m.writerWaiters.shift()
  if (next !== undefined) {
    m.writer = true
    m.writerFiber = next.owner
    wake(next, Exit.void)
  }
  return Exit.void
}

/**
 * Undoes {@link lock}: admits every waiting reader if there are any,
 * otherwise hands the lock to the longest waiting writer. Go: `rw.Unlock()`.
 * Unlocking when no writer holds the lock is a defect
 * ({@link UnlockOfUnlockedRWMutexError}).
 *
 * @category combinators
 * @since 0.1.0
 */
export const unlock = (self: RWMutex): Effect.Effect<void> => shallow(() => unlockUnsafe(impl(self)))

/**
 * Runs `effect` holding the lock for reading, and read-unlocks however
 * `effect` ends: success, failure, defect or interruption. Go:
 * `rw.RLock(); defer rw.RUnlock()`. The result has `effect`'s own types;
 * only the wait for the lock is interruptible.
 *
 * @category combinators
 * @since 0.1.0
 */
export const withRLock: {
  /**
   * Returns a function that runs an effect holding the lock for reading, and
   * read-unlocks however the effect ends. Go: `rw.RLock(); defer rw.RUnlock()`.
   * The result has the effect's own types; only the wait for the lock is
   * interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { RWMutex } from "effect-go"
   *
   * declare const rw: RWMutex.RWMutex
   * declare const table: Map<string, number>
   *
   * const get = (k: string): Effect.Effect<number | undefined> =>
   *   RWMutex.withRLock(rw)(Effect.sync(() => table.get(k)))
   * // or: Effect.sync(() => table.get(k)).pipe(RWMutex.withRLock(rw))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (self: RWMutex): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs `effect` holding the lock for reading, and read-unlocks however
   * `effect` ends. Go: `rw.RLock(); defer rw.RUnlock()`. The result has
   * `effect`'s own types; only the wait for the lock is interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { RWMutex } from "effect-go"
   *
   * declare const rw: RWMutex.RWMutex
   * declare const readSnapshot: Effect.Effect<Uint8Array, Error>
   *
   * const snapshot: Effect.Effect<Uint8Array, Error> = RWMutex.withRLock(readSnapshot, rw)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: RWMutex): Effect.Effect<A, E, R>
} = dual(
  (args) => isEffect(args[0]),
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: RWMutex): Effect.Effect<A, E, R> => withLockImpl(self, effect, false)
)

/**
 * Runs `effect` holding the lock for writing, and unlocks however `effect`
 * ends: success, failure, defect or interruption. Go:
 * `rw.Lock(); defer rw.Unlock()`. The result has `effect`'s own types; only
 * the wait for the lock is interruptible.
 *
 * @category combinators
 * @since 0.1.0
 */
export const withLock: {
  /**
   * Returns a function that runs an effect holding the lock for writing, and
   * unlocks however the effect ends. Go: `rw.Lock(); defer rw.Unlock()`. The
   * result has the effect's own types; only the wait for the lock is
   * interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { RWMutex } from "effect-go"
   *
   * declare const rw: RWMutex.RWMutex
   * declare const table: Map<string, number>
   *
   * const put = (k: string, v: number): Effect.Effect<void> =>
   *   RWMutex.withLock(rw)(Effect.sync(() => void table.set(k, v)))
   * // or: Effect.sync(() => void table.set(k, v)).pipe(RWMutex.withLock(rw))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (self: RWMutex): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs `effect` holding the lock for writing, and unlocks however `effect`
   * ends. Go: `rw.Lock(); defer rw.Unlock()`. The result has `effect`'s own
   * types; only the wait for the lock is interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { RWMutex } from "effect-go"
   *
   * declare const rw: RWMutex.RWMutex
   * declare const reload: Effect.Effect<void, Error>
   *
   * const reloadAlone: Effect.Effect<void, Error> = RWMutex.withLock(reload, rw)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: RWMutex): Effect.Effect<A, E, R>
} = dual(
  (args) => isEffect(args[0]),
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: RWMutex): Effect.Effect<A, E, R> => withLockImpl(self, effect, true)
)

/**
 * Whether a writer holds the lock right now (a snapshot, for tests and
 * metrics). Go has no equivalent.
 *
 * @category getters
 * @since 0.1.0
 */
export const isLocked = (self: RWMutex): Effect.Effect<boolean> => Effect.sync(() => impl(self).writer)

/**
 * How many readers hold the lock right now (a snapshot, for tests and
 * metrics). Go has no equivalent.
 *
 * @category getters
 * @since 0.1.0
 */
export const readerCount = (self: RWMutex): Effect.Effect<number> => Effect.sync(() => impl(self).readers)

/**
 * The fibers blocked in {@link rLock} (op `"rLock"`) and {@link lock}
 * (op `"lock"`), in the order they arrived.
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = (self: RWMutex): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => {
    const m = impl(self)
    const out: Array<BlockedFiber> = []
    let r = m.readerWaiters.head
    let w = m.writerWaiters.head
    while (r !== undefined || w !== undefined) {
      let node: RWWaiter
      if (w === undefined || (r !== undefined && r.seq < w.seq)) {
        node = r!
        r = r!.next as RWWaiter | undefined
      } else {
        node = w
        w = w.next as RWWaiter | undefined
      }
      out.push({ primitive: "RWMutex", name: m.name, op: node.op, fiberId: node.fiber?.id, since: node.since })
    }
    return out
  })

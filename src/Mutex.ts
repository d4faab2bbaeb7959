/**
 * A mutual-exclusion lock: Go's `sync.Mutex`, with Go's two modes.
 *
 * Fairness is Go's (sync/mutex.go):
 * - **Normal mode.** Waiters queue in FIFO order, but unlocking does not hand
 *   the lock to the head waiter: it frees it, and the head gets its turn when
 *   the scheduler next runs (Go: the woken waiter competes with new arrivals).
 *   A fiber that is already running can therefore lock again straight away
 *   (barging), which is what makes a contended lock cheap: no context switch
 *   per lock. A head waiter that finds the lock taken keeps its place.
 * - **Starvation mode.** Once the head has waited 1 ms (Clock time), every
 *   unlock hands the lock straight to the head, new arrivals queue behind it
 *   and `tryLock` fails. The mutex returns to normal mode when a waiter that
 *   waited less than 1 ms, or the last waiter, takes the lock.
 *
 * So no waiter waits much more than 1 ms behind fibers that barge. For
 * strict FIFO with no barging at all, use `Semaphore.make(1)`: Go's
 * `semaphore.Weighted` is strictly FIFO.
 *
 * Differences from Go, all in the direction of safety:
 * - `lock` is interruptible, and an interrupted `lock` leaves the queue;
 * - {@link withLock} releases on success, failure, defect and interruption,
 *   which is what `defer mu.Unlock()` is for in Go.
 *
 * As in Go, a Mutex is not owned by a fiber: any fiber may unlock it.
 * No operation has a typed error: misuse (unlocking an unlocked Mutex, a
 * value that is not a Mutex) is a defect.
 *
 * A Mutex is `Pipeable` and `Inspectable`: `String(mu)` and `console.log(mu)`
 * show `{ _id: "Mutex", name, locked, waiters }`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const mu = yield* Mutex.make()
 *   let counter = 0
 *   yield* Effect.forEach(
 *     Array.from({ length: 100 }),
 *     () => Mutex.withLock(mu)(Effect.sync(() => counter++)),
 *     { concurrency: "unbounded" }
 *   )
 *   return counter // 100
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Types from "effect/Types"
import { badTelemetryOption, invalidArgument, type InvalidArgumentError, unwrap } from "./internal/copied.ts"
import { anyone, type Diagnosis } from "./internal/registry.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { RemoteMutex } from "./internal/remote.ts"
import { event, setTelemetry } from "./internal/telemetry.ts"
import {
  type BlockedFiber,
  flushPending,
  handsOver,
  reusablePark,
  tooDeep,
  Waiter,
  WaiterList,
  wake,
  wakeLater
} from "./internal/waiters.ts"
import { isEffect } from "./internal/function.ts"
import { clockOf } from "./internal/refs.ts"

const TypeId = "~effect-go/Mutex" as const

/**
 * A mutual-exclusion lock. Create it with {@link make}.
 *
 * `Pipeable` and `Inspectable`: its `toJSON()` is
 * `{ _id: "Mutex", name, locked, waiters }` (whether it is held, and how
 * many fibers wait in {@link lock}, right now).
 *
 * @category models
 * @since 0.1.0
 */
export interface Mutex<out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /**
   * Phantom: the error its operations may fail with. `never` for a Mutex
   * made here; a Mutex held through Redis (`RedisSync`) fails with
   * `RedisSyncError`.
   */
  readonly "~effect-go/Mutex/Error"?: Types.Covariant<E>
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * Unlocking a Mutex that is not locked: a defect, as Go makes it a fatal
 * error ("sync: unlock of unlocked mutex").
 *
 * @category errors
 * @since 0.1.0
 */
export class UnlockOfUnlockedMutexError extends Data.TaggedError("UnlockOfUnlockedMutexError")<{
  /** The mutex's name, if it was given one. */
  readonly mutexName: string | undefined
}> {
  override get message(): string {
    return "sync: unlock of unlocked mutex"
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface MutexOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this mutex alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal lock); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

/**
 * How long a waiter may wait before the mutex switches to starvation mode
 * (Go: `starvationThresholdNs`, 1 ms).
 */
const STARVATION_THRESHOLD_MILLIS = 1

/**
 * What a waiter is handed: the lock (a hand-off, or the lock taken for it
 * when its turn came), or only its turn — a deferred wake-up that takes the
 * lock for it when it is resumed, if still free (see `LockWaiter.settle`).
 */
const owned: Exit.Exit<void> = Exit.void
const turn: Exit.Exit<void> = Exit.succeed(undefined)

/** A fiber parked in `lock`. */
class LockWaiter extends Waiter {
  readonly mutex: MutexImpl
  /** The fiber that locks: its scheduler and Clock are used on its behalf. */
  readonly owner: Fiber.Fiber<unknown, unknown>
  /**
   * Clock time at which it started to wait, read exactly (a parked node's
   * `since` may be early by the length of the current synchronous run under
   * the live clock; starvation is decided on this one), less {@link EPOCH}:
   * a small integer under the live clock, which V8 keeps in the node
   * itself rather than in a number box of its own.
   */
  readonly waitStart: number
  /** It lost its turn: it waits again at the head, keeping its place. */
  requeued = false
  constructor(mutex: MutexImpl, owner: Fiber.Fiber<unknown, unknown>) {
    super()
    this.mutex = mutex
    this.owner = owner
    this.waitStart = clockOf(owner).currentTimeMillisUnsafe() - EPOCH
    this.op = "lock"
  }
  /**
   * Its turn has come (it is about to be resumed): it takes the lock if it
   * is still free, else a running fiber barged in and it goes back to the
   * head of the queue, still parked (Go: the woken waiter lost the race).
   * Waiting too long starts starvation mode.
   */
  override settle(exit: Exit.Exit<void>): Exit.Exit<void> | undefined {
    if (exit !== turn) return exit
    const m = this.mutex
    m.woken = false
    if (m.tryLock(this, this.owner) !== undefined) return owned
    this.requeued = true
    if (!m.starving && waitedTooLong(this)) {
      m.starving = true
      event("starvation", "Mutex", m.name, undefined, this.owner, m)
    }
    m.waiters.push(this)
    return undefined
  }
}

/** The waiters; one that lost its turn goes back to the head (Go: `queueLifo`). */
class LockQueue extends WaiterList<LockWaiter> {
  override push(node: LockWaiter): void {
    if (!node.requeued) {
      super.push(node)
      return
    }
    // `block` stamped the park time; a dump shows when it first waited.
    node.since = node.waitStart + EPOCH
    this.unshift(node)
  }
}

/** Has `node` waited long enough to starve? */
const waitedTooLong = (node: LockWaiter): boolean =>
  clockOf(node.owner).currentTimeMillisUnsafe() - EPOCH - node.waitStart >= STARVATION_THRESHOLD_MILLIS

/** The live clock's time when this module loaded: what `LockWaiter.waitStart` counts from. */
const EPOCH = Date.now()

class MutexImpl extends PrimitiveBase implements Mutex {
  readonly [TypeId] = TypeId
  readonly name: string | undefined
  locked = false
  /**
   * The fiber that locked it, for the blocked-fiber dump and the deadlock
   * detector (Go lets another goroutine unlock it; then this is the fiber
   * that locked it until the unlock).
   */
  holder: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** Go's starvation mode: unlock hands the lock to the head directly. */
  starving = false
  /**
   * A waiter has been given its turn and has not taken it yet (Go:
   * `mutexWoken`): unlock gives no other turn meanwhile, so a busy lock
   * wakes one waiter at a time, not a crowd.
   */
  woken = false
  readonly waiters: LockQueue
  constructor(name: string | undefined) {
    super()
    this.name = name
    this.waiters = new LockQueue("Mutex", name, this, "lock")
  }
  diagnose(): Diagnosis {
    const holder = this.locked ? this.holder : undefined
    return {
      kind: "Mutex",
      name: this.name,
      state: { locked: this.locked, starving: this.starving },
      queues: [{ list: this.waiters, wakers: holder === undefined ? anyone : { _tag: "AllOf", fibers: [holder] } }],
      holders: holder === undefined ? [] : [{ fiber: holder, role: "holds the lock" }]
    }
  }
  toJSON() {
    return {
      _id: "Mutex",
      name: this.name,
      locked: this.locked,
      // A waiter whose turn has come has left the queue but still waits.
      waiters: this.waiters.size + (this.woken ? 1 : 0)
    }
  }
  /** Takes the lock if it is free: the fast path, and `block`'s re-check. */
  readonly tryLock = (_node: unknown, fiber: Fiber.Fiber<unknown, unknown>): Exit.Exit<void> | undefined => {
    // In normal mode a free lock is taken even with waiters (Go's barging);
    // in starvation mode it belongs to the head.
    if (this.locked || this.starving) return undefined
    this.locked = true
    this.holder = fiber
    return owned
  }
  /**
   * What a waiter was handed and did not use (it was interrupted): pass it
   * on. Also `block`'s cancel handler, with undefined when it was handed
   * nothing (it just leaves the queue).
   */
  readonly giveBack = (node: LockWaiter, handed: Exit.Exit<void> | undefined): void => {
    if (handed === undefined) return
    if (handed === owned) {
      // It held the lock, so this cannot be misuse.
      unlockUnsafe(this, node.owner)
    } else {
      this.woken = false
      this.giveTurn(node.owner)
    }
  }
  private parkOnce: Effect.Effect<void> | undefined = undefined
  /**
   * The parking half of `lock` (see `park`), built on first use: a park
   * allocates its node and nothing else (no registration closure per park).
   * Call it from a step that called `flushPending`.
   */
  get park(): Effect.Effect<void> {
    return (this.parkOnce ??= reusablePark(
      (fiber) => new LockWaiter(this, fiber),
      this.tryLock,
      this.waiters,
      this.giveBack
    ))
  }
  /** `withLock`'s finalizer: unlocks (after a yield when wake-ups nest too deep). */
  readonly release = (): Exit.Exit<void> =>
    unlockUnsafe(this, Fiber.getCurrent()!) ? Exit.void : Exit.die(misuse(this))
  /** Gives the head waiter its turn, unless one is already under way. */
  giveTurn(fiber: Fiber.Fiber<unknown, unknown>): void {
    if (this.woken || this.locked) return
    const head = this.waiters.shift()
    if (head === undefined) return
    this.woken = true
    // Resumed when this fiber parks or at the next scheduler turn, so that a
    // fiber that is running can lock again meanwhile (see the module doc).
    wakeLater(head, turn, fiber)
  }
}

const impl = (self: Mutex<unknown>): MutexImpl => unwrap(self, MutexImpl, "Mutex")

/**
 * Whether `u` is a Mutex (made by {@link make} or {@link makeUnsafe}; a
 * spread copy of one is not).
 *
 * @example
 * ```ts
 * import { Mutex } from "effect-go"
 *
 * declare const u: unknown
 *
 * if (Mutex.isMutex(u)) console.log(u.name)
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isMutex = (u: unknown): u is Mutex<unknown> => u instanceof MutexImpl || u instanceof RemoteMutex

/** What is wrong with the options of `op`, if anything: `make` reports it inside its Effect, `makeUnsafe` throws it. */
const badOptions = (op: string, options: MutexOptions | undefined): InvalidArgumentError | undefined => {
  return badTelemetryOption(op, options)
}

/** A Mutex with checked options, its `telemetry` option applied. */
const build = (options: MutexOptions | undefined): Mutex => {
  const m = new MutexImpl(options?.name)
  setTelemetry(m, options?.telemetry)
  return m
}

/**
 * Creates an unlocked Mutex outside of an Effect. Unsafe by name: it throws
 * where {@link make} would die (`InvalidArgumentError` on a `telemetry`
 * option that is not a boolean).
 *
 * @example
 * ```ts
 * import { Mutex } from "effect-go"
 *
 * const mu = Mutex.makeUnsafe({ name: "cache" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (options?: MutexOptions): Mutex => {
  const bad = badOptions("Mutex.makeUnsafe", options)
  if (bad !== undefined) throw bad
  return build(options)
}

/**
 * Creates an unlocked Mutex. Go: `var mu sync.Mutex`. A `telemetry` option
 * that is not a boolean is a defect (`InvalidArgumentError`), raised when
 * the effect runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const mu = yield* Mutex.make({ name: "cache" })
 *   return yield* Mutex.isLocked(mu) // false
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: MutexOptions): Effect.Effect<Mutex> =>
  Effect.suspend(() => {
    const bad = badOptions("Mutex.make", options)
    return bad === undefined ? Exit.succeed(build(options)) : Exit.die(bad)
  })

/**
 * Locks the Mutex, waiting while it is held. Go: `mu.Lock()`. Waiters are
 * served in FIFO order; a fiber that finds the lock free takes it even if
 * others wait, until the head has waited 1 ms (see the module doc).
 *
 * Interruptible: an interrupted `lock` leaves the queue and holds nothing.
 * Prefer {@link withLock}, which cannot forget the unlock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 * let counter = 0
 *
 * // Go: mu.Lock(); counter++; mu.Unlock()
 * const increment = Effect.gen(function* () {
 *   yield* Mutex.lock(mu)
 *   counter++
 *   yield* Mutex.unlock(mu)
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const lock = <E>(self: Mutex<E>): Effect.Effect<void, E> =>
  self instanceof RemoteMutex ? (self.lock as Effect.Effect<void, E>) : lockHere(self)

const lockHere = (self: Mutex<unknown>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const m = impl(self)
    // Taken here only if it surely reaches the caller (see `handsOver`).
    if (handsOver(fiber) && m.tryLock(undefined, fiber) !== undefined) return Exit.void
    return acquire(m)
  })

/**
 * Parks until the fiber holds the lock. It resumes holding it: handed over,
 * or taken for it when its turn came (see `LockWaiter.settle`); an
 * interruption before it resumes passes on what it was handed.
 */
const acquire = (m: MutexImpl): Effect.Effect<void> => {
  flushPending()
  return m.park
}

/**
 * Locks the Mutex if it is free; says whether it did. Go: `mu.TryLock()`.
 * As in Go it takes a free lock even while fibers wait for it, except in
 * starvation mode (see the module doc), where the lock belongs to the head.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 * declare const flush: Effect.Effect<void>
 *
 * // Go: if mu.TryLock() { defer mu.Unlock(); flush() }
 * const flushIfIdle = Effect.gen(function* () {
 *   if (!(yield* Mutex.tryLock(mu))) return false
 *   yield* flush.pipe(Effect.ensuring(Mutex.unlock(mu)))
 *   return true
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryLock = <E>(self: Mutex<E>): Effect.Effect<boolean, E> =>
  self instanceof RemoteMutex
    ? (self.tryLock as Effect.Effect<boolean, E>)
    : Effect.sync(() => impl(self).tryLock(undefined, Fiber.getCurrent()!) !== undefined)

/**
 * Unlocks; `fiber` (the unlocker, or a waiter) lends its scheduler. Returns
 * false, changing nothing, when the mutex is not locked (misuse).
 */
const unlockUnsafe = (m: MutexImpl, fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  if (!m.locked) return false
  if (m.starving) {
    const head = m.waiters.shift()
    if (head !== undefined) {
      // Hand-off: the lock never becomes free, so nobody can barge. Go leaves
      // starvation mode when this waiter is the last or did not wait long.
      if (m.waiters.size === 0 || !waitedTooLong(head)) m.starving = false
      // Resumed here, unless wake-ups are nested too deep on this stack (a
      // chain of hand-offs): then at the next park or scheduler turn.
      m.holder = head.owner
      if (tooDeep()) wakeLater(head, owned, fiber)
      else wake(head, owned)
      return true
    }
    m.starving = false
  }
  m.locked = false
  m.holder = undefined
  m.giveTurn(fiber)
  return true
}

const misuse = (m: MutexImpl): UnlockOfUnlockedMutexError => new UnlockOfUnlockedMutexError({ mutexName: m.name })

/**
 * Unlocks the Mutex. Go: `mu.Unlock()`. If fibers wait, the longest waiting
 * one gets the lock next unless a running fiber takes it first (normal
 * mode), or gets it directly (starvation mode). Unlocking an unlocked Mutex
 * is a defect ({@link UnlockOfUnlockedMutexError}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 *
 * const critical = Effect.andThen(Mutex.lock(mu), Mutex.unlock(mu))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const unlock = <E>(self: Mutex<E>): Effect.Effect<void, E> =>
  self instanceof RemoteMutex
    ? (self.unlock as Effect.Effect<void, E>)
    : // One step (a sync's value goes straight to the continuation); the
      // throw is a defect, as Go's fatal error.
      Effect.sync(() => {
        const m = impl(self)
        if (!unlockUnsafe(m, Fiber.getCurrent()!)) throw misuse(m)
      })

/**
 * Runs `effect` while holding the Mutex, and unlocks it however `effect`
 * ends: success, failure, defect or interruption. Go:
 * `mu.Lock(); defer mu.Unlock()`. The result has `effect`'s own types.
 *
 * Only the wait for the lock is interruptible; an interrupted wait holds
 * nothing and runs nothing.
 *
 * @category combinators
 * @since 0.1.0
 */
export const withLock: {
  /**
   * Returns a function that runs an effect while holding the Mutex, and
   * unlocks it however the effect ends. Go: `mu.Lock(); defer mu.Unlock()`.
   * The result has the effect's own types; only the wait for the lock is
   * interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Mutex } from "effect-go"
   *
   * declare const mu: Mutex.Mutex
   * let counter = 0
   *
   * const critical: Effect.Effect<number> = Mutex.withLock(mu)(Effect.sync(() => counter++))
   * // or: Effect.sync(() => counter++).pipe(Mutex.withLock(mu))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E2>(self: Mutex<E2>): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  /**
   * Runs `effect` while holding the Mutex, and unlocks it however `effect`
   * ends. Go: `mu.Lock(); defer mu.Unlock()`. The result has `effect`'s own
   * types; only the wait for the lock is interruptible.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Mutex } from "effect-go"
   *
   * declare const mu: Mutex.Mutex
   * declare const writeFile: Effect.Effect<void, Error>
   *
   * const write: Effect.Effect<void, Error> = Mutex.withLock(writeFile, mu)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R, E2>(effect: Effect.Effect<A, E, R>, self: Mutex<E2>): Effect.Effect<A, E | E2, R>
} = dual(
  (args) => isEffect(args[0]),
  <A, E, R, E2>(effect: Effect.Effect<A, E, R>, self: Mutex<E2>): Effect.Effect<A, E | E2, R> =>
    self instanceof RemoteMutex
      ? isEffect(effect)
        ? (self.withLock(effect) as Effect.Effect<A, E | E2, R>)
        : Effect.die(invalidArgument("Mutex.withLock", "an Effect", effect))
      : withLockHere(effect, self)
)

const withLockHere = <A, E, R>(effect: Effect.Effect<A, E, R>, self: Mutex<unknown>): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) => {
    // Called by the mask's own step, on the running fiber.
    const fiber = Fiber.getCurrent()!
    const m = impl(self)
    if (!isEffect(effect)) return Exit.die(invalidArgument("Mutex.withLock", "an Effect", effect))
    const guarded = Effect.onExit(restore(effect), m.release)
    // Taken here, inside the mask: nothing can interrupt between taking
    // the lock and installing its release.
    if (m.tryLock(undefined, fiber) !== undefined) return guarded
    // Only the wait is interruptible. The lock it ends with reaches the
    // mask in the step that resumes the fiber; an interruption before
    // that passes it on (see `acquire`).
    return Effect.andThen(restore(acquire(m)), guarded)
  })

/**
 * Whether the Mutex is held right now (a snapshot, for tests and metrics).
 * Go has no equivalent.
 *
 * @category getters
 * @since 0.1.0
 */
export const isLocked = <E>(self: Mutex<E>): Effect.Effect<boolean, E> =>
  self instanceof RemoteMutex ? (self.isLocked as Effect.Effect<boolean, E>) : Effect.sync(() => impl(self).locked)

/**
 * The fibers blocked in {@link lock}, longest waiting first. A waiter whose
 * turn has come but who has not run yet to take the lock is not listed (it
 * left the queue; if it finds the lock taken it goes back to the head).
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <E>(self: Mutex<E>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  self instanceof RemoteMutex ? self.blocked : Effect.sync(() => impl(self).waiters.blocked())

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

/**
 * The static side of a class made with {@link Service}: the service key plus
 * its layer and accessors that find the Mutex in the context.
 *
 * @category services
 * @since 0.1.0
 */
export interface MutexService<Self, Id extends string, E = never> extends Context.ServiceClass<Self, Id, Mutex<E>> {
  /**
   * A layer that creates the Mutex, named after the service key; it cannot
   * fail. Provide it once at the top of the application so that every part
   * shares one lock.
   *
   * @category layers
   * @since 0.1.0
   */
  readonly layer: Layer.Layer<Self>
  /**
   * {@link withLock} on the service's Mutex: runs `effect` holding the lock
   * and unlocks it however `effect` ends. Keeps `effect`'s own types.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Mutex } from "effect-go"
   *
   * class ConfigLock extends Mutex.Service<ConfigLock>()("app/ConfigLock") {}
   * declare const writeConfigFile: Effect.Effect<void, Error>
   *
   * const rewrite: Effect.Effect<void, Error, ConfigLock> = ConfigLock.withLock(writeConfigFile)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  withLock<A, E1, R>(effect: Effect.Effect<A, E1, R>): Effect.Effect<A, E1 | E, R | Self>
  /**
   * {@link lock} on the service's Mutex.
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly lock: Effect.Effect<void, E, Self>
  /**
   * {@link unlock} on the service's Mutex; unlocking it while unlocked is a
   * defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly unlock: Effect.Effect<void, E, Self>
  /**
   * {@link tryLock} on the service's Mutex.
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly tryLock: Effect.Effect<boolean, E, Self>
  /**
   * {@link isLocked} on the service's Mutex.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly isLocked: Effect.Effect<boolean, E, Self>
  /**
   * {@link blocked} on the service's Mutex: the fibers of this process
   * waiting for it.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>, never, Self>
}

/**
 * Declares an application-wide lock as an Effect service provided by a
 * Layer, so that it is created in one place and can be swapped in tests. The
 * class is the service key (Effect 4's `Context.Service`). Go has no
 * equivalent: there a package-level `var mu sync.Mutex` plays this role.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 *
 * class ConfigLock extends Mutex.Service<ConfigLock>()("app/ConfigLock") {}
 *
 * declare const writeConfigFile: Effect.Effect<void>
 * const rewrite = writeConfigFile.pipe(ConfigLock.withLock)
 * const program = Effect.all([rewrite, rewrite], { concurrency: 2 })
 *
 * const main = program.pipe(Effect.provide(ConfigLock.layer))
 * ```
 *
 *
 * Its second type parameter is the error its operations may fail with,
 * `never` by default. A service declared with `RedisSync.RedisSyncError`
 * (`Mutex.Service<Self, RedisSync.RedisSyncError>()(id)`) can also be
 * given `RedisSync.layerMutex`, the same Mutex shared by every process
 * through Redis, while its `layer` stays the in-memory default.
 *
 * @category services
 * @since 0.1.0
 */
export const Service =
  <Self, E = never>() =>
  <const Id extends string>(id: Id): MutexService<Self, Id, E> => {
    const key = Context.Service<Self, Mutex<E>>()(id)
    const statics: Omit<MutexService<Self, Id, E>, keyof Context.ServiceClass<Self, Id, Mutex<E>>> = {
      layer: Layer.effect(key, make({ name: id })),
      withLock: (effect) => Effect.flatMap(key, (mu) => withLock(effect, mu)),
      lock: Effect.flatMap(key, lock),
      unlock: Effect.flatMap(key, unlock),
      tryLock: Effect.flatMap(key, tryLock),
      isLocked: Effect.flatMap(key, isLocked),
      blocked: Effect.flatMap(key, blocked)
    }
    return Object.assign(key, statics)
  }

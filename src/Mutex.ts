/**
 * A mutual-exclusion lock: Go's `sync.Mutex`.
 *
 * Differences from Go, all in the direction of safety:
 * - hand-off is strictly FIFO, so no waiter starves (Go switches to FIFO
 *   only after a waiter has starved for 1 ms);
 * - `lock` is interruptible, and an interrupted `lock` leaves the queue;
 * - {@link withLock} releases on success, failure, defect and interruption,
 *   which is what `defer mu.Unlock()` is for in Go.
 *
 * As in Go, a Mutex is not owned by a fiber: any fiber may unlock it.
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
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import { type BlockedFiber, block, shallow, Waiter, WaiterList, wake } from "./internal/waiters.ts"

const TypeId = "~effect-go/Mutex" as const

/**
 * A mutual-exclusion lock. Create it with {@link make}.
 *
 * @since 0.1.0
 */
export interface Mutex {
  readonly [TypeId]: typeof TypeId
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * Unlocking a Mutex that is not locked: a defect, as Go makes it a fatal
 * error ("sync: unlock of unlocked mutex").
 *
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

/** Options for {@link make}. @since 0.1.0 */
export interface MutexOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
}

class MutexImpl implements Mutex {
  readonly [TypeId] = TypeId
  readonly name: string | undefined
  locked = false
  readonly waiters: WaiterList<Waiter>
  /**
   * Cancel handler of a parked `lock`: the lock was handed to this waiter in
   * the moment between its interruption and this handler, so pass it on.
   */
  readonly giveBack = (_node: Waiter, granted: Exit.Exit<void> | undefined): void => {
    if (granted !== undefined) unlockUnsafe(this)
  }
  /** Takes the lock if it is free: the fast path, and `block`'s re-check. */
  readonly tryLock = (): Exit.Exit<void> | undefined => {
    if (this.locked) return undefined
    this.locked = true
    return Exit.void
  }
  constructor(name: string | undefined) {
    this.name = name
    this.waiters = new WaiterList("Mutex", name)
  }
}

const impl = (self: Mutex): MutexImpl => unwrap(self, MutexImpl, "Mutex")

/**
 * Creates an unlocked Mutex outside of an Effect.
 *
 * @since 0.1.0
 */
export const makeUnsafe = (options?: MutexOptions): Mutex => new MutexImpl(options?.name)

/**
 * Creates an unlocked Mutex. Go: `var mu sync.Mutex`.
 *
 * @since 0.1.0
 */
export const make = (options?: MutexOptions): Effect.Effect<Mutex> => Effect.sync(() => makeUnsafe(options))

/**
 * Locks the Mutex, waiting in FIFO order while it is held. Go: `mu.Lock()`.
 *
 * Interruptible: an interrupted `lock` leaves the queue and holds nothing.
 *
 * @since 0.1.0
 */
export const lock = (self: Mutex): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const m = impl(self)
    const now = m.tryLock()
    if (now !== undefined) return now
    return block(m.waiters, lockWaiter(), fiber, m.giveBack, m.tryLock)
  })

const lockWaiter = (): Waiter => {
  const node = new Waiter()
  node.op = "lock"
  return node
}

/**
 * Locks the Mutex if it is free and nobody waits for it; says whether it did.
 * Go: `mu.TryLock()`.
 *
 * @since 0.1.0
 */
export const tryLock = (self: Mutex): Effect.Effect<boolean> =>
  Effect.sync(() => impl(self).tryLock() !== undefined)

const unlockUnsafe = (m: MutexImpl): Exit.Exit<void> => {
  if (!m.locked) return Exit.die(new UnlockOfUnlockedMutexError({ mutexName: m.name }))
  const next = m.waiters.shift()
  // FIFO hand-off: the lock passes straight to the head waiter and never
  // becomes free in between, so neither `lock` nor `tryLock` can barge.
  if (next === undefined) m.locked = false
  else wake(next, Exit.void)
  return Exit.void
}

/**
 * Unlocks the Mutex, handing it to the longest waiter if there is one.
 * Go: `mu.Unlock()`. Unlocking an unlocked Mutex is a defect
 * ({@link UnlockOfUnlockedMutexError}).
 *
 * @since 0.1.0
 */
export const unlock = (self: Mutex): Effect.Effect<void> => shallow(() => unlockUnsafe(impl(self)))

/**
 * Runs `effect` while holding the Mutex, and unlocks it however `effect`
 * ends. Go: `mu.Lock(); defer mu.Unlock()`.
 *
 * @example
 * ```ts
 * const critical = Mutex.withLock(mu)(Effect.sync(() => counter++))
 * // or: Effect.sync(() => counter++).pipe(Mutex.withLock(mu))
 * ```
 *
 * @since 0.1.0
 */
export const withLock: {
  (self: Mutex): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: Mutex): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(effect: Effect.Effect<A, E, R>, self: Mutex): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiber((fiber) => {
        const m = impl(self)
        const guarded = Effect.ensuring(restore(effect), unlock(self))
        // Taken here, inside the mask: nothing can interrupt between taking
        // the lock and installing its release.
        if (m.tryLock() !== undefined) return guarded
        // Only the wait is interruptible. A lock granted to this fiber that
        // then meets an interruption before the mask is back (Effect may
        // yield right after the park) is unlocked here, not leaked.
        const node = lockWaiter()
        const parked = Effect.onExit(restore(block(m.waiters, node, fiber, m.giveBack, m.tryLock)), (exit) => {
          if (exit._tag === "Success" || node.grantedExit === undefined) return Exit.void
          node.grantedExit = undefined
          return unlockUnsafe(m)
        })
        return Effect.andThen(parked, guarded)
      })
    )
)

/**
 * Whether the Mutex is held right now (a snapshot, for tests and metrics).
 *
 * @since 0.1.0
 */
export const isLocked = (self: Mutex): Effect.Effect<boolean> => Effect.sync(() => impl(self).locked)

/**
 * The fibers blocked in {@link lock}, longest waiting first.
 *
 * @since 0.1.0
 */
export const blocked = (self: Mutex): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => impl(self).waiters.blocked())

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------
// (Appended section: its imports are kept here, next to their only use.)
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import { unwrap } from "./internal/copied.ts"

/**
 * The static side of a class made with {@link Service}: the service key plus
 * its layer and accessors that find the Mutex in the context.
 *
 * @since 0.1.0
 */
export interface MutexService<Self, Id extends string> extends Context.ServiceClass<Self, Id, Mutex> {
  /**
   * A layer that creates the Mutex, named after the service key. Provide it
   * once at the top of the application so that every part shares one lock.
   */
  readonly layer: Layer.Layer<Self>
  /** {@link withLock} on the service's Mutex. */
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Self>
  /** {@link lock} on the service's Mutex. */
  readonly lock: Effect.Effect<void, never, Self>
  /** {@link unlock} on the service's Mutex. */
  readonly unlock: Effect.Effect<void, never, Self>
  /** {@link tryLock} on the service's Mutex. */
  readonly tryLock: Effect.Effect<boolean, never, Self>
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
 * const rewrite = writeConfigFile.pipe(ConfigLock.withLock)
 *
 * program.pipe(Effect.provide(ConfigLock.layer))
 * ```
 *
 * @since 0.1.0
 */
export const Service =
  <Self>() =>
  <const Id extends string>(id: Id): MutexService<Self, Id> => {
    const key = Context.Service<Self, Mutex>()(id)
    const statics: Omit<MutexService<Self, Id>, keyof Context.ServiceClass<Self, Id, Mutex>> = {
      layer: Layer.effect(key, make({ name: id })),
      withLock: (effect) => Effect.flatMap(key, (mu) => withLock(effect, mu)),
      lock: Effect.flatMap(key, lock),
      unlock: Effect.flatMap(key, unlock),
      tryLock: Effect.flatMap(key, tryLock)
    }
    return Object.assign(key, statics)
  }

/**
 * A condition variable bound to a {@link Mutex.Mutex}: Go's `sync.Cond`.
 *
 * Fibers that hold the mutex {@link wait} for a condition on state the mutex
 * protects; a fiber that changes that state calls {@link signal} (wake one
 * waiter) or {@link broadcast} (wake all). As in Go:
 * - `wait` releases the mutex, waits, and holds the mutex again before it
 *   returns;
 * - `signal` wakes the longest waiting fiber; `broadcast` wakes exactly the
 *   fibers waiting at that moment (a fiber that starts waiting afterwards is
 *   not woken);
 * - `signal` and `broadcast` may be called with or without the mutex held;
 * - a woken waiter must re-check its condition, because another fiber may
 *   have taken the mutex and changed the state first: use {@link waitUntil},
 *   which is Go's `for !cond() { c.Wait() }` loop.
 *
 * Differences from Go, in the direction of safety:
 * - `wait` is interruptible while it waits, and **always ends holding the
 *   mutex, even when interrupted**: an interrupted waiter leaves the queue,
 *   re-acquires the mutex (uninterruptibly) and only then lets the
 *   interruption through. So `Mutex.withLock(mu)(Cond.waitUntil(c, ready))`
 *   unlocks exactly once however it ends. The flip side: interrupting a
 *   waiter and *awaiting* it (`Fiber.interrupt`) while holding the mutex
 *   deadlocks, since the waiter needs the mutex to finish — release it first
 *   or interrupt without awaiting.
 * - A waiter that was signalled but is interrupted before `wait` returns
 *   passes the signal on to the next waiter, so the signal is not lost (see
 *   {@link wait}).
 * - `wait` on a mutex that is not locked is a defect
 *   ({@link WaitOnUnlockedMutexError}); Go does not detect it. A Mutex has no
 *   owner, so only "not locked" is detected: waiting on a mutex that another
 *   fiber holds is not.
 *
 * No operation has a typed error (misuse is a defect). A Cond is `Pipeable`
 * and `Inspectable`: `String(c)` and `console.log(c)` show
 * `{ _id: "Cond", name, mutex, waiters }`, `mutex` being its Mutex's own
 * `toJSON()`.
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { Cond, Mutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const mu = yield* Mutex.make()
 *   const c = yield* Cond.make(mu)
 *   let ready = false
 *   const consumer = yield* Effect.forkChild(
 *     Mutex.withLock(mu)(Cond.waitUntil(c, () => ready))
 *   )
 *   yield* Mutex.withLock(mu)(Effect.sync(() => { ready = true }))
 *   yield* Cond.broadcast(c)
 *   yield* Fiber.join(consumer)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual, type LazyArg } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import {
  badTelemetryOption,
  type CopiedPrimitiveError,
  invalidArgument,
  type InvalidArgumentError,
  refusal,
  unwrap
} from "./internal/copied.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { anyone, type Diagnosis } from "./internal/registry.ts"
import { setTelemetry } from "./internal/telemetry.ts"
import { type BlockedFiber, cancel, register, shallow, Waiter, WaiterList, waitFor, wake } from "./internal/waiters.ts"
import * as Mutex from "./Mutex.ts"
import { isEffect } from "./internal/function.ts"

const TypeId = "~effect-go/Cond" as const

/**
 * A condition variable. Create it with {@link make}.
 *
 * `Pipeable` and `Inspectable`: its `toJSON()` is
 * `{ _id: "Cond", name, mutex, waiters }` (its Mutex's `toJSON()`, and how
 * many fibers wait in {@link wait} right now).
 *
 * @category models
 * @since 0.1.0
 */
export interface Cond extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /** The mutex held while observing or changing the condition (Go's `c.L`). */
  readonly mutex: Mutex.Mutex
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * {@link wait} (or {@link waitUntil}) called while the Cond's mutex is not
 * locked: a defect. Go does not detect this misuse (it fails later with
 * "sync: unlock of unlocked mutex"); the message names the real mistake.
 *
 * @category errors
 * @since 0.1.0
 */
export class WaitOnUnlockedMutexError extends Data.TaggedError("WaitOnUnlockedMutexError")<{
  /** The name of the Cond (not `name`, which would shadow `Error.name`). */
  readonly condName: string | undefined
}> {
  override get message(): string {
    return "sync: Cond.Wait on unlocked mutex"
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface CondOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this Cond alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal condition); `true` records it
   * even outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

/** How a waiter was woken: its grant. */
type Wakeup = "signal" | "broadcast"
const signalled: Exit.Exit<Wakeup> = Exit.succeed("signal")
const broadcasted: Exit.Exit<Wakeup> = Exit.succeed("broadcast")

class CondWaiter extends Waiter<Wakeup> {}

class CondImpl extends PrimitiveBase implements Cond {
  readonly [TypeId] = TypeId
  readonly mutex: Mutex.Mutex
  readonly name: string | undefined
  readonly waiters: WaiterList<CondWaiter>
  constructor(mutex: Mutex.Mutex, name: string | undefined) {
    super()
    this.mutex = mutex
    this.name = name
    this.waiters = new WaiterList("Cond", name, this, "wait")
  }
  /** Any fiber that can reach the Cond may signal it: no fiber is known to be in the way. */
  diagnose(): Diagnosis {
    return {
      kind: "Cond",
      name: this.name,
      state: { waiters: this.waiters.size },
      queues: [{ list: this.waiters, wakers: anyone }],
      holders: []
    }
  }
  toJSON() {
    return { _id: "Cond", name: this.name, mutex: this.mutex.toJSON(), waiters: this.waiters.size }
  }
}

const impl = (self: Cond): CondImpl => unwrap(self, CondImpl, "Cond")

/** What is wrong with the arguments of `op`, if anything: `make` reports it inside its Effect, `makeUnsafe` throws it. */
const badArguments = (
  op: string,
  mutex: Mutex.Mutex,
  options: CondOptions | undefined
): CopiedPrimitiveError | InvalidArgumentError | undefined => {
  if (!Mutex.isMutex(mutex)) return refusal(mutex, "Mutex")
  return badTelemetryOption(op, options)
}

/** A Cond with checked arguments, its `telemetry` option applied. */
const build = (mutex: Mutex.Mutex, options: CondOptions | undefined): Cond => {
  const c = new CondImpl(mutex, options?.name)
  setTelemetry(c, options?.telemetry)
  return c
}

/**
 * Creates a Cond bound to `mutex` outside of an Effect. Throws
 * `InvalidArgumentError` when `mutex` is not a Mutex (`CopiedPrimitiveError`
 * for a copy of one) or the `telemetry` option is not a boolean.
 *
 * @example
 * ```ts
 * import { Cond, Mutex } from "effect-go"
 *
 * const mu = Mutex.makeUnsafe()
 * const c = Cond.makeUnsafe(mu, { name: "queue not empty" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (mutex: Mutex.Mutex, options?: CondOptions): Cond => {
  const bad = badArguments("Cond.makeUnsafe", mutex, options)
  if (bad !== undefined) throw bad
  return build(mutex, options)
}

/**
 * Creates a Cond bound to `mutex`. Go: `sync.NewCond(&mu)`. Anything but a
 * Mutex (an RWMutex, `undefined`, a copy) is a defect,
 * `InvalidArgumentError` (`CopiedPrimitiveError` for a copy), at once rather
 * than at the first `wait`; so is a `telemetry` option that is not a boolean.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Cond, Mutex } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const mu = yield* Mutex.make()
 *   const c = yield* Cond.make(mu, { name: "queue not empty" })
 *   return c
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (mutex: Mutex.Mutex, options?: CondOptions): Effect.Effect<Cond> =>
  Effect.suspend(() => {
    const bad = badArguments("Cond.make", mutex, options)
    return bad === undefined ? Exit.succeed(build(mutex, options)) : Exit.die(bad)
  })

/**
 * Signals the longest waiting fiber that has not left. A waiter is in the
 * queue from just before it unlocks the mutex (so that it cannot miss a
 * signal sent by the fiber that gets the mutex next, which runs inside that
 * unlock) until it is woken; one signalled before it parks takes the signal
 * at its park.
 */
const signalUnsafe = (c: CondImpl): Exit.Exit<void> => {
  for (let node = c.waiters.shift(); node !== undefined; node = c.waiters.shift()) {
    if (wake(node, signalled)) break
  }
  return Exit.void
}

/**
 * Wakes the longest waiting fiber, if any. Go: `c.Signal()`.
 *
 * The woken fiber then waits for the mutex, so it runs after the signaller
 * has unlocked it. Calling `signal` without holding the mutex is allowed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Cond, Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 * declare const c: Cond.Cond
 * const queue: Array<string> = []
 *
 * const put = (item: string) =>
 *   Effect.andThen(
 *     Mutex.withLock(mu)(Effect.sync(() => queue.push(item))),
 *     Cond.signal(c)
 *   )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const signal = (self: Cond): Effect.Effect<void> => shallow(() => signalUnsafe(impl(self)))

/**
 * Wakes every fiber waiting right now; fibers that start waiting afterwards
 * (including the woken ones waiting again) wait for the next signal or
 * broadcast. Go: `c.Broadcast()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Cond, Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 * declare const c: Cond.Cond
 * let closed = false
 *
 * const close = Effect.andThen(
 *   Mutex.withLock(mu)(Effect.sync(() => { closed = true })),
 *   Cond.broadcast(c)
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const broadcast = (self: Cond): Effect.Effect<void> =>
  shallow(() => {
    // Detach everyone first: the woken run at once and may wait again, and
    // must then join a fresh queue that this broadcast does not reach.
    const nodes = impl(self).waiters.drain()
    for (let i = 0; i < nodes.length; i++) wake(nodes[i]!, broadcasted)
    return Exit.void
  })

/**
 * A waiter that leaves (interrupted) after it was signalled: the signal was
 * meant for a fiber that will not act on it, so it goes to the next waiter.
 */
const passOnSignal =
  (c: CondImpl) =>
  (_: CondWaiter, granted: Exit.Exit<Wakeup> | undefined): void => {
    if (granted === signalled) signalUnsafe(c)
  }

/**
 * After a signalled waiter got the mutex back: if an interruption arrived
 * meanwhile (it was deferred, as the re-lock is uninterruptible), `wait`
 * ends interrupted without its caller acting on the signal, so the signal
 * goes to the next waiter.
 */
const passOnIfInterrupted = (
  c: CondImpl,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<void> => Effect.onInterrupt(restore(Effect.void), () => shallow(() => signalUnsafe(c)))

const relock = (
  c: CondImpl,
  node: CondWaiter,
  parked: Exit.Exit<Wakeup>,
  restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<void> => {
  if (Exit.isSuccess(parked)) {
    // Woken. Hold the mutex again, uninterruptibly (we are in the mask).
    const locked = Mutex.lock(c.mutex)
    return parked.value === "signal" ? Effect.andThen(locked, passOnIfInterrupted(c, restore)) : locked
  }
  if (!Cause.hasInterrupts(parked.cause)) {
    // `Mutex.unlock` died: someone unlocked the mutex under us (misuse).
    c.waiters.remove(node)
    return parked
  }
  // Interrupted, while parked or before parking (the interruption waited
  // for the interruptible park): leave the queue, passing on a signal this
  // waiter got and will not act on (a no-op if the park's cancel did it).
  cancel(node, passOnSignal(c))
  return Effect.andThen(Mutex.lock(c.mutex), parked)
}

/**
 * Releases the mutex, waits for {@link signal} or {@link broadcast}, and
 * locks the mutex again before returning. Go: `c.Wait()`. The caller must
 * hold the mutex; if the mutex is not locked at all, this is a defect
 * ({@link WaitOnUnlockedMutexError}).
 *
 * Interruption. Only the waiting itself is interruptible. However `wait`
 * ends, it ends holding the mutex, as on success: an interrupted waiter
 * leaves the queue in O(1), re-acquires the mutex uninterruptibly, and only
 * then is interrupted. An enclosing `Mutex.withLock` therefore unlocks it
 * exactly once.
 *
 * A signal is never lost to an interruption. Can a waiter be signalled and
 * then interrupted? Not between the two: `signal` resumes a parked waiter
 * synchronously, on the signaller's stack, and the waiter goes straight into
 * its uninterruptible re-lock. But there are two windows around that point,
 * and in both the interruption is deferred until the waiter holds the mutex
 * again, so `wait` then ends interrupted without its caller acting on the
 * signal:
 * - after being woken, while re-acquiring the mutex (typically held by the
 *   signaller);
 * - before parking: a waiter joins the queue just before it releases the
 *   mutex, and the fiber that gets the mutex next runs inside that release
 *   and may signal it then.
 * In both cases the waiter hands the signal to the next waiter, if any (that
 * waiter may see its condition unchanged: always wait in a loop, as
 * {@link waitUntil} does). A waiter woken by `broadcast` hands nothing on:
 * everyone waiting was woken anyway.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Cond, Mutex } from "effect-go"
 *
 * declare const mu: Mutex.Mutex
 * declare const c: Cond.Cond
 * declare const queue: Array<string>
 *
 * // Go: mu.Lock(); for len(queue) == 0 { c.Wait() }; item := queue[0]; ...; mu.Unlock()
 * const take = Effect.gen(function* () {
 *   yield* Mutex.lock(mu)
 *   while (queue.length === 0) yield* Cond.wait(c)
 *   const item = queue.shift()!
 *   yield* Mutex.unlock(mu)
 *   return item
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const wait = (self: Cond): Effect.Effect<void> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiber((fiber) => {
      const c = impl(self)
      return Effect.flatMap(Mutex.isLocked(c.mutex), (locked) => {
        if (!locked) return Exit.die(new WaitOnUnlockedMutexError({ condName: c.name }))
        const node = new CondWaiter()
        node.op = "wait"
        register(c.waiters, node, fiber)
        return Effect.flatMap(
          Effect.exit(Effect.andThen(Mutex.unlock(c.mutex), restore(waitFor(node, fiber, passOnSignal(c))))),
          (parked) => relock(c, node, parked, restore)
        )
      })
    })
  )

const waitUntilLoop = <E, R>(self: Cond, check: Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
  Effect.flatMap(check, (ok) => (ok ? Effect.void : Effect.flatMap(wait(self), () => waitUntilLoop(self, check))))

/**
 * Waits until `predicate` holds: Go's `for !predicate() { c.Wait() }`. The
 * caller must hold the mutex (checked first, even when `predicate` already
 * holds: {@link WaitOnUnlockedMutexError}); `predicate` is evaluated with the
 * mutex held, before the first wait and after every wake-up.
 *
 * `predicate` is either a plain function (`() => ready`, the usual case: the
 * state is a variable the mutex protects) or an `Effect<boolean, E, R>`
 * (e.g. reading a `Ref`); a failure of that Effect ends `waitUntil` with the
 * mutex held. Interruption behaves as in {@link wait}: `waitUntil` always
 * ends holding the mutex.
 *
 * @category combinators
 * @since 0.1.0
 */
export const waitUntil: {
  /**
   * Returns a function that waits on a Cond until `predicate` holds: Go's
   * `for !predicate() { c.Wait() }`, data-last, for `pipe`. The caller must
   * hold the Cond's mutex (a defect otherwise,
   * {@link WaitOnUnlockedMutexError}); `predicate` is evaluated with the
   * mutex held, before the first wait and after every wake-up.
   *
   * `predicate` is a function or an `Effect<boolean, E, R>`, whose `E` and
   * `R` are the result's. However it ends, `waitUntil` ends holding the mutex.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Cond, Mutex } from "effect-go"
   *
   * declare const mu: Mutex.Mutex
   * declare const c: Cond.Cond
   * let ready = false
   *
   * const awaitReady: Effect.Effect<void> = Mutex.withLock(mu)(c.pipe(Cond.waitUntil(() => ready)))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E = never, R = never>(
    predicate: LazyArg<boolean> | Effect.Effect<boolean, E, R>
  ): (self: Cond) => Effect.Effect<void, E, R>
  /**
   * Waits until `predicate` holds: Go's `for !predicate() { c.Wait() }`. The
   * caller must hold the mutex (a defect otherwise,
   * {@link WaitOnUnlockedMutexError}, checked even when `predicate` already
   * holds); `predicate` is evaluated with the mutex held, before the first
   * wait and after every wake-up.
   *
   * `predicate` is a function (`() => ready`, the usual case) or an
   * `Effect<boolean, E, R>` (e.g. reading a `Ref`), whose failure ends
   * `waitUntil` with the mutex held. Interruption behaves as in {@link wait}:
   * `waitUntil` always ends holding the mutex.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Cond, Mutex } from "effect-go"
   *
   * declare const mu: Mutex.Mutex
   * declare const c: Cond.Cond
   * declare const queue: Array<string>
   *
   * const take: Effect.Effect<string> = Mutex.withLock(mu)(
   *   Effect.andThen(
   *     Cond.waitUntil(c, () => queue.length > 0),
   *     Effect.sync(() => queue.shift()!)
   *   )
   * )
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E = never, R = never>(
    self: Cond,
    predicate: LazyArg<boolean> | Effect.Effect<boolean, E, R>
  ): Effect.Effect<void, E, R>
} = dual(
  2,
  <E, R>(self: Cond, predicate: LazyArg<boolean> | Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
    Effect.suspend(() => {
      const c = impl(self)
      if (!isEffect(predicate) && typeof predicate !== "function") {
        return Exit.die(invalidArgument("Cond.waitUntil", "a function or an Effect", predicate))
      }
      const check = isEffect(predicate) ? predicate : Effect.sync(predicate)
      return Effect.flatMap(Mutex.isLocked(c.mutex), (locked) =>
        locked ? waitUntilLoop(self, check) : Exit.die(new WaitOnUnlockedMutexError({ condName: c.name }))
      )
    })
)

/**
 * The fibers blocked in {@link wait}, longest waiting first. (A woken fiber
 * waiting to re-acquire the mutex shows in `Mutex.blocked`.)
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = (self: Cond): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => impl(self).waiters.blocked())

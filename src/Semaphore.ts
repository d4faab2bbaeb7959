/**
 * A weighted semaphore: Go's `golang.org/x/sync/semaphore.Weighted`.
 *
 * A Semaphore holds `size` permits. {@link acquire} takes `n` of them, waiting
 * while too few are free; {@link release} gives them back. Waiters are served
 * in strict FIFO order with no barging: while anyone waits, a new request
 * queues behind them even if it would fit, so a large request is never
 * starved by a stream of small ones (Go's `TestLargeAcquireDoesntStarve`).
 * This is where it differs from Effect's own `Semaphore`, which lets small
 * requests overtake a large one, accepts over-release and lets a request
 * above its size wait forever.
 *
 * Differences from Go, all in the direction of safety:
 * - `acquire` is interrupted instead of taking a `ctx`; an interrupted
 *   `acquire` leaves the queue holding nothing, and if it was at the head,
 *   the waiters behind it that now fit are served at once (Go's
 *   `TestAllocCancelDoesntStarve`);
 * - a request above the size can never succeed: it is a defect at the call,
 *   {@link PermitsExceedSizeError} (Go's `Acquire` blocks until its context
 *   is done and returns `ctx.Err()`; `TryAcquire` returns false);
 * - a negative, fractional, NaN or infinite permit count is a defect,
 *   {@link InvalidPermitsError} (Go's `int64` rules most of these out);
 * - a request for 0 permits takes nothing, so it cannot overtake anyone: it
 *   succeeds at once even while others wait (Go queues it behind them);
 * - {@link withPermits} releases on success, failure, defect and
 *   interruption, which is what `defer sem.Release(n)` is for in Go.
 *
 * So no operation has a typed error: `withPermits(sem, 1)(effect)` fails only
 * as `effect` does. Releasing more than is held is a defect too
 * ({@link ReleasedMoreThanHeldError}), as it is a panic in Go. As in Go,
 * permits are not owned by a fiber: any fiber may release them.
 *
 * A Semaphore is `Pipeable` and `Inspectable`: `String(sem)` and
 * `console.log(sem)` show `{ _id: "Semaphore", name, size, available,
 * waiters }`.
 *
 * For an application-wide limit declared once as a service and provided by a
 * Layer (so that tests can swap it), see {@link Service}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-go"
 *
 * interface Job {
 *   readonly weight: number
 * }
 * declare const jobs: ReadonlyArray<Job>
 * declare const runJob: (job: Job) => Effect.Effect<void>
 *
 * const program = Effect.gen(function* () {
 *   const sem = yield* Semaphore.make(10) // at most 10 units of work at once
 *   yield* Effect.forEach(
 *     jobs,
 *     (job) => Semaphore.withPermits(sem, job.weight)(runJob(job)),
 *     { concurrency: "unbounded", discard: true }
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import {
  badTelemetryOption,
  invalidArgument,
  type InvalidArgumentError,
  show,
  typeName,
  unwrap
} from "./internal/copied.ts"
import { checkedConfig } from "./internal/config.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { RemoteSemaphore } from "./internal/remote.ts"
import { anyone, type Diagnosis, type Holder } from "./internal/registry.ts"
import { setTelemetry } from "./internal/telemetry.ts"
import {
  type BlockedFiber,
  block,
  flushPending,
  handsOver,
  reusablePark,
  shallow,
  shallowNow,
  Waiter,
  WaiterList,
  wake
} from "./internal/waiters.ts"
import { isEffect } from "./internal/function.ts"

const TypeId = "~effect-go/Semaphore" as const

/**
 * A weighted semaphore. Create it with {@link make}.
 *
 * `Pipeable` and `Inspectable`: its `toJSON()` is
 * `{ _id: "Semaphore", name, size, available, waiters }` (the free permits
 * and the number of fibers waiting, right now).
 *
 * @category models
 * @since 0.1.0
 */
export interface Semaphore<out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /**
   * Phantom: the error its operations may fail with. `never` for a Semaphore
   * made here; a Semaphore whose permits live in Redis (`RedisSync`) fails
   * with `RedisSyncError`.
   */
  readonly "~effect-go/Semaphore/Error"?: Types.Covariant<E>
  /** The total number of permits, fixed at {@link make}. */
  readonly size: number
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A permit count (or a size) that is not a non-negative safe integer:
 * negative, fractional, NaN or infinite, or not a number at all (through a
 * cast). A defect: such a count is a programmer error that no caller can
 * handle, and it can never succeed.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidPermitsError extends Data.TaggedError("InvalidPermitsError")<{
  /** The operation that got the count: "make", "acquire", "tryAcquire", "release", "withPermits". */
  readonly op: string
  /** What was given: a number, unless a cast or `any` let something else through. */
  readonly permits: number
}> {
  override get message(): string {
    const permits: unknown = this.permits
    const text = `semaphore: ${this.op}(${show(permits)}): the permit count must be a non-negative safe integer`
    return typeof permits === "number" ? text : `${text}, not ${typeName(permits)}`
  }
}

/**
 * A request for more permits than the semaphore has. It could never be
 * granted, so it is a defect at the call instead of a wait forever (Go's
 * `Acquire` waits for its context to be done and returns `ctx.Err()`).
 *
 * @category errors
 * @since 0.1.0
 */
export class PermitsExceedSizeError extends Data.TaggedError("PermitsExceedSizeError")<{
  /** The operation that got the count: "acquire", "tryAcquire", "withPermits". */
  readonly op: string
  /** The permits asked for. */
  readonly permits: number
  /** The semaphore's size. */
  readonly size: number
  /** The semaphore's name, if it was given one. */
  readonly semaphoreName: string | undefined
}> {
  override get message(): string {
    return `semaphore: ${this.op}(${this.permits}) can never succeed: the semaphore has ${this.size} permit(s)`
  }
}

/**
 * Releasing more permits than are held: a defect, as Go panics
 * ("semaphore: released more than held").
 *
 * @category errors
 * @since 0.1.0
 */
export class ReleasedMoreThanHeldError extends Data.TaggedError("ReleasedMoreThanHeldError")<{
  /** The permits released. */
  readonly permits: number
  /** The permits held at the time. */
  readonly held: number
  /** The semaphore's name, if it was given one. */
  readonly semaphoreName: string | undefined
}> {
  override get message(): string {
    return "semaphore: released more than held"
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface SemaphoreOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this semaphore alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal semaphore); `true` records it
   * even outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** The op of a waiter for a few permits, made once: a string per blocked fiber would add to what it keeps. */
const ACQUIRE_OPS = Array.from({ length: 17 }, (_, n) => `acquire(${n})`)

/** A fiber waiting in {@link acquire} (or {@link withPermits}, as {@link HeldPermitWaiter}). */
class PermitWaiter extends Waiter {
  readonly n: number
  readonly sem: SemaphoreImpl
  /**
   * The fiber that will hold the permits and release them itself
   * ({@link withPermits}), recorded as their holder when they are granted;
   * undefined for {@link acquire}, whose permits any fiber may release.
   * Declared, not defined: an `acquire`'s node, which every fiber blocked
   * in it keeps, goes without it.
   */
  declare readonly holder: AnyFiber | undefined
  constructor(sem: SemaphoreImpl, n: number) {
    super()
    this.sem = sem
    this.n = n
    this.op = n < ACQUIRE_OPS.length ? ACQUIRE_OPS[n]! : `acquire(${n})`
  }
}

/** A fiber waiting in {@link withPermits}: it holds the permits it is granted. */
class HeldPermitWaiter extends PermitWaiter {
  override readonly holder: AnyFiber
  constructor(sem: SemaphoreImpl, n: number, holder: AnyFiber) {
    super(sem, n)
    this.holder = holder
  }
}

class SemaphoreImpl extends PrimitiveBase implements Semaphore {
  readonly [TypeId] = TypeId
  readonly size: number
  readonly name: string | undefined
  /** Permits held right now. */
  cur = 0
  /**
   * The fibers holding permits through {@link withPermits}, with how many
   * (parallel plain arrays, one entry per `withPermits` holding some: a
   * grant pushes, the release removes its own entry, searched from the end
   * and swapped with the last), for the blocked-fiber dump and the deadlock
   * detector. Permits taken with {@link acquire} or {@link tryAcquire} are
   * not attributed: any fiber may release them.
   */
  readonly holders: Array<AnyFiber> = []
  readonly held: Array<number> = []
  /** The sum of {@link held}. */
  attributed = 0
  /**
   * Invariant: while the list is not empty, its head asks for more than is
   * free. Every change that frees permits or removes the head ends with
   * {@link notify}, which serves the head while it fits.
   */
  readonly waiters: WaiterList<PermitWaiter>
  constructor(size: number, name: string | undefined) {
    super()
    this.size = size
    this.name = name
    this.waiters = new WaiterList("Semaphore", name, this, "acquire")
  }
  private parkOneOnce: Effect.Effect<void> | undefined = undefined
  /**
   * The park of an unattributed request for one permit (`acquire(s, 1)`,
   * the common case), built on first use: such a park allocates its node
   * and nothing else (no registration closure per park). Call it from a step
   * that called `flushPending`.
   */
  get parkOne(): Effect.Effect<void> {
    return (this.parkOneOnce ??= reusablePark(() => new PermitWaiter(this, 1), takeFor, this.waiters, onCancel))
  }
  /**
   * The waiters need permits released. When every held permit is held by a
   * `withPermits` fiber, one of those fibers must release (which one depends
   * on the sizes: "any one of them" errs towards "can progress"); when some
   * were taken with `acquire`, anyone may release them.
   */
  diagnose(): Diagnosis {
    const permits = new Map<AnyFiber, number>()
    for (let i = 0; i < this.holders.length; i++) {
      const fiber = this.holders[i]!
      permits.set(fiber, (permits.get(fiber) ?? 0) + this.held[i]!)
    }
    const holders: Array<Holder> = []
    for (const [fiber, n] of permits) holders.push({ fiber, role: `holds ${n} permit${n === 1 ? "" : "s"}` })
    const known = this.cur === this.attributed && holders.length > 0
    return {
      kind: "Semaphore",
      name: this.name,
      state: { size: this.size, available: this.size - this.cur },
      queues: [{ list: this.waiters, wakers: known ? { _tag: "OneOf", fibers: Array.from(permits.keys()) } : anyone }],
      holders
    }
  }
  toJSON() {
    return {
      _id: "Semaphore",
      name: this.name,
      size: this.size,
      available: this.size - this.cur,
      waiters: this.waiters.size
    }
  }
}

const impl = (self: Semaphore<unknown>): SemaphoreImpl => unwrap(self, SemaphoreImpl, "Semaphore")

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0

/**
 * Serves waiters from the head while the head fits (Go's `notifyWaiters`).
 * One at a time, state consistent before each wake: the woken fiber runs at
 * once and may release, acquire or interrupt others; the loop then looks at
 * the head afresh.
 */
const notify = (s: SemaphoreImpl): void => {
  for (let next = s.waiters.head; next !== undefined && s.size - s.cur >= next.n; next = s.waiters.head) {
    s.waiters.shift()
    s.cur += next.n
    if (next.holder !== undefined) attribute(s, next.holder, next.n)
    wake(next, Exit.void)
  }
}

/** Records `fiber` as holding `n` permits it took through `withPermits`. */
const attribute = (s: SemaphoreImpl, fiber: AnyFiber, n: number): void => {
  if (n === 0) return
  s.holders.push(fiber)
  s.held.push(n)
  s.attributed += n
}

/** Forgets the `n` permits `fiber` held through `withPermits` (their release, or a grant it never saw). */
const unattribute = (s: SemaphoreImpl, fiber: AnyFiber, n: number): void => {
  if (n === 0) return
  const holders = s.holders
  const held = s.held
  const last = holders.length - 1
  let i = last
  while (i >= 0 && (holders[i] !== fiber || held[i] !== n)) i--
  if (i < 0) return
  if (i !== last) {
    holders[i] = holders[last]!
    held[i] = held[last]!
  }
  holders.pop()
  held.pop()
  s.attributed -= n
}

/**
 * A waiter interrupted before it resumed. Granted permits it never saw (a
 * grant and an interruption can meet: see `block`) go back; and if it was
 * the head, those behind it may fit now (Go's TestAllocCancelDoesntStarve).
 * `notify` is a no-op otherwise, since the head did not fit before and
 * still does not.
 */
const onCancel = (node: PermitWaiter, granted: Exit.Exit<void> | undefined): void => {
  if (granted !== undefined) {
    node.sem.cur -= node.n
    if (node.holder !== undefined) unattribute(node.sem, node.holder, node.n)
  }
  notify(node.sem)
}

/** What is wrong with the arguments of `op`, if anything: `make` reports it inside its Effect, `makeUnsafe` throws it. */
const badArguments = (
  op: string,
  size: number,
  options: SemaphoreOptions | undefined
): InvalidPermitsError | InvalidArgumentError | undefined => {
  if (!isCount(size)) return new InvalidPermitsError({ op: "make", permits: size })
  return badTelemetryOption(op, options)
}

/** A Semaphore with checked arguments, its `telemetry` option applied. */
const build = (size: number, options: SemaphoreOptions | undefined): Semaphore => {
  const s = new SemaphoreImpl(size, options?.name)
  setTelemetry(s, options?.telemetry)
  return s
}

/**
 * Creates a Semaphore outside of an Effect. Throws {@link InvalidPermitsError}
 * when `size` is not a non-negative safe integer, and `InvalidArgumentError`
 * on a `telemetry` option that is not a boolean.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-go"
 *
 * const sem = Semaphore.makeUnsafe(4, { name: "uploads" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (size: number, options?: SemaphoreOptions): Semaphore => {
  const bad = badArguments("Semaphore.makeUnsafe", size, options)
  if (bad !== undefined) throw bad
  return build(size, options)
}

/**
 * Creates a Semaphore with `size` permits, all free. Go:
 * `semaphore.NewWeighted(size)`. A size that is not a non-negative safe
 * integer is a defect ({@link InvalidPermitsError}); a size of 0 is allowed
 * (only requests for 0 permits succeed). A `telemetry` option that is not a
 * boolean is a defect too (`InvalidArgumentError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const sem = yield* Semaphore.make(10, { name: "db" })
 *   return sem.size // 10
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (size: number, options?: SemaphoreOptions): Effect.Effect<Semaphore> =>
  Effect.suspend(() => {
    const bad = badArguments("Semaphore.make", size, options)
    return bad === undefined ? Exit.succeed(build(size, options)) : Exit.die(bad)
  })

/** The defect a request for `n` permits is, or undefined when it may be served. */
const check = (
  s: { readonly size: number; readonly name: string | undefined },
  op: string,
  n: number
): Exit.Exit<never> | undefined =>
  !isCount(n)
    ? Exit.die(new InvalidPermitsError({ op, permits: n }))
    : n > s.size
      ? Exit.die(new PermitsExceedSizeError({ op, permits: n, size: s.size, semaphoreName: s.name }))
      : undefined

/**
 * Takes `n` permits if that needs no waiting: the fast path of every acquire,
 * `tryAcquire`, and the re-check `block` makes at the moment of parking.
 * No barging: a request that fits is served at once only if nobody waits. A
 * request for 0 permits takes nothing and overtakes no one.
 */
const takeNow = (s: SemaphoreImpl, n: number): Exit.Exit<void> | undefined => {
  if (n === 0 || (s.waiters.size === 0 && s.size - s.cur >= n)) {
    s.cur += n
    return Exit.void
  }
  return undefined
}

/**
 * Waits for `n` permits. They reach the caller in the step that resumes the
 * fiber; an interruption before that gives them back (see `onCancel`).
 */
const park = (s: SemaphoreImpl, n: number, fiber: AnyFiber, holder: AnyFiber | undefined): Effect.Effect<void> => {
  if (n === 1 && holder === undefined) {
    flushPending()
    return s.parkOne
  }
  return block(
    s.waiters,
    holder === undefined ? new PermitWaiter(s, n) : new HeldPermitWaiter(s, n, holder),
    fiber,
    onCancel,
    takeFor
  )
}

/** The try of a parking waiter: {@link takeHeld} for what it asks. */
const takeFor = (node: PermitWaiter): Exit.Exit<void> | undefined => takeHeld(node.sem, node.n, node.holder)

/** {@link takeNow}, recording `holder` (if any) as the holder of what it took. */
const takeHeld = (s: SemaphoreImpl, n: number, holder: AnyFiber | undefined): Exit.Exit<void> | undefined => {
  const taken = takeNow(s, n)
  if (taken !== undefined && holder !== undefined) attribute(s, holder, n)
  return taken
}

const acquireChecked = (s: SemaphoreImpl, n: number): Effect.Effect<void> =>
  // Taken here only if the permits surely reach the caller (see `handsOver`).
  Effect.withFiber((fiber) => (handsOver(fiber) ? takeNow(s, n) : undefined) ?? park(s, n, fiber, undefined))

/**
 * Acquires `n` permits, waiting in FIFO order until they are free.
 * Go: `sem.Acquire(ctx, n)`.
 *
 * - No barging: while others wait, the request queues behind them even if it
 *   would fit now.
 * - Interruptible: an interrupted `acquire` leaves the queue holding nothing,
 *   and wakes the waiters behind it that now fit.
 * - `n = 0` succeeds at once. `n` above the size is a defect
 *   ({@link PermitsExceedSizeError}), and so is `n` negative, fractional,
 *   NaN or infinite ({@link InvalidPermitsError}).
 *
 * Pair it with {@link release}, or use {@link withPermits}.
 *
 * @category combinators
 * @since 0.1.0
 */
export const acquire: {
  /**
   * Acquires `n` permits of the semaphore it is then given, waiting in FIFO
   * order until they are free: the data-last form, for `pipe`.
   * Go: `sem.Acquire(ctx, n)`.
   *
   * Interruptible: an interrupted `acquire` holds nothing. `n` above the size
   * is a defect ({@link PermitsExceedSizeError}), and so is a count that is
   * not a non-negative safe integer ({@link InvalidPermitsError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   *
   * const takeTwo: Effect.Effect<void> = sem.pipe(Semaphore.acquire(2))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Semaphore<E>) => Effect.Effect<void, E>
  /**
   * Acquires `n` permits, waiting in FIFO order until they are free (no
   * barging: while others wait, it queues behind them even if it would fit).
   * Go: `sem.Acquire(ctx, n)`.
   *
   * Interruptible: an interrupted `acquire` leaves the queue holding nothing,
   * and wakes the waiters behind it that now fit. `n = 0` succeeds at once.
   * `n` above the size is a defect ({@link PermitsExceedSizeError}), and so is
   * a count that is not a non-negative safe integer ({@link InvalidPermitsError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   * declare const upload: Effect.Effect<void>
   *
   * // Go: if err := sem.Acquire(ctx, 3); err != nil { ... }; defer sem.Release(3)
   * const program = Effect.gen(function* () {
   *   yield* Semaphore.acquire(sem, 3)
   *   yield* upload.pipe(Effect.ensuring(Semaphore.release(sem, 3)))
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Semaphore<E>, n: number): Effect.Effect<void, E>
} = dual(
  2,
  <E>(self: Semaphore<E>, n: number): Effect.Effect<void, E> =>
    Effect.suspend(() => {
      if (self instanceof RemoteSemaphore) {
        return check(self, "acquire", n) ?? (self.acquire(n) as Effect.Effect<void, E>)
      }
      const s = impl(self)
      return check(s, "acquire", n) ?? acquireChecked(s, n)
    })
)

/**
 * Acquires `n` permits if they are free and nobody waits; says whether it
 * did. Never waits. Go: `sem.TryAcquire(n)`.
 *
 * Returns false while others wait, even if `n` would fit: it cannot barge.
 * `n = 0` returns true; a bad `n` is a defect as in {@link acquire}.
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryAcquire: {
  /**
   * Acquires `n` permits of the semaphore it is then given if they are free
   * and nobody waits; says whether it did. Never waits: the data-last form,
   * for `pipe`. Go: `sem.TryAcquire(n)`.
   *
   * A bad `n` is a defect as in {@link acquire}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   *
   * const got: Effect.Effect<boolean> = sem.pipe(Semaphore.tryAcquire(1))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Semaphore<E>) => Effect.Effect<boolean, E>
  /**
   * Acquires `n` permits if they are free and nobody waits; says whether it
   * did. Never waits. Go: `sem.TryAcquire(n)`.
   *
   * Returns false while others wait, even if `n` would fit: it cannot barge.
   * `n = 0` returns true; a bad `n` is a defect as in {@link acquire}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   * declare const work: Effect.Effect<void>
   *
   * // Go: if !sem.TryAcquire(1) { return errBusy }; defer sem.Release(1)
   * const program = Effect.gen(function* () {
   *   if (!(yield* Semaphore.tryAcquire(sem, 1))) return "busy"
   *   yield* work.pipe(Effect.ensuring(Semaphore.release(sem, 1)))
   *   return "done"
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Semaphore<E>, n: number): Effect.Effect<boolean, E>
} = dual(
  2,
  <E>(self: Semaphore<E>, n: number): Effect.Effect<boolean, E> =>
    Effect.suspend(() => {
      if (self instanceof RemoteSemaphore) {
        return check(self, "tryAcquire", n) ?? (self.tryAcquire(n) as Effect.Effect<boolean, E>)
      }
      const s = impl(self)
      // A sync passes its value straight to the caller's continuation: no
      // step between taking the permits and the caller seeing `true`.
      return check(s, "tryAcquire", n) ?? Effect.sync(() => takeNow(s, n) !== undefined)
    })
)

const releaseUnsafe = (s: SemaphoreImpl, n: number): Exit.Exit<void> => {
  if (n > s.cur) return Exit.die(new ReleasedMoreThanHeldError({ permits: n, held: s.cur, semaphoreName: s.name }))
  s.cur -= n
  notify(s)
  return Exit.void
}

/**
 * Releases `n` permits and serves the waiters, in FIFO order, that now fit.
 * Go: `sem.Release(n)`.
 *
 * Releasing more than is held is a defect ({@link ReleasedMoreThanHeldError},
 * Go's panic "semaphore: released more than held") and changes nothing; so
 * is a bad `n` ({@link InvalidPermitsError}).
 *
 * @category combinators
 * @since 0.1.0
 */
export const release: {
  /**
   * Releases `n` permits of the semaphore it is then given and serves the
   * waiters that now fit: the data-last form, for `pipe`. Go: `sem.Release(n)`.
   *
   * Releasing more than is held is a defect ({@link ReleasedMoreThanHeldError});
   * so is a bad `n` ({@link InvalidPermitsError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   *
   * const giveBack: Effect.Effect<void> = sem.pipe(Semaphore.release(2))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Semaphore<E>) => Effect.Effect<void, E>
  /**
   * Releases `n` permits and serves the waiters, in FIFO order, that now fit.
   * Go: `sem.Release(n)`.
   *
   * Releasing more than is held is a defect ({@link ReleasedMoreThanHeldError},
   * Go's panic "semaphore: released more than held") and changes nothing; so
   * is a bad `n` ({@link InvalidPermitsError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const sem = yield* Semaphore.make(2)
   *   yield* Semaphore.acquire(sem, 2)
   *   yield* Semaphore.release(sem, 2)
   *   return yield* Semaphore.available(sem) // 2
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Semaphore<E>, n: number): Effect.Effect<void, E>
} = dual(
  2,
  <E>(self: Semaphore<E>, n: number): Effect.Effect<void, E> =>
    shallow(() =>
      !isCount(n)
        ? Exit.die(new InvalidPermitsError({ op: "release", permits: n }))
        : self instanceof RemoteSemaphore
          ? (self.release(n) as Effect.Effect<void, E>)
          : releaseUnsafe(impl(self), n)
    )
)

/**
 * Runs `effect` while holding `n` permits, and releases them however `effect`
 * ends. Go: `sem.Acquire(ctx, n); defer sem.Release(n)`.
 *
 * The result fails only as `effect` does. Interrupted while waiting, it holds
 * nothing and releases nothing. A bad `n` is a defect as in {@link acquire},
 * and `effect` does not run.
 *
 * @category combinators
 * @since 0.1.0
 */
export const withPermits: {
  /**
   * Returns a function that runs an effect while holding `n` permits of
   * `self`, and releases them however the effect ends.
   * Go: `sem.Acquire(ctx, n); defer sem.Release(n)`.
   *
   * The result fails only as the effect does. Interrupted while waiting, it
   * holds nothing and releases nothing. A bad `n` is a defect as in
   * {@link acquire}, and the effect does not run.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * class QueryError {
   *   readonly _tag = "QueryError"
   * }
   * declare const sem: Semaphore.Semaphore
   * declare const runQuery: Effect.Effect<number, QueryError>
   *
   * const query: Effect.Effect<number, QueryError> = Semaphore.withPermits(sem, 1)(runQuery)
   * // or: runQuery.pipe(Semaphore.withPermits(sem, 1))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E2>(self: Semaphore<E2>, n: number): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  /**
   * Runs `effect` while holding `n` permits of `self`, and releases them
   * however `effect` ends. Go: `sem.Acquire(ctx, n); defer sem.Release(n)`.
   *
   * The result fails only as `effect` does. Interrupted while waiting, it
   * holds nothing and releases nothing. A bad `n` is a defect as in
   * {@link acquire}, and `effect` does not run.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * declare const sem: Semaphore.Semaphore
   * declare const resize: (image: string) => Effect.Effect<void>
   *
   * // a large image takes 4 of the semaphore's permits
   * const big = Semaphore.withPermits(resize("poster.png"), sem, 4)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R, E2>(effect: Effect.Effect<A, E, R>, self: Semaphore<E2>, n: number): Effect.Effect<A, E | E2, R>
} = dual(
  (args) => isEffect(args[0]),
  <A, E, R, E2>(effect: Effect.Effect<A, E, R>, self: Semaphore<E2>, n: number): Effect.Effect<A, E | E2, R> =>
    Effect.suspend(() => withPermitsOn(effect, self, n))
)

/** `withPermits` once it runs: its checks, then the semaphore's own way. */
const withPermitsOn = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  self: Semaphore<E2>,
  n: number
): Effect.Effect<A, E | E2, R> => {
  if (self instanceof RemoteSemaphore) {
    const bad = check(self, "withPermits", n)
    if (bad !== undefined) return bad
    if (!isEffect(effect)) return Exit.die(invalidArgument("Semaphore.withPermits", "an Effect", effect))
    return self.withPermits(effect, n) as Effect.Effect<A, E | E2, R>
  }
  const s = impl(self)
  const bad = check(s, "withPermits", n)
  if (bad !== undefined) return bad
  if (!isEffect(effect)) return Exit.die(invalidArgument("Semaphore.withPermits", "an Effect", effect))
  return withPermitsHere(s, n, effect)
}

/**
 * `withPermits` on a local semaphore, in as few steps as it can: the mask's
 * callback runs in the step that enters the region, and takes the permits
 * there when they are free. Only the wait is interruptible: permits taken at
 * once are taken in the mask, and a wait ends holding them in the step that
 * resumes it (see `park`), so nothing comes between taking them and guarding
 * them with the release. The permits are recorded as this fiber's from the
 * moment they are taken to their release, for the blocked-fiber dump.
 */
const withPermitsHere = <A, E, R>(
  s: SemaphoreImpl,
  n: number,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) => {
    const fiber = Fiber.getCurrent()!
    const guarded = Effect.onExit(restore(effect), () => {
      unattribute(s, fiber, n)
      return shallowNow(() => releaseUnsafe(s, n))
    })
    return takeHeld(s, n, fiber) !== undefined ? guarded : Effect.andThen(restore(park(s, n, fiber, fiber)), guarded)
  })

/**
 * The number of free permits right now (a snapshot, for tests and metrics).
 * Go has no equivalent.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-go"
 *
 * declare const sem: Semaphore.Semaphore
 *
 * const busy = Effect.map(Semaphore.available(sem), (free) => free === 0)
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const available = <E>(self: Semaphore<E>): Effect.Effect<number, E> =>
  self instanceof RemoteSemaphore
    ? (self.available as Effect.Effect<number, E>)
    : Effect.sync(() => impl(self).size - impl(self).cur)

/**
 * The fibers blocked in {@link acquire} / {@link withPermits}, longest
 * waiting first; `op` is `acquire(n)`.
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <E>(self: Semaphore<E>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  self instanceof RemoteSemaphore ? self.blocked : Effect.sync(() => impl(self).waiters.blocked())

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

/**
 * The static side of a class made with {@link Service}: the service key plus
 * a layer constructor and accessors that find the semaphore in the context.
 *
 * @category services
 * @since 0.1.0
 */
export interface SemaphoreService<Self, Id extends string, E = never>
  extends Context.ServiceClass<Self, Id, Semaphore<E>> {
  /**
   * A layer that creates the semaphore with `size` permits, named after the
   * service key. A `size` that is not a non-negative safe integer is a
   * defect ({@link InvalidPermitsError}) when the layer is built: a literal
   * size is the program's own.
   *
   * Each `layer(...)` call makes a new Layer; provide one of them at the top
   * of the application so that every part shares the same semaphore.
   *
   * @example
   * ```ts
   * import { Effect, Layer } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * class DbLimit extends Semaphore.Service<DbLimit>()("app/DbLimit") {}
   *
   * const DbLimitLive: Layer.Layer<DbLimit> = DbLimit.layer(10)
   * declare const program: Effect.Effect<void, never, DbLimit>
   *
   * const main: Effect.Effect<void> = program.pipe(Effect.provide(DbLimitLive))
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layer(size: number): Layer.Layer<Self>
  /**
   * A layer that creates the semaphore with the size that `size` produces,
   * named after the service key: typically a `Config` such as
   * `Config.Int("DB_CONCURRENCY")`, read when the layer is built.
   *
   * A `Config` producing a size that is not a non-negative safe integer fails
   * the layer with a `ConfigError` saying what was wrong, as the config's
   * own errors do (keep it a `Config` with `Config.map`, not `Effect.map`,
   * to keep that). Any other Effect's failure fails the layer with its own
   * error; a bad size it produces is a defect ({@link InvalidPermitsError}).
   *
   * @example
   * ```ts
   * import { Config, Layer } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * class DbLimit extends Semaphore.Service<DbLimit>()("app/DbLimit") {}
   *
   * const DbLimitLive: Layer.Layer<DbLimit, Config.ConfigError> = DbLimit.layer(Config.Int("DB_CONCURRENCY"))
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layer<E, R>(size: Effect.Effect<number, E, R>): Layer.Layer<Self, E, Exclude<R, Scope.Scope>>
  /**
   * {@link withPermits} on the service's semaphore: runs an effect holding
   * `n` permits and releases them however it ends. The result fails only as
   * the effect does; a bad `n` is a defect.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Semaphore } from "effect-go"
   *
   * class DbLimit extends Semaphore.Service<DbLimit>()("app/DbLimit") {}
   * declare const runQuery: (sql: string) => Effect.Effect<ReadonlyArray<unknown>>
   *
   * const query = (sql: string): Effect.Effect<ReadonlyArray<unknown>, never, DbLimit> =>
   *   runQuery(sql).pipe(DbLimit.withPermits(1))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  withPermits(n: number): <A, E1, R>(effect: Effect.Effect<A, E1, R>) => Effect.Effect<A, E1 | E, R | Self>
  /**
   * {@link acquire} on the service's semaphore: waits in FIFO order for `n`
   * permits. A bad `n` is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  acquire(n: number): Effect.Effect<void, E, Self>
  /**
   * {@link tryAcquire} on the service's semaphore: takes `n` permits if they
   * are free and nobody waits, and says whether it did. A bad `n` is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  tryAcquire(n: number): Effect.Effect<boolean, E, Self>
  /**
   * {@link release} on the service's semaphore. Releasing more than is held,
   * or a bad `n`, is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  release(n: number): Effect.Effect<void, E, Self>
  /**
   * {@link available} on the service's semaphore.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly available: Effect.Effect<number, E, Self>
  /**
   * {@link blocked} on the service's semaphore: the fibers of this process
   * waiting for its permits.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly blocked: Effect.Effect<ReadonlyArray<BlockedFiber>, never, Self>
}

/**
 * A size read from configuration, checked: a bad one fails the Config, so
 * the layer fails with a `ConfigError` as for any other bad config value.
 */
const checkedSize = (size: Config.Config<unknown>, id: string): Config.Config<number> =>
  checkedConfig(
    size as Config.Config<number>,
    (n) => (isCount(n) ? undefined : new InvalidPermitsError({ op: "make", permits: n })),
    `the configured size of ${id}`
  )

/**
 * Declares an application-wide semaphore as an Effect service, so that a
 * limit such as "at most 10 database calls at once" is configured in one
 * place (the layer) and can be swapped in tests. The class is the service
 * key (Effect 4's `Context.Service`), with a `layer` constructor and
 * accessors. Go has no equivalent: there a package-level
 * `semaphore.NewWeighted(10)` variable plays this role.
 *
 * @example
 * ```ts
 * import { Config, Effect } from "effect"
 * import { Semaphore } from "effect-go"
 *
 * class DbLimit extends Semaphore.Service<DbLimit>()("app/DbLimit") {}
 *
 * declare const runQuery: (sql: string) => Effect.Effect<ReadonlyArray<unknown>>
 * const query = (sql: string) => runQuery(sql).pipe(DbLimit.withPermits(1))
 * const program = Effect.forEach(["a", "b", "c"], (table) => query(`select * from ${table}`), {
 *   concurrency: "unbounded"
 * })
 *
 * // main.ts: the limit is decided here, once
 * const main = program.pipe(Effect.provide(DbLimit.layer(10)))
 * // or from configuration (a bad value fails with a ConfigError)
 * const configured = program.pipe(Effect.provide(DbLimit.layer(Config.Int("DB_CONCURRENCY"))))
 * // a test: one query at a time
 * const test = program.pipe(Effect.provide(DbLimit.layer(1)))
 * ```
 *
 *
 * Its second type parameter is the error its operations may fail with,
 * `never` by default. A service declared with `RedisSync.RedisSyncError`
 * (`Semaphore.Service<Self, RedisSync.RedisSyncError>()(id)`) can also be
 * given `RedisSync.layerSemaphore`, the same Semaphore shared by every process
 * through Redis, while its `layer` stays the in-memory default.
 *
 * @category services
 * @since 0.1.0
 */
export const Service =
  <Self, E = never>() =>
  <const Id extends string>(id: Id): SemaphoreService<Self, Id, E> => {
    const key = Context.Service<Self, Semaphore<E>>()(id)
    const statics: Omit<SemaphoreService<Self, Id, E>, keyof Context.ServiceClass<Self, Id, Semaphore<E>>> = {
      layer: (size: number | Effect.Effect<number, any, any>) =>
        Layer.effect(
          key,
          // Anything but an Effect goes to `make`, which says what is wrong
          // with it (a size given as a string, say).
          Config.isConfig(size)
            ? Effect.flatMap(checkedSize(size, id), (n) => make(n, { name: id }))
            : isEffect(size)
              ? Effect.flatMap(size, (n) => make(n, { name: id }))
              : make(size, { name: id })
        ) as any,
      // The service is read in the step that takes the permits (a missing
      // one dies as yielding the key does): the call path of a service.
      withPermits:
        (n: number) =>
        <A, E1, R>(effect: Effect.Effect<A, E1, R>) =>
          Effect.withFiber((fiber) => withPermitsOn(effect, Context.getUnsafe(fiber.context, key), n)),
      acquire: (n) => Effect.flatMap(key, (sem) => acquire(sem, n)),
      tryAcquire: (n) => Effect.flatMap(key, (sem) => tryAcquire(sem, n)),
      release: (n) => Effect.flatMap(key, (sem) => release(sem, n)),
      available: Effect.flatMap(key, available),
      blocked: Effect.flatMap(key, blocked)
    }
    return Object.assign(key, statics)
  }

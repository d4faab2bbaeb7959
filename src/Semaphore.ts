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
 * - a request above the size fails at once with {@link PermitsExceedSizeError}
 *   (Go blocks until the context is done);
 * - a negative, fractional, NaN or infinite permit count fails with
 *   {@link InvalidPermitsError} (Go's `int64` rules these out);
 * - a request for 0 permits takes nothing, so it cannot overtake anyone: it
 *   succeeds at once even while others wait (Go queues it behind them);
 * - {@link withPermits} releases on success, failure, defect and
 *   interruption, which is what `defer sem.Release(n)` is for in Go.
 *
 * Releasing more than is held is a defect ({@link ReleasedMoreThanHeldError}),
 * as it is a panic in Go. As in Go, permits are not owned by a fiber: any
 * fiber may release them.
 *
 * For an application-wide limit declared once as a service and provided by a
 * Layer (so that tests can swap it), see {@link Service}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const sem = yield* Semaphore.make(10) // at most 10 units of work at once
 *   yield* Effect.forEach(
 *     jobs,
 *     (job) => Semaphore.withPermits(sem, job.weight)(runJob(job)),
 *     { concurrency: "unbounded" }
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type BlockedFiber, block, handsOver, shallow, Waiter, WaiterList, wake } from "./internal/waiters.ts"
import { invalidArgument, show, typeName, unwrap } from "./internal/copied.ts"

const TypeId = "~effect-go/Semaphore" as const

/**
 * A weighted semaphore. Create it with {@link make}.
 *
 * @since 0.1.0
 */
export interface Semaphore {
  readonly [TypeId]: typeof TypeId
  /** The total number of permits, fixed at {@link make}. */
  readonly size: number
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A permit count (or a size) that is not a non-negative safe integer:
 * negative, fractional, NaN or infinite. A typed error, since it is an input
 * that can never succeed.
 *
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
 * granted, so it fails at once instead of waiting forever (Go's `Acquire`
 * waits for its context to be done).
 *
 * @since 0.1.0
 */
export class PermitsExceedSizeError extends Data.TaggedError("PermitsExceedSizeError")<{
  readonly op: string
  readonly permits: number
  readonly size: number
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
 * @since 0.1.0
 */
export class ReleasedMoreThanHeldError extends Data.TaggedError("ReleasedMoreThanHeldError")<{
  readonly permits: number
  readonly held: number
  readonly semaphoreName: string | undefined
}> {
  override get message(): string {
    return "semaphore: released more than held"
  }
}

/** Options for {@link make}. @since 0.1.0 */
export interface SemaphoreOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
}

class PermitWaiter extends Waiter {
  readonly n: number
  readonly sem: SemaphoreImpl
  constructor(sem: SemaphoreImpl, n: number) {
    super()
    this.sem = sem
    this.n = n
    this.op = `acquire(${n})`
  }
}

class SemaphoreImpl implements Semaphore {
  readonly [TypeId] = TypeId
  readonly size: number
  readonly name: string | undefined
  /** Permits held right now. */
  cur = 0
  /**
   * Invariant: while the list is not empty, its head asks for more than is
   * free. Every change that frees permits or removes the head ends with
   * {@link notify}, which serves the head while it fits.
   */
  readonly waiters: WaiterList<PermitWaiter>
  constructor(size: number, name: string | undefined) {
    this.size = size
    this.name = name
    this.waiters = new WaiterList("Semaphore", name)
  }
}

const impl = (self: Semaphore): SemaphoreImpl => unwrap(self, SemaphoreImpl, "Semaphore")

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
    wake(next, Exit.void)
  }
}

/**
 * A waiter interrupted before it resumed. Granted permits it never saw (a
 * grant and an interruption can meet: see `block`) go back; and if it was
 * the head, those behind it may fit now (Go's TestAllocCancelDoesntStarve).
 * `notify` is a no-op otherwise, since the head did not fit before and
 * still does not.
 */
const onCancel = (node: PermitWaiter, granted: Exit.Exit<void> | undefined): void => {
  if (granted !== undefined) node.sem.cur -= node.n
  notify(node.sem)
}

/**
 * Creates a Semaphore outside of an Effect. Throws {@link InvalidPermitsError}
 * when `size` is not a non-negative safe integer.
 *
 * @since 0.1.0
 */
export const makeUnsafe = (size: number, options?: SemaphoreOptions): Semaphore => {
  if (!isCount(size)) throw new InvalidPermitsError({ op: "make", permits: size })
  return new SemaphoreImpl(size, options?.name)
}

/**
 * Creates a Semaphore with `size` permits, all free. Go:
 * `semaphore.NewWeighted(size)`. A size that is not a non-negative safe
 * integer fails with {@link InvalidPermitsError}; a size of 0 is allowed
 * (only requests for 0 permits succeed).
 *
 * @example
 * ```ts
 * const sem = yield* Semaphore.make(10, { name: "db" })
 * ```
 *
 * @since 0.1.0
 */
export const make = (size: number, options?: SemaphoreOptions): Effect.Effect<Semaphore, InvalidPermitsError> =>
  Effect.suspend(() =>
    isCount(size)
      ? Exit.succeed(new SemaphoreImpl(size, options?.name))
      : Exit.fail(new InvalidPermitsError({ op: "make", permits: size }))
  )

const check = (
  s: SemaphoreImpl,
  op: string,
  n: number
): Exit.Exit<never, InvalidPermitsError | PermitsExceedSizeError> | undefined =>
  !isCount(n)
    ? Exit.fail(new InvalidPermitsError({ op, permits: n }))
    : n > s.size
      ? Exit.fail(new PermitsExceedSizeError({ op, permits: n, size: s.size, semaphoreName: s.name }))
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
const park = (s: SemaphoreImpl, n: number, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void> =>
  block(s.waiters, new PermitWaiter(s, n), fiber, onCancel, () => takeNow(s, n))

const acquireChecked = (s: SemaphoreImpl, n: number): Effect.Effect<void> =>
  // Taken here only if the permits surely reach the caller (see `handsOver`).
  Effect.withFiber((fiber) => (handsOver(fiber) ? takeNow(s, n) : undefined) ?? park(s, n, fiber))

/**
 * Acquires `n` permits, waiting in FIFO order until they are free.
 * Go: `sem.Acquire(ctx, n)`.
 *
 * - No barging: while others wait, the request queues behind them even if it
 *   would fit now.
 * - Interruptible: an interrupted `acquire` leaves the queue holding nothing,
 *   and wakes the waiters behind it that now fit.
 * - `n` above the size fails at once with {@link PermitsExceedSizeError};
 *   `n` negative, fractional, NaN or infinite with {@link InvalidPermitsError};
 *   `n = 0` succeeds at once.
 *
 * Pair it with {@link release}, or use {@link withPermits}.
 *
 * @since 0.1.0
 */
export const acquire: {
  (n: number): (self: Semaphore) => Effect.Effect<void, InvalidPermitsError | PermitsExceedSizeError>
  (self: Semaphore, n: number): Effect.Effect<void, InvalidPermitsError | PermitsExceedSizeError>
} = dual(
  2,
  (self: Semaphore, n: number): Effect.Effect<void, InvalidPermitsError | PermitsExceedSizeError> =>
    Effect.suspend(() => {
      const s = impl(self)
      return check(s, "acquire", n) ?? acquireChecked(s, n)
    })
)

/**
 * Acquires `n` permits if they are free and nobody waits; says whether it
 * did. Never waits. Go: `sem.TryAcquire(n)`.
 *
 * Fails (returns false) while others wait, even if `n` would fit: it cannot
 * barge. Bad input fails as in {@link acquire}; `n = 0` returns true.
 *
 * @since 0.1.0
 */
export const tryAcquire: {
  (n: number): (self: Semaphore) => Effect.Effect<boolean, InvalidPermitsError | PermitsExceedSizeError>
  (self: Semaphore, n: number): Effect.Effect<boolean, InvalidPermitsError | PermitsExceedSizeError>
} = dual(
  2,
  (self: Semaphore, n: number): Effect.Effect<boolean, InvalidPermitsError | PermitsExceedSizeError> =>
    Effect.suspend(() => {
      const s = impl(self)
      const bad = check(s, "tryAcquire", n)
      if (bad !== undefined) return bad
      // A sync passes its value straight to the caller's continuation: no
      // step between taking the permits and the caller seeing `true`.
      return Effect.sync(() => takeNow(s, n) !== undefined)
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
 * Go's panic "semaphore: released more than held") and changes nothing.
 * A bad `n` fails with {@link InvalidPermitsError}.
 *
 * @since 0.1.0
 */
export const release: {
  (n: number): (self: Semaphore) => Effect.Effect<void, InvalidPermitsError>
  (self: Semaphore, n: number): Effect.Effect<void, InvalidPermitsError>
} = dual(
  2,
  (self: Semaphore, n: number): Effect.Effect<void, InvalidPermitsError> =>
    shallow(() =>
      isCount(n) ? releaseUnsafe(impl(self), n) : Exit.fail(new InvalidPermitsError({ op: "release", permits: n }))
    )
)

/**
 * Runs `effect` while holding `n` permits, and releases them however `effect`
 * ends. Go: `sem.Acquire(ctx, n); defer sem.Release(n)`.
 *
 * Interrupted while waiting, it holds nothing and releases nothing. Bad input
 * fails as in {@link acquire}, without running `effect`.
 *
 * @example
 * ```ts
 * const query = Semaphore.withPermits(sem, 1)(runQuery)
 * // or: runQuery.pipe(Semaphore.withPermits(sem, 1))
 * ```
 *
 * @since 0.1.0
 */
export const withPermits: {
  (
    self: Semaphore,
    n: number
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidPermitsError | PermitsExceedSizeError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    self: Semaphore,
    n: number
  ): Effect.Effect<A, E | InvalidPermitsError | PermitsExceedSizeError, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    self: Semaphore,
    n: number
  ): Effect.Effect<A, E | InvalidPermitsError | PermitsExceedSizeError, R> =>
    Effect.suspend((): Effect.Effect<A, E | InvalidPermitsError | PermitsExceedSizeError, R> => {
      const s = impl(self)
      const bad = check(s, "withPermits", n)
      if (bad !== undefined) return bad
      if (!Effect.isEffect(effect)) return Exit.die(invalidArgument("Semaphore.withPermits", "an Effect", effect))
      // Only the wait is interruptible: permits taken at once are taken in
      // the mask, and a wait ends holding them in the step that resumes it
      // (see `park`), so nothing comes between taking them and guarding them
      // with the release.
      return Effect.uninterruptibleMask((restore) =>
        Effect.withFiber((fiber) =>
          Effect.andThen(
            takeNow(s, n) ?? restore(park(s, n, fiber)),
            Effect.ensuring(
              restore(effect),
              shallow(() => releaseUnsafe(s, n))
            )
          )
        )
      )
    })
)

/**
 * The number of free permits right now (a snapshot, for tests and metrics).
 * Go has no equivalent.
 *
 * @since 0.1.0
 */
export const available = (self: Semaphore): Effect.Effect<number> => Effect.sync(() => impl(self).size - impl(self).cur)

/**
 * The fibers blocked in {@link acquire} / {@link withPermits}, longest
 * waiting first; `op` is `acquire(n)`.
 *
 * @since 0.1.0
 */
export const blocked = (self: Semaphore): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => impl(self).waiters.blocked())

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

/**
 * The static side of a class made with {@link Service}: the service key plus
 * a layer constructor and accessors that find the semaphore in the context.
 *
 * @since 0.1.0
 */
export interface SemaphoreService<Self, Id extends string> extends Context.ServiceClass<Self, Id, Semaphore> {
  /**
   * A layer that creates the semaphore, named after the service key. `size`
   * is a number or an Effect producing one (e.g. `Config.Int("DB_LIMIT")`).
   * Each `layer(...)` call makes a new Layer; provide one of them at the top
   * of the application so that every part shares the same semaphore.
   */
  layer<E = never, R = never>(
    size: number | Effect.Effect<number, E, R>
  ): Layer.Layer<Self, InvalidPermitsError | E, Exclude<R, Scope.Scope>>
  /** {@link withPermits} on the service's semaphore. */
  withPermits(
    n: number
  ): <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | InvalidPermitsError | PermitsExceedSizeError, R | Self>
  /** {@link acquire} on the service's semaphore. */
  acquire(n: number): Effect.Effect<void, InvalidPermitsError | PermitsExceedSizeError, Self>
  /** {@link tryAcquire} on the service's semaphore. */
  tryAcquire(n: number): Effect.Effect<boolean, InvalidPermitsError | PermitsExceedSizeError, Self>
  /** {@link release} on the service's semaphore. */
  release(n: number): Effect.Effect<void, InvalidPermitsError, Self>
  /** {@link available} on the service's semaphore. */
  readonly available: Effect.Effect<number, never, Self>
}

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
 * const query = (sql: string) => runQuery(sql).pipe(DbLimit.withPermits(1))
 *
 * // main.ts: the limit is decided here, once
 * program.pipe(Effect.provide(DbLimit.layer(10)))
 * // or from configuration: DbLimit.layer(Config.Int("DB_CONCURRENCY"))
 * // a test: program.pipe(Effect.provide(DbLimit.layer(1)))
 * ```
 *
 * @since 0.1.0
 */
export const Service =
  <Self>() =>
  <const Id extends string>(id: Id): SemaphoreService<Self, Id> => {
    const key = Context.Service<Self, Semaphore>()(id)
    const statics: Omit<SemaphoreService<Self, Id>, keyof Context.ServiceClass<Self, Id, Semaphore>> = {
      layer: <E, R>(size: number | Effect.Effect<number, E, R>) =>
        Layer.effect(
          key,
          // Anything but an Effect goes to `make`, which says what is wrong
          // with it (a size given as a string, say).
          Effect.isEffect(size)
            ? Effect.flatMap(size, (n) => make(n, { name: id }))
            : make(size as number, { name: id })
        ) as any,
      withPermits:
        (n: number) =>
        <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.flatMap(key, (sem) => withPermits(effect, sem, n)),
      acquire: (n) => Effect.flatMap(key, (sem) => acquire(sem, n)),
      tryAcquire: (n) => Effect.flatMap(key, (sem) => tryAcquire(sem, n)),
      release: (n) => Effect.flatMap(key, (sem) => release(sem, n)),
      available: Effect.flatMap(key, available)
    }
    return Object.assign(key, statics)
  }

/**
 * A rate limiter: Go's `golang.org/x/time/rate`.
 *
 * A {@link Limiter} is a token bucket of size `burst`, full at the start and
 * refilled at `limit` tokens per second. In any large enough interval it
 * holds events to `limit` per second, with bursts of at most `burst` events.
 * Each event takes a token; the three ways to ask for one differ in what
 * happens when none is there:
 * - {@link allow} says false (drop or skip the event);
 * - {@link reserve} books a future token and says how long to wait before
 *   acting on it ({@link Reservation}; {@link Reservation.cancel} gives it
 *   back);
 * - {@link wait} waits until the token is there (most callers want this).
 *
 * {@link allowN}, {@link reserveN} and {@link waitN} take `n` tokens at once.
 * A {@link Limit} is a number of events per second: `Rate.every("100 millis")`
 * is 10, {@link inf} allows every event whatever the burst, and 0 allows no
 * event beyond the tokens in the bucket. {@link setLimit} and
 * {@link setBurst} change a limiter while it runs.
 *
 * Go's semantics are kept, including its arithmetic: a reservation is fixed
 * when it is made (a later `setLimit` does not move it), a cancelled
 * reservation gives back its tokens minus those reserved after it, and the
 * bucket is brought up to date before `setLimit` and `setBurst` change it.
 * Go's own tests run here on the `TestClock` (test/Rate.test.ts).
 *
 * Differences from Go:
 * - Time comes from Effect's `Clock`, in milliseconds, so `TestClock` drives
 *   a limiter in tests. Go's `...At(t)` variants (`AllowN(t, n)`,
 *   `ReserveN(t, n)`, `SetLimitAt`, `SetBurstAt`, `TokensAt`, `CancelAt`)
 *   read the Clock instead; {@link Reservation.delayFrom} keeps its time
 *   argument.
 * - {@link wait} is interrupted instead of taking a `ctx`. An interrupted
 *   wait cancels its booking as Go's does: its tokens go back, less those
 *   that bookings made after it took (they keep their time to act). It does
 *   so even when the booking came due meanwhile, since its caller never
 *   acted on it (Go keeps the tokens when its timer and the context's end
 *   race and the reservation is due by then).
 * - There is no context deadline to look ahead to: Go's `WaitN` fails at
 *   once ("would exceed context deadline") when the wait would outlast the
 *   deadline; here a wait under `Effect.timeout` waits until the timeout
 *   interrupts it, and gives its tokens back then. Use {@link reserve} and
 *   its {@link Reservation.delay} to decide up front.
 * - `waitN` for more tokens than the burst (with a finite limit) is a defect,
 *   {@link WaitExceedsBurstError}, with Go's message, instead of an error
 *   value (see its documentation for why). {@link allowN} says false and
 *   {@link reserveN} returns a reservation that is not `ok`, as in Go.
 * - A limit that is negative or NaN, a burst or `n` that is not a
 *   non-negative safe integer, is a defect (`InvalidArgumentError`) at the
 *   call; in Go a negative `n` would add tokens.
 * - Cancelling a reservation twice gives its tokens back once (Go gives them
 *   back again).
 * - {@link inf} is `Infinity` (Go's `Inf` is the largest float64).
 *
 * Limiters are `Pipeable` and `Inspectable`: `console.log(lim)` shows
 * `{ _id: "Limiter", name, limit, burst, tokens, updatedAt, waiting }`
 * (the tokens as of the last update, at Clock time `updatedAt`, and the
 * number of fibers sleeping in {@link wait}).
 *
 * For an application-wide limiter declared once as a service and provided by
 * a Layer, see {@link Service}. A limiter shared by several processes keeps
 * its bucket in Redis (`RedisSync.limiter`, `RedisSync.layerLimiter`);
 * the functions of this module serve it the same way, and its operations
 * fail with `RedisError` when Redis cannot be reached.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * declare const callApi: (id: number) => Effect.Effect<string>
 *
 * // Go: lim := rate.NewLimiter(rate.Every(100*time.Millisecond), 5)
 * //     for _, id := range ids { lim.Wait(ctx); callApi(id) }
 * const program = Effect.gen(function* () {
 *   const lim = yield* Rate.make(Rate.every("100 millis"), 5) // 10 per second, bursts of 5
 *   return yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], (id) =>
 *     Effect.andThen(Rate.wait(lim), callApi(id))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import { invalidArgument, refusal } from "./internal/copied.ts"
import { badBurst, badLimit, isCount, N_WANTED } from "./internal/limiter.ts"
import { parseDuration } from "./internal/duration.ts"
import { checkedConfig } from "./internal/config.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { RemoteLimiter } from "./internal/remote.ts"
import type { Diagnosis } from "./internal/registry.ts"
import { handsOver } from "./internal/waiters.ts"
import { isEffect } from "./internal/function.ts"

const TypeId = "~effect-go/Limiter" as const

/**
 * The maximum frequency of some events, in events per second. Go:
 * `rate.Limit`. 0 allows no event beyond the tokens in the bucket;
 * {@link inf} allows every event.
 *
 * @category models
 * @since 0.1.0
 */
export type Limit = number

/**
 * The infinite rate limit: it allows every event, even with a burst of 0.
 * Go: `rate.Inf`.
 *
 * @category constants
 * @since 0.1.0
 */
export const inf: Limit = Number.POSITIVE_INFINITY

/**
 * The limit of one event per `interval`. Go: `rate.Every(interval)`.
 *
 * An interval of zero or less is {@link inf}, as in Go; an infinite interval
 * is 0 (no event beyond the bucket). `every` is a plain conversion, not an
 * Effect: an interval that is no duration at all (`"bogus"`, NaN) gives NaN,
 * which {@link make}, {@link setLimit} and the layers refuse with a defect
 * saying so.
 *
 * @example
 * ```ts
 * import * as Rate from "effect-go/Rate"
 *
 * Rate.every("100 millis") // 10
 * Rate.every("2 seconds") // 0.5
 * Rate.every(0) // Rate.inf
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const every = (interval: Duration.Input): Limit => {
  const duration = parseDuration(interval, true, true)
  if (!Duration.isDuration(duration)) return Number.NaN
  const millis = Duration.toMillis(duration)
  return millis <= 0 ? inf : 1000 / millis
}

/**
 * A rate limiter: a token bucket of size `burst`, full at the start and
 * refilled at `limit` tokens per second. Go: `*rate.Limiter`. Create it with
 * {@link make} (in memory) or `RedisSync.limiter` (shared by processes).
 *
 * `E` is the error its operations may fail with: `never` for a limiter made
 * here, `RedisError` for one whose bucket lives in Redis.
 *
 * `Pipeable` and `Inspectable`: `console.log(lim)` shows its limit, burst
 * and tokens.
 *
 * @category models
 * @since 0.1.0
 */
export interface Limiter<out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /**
   * Phantom: the error its operations may fail with. `never` for a Limiter
   * made here; a Limiter whose bucket lives in Redis (`RedisSync`) fails with
   * `RedisError`.
   */
  readonly "~effect-go/Limiter/Error"?: Types.Covariant<E>
  /** The name given at {@link make}, shown by `console.log`. */
  readonly name: string | undefined
}

/**
 * Tokens booked by {@link reserve} or {@link reserveN}: the holder may act
 * once {@link Reservation.delay} has passed, or {@link Reservation.cancel}
 * the booking to give the tokens back. Go: `*rate.Reservation`.
 *
 * `E` is the error its `cancel` may fail with, as for its {@link Limiter}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Reservation<out E = never> extends Inspectable.Inspectable {
  /**
   * Whether the limiter can give the tokens asked for (false when `n` is
   * above the burst). When false, `delay` is infinite and `cancel` does
   * nothing. Go: `r.OK()`.
   */
  readonly ok: boolean
  /**
   * How long the holder must wait before acting, from now (Clock time):
   * zero means act now, infinite means never (not `ok`, or a zero limit
   * with too few tokens). Go: `r.Delay()`.
   */
  readonly delay: Effect.Effect<Duration.Duration>
  /**
   * How long the holder must wait before acting, from Clock time `now`
   * (epoch milliseconds). Go: `r.DelayFrom(now)`.
   */
  delayFrom(now: number): Duration.Duration
  /**
   * The holder will not act: gives the tokens back to the limiter, as far as
   * reservations made after this one allow (they keep theirs). Does nothing
   * once the reservation is due (its delay has passed), when it is not `ok`,
   * under an infinite limit, or when it was cancelled before.
   * Go: `r.Cancel()`.
   */
  readonly cancel: Effect.Effect<void, E>
}

/**
 * `waitN` for more tokens than the limiter's burst, with a finite limit: Go's
 * `rate: Wait(n=%d) exceeds limiter's burst %d`. A defect.
 *
 * Go returns it as an error. It is a defect here because no wait can serve
 * it: the bucket never holds more than `burst` tokens, and waiting for a
 * `setBurst` that may never come would hang. A request above the burst is
 * the program's own mistake (a batch larger than the burst it configured),
 * like a request above a semaphore's size. A caller whose `n` may exceed a
 * burst that changes at run time (`setBurst`, or another process's on a
 * shared limiter) asks with {@link reserveN}, whose reservation is simply
 * not `ok`, or {@link allowN}, which says false: both are values to handle.
 *
 * @category errors
 * @since 0.1.0
 */
export class WaitExceedsBurstError extends Data.TaggedError("WaitExceedsBurstError")<{
  /** The tokens asked for. */
  readonly n: number
  /** The limiter's burst at the time. */
  readonly burst: number
  /** The limiter's name, if it was given one. */
  readonly limiterName: string | undefined
}> {
  override get message(): string {
    return `rate: Wait(n=${this.n}) exceeds limiter's burst ${this.burst}`
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface LimiterOptions {
  /** Shown by `console.log(lim)` and in error messages. */
  readonly name?: string | undefined
}

/**
 * A limit and a burst: what {@link Service}'s `layer` (and
 * `RedisSync.layerLimiter`) make a limiter with.
 *
 * @category models
 * @since 0.1.0
 */
export interface LimiterSettings {
  /** Events per second ({@link inf} for no limit). */
  readonly limit: Limit
  /** The bucket's size: the most events allowed at once. */
  readonly burst: number
}

// ---------------------------------------------------------------------------
// The bucket: Go's arithmetic, with time in milliseconds
// ---------------------------------------------------------------------------

class LimiterImpl extends PrimitiveBase implements Limiter {
  readonly [TypeId] = TypeId
  readonly name: string | undefined
  limit: number
  burst: number
  tokens: number
  /** The Clock time at which `tokens` was last brought up to date. */
  last: number
  /** The time to act of the latest reservation (past or future). */
  lastEvent = Number.NEGATIVE_INFINITY
  /** Fibers sleeping in `wait` (for `toJSON`). */
  waiting = 0
  constructor(limit: number, burst: number, now: number, name: string | undefined) {
    super()
    this.name = name
    this.limit = limit
    this.burst = burst
    this.tokens = burst
    this.last = now
  }
  diagnose(): Diagnosis {
    return {
      kind: "Limiter",
      name: this.name,
      state: { limit: this.limit, burst: this.burst, waiting: this.waiting },
      // Waits sleep on the Clock, on no waiter list: time wakes them.
      queues: [],
      holders: []
    }
  }
  toJSON() {
    return {
      _id: "Limiter",
      name: this.name,
      limit: this.limit,
      burst: this.burst,
      tokens: this.tokens,
      updatedAt: this.last,
      waiting: this.waiting
    }
  }
}

/**
 * Tokens earned at `limit` per second in `millis` (Go's `tokensFromDuration`).
 * Zero for a zero limit and for no time, also where the float arithmetic
 * would make NaN of them (`0 * Infinity`, `Infinity - Infinity` times).
 */
const tokensFromDuration = (limit: number, millis: number): number =>
  limit <= 0 || millis === 0 || Number.isNaN(millis) ? 0 : (millis / 1000) * limit

/** The milliseconds it takes to earn `tokens` at `limit` per second; infinite for a zero limit (Go's `durationFromTokens`). */
const durationFromTokens = (limit: number, tokens: number): number =>
  limit <= 0 ? Number.POSITIVE_INFINITY : (tokens / limit) * 1000

/** The tokens at time `t`, without changing the limiter (Go's `advance`: a `t` before the last update earns nothing). */
const advance = (l: LimiterImpl, t: number): number => {
  const last = t < l.last ? t : l.last
  const tokens = l.tokens + tokensFromDuration(l.limit, t - last)
  return tokens > l.burst ? l.burst : tokens
}

/**
 * Go's `reserveN`: books `n` tokens at time `t` if they come within
 * `maxFutureReserve` milliseconds and `n` fits the burst, and returns the
 * time to act; NaN when it does not (and then changes nothing).
 */
const reserveAt = (l: LimiterImpl, t: number, n: number, maxFutureReserve: number): number => {
  if (l.limit === inf) return t
  const tokens = advance(l, t) - n
  const wait = tokens < 0 ? durationFromTokens(l.limit, -tokens) : 0
  if (n > l.burst || wait > maxFutureReserve) return Number.NaN
  const act = t + wait
  l.last = t
  l.tokens = tokens
  l.lastEvent = act
  return act
}

/** Go's `SetLimitAt` and `SetBurstAt`: the bucket is brought up to date at `t` under the old settings first. */
const updateAt = (l: LimiterImpl, t: number): void => {
  l.tokens = advance(l, t)
  l.last = t
}

const nowOf = (fiber: Fiber.Fiber<unknown, unknown>): number => fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()

const currentNow = (): number => nowOf(Fiber.getCurrent()!)

class LocalReservation extends Inspectable.Class implements Reservation {
  readonly ok: boolean
  readonly lim: LimiterImpl
  /** The tokens booked (0 when not ok). */
  readonly tokens: number
  /** The Clock time at which the holder may act (NaN when not ok). */
  readonly timeToAct: number
  /** The limit when it was booked; 0 under an infinite limit, as in Go. */
  readonly limit: number
  cancelled = false
  constructor(lim: LimiterImpl, n: number, timeToAct: number, limit: number) {
    super()
    this.lim = lim
    this.ok = !Number.isNaN(timeToAct)
    this.tokens = this.ok ? n : 0
    this.timeToAct = timeToAct
    this.limit = limit === inf ? 0 : limit
  }
  get delay(): Effect.Effect<Duration.Duration> {
    return Effect.sync(() => this.delayFrom(currentNow()))
  }
  delayFrom(now: number): Duration.Duration {
    if (!this.ok) return Duration.infinity
    const delay = this.timeToAct - now
    return delay > 0 ? Duration.millis(delay) : Duration.zero
  }
  get cancel(): Effect.Effect<void> {
    return Effect.sync(() => cancelAt(this, currentNow(), false))
  }
  toJSON() {
    return { _id: "Reservation", ok: this.ok, tokens: this.tokens, timeToAct: this.timeToAct }
  }
}

/**
 * Go's `CancelAt(t)`: gives back the reservation's tokens, less those
 * reserved after it (the time between its time to act and the latest one's,
 * at its limit). `force` gives them back even once it is due: a `wait`
 * interrupted before its caller acted.
 */
const cancelAt = (r: LocalReservation, t: number, force: boolean): void => {
  if (!r.ok || r.cancelled) return
  r.cancelled = true
  const l = r.lim
  if (l.limit === inf || r.tokens === 0 || (!force && r.timeToAct < t)) return
  const restore = r.tokens - tokensFromDuration(r.limit, l.lastEvent - r.timeToAct)
  if (restore <= 0) return
  const tokens = advance(l, t) + restore
  l.last = t
  l.tokens = tokens > l.burst ? l.burst : tokens
  if (r.timeToAct === l.lastEvent) {
    const prevEvent = r.timeToAct + durationFromTokens(r.limit, -r.tokens)
    if (!(prevEvent < t)) l.lastEvent = prevEvent
  }
}

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

const badCount = (op: string, n: unknown): Exit.Exit<never> => Exit.die(invalidArgument(op, N_WANTED, n))

/**
 * Runs `f` on a limiter whose bucket lives elsewhere, or dies saying what
 * `self` is instead (a copy, something else).
 */
const viaRemote = <A, E>(
  self: unknown,
  f: (remote: RemoteLimiter) => Effect.Effect<unknown, unknown>
): Effect.Effect<A, E> =>
  Effect.suspend(() =>
    self instanceof RemoteLimiter ? (f(self) as Effect.Effect<A, E>) : Exit.die(refusal(self, "Limiter"))
  )

// ---------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------

/**
 * Creates a limiter that allows events up to `limit` per second, with
 * bursts of at most `burst` events; its bucket starts full.
 * Go: `rate.NewLimiter(limit, burst)`.
 *
 * A limit that is negative or NaN, or a burst that is not a non-negative
 * safe integer, is a defect (`InvalidArgumentError`) when the effect runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * const program = Effect.gen(function* () {
 *   const lim = yield* Rate.make(10, 3, { name: "api" }) // 10 per second, bursts of 3
 *   const first = yield* Rate.allowN(lim, 3) // true: the bucket starts full
 *   const then = yield* Rate.allow(lim) // false: empty until 100 ms have passed
 *   return [first, then]
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (limit: Limit, burst: number, options?: LimiterOptions): Effect.Effect<Limiter> =>
  Effect.withFiber((fiber) => {
    const bad = badLimit("Rate.make", limit) ?? badBurst("Rate.make", burst)
    if (bad !== undefined) return Exit.die(bad)
    return Exit.succeed(new LimiterImpl(limit, burst, nowOf(fiber), options?.name))
  })

// ---------------------------------------------------------------------------
// Allow
// ---------------------------------------------------------------------------

const allowLocal = (l: LimiterImpl, n: number): Effect.Effect<boolean> =>
  // A sync passes its value straight to the caller's continuation: no step
  // between taking the tokens and the caller seeing `true`.
  Effect.sync(() => !Number.isNaN(reserveAt(l, currentNow(), n, 0)))

/**
 * Takes a token if one is there now, and says whether it did. Never waits.
 * Go: `lim.Allow()`. Use it to drop or skip events above the rate.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * declare const lim: Rate.Limiter
 * declare const handle: Effect.Effect<string>
 *
 * const request = Effect.gen(function* () {
 *   if (!(yield* Rate.allow(lim))) return "429 Too Many Requests"
 *   return yield* handle
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const allow = <E>(self: Limiter<E>): Effect.Effect<boolean, E> =>
  self instanceof LimiterImpl ? allowLocal(self, 1) : viaRemote(self, (r) => r.allowN(1))

/**
 * Takes `n` tokens if they are there now, and says whether it did. Never
 * waits. Go: `lim.AllowN(time.Now(), n)`.
 *
 * False when `n` is above the burst; `n = 0` is true unless reservations
 * have overdrawn the bucket. A bad `n` is a defect.
 *
 * @category combinators
 * @since 0.1.0
 */
export const allowN: {
  /**
   * Takes `n` tokens of the limiter it is then given if they are there now,
   * and says whether it did: the data-last form, for `pipe`.
   * Go: `lim.AllowN(time.Now(), n)`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const batchOfFive: Effect.Effect<boolean> = lim.pipe(Rate.allowN(5))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Limiter<E>) => Effect.Effect<boolean, E>
  /**
   * Takes `n` tokens if they are there now, and says whether it did. Never
   * waits. Go: `lim.AllowN(time.Now(), n)`.
   *
   * False when `n` is above the burst. A bad `n` is a defect.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   * declare const send: (batch: ReadonlyArray<string>) => Effect.Effect<void>
   *
   * const sendOrDrop = (batch: ReadonlyArray<string>) =>
   *   Effect.andThen(Rate.allowN(lim, batch.length), (ok) => (ok ? send(batch) : Effect.void))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Limiter<E>, n: number): Effect.Effect<boolean, E>
} = dual(
  2,
  <E>(self: Limiter<E>, n: number): Effect.Effect<boolean, E> =>
    !isCount(n)
      ? badCount("Rate.allowN", n)
      : self instanceof LimiterImpl
        ? allowLocal(self, n)
        : viaRemote(self, (r) => r.allowN(n))
)

// ---------------------------------------------------------------------------
// Reserve
// ---------------------------------------------------------------------------

const reserveLocal = (l: LimiterImpl, n: number): Effect.Effect<Reservation> =>
  Effect.sync(() => {
    const limit = l.limit
    return new LocalReservation(l, n, reserveAt(l, currentNow(), n, Number.POSITIVE_INFINITY), limit)
  })

/**
 * Books a token and says how long to wait before acting on it.
 * Go: `lim.Reserve()`.
 *
 * The limiter counts the booking at once: later callers wait behind it.
 * Wait for {@link Reservation.delay} and act, or {@link Reservation.cancel}
 * the booking. The reservation is not `ok` when the burst is 0 (with a
 * finite limit).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * declare const lim: Rate.Limiter
 * declare const act: Effect.Effect<void>
 *
 * // Go: r := lim.Reserve(); if !r.OK() { return }; time.Sleep(r.Delay()); act()
 * const program = Effect.gen(function* () {
 *   const r = yield* Rate.reserve(lim)
 *   if (!r.ok) return
 *   yield* Effect.sleep(yield* r.delay)
 *   yield* act
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const reserve = <E>(self: Limiter<E>): Effect.Effect<Reservation<E>, E> =>
  self instanceof LimiterImpl ? reserveLocal(self, 1) : viaRemote(self, (r) => r.reserveN(1))

/**
 * Books `n` tokens and says how long to wait before acting on them.
 * Go: `lim.ReserveN(time.Now(), n)`.
 *
 * The reservation is not `ok` when `n` is above the burst (with a finite
 * limit); it then changes nothing. A bad `n` is a defect.
 *
 * @category combinators
 * @since 0.1.0
 */
export const reserveN: {
  /**
   * Books `n` tokens of the limiter it is then given and says how long to
   * wait before acting on them: the data-last form, for `pipe`.
   * Go: `lim.ReserveN(time.Now(), n)`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const booking: Effect.Effect<Rate.Reservation> = lim.pipe(Rate.reserveN(3))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Limiter<E>) => Effect.Effect<Reservation<E>, E>
  /**
   * Books `n` tokens and says how long to wait before acting on them.
   * Go: `lim.ReserveN(time.Now(), n)`.
   *
   * The reservation is not `ok` when `n` is above the burst (with a finite
   * limit). A bad `n` is a defect.
   *
   * @example
   * ```ts
   * import { Duration, Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   * declare const upload: (parts: number) => Effect.Effect<void>
   *
   * // upload 4 parts if the limiter lets us within a second, else give the tokens back
   * const program = Effect.gen(function* () {
   *   const r = yield* Rate.reserveN(lim, 4)
   *   const delay = yield* r.delay
   *   if (!r.ok || Duration.isGreaterThan(delay, Duration.seconds(1))) return yield* r.cancel
   *   yield* Effect.sleep(delay)
   *   yield* upload(4)
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Limiter<E>, n: number): Effect.Effect<Reservation<E>, E>
} = dual(
  2,
  <E>(self: Limiter<E>, n: number): Effect.Effect<Reservation<E>, E> =>
    !isCount(n)
      ? badCount("Rate.reserveN", n)
      : self instanceof LimiterImpl
        ? reserveLocal(self, n)
        : viaRemote(self, (r) => r.reserveN(n))
)

// ---------------------------------------------------------------------------
// Wait
// ---------------------------------------------------------------------------

/**
 * Books `n` tokens and sleeps until they are due; an interruption of the
 * sleep gives them back. Runs in one step with nothing taken before it (see
 * `waitLocal`): the booking and the guard that cancels it are installed
 * before the fiber can yield.
 */
const waitNow = (l: LimiterImpl, n: number, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void> => {
  if (n > l.burst && l.limit !== inf) {
    return Exit.die(new WaitExceedsBurstError({ n, burst: l.burst, limiterName: l.name }))
  }
  const clock = fiber.getRef(Clock.Clock)
  const now = clock.currentTimeMillisUnsafe()
  const timeToAct = reserveAt(l, now, n, Number.POSITIVE_INFINITY)
  const delay = timeToAct - now
  // Due now (the common case): no booking to keep for a cancellation.
  if (!(delay > 0)) return Exit.void
  const r = new LocalReservation(l, n, timeToAct, l.limit)
  l.waiting++
  return Effect.onExit(clock.sleep(Duration.millis(delay)), (exit) => {
    l.waiting--
    // Interrupted: the caller never acts on these tokens.
    if (Exit.isFailure(exit)) cancelAt(r, clock.currentTimeMillisUnsafe(), true)
    return Effect.void
  })
}

/**
 * Take only where the grant reaches the caller: tokens taken here reach the
 * caller (or the sleep's guard) within the steps {@link handsOver} vouches
 * for. When the op budget is too short for that, yield first: a resumed
 * fiber starts a fresh budget, and nothing is taken before the yield.
 */
const waitLocal = (l: LimiterImpl, n: number): Effect.Effect<void> =>
  Effect.withFiber((fiber) =>
    handsOver(fiber)
      ? waitNow(l, n, fiber)
      : Effect.andThen(
          Effect.yieldNow,
          Effect.withFiber((resumed) => waitNow(l, n, resumed))
        )
  )

/**
 * Waits until a token is there and takes it. Go: `lim.Wait(ctx)`.
 *
 * Interruptible instead of taking a `ctx`: an interrupted wait cancels its
 * booking, so it takes no token, unless a booking made after it took that
 * token over (as in Go). With a burst of 0 and a finite limit it is a
 * defect ({@link WaitExceedsBurstError}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * declare const lim: Rate.Limiter
 * declare const fetchPage: (page: number) => Effect.Effect<string>
 *
 * // at most lim's rate of fetches, however many fibers fetch
 * const fetchLimited = (page: number) => Effect.andThen(Rate.wait(lim), fetchPage(page))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const wait = <E>(self: Limiter<E>): Effect.Effect<void, E> =>
  self instanceof LimiterImpl ? waitLocal(self, 1) : viaRemote(self, (r) => r.waitN(1))

/**
 * Waits until `n` tokens are there and takes them. Go: `lim.WaitN(ctx, n)`.
 *
 * Interruptible: an interrupted wait cancels its booking (see {@link wait}).
 * `n` above the burst with a finite limit is a defect
 * ({@link WaitExceedsBurstError}); so is a bad `n` (`InvalidArgumentError`).
 *
 * @category combinators
 * @since 0.1.0
 */
export const waitN: {
  /**
   * Waits until `n` tokens of the limiter it is then given are there and
   * takes them: the data-last form, for `pipe`. Go: `lim.WaitN(ctx, n)`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const waitForThree: Effect.Effect<void> = lim.pipe(Rate.waitN(3))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (n: number): <E>(self: Limiter<E>) => Effect.Effect<void, E>
  /**
   * Waits until `n` tokens are there and takes them. Go: `lim.WaitN(ctx, n)`.
   *
   * Interruptible: an interrupted wait cancels its booking (see {@link wait}).
   * `n` above the burst with a finite limit is a defect
   * ({@link WaitExceedsBurstError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const bytesPerSecond: Rate.Limiter // a limit in KiB per second, a burst of 64 KiB
   * declare const write: (chunk: Uint8Array) => Effect.Effect<void>
   *
   * const throttledWrite = (chunk: Uint8Array) =>
   *   Effect.andThen(Rate.waitN(bytesPerSecond, Math.ceil(chunk.length / 1024)), write(chunk))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Limiter<E>, n: number): Effect.Effect<void, E>
} = dual(
  2,
  <E>(self: Limiter<E>, n: number): Effect.Effect<void, E> =>
    !isCount(n)
      ? badCount("Rate.waitN", n)
      : self instanceof LimiterImpl
        ? waitLocal(self, n)
        : viaRemote(self, (r) => r.waitN(n))
)

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

/**
 * Sets a new limit. Go: `lim.SetLimit(newLimit)`.
 *
 * The bucket is brought up to date under the old limit first. Reservations
 * already made keep their time to act: those that reserved but did not act
 * yet may exceed or underuse the new limit, as in Go. A limit that is
 * negative or NaN is a defect.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setLimit: {
  /**
   * Sets a new limit on the limiter it is then given: the data-last form,
   * for `pipe`. Go: `lim.SetLimit(newLimit)`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const slowDown: Effect.Effect<void> = lim.pipe(Rate.setLimit(Rate.every("1 second")))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (newLimit: Limit): <E>(self: Limiter<E>) => Effect.Effect<void, E>
  /**
   * Sets a new limit. Go: `lim.SetLimit(newLimit)`.
   *
   * The bucket is brought up to date under the old limit first; reservations
   * already made keep their time to act. A limit that is negative or NaN is a
   * defect.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * // the upstream said 429: halve the rate
   * const backOff = Effect.flatMap(Rate.limit(lim), (limit) => Rate.setLimit(lim, limit / 2))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Limiter<E>, newLimit: Limit): Effect.Effect<void, E>
} = dual(2, <E>(self: Limiter<E>, newLimit: Limit): Effect.Effect<void, E> => {
  const bad = badLimit("Rate.setLimit", newLimit)
  if (bad !== undefined) return Exit.die(bad)
  return self instanceof LimiterImpl
    ? Effect.sync(() => {
        updateAt(self, currentNow())
        self.limit = newLimit
      })
    : viaRemote(self, (r) => r.setLimit(newLimit))
})

/**
 * Sets a new burst. Go: `lim.SetBurst(newBurst)`.
 *
 * The bucket is brought up to date under the old burst first (it keeps its
 * tokens, capped at the new burst at its next update). A burst that is not a
 * non-negative safe integer is a defect.
 *
 * @category combinators
 * @since 0.1.0
 */
export const setBurst: {
  /**
   * Sets a new burst on the limiter it is then given: the data-last form, for
   * `pipe`. Go: `lim.SetBurst(newBurst)`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const biggerBursts: Effect.Effect<void> = lim.pipe(Rate.setBurst(20))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  (newBurst: number): <E>(self: Limiter<E>) => Effect.Effect<void, E>
  /**
   * Sets a new burst. Go: `lim.SetBurst(newBurst)`.
   *
   * The bucket is brought up to date under the old burst first. A burst that
   * is not a non-negative safe integer is a defect.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * declare const lim: Rate.Limiter
   *
   * const program = Effect.gen(function* () {
   *   yield* Rate.setBurst(lim, 10)
   *   return yield* Rate.burst(lim) // 10
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Limiter<E>, newBurst: number): Effect.Effect<void, E>
} = dual(2, <E>(self: Limiter<E>, newBurst: number): Effect.Effect<void, E> => {
  const bad = badBurst("Rate.setBurst", newBurst)
  if (bad !== undefined) return Exit.die(bad)
  return self instanceof LimiterImpl
    ? Effect.sync(() => {
        updateAt(self, currentNow())
        self.burst = newBurst
      })
    : viaRemote(self, (r) => r.setBurst(newBurst))
})

// ---------------------------------------------------------------------------
// Getters
// ---------------------------------------------------------------------------

/**
 * The limit: events per second. Go: `lim.Limit()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * const program = Effect.gen(function* () {
 *   const lim = yield* Rate.make(Rate.every("250 millis"), 1)
 *   return yield* Rate.limit(lim) // 4
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const limit = <E>(self: Limiter<E>): Effect.Effect<number, E> =>
  self instanceof LimiterImpl ? Effect.sync(() => self.limit) : viaRemote(self, (r) => r.limit)

/**
 * The burst: the most tokens the bucket holds, so the most that one
 * {@link allowN}, {@link reserveN} or {@link waitN} can take. Go:
 * `lim.Burst()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * declare const lim: Rate.Limiter
 *
 * const largestBatch: Effect.Effect<number> = Rate.burst(lim)
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const burst = <E>(self: Limiter<E>): Effect.Effect<number, E> =>
  self instanceof LimiterImpl ? Effect.sync(() => self.burst) : viaRemote(self, (r) => r.burst)

/**
 * The tokens in the bucket now (Clock time). Fractional while it refills,
 * negative while reservations have overdrawn it. Go: `lim.Tokens()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * const program = Effect.gen(function* () {
 *   const lim = yield* Rate.make(10, 5)
 *   yield* Rate.allowN(lim, 2)
 *   return yield* Rate.tokens(lim) // 3
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const tokens = <E>(self: Limiter<E>): Effect.Effect<number, E> =>
  self instanceof LimiterImpl ? Effect.sync(() => advance(self, currentNow())) : viaRemote(self, (r) => r.tokens)

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

/**
 * The static side of a class made with {@link Service}: the service key plus
 * a layer constructor and accessors that find the limiter in the context.
 * `E` is the error the limiter's operations may fail with: `never` unless
 * the service was declared to be provided from Redis.
 *
 * @category services
 * @since 0.1.0
 */
export interface RateService<Self, Id extends string, E = never> extends Context.ServiceClass<Self, Id, Limiter<E>> {
  /**
   * A layer that creates the limiter in memory with `limit` and `burst`,
   * named after the service key. A bad limit or burst is a defect when the
   * layer is built: literal settings are the program's own.
   *
   * @example
   * ```ts
   * import { Effect, Layer } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * class ApiLimit extends Rate.Service<ApiLimit>()("app/ApiLimit") {}
   *
   * const ApiLimitLive: Layer.Layer<ApiLimit> = ApiLimit.layer({ limit: 50, burst: 10 })
   * declare const program: Effect.Effect<void, never, ApiLimit>
   *
   * const main: Effect.Effect<void> = program.pipe(Effect.provide(ApiLimitLive))
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layer(settings: LimiterSettings): Layer.Layer<Self>
  /**
   * A layer that creates the limiter in memory with the settings that
   * `settings` produces, named after the service key: typically a `Config`,
   * read when the layer is built.
   *
   * A `Config` producing a bad limit or burst fails the layer with a
   * `ConfigError` saying what was wrong, as the config's own errors do. Any
   * other Effect's failure fails the layer with its own error; a bad setting
   * it produces is a defect.
   *
   * @example
   * ```ts
   * import { Config, Layer } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * class ApiLimit extends Rate.Service<ApiLimit>()("app/ApiLimit") {}
   *
   * const ApiLimitLive: Layer.Layer<ApiLimit, Config.ConfigError> = ApiLimit.layer(
   *   Config.all({ limit: Config.Number("API_RATE"), burst: Config.Int("API_BURST") })
   * )
   * ```
   *
   * @category layers
   * @since 0.1.0
   */
  layer<E2, R>(settings: Effect.Effect<LimiterSettings, E2, R>): Layer.Layer<Self, E2, Exclude<R, Scope.Scope>>
  /**
   * {@link allow} on the service's limiter: takes a token if one is there now.
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly allow: Effect.Effect<boolean, E, Self>
  /**
   * {@link allowN} on the service's limiter. A bad `n` is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  allowN(n: number): Effect.Effect<boolean, E, Self>
  /**
   * {@link wait} on the service's limiter: waits for a token and takes it.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as Rate from "effect-go/Rate"
   *
   * class ApiLimit extends Rate.Service<ApiLimit>()("app/ApiLimit") {}
   * declare const callApi: (path: string) => Effect.Effect<string>
   *
   * const get = (path: string): Effect.Effect<string, never, ApiLimit> =>
   *   Effect.andThen(ApiLimit.wait, callApi(path))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly wait: Effect.Effect<void, E, Self>
  /**
   * {@link waitN} on the service's limiter. `n` above the burst (finite
   * limit) or a bad `n` is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  waitN(n: number): Effect.Effect<void, E, Self>
  /**
   * {@link reserve} on the service's limiter.
   *
   * @category combinators
   * @since 0.1.0
   */
  readonly reserve: Effect.Effect<Reservation<E>, E, Self>
  /**
   * {@link reserveN} on the service's limiter. A bad `n` is a defect.
   *
   * @category combinators
   * @since 0.1.0
   */
  reserveN(n: number): Effect.Effect<Reservation<E>, E, Self>
  /**
   * {@link setLimit} on the service's limiter.
   *
   * @category combinators
   * @since 0.1.0
   */
  setLimit(newLimit: Limit): Effect.Effect<void, E, Self>
  /**
   * {@link setBurst} on the service's limiter.
   *
   * @category combinators
   * @since 0.1.0
   */
  setBurst(newBurst: number): Effect.Effect<void, E, Self>
  /**
   * {@link limit} of the service's limiter.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly limit: Effect.Effect<number, E, Self>
  /**
   * {@link burst} of the service's limiter.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly burst: Effect.Effect<number, E, Self>
  /**
   * {@link tokens} of the service's limiter.
   *
   * @category getters
   * @since 0.1.0
   */
  readonly tokens: Effect.Effect<number, E, Self>
}

/** Settings read from configuration, checked: a bad one fails the Config, so the layer fails with a `ConfigError`. */
const checkedSettings = (settings: Config.Config<LimiterSettings>, id: string): Config.Config<LimiterSettings> =>
  checkedConfig(
    settings,
    (s) => badLimit("Rate.layer", s.limit) ?? badBurst("Rate.layer", s.burst),
    `the configured settings of ${id}`
  )

/** `make` from settings that may be anything (a cast): a missing object is described, not read. */
const fromSettings = (settings: unknown, id: string): Effect.Effect<Limiter> =>
  typeof settings === "object" && settings !== null
    ? make((settings as LimiterSettings).limit, (settings as LimiterSettings).burst, { name: id })
    : Exit.die(invalidArgument(`${id}.layer`, "settings { limit, burst }", settings))

/**
 * Declares an application-wide rate limiter as an Effect service, so that a
 * limit such as "50 calls per second to the payment API" is configured in
 * one place (the layer) and can be swapped in tests. The class is the
 * service key (Effect 4's `Context.Service`), with a `layer` constructor and
 * accessors. Go has no equivalent: there a package-level
 * `rate.NewLimiter(50, 10)` variable plays this role.
 *
 * Declare the error type `RedisError` (from `effect/persistence/Redis`) as
 * the second type parameter to allow providing the service from Redis
 * (`RedisSync.layerLimiter`), so that several processes share one limit:
 * the accessors then fail with it (a limiter holds no lease, so it never
 * fails with `LeaseLostError`; `RedisSync.RedisSyncError` is accepted too). Declared without it, the service can only
 * be provided in memory, and its accessors cannot fail.
 *
 * @example
 * ```ts
 * import { Config, Effect } from "effect"
 * import * as Rate from "effect-go/Rate"
 *
 * class ApiLimit extends Rate.Service<ApiLimit>()("app/ApiLimit") {}
 *
 * declare const callApi: (path: string) => Effect.Effect<string>
 * const get = (path: string) => Effect.andThen(ApiLimit.wait, callApi(path))
 * const program = Effect.forEach(["/a", "/b", "/c"], get, { concurrency: "unbounded" })
 *
 * // main.ts: the limit is decided here, once
 * const main = program.pipe(Effect.provide(ApiLimit.layer({ limit: 50, burst: 10 })))
 * // or from configuration (a bad value fails with a ConfigError)
 * const configured = program.pipe(
 *   Effect.provide(ApiLimit.layer(Config.all({ limit: Config.Number("API_RATE"), burst: Config.Int("API_BURST") })))
 * )
 * // a test: no limit at all
 * const test = program.pipe(Effect.provide(ApiLimit.layer({ limit: Rate.inf, burst: 0 })))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const Service =
  <Self, E = never>() =>
  <const Id extends string>(id: Id): RateService<Self, Id, E> => {
    const key = Context.Service<Self, Limiter<E>>()(id)
    const statics: Omit<RateService<Self, Id, E>, keyof Context.ServiceClass<Self, Id, Limiter<E>>> = {
      layer: (settings: LimiterSettings | Effect.Effect<LimiterSettings, any, any>) =>
        Layer.effect(
          key,
          Config.isConfig(settings)
            ? Effect.flatMap(checkedSettings(settings as Config.Config<LimiterSettings>, id), (s) =>
                fromSettings(s, id)
              )
            : isEffect(settings)
              ? Effect.flatMap(settings, (s) => fromSettings(s, id))
              : fromSettings(settings, id)
        ) as any,
      allow: Effect.flatMap(key, allow),
      allowN: (n) => Effect.flatMap(key, (lim) => allowN(lim, n)),
      wait: Effect.flatMap(key, wait),
      waitN: (n) => Effect.flatMap(key, (lim) => waitN(lim, n)),
      reserve: Effect.flatMap(key, reserve),
      reserveN: (n) => Effect.flatMap(key, (lim) => reserveN(lim, n)),
      setLimit: (newLimit) => Effect.flatMap(key, (lim) => setLimit(lim, newLimit)),
      setBurst: (newBurst) => Effect.flatMap(key, (lim) => setBurst(lim, newBurst)),
      limit: Effect.flatMap(key, limit),
      burst: Effect.flatMap(key, burst),
      tokens: Effect.flatMap(key, tokens)
    }
    return Object.assign(key, statics)
  }

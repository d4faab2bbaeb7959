/**
 * Tickers: Go's `time.NewTicker` and `time.Tick`, driven by Effect's `Clock`
 * and owned by a `Scope`.
 *
 * The channel has a buffer of one tick, as in Go: a receiver that is slower
 * than the interval finds one tick waiting and the ticks in between are
 * dropped, so a slow consumer never builds a backlog. Ticks stay on the
 * original schedule (start + k × interval).
 *
 * An interval that is zero, negative, NaN or no duration at all is a
 * programmer error (Go panics): the call dies with `InvalidDurationError`
 * when it runs, so no constructor has an error channel. A ticker is a value
 * like Effect's own: `pipe`-able, and `console.log(ticker)` shows
 * `{ _id: "Ticker", active, interval, pending }`.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Chan, Ticker } from "effect-go"
 *
 * const heartbeat = Effect.gen(function* () {
 *   const ticker = yield* Ticker.make("1 second")
 *   yield* Chan.forEach(ticker.c, (now) => Console.log("tick", now))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"
import { chanOf, length, tryRecv, trySend } from "./internal/chan.ts"
import { unwrap } from "./internal/copied.ts"
import { decodeDuration, InvalidDurationError } from "./internal/duration.ts"
import { PrimitiveBase } from "./internal/primitive.ts"

export {
  /**
   * An interval that is not a duration, NaN, zero or negative: the defect
   * {@link make}, {@link tick} and {@link reset} die with.
   *
   * @category errors
   * @since 0.1.0
   */
  InvalidDurationError
}

const TypeId = "~effect-go/Ticker" as const

/**
 * A periodic ticker: Go's `*time.Ticker`. Receive from its channel `c`.
 *
 * It is `Pipeable` and `Inspectable`: `console.log(ticker)`,
 * `String(ticker)` and `ticker.toJSON()` show `{ _id: "Ticker", active,
 * interval, pending }` — whether it runs (false after {@link stop}), its
 * current interval, and how many ticks wait in its channel (0 or 1).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Ticker } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ticker = yield* Ticker.make("100 millis")
 *   console.log(ticker) // { _id: 'Ticker', active: true, interval: '100ms', pending: 0 }
 *   yield* Ticker.stop(ticker)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Ticker extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /** Delivers the Clock time (epoch ms) of each tick; holds at most one. */
  readonly c: Chan.RecvChan<number>
}

class TickerImpl extends PrimitiveBase implements Ticker {
  readonly [TypeId] = TypeId
  readonly chan = Chan.makeUnsafe<number>(1)
  readonly scope: Scope.Scope
  /**
   * Bumped by every start, stop and reset: a ticking fiber ticks only while
   * the generation it was started with is current.
   */
  gen = 0
  /** Started and not stopped since. */
  active = false
  /** The interval of the current (or last) schedule. */
  interval: Duration.Duration = Duration.infinity
  /** The fiber of the current generation, once registered. */
  fiber: Fiber.Fiber<void> | undefined = undefined
  constructor(scope: Scope.Scope) {
    super()
    this.scope = scope
  }
  get c(): Chan.RecvChan<number> {
    return this.chan
  }
  toJSON(): unknown {
    return {
      _id: "Ticker",
      active: this.active,
      interval: Duration.format(this.interval),
      pending: length(chanOf(this.chan))
    }
  }
}

const impl = (self: Ticker): TickerImpl => unwrap(self, TickerImpl, "Ticker")

const tickEvery = (t: TickerImpl, gen: number, interval: Duration.Duration): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    const period = Duration.toMillis(interval)
    let k = 0
    // Offers a tick without waiting: a full buffer means the receiver is
    // behind, so the tick drops. One step from the check to the send, so
    // that a stop or reset at any other step either comes first (no tick)
    // or finds the tick to drain. Says whether to go on.
    const tick = Effect.withFiber((fiber) => {
      if (t.gen !== gen) return exitFalse
      const ch = chanOf(t.chan)
      trySend(ch, fiber.getRef(Clock.Clock).currentTimeMillisUnsafe(), fiber)
      return exitTrue
    })
    // Sleep until the next point of the schedule, then tick.
    const loop: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      k = Math.max(k + 1, Math.floor((now - start) / period) + 1)
      const next = start + k * period
      return Effect.sleep(Math.max(0, next - now)).pipe(
        Effect.andThen(tick),
        Effect.flatMap((goOn) => (goOn ? loop : Effect.void))
      )
    })
    return loop
  })

const exitTrue = Exit.succeed(true)
const exitFalse = Exit.succeed(false)

/**
 * Decodes an interval: a positive duration (Go panics on a non-positive one,
 * so the effect dies with InvalidDurationError); infinite: never ticks.
 */
const decodeInterval = (interval: Duration.Input): Effect.Effect<Duration.Duration> => decodeDuration(interval, false)

/**
 * Starts a new generation (in the caller's step) and its fiber; an infinite
 * interval never ticks (no fiber to start).
 */
const start = (t: TickerImpl, interval: Duration.Duration): Effect.Effect<void> => {
  const gen = ++t.gen
  t.active = true
  t.interval = interval
  if (!Duration.isFinite(interval)) return Effect.void
  return Effect.map(Effect.forkIn(tickEvery(t, gen, interval), t.scope, { startImmediately: true }), (fiber) => {
    // Stopped or reset again while this fiber was being started: it can
    // never tick, end it now.
    if (t.gen === gen) t.fiber = fiber
    else fiber.interruptUnsafe()
  })
}

/**
 * Creates a ticker that delivers a tick every `interval`. Go:
 * `time.NewTicker(d)`. An infinite interval never ticks (until a
 * {@link reset}), like Go's largest duration. Stopped when the scope closes.
 *
 * It cannot fail: a zero, negative, NaN or malformed interval is a defect
 * ({@link InvalidDurationError}) raised when the effect runs (Go panics).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Ticker } from "effect-go"
 *
 * const firstThreeTicks = Effect.gen(function* () {
 *   const ticker = yield* Ticker.make("1 second")
 *   const ticks: Array<number> = []
 *   for (let i = 0; i < 3; i++) {
 *     const now = yield* Chan.recv(ticker.c)
 *     if (now._tag === "Some") ticks.push(now.value)
 *   }
 *   return ticks
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (interval: Duration.Input): Effect.Effect<Ticker, never, Scope.Scope> =>
  Effect.flatMap(decodeInterval(interval), (d) =>
    Effect.flatMap(Effect.scope, (scope) => {
      const t = new TickerImpl(scope)
      return Effect.as(start(t, d), t as Ticker)
    })
  )

/**
 * The tick channel of a new ticker, which lives as long as the scope. Go:
 * `time.Tick(d)`. A bad interval is a defect ({@link InvalidDurationError}),
 * as in {@link make}.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Chan, Ticker } from "effect-go"
 *
 * const poll = Effect.gen(function* () {
 *   const ticks = yield* Ticker.tick("10 seconds")
 *   yield* Chan.forEach(ticks, () => Console.log("polling…"))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const tick = (interval: Duration.Input): Effect.Effect<Chan.RecvChan<number>, never, Scope.Scope> =>
  Effect.map(make(interval), (t) => t.c)

/**
 * Stops the ticker in the caller's step and drains a tick nobody received
 * (Go 1.23: no stale tick after Stop or Reset). The returned effect ends the
 * old fiber (which can no longer tick) and waits for it.
 */
const halt = (t: TickerImpl, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void> => {
  t.gen++
  t.active = false
  const old = t.fiber
  t.fiber = undefined
  const ch = chanOf(t.chan)
  tryRecv(ch, fiber)
  return old === undefined ? Effect.void : Fiber.interrupt(old)
}

/**
 * Stops the ticker: no more ticks are delivered (and none is left waiting).
 * Go: `ticker.Stop()`. The channel is not closed, as in Go.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Ticker } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ticker = yield* Ticker.make("1 second")
 *   // ...
 *   yield* Ticker.stop(ticker) // defer ticker.Stop()
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const stop = (self: Ticker): Effect.Effect<void> => Effect.withFiber((fiber) => halt(impl(self), fiber))

/**
 * Restarts the ticker with a new interval, counted from now (a stopped
 * ticker starts again). Go: `ticker.Reset(d)`. A bad interval (as in
 * {@link make}) is a defect ({@link InvalidDurationError}) and leaves the
 * ticker as it was.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Ticker } from "effect-go"
 *
 * // Back off: poll every second, then every 5 seconds.
 * const program = Effect.gen(function* () {
 *   const ticker = yield* Ticker.make("1 second")
 *   // ...
 *   yield* Ticker.reset(ticker, "5 seconds")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const reset = (self: Ticker, interval: Duration.Input): Effect.Effect<void> =>
  Effect.flatMap(decodeInterval(interval), (d) =>
    // Stopping and restarting happen in one step: a concurrent stop or reset
    // comes wholly before or after.
    Effect.withFiber((fiber) => {
      const t = impl(self)
      const halted = halt(t, fiber)
      return Effect.andThen(halted, start(t, d))
    })
  )

/**
 * Tickers: Go's `time.NewTicker` and `time.Tick`, driven by Effect's `Clock`
 * and owned by a `Scope`.
 *
 * The channel has a buffer of one tick, as in Go: a receiver that is slower
 * than the interval finds one tick waiting and the ticks in between are
 * dropped, so a slow consumer never builds a backlog. Ticks stay on the
 * original schedule (start + k × interval).
 *
 * @example
 * ```ts
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
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"
import { decodeDuration, InvalidDurationError } from "./Timer.ts"

export { InvalidDurationError }

const TypeId = "~effect-go/Ticker" as const

/**
 * A periodic ticker: Go's `*time.Ticker`.
 *
 * @since 0.1.0
 */
export interface Ticker {
  readonly [TypeId]: typeof TypeId
  /** Delivers the Clock time (epoch ms) of each tick; holds at most one. */
  readonly c: Chan.RecvChan<number>
}

class TickerImpl implements Ticker {
  readonly [TypeId] = TypeId
  readonly chan = Chan.makeUnsafe<number>(1)
  readonly scope: Scope.Scope
  fiber: Fiber.Fiber<void> | undefined = undefined
  constructor(scope: Scope.Scope) {
    this.scope = scope
  }
  get c(): Chan.RecvChan<number> {
    return this.chan
  }
}

const impl = (self: Ticker): TickerImpl => self as TickerImpl

const tickEvery = (chan: Chan.Chan<number>, interval: Duration.Duration): Effect.Effect<never> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    const period = Duration.toMillis(interval)
    let k = 0
    // Sleep until the next point of the schedule, then offer a tick without
    // waiting: a full buffer means the receiver is behind, so the tick drops.
    const loop: Effect.Effect<never> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      k = Math.max(k + 1, Math.floor((now - start) / period) + 1)
      const next = start + k * period
      return Effect.sleep(Math.max(0, next - now)).pipe(
        Effect.andThen(Clock.currentTimeMillis),
        Effect.flatMap((t) => Effect.orDie(Chan.trySend(chan, t))),
        Effect.andThen(loop)
      )
    })
    return loop
  })

const decodeInterval = (interval: Duration.Input): Effect.Effect<Duration.Duration, InvalidDurationError> =>
  Effect.flatMap(decodeDuration(interval, false), (d) =>
    Duration.isFinite(d)
      ? Effect.succeed(d)
      : Effect.fail(new InvalidDurationError({ duration: interval, reason: "a ticker interval must be finite" }))
  )

const start = (t: TickerImpl, interval: Duration.Duration): Effect.Effect<void> =>
  Effect.map(Effect.forkIn(tickEvery(t.chan, interval), t.scope, { startImmediately: true }), (fiber) => {
    t.fiber = fiber
  })

/**
 * Creates a ticker that delivers a tick every `interval`. Go:
 * `time.NewTicker(d)`. A zero, negative or NaN interval fails with
 * {@link InvalidDurationError} (Go panics). Stopped when the scope closes.
 *
 * @since 0.1.0
 */
export const make = (interval: Duration.Input): Effect.Effect<Ticker, InvalidDurationError, Scope.Scope> =>
  Effect.flatMap(decodeInterval(interval), (d) =>
    Effect.flatMap(Effect.scope, (scope) => {
      const t = new TickerImpl(scope)
      return Effect.as(start(t, d), t as Ticker)
    })
  )

/**
 * The tick channel of a new ticker. Go: `time.Tick(d)`.
 *
 * @since 0.1.0
 */
export const tick = (interval: Duration.Input): Effect.Effect<Chan.RecvChan<number>, InvalidDurationError, Scope.Scope> =>
  Effect.map(make(interval), (t) => t.c)

const halt = (t: TickerImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const fiber = t.fiber
    t.fiber = undefined
    return (fiber === undefined ? Effect.void : Fiber.interrupt(fiber)).pipe(
      // Go 1.23: no stale tick is received after Stop or Reset.
      Effect.andThen(Chan.tryRecv(t.chan)),
      Effect.asVoid
    )
  })

/**
 * Stops the ticker: no more ticks are delivered (and none is left waiting).
 * Go: `ticker.Stop()`. The channel is not closed, as in Go.
 *
 * @since 0.1.0
 */
export const stop = (self: Ticker): Effect.Effect<void> => halt(impl(self))

/**
 * Restarts the ticker with a new interval, counted from now. Go:
 * `ticker.Reset(d)`.
 *
 * @since 0.1.0
 */
export const reset = (self: Ticker, interval: Duration.Input): Effect.Effect<void, InvalidDurationError> =>
  Effect.flatMap(decodeInterval(interval), (d) => {
    const t = impl(self)
    return Effect.andThen(halt(t), start(t, d))
  })

/**
 * Timers: Go's `time.After`, `time.NewTimer` and `time.AfterFunc`, driven by
 * Effect's `Clock` (so `TestClock` controls them) and owned by a `Scope`
 * (so nothing fires after the scope closes).
 *
 * A timer's channel carries the Clock time (epoch milliseconds) at which it
 * fired. Stop and reset follow Go 1.23: once `stop` or `reset` returns, no
 * stale value from the earlier schedule can be received.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const timeout = yield* Timer.after("500 millis")
 *   return yield* Select.select(
 *     Select.recv(results, (r) => Effect.succeed(r)),
 *     Select.recv(timeout, () => Effect.succeed(Option.none()))
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"

/**
 * A duration that is negative or not a number (Go panics on a non-positive
 * ticker interval; timers accept zero).
 *
 * @since 0.1.0
 */
export class InvalidDurationError extends Data.TaggedError("InvalidDurationError")<{
  readonly duration: Duration.Input
  readonly reason: string
}> {
  override get message(): string {
    return `invalid duration ${String(this.duration)}: ${this.reason}`
  }
}

/** Decodes a duration, failing with InvalidDurationError on bad input. @internal */
export const decodeDuration = (
  input: Duration.Input,
  allowZero: boolean
): Effect.Effect<Duration.Duration, InvalidDurationError> =>
  Effect.suspend(() => {
    if (typeof input === "number" && Number.isNaN(input)) {
      return Effect.fail(new InvalidDurationError({ duration: input, reason: "not a number" }))
    }
    let duration: Duration.Duration
    try {
      duration = Duration.fromInputUnsafe(input)
    } catch {
      return Effect.fail(new InvalidDurationError({ duration: input, reason: "not a duration" }))
    }
    const millis = Duration.toMillis(duration)
    if (Number.isNaN(millis) || millis < 0) {
      return Effect.fail(new InvalidDurationError({ duration: input, reason: "must not be negative" }))
    }
    if (!allowZero && millis === 0) {
      return Effect.fail(new InvalidDurationError({ duration: input, reason: "must be positive" }))
    }
    return Effect.succeed(duration)
  })

const TypeId = "~effect-go/Timer" as const

/**
 * A one-shot timer: Go's `*time.Timer`. Receive from {@link Timer.c} to wait
 * for it.
 *
 * @since 0.1.0
 */
export interface Timer {
  readonly [TypeId]: typeof TypeId
  /** Delivers the Clock time (epoch ms) when the timer fires. */
  readonly c: Chan.RecvChan<number>
}

class TimerImpl implements Timer {
  readonly [TypeId] = TypeId
  readonly chan: Chan.Chan<number>
  readonly scope: Scope.Scope
  fiber: Fiber.Fiber<void> | undefined = undefined
  constructor(chan: Chan.Chan<number>, scope: Scope.Scope) {
    this.chan = chan
    this.scope = scope
  }
  get c(): Chan.RecvChan<number> {
    return this.chan
  }
}

const impl = (self: Timer): TimerImpl => self as TimerImpl

const fireAfter = (chan: Chan.Chan<number>, duration: Duration.Duration): Effect.Effect<void> =>
  Effect.sleep(duration).pipe(
    Effect.andThen(Clock.currentTimeMillis),
    // The buffer is empty: stop/reset drained it before arming.
    Effect.flatMap((now) => Effect.asVoid(Effect.orDie(Chan.trySend(chan, now))))
  )

const arm = (t: TimerImpl, duration: Duration.Duration): Effect.Effect<void> =>
  Effect.map(Effect.forkIn(fireAfter(t.chan, duration), t.scope, { startImmediately: true }), (fiber) => {
    t.fiber = fiber
  })

/** Disarms the timer and drains a value it delivered; says whether it was armed. */
const disarm = (t: TimerImpl): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const fiber = t.fiber
    t.fiber = undefined
    const wasArmed = fiber !== undefined && fiber.pollUnsafe() === undefined
    const stopFiber = fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
    return stopFiber.pipe(Effect.andThen(Chan.tryRecv(t.chan)), Effect.as(wasArmed))
  })

/**
 * Creates a timer that fires once after `duration`. Go:
 * `time.NewTimer(d)`. The timer is stopped when the scope closes.
 *
 * @since 0.1.0
 */
export const make = (duration: Duration.Input): Effect.Effect<Timer, InvalidDurationError, Scope.Scope> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    Effect.flatMap(Effect.scope, (scope) => {
      const t = new TimerImpl(Chan.makeUnsafe<number>(1), scope)
      return Effect.as(arm(t, d), t as Timer)
    })
  )

/**
 * A channel that delivers the Clock time once, after `duration`. Go:
 * `time.After(d)`; use it as a receive case of a select.
 *
 * @since 0.1.0
 */
export const after = (duration: Duration.Input): Effect.Effect<Chan.RecvChan<number>, InvalidDurationError, Scope.Scope> =>
  Effect.map(make(duration), (t) => t.c)

/**
 * Stops the timer. Returns true if the call stopped it, false if it had
 * already fired or been stopped. Go: `t.Stop()`. Afterwards no value of the
 * stopped schedule can be received (Go 1.23).
 *
 * @since 0.1.0
 */
export const stop = (self: Timer): Effect.Effect<boolean> => disarm(impl(self))

/**
 * Re-arms the timer to fire after `duration`. Returns true if it had been
 * active. Go: `t.Reset(d)`, with Go 1.23's guarantee that no stale value is
 * received afterwards.
 *
 * @since 0.1.0
 */
export const reset = (self: Timer, duration: Duration.Input): Effect.Effect<boolean, InvalidDurationError> =>
  Effect.flatMap(decodeDuration(duration, true), (d) => {
    const t = impl(self)
    return Effect.flatMap(disarm(t), (wasArmed) => Effect.as(arm(t, d), wasArmed))
  })

/**
 * Runs `effect` in its own fiber after `duration`, unless stopped first.
 * Go: `time.AfterFunc(d, f)`. The returned `stop` says whether it prevented
 * the call (false once `effect` has started). The fiber belongs to the scope.
 *
 * @since 0.1.0
 */
export const afterFunc = <E, R>(
  duration: Duration.Input,
  effect: Effect.Effect<void, E, R>
): Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, InvalidDurationError, R | Scope.Scope> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    Effect.flatMap(Effect.scope, (scope) => {
      let started = false
      const run = Effect.sleep(d).pipe(
        Effect.andThen(
          Effect.sync(() => {
            started = true
          })
        ),
        Effect.andThen(Effect.ignoreCause(effect))
      )
      return Effect.map(Effect.forkIn(run, scope, { startImmediately: true }), (fiber) => ({
        stop: Effect.suspend(() => (started ? Effect.succeed(false) : Effect.as(Fiber.interrupt(fiber), true)))
      }))
    })
  )

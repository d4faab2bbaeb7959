/**
 * Timers: Go's `time.After`, `time.NewTimer` and `time.AfterFunc`, driven by
 * Effect's `Clock` (so `TestClock` controls them) and owned by a `Scope`
 * (so nothing fires after the scope closes).
 *
 * A timer's channel carries the Clock time (epoch milliseconds) at which it
 * fired. Stop and reset follow Go 1.23: once `stop` or `reset` returns, no
 * stale value from the earlier schedule can be received.
 *
 * Durations are read as everywhere in effect-go: milliseconds, a `Duration`
 * or a string such as `"500 millis"`; an infinite duration means never. A
 * malformed, NaN or negative duration fails with `InvalidDurationError`
 * (Go's `NewTimer` fires at once on a negative one).
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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"
import { chanOf, tryRecv, trySend } from "./internal/chan.ts"
import { invalidArgument, unwrap } from "./internal/copied.ts"
import { decodeDuration, InvalidDurationError } from "./internal/duration.ts"

export { InvalidDurationError }

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
  /**
   * Bumped by every arm, stop and reset: a timer fiber fires only if the
   * generation it was armed with is still current.
   */
  gen = 0
  /** Armed, and neither fired nor stopped since. */
  armed = false
  /** The fiber of the current generation, once registered. */
  fiber: Fiber.Fiber<void> | undefined = undefined
  constructor(chan: Chan.Chan<number>, scope: Scope.Scope) {
    this.chan = chan
    this.scope = scope
  }
  get c(): Chan.RecvChan<number> {
    return this.chan
  }
}

const impl = (self: Timer): TimerImpl => unwrap(self, TimerImpl, "Timer")

/**
 * Fires generation `gen`: one step from the check to the send, so that a
 * stop or reset at any other step either comes first (nothing is sent) or
 * finds the value to drain.
 */
const fire = (t: TimerImpl, gen: number): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    if (t.gen !== gen) return Exit.void
    t.armed = false
    const ch = chanOf(t.chan)
    // The buffer is empty: the stop or reset that started this generation
    // drained it, and no other generation can send any more.
    trySend(ch, fiber.getRef(Clock.Clock).currentTimeMillisUnsafe(), fiber)
    return Exit.void
  })

/**
 * Arms a new generation (in the caller's step) and starts its fiber; an
 * infinite duration arms a timer that never fires (no fiber to start).
 */
const arm = (t: TimerImpl, duration: Duration.Duration): Effect.Effect<void> => {
  const gen = ++t.gen
  t.armed = true
  if (!Duration.isFinite(duration)) return Exit.void
  return Effect.map(
    Effect.forkIn(Effect.andThen(Effect.sleep(duration), fire(t, gen)), t.scope, { startImmediately: true }),
    (fiber) => {
      // Stopped or reset again while this fiber was being started: it can
      // never fire, end it now.
      if (t.gen === gen) t.fiber = fiber
      else fiber.interruptUnsafe()
    }
  )
}

/**
 * Disarms the timer in the caller's step and drains a value it delivered that
 * nobody received (Go 1.23); says whether it was armed. The returned effect
 * ends the old fiber (which can no longer fire) and waits for it.
 */
const disarm = (t: TimerImpl, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<boolean> => {
  const wasArmed = t.armed
  t.armed = false
  t.gen++
  const old = t.fiber
  t.fiber = undefined
  const ch = chanOf(t.chan)
  tryRecv(ch, fiber)
  return old === undefined ? Exit.succeed(wasArmed) : Effect.as(Fiber.interrupt(old), wasArmed)
}

/**
 * Creates a timer that fires once after `duration`. Go:
 * `time.NewTimer(d)`. The timer is stopped when the scope closes. Zero fires
 * at once; an infinite duration never fires (until a {@link reset}), like
 * Go's largest duration; a duration that is malformed, NaN or negative fails
 * with {@link InvalidDurationError}.
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
export const after = (
  duration: Duration.Input
): Effect.Effect<Chan.RecvChan<number>, InvalidDurationError, Scope.Scope> => Effect.map(make(duration), (t) => t.c)

/**
 * Stops the timer. Returns true if the call stopped it, false if it had
 * already fired or been stopped. Go: `t.Stop()`. Afterwards no value of the
 * stopped schedule can be received (Go 1.23).
 *
 * @since 0.1.0
 */
export const stop = (self: Timer): Effect.Effect<boolean> => Effect.withFiber((fiber) => disarm(impl(self), fiber))

/**
 * Re-arms the timer to fire after `duration`. Returns true if it had been
 * active. Go: `t.Reset(d)`, with Go 1.23's guarantee that no stale value is
 * received afterwards. A bad duration (as in {@link make}) fails with
 * {@link InvalidDurationError} and leaves the timer as it was.
 *
 * @since 0.1.0
 */
export const reset = (self: Timer, duration: Duration.Input): Effect.Effect<boolean, InvalidDurationError> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    // Disarming and arming happen in one step: a concurrent stop or reset
    // comes wholly before or after.
    Effect.withFiber((fiber) => {
      const t = impl(self)
      const disarmed = disarm(t, fiber)
      const armed = arm(t, d)
      return Effect.flatMap(disarmed, (wasArmed) => Effect.as(armed, wasArmed))
    })
  )

/**
 * Runs `effect` in its own fiber after `duration`, unless stopped first.
 * Go: `time.AfterFunc(d, f)`. The returned `stop` says whether it prevented
 * the call (false once `effect` has started). The fiber belongs to the scope.
 * A bad duration (as in {@link make}) fails with {@link InvalidDurationError};
 * an `effect` that is not an Effect is a defect (`InvalidArgumentError`).
 *
 * @since 0.1.0
 */
export const afterFunc = <E, R>(
  duration: Duration.Input,
  effect: Effect.Effect<void, E, R>
): Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, InvalidDurationError, R | Scope.Scope> =>
  Effect.isEffect(effect)
    ? afterFuncChecked(duration, effect)
    : Exit.die(invalidArgument("Timer.afterFunc", "an Effect", effect))

const afterFuncChecked = <E, R>(
  duration: Duration.Input,
  effect: Effect.Effect<void, E, R>
): Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, InvalidDurationError, R | Scope.Scope> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    Effect.flatMap(Effect.scope, (scope) => {
      // Starting the call and stopping it each decide in one step: a stop
      // that says true always comes before the call would start.
      let state: "waiting" | "started" | "stopped" = "waiting"
      const run = Effect.andThen(
        Effect.sleep(d),
        Effect.suspend(() => {
          if (state !== "waiting") return Effect.void
          state = "started"
          return Effect.ignoreCause(effect)
        })
      )
      return Effect.map(Effect.forkIn(run, scope, { startImmediately: true }), (fiber) => ({
        stop: Effect.suspend(() => {
          if (state !== "waiting") return Effect.succeed(false)
          state = "stopped"
          return Effect.as(Fiber.interrupt(fiber), true)
        })
      }))
    })
  )

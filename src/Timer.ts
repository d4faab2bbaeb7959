/**
 * Timers: Go's `time.After`, `time.NewTimer` and `time.AfterFunc`, driven by
 * Effect's `Clock` (so `TestClock` controls them) and owned by a `Scope`
 * (so nothing fires after the scope closes). As in Go's runtime, a timer is
 * an entry in a heap (one per Clock, served by one fiber), not a fiber of
 * its own.
 *
 * A timer's channel carries the Clock time (epoch milliseconds) at which it
 * fired. Stop and reset follow Go 1.23: once `stop` or `reset` returns, no
 * stale value from the earlier schedule can be received.
 *
 * Durations are read as everywhere in effect-go: milliseconds, a `Duration`
 * or a string such as `"500 millis"`; an infinite duration means never. A
 * malformed, NaN or negative duration is a programmer error: the call dies
 * with `InvalidDurationError` when it runs (Go's `NewTimer` fires at once on
 * a negative one), so no constructor has an error channel.
 *
 * A timer is a value like Effect's own: `pipe`-able, and `console.log(t)`
 * shows `{ _id: "Timer", active, duration, firesAt, pending }`.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan, Select, Timer } from "effect-go"
 *
 * declare const results: Chan.RecvChan<string>
 *
 * const program = Effect.gen(function* () {
 *   const timeout = yield* Timer.after("500 millis")
 *   return yield* Select.select(
 *     Select.recv(results, (r) => Effect.succeed(r)),
 *     Select.recv(timeout, () => Effect.succeed(Option.none<string>()))
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
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"
import { chanOf, length, tryRecv, trySend } from "./internal/chan.ts"
import { invalidArgument, unwrap } from "./internal/copied.ts"
import {
  arm as armDeadline,
  type Deadline,
  type DeadlineQueue,
  disarm as disarmDeadline
} from "./internal/deadlines.ts"
import { decodeDuration, InvalidDurationError } from "./internal/duration.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { isEffect } from "./internal/function.ts"

export {
  /**
   * A duration argument that is not one, is NaN or is negative: the defect
   * {@link make}, {@link after}, {@link reset} and {@link afterFunc} die with.
   *
   * @category errors
   * @since 0.1.0
   */
  InvalidDurationError
}

const TypeId = "~effect-go/Timer" as const

/**
 * A one-shot timer: Go's `*time.Timer`. Receive from {@link Timer.c} to wait
 * for it.
 *
 * It is `Pipeable` and `Inspectable`: `console.log(t)`, `String(t)` and
 * `t.toJSON()` show `{ _id: "Timer", active, duration, firesAt, pending }` —
 * whether it is armed (what {@link stop} would report), the duration of its
 * current or last schedule, the Clock time (epoch ms) it fires at while
 * armed, and how many values wait in its channel (0 or 1).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Timer } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const t = yield* Timer.make("1 second")
 *   console.log(t) // { _id: 'Timer', active: true, duration: '1s', firesAt: 1000, pending: 0 } (at Clock time 0)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Timer extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /** Delivers the Clock time (epoch ms) when the timer fires. */
  readonly c: Chan.RecvChan<number>
}

class TimerImpl extends PrimitiveBase implements Timer, Deadline {
  readonly [TypeId] = TypeId
  readonly chan: Chan.Chan<number>
  readonly scope: Scope.Scope
  /** Armed, and neither fired nor stopped since. */
  armed = false
  /** The duration of the current (or last) schedule. */
  duration: Duration.Duration = Duration.zero
  /** The Clock time (epoch ms) the current schedule fires at; undefined for never. */
  firesAt: number | undefined = undefined
  /**
   * While armed with a finite duration: a scope forked from the timer's for
   * this schedule, whose closing (with the timer's scope) disarms it; the
   * schedule closes it when it ends, so a long-lived scope does not keep
   * every timer made in it.
   */
  armedScope: Scope.Closeable | undefined = undefined
  /** Its entry in the Clock's timer heap (see internal/deadlines.ts). */
  at = 0
  index = -1
  seq = 0
  queue: DeadlineQueue | undefined = undefined
  constructor(chan: Chan.Chan<number>, scope: Scope.Scope) {
    super()
    this.chan = chan
    this.scope = scope
  }
  get c(): Chan.RecvChan<number> {
    return this.chan
  }
  /**
   * Fires, from the timer heap's fiber: the schedule ends and the Clock time
   * goes into the channel, in one step, so that a stop or reset either comes
   * first (nothing is sent) or finds the value to drain. The buffer is empty:
   * the stop or reset that armed this schedule drained it.
   */
  expire(): void {
    const fiber = Fiber.getCurrent()!
    end(this)
    trySend(chanOf(this.chan), fiber.getRef(Clock.Clock).currentTimeMillisUnsafe(), fiber)
  }
  /** The timer heap's fiber was stopped from outside: this schedule will not fire. */
  lost(): void {
    end(this)
  }
  toJSON(): unknown {
    return {
      _id: "Timer",
      active: this.armed,
      duration: Duration.format(this.duration),
      firesAt: this.firesAt,
      pending: length(chanOf(this.chan))
    }
  }
}

const impl = (self: Timer): TimerImpl => unwrap(self, TimerImpl, "Timer")

/** Ends the current schedule (it fired, or was stopped): out of the heap, out of the scope. */
const end = (t: TimerImpl): void => {
  t.armed = false
  t.firesAt = undefined
  if (t.queue !== undefined) disarmDeadline(t)
  const armedScope = t.armedScope
  if (armedScope !== undefined) {
    t.armedScope = undefined
    // Its finalizer (this same end) finds the schedule over: nothing to do.
    Scope.closeUnsafe(armedScope, Exit.void)
  }
}

/**
 * Arms a schedule, in the caller's step, on `fiber`, whose Clock says when
 * it fires: an entry in the timer heap, and a scope forked from the timer's
 * that disarms it when the timer's scope closes. An infinite duration arms
 * a timer that never fires (nothing to register).
 */
const arm = (t: TimerImpl, duration: Duration.Duration, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void> => {
  t.armed = true
  t.duration = duration
  if (!Duration.isFinite(duration)) {
    t.firesAt = undefined
    return Exit.void
  }
  const firesAt = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe() + Duration.toMillis(duration)
  t.firesAt = firesAt
  // Nothing fires after the timer's scope has closed.
  if (t.scope.state._tag === "Closed") {
    end(t)
    return Exit.void
  }
  const armedScope = Scope.forkUnsafe(t.scope)
  t.armedScope = armedScope
  armDeadline(t, firesAt, fiber)
  return Scope.addFinalizer(
    armedScope,
    Effect.sync(() => {
      if (t.armedScope === armedScope) end(t)
    })
  )
}

/**
 * Disarms the timer in the caller's step and drains a value it delivered that
 * nobody received (Go 1.23); says whether it was armed.
 */
const disarm = (t: TimerImpl, fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  const wasArmed = t.armed
  end(t)
  tryRecv(chanOf(t.chan), fiber)
  return wasArmed
}

/**
 * Creates a timer that fires once after `duration`, delivering the Clock
 * time on its channel `c`. Go: `time.NewTimer(d)`. The timer is stopped
 * when the scope closes. Zero fires at once; an infinite duration never
 * fires (until a {@link reset}), like Go's largest duration.
 *
 * It cannot fail: a duration that is malformed, NaN or negative is a defect
 * ({@link InvalidDurationError}) raised when the effect runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Timer } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const t = yield* Timer.make("2 seconds")
 *   const firedAt = yield* Chan.recv(t.c) // Option.some(Clock time in ms)
 *   return firedAt
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (duration: Duration.Input): Effect.Effect<Timer, never, Scope.Scope> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    Effect.flatMap(Effect.scope, (scope) =>
      // Uninterruptible from arming to the scope's finalizer.
      Effect.uninterruptible(
        Effect.withFiber((fiber) => {
          const t = new TimerImpl(Chan.makeUnsafe<number>(1), scope)
          return Effect.as(arm(t, d, fiber), t as Timer)
        })
      )
    )
  )

/**
 * A channel that delivers the Clock time once, after `duration`. Go:
 * `time.After(d)`; use it as a receive case of a select. The timer belongs
 * to the scope.
 *
 * It cannot fail: a bad duration is a defect ({@link InvalidDurationError}),
 * as in {@link make}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Select, Timer } from "effect-go"
 *
 * declare const replies: Chan.RecvChan<string>
 *
 * const reply = Effect.gen(function* () {
 *   const timeout = yield* Timer.after("1 second")
 *   return yield* Select.select(
 *     Select.recv(replies, (r) => Effect.succeed(r._tag === "Some" ? r.value : "closed")),
 *     Select.recv(timeout, () => Effect.succeed("timed out"))
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const after = (duration: Duration.Input): Effect.Effect<Chan.RecvChan<number>, never, Scope.Scope> =>
  Effect.map(make(duration), (t) => t.c)

/**
 * Stops the timer. Returns true if the call stopped it, false if it had
 * already fired or been stopped. Go: `t.Stop()`. Afterwards no value of the
 * stopped schedule can be received (Go 1.23).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Timer } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const t = yield* Timer.make("1 minute")
 *   return yield* Timer.stop(t) // true: it had not fired
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const stop = (self: Timer): Effect.Effect<boolean> =>
  Effect.withFiber((fiber) => Exit.succeed(disarm(impl(self), fiber)))

/**
 * Re-arms the timer to fire after `duration`, counted from now. Returns true
 * if it had been active. Go: `t.Reset(d)`, with Go 1.23's guarantee that no
 * stale value is received afterwards. A bad duration (as in {@link make}) is
 * a defect ({@link InvalidDurationError}) and leaves the timer as it was.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Timer } from "effect-go"
 *
 * declare const activity: Chan.RecvChan<string>
 *
 * // An idle timeout: every message pushes the deadline back.
 * const watch = Effect.gen(function* () {
 *   const idle = yield* Timer.make("30 seconds")
 *   yield* Chan.forEach(activity, () => Timer.reset(idle, "30 seconds"))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const reset = (self: Timer, duration: Duration.Input): Effect.Effect<boolean> =>
  Effect.flatMap(decodeDuration(duration, true), (d) =>
    // Disarming and arming happen in one step: a concurrent stop or reset
    // comes wholly before or after. Uninterruptible from arming to the
    // scope's finalizer.
    Effect.uninterruptible(
      Effect.withFiber((fiber) => {
        const t = impl(self)
        const wasArmed = disarm(t, fiber)
        return Effect.as(arm(t, d, fiber), wasArmed)
      })
    )
  )

/**
 * Runs `effect` in its own fiber after `duration`, unless stopped first.
 * Go: `time.AfterFunc(d, f)`. The returned `stop` says whether it prevented
 * the call (false once `effect` has started). The fiber belongs to the
 * scope; the outcome of `effect` is its own affair (a failure is ignored, as
 * nothing waits for it).
 *
 * It cannot fail: a bad duration (as in {@link make}:
 * {@link InvalidDurationError}) and an `effect` that is not an Effect
 * (`InvalidArgumentError`) are defects raised when it runs.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Timer } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const reminder = yield* Timer.afterFunc("5 seconds", Console.log("still working…"))
 *   // ... work that usually takes less than 5 seconds ...
 *   yield* reminder.stop // true if the reminder had not started
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const afterFunc = <E, R>(
  duration: Duration.Input,
  effect: Effect.Effect<void, E, R>
): Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, never, R | Scope.Scope> =>
  isEffect(effect)
    ? afterFuncChecked(duration, effect)
    : Exit.die(invalidArgument("Timer.afterFunc", "an Effect", effect))

const afterFuncChecked = <E, R>(
  duration: Duration.Input,
  effect: Effect.Effect<void, E, R>
): Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, never, R | Scope.Scope> =>
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

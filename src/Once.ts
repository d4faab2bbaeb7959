/**
 * Run an initializer exactly once: Go's `sync.Once`, `sync.OnceFunc`,
 * `sync.OnceValue` and `sync.OnceValues`.
 *
 * Three shapes:
 * - {@link make} + {@link do}: Go's `var once sync.Once; once.Do(f)`;
 * - {@link func}: Go's `sync.OnceFunc(f)`, an Effect that runs `f` the first
 *   time and replays its outcome afterwards;
 * - {@link value}: Go's `sync.OnceValue(f)` and `sync.OnceValues(f)` (the
 *   `(T, error)` pair of OnceValues is the Effect's success and error
 *   channels), a memoizing `Effect<A, E, R>`.
 *
 * Semantics, for all three:
 * - concurrent callers run the initializer once; the others wait for it and
 *   all get its outcome;
 * - a failure or a defect is an outcome: it is recorded and replayed to every
 *   later caller, and the initializer never runs again (Go's OnceFunc /
 *   OnceValue documentation, and Go's `TestOncePanic`: a panic means done);
 * - interruption is not an outcome: an interrupted initializer records
 *   nothing, and the longest-waiting caller (or else the next one to come)
 *   runs it again. The initializer runs in the calling fiber, so interrupting
 *   a caller that waits never interrupts the initializer another caller runs;
 * - "interrupted" is what Effect reports for the initializer. Once records
 *   the outcome in the step that completes the initializer, with no step of
 *   its own in between, so an initializer whose last step hands its value
 *   straight on (`Effect.sync(...)`) is done as soon as that step ran. But
 *   Effect may yield, and deliver an interruption, before any step of the
 *   initializer, and its last step may be one that only hands back a value
 *   (the `return` of an `Effect.gen`, `Effect.as`): the run is then reported
 *   interrupted although its last statement ran, there is no value to
 *   record, and the next caller runs it again. Effect's own `cached` treats
 *   such a run the same way, and running the initializer in a fiber of its
 *   own would not change it (interrupting that fiber races with its end in
 *   the same way). So write initializers that can run again after an
 *   interruption, or call uninterruptibly
 *   (`Effect.uninterruptible(Once.do(once, init))`): an initializer that
 *   cannot be interrupted always has its outcome recorded;
 * - a recursive call from the fiber running the initializer is a defect,
 *   {@link OnceRecursiveError} (Go deadlocks). A recursive call from another
 *   fiber that the initializer waits for still deadlocks, as in Go;
 * - once done, the initializer is no longer referenced (Go's `TestOnceXGC`).
 *
 * Where this differs from Go's `Once.Do`: Go's later calls return normally
 * after `f` panicked, so they cannot tell that the initialization failed;
 * here every later call replays the recorded failure or defect, as Go's
 * OnceFunc does. To keep that type-safe, a `Once` carries its error type:
 * `Once.make<DbError>()`. Nothing else is a typed error: misuse (recursion,
 * an initializer that is not an Effect) is a defect of the call.
 *
 * A Once is `Pipeable` and `Inspectable`: `String(once)` and
 * `console.log(once)` show `{ _id: "Once", name, done, running, waiters }`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Once } from "effect-go"
 *
 * interface AppConfig {
 *   readonly port: number
 * }
 * class ConfigFileError {
 *   readonly _tag = "ConfigFileError"
 * }
 * declare const readConfigFile: Effect.Effect<AppConfig, ConfigFileError>
 *
 * // Go: var loadConfig = sync.OnceValue(func() Config { ... })
 * const loadConfig = Once.value(readConfigFile) // Effect<AppConfig, ConfigFileError>
 *
 * const program = Effect.gen(function* () {
 *   const [a, b] = yield* Effect.all([loadConfig, loadConfig], { concurrency: 2 })
 *   return a === b // true: readConfigFile ran once
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Inspectable from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import { badTelemetryOption, invalidArgument, type InvalidArgumentError, unwrap } from "./internal/copied.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { anyone, type Diagnosis } from "./internal/registry.ts"
import { setTelemetry } from "./internal/telemetry.ts"
import { type BlockedFiber, block, shallow, Waiter, WaiterList, wake } from "./internal/waiters.ts"

const TypeId = "~effect-go/Once" as const

/**
 * Runs one initializer exactly once. Create it with {@link make}, use it with
 * {@link do}. `E` is the error an initializer may fail with, replayed to
 * every later caller.
 *
 * `Pipeable` and `Inspectable`: its `toJSON()` is
 * `{ _id: "Once", name, done, running, waiters }` (whether an outcome is
 * recorded, whether a fiber runs the initializer, and how many wait for it,
 * right now).
 *
 * @category models
 * @since 0.1.0
 */
export interface Once<in out E = never> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: { readonly _E: (_: E) => E }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A call made, from the fiber running the initializer, to the Once it is
 * initializing: a defect (in Go this call deadlocks).
 *
 * @category errors
 * @since 0.1.0
 */
export class OnceRecursiveError extends Data.TaggedError("OnceRecursiveError")<{
  readonly onceName: string | undefined
}> {
  override get message(): string {
    return "sync: Once.Do called recursively"
  }
}

/**
 * Options for {@link make}, {@link func} and {@link value}.
 *
 * @category models
 * @since 0.1.0
 */
export interface OnceOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this Once alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal memo); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

const IDLE = 0
const RUNNING = 1
const DONE = 2

/**
 * A waiter is woken with `true` when it must run the initializer itself (the
 * previous runner was interrupted), with `false` when the outcome is recorded.
 */
class TurnWaiter extends Waiter<boolean> {}

class OnceImpl extends PrimitiveBase {
  readonly [TypeId] = { _E: (_: never) => _ }
  readonly name: string | undefined
  /** What a waiter is doing, for dumps: "do", "func" or "value". */
  readonly op: string
  /**
   * The initializer's value is not kept ("do", "func"): a success is
   * recorded as void. The initializer itself runs unmapped, so that the
   * step that completes it is the step that records it (see `execute`).
   */
  readonly discard: boolean
  state: typeof IDLE | typeof RUNNING | typeof DONE = IDLE
  /** The fiber running the initializer, while RUNNING. */
  runner: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** The recorded outcome, once DONE. */
  exit: Exit.Exit<any, any> | undefined = undefined
  /** The initializer, for {@link func} / {@link value}; dropped once DONE. */
  effect: Effect.Effect<any, any, any> | undefined = undefined
  readonly waiters: WaiterList<TurnWaiter>
  constructor(name: string | undefined, op: string) {
    super()
    this.name = name
    this.op = op
    this.discard = op !== "value"
    this.waiters = new WaiterList("Once", name, this, op)
  }
  /** The waiters wait for the fiber that runs the initializer to finish it. */
  diagnose(): Diagnosis {
    const runner = this.state === RUNNING ? this.runner : undefined
    return {
      kind: "Once",
      name: this.name,
      state: { state: this.state === IDLE ? "idle" : this.state === RUNNING ? "running" : "done" },
      queues: [{ list: this.waiters, wakers: runner === undefined ? anyone : { _tag: "AllOf", fibers: [runner] } }],
      holders: runner === undefined ? [] : [{ fiber: runner, role: "runs the initializer" }]
    }
  }
  toJSON() {
    return {
      _id: "Once",
      name: this.name,
      done: this.state === DONE,
      running: this.state === RUNNING,
      waiters: this.waiters.size
    }
  }
}

const impl = <E>(self: Once<E>): OnceImpl => unwrap(self, OnceImpl, "Once")

const exitTrue: Exit.Exit<boolean> = Exit.succeed(true)
const exitFalse: Exit.Exit<boolean> = Exit.succeed(false)
/** What a waiter that got the turn and left without running the initializer counts as. */
const interrupted = Exit.interrupt()

/** What is recorded: the outcome without the interruptions mixed into it. */
const outcome = <A, E>(exit: Exit.Exit<A, E>): Exit.Exit<A, E> =>
  Exit.isSuccess(exit) || !Cause.hasInterrupts(exit.cause)
    ? exit
    : Exit.failCause(Cause.fromReasons(exit.cause.reasons.filter((r) => !Cause.isInterruptReason(r))))

/**
 * The initializer ended. Interruption only: hand the turn to the head waiter
 * (or go back to IDLE). Anything else: record it and release every waiter.
 */
const finish = (o: OnceImpl, exit: Exit.Exit<unknown, unknown>): void => {
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
    // The turn goes to the head waiter whose fiber has not left.
    for (let next = o.waiters.shift(); next !== undefined; next = o.waiters.shift()) {
      o.runner = next.fiber
      if (wake(next, exitTrue)) return
    }
    o.state = IDLE
    o.runner = undefined
    return
  }
  o.state = DONE
  o.exit = o.discard && Exit.isSuccess(exit) ? Exit.void : outcome(exit)
  o.runner = undefined
  o.effect = undefined
  // A waiter woken earlier in this loop may have interrupted this one: `wake` skips it.
  for (const node of o.waiters.drain()) wake(node, exitFalse)
}

/**
 * Runs the initializer and records its outcome. The recording is the frame
 * right under the initializer, reached in the very step that completes it:
 * the value goes straight from the initializer's last step to this `onExit`,
 * through `restore`'s frame, which ends the interruptible region in that same
 * step. Anything between them (an `Effect.asVoid` around the initializer, a
 * `map`) would be a step of its own, before which Effect may yield and
 * deliver an interruption: a run that finished would then be reported
 * interrupted and run again. So "do" and "func" drop the value after the
 * recording, not before.
 */
const execute = <A, E, R>(
  o: OnceImpl,
  effect: Effect.Effect<A, E, R>,
  restore: <AX, EX, RX>(effect: Effect.Effect<AX, EX, RX>) => Effect.Effect<AX, EX, RX>
): Effect.Effect<A, E, R> => {
  const recorded = Effect.onExit(restore(effect), (exit) =>
    shallow(() => {
      finish(o, exit)
      return Exit.void
    })
  )
  return o.discard ? (Effect.asVoid(recorded) as Effect.Effect<any, E, R>) : recorded
}

/**
 * Settles a call without waiting when it can: `false` when the outcome is
 * recorded (replay it), `true` when nobody runs the initializer (this fiber
 * takes the turn and must run it), undefined while another fiber runs it.
 * The fast path of every call, and the re-check `block` makes at the moment
 * of parking (the runner may have finished, or been interrupted, since).
 */
const turnNow = (o: OnceImpl, fiber: Fiber.Fiber<unknown, unknown>): Exit.Exit<boolean> | undefined => {
  if (o.state === DONE) return exitFalse
  if (o.state === RUNNING) return undefined
  o.state = RUNNING
  o.runner = fiber
  return exitTrue
}

const runSlow = <A, E, R>(o: OnceImpl, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiber((fiber): Effect.Effect<A, E, R> => {
      const now = turnNow(o, fiber)
      if (now !== undefined) return now === exitTrue ? execute(o, effect, restore) : (o.exit as Exit.Exit<A, E>)
      if (o.runner === fiber) return Exit.die(new OnceRecursiveError({ onceName: o.name }))
      const node = new TurnWaiter()
      node.op = o.op
      // A turn that meets an interruption (granted, never seen) passes on
      // as if the initializer had been interrupted.
      const parked = restore(
        block(
          o.waiters,
          node,
          fiber,
          (_, granted) => {
            if (granted === exitTrue) finish(o, interrupted)
          },
          () => turnNow(o, fiber)
        )
      )
      return Effect.flatMap(
        parked,
        (mine): Effect.Effect<A, E, R> => (mine ? execute(o, effect, restore) : (o.exit as Exit.Exit<A, E>))
      )
    })
  )

const run = <A, E, R>(self: Once<any>, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const o = impl(self)
    if (!isEffect(effect)) return Exit.die(invalidArgument("Once.do", "an Effect", effect))
    return o.state === DONE ? (o.exit as Exit.Exit<A, E>) : runSlow(o, effect)
  })

/** What is wrong with the options of `op`, if anything: reported inside the Effect (thrown by `makeUnsafe`). */
const badOptions = (op: string, options: OnceOptions | undefined): InvalidArgumentError | undefined => {
  return badTelemetryOption(op, options)
}

/** A Once with checked options, its `telemetry` option applied. */
const build = (options: OnceOptions | undefined, op: string): OnceImpl => {
  const o = new OnceImpl(options?.name, op)
  setTelemetry(o, options?.telemetry)
  return o
}

/**
 * Creates a Once outside of an Effect. `E` is the error its initializer may
 * fail with (default: none). Unsafe by name: it throws where {@link make}
 * would die (`InvalidArgumentError` on a `telemetry` option that is not a
 * boolean).
 *
 * @example
 * ```ts
 * import { Once } from "effect-go"
 *
 * const once = Once.makeUnsafe<Error>({ name: "connect" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = <E = never>(options?: OnceOptions): Once<E> => {
  const bad = badOptions("Once.makeUnsafe", options)
  if (bad !== undefined) throw bad
  return build(options, "do") as unknown as Once<E>
}

/**
 * Creates a Once that has not run yet. Go: `var once sync.Once`. `E` is the
 * error its initializer may fail with (default: none). A `telemetry` option
 * that is not a boolean is a defect (`InvalidArgumentError`), raised when the
 * effect runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Once } from "effect-go"
 *
 * class DbError {
 *   readonly _tag = "DbError"
 * }
 * declare const connect: Effect.Effect<void, DbError>
 *
 * const program = Effect.gen(function* () {
 *   const once = yield* Once.make<DbError>()
 *   yield* Once.do(once, connect)
 *   yield* Once.do(once, connect) // does not connect again
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <E = never>(options?: OnceOptions): Effect.Effect<Once<E>> =>
  Effect.suspend(() => {
    const bad = badOptions("Once.make", options)
    return bad === undefined ? Exit.succeed(build(options, "do") as unknown as Once<E>) : Exit.die(bad)
  })

/**
 * Runs `effect` if this is the first call to `do` on `self` (or every earlier
 * run was interrupted); otherwise waits for that run and replays its outcome.
 * Go: `once.Do(f)`.
 *
 * As in Go, only the first call's effect runs, even if later calls pass
 * another one; its value is discarded. Its failure or defect is replayed to
 * every call (Go's later `Do` calls return normally instead). Interrupting
 * the caller that runs `effect` records nothing: the longest waiter runs its
 * own effect instead. A call from the running initializer's own fiber is a
 * defect ({@link OnceRecursiveError}).
 *
 * @category combinators
 * @since 0.1.0
 */
const do_: {
  /**
   * Returns a function that runs its effect if this is the first call to
   * `do` on `self` (or every earlier run was interrupted), and otherwise
   * waits for that run and replays its outcome: the data-last form, for
   * `pipe`. Go: `once.Do(f)`.
   *
   * Only the first call's effect runs; its value is discarded, its failure or
   * defect is replayed to every call. Interrupting the caller that runs it
   * records nothing. A call from the running initializer's own fiber is a
   * defect ({@link OnceRecursiveError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Once } from "effect-go"
   *
   * declare const once: Once.Once
   *
   * const init: Effect.Effect<void> = Effect.log("initialized").pipe(Once.do(once))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E>(self: Once<E>): <A, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<void, E, R>
  /**
   * Runs `effect` if this is the first call to `do` on `self` (or every
   * earlier run was interrupted); otherwise waits for that run and replays
   * its outcome. Go: `once.Do(f)`.
   *
   * Only the first call's effect runs, even if later calls pass another one;
   * its value is discarded, its failure or defect is replayed to every call
   * (Go's later `Do` calls return normally instead). `effect` may fail only
   * with the Once's `E`. Interrupting the caller that runs `effect` records
   * nothing: the longest waiter runs its own effect instead. A call from the
   * running initializer's own fiber is a defect ({@link OnceRecursiveError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Once } from "effect-go"
   *
   * class DbError {
   *   readonly _tag = "DbError"
   * }
   * declare const once: Once.Once<DbError>
   * declare const connect: Effect.Effect<void, DbError>
   *
   * // Go: once.Do(connect)
   * const ensureConnected: Effect.Effect<void, DbError> = Once.do(once, connect)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <E, A, R>(self: Once<E>, effect: Effect.Effect<A, E, R>): Effect.Effect<void, E, R>
} = effectLast(2, run)

export {
  /**
   * Runs the initializer once; every call waits for it and replays its
   * outcome. Go: `once.Do(f)` (see `do_` above for the full contract).
   *
   * @category combinators
   * @since 0.1.0
   */
  do_ as do
}

/**
 * Whether the Once has a recorded outcome (success, failure or defect).
 * A snapshot, for tests and metrics; Go has no equivalent.
 *
 * @category getters
 * @since 0.1.0
 */
export const isDone = <E>(self: Once<E>): Effect.Effect<boolean> => Effect.sync(() => impl(self).state === DONE)

/**
 * The fibers waiting for another fiber's run of the initializer, longest
 * waiting first; `op` is `do` (or `func` / `value` for the memos).
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <E>(self: Once<E>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => impl(self).waiters.blocked())

const memoize = <A, E, R>(
  op: string,
  effect: Effect.Effect<A, E, R>,
  options: OnceOptions | undefined
): Effect.Effect<A, E, R> => {
  if (!isEffect(effect)) return Exit.die(invalidArgument(`Once.${op}`, "an Effect", effect))
  const bad = badOptions(`Once.${op}`, options)
  if (bad !== undefined) return Exit.die(bad)
  const o = build(options, op)
  o.effect = effect
  // Only `o` is captured: once DONE, the initializer can be collected.
  return Effect.suspend(() => (o.state === DONE ? (o.exit as Exit.Exit<A, E>) : runSlow(o, o.effect!)))
}

/**
 * Returns an Effect that runs `effect` the first time it is run and then
 * replays that outcome (void, or the failure or defect) on every run.
 * Go: `sync.OnceFunc(f)`.
 *
 * Concurrent runs wait for the first. An interrupted run records nothing.
 * Each call to `func` makes a new memo, so call it once, where Go would
 * declare the `OnceFunc` variable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Once } from "effect-go"
 *
 * const warnOnce = Once.func(Effect.logWarning("deprecated option used"))
 *
 * const program = Effect.gen(function* () {
 *   yield* warnOnce
 *   yield* warnOnce // logs nothing
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const func = <A, E, R>(effect: Effect.Effect<A, E, R>, options?: OnceOptions): Effect.Effect<void, E, R> =>
  memoize("func", effect, options)

/**
 * Returns an Effect that runs `effect` the first time it is run and then
 * replays its outcome — the value, or the failure or defect — on every run.
 * Go: `sync.OnceValue(f)`, and `sync.OnceValues(f)` whose `(T, error)`
 * result is this Effect's success and error channels.
 *
 * Concurrent runs wait for the first and share its outcome. An interrupted
 * run records nothing: the next run (or a waiting one) starts it again. Each
 * call to `value` makes a new memo, so call it once, where Go would declare
 * the `OnceValue` variable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Once } from "effect-go"
 *
 * interface AppConfig {
 *   readonly port: number
 * }
 * declare const loadConfig: Effect.Effect<AppConfig, Error>
 *
 * const getConfig: Effect.Effect<AppConfig, Error> = Once.value(loadConfig)
 * const port = Effect.map(getConfig, (c) => c.port)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const value = <A, E, R>(effect: Effect.Effect<A, E, R>, options?: OnceOptions): Effect.Effect<A, E, R> =>
  memoize("value", effect, options)

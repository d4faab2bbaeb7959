/**
 * A testing kit for concurrent Effect code, usable with any test runner
 * (`effect-go/vitest` wires it into `@effect/vitest`):
 *
 * - {@link leakCheck} — Go's goleak: runs an effect and fails with
 *   {@link FiberLeakError} if a fiber it started outlives it, naming the
 *   leaked fibers and showing, for those blocked on an effect-go primitive,
 *   their entry of the blocked-fiber dump (what they wait on, since when,
 *   who holds it).
 * - {@link expectNoBlockedFibers} and {@link expectNoDeadlock} — the
 *   blocked-fiber dump and the deadlock detector of `Diagnostics` as
 *   assertions, scoped to the caller's region (its leak check, its
 *   `FiberMonitor.track`), so that other tests running in the same process
 *   do not count.
 * - {@link explore} — a seeded schedule explorer, in the spirit of Rust's
 *   loom and Kotlin's lincheck: runs a concurrent "model" under many
 *   schedules, each drawn from one integer seed (the op budget
 *   `Scheduler.MaxOpsBeforeYield` that decides where fibers yield, the
 *   scheduler, a seeded `Random`, seeded interruptions, a `TestClock`), and
 *   stops at the first run that fails, deadlocks, livelocks or leaks, with
 *   the seed and a replay line: the same seed replays the same interleaving.
 *   A race that one plain run never shows (Effect runs a fiber for 2048
 *   steps before it yields) shows within a few hundred seeds.
 *
 * Where Go's tooling differs: goleak compares goroutine stacks before and
 * after a test; a leak check here counts the fibers the checked effect
 * starts (Effect reports every fiber's start and end), so fibers of other
 * tests never count, and no list of fibers to ignore is needed. A leaked
 * fiber is named by the span or the `fiber` log annotation in force where
 * it was forked — goleak's "created by" —, and one parked on an effect-go
 * primitive by what it does now.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 *
 * // Fails with FiberLeakError: "1 fiber forked by the checked effect
 * // is still alive after it ended: 1 × unnamed ... Chan "jobs" ... recv"
 * const test = Testing.leakCheck(
 *   Effect.gen(function* () {
 *     const jobs = yield* Chan.make<number>(0, { name: "jobs" })
 *     yield* Effect.forkDetach(Chan.recv(jobs)) // nobody ever sends or closes
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import * as Diagnostics from "./Diagnostics.ts"
import { snapshot } from "./internal/analysis.ts"
import { invalidArgument } from "./internal/copied.ts"
import {
  type Budgets,
  type Chaos,
  ChaosViolation,
  type ExploreOptions,
  type Failure,
  type FailureKind,
  explore as exploreInternal,
  explorePromise as explorePromiseInternal,
  formatFailure as formatFailureInternal,
  formatReport as formatReportInternal,
  type Model,
  type Report,
  type RunInfo,
  type SchedulerKind
} from "./internal/explore.ts"
import { belongsTo, blockedDump, type LeakedGroup, LeakRegion, regionOf } from "./internal/leaks.ts"
import { serviceFor } from "./internal/regions.ts"
import { isEffect } from "./internal/function.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

// -----------------------------------------------------------------------------
// Leak check
// -----------------------------------------------------------------------------

/**
 * Leaked fibers that share a name: the span name, else the `fiber` log
 * annotation, in force where they were forked (goleak's "created by"), or
 * `"unnamed"`.
 *
 * @category models
 * @since 0.1.0
 */
export interface LeakedFibers extends LeakedGroup {}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/**
 * Fibers started by a {@link leakCheck}ed effect were still alive after it
 * ended (its scope closed, its `forkChild` children interrupted and
 * awaited): goleak's "found unexpected goroutines".
 *
 * The message names them, grouped by the span or `fiber` log annotation in
 * force where they were forked, and shows the blocked-fiber dump of those
 * parked on effect-go primitives:
 *
 * ```text
 * 2 of the 3 fibers forked by "pool stops its workers" are still alive after it ended:
 * 2 × "startWorkers" (named by the span or `fiber` log annotation in force at the fork)
 *
 * effect-go: 2 fibers blocked on 1 primitive
 *
 * Chan "jobs" (capacity 0, len 0)
 *   fiber #12 "worker": recv, blocked 0ms
 *   fiber #13 "worker": recv, blocked 0ms
 * ```
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import * as Testing from "effect-go/Testing"
 *
 * declare const body: Effect.Effect<void>
 *
 * const checked = Testing.leakCheck(body).pipe(
 *   Effect.catchTag("FiberLeakError", (e) => Console.error(`${e.leaked} leaked:`, e.fibers))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class FiberLeakError extends Data.TaggedError("FiberLeakError")<{
  /** How many fibers are still alive. */
  readonly leaked: number
  /** How many fibers the checked effect started (its own fiber included). */
  readonly started: number
  /** The leaked fibers, grouped by name, most numerous first. */
  readonly fibers: ReadonlyArray<LeakedFibers>
  /** The dump of the leaked fibers parked on effect-go primitives; undefined when none is. */
  readonly blocked: Diagnostics.Dump | undefined
  /** The leak check's name ({@link LeakCheckOptions}), e.g. the test's. */
  readonly region: string | undefined
}> {
  override get message(): string {
    const who = this.region === undefined ? "the checked effect" : JSON.stringify(this.region)
    const names = this.fibers.map((g) => `${g.count} × ${g.name === "unnamed" ? "unnamed" : JSON.stringify(g.name)}`)
    // The checked effect's own fiber is among `started`, and it always ended.
    const forked = this.started - 1
    const lines = [
      `${this.leaked === forked ? plural(forked, "fiber") : `${this.leaked} of the ${plural(forked, "fiber")}`} ` +
        `forked by ${who} ${this.leaked === 1 ? "is" : "are"} still alive after it ended:`,
      `${names.join(", ")} (named by the span or \`fiber\` log annotation in force at the fork)`
    ]
    if (this.blocked !== undefined) lines.push("", Diagnostics.format(this.blocked))
    return lines.join("\n")
  }
}

/**
 * Options of {@link leakCheck}.
 *
 * @category models
 * @since 0.1.0
 */
export interface LeakCheckOptions {
  /**
   * Names what is checked (the test's name): in the {@link FiberLeakError}
   * message, and in deadlock reports for its region ("all fibers of region
   * `...` are asleep").
   */
  readonly name?: string | undefined
}

/**
 * Scheduler turns a leak check lets the checked effect's fibers take to end
 * by themselves (a detached fiber finishing its last steps), as goleak
 * retries before it reports. A fiber that sleeps, or waits for something
 * nobody will do, is still alive after them.
 */
const GRACE_TURNS = 8

const graceTurns = (region: LeakRegion, turns: number): Effect.Effect<void> =>
  Effect.suspend(() =>
    region.leaked() === 0 || turns === 0 ? Effect.void : Effect.andThen(Effect.yieldNow, graceTurns(region, turns - 1))
  )

const leakErrorOf = (region: LeakRegion, at: number): FiberLeakError =>
  withoutStack(
    new FiberLeakError({
      leaked: region.leaked(),
      started: region.started,
      fibers: region.names(),
      blocked: blockedDump((f) => belongsTo(f, region), at),
      region: region.regionName
    })
  )

/**
 * `error` with a stack of its message only: the stack where the kit made it
 * is effect-go's own code, which test runners would show first (with a code
 * frame) instead of the report.
 */
const withoutStack = <E extends Error>(error: E): E => {
  error.stack = `${error.name}: ${error.message}`
  return error
}

const nameOf = (options: unknown): string | undefined | Error => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null)
    return invalidArgument("Testing.leakCheck", "an options object", options)
  const name = (options as LeakCheckOptions).name
  if (name !== undefined && typeof name !== "string")
    return invalidArgument("Testing.leakCheck", "a string (the `name` option)", name)
  return name
}

/**
 * Runs `body` and fails with {@link FiberLeakError} if a fiber it started
 * is still alive after it ended: Go's `goleak.VerifyNone(t)`, for one
 * effect.
 *
 * `body` runs in a fiber of its own, with a `Scope` of its own: when it
 * ends, its `forkChild` children are interrupted and awaited and its scope
 * is closed (so `forkScoped` fibers are interrupted too). What is left is a
 * leak: a fiber forked with `forkDetach`, into a longer-lived scope
 * (`forkIn`), or started with a runtime of its own that still runs after a
 * few scheduler turns. Fibers started elsewhere (other tests of the same
 * process) never count. When the body failed (or was interrupted: a test
 * that timed out), its failure is kept and the leak follows it in the
 * cause, as a defect.
 *
 * Something that is no Effect is a defect (`InvalidArgumentError`), as is a
 * bad option.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 *
 * const test = Testing.leakCheck(
 *   Effect.gen(function* () {
 *     const jobs = yield* Chan.make<number>(0, { name: "jobs" })
 *     yield* Effect.forkScoped(Chan.forEach(jobs, () => Effect.void)) // interrupted when the body's scope closes
 *     yield* Chan.send(jobs, 1)
 *   }),
 *   { name: "sends a job" }
 * )
 * ```
 *
 * @category assertions
 * @since 0.1.0
 */
export const leakCheck = <A, E, R>(
  body: Effect.Effect<A, E, R>,
  options?: LeakCheckOptions
): Effect.Effect<A, E | FiberLeakError, Exclude<R, Scope.Scope>> =>
  Effect.withFiber((fiber) => {
    if (!isEffect(body)) return Exit.die(invalidArgument("Testing.leakCheck", "an Effect", body))
    const name = nameOf(options)
    if (name instanceof Error) return Exit.die(name)
    const region = new LeakRegion(name)
    // Only the body's fiber (and what it starts) runs under the region: the
    // fiber that checks is no leak of its own.
    const service = serviceFor(region, fiber.getRef(Metric.FiberRuntimeMetrics))
    const checked = Effect.forkChild(
      Effect.scoped(body as Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope>)
    ).pipe(
      Effect.provideService(Metric.FiberRuntimeMetrics, service),
      Effect.flatMap(Fiber.await),
      Effect.flatMap((exit) => {
        // From here the check judges the fibers left, as leaks: the
        // detector's all-asleep rule must not report them meanwhile.
        region.close()
        return Effect.andThen(
          graceTurns(region, GRACE_TURNS),
          Effect.withFiber((self): Effect.Effect<A, E | FiberLeakError> => {
            if (region.leaked() === 0) return exit
            const error = leakErrorOf(region, self.getRef(Clock.Clock).currentTimeMillisUnsafe())
            // After a failure, the leak is reported as a defect behind it, so
            // that what the body failed with stays the failure a runner shows
            // first (a runner shows one failure: typed failures before defects).
            return Exit.isSuccess(exit) ? Exit.fail(error) : Exit.failCause(Cause.combine(exit.cause, Cause.die(error)))
          })
        )
      })
    )
    return checked as Effect.Effect<A, E | FiberLeakError, Exclude<R, Scope.Scope>>
  })

// -----------------------------------------------------------------------------
// Assertions over the blocked fibers
// -----------------------------------------------------------------------------

/**
 * Fibers were blocked on effect-go primitives where
 * {@link expectNoBlockedFibers} expected none. The message is their
 * blocked-fiber dump (see `Diagnostics.format`); `dump` is the data.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import * as Testing from "effect-go/Testing"
 *
 * const report = Testing.expectNoBlockedFibers.pipe(
 *   Effect.catchTag("BlockedFibersError", (e) => Console.error(`${e.dump.fibers} blocked:\n${e.message}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class BlockedFibersError extends Data.TaggedError("BlockedFibersError")<{
  readonly dump: Diagnostics.Dump
}> {
  override get message(): string {
    return Diagnostics.format(this.dump)
  }
}

/** The fibers the caller's assertions look at: its region's, or every fiber outside any region. */
const scopeOf = (fiber: AnyFiber): ((f: AnyFiber) => boolean) => {
  const region = regionOf(fiber.getRef(Metric.FiberRuntimeMetrics))
  return region === undefined ? () => true : (f) => belongsTo(f, region)
}

/**
 * Fails with {@link BlockedFibersError} if a fiber of the caller's region
 * is parked on an effect-go primitive now: a worker stuck on a send, a
 * waiter nobody will wake. The caller's region is that of its leak check
 * (every test of `effect-go/vitest`), of its `FiberMonitor.track`, or of the
 * `Diagnostics` layer; outside any region, every fiber of the process
 * counts.
 *
 * It looks at one moment: let the fibers you forked run first (join them,
 * or yield) so that one that is about to be woken is not caught waiting.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 *
 * const test = Effect.gen(function* () {
 *   const results = yield* Chan.make<number>(0)
 *   yield* Effect.forkChild(Chan.send(results, 42))
 *   yield* Chan.recv(results)
 *   yield* Testing.expectNoBlockedFibers // the sender got through
 * })
 * ```
 *
 * @category assertions
 * @since 0.1.0
 */
export const expectNoBlockedFibers: Effect.Effect<void, BlockedFibersError> = Effect.withFiber((fiber) => {
  const dump = blockedDump(scopeOf(fiber), fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())
  return dump === undefined ? Exit.void : Exit.fail(withoutStack(new BlockedFibersError({ dump })))
})

/**
 * Fails with `Diagnostics.DeadlockError` (in the error channel: here a
 * deadlock is what the assertion is about) if `Diagnostics.findDeadlocks`
 * finds fibers of the caller's region that can never be woken: a wait-for
 * cycle (a lock-order inversion), or a region whose fibers are all asleep.
 * The caller's region is as for {@link expectNoBlockedFibers}; outside any
 * region, any deadlock of the process counts. The error's message is the
 * deadlock report (the fibers, what each waits on and for whom, the cycle).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Mutex } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 *
 * declare const transfer: (from: Mutex.Mutex, to: Mutex.Mutex) => Effect.Effect<void>
 *
 * const test = Effect.gen(function* () {
 *   const a = yield* Mutex.make({ name: "a" })
 *   const b = yield* Mutex.make({ name: "b" })
 *   yield* Effect.forkChild(transfer(a, b))
 *   yield* Effect.forkChild(transfer(b, a))
 *   yield* Effect.yieldNow
 *   yield* Testing.expectNoDeadlock // fails if each holds one lock and waits for the other
 * })
 * ```
 *
 * @category assertions
 * @since 0.1.0
 */
export const expectNoDeadlock: Effect.Effect<void, Diagnostics.DeadlockError> = Effect.flatMap(
  Diagnostics.findDeadlocks,
  (found) =>
    Effect.withFiber((fiber) => {
      if (found.length === 0) return Exit.void
      const include = scopeOf(fiber)
      const mine = new Set<number>()
      for (const f of snapshot().fibers.keys()) if (include(f)) mine.add(f.id)
      const deadlock = found.find((d) => d.fibers.some((f) => mine.has(f.fiber.id)))
      return deadlock === undefined ? Exit.void : Exit.fail(new Diagnostics.DeadlockError({ deadlock }))
    })
)

// -----------------------------------------------------------------------------
// The schedule explorer
// -----------------------------------------------------------------------------

export type {
  /**
   * The op budgets (`Scheduler.MaxOpsBeforeYield`) runs draw from: a list
   * (drawn uniformly), or `{ min, max }` drawn log-uniformly with a skew
   * towards small budgets. Integers of at least 3 (Effect livelocks below).
   *
   * @category models
   * @since 0.1.0
   */
  Budgets,
  /**
   * What a model sees of its run: seeded choices (`int`, `between`,
   * `chance`, `pick`), seeded yields and interruptions (`yields`,
   * `interruptLater`), and bookkeeping (`count`, `trace`, `note`, `fail`).
   *
   * @category models
   * @since 0.1.0
   */
  Chaos,
  /**
   * Options of {@link explore}: where to start (`seed`), when to stop
   * (`runs`, `maxOps`, `maxMillis`), what to draw (`budgets`, `schedulers`),
   * what counts as a failure (`runTimeoutMillis`, `checkLeaks`), how to
   * spell a replay (`replay`), progress (`onRun`) and cancellation
   * (`signal`).
   *
   * @category models
   * @since 0.1.0
   */
  ExploreOptions,
  /**
   * The first failing run of an exploration: its seed and schedule, why it
   * failed, the model's notes, the replay line, and whether a re-run
   * reproduced it.
   *
   * @category models
   * @since 0.1.0
   */
  Failure,
  /**
   * Why a run failed: `"failed"` (the model failed or died), `"deadlock"`,
   * `"timeout"` (a livelock), `"leak"`.
   *
   * @category models
   * @since 0.1.0
   */
  FailureKind,
  /**
   * A concurrent program to explore: `(chaos) => Effect`, run in a `Scope`
   * that closes when the run ends.
   *
   * @category models
   * @since 0.1.0
   */
  Model,
  /**
   * The outcome of an exploration: runs, operations, seeds, and the first
   * failure if any.
   *
   * @category models
   * @since 0.1.0
   */
  Report,
  /**
   * What one run was (seed, op budget, scheduler) and did (operations,
   * fibers, scheduler tasks, trace fingerprint).
   *
   * @category models
   * @since 0.1.0
   */
  RunInfo,
  /**
   * The scheduler of a run: `"default"` (Effect's, on `setImmediate`) or
   * `"sync"` (microtasks).
   *
   * @category models
   * @since 0.1.0
   */
  SchedulerKind
}

export {
  /**
   * A model's invariant broken: what `chaos.fail(message)` fails with. The
   * failure's message is the exploration failure's message.
   *
   * @category errors
   * @since 0.1.0
   */
  ChaosViolation
}

/**
 * Runs `model` under many seeded schedules and stops at the first run that
 * breaks: a schedule explorer, as Rust's loom or Kotlin's lincheck. Succeeds
 * with the {@link Report}; a failing run is in `report.failure`, with its
 * seed and replay line (print it with {@link formatFailure}).
 *
 * Each run is derived from its seed alone: the op budget
 * (`Scheduler.MaxOpsBeforeYield`, 3 to 2048, mostly small: a fiber yields
 * after that many steps, so small budgets interleave fibers almost anywhere),
 * the scheduler (Effect's default or a synchronous one), a seeded `Random`
 * (select's choices), the model's own draws through {@link Chaos}
 * (including interruptions at seeded points), and a `TestClock` that only
 * the model moves. Run `i` has seed `seed + i`; `{ seed, runs: 1 }` replays
 * one run exactly.
 *
 * A run fails when the model fails or dies (`chaos.fail`, a failed
 * assertion), deadlocks (every fiber waits and nothing is left to run —
 * the failure shows the blocked-fiber dump), runs past `runTimeoutMillis`
 * (a livelock), or leaves a fiber it started alive (a leak, named). A
 * failure is run twice: `reproduced` says whether the second run failed the
 * same way. Defaults: 100 runs from a random seed.
 *
 * The runs are root fibers of their own (own scheduler, clock, random
 * service); interrupting the exploration stops it after the current run.
 * Bad input (a model that is no function or returns no Effect, a bad
 * option) is a defect: `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Chan } from "effect-go"
 * import * as Testing from "effect-go/Testing"
 *
 * // Check-then-act across a channel send: two bookings may both see the last seat.
 * const model = (chaos: Testing.Chaos) =>
 *   Effect.gen(function* () {
 *     let seats = 1
 *     const audit = yield* Chan.make<string>(2)
 *     const book = (who: string) =>
 *       Effect.gen(function* () {
 *         if (seats > 0) {
 *           yield* Chan.send(audit, who)
 *           seats--
 *         }
 *       })
 *     yield* Effect.all([book("ann"), book("bob")], { concurrency: "unbounded" })
 *     if (seats < 0) return yield* chaos.fail(`oversold: ${seats} seats left`)
 *   })
 *
 * const program = Effect.gen(function* () {
 *   const report = yield* Testing.explore(model, { seed: 1, runs: 500 })
 *   if (report.failure !== undefined) yield* Console.error(Testing.formatFailure(report.failure))
 * })
 * ```
 *
 * @category explorer
 * @since 0.1.0
 */
export const explore = (model: Model, options?: ExploreOptions): Effect.Effect<Report> =>
  exploreInternal(model, options)

/**
 * {@link explore} as a Promise, for test runners that await one (node's
 * test runner, Jest, Mocha): resolves with the {@link Report}, rejects with
 * `InvalidArgumentError` on bad input. Stop it early with `signal`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Testing from "effect-go/Testing"
 *
 * declare const model: Testing.Model
 *
 * const check = async () => {
 *   const report = await Testing.explorePromise(model, { seed: 42, runs: 200 })
 *   if (report.failure !== undefined) throw new Error(Testing.formatFailure(report.failure))
 * }
 * ```
 *
 * @category explorer
 * @since 0.1.0
 */
export const explorePromise = (model: Model, options?: ExploreOptions): Promise<Report> =>
  explorePromiseInternal(model, options)

/**
 * A failure as text: the seed and its schedule (op budget, scheduler,
 * operations, trace fingerprint, whether it reproduced), what broke (with
 * the blocked-fiber dump for a deadlock or a leak), the model's notes and
 * last trace events, and the replay line.
 *
 * ```text
 * failed at seed 1007 (MaxOpsBeforeYield 5, default scheduler, fingerprint 9f2c41d0, reproduced)
 * oversold: -1 seats left
 *   last trace events:
 * replay: EFFECT_GO_SEED=1007 npx vitest run test/booking.test.ts -t '^books the last seat once$'
 * ```
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import * as Testing from "effect-go/Testing"
 *
 * declare const model: Testing.Model
 *
 * const program = Effect.flatMap(Testing.explore(model), (report) =>
 *   report.failure === undefined ? Effect.void : Console.error(Testing.formatFailure(report.failure))
 * )
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatFailure = (failure: Failure): string => formatFailureInternal(failure)

/**
 * A report in one line: runs, seeds, schedulers, operations, time and
 * operations per second, and the failing seed if any.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import * as Testing from "effect-go/Testing"
 *
 * declare const model: Testing.Model
 *
 * const program = Effect.flatMap(Testing.explore(model, { runs: 1000 }), (report) =>
 *   Console.log(Testing.formatReport(report))
 * )
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatReport = (report: Report): string => formatReportInternal(report)

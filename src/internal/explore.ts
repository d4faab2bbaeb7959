/**
 * A seeded, deterministic schedule explorer: runs a concurrent program (a
 * "model") under many schedules and stops at the first one that breaks it,
 * with the seed and a line that replays exactly that schedule. Public as
 * `Testing.explore` (see src/Testing.ts); the chaos suite runs its models
 * with it.
 *
 * Everything a run does is derived from one integer, its seed:
 * - the op budget (`Scheduler.MaxOpsBeforeYield`), skewed towards small
 *   budgets (3 to 2048 by default), where the run loop yields between almost
 *   any two steps and races show;
 * - the scheduler: Effect's default one (tasks run on `setImmediate`) or a
 *   synchronous one (`new Scheduler.MixedScheduler("sync")`, tasks run as
 *   microtasks);
 * - Effect's `Random` service (a seeded generator), so that whatever draws
 *   from it (a select's choice among ready cases) replays;
 * - the model's own choices, drawn through {@link Chaos} (`int`, `chance`,
 *   `pick`, `yields`, `interruptLater`).
 *
 * Time is a `TestClock` (advanced only by the model), so nothing depends on
 * real time; with the same seed a run makes the same interleaving and the same
 * result. Run `i` of an exploration starting at seed `s` has seed `s + i`, so
 * a failing run is replayed alone by its own seed.
 *
 * A run fails when the model's effect fails or dies (an invariant it checks),
 * when it deadlocks (its fibers wait and no task is left to run: detected
 * exactly, without a timeout; the failure shows the blocked-fiber dump of the
 * run's fibers parked on effect-go primitives), when it exceeds a real-time
 * limit (a livelock), or when a fiber it started is still alive after it
 * returned (a leak, with the leaked fibers' names). A failure is run once
 * more to say whether it reproduces with the same trace.
 *
 * The caller decides how a replay is spelled (`replay: (seed) => string`),
 * e.g. a command line or an environment variable for a test runner.
 *
 * Bad input (a model that is no function or returns no Effect, a bad option)
 * rejects {@link explorePromise} with `InvalidArgumentError`, and makes
 * {@link explore} die with it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { format } from "../Diagnostics.ts"
import { snapshot } from "./analysis.ts"
import { InvalidArgumentError, invalidArgument } from "./copied.ts"
import { belongsTo, blockedDump, LeakRegion } from "./leaks.ts"
import { within } from "./regions.ts"
import { isEffect } from "./function.ts"

// -----------------------------------------------------------------------------
// Seeded generator
// -----------------------------------------------------------------------------

/** Murmur3's 32-bit finaliser: a good avalanche for deriving streams from a seed. */
const fmix32 = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A 32-bit state derived from `seed` (any safe integer) for the named stream. */
const deriveState = (seed: number, stream: number): number => {
  const lo = seed >>> 0
  const hi = Math.floor(seed / 0x100000000) >>> 0
  return fmix32(lo ^ fmix32(hi + Math.imul(stream + 1, 0x9e3779b9)))
}

/** Mulberry32: small, fast, and good enough to pick schedules. */
class Prng {
  private state: number
  constructor(state: number) {
    this.state = state >>> 0
  }
  next32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Uniform in [0, 1). */
  nextDouble(): number {
    return this.next32() / 0x100000000
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.nextDouble() * n)
  }
}

/** Effect's `Random` service backed by a seeded generator. */
const seededRandom = (prng: Prng): Random.Random => ({
  nextDoubleUnsafe: () => prng.nextDouble(),
  nextIntUnsafe: () => {
    // A safe integer from two draws (53 bits), signed like Effect's own.
    const high = prng.next32() & 0x1fffff
    const value = high * 0x100000000 + prng.next32()
    return prng.next32() & 1 ? -value : value
  }
})

// Stream numbers: each kind of draw has its own stream, so that adding a draw
// of one kind does not shift the others.
const STREAM_CONFIG = 0
const STREAM_RANDOM = 1
const STREAM_MODEL = 2

// -----------------------------------------------------------------------------
// Public types (re-exported by Testing)
// -----------------------------------------------------------------------------

/** Which scheduler a run uses: Effect's default (`setImmediate`) or the synchronous one (microtasks). */
export type SchedulerKind = "default" | "sync"

/**
 * The op budgets (`Scheduler.MaxOpsBeforeYield`) runs draw from: an explicit
 * list (drawn uniformly), or a range drawn log-uniformly with a skew towards
 * its small end (half the runs land in the lowest eighth of the log range;
 * one run in 16 takes the top). Budgets are integers of at least 3: Effect's
 * run loop livelocks below.
 */
export type Budgets = ReadonlyArray<number> | { readonly min: number; readonly max: number }

/**
 * A concurrent program to explore: it gets the run's {@link Chaos} (seeded
 * choices, seeded interruptions) and a `Scope` that closes when the run
 * ends. It fails or dies when it finds an invariant broken
 * (`chaos.fail("...")`, a failed assertion).
 */
export type Model = (chaos: Chaos) => Effect.Effect<unknown, unknown, Scope.Scope>

/** Options of an exploration. Every one is optional. */
export interface ExploreOptions {
  /** The first run's seed (a non-negative safe integer); run `i` uses `seed + i`. Default: a random one. */
  readonly seed?: number | undefined
  /** Stop after this many runs. Default: 100 when neither `maxOps` nor `maxMillis` is given. */
  readonly runs?: number | undefined
  /** Stop once the runs have counted this many operations (see {@link Chaos.count}). */
  readonly maxOps?: number | undefined
  /** Stop starting runs after this much real time (ms). */
  readonly maxMillis?: number | undefined
  /** Op budgets (`Scheduler.MaxOpsBeforeYield`) to draw from. Default: `{ min: 3, max: 2048 }`. */
  readonly budgets?: Budgets | undefined
  /** Schedulers to draw from. Default: both. */
  readonly schedulers?: ReadonlyArray<SchedulerKind> | undefined
  /** Real time (ms) after which a run counts as a livelock. Default: 10 s. */
  readonly runTimeoutMillis?: number | undefined
  /** Fail a run that leaves a fiber it started alive. Default: true. */
  readonly checkLeaks?: boolean | undefined
  /** How to spell a replay of one seed (a command line, an environment variable...). */
  readonly replay?: ((seed: number) => string) | undefined
  /** Called after every run that passed, with the report so far (progress lines). */
  readonly onRun?: ((run: RunInfo, report: Report) => void) | undefined
  /** Stops the exploration after the current run. */
  readonly signal?: AbortSignal | undefined
}

/** What a run was and what it did. */
export interface RunInfo {
  readonly seed: number
  /** Its op budget (`Scheduler.MaxOpsBeforeYield`). */
  readonly budget: number
  readonly scheduler: SchedulerKind
  /** Operations the model counted (see {@link Chaos.count}). */
  readonly ops: number
  /** Fibers the run started. */
  readonly fibers: number
  /** Scheduler tasks the run queued. */
  readonly tasks: number
  /**
   * A hash of the model's trace (see {@link Chaos.trace}), its operation
   * count, fibers and tasks: equal for two runs of one seed.
   */
  readonly fingerprint: string
}

/** Why a run failed. */
export type FailureKind =
  /** The model's effect failed or died: an invariant it checks was broken. */
  | "failed"
  /** Every fiber of the run waits and no task is left to run. */
  | "deadlock"
  /** The run did not finish within `runTimeoutMillis` of real time (a livelock, or a very slow run). */
  | "timeout"
  /** A fiber the run started was still alive after the run returned. */
  | "leak"

/** The first failing run of an exploration. */
export interface Failure extends RunInfo {
  readonly kind: FailureKind
  /**
   * What broke: the model's message, or the deadlock or leak with the
   * blocked-fiber dump of the run's fibers parked on effect-go primitives.
   */
  readonly message: string
  /** What the model asked to show on failure (see {@link Chaos.note}), then its last trace events. */
  readonly notes: ReadonlyArray<string>
  /** The model's failure, when it failed or died. */
  readonly cause: Cause.Cause<unknown> | undefined
  /** The replay line for this seed (from `options.replay`). */
  readonly replay: string
  /**
   * Whether a second run of the seed failed the same way with the same
   * fingerprint (undefined when not tried: timeouts are not re-run).
   */
  readonly reproduced: boolean | undefined
}

/** The outcome of an exploration. */
export interface Report {
  /** Runs completed (the failing one included). */
  readonly runs: number
  /** Operations counted over all runs. */
  readonly ops: number
  readonly elapsedMillis: number
  readonly opsPerSecond: number
  readonly firstSeed: number
  /** The last seed run (the failing one, if any). */
  readonly lastSeed: number
  /** Runs per scheduler, for the record. */
  readonly bySchedulers: Readonly<Record<SchedulerKind, number>>
  /** The first failing run, if any: the exploration stops there. */
  readonly failure: Failure | undefined
}

/** A model's invariant broken: fail with it through {@link Chaos.fail}. */
export class ChaosViolation extends Data.TaggedError("ChaosViolation")<{ readonly message: string }> {}

/**
 * What a model sees of its run: seeded choices, seeded interruptions, and
 * bookkeeping (operations, trace, notes shown on failure). Every choice is
 * drawn from the run's seed in the order the model asks for it, which the
 * schedule fixes: a replay makes the same choices. A bad argument (`int(0)`,
 * `pick([])`) throws `InvalidArgumentError`: the run dies, and the failure
 * names it.
 */
export interface Chaos {
  /** The run's seed. */
  readonly seed: number
  /** The run's op budget (`Scheduler.MaxOpsBeforeYield`). */
  readonly budget: number
  /** The run's scheduler. */
  readonly scheduler: SchedulerKind
  /** Uniform integer in [0, n), for a positive integer `n`. */
  int(n: number): number
  /** Uniform integer in [min, max], for integers `min <= max`. */
  between(min: number, max: number): number
  /** True with probability `p` (0 to 1). */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<A>(items: ReadonlyArray<A>): A
  /** A seeded number of `Effect.yieldNow` (0 to `max`, default 3), drawn when it runs. */
  yields(max?: number): Effect.Effect<void>
  /**
   * Interrupts `fiber` after a seeded number of scheduler yields (0 to
   * `maxYields`, default 8, skewed small), from a fiber of the run's own:
   * returns at once. Interrupting a fiber that has ended does nothing.
   */
  interruptLater(fiber: Fiber.Fiber<unknown, unknown>, maxYields?: number): Effect.Effect<void>
  /** Counts `n` operations (default 1) towards the operations-per-second figure and `maxOps`. */
  count(n?: number): void
  /** Adds an event to the run's fingerprint (equal runs give equal fingerprints); the last ones show on failure. */
  trace(event: string | number): void
  /** Registers something to show if the run fails (the model's state, a dump). */
  note(label: string, describe: () => unknown): void
  /** Fails the run with a {@link ChaosViolation}. */
  fail(message: string): Effect.Effect<never, ChaosViolation>
}

// -----------------------------------------------------------------------------
// A scheduler that knows when nothing is left to run
// -----------------------------------------------------------------------------

/**
 * Wraps a scheduler to count the tasks queued and not yet run. With a
 * TestClock and no real timers, a run whose count is zero while it has not
 * ended can never progress: a deadlock, detected exactly. Past its deadline
 * it stops handing tasks on, which freezes a livelocked run (the synchronous
 * scheduler would otherwise never give the event loop back).
 */
class CountingScheduler implements Scheduler.Scheduler {
  readonly executionMode: "sync" | "async"
  pending = 0
  queued = 0
  deadline = Number.POSITIVE_INFINITY
  frozen = false
  private readonly inner: Scheduler.Scheduler
  constructor(inner: Scheduler.Scheduler) {
    this.inner = inner
    this.executionMode = inner.executionMode
  }
  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return this.inner.shouldYield(fiber)
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    const inner = this.inner.makeDispatcher()
    return {
      scheduleTask: (task, priority) => {
        if (this.frozen) return
        if ((++this.queued & 1023) === 0 && Date.now() > this.deadline) {
          this.frozen = true
          return
        }
        this.pending++
        inner.scheduleTask(() => {
          this.pending--
          if (!this.frozen) task()
        }, priority)
      },
      flush: () => inner.flush()
    }
  }
}

// -----------------------------------------------------------------------------
// Options
// -----------------------------------------------------------------------------

const DEFAULT_BUDGETS: Budgets = { min: 3, max: 2048 }
const ALL_SCHEDULERS: ReadonlyArray<SchedulerKind> = ["default", "sync"]

const isBudget = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 3

/** `options` checked (see {@link ExploreOptions}), or the error to report for the first bad one. */
export const checkOptions = (op: string, options: unknown): ExploreOptions | InvalidArgumentError => {
  if (options === undefined) return {}
  if (typeof options !== "object" || options === null || Array.isArray(options))
    return invalidArgument(op, "an options object", options)
  const o = options as Record<string, unknown>
  const bad = (name: string, wanted: string): InvalidArgumentError =>
    invalidArgument(op, `${wanted} (the \`${name}\` option)`, o[name])
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && (o.seed as number) >= 0))
    return bad("seed", "a non-negative safe integer")
  if (o.runs !== undefined && !(Number.isSafeInteger(o.runs) && (o.runs as number) >= 0))
    return bad("runs", "a non-negative integer")
  if (o.maxOps !== undefined && !(typeof o.maxOps === "number" && o.maxOps > 0))
    return bad("maxOps", "a positive number")
  if (
    o.maxMillis !== undefined &&
    !(typeof o.maxMillis === "number" && Number.isFinite(o.maxMillis) && o.maxMillis >= 0)
  )
    return bad("maxMillis", "a finite non-negative number of milliseconds")
  if (o.budgets !== undefined) {
    const b = o.budgets as Budgets
    const ok = Array.isArray(b)
      ? b.length > 0 && b.every(isBudget)
      : typeof b === "object" &&
        b !== null &&
        isBudget((b as { min: unknown }).min) &&
        isBudget((b as { max: unknown }).max) &&
        (b as { min: number }).min <= (b as { max: number }).max
    if (!ok)
      return bad(
        "budgets",
        "a non-empty array of integers >= 3, or { min, max } with integers 3 <= min <= max (Effect livelocks below 3)"
      )
  }
  if (
    o.schedulers !== undefined &&
    !(
      Array.isArray(o.schedulers) &&
      o.schedulers.length > 0 &&
      o.schedulers.every((k) => k === "default" || k === "sync")
    )
  )
    return bad("schedulers", 'a non-empty array of "default" and "sync"')
  if (
    o.runTimeoutMillis !== undefined &&
    !(typeof o.runTimeoutMillis === "number" && Number.isFinite(o.runTimeoutMillis) && o.runTimeoutMillis > 0)
  )
    return bad("runTimeoutMillis", "a finite positive number of milliseconds")
  if (o.checkLeaks !== undefined && typeof o.checkLeaks !== "boolean") return bad("checkLeaks", "a boolean")
  if (o.replay !== undefined && typeof o.replay !== "function") return bad("replay", "a function (seed) => string")
  if (o.onRun !== undefined && typeof o.onRun !== "function") return bad("onRun", "a function")
  if (
    o.signal !== undefined &&
    !(typeof o.signal === "object" && o.signal !== null && typeof (o.signal as AbortSignal).aborted === "boolean")
  )
    return bad("signal", "an AbortSignal")
  return o as ExploreOptions
}

// -----------------------------------------------------------------------------
// One run
// -----------------------------------------------------------------------------

const drawBudget = (prng: Prng, budgets: Budgets): number => {
  if ("min" in budgets) {
    const min = Math.max(1, Math.floor(budgets.min))
    const max = Math.max(min, Math.floor(budgets.max))
    // One run in 16 at the top of the range (Effect's default budget is 2048).
    if (prng.int(16) === 0) return max
    const u = prng.nextDouble()
    return Math.min(max, Math.floor(min * (max / min) ** (u * u)))
  }
  return budgets[prng.int(budgets.length)]!
}

/** The budget and scheduler of a seed, under the given options. */
export const configOf = (
  seed: number,
  options: Pick<ExploreOptions, "budgets" | "schedulers"> = {}
): { readonly budget: number; readonly scheduler: SchedulerKind } => {
  const prng = new Prng(deriveState(seed, STREAM_CONFIG))
  const budget = drawBudget(prng, options.budgets ?? DEFAULT_BUDGETS)
  const schedulers = options.schedulers ?? ALL_SCHEDULERS
  const scheduler = schedulers[prng.int(schedulers.length)]!
  return { budget, scheduler }
}

const yieldTimes = (n: number): Effect.Effect<void> => {
  if (n <= 0) return Effect.void
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => Effect.yieldNow, step: () => {} })
}

/** How many of the last trace events a failure shows. */
const RECENT = 24

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0

/** The methods of {@link Chaos}: bound to their run, so that they work detached. */
const CHAOS_METHODS = [
  "int",
  "between",
  "chance",
  "pick",
  "yields",
  "interruptLater",
  "count",
  "trace",
  "note",
  "fail"
] as const satisfies ReadonlyArray<keyof Chaos>

class ChaosImpl implements Chaos {
  readonly seed: number
  readonly budget: number
  readonly scheduler: SchedulerKind
  ops = 0
  hash = 0x811c9dc5
  readonly notes: Array<[string, () => unknown]> = []
  scope: Scope.Scope | undefined = undefined
  /** The run's TestClock, once the run started. */
  clock: Clock.Clock | undefined = undefined
  private readonly prng: Prng
  constructor(seed: number, budget: number, scheduler: SchedulerKind) {
    this.seed = seed
    this.budget = budget
    this.scheduler = scheduler
    this.prng = new Prng(deriveState(seed, STREAM_MODEL))
    // A model passes these around as callbacks (`items.forEach(chaos.trace)`).
    for (const method of CHAOS_METHODS) Object.defineProperty(this, method, { value: this[method].bind(this) })
  }
  int(n: number): number {
    if (!(isCount(n) && n > 0)) throw invalidArgument("Chaos.int", "a positive integer", n)
    return this.prng.int(n)
  }
  between(min: number, max: number): number {
    if (!Number.isSafeInteger(min)) throw invalidArgument("Chaos.between", "an integer minimum", min)
    if (!(Number.isSafeInteger(max) && max >= min))
      throw invalidArgument("Chaos.between", `an integer maximum >= the minimum ${min}`, max)
    return min + this.prng.int(max - min + 1)
  }
  chance(p: number): boolean {
    if (!(typeof p === "number" && p >= 0 && p <= 1))
      throw invalidArgument("Chaos.chance", "a probability from 0 to 1", p)
    return this.prng.nextDouble() < p
  }
  pick<A>(items: ReadonlyArray<A>): A {
    if (!(Array.isArray(items) && items.length > 0)) throw invalidArgument("Chaos.pick", "a non-empty array", items)
    return items[this.prng.int(items.length)]!
  }
  yields(max = 3): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!isCount(max)) return Effect.die(invalidArgument("Chaos.yields", "a non-negative integer", max))
      return yieldTimes(this.prng.int(max + 1))
    })
  }
  interruptLater(fiber: Fiber.Fiber<unknown, unknown>, maxYields = 8): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!Fiber.isFiber(fiber)) return Effect.die(invalidArgument("Chaos.interruptLater", "a Fiber", fiber))
      if (!isCount(maxYields))
        return Effect.die(invalidArgument("Chaos.interruptLater", "a non-negative integer of yields", maxYields))
      // Skewed small: most interruptions land within the first few yields.
      const u = this.prng.nextDouble()
      const n = Math.floor(u * u * (maxYields + 1))
      const interrupter = Effect.andThen(yieldTimes(n), Fiber.interrupt(fiber))
      return Effect.asVoid(Effect.forkIn(interrupter, this.scope!))
    })
  }
  count(n = 1): void {
    this.ops += n
  }
  /** The last {@link RECENT} trace events, shown on failure. */
  readonly recent: Array<string> = []
  private recentAt = 0
  trace(event: string | number): void {
    const s = typeof event === "number" ? `#${event}` : String(event)
    this.recent[this.recentAt++ % RECENT] = s
    let h = this.hash
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    this.hash = Math.imul(h ^ 0x2c, 0x01000193) >>> 0
  }
  recentEvents(): Array<string> {
    const n = Math.min(this.recentAt, RECENT)
    return Array.from({ length: n }, (_, i) => this.recent[(this.recentAt - n + i) % RECENT]!)
  }
  note(label: string, describe: () => unknown): void {
    this.notes.push([label, describe])
  }
  fail(message: string): Effect.Effect<never, ChaosViolation> {
    return Effect.fail(new ChaosViolation({ message }))
  }
}

/** What one run came to; `failure` is set when it failed. */
export interface RunOutcome extends RunInfo {
  readonly failure: Omit<Failure, "replay" | "reproduced"> | undefined
}

const nextMacrotask = (): Promise<void> =>
  new Promise((resolve) => {
    const set = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate
    if (set !== undefined) set(resolve)
    else setTimeout(resolve, 0)
  })

const describeNotes = (chaos: ChaosImpl): Array<string> => [
  ...chaos.notes.map(([label, describe]) => {
    try {
      const value = describe()
      return `${label}: ${typeof value === "string" ? value : JSON.stringify(value)}`
    } catch (error) {
      return `${label}: (could not describe: ${String(error)})`
    }
  }),
  ...(chaos.recentEvents().length === 0 ? [] : [`last trace events: ${chaos.recentEvents().join(" ")}`])
]

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** "2 × \"worker\", 1 × unnamed": the live fibers of `region` by the name they were started under. */
const leakedNames = (region: LeakRegion): string =>
  region
    .names()
    .map((g) => `${g.count} × ${g.name === "unnamed" ? "unnamed" : JSON.stringify(g.name)}`)
    .join(", ")

/**
 * Runs the model once under the schedule of `seed`. Never rejects for what
 * the model does (a broken run is described in `failure`); rejects with
 * `InvalidArgumentError` when the model returns no Effect.
 */
export const runSeed = async (
  seed: number,
  model: Model,
  options: Pick<ExploreOptions, "budgets" | "schedulers" | "runTimeoutMillis" | "checkLeaks"> = {}
): Promise<RunOutcome> => {
  const { budget, scheduler: kind } = configOf(seed, options)
  const chaos = new ChaosImpl(seed, budget, kind)
  const scheduler = new CountingScheduler(
    kind === "sync" ? new Scheduler.MixedScheduler("sync") : new Scheduler.MixedScheduler()
  )
  const region = new LeakRegion(`explore seed ${seed}`)
  // The explorer judges a run's deadlocks and leaks itself, exactly (no task
  // left to run; fibers alive after the run): the deadlock detector's
  // sampled all-asleep rule stays off the run's region, or it would report,
  // between the run's end and the explorer's verdict, what the explorer
  // reports as a leak. Wait-for cycles are still found by the detector.
  region.close()
  const random = seededRandom(new Prng(deriveState(seed, STREAM_RANDOM)))
  let notAnEffect: InvalidArgumentError | undefined

  const body = Effect.suspend(() => {
    const effect: unknown = model(chaos)
    if (isEffect(effect)) return effect as Effect.Effect<unknown, unknown, Scope.Scope>
    notAnEffect = invalidArgument("Testing.explore", "a model that returns an Effect", effect)
    return Effect.die(notAnEffect)
  })
  const program = Effect.scoped(
    Effect.flatMap(Effect.scope, (scope) => {
      chaos.scope = scope
      return Effect.flatMap(TestClock.make(), (clock) => {
        chaos.clock = clock
        // Adjusting once settles the TestClock's "not advancing" warning,
        // whose timer would be the only real time in the run.
        return Effect.andThen(TestClock.adjust(0), body).pipe(Effect.provideService(Clock.Clock, clock))
      })
    })
  ).pipe(
    (effect) => within(region, effect),
    Effect.provideService(Random.Random, random),
    Effect.provideService(Scheduler.MaxOpsBeforeYield, budget),
    Effect.provideService(Scheduler.Scheduler, scheduler)
  )

  const timeout = options.runTimeoutMillis ?? 10_000
  scheduler.deadline = Date.now() + timeout
  const fiber = Effect.runFork(program)

  // Wait for the end, a deadlock (nothing left to run) or the deadline.
  let ending: "done" | "deadlock" | "timeout" = "done"
  while (fiber.pollUnsafe() === undefined) {
    await nextMacrotask()
    if (fiber.pollUnsafe() !== undefined) break
    if (scheduler.frozen || Date.now() > scheduler.deadline) {
      scheduler.frozen = true
      ending = "timeout"
      break
    }
    if (scheduler.pending === 0) {
      ending = "deadlock"
      break
    }
  }

  const info = (): RunInfo => {
    let h = chaos.hash
    for (const n of [chaos.ops, region.started, scheduler.queued]) h = fmix32(h ^ n)
    return {
      seed,
      budget,
      scheduler: kind,
      ops: chaos.ops,
      fibers: region.started,
      tasks: scheduler.queued,
      fingerprint: h.toString(16).padStart(8, "0")
    }
  }
  const fail = (
    failureKind: FailureKind,
    message: string,
    notes: Array<string>,
    cause: Cause.Cause<unknown> | undefined
  ): RunOutcome => {
    const base = info()
    return { ...base, failure: { ...base, kind: failureKind, message, notes, cause } }
  }
  /**
   * Interrupts the run's fibers still parked on effect-go primitives (left
   * deadlocked or leaked), so that later runs, and the process's deadlock
   * detector, do not find them. A fiber waiting on anything else cannot be
   * reached from here.
   */
  const releaseParked = async (): Promise<void> => {
    let any = false
    for (const parked of snapshot().fibers.keys()) {
      if (!belongsTo(parked, region)) continue
      parked.interruptUnsafe()
      any = true
    }
    if (any) await nextMacrotask()
  }
  /** The dump of the run's fibers parked on effect-go primitives, as text (empty when none is). */
  const dumpText = (): string => {
    const dump = blockedDump((f) => belongsTo(f, region), chaos.clock?.currentTimeMillisUnsafe() ?? 0)
    return dump === undefined ? "" : `\n\n${format(dump)}`
  }

  if (ending === "timeout") {
    return fail(
      "timeout",
      `the run did not finish within ${timeout} ms of real time (a livelock?); it was frozen where it stood`,
      describeNotes(chaos),
      undefined
    )
  }
  if (ending === "deadlock") {
    const notes = describeNotes(chaos)
    // The run's own fiber is no fiber the run started, but it waits too.
    const waiting = region.leaked() + 1
    const message =
      `deadlock: ${plural(waiting, "fiber")} of the run wait and no task is left to run ` +
      `(no timer either: time is a TestClock)${dumpText()}`
    // Unblock what can be unblocked, so that later runs start clean.
    fiber.interruptUnsafe()
    for (let i = 0; i < 100 && fiber.pollUnsafe() === undefined && scheduler.pending > 0; i++) await nextMacrotask()
    await releaseParked()
    return fail("deadlock", message, notes, undefined)
  }
  const exit = fiber.pollUnsafe()!
  if (notAnEffect !== undefined) throw notAnEffect
  // Tasks queued by the run's last steps (deferred wake-ups) run now, before the next run starts.
  await nextMacrotask()
  if (Exit.isFailure(exit)) {
    const squashed = Cause.squash(exit.cause)
    const message =
      squashed instanceof ChaosViolation
        ? squashed.message
        : `the model ${Cause.hasDies(exit.cause) ? "died" : Cause.hasInterruptsOnly(exit.cause) ? "was interrupted" : "failed"}: ${Cause.pretty(exit.cause)}`
    return fail("failed", message, describeNotes(chaos), exit.cause)
  }
  if (options.checkLeaks !== false && region.leaked() !== 0) {
    const message =
      `${region.leaked()} of the ${plural(region.started, "fiber")} the run started ` +
      `${region.leaked() === 1 ? "is" : "are"} still alive after it returned: ${leakedNames(region)} ` +
      `(named by the span or \`fiber\` log annotation in force at the fork)${dumpText()}`
    const notes = describeNotes(chaos)
    await releaseParked()
    return fail("leak", message, notes, undefined)
  }
  return { ...info(), failure: undefined }
}

/** A fresh random seed (from `Math.random`: explorations that are not given one start anywhere). */
export const randomSeed = (): number => Math.floor(Math.random() * 2 ** 32)

/**
 * Runs `model` under `runs` schedules (or until `maxOps` operations or
 * `maxMillis` of real time), seeds `seed`, `seed + 1`, ..., and stops at the
 * first failure. Resolves with the report, the failure in it; rejects with
 * `InvalidArgumentError` on bad input.
 */
export const explorePromise = async (model: Model, options?: ExploreOptions): Promise<Report> => {
  if (typeof model !== "function") throw invalidArgument("Testing.explore", "a model function (chaos) => Effect", model)
  const checked = checkOptions("Testing.explore", options)
  if (checked instanceof InvalidArgumentError) throw checked
  const o = checked
  const firstSeed = o.seed ?? randomSeed()
  const unbounded = o.runs === undefined && o.maxOps === undefined && o.maxMillis === undefined
  const maxRuns = o.runs ?? (unbounded ? 100 : Number.POSITIVE_INFINITY)
  const maxOps = o.maxOps ?? Number.POSITIVE_INFINITY
  const deadline = o.maxMillis === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.maxMillis
  const replay = o.replay ?? ((seed: number) => `explore again with { seed: ${seed}, runs: 1 }`)
  const start = Date.now()
  let runs = 0
  let ops = 0
  const bySchedulers: Record<SchedulerKind, number> = { default: 0, sync: 0 }
  let failure: Failure | undefined
  const report = (): Report => {
    const elapsedMillis = Date.now() - start
    return {
      runs,
      ops,
      elapsedMillis,
      opsPerSecond: elapsedMillis > 0 ? Math.round((ops * 1000) / elapsedMillis) : 0,
      firstSeed,
      lastSeed: firstSeed + Math.max(0, runs - 1),
      bySchedulers: { ...bySchedulers },
      failure
    }
  }
  while (runs < maxRuns && ops < maxOps && Date.now() < deadline && o.signal?.aborted !== true) {
    const seed = firstSeed + runs
    const outcome = await runSeed(seed, model, o)
    runs++
    ops += outcome.ops
    bySchedulers[outcome.scheduler]++
    if (outcome.failure !== undefined) {
      let reproduced: boolean | undefined
      if (outcome.failure.kind !== "timeout") {
        const again = await runSeed(seed, model, o)
        reproduced = again.failure?.kind === outcome.failure.kind && again.fingerprint === outcome.fingerprint
      }
      failure = { ...outcome.failure, replay: replay(seed), reproduced }
      break
    }
    o.onRun?.(outcome, report())
  }
  return report()
}

/**
 * {@link explorePromise} as an Effect (interrupting it stops after the
 * current run); bad input is a defect. The runs are root fibers of their
 * own, with their own scheduler, clock and random service.
 */
export const explore = (model: Model, options?: ExploreOptions): Effect.Effect<Report> =>
  Effect.promise((signal) => explorePromise(model, withSignal(options, signal)))

/** `options` with the interruption's `signal` unless it has its own (bad options are left to be refused). */
const withSignal = (options: ExploreOptions | undefined, signal: AbortSignal): ExploreOptions | undefined => {
  if (options === undefined) return { signal }
  if (typeof options !== "object" || options === null || Array.isArray(options) || options.signal !== undefined)
    return options
  return { ...options, signal }
}

/** A multi-line description of a failure, ending with its replay line. */
export const formatFailure = (failure: Failure): string =>
  [
    `${failure.kind} at seed ${failure.seed} (MaxOpsBeforeYield ${failure.budget}, ${failure.scheduler} scheduler, ` +
      (failure.ops === 0 ? "" : `${failure.ops} ops, `) +
      `fingerprint ${failure.fingerprint}` +
      (failure.reproduced === undefined ? ")" : failure.reproduced ? ", reproduced)" : ", NOT reproduced on a re-run)"),
    failure.message,
    ...failure.notes.map((note) => `  ${note}`),
    `replay: ${failure.replay}`
  ].join("\n")

/** A one-line summary of a report. */
export const formatReport = (report: Report): string =>
  `${report.runs} runs (seeds ${report.firstSeed}..${report.lastSeed}; ${report.bySchedulers.default} default, ` +
  `${report.bySchedulers.sync} sync scheduler) in ${(report.elapsedMillis / 1000).toFixed(1)} s` +
  (report.ops === 0 ? "" : `, ${report.ops} operations: ${report.opsPerSecond} ops/s`) +
  (report.failure === undefined ? "" : `; FAILED at seed ${report.failure.seed}`)

// -----------------------------------------------------------------------------
// Exploring inside a test runner (effect-go/vitest)
// -----------------------------------------------------------------------------

/** The environment variable that makes every explored test run exactly one seed. */
export const SEED_VARIABLE = "EFFECT_GO_SEED"

/**
 * The seed `EFFECT_GO_SEED` asks for (undefined when it is unset or empty),
 * or the error to report for a value that is no seed.
 */
export const seedFromEnv = (value: string | undefined): number | undefined | InvalidArgumentError => {
  if (value === undefined || value.trim() === "") return undefined
  const seed = Number(value.trim())
  return /^\d+$/.test(value.trim()) && Number.isSafeInteger(seed)
    ? seed
    : invalidArgument(SEED_VARIABLE, "a non-negative integer seed", value)
}

/**
 * A test's default first seed: a hash of its full name (FNV-1a), so that a
 * test explores the same schedules on every run, and two tests different
 * ones.
 */
export const seedFromName = (name: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return fmix32(h >>> 0)
}

/** `s` quoted for a POSIX shell. */
const shellQuote = (s: string): string => (/^[\w./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** `s` as a regular expression matching itself (vitest's `-t` takes a pattern). */
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * The command that runs one seed of one test again:
 * `EFFECT_GO_SEED=<seed> npx vitest run <file> -t '^<full test name>$'`.
 */
export const vitestReplay = (seed: number, file: string | undefined, fullTestName: string | undefined): string =>
  [
    `${SEED_VARIABLE}=${seed} npx vitest run`,
    ...(file === undefined ? [] : [shellQuote(file)]),
    ...(fullTestName === undefined ? [] : ["-t", shellQuote(`^${escapeRegExp(fullTestName)}$`)])
  ].join(" ")

/** The test an exploration runs in, as a test runner knows it. */
export interface TestInfo {
  /** The test file, relative to the runner's root. */
  readonly file: string | undefined
  /** The test's full name (its suites' names and its own), as `-t` matches it. */
  readonly fullTestName: string | undefined
  /** The value of `EFFECT_GO_SEED`. */
  readonly envSeed: string | undefined
  /** Aborted when the test times out or the run is cancelled. */
  readonly signal: AbortSignal | undefined
}

/**
 * Explores `model` for a test: from the test's seed (`options.seed`, else
 * one derived from its name), or only the seed `EFFECT_GO_SEED` names;
 * rejects with an Error whose message is the formatted failure, whose replay
 * line reruns that seed of that test.
 */
export const exploreForTest = async (model: Model, options: unknown, test: TestInfo): Promise<Report> => {
  const checked = checkOptions("it.explore", options)
  if (checked instanceof InvalidArgumentError) throw checked
  const envSeed = seedFromEnv(test.envSeed)
  if (envSeed instanceof InvalidArgumentError) throw envSeed
  const seed = envSeed ?? checked.seed ?? seedFromName(test.fullTestName ?? "")
  const report = await explorePromise(model, {
    ...checked,
    seed,
    ...(envSeed === undefined ? {} : { runs: 1, maxOps: undefined, maxMillis: undefined }),
    replay: checked.replay ?? ((s) => vitestReplay(s, test.file, test.fullTestName)),
    signal: checked.signal ?? test.signal
  })
  if (report.failure !== undefined) {
    const error = new Error(
      `the schedule explorer found a failing run after ${report.runs} ${report.runs === 1 ? "run" : "runs"}:\n${formatFailure(report.failure)}`
    )
    error.name = "ExploreFailure"
    // The report is the message; where it was made (this module) is noise.
    error.stack = `${error.name}: ${error.message}`
    throw error
  }
  return report
}

/**
 * A group of tasks working on subtasks of a common job: Go's
 * `golang.org/x/sync/errgroup`, with `errgroup.WithContext` semantics.
 *
 * `go` starts a task, `wait` waits for every task and returns the first
 * failure. The first failure interrupts the tasks still running (Go cancels
 * the group's context) and `wait` returns only once they have stopped.
 *
 * Differences from Go, and why:
 * - Cancellation is interruption: a task does not have to watch a `ctx`.
 *   Interruption of the siblings caused by the group is not itself a failure.
 * - Once the first failure has cancelled the group, `go` and `tryGo` still
 *   accept tasks but never run them — in Go they would start with an already
 *   cancelled context. `go` then returns an already-interrupted fiber, as
 *   Effect's `FiberSet.run` does on a closed set. The first failure stays the
 *   result of every later `wait` (Go's `TestZeroGroup`).
 * - Once the group's scope has closed, `go` and `tryGo` die with
 *   {@link ErrGroupClosedError} and start nothing. Go has no equivalent (its
 *   groups have no scope). It is a defect rather than a typed error because
 *   the scope's owner is the one that starts tasks: a `go` that comes after
 *   the close uses the group past its lifetime (it escaped its
 *   `Effect.scoped` block), a programming error that no caller should have
 *   to handle — whereas a first failure is an expected outcome, which is why
 *   tasks given after it are dropped quietly. A `go` that began before the
 *   close (waiting for a slot, or its fork overtaken by the close) is part of
 *   the group the close stops: it returns, and its task never runs (like a
 *   task interrupted at once). `wait`, `cause`, `setLimit` and the snapshots
 *   keep working.
 *   (WorkerPool's `submit`, by contrast, fails with a typed `PoolClosedError`:
 *   closing a pool is an operation other fibers race while producers run.)
 * - A successful `wait` does not cancel the group (Go's `WithContext` cancels
 *   its context when `Wait` returns): the group can run another round, as Go's
 *   zero `Group` can. Its scope is what ends it.
 * - A defect (die) in a task is a failure like a typed one: it cancels the
 *   siblings and `wait` dies with it. This is the x/sync v0.14 behaviour named
 *   in our design; in Go an unrecovered panic in a goroutine crashes the whole
 *   process (and some later x/sync versions re-raise it from `Wait`). We never
 *   crash the process; the defect, with its stack, reaches whoever waits.
 * - A task that ends by interruption alone (for instance `Effect.interrupt`)
 *   is not a failure, as `runtime.Goexit` in a Go task records no error.
 * - `setLimit` while tasks run is allowed (Go panics with "errgroup: modify
 *   limit while N goroutines in the group are still active"): raising the
 *   limit admits waiting `go` calls at once, lowering it applies as running
 *   tasks finish — no running task is interrupted.
 * - `go` waiting for a slot is interruptible and leaves the FIFO queue in O(1).
 * - `go` returns the task's fiber (Go's `g.Go` returns nothing), as
 *   `WaitGroup.go` does: join it for that task's own result, or interrupt
 *   that task alone (an interruption is not a failure: the group goes on).
 * - A limit that is not an integer (NaN, 1.5, a string) is a defect
 *   ({@link InvalidLimitError}), raised inside the effect at the call: Go's
 *   `int` rules it out at compile time.
 * - Tasks live in the group's `Scope` (given to {@link make}): closing it
 *   interrupts and awaits every task, so nothing outlives the group.
 * - The error type is checked: a group made with `make<E>()` only accepts
 *   tasks whose errors are `E`, and `wait` fails with `E`.
 * - As in Go, a task that waits for its own group waits for itself forever.
 * - `make({ collectAll: true })` waits for every task and reports every failure
 *   (sourcegraph/conc's `pool.WithErrors()`); {@link forEach} collects results
 *   in input order (conc's `ResultPool`).
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ErrGroup } from "effect-go"
 *
 * class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}
 * declare const urls: ReadonlyArray<string>
 * declare const fetchPage: (url: string) => Effect.Effect<string, FetchError>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const g = yield* ErrGroup.make<FetchError>({ limit: 4 })
 *     for (const url of urls) {
 *       yield* ErrGroup.go(g, fetchPage(url)) // waits for a slot when 4 are running
 *     }
 *     yield* ErrGroup.wait(g) // fails with the first FetchError; the others were interrupted
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { Inspectable } from "effect/Inspectable"
import * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import {
  type BlockedFiber,
  block,
  defer,
  shallow,
  tooDeep,
  Waiter,
  WaiterList,
  wake,
  wakeLater
} from "./internal/waiters.ts"
import {
  badTelemetryOption,
  invalidArgument,
  type InvalidArgumentError,
  isIterable,
  show,
  unwrap
} from "./internal/copied.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { canStart, startHanding, startNowOrNextTurn, takeHanded } from "./internal/start.ts"
import { activeLayers, nowOn, recordsFor, setTelemetry, taskAttributes, taskOutcome } from "./internal/telemetry.ts"
import { anyone, type Diagnosis, type Holder } from "./internal/registry.ts"

const TypeId = "~effect-go/ErrGroup" as const

/**
 * A group of tasks. `E` is the error type its tasks may fail with; `W` the
 * error type of {@link wait} (`E`, or {@link ErrGroupErrors} in collect-all
 * mode). Create it with {@link make}.
 *
 * `E` is invariant: an `ErrGroup<A>` is not an `ErrGroup<A | B>`, since
 * otherwise a task failing with `B` could reach a `wait` typed to fail with `A`.
 *
 * Pipeable, and Inspectable: `String(g)` and `console.log(g)` show
 * `{ _id: "ErrGroup", name, limit, active, queued, waiters, cancelled,
 * closed, collectAll }` — the limit (-1: none, as `setLimit(-1)`), the
 * tasks holding a slot, the `go` calls waiting for one, the fibers in
 * {@link wait}, whether a first failure cancelled the group and whether
 * its scope has closed.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrGroup<E, W = E> extends Pipeable, Inspectable {
  readonly [TypeId]: {
    readonly _E: Types.Invariant<E>
    readonly _W: Types.Covariant<W>
  }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A limit that is neither an integer nor ±Infinity (NaN, 1.5, a string, ...),
 * or a limit of 0 where nothing could ever raise it ({@link forEach}): a
 * defect, raised inside the effect of {@link make}, {@link setLimit} or
 * {@link forEach} (a programming error, which Go's `int` rules out).
 * `limit` is what was passed, whatever its type.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidLimitError extends Data.TaggedError("InvalidLimitError")<{
  readonly limit: number
}> {
  override get message(): string {
    // 0 is valid for `make` and `setLimit` (it pauses the group): only
    // `forEach` rejects it.
    return this.limit === 0
      ? "errgroup: invalid limit 0 for forEach: want a positive integer, or a negative one or undefined for no limit (0 would never start an item)"
      : `errgroup: invalid limit ${show(this.limit)}: want an integer: positive, 0 to pause the group (not in forEach), or negative or undefined for no limit`
  }
}

/**
 * {@link go} or {@link tryGo} on a group whose scope has closed: a defect
 * (see the module documentation). The task was not started.
 *
 * @category errors
 * @since 0.1.0
 */
export class ErrGroupClosedError extends Data.TaggedError("ErrGroupClosedError")<{
  readonly groupName: string | undefined
  readonly op: "go" | "tryGo"
}> {
  override get message(): string {
    const on = this.groupName === undefined ? "" : ` on ${JSON.stringify(this.groupName)}`
    const call = this.op === "go" ? "Go" : "TryGo"
    return `errgroup: ${call}${on} after the group's scope closed: the task was not started (start tasks while the scope is open)`
  }
}

/**
 * Every failure of a collect-all group (`make({ collectAll: true })`), in the
 * order the tasks failed. sourcegraph/conc joins them with `errors.Join`.
 *
 * @category errors
 * @since 0.1.0
 */
export class ErrGroupErrors<E> extends Data.TaggedError("ErrGroupErrors")<{
  readonly errors: ReadonlyArray<E>
}> {
  override get message(): string {
    return `errgroup: ${this.errors.length} task(s) failed`
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrGroupOptions {
  /**
   * At most this many tasks run at once (Go's `SetLimit`). Negative or
   * absent: no limit. 0 pauses the group until {@link setLimit} raises it.
   */
  readonly limit?: number | undefined
  /**
   * Wait for every task and report every failure, instead of cancelling on
   * the first one (sourcegraph/conc's `pool.WithErrors()`).
   */
  readonly collectAll?: boolean | undefined
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
  /**
   * Telemetry for this group alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal group); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

const variance = { _E: (_: unknown) => _, _W: (_: never) => _ }

const exitTrue: Exit.Exit<boolean> = Exit.succeed(true)
const exitFalse: Exit.Exit<boolean> = Exit.succeed(false)

/**
 * A `go` waiting for a slot: granted `true` (a slot, counted in `active`) or
 * `false` (the group was cancelled: the task is dropped).
 */
class SlotWaiter extends Waiter<boolean> {
  readonly group: ErrGroupImpl
  constructor(group: ErrGroupImpl) {
    super()
    this.group = group
    this.op = "go"
  }
}

/**
 * A task fiber, in its group's `running` list from its first step to its end.
 * Linked by hand rather than in a `WaiterList`: a task waits for nothing, and
 * a waiter node's fields cost a measurable share of a spawn.
 */
class Task {
  prev: Task | undefined = undefined
  next: Task | undefined = undefined
  /** Set by the task's first step (see `registerStarting`). */
  fiber!: Fiber.Fiber<unknown, unknown>
  /** What `registerStarting` registers, and the task it then runs. */
  group: ErrGroupImpl | undefined = undefined
  effect: Effect.Effect<any, any, any> | undefined = undefined
  /** A `forEach` item's place in the results; -1 for a task started by `go`. */
  readonly index: number
  constructor(fiber: Fiber.Fiber<unknown, unknown> | undefined, index: number) {
    if (fiber !== undefined) this.fiber = fiber
    this.index = index
  }
}

/**
 * The items of a {@link forEach} not started yet, and where their results
 * go. A slot that a task gives back starts the next item at once (see
 * {@link feed}): a list known up front needs no caller waiting for a slot
 * per item, as a loop of `go` calls does.
 */
class Feeder {
  readonly items: ReadonlyArray<unknown>
  readonly f: (item: unknown, index: number) => unknown
  readonly out: Array<unknown>
  /** The caller's context: every item runs in it, whichever fiber starts it. */
  readonly context: Context.Context<never>
  /** The next item to start. */
  next = 0
  /** A start is under way: a task its first steps ended only gives its slot back. */
  feeding = false
  constructor(
    items: ReadonlyArray<unknown>,
    f: (item: unknown, index: number) => unknown,
    out: Array<unknown>,
    context: Context.Context<never>
  ) {
    this.items = items
    this.f = f
    this.out = out
    this.context = context
  }
}

class ErrGroupImpl extends PrimitiveBase {
  readonly [TypeId] = variance
  readonly name: string | undefined
  readonly collectAll: boolean
  /** Infinity when there is no limit. */
  limit: number
  /** Tasks holding a slot: forked, or being forked. */
  active = 0
  /** Tasks started and not ended: a doubly linked list, oldest first. */
  running: Task | undefined = undefined
  runningTail: Task | undefined = undefined
  /** `go` calls waiting for a slot; woken with true (slot handed over) or false (task dropped). */
  readonly slots: WaiterList<SlotWaiter>
  /** `wait` calls; woken with the group's result. */
  readonly waiters: WaiterList<Waiter<void, unknown>>
  /** A `forEach` group's items not started yet. */
  feeder: Feeder | undefined = undefined
  /** First failure seen, or the scope closed: no task starts any more. */
  cancelled = false
  closed = false
  /** Default mode: the first failure. */
  failure: Cause.Cause<unknown> | undefined = undefined
  /** Collect-all mode: every typed failure and every defect, in order. */
  readonly fails: Array<unknown> = []
  readonly dies: Array<Cause.Reason<never>> = []

  constructor(name: string | undefined, limit: number, collectAll: boolean) {
    super()
    this.name = name
    this.limit = limit
    this.collectAll = collectAll
    this.slots = new WaiterList("ErrGroup", name, this, "go")
    this.waiters = new WaiterList("ErrGroup", name, this, "wait")
  }
  /**
   * For the blocked-fiber dump and the deadlock detector. Every running task
   * holds a slot until it ends, and `wait` returns when no slot is held: it
   * needs all of them to end (and a task still being forked, which only
   * adds to what it waits for). A `go` waiting for a slot needs one of the
   * running tasks to end while they hold every slot; when a slot is held by
   * a fork under way (its task may end first), or the limit is 0 (paused
   * until a `setLimit` from any fiber), nobody in particular is in the way.
   */
  diagnose(): Diagnosis {
    const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
    const holders: Array<Holder> = []
    for (let task = this.running; task !== undefined; task = task.next) {
      fibers.push(task.fiber)
      holders.push({ fiber: task.fiber, role: "task" })
    }
    const slotsByTasks = fibers.length > 0 && this.active === fibers.length && this.limit > 0
    return {
      kind: "ErrGroup",
      name: this.name,
      state: { active: this.active, limit: this.limit === Infinity ? -1 : this.limit, cancelled: this.cancelled },
      queues: [
        { list: this.waiters, wakers: { _tag: "AllOf", fibers } },
        { list: this.slots, wakers: slotsByTasks ? { _tag: "OneOf", fibers } : anyone }
      ],
      holders
    }
  }
  toJSON(): unknown {
    return {
      _id: "ErrGroup",
      name: this.name,
      limit: this.limit === Infinity ? -1 : this.limit,
      active: this.active,
      queued: this.slots.size,
      waiters: this.waiters.size,
      cancelled: this.cancelled,
      closed: this.closed,
      collectAll: this.collectAll
    }
  }
}

const impl = (self: ErrGroup<any, any>): ErrGroupImpl => unwrap(self, ErrGroupImpl, "ErrGroup")

/**
 * Reads a limit: Infinity for "no limit", undefined when invalid. Negative
 * means no limit (Go); NaN and fractions are invalid.
 */
const toLimit = (limit: number | undefined, allowZero: boolean): number | undefined => {
  if (limit === undefined) return Infinity
  if (typeof limit !== "number" || Number.isNaN(limit)) return undefined
  if (limit === Infinity || limit === -Infinity) return Infinity
  if (!Number.isInteger(limit)) return undefined
  if (limit < 0) return Infinity
  if (limit === 0 && !allowZero) return undefined
  return limit
}

const failureCause = (g: ErrGroupImpl): Cause.Cause<unknown> | undefined => {
  if (!g.collectAll) return g.failure
  if (g.fails.length === 0 && g.dies.length === 0) return undefined
  const reasons: Array<Cause.Reason<unknown>> = []
  if (g.fails.length > 0) reasons.push(Cause.makeFailReason(new ErrGroupErrors({ errors: g.fails.slice() })))
  for (const die of g.dies) reasons.push(die)
  return Cause.fromReasons(reasons)
}

const result = (g: ErrGroupImpl): Exit.Exit<void, unknown> => {
  const cause = failureCause(g)
  if (cause !== undefined) return Exit.failCause(cause)
  // The scope closed under a waiter: its tasks were interrupted, not completed.
  return g.closed ? Exit.interrupt() : Exit.void
}

/**
 * A `wait` that needs no waiting: no task holds a slot. The fast path of
 * `wait`, and the re-check `block` makes at the moment of parking.
 */
const waitNow = (g: ErrGroupImpl): Exit.Exit<void, unknown> | undefined => (g.active === 0 ? result(g) : undefined)

/**
 * Stops the group: drops the queued `go` calls and interrupts every running
 * task (each one's end is accounted for by its observer, see {@link taskDone}).
 */
const cancelUnsafe = (g: ErrGroupImpl, by: number | undefined): void => {
  if (g.cancelled) return
  g.cancelled = true
  const queued = g.slots.drain()
  const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
  for (let task = g.running; task !== undefined; task = task.next) fibers.push(task.fiber)
  for (const fiber of fibers) fiber.interruptUnsafe(by)
  // A `go` that left meanwhile (a task's finalizer interrupted it) is skipped by `wake`.
  for (const node of queued) wake(node, exitFalse)
}

const record = (g: ErrGroupImpl, fiber: Fiber.Fiber<unknown, unknown>, cause: Cause.Cause<unknown>): void => {
  // Interruptions next to a failure (a task's own parallel parts) are noise.
  const reasons = cause.reasons.filter((reason) => !Cause.isInterruptReason(reason))
  if (reasons.length === 0) return
  if (g.collectAll) {
    for (const reason of reasons) {
      if (Cause.isFailReason(reason)) g.fails.push(reason.error)
      else g.dies.push(reason as Cause.Reason<never>)
    }
  } else if (g.failure === undefined) {
    g.failure = reasons.length === cause.reasons.length ? cause : Cause.fromReasons(reasons)
    cancelUnsafe(g, fiber.id)
  }
}

/**
 * Gives a slot back: to the head `go` waiter, or to the pool. `fiber` (the
 * releasing one) lends its scheduler.
 */
const release = (g: ErrGroupImpl, fiber: Fiber.Fiber<unknown, unknown>): void => {
  // After a lowered limit, slots are handed over only once below it.
  if (!g.cancelled && g.active <= g.limit) {
    const next = g.slots.shift()
    if (next !== undefined) {
      // The slot passes on (`active` is unchanged) now, but the waiting `go`
      // caller resumes later (when a fiber parks, or at the next scheduler
      // turn): by then more tasks have usually ended, and it starts a task
      // in each free slot without parking again, instead of parking once per
      // task. An interruption meanwhile gives the slot back (`onSlotCancel`).
      wakeLater(next, exitTrue, fiber)
      return
    }
  }
  g.active--
  if (g.feeder !== undefined) {
    // A slot given back while the feeding loop runs is its to fill.
    if (g.feeder.feeding) return
    feed(g)
  }
  if (g.active === 0 && g.waiters.size > 0) {
    const exit = result(g)
    for (const node of g.waiters.drain()) wake(node, exit)
  }
}

/**
 * Starts the next items of a `forEach` group while it has free slots and is
 * not cancelled: from the caller's step at first, then from each task's end
 * (its slot goes to the next item), so that no item waits on the caller. An
 * item whose first steps end it gives its slot back to the loop, which goes
 * on, rather than starting the next one deeper on the stack. An `f` that
 * throws or returns no Effect fails the group with that defect, and nothing
 * starts after it.
 */
const feed = (g: ErrGroupImpl): void => {
  const feeder = g.feeder!
  feeder.feeding = true
  try {
    while (!g.cancelled && g.active < g.limit && feeder.next < feeder.items.length) {
      const index = feeder.next++
      let effect: unknown
      try {
        effect = feeder.f(feeder.items[index], index)
      } catch (defect) {
        fail(g, defect)
        return
      }
      if (!isEffect(effect)) {
        fail(g, invalidArgument("ErrGroup.forEach", "f to return an Effect", effect))
        return
      }
      g.active++
      startItem(g, effect, index, feeder.context)
    }
  } finally {
    feeder.feeding = false
  }
}

/** A `forEach` item's start, as {@link fork} makes a task's, in the caller's `context`. */
const startItem = (
  g: ErrGroupImpl,
  effect: Effect.Effect<unknown, unknown, unknown>,
  index: number,
  context: Context.Context<never>
): void => {
  if (activeLayers === 0 && canStart()) {
    startHere(g, effect, index, context)
    return
  }
  startNowOrNextTurn(taskOf(g, effect, index), context)
}

/** Fails the group with a defect of its own (a bad `f`): recorded as a task's would be, and nothing starts after it. */
const fail = (g: ErrGroupImpl, defect: unknown): void => {
  const cause = Cause.die(defect)
  if (g.collectAll) g.dies.push(cause.reasons[0] as Cause.Reason<never>)
  else g.failure ??= cause
  cancelUnsafe(g, undefined)
}

/**
 * Runs when a task fiber has ended, however it ended (even before starting).
 * An observer cannot yield as `shallow` does: when wake-ups are nested too
 * deeply (a chain of tasks each releasing the next), it runs from a fresh
 * stack at the next scheduler turn instead.
 */
const taskDone = (g: ErrGroupImpl, task: Task, exit: Exit.Exit<unknown, unknown>): void => {
  if (tooDeep()) {
    defer(task.fiber, () => taskDone(g, task, exit))
    return
  }
  // Out of `running` (a no-op for a task dropped before it joined it).
  if (task.prev !== undefined) task.prev.next = task.next
  else if (g.running === task) g.running = task.next
  if (task.next !== undefined) task.next.prev = task.prev
  else if (g.runningTail === task) g.runningTail = task.prev
  if (exit._tag === "Success") {
    if (task.index >= 0) g.feeder!.out[task.index] = exit.value
  } else if (!Cause.hasInterruptsOnly(exit.cause)) record(g, task.fiber, exit.cause)
  release(g, task.fiber)
}

/**
 * Starts a task that already holds a slot, and returns its fiber. Call it
 * from a step of the forking fiber (it starts the task in that step, see
 * `startTask`), in an uninterruptible region — or in the step that took the
 * slot when `canStart()` says the start happens there, so that nothing can
 * come between them.
 *
 * The task fiber registers itself in its first step: it joins `running`
 * for a cancel (or the scope's close) to find — even one that its own first
 * steps set off — and starts the task unless the group was cancelled since
 * the fork. Until it ends it holds its slot, so the scope's finalizer, which
 * waits for every slot to be released (see {@link make}), waits for it too.
 * (One finalizer for the group rather than one per fiber as `forkIn` adds.)
 */
const fork = <A, E, R>(g: ErrGroupImpl, effect: Effect.Effect<A, E, R>): Effect.Effect<Fiber.Fiber<A, E>, never, R> => {
  if (activeLayers === 0 && canStart()) return Exit.succeed(startHere(g, effect))
  return Exit.succeed(startNowOrNextTurn(taskOf(g, effect)))
}

/**
 * The first step of a task started by {@link startHere}: one effect for
 * every task (no closure per start). It joins `running` with its fiber, and
 * runs the task unless the group was cancelled since the fork.
 */
const registerStarting: Effect.Effect<any, any, any> = Effect.withFiber((fiber) => {
  const task = takeHanded(fiber) as Task
  const g = task.group!
  const effect = task.effect!
  task.effect = undefined
  task.fiber = fiber
  if (g.cancelled) return Effect.interrupt
  append(g, task)
  return effect
})

/**
 * Starts a task in this step (untraced). Its end is accounted for here when
 * its first steps ended it — no observer, as `forEach` does for a task that
 * ends at once — or by an observer added when they return.
 */
const startHere = <A, E, R>(
  g: ErrGroupImpl,
  effect: Effect.Effect<A, E, R>,
  index = -1,
  context?: Context.Context<never>
): Fiber.Fiber<A, E> => {
  const task = new Task(undefined, index)
  task.group = g
  task.effect = effect
  const fiber = startHanding(registerStarting, task, context) as Fiber.Fiber<A, E>
  const exit = fiber.pollUnsafe()
  if (exit !== undefined) taskDone(g, task, exit)
  else fiber.addObserver((exit) => taskDone(g, task, exit))
  return fiber
}

/** Appends a task to `running`: a cancel interrupts the tasks in the order they started. */
const append = (g: ErrGroupImpl, task: Task): void => {
  task.prev = g.runningTail
  if (g.runningTail !== undefined) g.runningTail.next = task
  else g.running = task
  g.runningTail = task
}

/**
 * A task's fiber that registers itself in its first step, as
 * {@link registerStarting} does, and watches its own end from there: for a
 * start deferred past the nesting limit, and under telemetry (which records
 * the task's outcome and run time, and runs it in a span of its own).
 */
const taskOf = <A, E, R>(g: ErrGroupImpl, effect: Effect.Effect<A, E, R>, index = -1): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const task = new Task(fiber, index)
    const traced = activeLayers !== 0 && recordsFor(fiber, g)
    if (traced) {
      const started = nowOn(fiber)
      fiber.addObserver((exit) => {
        taskOutcome("ErrGroup", g.name, exit, nowOn(fiber) - started, fiber, g)
        taskDone(g, task, exit)
      })
    } else fiber.addObserver((exit) => taskDone(g, task, exit))
    if (g.cancelled) return Effect.interrupt
    append(g, task)
    return traced
      ? Effect.withSpan(effect, "ErrGroup.task", { attributes: taskAttributes("ErrGroup", g.name) })
      : effect
  })

/**
 * What `go` returns for a task it drops (the group was cancelled, or its
 * scope closed while `go` waited for a slot): a fiber that ended
 * interrupted before it ran anything, as Effect's `FiberSet.run` returns for
 * a closed set. One for all drops, made at the first: it belongs to no
 * scope and has nothing to release.
 */
let droppedExit: Exit.Exit<Fiber.Fiber<never>> | undefined
const dropped = (): Exit.Exit<Fiber.Fiber<never>> => (droppedExit ??= Exit.succeed(Effect.runFork(Effect.interrupt)))

/**
 * Settles a `go` without waiting when it can: `false` once the group is
 * cancelled (the task is dropped), `true` when a slot is free (it is taken),
 * undefined when the group is at its limit. The fast path of `go`, and the
 * re-check `block` makes at the moment of parking.
 */
const slotNow = (g: ErrGroupImpl): Exit.Exit<boolean> | undefined => {
  if (g.cancelled) return exitFalse
  if (g.active >= g.limit) return undefined
  g.active++
  return exitTrue
}

/**
 * A `go` interrupted before it resumed with its slot (a slot and an
 * interruption can meet: see `park`) gives the slot back. Runs on the
 * interrupted fiber; when wake-ups are nested too deeply it releases from a
 * fresh stack, as {@link taskDone} does.
 */
const onSlotCancel = (node: SlotWaiter, granted: Exit.Exit<boolean> | undefined): void => {
  if (granted === undefined || granted._tag !== "Success" || !granted.value) return
  const g = node.group
  const fiber = Fiber.getCurrent()!
  if (tooDeep()) defer(fiber, () => release(g, fiber))
  else release(g, fiber)
}

const goImpl = <A, E, R>(
  self: ErrGroup<any, any>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Fiber.Fiber<A, E>, never, R> =>
  // The fast path — a free slot, a task that starts in this step — takes its
  // slot and starts the task in one synchronous step: nothing can come
  // between them, so it needs no mask.
  Effect.withFiber(() => {
    const g = impl(self)
    if (!isEffect(effect)) return Exit.die(invalidArgument("ErrGroup.go", "an Effect", effect))
    if (g.closed) return Exit.die(new ErrGroupClosedError({ groupName: g.name, op: "go" }))
    if (g.cancelled) return dropped()
    if (g.active < g.limit && canStart()) {
      g.active++
      return fork(g, effect)
    }
    return goMasked(g, effect)
  })

/** `go` when it must wait for a slot, or start its task later: in a mask from the slot to the fork. */
const goMasked = <A, E, R>(
  g: ErrGroupImpl,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Fiber.Fiber<A, E>, never, R> =>
  // The mask's callback runs in the step that enters the region: a slot
  // taken there is forked from there.
  Effect.uninterruptibleMask((restore) => {
    const now = slotNow(g)
    if (now !== undefined) return now === exitTrue ? fork(g, effect) : dropped()
    // The slot reaches the next step with the resumption, outside
    // `restore`'s region: nothing can interrupt the fork that follows. A slot
    // granted to a `go` interrupted first goes back (`onSlotCancel`).
    return Effect.flatMap(
      restore(block(g.slots, new SlotWaiter(g), Fiber.getCurrent()!, onSlotCancel, slotFor)),
      (started) => (started ? fork(g, effect) : dropped())
    )
  })

/** The try of a `go` at the moment it parks: {@link slotNow} of its group. */
const slotFor = (node: SlotWaiter): Exit.Exit<boolean> | undefined => slotNow(node.group)

const tryGoImpl = <A, E, R>(
  self: ErrGroup<any, any>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<boolean, never, R> =>
  Effect.uninterruptibleMask(() => {
    const g = impl(self)
    if (!isEffect(effect)) return Exit.die(invalidArgument("ErrGroup.tryGo", "an Effect", effect))
    if (g.closed) return Exit.die(new ErrGroupClosedError({ groupName: g.name, op: "tryGo" }))
    if (g.cancelled) return exitTrue
    if (g.active >= g.limit) return exitFalse
    g.active++
    return Effect.as(fork(g, effect), true)
  })

/** What is wrong with the options of `op`, if anything: reported inside the effect, as a defect. */
const badOptions = (
  op: string,
  options: ErrGroupOptions | ForEachOptions | undefined,
  allowZero: boolean
): InvalidLimitError | InvalidArgumentError | undefined => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null) {
    return invalidArgument(op, "an options object ({ limit?: number, collectAll?: boolean, name?: string })", options)
  }
  const name: unknown = options.name
  if (name !== undefined && typeof name !== "string") {
    return invalidArgument(op, "a string (the group's name) as the name option", name)
  }
  const collectAll: unknown = options.collectAll
  if (collectAll !== undefined && typeof collectAll !== "boolean") {
    return invalidArgument(op, "a boolean as the collectAll option", collectAll)
  }
  const badTelemetry = badTelemetryOption(op, options)
  if (badTelemetry !== undefined) return badTelemetry
  return options.limit === undefined || toLimit(options.limit, allowZero) !== undefined
    ? undefined
    : new InvalidLimitError({ limit: options.limit })
}

const makeImpl = (options?: ErrGroupOptions): Effect.Effect<ErrGroup<unknown>, never, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (parent) => {
    const bad = badOptions("ErrGroup.make", options, true)
    if (bad !== undefined) return Exit.die(bad)
    const g = new ErrGroupImpl(options?.name, toLimit(options?.limit, true)!, options?.collectAll === true)
    setTelemetry(g, options?.telemetry)
    // The group's finalizer cancels the group (nothing new starts, the
    // running tasks are interrupted) and waits until every task has stopped,
    // as `wait` does: until no task holds a slot.
    return Effect.as(
      Scope.addFinalizer(
        parent,
        Effect.withFiber((current) => {
          g.closed = true
          cancelUnsafe(g, undefined)
          // A task closing the scope would wait for itself: it waits for the
          // others that have started (and is interrupted once the close ends).
          const others: Array<Fiber.Fiber<unknown, unknown>> = []
          let own = false
          for (let task = g.running; task !== undefined; task = task.next) {
            if (task.fiber === current) own = true
            else others.push(task.fiber)
          }
          return own
            ? Effect.asVoid(Fiber.awaitAll(others))
            : Effect.asVoid(Effect.exit(wait(g as unknown as ErrGroup<unknown>)))
        })
      ),
      g as unknown as ErrGroup<unknown>
    )
  })

/**
 * Creates a group whose tasks live in the current `Scope`: closing it
 * interrupts and awaits every task and drops the queued ones. Go:
 * `g, ctx := errgroup.WithContext(ctx)` then `g.SetLimit(limit)`.
 *
 * Type the group with the union of its tasks' errors: `make<E>()`. Without a
 * type argument the group only accepts tasks that cannot fail.
 *
 * `limit`: negative or absent = no limit, 0 = paused until {@link setLimit}
 * raises it (as Go). It cannot fail: NaN, a fraction or anything but a
 * number is a defect ({@link InvalidLimitError}), and so are options of the
 * wrong kind (`InvalidArgumentError`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: {
  /**
   * Creates a group that cancels on the first failure: `wait` fails with it,
   * typed `E`. Go: `g, ctx := errgroup.WithContext(ctx)`, then
   * `g.SetLimit(limit)` when a `limit` is given (negative or absent: none; 0:
   * paused until {@link setLimit}). Its tasks live in the current `Scope`.
   * A limit that is not an integer is a defect ({@link InvalidLimitError}).
   *
   * @example
   * ```ts
   * import { Data, Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * class HttpError extends Data.TaggedError("HttpError")<{ readonly status: number }> {}
   * class ParseError extends Data.TaggedError("ParseError")<{}> {}
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const g = yield* ErrGroup.make<HttpError | ParseError>({ limit: 8 })
   *     return g // ErrGroup<HttpError | ParseError>
   *   })
   * )
   * ```
   *
   * @since 0.1.0
   */
  <E = never>(
    options?: ErrGroupOptions & { readonly collectAll?: false | undefined }
  ): Effect.Effect<ErrGroup<E>, never, Scope.Scope>
  /**
   * Creates a collect-all group: every task runs to its end and `wait` fails
   * with every failure, as {@link ErrGroupErrors} (sourcegraph/conc's
   * `pool.WithErrors()`). Its tasks live in the current `Scope`. A limit
   * that is not an integer is a defect ({@link InvalidLimitError}).
   *
   * @example
   * ```ts
   * import { Data, Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * class HttpError extends Data.TaggedError("HttpError")<{ readonly status: number }> {}
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const all = yield* ErrGroup.make<HttpError>({ collectAll: true })
   *     return all // ErrGroup<HttpError, ErrGroupErrors<HttpError>>: wait fails with every HttpError
   *   })
   * )
   * ```
   *
   * @since 0.1.0
   */
  <E = never>(
    options: ErrGroupOptions & { readonly collectAll: true }
  ): Effect.Effect<ErrGroup<E, ErrGroupErrors<E>>, never, Scope.Scope>
  /**
   * Creates a group whose mode is known only at run time (`collectAll` a
   * `boolean`): `wait` fails with the first `E`, or with
   * {@link ErrGroupErrors} in collect-all mode. Its tasks live in the
   * current `Scope`. A limit that is not an integer is a defect
   * ({@link InvalidLimitError}).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const collectAll: boolean
   * const made = ErrGroup.make<Error>({ collectAll, limit: 4 }) // wait: Error | ErrGroupErrors<Error>
   * ```
   *
   * @since 0.1.0
   */
  <E = never>(options: ErrGroupOptions): Effect.Effect<ErrGroup<E, E | ErrGroupErrors<E>>, never, Scope.Scope>
} = makeImpl as any

/**
 * Starts `effect` as a task of the group, first waiting for a slot when the
 * group is at its limit (FIFO). Go: `g.Go(f)`.
 *
 * The task starts at once: it runs until it first suspends before `go`
 * returns, as Effect's `FiberSet.run` starts its fibers (Go does not order
 * a goroutine against its parent). Returns the task's fiber (Go returns
 * nothing): join it for that task's own result, or interrupt that task
 * alone (an interruption is not a failure). Its failure goes to {@link wait}. Waiting for a slot is
 * interruptible and then leaves the queue with nothing started. Once the
 * first failure has cancelled the group the task is dropped: it never runs,
 * and `go` returns an already-interrupted fiber (as Effect's `FiberSet.run`
 * does on a closed set). Once the group's scope has closed, `go` dies with
 * {@link ErrGroupClosedError}; a `go` still waiting for a slot when the scope
 * closes returns an already-interrupted fiber, its task dropped with the
 * group's others. Something that is not an Effect makes `go` die with
 * `InvalidArgumentError` at the call, before it takes a slot.
 *
 * @category combinators
 * @since 0.1.0
 */
export const go: {
  /**
   * Starts the task given later (data-last, for `pipe`) in the group, first
   * waiting for a slot when the group is at its limit. Go: `g.Go(f)`. Returns
   * the task's fiber; an already-interrupted one when the task is dropped
   * because a first failure cancelled the group.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const g: ErrGroup.ErrGroup<Error>
   * declare const fetchPage: (url: string) => Effect.Effect<string, Error>
   *
   * const started = fetchPage("https://example.com").pipe(ErrGroup.go(g))
   * ```
   *
   * @since 0.1.0
   */
  <E, W>(self: ErrGroup<E, W>): <A, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Fiber.Fiber<A, E>, never, R>
  /**
   * Starts `effect` as a task of the group, first waiting for a slot when
   * the group is at its limit (FIFO). Go: `g.Go(f)`. Returns the task's
   * fiber (Go returns nothing); its failure also goes to {@link wait} and
   * cancels the group. A task dropped because a first failure cancelled the
   * group never runs: `go` returns an already-interrupted fiber, as Effect's
   * `FiberSet.run` does on a closed set. After the group's scope closed, `go`
   * dies with {@link ErrGroupClosedError}.
   *
   * @example
   * ```ts
   * import { Effect, Fiber } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const g: ErrGroup.ErrGroup<Error>
   * declare const fetchPage: (url: string) => Effect.Effect<string, Error>
   *
   * const program = Effect.gen(function* () {
   *   const home = yield* ErrGroup.go(g, fetchPage("https://example.com"))
   *   yield* ErrGroup.go(g, fetchPage("https://example.com/about"))
   *   yield* ErrGroup.wait(g) // the first failure, if any
   *   return yield* Fiber.join(home) // this task's own page
   * })
   * ```
   *
   * @since 0.1.0
   */
  <E, W, A, R>(
    self: ErrGroup<E, W>,
    effect: Effect.Effect<A, NoInfer<E>, R>
  ): Effect.Effect<Fiber.Fiber<A, E>, never, R>
} = effectLast(2, goImpl)

/**
 * Starts `effect` as a task only if the group is below its limit; says
 * whether it did. Go: `g.TryGo(f)`.
 *
 * Once the first failure has cancelled the group it says true and drops the
 * task (it counts as started and interrupted at once), so that a retry loop
 * does not spin. Once the group's scope has closed, it dies with
 * {@link ErrGroupClosedError}; something that is not an Effect makes it die
 * with `InvalidArgumentError`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryGo: {
  /**
   * Starts the task given later (data-last, for `pipe`) only if the group is
   * below its limit; says whether it did. Go: `g.TryGo(f)`. After a first
   * failure cancelled the group it says true and drops the task.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const g: ErrGroup.ErrGroup<Error>
   * declare const index: Effect.Effect<void, Error>
   *
   * const taken: Effect.Effect<boolean> = index.pipe(ErrGroup.tryGo(g))
   * ```
   *
   * @since 0.1.0
   */
  <E, W>(self: ErrGroup<E, W>): <A, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<boolean, never, R>
  /**
   * Starts `effect` as a task only if the group is below its limit; says
   * whether it did. Go: `g.TryGo(f)`. After a first failure cancelled the
   * group it says true and drops the task (so that a retry loop does not
   * spin). After the group's scope closed, it dies with
   * {@link ErrGroupClosedError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const g: ErrGroup.ErrGroup<Error>
   * declare const index: (file: string) => Effect.Effect<void, Error>
   *
   * const indexFile = (file: string) =>
   *   Effect.gen(function* () {
   *     const taken = yield* ErrGroup.tryGo(g, index(file))
   *     if (!taken) yield* index(file) // the group is full: do it here
   *   })
   * ```
   *
   * @since 0.1.0
   */
  <E, W, A, R>(self: ErrGroup<E, W>, effect: Effect.Effect<A, NoInfer<E>, R>): Effect.Effect<boolean, never, R>
} = effectLast(2, tryGoImpl)

/**
 * Waits until no task runs, then fails with the group's first failure (a
 * defect dies), or succeeds. Go: `g.Wait()`.
 *
 * The first failure stays the result of every later `wait`. When the first
 * failure cancelled the group, `wait` returns only after the interrupted
 * tasks have stopped. Interrupting `wait` leaves the tasks running.
 * If the group's scope closed while tasks ran and none failed, `wait` is
 * interrupted (the tasks did not complete).
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ErrGroup } from "effect-go"
 *
 * class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}
 * declare const g: ErrGroup.ErrGroup<FetchError>
 *
 * const waited = ErrGroup.wait(g).pipe(Effect.catchTag("FetchError", (e) => Effect.logError(e.url)))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const wait = <E, W>(self: ErrGroup<E, W>): Effect.Effect<void, W> =>
  Effect.withFiber((fiber) => {
    const g = impl(self)
    const now = waitNow(g) as Exit.Exit<void, W> | undefined
    if (now !== undefined) return now
    const node = new Waiter<void, W>()
    node.op = "wait"
    return block(g.waiters as WaiterList<Waiter<void, W>>, node, fiber, undefined, () => waitNow(g) as typeof now)
  })

/**
 * Changes the limit: at most `limit` tasks run at once. Go: `g.SetLimit(n)`.
 *
 * Negative = no limit, 0 = paused. Unlike Go, which panics when tasks are
 * active, the change applies at once: a higher limit admits waiting `go`
 * calls immediately (FIFO); a lower one lets running tasks finish and admits
 * nobody until fewer than `limit` run. It cannot fail: NaN, a fraction or
 * anything but a number is a defect ({@link InvalidLimitError}) and changes
 * nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrGroup } from "effect-go"
 *
 * declare const g: ErrGroup.ErrGroup<Error>
 * const widened: Effect.Effect<void> = ErrGroup.setLimit(g, 16) // admits up to 16 tasks now, even while others run
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const setLimit = <E, W>(self: ErrGroup<E, W>, limit: number): Effect.Effect<void> =>
  shallow(() => {
    const g = impl(self)
    const next = toLimit(limit, true)
    if (next === undefined) return Exit.die(new InvalidLimitError({ limit }))
    g.limit = next
    // Every slot is assigned before anyone wakes: a woken caller that calls
    // `go` again must not take a slot ahead of those still in line.
    const admitted: Array<SlotWaiter> = []
    while (!g.cancelled && g.active < g.limit && g.slots.size > 0) {
      admitted.push(g.slots.shift()!)
      g.active++
    }
    // A woken fiber runs on this stack and may interrupt one admitted after
    // it, which then leaves without its slot: `wake` says so, and the slot
    // goes back.
    const fiber = Fiber.getCurrent()!
    for (const node of admitted) if (!wake(node, exitTrue)) release(g, fiber)
    return Exit.void
  })

/**
 * What cancelled the group, if anything: its first failure (or, in
 * collect-all mode, every failure so far). Go: `context.Cause(ctx)` of the
 * group's context. A task's finalizer can read it to learn why it was
 * interrupted.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { ErrGroup } from "effect-go"
 *
 * declare const g: ErrGroup.ErrGroup<Error>
 * declare const work: Effect.Effect<void, Error>
 *
 * // A task that says why it was stopped.
 * const task = work.pipe(
 *   Effect.onInterrupt(() =>
 *     Effect.flatMap(ErrGroup.cause(g), (cause) =>
 *       Option.isSome(cause) ? Effect.logWarning("stopped by a sibling's failure", cause.value) : Effect.void
 *     )
 *   )
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const cause = <E, W>(self: ErrGroup<E, W>): Effect.Effect<Option.Option<Cause.Cause<W>>> =>
  Effect.sync(() => Option.fromUndefinedOr(failureCause(impl(self)) as Cause.Cause<W> | undefined))

/**
 * How many tasks hold a slot right now (a snapshot, for tests and metrics).
 *
 * @category getters
 * @since 0.1.0
 */
export const active = <E, W>(self: ErrGroup<E, W>): Effect.Effect<number> => Effect.sync(() => impl(self).active)

/**
 * The fibers blocked in {@link go} (waiting for a slot, op "go") and in
 * {@link wait} (op "wait"), longest waiting first.
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <E, W>(self: ErrGroup<E, W>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => {
    const g = impl(self)
    return [...g.slots.blocked(), ...g.waiters.blocked()]
  })

/**
 * Options for {@link forEach}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ForEachOptions {
  /** At most this many run at once; negative or absent = no limit; 0 is invalid here. */
  readonly limit?: number | undefined
  /** Run every item and fail with every failure ({@link ErrGroupErrors}) instead of failing fast. */
  readonly collectAll?: boolean | undefined
  /** Shown in blocked-fiber dumps. */
  readonly name?: string | undefined
  /**
   * Telemetry for the group alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal loop); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

/**
 * Runs `f` on every item in a group of its own and returns the results in
 * input order (sourcegraph/conc's `ResultPool`, or the errgroup pattern of
 * writing `results[i]` from each task). Fails fast: the first failure
 * interrupts the other items and is the result; no item starts after it.
 * With `collectAll: true` every item runs and the failure is
 * {@link ErrGroupErrors}.
 *
 * Unlike a loop of {@link go} calls, the caller does not wait for a slot per
 * item: the items that have one start at once, and each task that ends
 * starts the next item in its slot, in the caller's context. The group is
 * the call's own and needs no `Scope`: an item that needs one gets the
 * caller's, as with `Effect.forEach`.
 *
 * A `limit` of 0 (nothing could raise it), NaN or a fraction is a defect
 * ({@link InvalidLimitError}), raised before any item starts. `items` that
 * are not iterable, an `f` that is not a function or that returns something
 * other than an Effect make it die with `InvalidArgumentError`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const forEach: {
  /**
   * Runs `f` on every item, at most `limit` at once, and every item to its
   * end; fails with every failure, as {@link ErrGroupErrors}
   * (sourcegraph/conc's `ResultPool` with `WithErrors()`). Results in input
   * order.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const files: ReadonlyArray<string>
   * declare const check: (file: string) => Effect.Effect<number, Error>
   *
   * // Every file is checked; the failure lists every file that failed.
   * const sizes = ErrGroup.forEach(files, check, { limit: 4, collectAll: true })
   * ```
   *
   * @since 0.1.0
   */
  <A, B, E, R>(
    items: Iterable<A>,
    f: (item: A, index: number) => Effect.Effect<B, E, R>,
    options: ForEachOptions & { readonly collectAll: true }
  ): Effect.Effect<Array<B>, ErrGroupErrors<E>, R>
  /**
   * Runs `f` on every item, at most `limit` at once (negative or absent:
   * no limit), and returns the results in input order. Fails fast: the
   * first failure interrupts the other items and is the result.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const urls: ReadonlyArray<string>
   * declare const fetchPage: (url: string) => Effect.Effect<string, Error>
   *
   * const pages: Effect.Effect<Array<string>, Error> = ErrGroup.forEach(urls, fetchPage, { limit: 4 })
   * ```
   *
   * @since 0.1.0
   */
  <A, B, E, R>(
    items: Iterable<A>,
    f: (item: A, index: number) => Effect.Effect<B, E, R>,
    options?: ForEachOptions & { readonly collectAll?: false | undefined }
  ): Effect.Effect<Array<B>, E, R>
  /**
   * Runs `f` on every item, at most `limit` at once, in a mode known only
   * at run time (`collectAll` a `boolean`): fails with the first failure,
   * or, collecting all, with {@link ErrGroupErrors}. Results in input order.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ErrGroup } from "effect-go"
   *
   * declare const urls: ReadonlyArray<string>
   * declare const fetchPage: (url: string) => Effect.Effect<string, Error>
   * declare const strict: boolean
   *
   * const pages = ErrGroup.forEach(urls, fetchPage, { limit: 4, collectAll: !strict })
   * ```
   *
   * @since 0.1.0
   */
  <A, B, E, R>(
    items: Iterable<A>,
    f: (item: A, index: number) => Effect.Effect<B, E, R>,
    options: ForEachOptions
  ): Effect.Effect<Array<B>, E | ErrGroupErrors<E>, R>
} = <A, B, E, R>(
  items: Iterable<A>,
  f: (item: A, index: number) => Effect.Effect<B, E, R>,
  options?: ForEachOptions
): Effect.Effect<Array<B>, any, R> =>
  Effect.suspend(() => {
    if (!isIterable(items)) return Exit.die(invalidArgument("ErrGroup.forEach", "an iterable", items))
    if (typeof f !== "function") return Exit.die(invalidArgument("ErrGroup.forEach", "a function", f))
    const bad = badOptions("ErrGroup.forEach", options, false)
    if (bad !== undefined) return Exit.die(bad)
    const input = Array.from(items)
    const out = new Array<B>(input.length)
    // A group of its own, which nothing else can reach: no scope is needed
    // to stop its tasks, only an interruption of the caller, handled here.
    const g = new ErrGroupImpl(options?.name, toLimit(options?.limit, false)!, options?.collectAll === true)
    setTelemetry(g, options?.telemetry)
    const group = g as unknown as ErrGroup<unknown>
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiber((fiber) => {
        // The items with a free slot start in this step; each later one
        // when a task ends and gives its slot to it (see `feed`). The
        // caller's interruption is held off until `onInterrupt` is in place.
        g.feeder = new Feeder(input, f as Feeder["f"], out, fiber.context as Context.Context<never>)
        feed(g)
        return Effect.onInterrupt(restore(Effect.as(wait(group), out)), () => stopTasks(g))
      })
    )
  })

/**
 * A `forEach` whose caller was interrupted: nothing starts any more, the
 * running tasks are interrupted, and it returns once every one has stopped
 * (as a group's scope does when it closes).
 */
const stopTasks = (g: ErrGroupImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    g.closed = true
    cancelUnsafe(g, undefined)
    return Effect.asVoid(Effect.exit(wait(g as unknown as ErrGroup<unknown>)))
  })

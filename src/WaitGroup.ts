/**
 * Wait for a collection of tasks to finish: Go's `sync.WaitGroup`.
 *
 * A WaitGroup is a counter. {@link add} raises it, {@link done} lowers it,
 * and {@link wait} blocks until it is zero. {@link go} does all of it for one
 * task — count it, fork it, count it done when it ends, however it ends — as
 * Go 1.25's `wg.Go(f)` does, so that a forgotten `Done` cannot be written.
 *
 * The group is made in a `Scope`, which owns the fibers {@link go} forks:
 * closing the scope interrupts the tasks still running (each then counts as
 * done, so waiters are released). No task outlives the scope.
 *
 * A task that dies (a defect, Go's panic) is logged at once by default: Go
 * crashes the whole program on a panic in a goroutine, which an Effect
 * service must not do (one request's bug would end every other request),
 * but a defect kept silent until someone calls {@link wait} can go unseen
 * for as long as something else waits for the dead task's work. So the
 * default, `onDefect: "log"`, logs the defect through Effect's logger
 * (level Error, with its cause) the moment the task ends and still delivers
 * it to `wait`; `"interrupt"` also interrupts the group's other tasks, so
 * that a `wait` returns with the defect at once (the nearest thing to Go's
 * crash that stays inside the group); `"wait"` only delivers it to `wait`
 * (see {@link WaitGroupOptions}).
 *
 * Differences from Go:
 * - `wait` is interruptible; an interrupted `wait` leaves the list of waiters;
 * - a task started with {@link go} cannot fail: `go` accepts only
 *   `Effect<A, never, R>`, so expected errors must be handled inside the
 *   task. For fallible tasks whose first failure should cancel the others and
 *   reach the waiter, use ErrGroup;
 * - a task that dies is not swallowed: the group records the defect (and
 *   logs it, see above), the task still counts as done, and the `wait` calls
 *   released when the counter reaches zero die with it (if nobody was
 *   waiting, the next `wait` does). It is delivered once. A defect is not
 *   lost to an interrupted `wait`: a `wait` takes it only where its
 *   caller's code receives it before the fiber can next yield (an
 *   interruption landing in that yield would replace it; otherwise the
 *   `wait` takes it at parking and resumes later, with a fresh op budget),
 *   and a `wait` interrupted after the defect was handed to it but before
 *   it resumed gives it back: it stays recorded for the next `wait`, unless
 *   another `wait` released at the same time received it. Once the
 *   caller's code has it, it is the caller's;
 * - a delta that is not a safe integer (fractional, NaN, infinite, beyond
 *   ±(2^53 - 1), or not a number at all) is a defect
 *   ({@link InvalidWaitGroupDeltaError}), like the negative counter Go
 *   panics on ({@link NegativeWaitGroupCounterError}), and so is a counter
 *   that would pass 2^53 - 1; in every case the counter is left unchanged;
 * - {@link go} after the group's scope has closed is a defect
 *   ({@link WaitGroupClosedError}): the task is not started and not counted.
 *   Go has no equivalent (its groups have no scope). It is a defect rather
 *   than a typed error because only the owner of the scope closes it, and it
 *   is the one that starts tasks: a `go` that comes after the close uses a
 *   group past its lifetime, a programming error (as a WaitGroup escaping its
 *   `Effect.scoped` block). A `go` that began before the close (its fork
 *   overtaken by the close) is accepted: its task belongs to the group and
 *   is interrupted with the others, maybe before its first step. `add`,
 *   `done` and `wait` count no fiber of the scope's and keep working after
 *   the close. (WorkerPool's `submit`, by contrast, fails with a typed
 *   `PoolClosedError`: closing a pool is an operation other fibers race
 *   while producers run.)
 *
 * As in Go, a WaitGroup may be reused once every `wait` has returned.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * declare const urls: ReadonlyArray<string>
 * declare const fetchPage: (url: string) => Effect.Effect<string, Error>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const wg = yield* WaitGroup.make({ name: "crawl" })
 *     for (const url of urls) {
 *       yield* WaitGroup.go(wg, fetchPage(url).pipe(Effect.ignore))
 *     }
 *     yield* WaitGroup.wait(wg) // all fetches done
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
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import {
  type BlockedFiber,
  block,
  defer,
  handsOver,
  shallow,
  tooDeep,
  Waiter,
  WaiterList,
  wake
} from "./internal/waiters.ts"
import { badTelemetryOption, invalidArgument, show, typeName, unwrap } from "./internal/copied.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { canStart, startHanding, startNowOrNextTurn, takeHanded } from "./internal/start.ts"
import { activeLayers, nowOn, recordsFor, setTelemetry, taskOutcome } from "./internal/telemetry.ts"
import { anyone, type Diagnosis, type Holder } from "./internal/registry.ts"

const TypeId = "~effect-go/WaitGroup" as const

/**
 * A task counter with waiters. Create it with {@link make}.
 *
 * Pipeable, and Inspectable: `String(wg)` and `console.log(wg)` show
 * `{ _id: "WaitGroup", name, counter, tasks, waiters, closed }` — the
 * counter, the tasks started with {@link go} still running, the fibers
 * blocked in {@link wait}, and whether the group's scope has closed.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitGroup extends Pipeable, Inspectable {
  readonly [TypeId]: typeof TypeId
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * The counter would go below zero (more `done` than `add`): a defect, as Go
 * panics with "sync: negative WaitGroup counter". The counter is unchanged.
 *
 * @category errors
 * @since 0.1.0
 */
export class NegativeWaitGroupCounterError extends Data.TaggedError("NegativeWaitGroupCounterError")<{
  readonly waitGroupName: string | undefined
  /** The counter before the rejected change. */
  readonly counter: number
  readonly delta: number
}> {
  override get message(): string {
    return "sync: negative WaitGroup counter"
  }
}

/**
 * A delta that is not a safe integer (fractional, NaN, infinite, beyond
 * ±(2^53 - 1), not a number), or one that would take the counter past
 * 2^53 - 1 (then `counter` is the counter before the rejected change): a
 * defect, like the negative counter — a programming error that Go's `int`
 * rules out. The counter is unchanged. `delta` is what was passed, whatever
 * its type.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidWaitGroupDeltaError extends Data.TaggedError("InvalidWaitGroupDeltaError")<{
  readonly waitGroupName: string | undefined
  readonly delta: number
  readonly counter?: number | undefined
}> {
  override get message(): string {
    const delta: unknown = this.delta
    const call = `sync: WaitGroup.Add(${show(delta)})`
    if (typeof delta !== "number") return `${call}: the delta must be a safe integer, not ${typeName(delta)}`
    if (!Number.isInteger(delta)) return `${call}: the delta must be an integer`
    if (!Number.isSafeInteger(delta)) {
      return `${call}: the delta must be a safe integer, between -(2^53 - 1) and 2^53 - 1`
    }
    return `${call}: the counter would go from ${this.counter} past 2^53 - 1`
  }
}

/**
 * {@link go} on a group whose scope has closed: a defect (see the module
 * documentation). The task was neither started nor counted.
 *
 * @category errors
 * @since 0.1.0
 */
export class WaitGroupClosedError extends Data.TaggedError("WaitGroupClosedError")<{
  readonly waitGroupName: string | undefined
}> {
  override get message(): string {
    const on = this.waitGroupName === undefined ? "" : ` on ${JSON.stringify(this.waitGroupName)}`
    return `sync: WaitGroup.Go${on} after the group's scope closed: the task was not started (start tasks while the scope is open)`
  }
}

/**
 * What a group does when a task started with {@link go} dies (see
 * {@link WaitGroupOptions}).
 *
 * @category models
 * @since 0.1.0
 */
export type OnDefect = "log" | "interrupt" | "wait"

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface WaitGroupOptions {
  /** Shown in blocked-fiber dumps, deadlock reports and the log of a task's defect. */
  readonly name?: string | undefined
  /**
   * What happens when a task started with {@link go} dies (a defect, Go's
   * panic), besides its being delivered to the next {@link wait}, which it
   * always is:
   * - `"log"` (the default): it is logged at once through Effect's logger,
   *   at level Error with its cause, from the task's context (its loggers,
   *   annotations and minimum log level);
   * - `"interrupt"`: it is logged, and the group's other running tasks are
   *   interrupted, so that a `wait` returns with the defect without waiting
   *   for tasks that may be stuck on the dead one's work (the counts added
   *   with {@link add} are not touched: `wait` still waits for those). The
   *   group stays usable: tasks started afterwards run;
   * - `"wait"`: nothing happens at once; the defect only reaches `wait`
   *   (for code that always waits and handles defects there).
   *
   * Also a `done` called for a task that {@link go} counts itself (Go's
   * negative counter, found when the task ends) is such a defect.
   */
  readonly onDefect?: OnDefect | undefined
  /**
   * Telemetry for this group alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal group); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

/**
 * Defects handed to `wait` calls: by one release to every waiter it woke, or
 * at parking to the one `wait` that took them to resume later. A waiter
 * interrupted before it could resume reports them back (`lost`); when every
 * waiter they were handed to lost them, they are recorded again for the next
 * `wait`.
 */
class Release {
  readonly wg: WaitGroupImpl
  readonly defects: Cause.Cause<never>
  woken = 0
  lost = 0
  /** Every waiter of the release has been woken: `woken` is final. */
  sealed = false
  constructor(wg: WaitGroupImpl, defects: Cause.Cause<never>) {
    this.wg = wg
    this.defects = defects
  }
}

/** A fiber blocked in `wait`. */
class WaitNode extends Waiter {
  /** The defects handed to it, if any: by a release, or taken at parking. */
  release: Release | undefined = undefined
}

/** A task started with `go`, in its group's `running` list while it runs. */
class Task {
  prev: Task | undefined = undefined
  next: Task | undefined = undefined
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** What `registerStarting` registers, and the task it then runs. */
  group: WaitGroupImpl | undefined = undefined
  effect: Effect.Effect<any, never, any> | undefined = undefined
}

class WaitGroupImpl extends PrimitiveBase implements WaitGroup {
  readonly [TypeId] = TypeId
  readonly name: string | undefined
  readonly onDefect: OnDefect
  /** Owns the tasks: its finalizer ({@link closeTasks}) interrupts them. */
  readonly scope: Scope.Scope
  counter = 0
  /** Defects of tasks started with `go`, not yet delivered to a `wait`. */
  defects: Cause.Cause<never> | undefined = undefined
  readonly waiters: WaiterList<WaitNode>
  /** Tasks started with `go` and not ended yet: the head of a doubly linked list. */
  running: Task | undefined = undefined
  /** The finalizer interrupting `running` is in `scope` (added by `make`, or by the first `go`). */
  guarded = false
  /** `scope` has closed: `go` starts nothing any more. */
  closed = false
  constructor(scope: Scope.Scope, name: string | undefined, onDefect: OnDefect) {
    super()
    this.scope = scope
    this.name = name
    this.onDefect = onDefect
    this.waiters = new WaiterList("WaitGroup", name, this, "wait")
  }
  /**
   * For the blocked-fiber dump and the deadlock detector. A `wait` needs
   * every running task to end when the counter is exactly those tasks; a
   * count added by hand can be done by any fiber, so then nobody in
   * particular is in the way (a forgotten `done` is found only when every
   * fiber is asleep).
   */
  diagnose(): Diagnosis {
    const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
    const holders: Array<Holder> = []
    for (let task = this.running; task !== undefined; task = task.next) {
      // A task still being forked has no fiber yet: the count then exceeds the fibers known.
      if (task.fiber === undefined) continue
      fibers.push(task.fiber)
      holders.push({ fiber: task.fiber, role: "task" })
    }
    return {
      kind: "WaitGroup",
      name: this.name,
      state: { count: this.counter },
      queues: [{ list: this.waiters, wakers: this.counter === fibers.length ? { _tag: "AllOf", fibers } : anyone }],
      holders
    }
  }
  toJSON(): unknown {
    let tasks = 0
    for (let task = this.running; task !== undefined; task = task.next) tasks++
    return {
      _id: "WaitGroup",
      name: this.name,
      counter: this.counter,
      tasks,
      waiters: this.waiters.size,
      closed: this.closed
    }
  }
}

const impl = (self: WaitGroup): WaitGroupImpl => unwrap(self, WaitGroupImpl, "WaitGroup")

const onDefectModes: ReadonlyArray<unknown> = ["log", "interrupt", "wait"]

/** What is wrong with the options of `op`, if anything (reported by `make` inside its Effect). */
const badOptions = (op: string, options: WaitGroupOptions | undefined) => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null) {
    return invalidArgument(op, "an options object ({ name?: string, onDefect?: ... })", options)
  }
  const name: unknown = options.name
  if (name !== undefined && typeof name !== "string") {
    return invalidArgument(op, "a string (the group's name) as the name option", name)
  }
  const onDefect: unknown = options.onDefect
  if (onDefect !== undefined && !onDefectModes.includes(onDefect)) {
    return invalidArgument(op, 'onDefect to be "log", "interrupt" or "wait"', onDefect)
  }
  return badTelemetryOption(op, options)
}

/** A group with checked options, its `telemetry` option applied. */
const newGroup = (scope: Scope.Scope, options: WaitGroupOptions | undefined): WaitGroupImpl => {
  const wg = new WaitGroupImpl(scope, options?.name, options?.onDefect ?? "log")
  setTelemetry(wg, options?.telemetry)
  return wg
}

/**
 * A `wait` that needs no waiting: the counter is zero. It takes the recorded
 * defects, if any, as the outcome of one release with this waiter alone, so
 * that an interruption before they reach the caller records them again
 * (`waitCancelled`). The fast path of `wait` (only while `handsOver`), and
 * its try at parking.
 */
const waitNow = (wg: WaitGroupImpl, node: WaitNode | undefined): Exit.Exit<void> | undefined => {
  if (wg.counter !== 0) return undefined
  const defects = wg.defects
  if (defects === undefined) return Exit.void
  wg.defects = undefined
  if (node !== undefined) {
    const release = new Release(wg, defects)
    release.woken = 1
    release.sealed = true
    node.release = release
  }
  return Exit.failCause(defects)
}

const addUnsafe = (wg: WaitGroupImpl, delta: number): Exit.Exit<void> => {
  if (!Number.isSafeInteger(delta)) return Exit.die(new InvalidWaitGroupDeltaError({ waitGroupName: wg.name, delta }))
  const next = wg.counter + delta
  if (next < 0)
    return Exit.die(new NegativeWaitGroupCounterError({ waitGroupName: wg.name, counter: wg.counter, delta }))
  if (next > Number.MAX_SAFE_INTEGER) {
    return Exit.die(new InvalidWaitGroupDeltaError({ waitGroupName: wg.name, delta, counter: wg.counter }))
  }
  wg.counter = next
  if (next === 0 && wg.waiters.size > 0) {
    const waiters = wg.waiters.drain()
    const defects = wg.defects
    if (defects === undefined) {
      // A waiter woken earlier in this loop may have interrupted this one: `wake` skips it.
      for (const node of waiters) wake(node, Exit.void)
    } else {
      wg.defects = undefined
      const exit = Exit.failCause(defects)
      const release = new Release(wg, defects)
      for (const node of waiters) {
        if (node.left) continue
        node.release = release
        release.woken++
        wake(node, exit)
      }
      release.sealed = true
      if (release.lost === release.woken) recordAgain(release)
    }
  }
  return Exit.void
}

/**
 * A `wait` withdrawn by its interruption. If it had been handed defects but
 * had not resumed yet (woken by a release while its fiber was being
 * interrupted — Effect then ignores the resume —, or completed to resume
 * later), it did not receive them: once every waiter of that release is
 * known to have lost them, they are recorded again.
 */
const waitCancelled = (node: WaitNode, completed: Exit.Exit<void> | undefined): void => {
  const release = node.release
  if (release === undefined || completed === undefined || completed._tag === "Success") return
  node.release = undefined
  release.lost++
  if (release.sealed && release.lost === release.woken) recordAgain(release)
}

/** Records a release's defects again, ahead of any recorded since. */
const recordAgain = (release: Release): void => {
  const wg = release.wg
  wg.defects = wg.defects === undefined ? release.defects : Cause.combine(release.defects, wg.defects)
}

/**
 * The scope's finalizer: no task starts any more, and those still running are
 * interrupted (all at once, latest first) and awaited — except the task that
 * is closing the scope, if it is one of them (it would wait for itself).
 */
const closeTasks = (wg: WaitGroupImpl): Effect.Effect<void> =>
  Effect.withFiber((current) => {
    wg.closed = true
    const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
    for (let task = wg.running; task !== undefined; task = task.next) {
      if (task.fiber !== current) fibers.push(task.fiber!)
    }
    return Fiber.interruptAll(fibers)
  })

/**
 * Creates a WaitGroup whose {@link go} tasks live in `scope`, outside of an
 * Effect. Prefer {@link make}. Unsafe by name: it throws where `make` would
 * die (`InvalidArgumentError` on bad options).
 *
 * @example
 * ```ts
 * import { Scope } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * declare const scope: Scope.Scope
 * const wg = WaitGroup.makeUnsafe(scope, { name: "jobs" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (scope: Scope.Scope, options?: WaitGroupOptions): WaitGroup => {
  const bad = badOptions("WaitGroup.makeUnsafe", options)
  if (bad !== undefined) throw bad
  return newGroup(scope, options)
}

/**
 * Creates a WaitGroup with a zero counter. Go: `var wg sync.WaitGroup`.
 *
 * The fibers {@link go} forks live in the current scope: closing it
 * interrupts the tasks still running (all at once) and waits for them.
 * `onDefect` says what a task's defect does at once (default `"log"`, see
 * {@link WaitGroupOptions}). Options that are not `{ name?: string,
 * onDefect?: "log" | "interrupt" | "wait", telemetry?: boolean }` make it
 * die with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const wg = yield* WaitGroup.make({ name: "jobs" }) // a task's defect is logged at once
 *     const strict = yield* WaitGroup.make({ onDefect: "interrupt" }) // ...and stops its siblings
 *     return [wg, strict] as const
 *   })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: WaitGroupOptions): Effect.Effect<WaitGroup, never, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (scope) => {
    const bad = badOptions("WaitGroup.make", options)
    if (bad !== undefined) return Exit.die(bad)
    const wg = newGroup(scope, options)
    wg.guarded = true
    return Effect.as(Scope.addFinalizer(scope, closeTasks(wg)), wg)
  })

/**
 * Adds `delta` (possibly negative) to the counter; when it reaches zero,
 * every blocked {@link wait} is released. Go: `wg.Add(delta)`.
 *
 * A counter going below zero is a defect ({@link NegativeWaitGroupCounterError},
 * Go's "sync: negative WaitGroup counter"); so is a delta that is not a safe
 * integer, or a counter that would pass 2^53 - 1
 * ({@link InvalidWaitGroupDeltaError}). Either way the counter is unchanged.
 *
 * @category combinators
 * @since 0.1.0
 */
export const add: {
  /**
   * Adds `delta` to the counter of the group given later (data-last, for
   * `pipe`). Go: `wg.Add(delta)`. A negative counter or a delta that is not a
   * safe integer is a defect; the counter is then unchanged.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WaitGroup } from "effect-go"
   *
   * declare const wg: WaitGroup.WaitGroup
   * const addThree: Effect.Effect<void> = wg.pipe(WaitGroup.add(3))
   * ```
   *
   * @since 0.1.0
   */
  (delta: number): (self: WaitGroup) => Effect.Effect<void>
  /**
   * Adds `delta` (possibly negative) to the counter; at zero, every blocked
   * {@link wait} is released. Go: `wg.Add(delta)`. A counter going below zero
   * ({@link NegativeWaitGroupCounterError}, Go's "sync: negative WaitGroup
   * counter") or a delta that is not a safe integer
   * ({@link InvalidWaitGroupDeltaError}) is a defect; the counter is then
   * unchanged.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WaitGroup } from "effect-go"
   *
   * declare const wg: WaitGroup.WaitGroup
   * declare const work: Effect.Effect<void>
   *
   * const program = Effect.gen(function* () {
   *   yield* WaitGroup.add(wg, 1) // before the fork, as in Go
   *   yield* Effect.forkChild(Effect.ensuring(work, WaitGroup.done(wg)))
   *   yield* WaitGroup.wait(wg)
   * })
   * ```
   *
   * @since 0.1.0
   */
  (self: WaitGroup, delta: number): Effect.Effect<void>
} = dual(2, (self: WaitGroup, delta: number): Effect.Effect<void> => shallow(() => addUnsafe(impl(self), delta)))

/**
 * Lowers the counter by one. Go: `wg.Done()`. See {@link add}: one `done` too
 * many is a defect (Go's "sync: negative WaitGroup counter").
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * declare const wg: WaitGroup.WaitGroup
 * declare const work: Effect.Effect<void>
 *
 * // Go: defer wg.Done()
 * const task = Effect.ensuring(work, WaitGroup.done(wg))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const done = (self: WaitGroup): Effect.Effect<void> => shallow(() => addUnsafe(impl(self), -1))

/**
 * Waits until the counter is zero. Go: `wg.Wait()`.
 *
 * Returns at once when it is zero already. Interruptible: an interrupted
 * `wait` leaves the list of waiters. Dies with the defects of tasks started
 * with {@link go} that died since the last time they were delivered (see the
 * module documentation).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * declare const wg: WaitGroup.WaitGroup
 *
 * // Give up after 30 seconds; the tasks go on.
 * const waited = WaitGroup.wait(wg).pipe(Effect.timeout("30 seconds"))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const wait = (self: WaitGroup): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const wg = impl(self)
    // Defects taken here only if they surely reach the caller (see `handsOver`).
    const now = wg.defects === undefined || handsOver(fiber) ? waitNow(wg, undefined) : undefined
    if (now !== undefined) return now
    const node = new WaitNode()
    node.op = "wait"
    return block(wg.waiters, node, fiber, waitCancelled, () => waitNow(wg, node))
  })

// A task ended, however it ended (also interrupted before it ran at all, when
// the scope was closing): record a defect, then count it done. The fiber's
// observer runs exactly once, after the fiber (and its finalizers) stopped.
// An observer cannot yield as `shallow` does: when wake-ups are nested too
// deeply (a chain of tasks each releasing the next), the count is taken from a
// fresh stack at the next scheduler turn instead.
const taskEnded = (
  wg: WaitGroupImpl,
  fiber: Fiber.Fiber<unknown, unknown>,
  exit: Exit.Exit<unknown, unknown>,
  context: Context.Context<never> = fiber.context
): void => {
  if (tooDeep()) {
    defer(fiber, () => taskEnded(wg, fiber, exit, context))
    return
  }
  if (exit._tag === "Failure" && Cause.hasDies(exit.cause)) {
    defectFound(wg, fiber, Cause.fromReasons(exit.cause.reasons.filter(Cause.isDieReason)), "died", context)
  }
  // Fails only if someone called `done` for this task too: that misuse must
  // not vanish with the task, so it is delivered to `wait` like a defect.
  const counted = addUnsafe(wg, -1)
  if (counted._tag === "Failure") defectFound(wg, fiber, counted.cause, "was also counted done by hand", context)
}

/**
 * A defect of the task `fiber`: recorded for the next `wait`, and, unless the
 * group says `onDefect: "wait"`, surfaced now (see {@link WaitGroupOptions}).
 */
const defectFound = (
  wg: WaitGroupImpl,
  fiber: Fiber.Fiber<unknown, unknown>,
  defects: Cause.Cause<never>,
  what: string,
  context: Context.Context<never>
): void => {
  wg.defects = wg.defects === undefined ? defects : Cause.combine(wg.defects, defects)
  if (wg.onDefect === "wait") return
  const interrupting = wg.onDefect === "interrupt" && wg.running !== undefined
  logDefect(wg, fiber, defects, what, interrupting, context)
  if (interrupting) {
    // Collected first: an interrupted task may end, and leave the list, at
    // once. The ended task has left it already (see `observe`).
    const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
    for (let task = wg.running; task !== undefined; task = task.next) fibers.push(task.fiber!)
    for (const other of fibers) other.interruptUnsafe(fiber.id)
  }
}

/**
 * Logs a task's defect at level Error, in the task's own context (its
 * loggers, log annotations, minimum log level, clock). It runs in a fiber of
 * its own, started and ended here: the task's fiber has ended, and an
 * observer has no fiber to log from. A logger that fails ends that fiber
 * alone.
 */
const logDefect = (
  wg: WaitGroupImpl,
  fiber: Fiber.Fiber<unknown, unknown>,
  defects: Cause.Cause<never>,
  what: string,
  interrupting: boolean,
  context: Context.Context<never>
): void => {
  const group = wg.name === undefined ? "WaitGroup" : `WaitGroup ${JSON.stringify(wg.name)}`
  const then = interrupting ? "; interrupting the group's other tasks" : ""
  const message = `${group}: a task started with go ${what} (fiber #${fiber.id}); the defect is delivered to the next wait${then}`
  Effect.runForkWith(context)(Effect.logError(message, defects))
}

const goImpl = <A, R>(self: WaitGroup, effect: Effect.Effect<A, never, R>): Effect.Effect<Fiber.Fiber<A>, never, R> =>
  // Counting and starting are one synchronous step, which nothing
  // interrupts: a task is never counted without being started. A group
  // guarded already (any made by `make`) needs no effect for that step, so
  // `go` is an `Effect.sync`, whose result reaches the caller without a step
  // of its own; a group `makeUnsafe` made adds its scope's finalizer first.
  self instanceof WaitGroupImpl && self.guarded
    ? Effect.sync(() => goNow(self, effect))
    : Effect.withFiber(() => {
        const wg = impl(self)
        if (!wg.guarded && isEffect(effect)) {
          wg.guarded = true
          return Effect.andThen(Scope.addFinalizer(wg.scope, closeTasks(wg)), goImpl(self, effect))
        }
        return Exit.succeed(goNow(wg, effect))
      })

/**
 * Checks `effect` and the group, counts the task and starts it; throws (a
 * defect of the running step) what it refuses, counting nothing.
 */
const goNow = <A, R>(wg: WaitGroupImpl, effect: Effect.Effect<A, never, R>): Fiber.Fiber<A> => {
  // Checked before counting: anything but an Effect is refused at the call.
  if (!isEffect(effect)) throw invalidArgument("WaitGroup.go", "an Effect", effect)
  // Checked before counting: a refused task counts for nothing.
  if (wg.closed) throw new WaitGroupClosedError({ waitGroupName: wg.name })
  wg.counter++
  // The scope owns the task through `running` and `closeTasks` (one
  // finalizer for all tasks, cheaper than one each as `forkIn` adds; an
  // intrusive list, cheaper than a Set of 100k fibers).
  if (activeLayers === 0 && canStart()) return startHere(wg, effect)
  // Under telemetry (which times the task from its first step), or for a
  // start deferred past a deep nesting, the task is enlisted — put in the
  // list and watched until it ends — by whichever comes first: its own
  // first step (it starts at once, see `startTask`, and may end before this
  // returns) or the enlisting below. Watching it from its first step also
  // means its observer runs while its context is still there (a defect is
  // logged with the task's loggers and annotations). A task that finds the
  // scope closed at its first step does not run. The child is
  // interruptible, whatever region the caller is in.
  const task = new Task()
  const child = Effect.withFiber((fiber) => {
    enlist(wg, task, fiber)
    return wg.closed ? Effect.interrupt : effect
  })
  const fiber = startNowOrNextTurn(child)
  enlist(wg, task, fiber)
  return fiber as Fiber.Fiber<A>
}

/**
 * The first step of a task started by {@link startHere}: one effect for
 * every task (no closure per start). It puts the task in `running`, where
 * the scope's close finds it (even a close its own first steps set off), and
 * runs it unless the scope closed since the fork.
 */
const registerStarting: Effect.Effect<any, never, any> = Effect.withFiber((fiber) => {
  const task = takeHanded(fiber) as Task
  const wg = task.group!
  const effect = task.effect!
  task.effect = undefined
  link(wg, task, fiber)
  return wg.closed ? Effect.interrupt : effect
})

/**
 * Starts a counted task in this step (untraced). A task that its first
 * steps ended is counted done here — no observer, as `forEach` does for a
 * task that ends at once; its defect is logged in the context it started
 * in, its parent's, since an ended fiber's own is gone. Any other task is
 * watched from here until it ends.
 */
const startHere = <A, R>(wg: WaitGroupImpl, effect: Effect.Effect<A, never, R>): Fiber.Fiber<A> => {
  const task = new Task()
  task.group = wg
  task.effect = effect
  const fiber = startHanding(registerStarting, task) as Fiber.Fiber<A>
  const exit = fiber.pollUnsafe()
  if (exit !== undefined) {
    unlink(wg, task)
    taskEnded(wg, fiber, exit, Fiber.getCurrent()!.context)
  } else {
    fiber.addObserver((exit) => {
      unlink(wg, task)
      taskEnded(wg, fiber, exit)
    })
  }
  return fiber
}

/** Puts a task in `running`, once. */
const link = (wg: WaitGroupImpl, task: Task, fiber: Fiber.Fiber<unknown, unknown>): void => {
  task.fiber = fiber
  task.next = wg.running
  if (wg.running !== undefined) wg.running.prev = task
  wg.running = task
}

/** Takes a task out of `running` (a no-op for one that never joined it). */
const unlink = (wg: WaitGroupImpl, task: Task): void => {
  if (task.prev !== undefined) task.prev.next = task.next
  else if (wg.running === task) wg.running = task.next
  if (task.next !== undefined) task.next.prev = task.prev
}

/**
 * Puts a task in `running` and counts it done when it ends, once. Its
 * observer takes it out of `running`.
 */
const enlist = (wg: WaitGroupImpl, task: Task, fiber: Fiber.Fiber<unknown, unknown>): void => {
  if (task.fiber !== undefined) return
  link(wg, task, fiber)
  // Under telemetry, the task's outcome and run time are recorded.
  const started = activeLayers !== 0 && recordsFor(fiber, wg) ? nowOn(fiber) : -1
  fiber.addObserver((exit) => {
    unlink(wg, task)
    if (started >= 0) taskOutcome("WaitGroup", wg.name, exit, nowOn(fiber) - started, fiber, wg)
    taskEnded(wg, fiber, exit)
  })
}

/**
 * Counts a task and forks it in the group's scope, in one step; the task
 * counts as done when it ends, however it ends. Go 1.25: `wg.Go(f)`.
 *
 * The task starts at once: it runs until it first suspends before `go`
 * returns, as Effect's `FiberSet.run` starts its fibers (Go does not order
 * a goroutine against its parent). Returns the task's fiber (Go returns nothing), to join or interrupt one
 * task; the group still counts it done when it is interrupted.
 *
 * The task cannot fail (`E = never`): handle its errors inside it, or use
 * ErrGroup for fallible tasks. A defect is recorded and reaches
 * {@link wait}, and is logged at once unless the group was made with
 * `onDefect: "wait"`. Something that is not an Effect makes `go` die with
 * `InvalidArgumentError`, counting and starting nothing. Once the group's
 * scope has closed, `go` dies with
 * {@link WaitGroupClosedError} and neither counts nor starts the task; a
 * `go` the close overtakes (it began before) returns a fiber that the close
 * interrupts, maybe before the task's first step.
 *
 * @category combinators
 * @since 0.1.0
 */
export const go: {
  /**
   * Counts the task given later and forks it in the group's scope
   * (data-last, for `pipe`); it counts as done when it ends, however it ends.
   * Go 1.25: `wg.Go(f)`. Returns the task's fiber. The task cannot fail:
   * handle its errors inside it, or use ErrGroup.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WaitGroup } from "effect-go"
   *
   * declare const wg: WaitGroup.WaitGroup
   * declare const worker: (i: number) => Effect.Effect<void>
   *
   * const started = worker(1).pipe(WaitGroup.go(wg))
   * ```
   *
   * @since 0.1.0
   */
  (self: WaitGroup): <A, R>(effect: Effect.Effect<A, never, R>) => Effect.Effect<Fiber.Fiber<A>, never, R>
  /**
   * Counts `effect` and forks it in the group's scope, in one step; it
   * counts as done when it ends, however it ends. Go 1.25: `wg.Go(f)`.
   * Returns the task's fiber (Go returns nothing), to join or interrupt one
   * task. The task cannot fail (`E = never`): handle its errors inside it,
   * or use ErrGroup. A defect reaches {@link wait} (and is logged at once by
   * default). After the group's scope closed, `go` dies with
   * {@link WaitGroupClosedError}, starting nothing.
   *
   * @example
   * ```ts
   * import { Effect, Fiber } from "effect"
   * import { WaitGroup } from "effect-go"
   *
   * declare const wg: WaitGroup.WaitGroup
   * declare const square: (n: number) => Effect.Effect<number>
   *
   * const program = Effect.gen(function* () {
   *   const fiber = yield* WaitGroup.go(wg, square(7))
   *   yield* WaitGroup.wait(wg)
   *   return yield* Fiber.join(fiber) // 49
   * })
   * ```
   *
   * @since 0.1.0
   */
  <A, R>(self: WaitGroup, effect: Effect.Effect<A, never, R>): Effect.Effect<Fiber.Fiber<A>, never, R>
} = effectLast(2, goImpl)

/**
 * The counter right now (a snapshot, for tests and metrics). Go has no
 * equivalent.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WaitGroup } from "effect-go"
 *
 * declare const wg: WaitGroup.WaitGroup
 * const pending = WaitGroup.count(wg).pipe(Effect.tap((n) => Effect.log(`${n} tasks pending`)))
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const count = (self: WaitGroup): Effect.Effect<number> => Effect.sync(() => impl(self).counter)

/**
 * The fibers blocked in {@link wait}, longest waiting first; `op` is `wait`.
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = (self: WaitGroup): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => impl(self).waiters.blocked())

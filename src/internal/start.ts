/**
 * How a group (`WaitGroup.go`, `ErrGroup.go`) starts a task's fiber.
 *
 * The task starts at once: its first steps run, up to its first suspension,
 * before `go` returns — as Effect's own `FiberSet.run` and `Effect.forEach`
 * start theirs. Go does not order a new goroutine against its parent (on
 * several threads it often runs first), and deferring the start costs a
 * scheduler turn and Node's async-context bookkeeping per task: the fiber
 * then suspends once before it has done anything. A task that finishes
 * without suspending (a cache hit, a parse) costs no turn at all.
 *
 * A start runs on the JavaScript stack of the `go` that made it, so tasks
 * whose first steps call `go` again nest. Past {@link MAX_START_DEPTH}
 * nested starts a task starts at the next scheduler turn instead, from a
 * fresh stack, as a deep chain of wake-ups does (see `tooDeep`).
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** How many starts may nest on one stack. */
export const MAX_START_DEPTH = 32

let depth = 0

/**
 * Whether {@link startTask} would start a task now (rather than refuse it
 * past {@link MAX_START_DEPTH}). A `go` that knows it will start its task in
 * this step needs no uninterruptible region around taking its place and the
 * start: both happen in one synchronous step, which nothing interrupts.
 */
export const canStart = (): boolean => depth < MAX_START_DEPTH

/**
 * Starts `effect` as a detached fiber (the group's scope owns it) in this
 * step, on this stack, in the current fiber's context (its services and
 * references: what `Effect.forkDetach` gives a child); returns its fiber,
 * which may have ended already. `context`, when given, replaces the current
 * fiber's: a start made outside the forking fiber's steps (from a task's
 * observer) runs in the context it was asked for. Past {@link MAX_START_DEPTH} nested starts
 * it returns undefined (see {@link startNowOrNextTurn}). Call it from a step
 * of the forking fiber (a mask's callback, a continuation), in an
 * uninterruptible region.
 */
export const startTask = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: Context.Context<never> = Fiber.getCurrent()!.context
): Fiber.Fiber<A, E> | undefined => {
  if (depth >= MAX_START_DEPTH) return undefined
  if (context !== lastContext) {
    lastContext = context
    lastRun = Effect.runForkWith(context)
  }
  const run = lastRun!
  depth++
  try {
    return run(effect as Effect.Effect<A, E>)
  } finally {
    depth--
  }
}

/**
 * Starts `effect` as {@link startTask} does or, past {@link MAX_START_DEPTH}
 * nested starts, with a first step that yields, so that it runs from a
 * fresh stack at the next scheduler turn; returns its fiber either way.
 */
export const startNowOrNextTurn = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: Context.Context<never> = Fiber.getCurrent()!.context
): Fiber.Fiber<A, E> =>
  startTask(effect, context) ??
  Effect.runForkWith(context)(Effect.andThen(Effect.yieldNow, effect as Effect.Effect<A, E>))

/**
 * Effect's runner for the context of the last start, kept: a group's `go`
 * calls come in runs from one fiber, in one context, and a runner made per
 * start would be a closure per task. (It keeps one context reachable until
 * a start in another context replaces it.)
 */
let lastContext: Context.Context<never> | undefined
let lastRun: (<A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>) | undefined

/**
 * What a start hands to its fiber's first step (see {@link startHanding}):
 * set just before the start, taken by that step. A start runs its first step
 * synchronously, before anything else can start, so one slot serves every
 * group; a scheduler that yields even before a fiber's first step leaves it
 * untaken, and it moves to `late`, keyed by the fiber. (A late fiber
 * interrupted before its first step never takes its entry: the entry goes
 * with the fiber, and `lateCount` only keeps later takes looking there.)
 */
let handed: unknown
let lateCount = 0
const late = new WeakMap<Fiber.Fiber<unknown, unknown>, unknown>()

/**
 * Starts `first` as {@link startTask} does, handing `data` to its first
 * step, which calls {@link takeHanded}: one effect for every task (a group's
 * registration step) and no closure per start. Call it only when
 * {@link canStart} says the start happens now.
 */
export const startHanding = <A, E, R>(
  first: Effect.Effect<A, E, R>,
  data: unknown,
  context?: Context.Context<never>
): Fiber.Fiber<A, E> => {
  handed = data
  const fiber = startTask(first, context)!
  if (handed === data) {
    handed = undefined
    late.set(fiber, data)
    lateCount++
  }
  return fiber
}

/** In the first step of a fiber started by {@link startHanding}: what was handed to it. */
export const takeHanded = (fiber: Fiber.Fiber<unknown, unknown>): unknown => {
  if (lateCount > 0) {
    const data = late.get(fiber)
    if (data !== undefined) {
      late.delete(fiber)
      lateCount--
      return data
    }
  }
  const data = handed
  handed = undefined
  return data
}

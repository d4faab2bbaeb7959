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
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/** How many starts may nest on one stack. */
export const MAX_START_DEPTH = 32

let depth = 0

const IMMEDIATELY = { startImmediately: true } as const

/**
 * Forks `effect` detached (the group's scope owns it), to start at once
 * unless starts are nested too deeply. Call it in the step that forks (a
 * mask's callback), and call {@link taskForked} in the step after the fork
 * (a `map` of the returned effect), in an uninterruptible region: the count
 * of nested starts is taken in one and given back in the other.
 */
export const forkTask = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Fiber.Fiber<A, E>, never, R> =>
  depth++ < MAX_START_DEPTH ? Effect.forkDetach(effect, IMMEDIATELY) : Effect.forkDetach(effect)

/** The fork made by {@link forkTask} has returned. */
export const taskForked = (): void => {
  depth--
}

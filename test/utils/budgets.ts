/**
 * Races with Effect's scheduler. The run loop may yield before evaluating
 * any effect once a fiber's op budget (`Scheduler.MaxOpsBeforeYield`) is
 * spent; running a workload under every budget from 3 to 40 puts that yield
 * at every point of its operations. (1 and 2 livelock Effect itself.) A
 * regression usually hangs: the timeout turns the hang into a failure that
 * names the budget.
 */
import * as Effect from "effect/Effect"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"

/** Every op budget worth trying: 3 to 40. */
export const budgets: ReadonlyArray<number> = Array.from({ length: 38 }, (_, i) => i + 3)

/**
 * Runs `workload` (each run in its own scope) under each of {@link budgets},
 * failing with "hung with MaxOpsBeforeYield=N" when a run takes over 2 s of
 * real time. Use it in `it.live` tests.
 */
export const underEveryBudget = <E, R>(
  workload: () => Effect.Effect<void, E, R>
): Effect.Effect<void, E, Exclude<R, Scope.Scope>> =>
  Effect.forEach(
    budgets,
    (budget) =>
      Effect.scoped(workload()).pipe(
        Effect.provideService(Scheduler.MaxOpsBeforeYield, budget),
        Effect.timeoutOrElse({ duration: "2 seconds", orElse: () => Effect.die(`hung with MaxOpsBeforeYield=${budget}`) })
      ),
    { discard: true }
  )

/** `body`, `n` times, with no yield of its own between rounds. */
export const loop = <E, R>(n: number, body: Effect.Effect<unknown, E, R>): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i++ < n, body: () => body, step: () => {} })
  })

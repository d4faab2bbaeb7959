/**
 * Scenarios shared by the task groups (WaitGroup, ErrGroup): both fork tasks
 * that register themselves in their first step and are owned by a scope.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import { loop } from "./budgets.ts"
import { settle } from "./fibers.ts"

/**
 * A fiber loops `go(group, task)` while the first task to start wakes a
 * closer, which closes the group's scope at once — on the task's stack,
 * possibly before the looping fiber has seen the fork's result. Returns how
 * many started tasks were still alive right after the close (must be 0).
 * Run it under every op budget, with `shift` moving the yields.
 */
export const closeFromTheFirstTask = <G, E>(
  make: Effect.Effect<G, E, Scope.Scope>,
  go: (group: G, task: Effect.Effect<never>) => Effect.Effect<unknown>,
  shift: number
): Effect.Effect<{ readonly alive: number; readonly group: G }, E> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const group = yield* make.pipe(Scope.provide(scope))
    const trigger = yield* Deferred.make<void>()
    const started: Array<Fiber.Fiber<unknown, unknown>> = []
    const task = Effect.andThen(
      Effect.withFiber((fiber) => {
        started.push(fiber)
        return Deferred.succeed(trigger, undefined)
      }),
      Effect.never
    )
    const closer = yield* Effect.forkChild(
      Effect.andThen(
        Deferred.await(trigger),
        Effect.andThen(
          Scope.close(scope, Exit.void),
          Effect.sync(() => started.filter((fiber) => fiber.pollUnsafe() === undefined).length)
        )
      )
    )
    yield* settle
    const looping = yield* Effect.forkChild(
      Effect.andThen(loop(shift, Effect.void), Effect.forever(go(group, task), { disableYield: true }))
    )
    const alive = yield* Fiber.join(closer)
    yield* Fiber.interrupt(looping)
    return { alive, group }
  })

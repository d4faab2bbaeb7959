/**
 * Scenarios shared by the task groups (WaitGroup, ErrGroup): both fork tasks
 * that register themselves in their first step and are owned by a scope,
 * and both refuse a `go` that comes after their scope closed.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import { loop } from "./budgets.ts"
import { settle } from "./fibers.ts"

/**
 * A fiber loops `go(group, task)` while the first task to start wakes a
 * closer, which closes the group's scope at once — on the task's stack,
 * possibly before the looping fiber has seen the fork's result. Returns how
 * many started tasks were still alive right after the close (must be 0) and
 * how the looping fiber ended: it is not interrupted, so it ends only when a
 * `go` refuses to start a task once the scope has closed.
 * Run it under every op budget, with `shift` moving the yields.
 */
export const closeFromTheFirstTask = <G, E>(
  make: Effect.Effect<G, E, Scope.Scope>,
  go: (group: G, task: Effect.Effect<never>) => Effect.Effect<unknown>,
  shift: number
): Effect.Effect<{ readonly alive: number; readonly looping: Exit.Exit<unknown>; readonly group: G }, E> =>
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
    return { alive, looping: yield* Fiber.await(looping), group }
  })

/**
 * A fiber loops `go(group, task)` while this one closes the group's scope
 * after `shift` yields: some `go` calls come before the close, one may be
 * overtaken by it, the next comes after it. Returns how the looping fiber
 * ended (it is not interrupted: it ends when a `go` refuses its task), how
 * many `go` calls returned, how many tasks had started when the close
 * returned and how many of them were still alive then, and how many tasks
 * started after it (must be 0).
 */
export const goRacingTheClose = <G, E>(
  make: Effect.Effect<G, E, Scope.Scope>,
  go: (group: G, task: Effect.Effect<never>) => Effect.Effect<unknown>,
  shift: number
): Effect.Effect<
  {
    readonly looping: Exit.Exit<unknown>
    readonly accepted: number
    readonly started: number
    readonly alive: number
    readonly startedAfterClose: number
    readonly group: G
  },
  E
> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const group = yield* make.pipe(Scope.provide(scope))
    const started: Array<Fiber.Fiber<unknown, unknown>> = []
    const task = Effect.andThen(
      Effect.withFiber((fiber) => {
        started.push(fiber)
        return Effect.void
      }),
      Effect.never
    )
    let accepted = 0
    const looping = yield* Effect.forkChild(
      Effect.forever(
        Effect.andThen(
          go(group, task),
          Effect.sync(() => {
            accepted++
          })
        ),
        { disableYield: true }
      )
    )
    yield* loop(shift, Effect.yieldNow)
    yield* Scope.close(scope, Exit.void)
    const atClose = started.length
    const alive = started.filter((fiber) => fiber.pollUnsafe() === undefined).length
    const exit = yield* Fiber.await(looping)
    yield* settle
    return { looping: exit, accepted, started: atClose, alive, startedAfterClose: started.length - atClose, group }
  })

/**
 * A scheduler whose fibers yield before every step, their first included:
 * a task's first step then runs at a later turn instead of inside the `go`
 * that started it.
 */
export class YieldEveryStep extends Scheduler.MixedScheduler {
  override shouldYield(): boolean {
    return true
  }
}

/**
 * Starts `n` tasks through `go` under {@link YieldEveryStep}: even tasks end
 * at once, odd ones suspend first, and every third starts another task from
 * its first steps. Returns how many tasks ran, after `wait`.
 */
export const startsUnderYieldEveryStep = <G, E>(
  make: Effect.Effect<G, E, Scope.Scope>,
  go: (group: G, task: Effect.Effect<void>) => Effect.Effect<unknown>,
  wait: (group: G) => Effect.Effect<unknown, unknown>,
  n: number
): Effect.Effect<number, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const group = yield* make
      let ran = 0
      const task = (i: number): Effect.Effect<void> =>
        Effect.suspend(() => {
          ran++
          const nested =
            i % 3 === 0
              ? Effect.asVoid(
                  go(
                    group,
                    Effect.sync(() => ran++)
                  )
                )
              : Effect.void
          return i % 2 === 0 ? nested : Effect.andThen(Effect.yieldNow, nested)
        })
      for (let i = 0; i < n; i++) yield* go(group, task(i))
      yield* wait(group)
      return ran
    })
  ).pipe(Effect.provideService(Scheduler.Scheduler, new YieldEveryStep()))

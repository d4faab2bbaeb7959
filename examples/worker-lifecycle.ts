/**
 * Go Concurrency · "Worker With Lifecycle Management": a long-lived worker
 * wrapped in a struct; a context stops it, a done channel joins it.
 *
 * Go:
 *   type Worker struct { done chan struct{} }
 *   func NewWorker(ctx context.Context) *Worker {
 *     w := &Worker{done: make(chan struct{})}
 *     go w.run(ctx)
 *     return w
 *   }
 *   func (w *Worker) run(ctx context.Context) {
 *     defer close(w.done)
 *     for {
 *       select {
 *       case <-ctx.Done(): return
 *       default: // work
 *       }
 *     }
 *   }
 *   func (w *Worker) Wait() { <-w.done }
 *
 * `Worker.make(ctx)` is `NewWorker`: it forks `run` in the caller's Scope,
 * so even a worker whose context is never cancelled cannot outlive the code
 * that created it ("no goroutines without lifecycle management"). A unit of
 * work here takes 10 ms; the context checks happen between units, as in Go,
 * so the unit in progress at cancellation finishes first.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as Example from "./Example.ts"

class Worker {
  readonly done = Chan.makeUnsafe<void>()
  units = 0
  readonly name: string
  private constructor(name: string) {
    this.name = name
  }

  // Go: NewWorker(ctx)
  static make(name: string, ctx: GoContext.GoContext): Effect.Effect<Worker, never, Scope.Scope> {
    return Effect.suspend(() => {
      const w = new Worker(name)
      return Effect.as(Effect.forkScoped(w.run(ctx)), w)
    })
  }

  private work(): Effect.Effect<void> {
    return Effect.sleep("10 millis").pipe(
      Effect.andThen(Effect.sync(() => this.units++)),
      Effect.andThen(Effect.suspend(() => Console.log(`  ${this.name}: unit ${this.units} done`)))
    )
  }

  private run(ctx: GoContext.GoContext): Effect.Effect<void> {
    const step = Select.select(
      Select.recv(GoContext.done(ctx), () => Effect.succeed(false)), // case <-ctx.Done(): return
      Select.otherwise(() => Effect.as(this.work(), true)) // default: work
    )
    const loop: Effect.Effect<void> = Effect.flatMap(step, (more) => (more ? loop : Effect.void))
    return loop.pipe(Effect.ensuring(Effect.ignore(Chan.close(this.done)))) // defer close(w.done)
  }

  // Go: w.Wait()
  readonly wait: Effect.Effect<void> = Effect.suspend(() => Effect.asVoid(Chan.recv(this.done)))
}

const program = Effect.gen(function* () {
  const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
  const w = yield* Worker.make("worker", ctx)
  yield* Effect.sleep("35 millis")
  yield* Console.log("  main: cancel()")
  yield* cancel
  yield* w.wait
  yield* Console.log(`  main: Wait returned; the worker did ${w.units} units of work`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "worker-lifecycle",
  section: "Go Concurrency · Goroutine Lifecycle · Worker With Lifecycle Management",
  title: "a Worker struct: NewWorker forks run(ctx) in the caller's scope, Wait joins on its done channel",
  uses: ["GoContext", "Chan", "Select"],
  program,
  expected: [
    "worker: unit 1 done",
    "worker: unit 2 done",
    "worker: unit 3 done",
    "main: cancel()",
    "worker: unit 4 done",
    "main: Wait returned; the worker did 4 units of work"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Go Concurrency · "Context-Based Cancellation (Primary)": a worker that
 * flushes on every tick until its context is cancelled, then returns
 * `ctx.Err()`.
 *
 * Go:
 *   func (w *Worker) Run(ctx context.Context) error {
 *     ticker := time.NewTicker(interval)
 *     defer ticker.Stop()
 *     for {
 *       select {
 *       case <-ticker.C:  flush()
 *       case <-ctx.Done(): return ctx.Err()
 *       }
 *     }
 *   }
 *   ctx, cancel := context.WithCancel(context.Background())
 *   go w.Run(ctx)
 *   cancel() // later: signal stop
 *
 * The first half is that program, line for line, with `GoContext` (Go's
 * context package). `run` fails with the context's error, a typed
 * `CanceledError` whose message is Go's "context canceled".
 *
 * The second half is the Effect way: the worker takes no ctx at all.
 * `GoContext.run(ctx, worker)` interrupts it when the context is cancelled
 * — wherever it is blocked, not only at the select — and fails with the
 * same error. A timeout context shows `DeadlineExceededError`.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as Ticker from "../src/Ticker.ts"
import * as Example from "./Example.ts"

class Worker {
  flushes = 0
  readonly flush = Effect.suspend(() => Console.log(`  flush ${++this.flushes}`))

  // Go's Run(ctx): the ctx is watched at the select.
  run(ctx: GoContext.GoContext): Effect.Effect<never, GoContext.ContextError> {
    const flush = this.flush
    return Effect.gen(function* () {
      const ticker = yield* Ticker.make("10 millis") // defer ticker.Stop(): the scope below
      while (true) {
        const stop = yield* Select.select(
          Select.recv(ticker.c, () => Effect.as(flush, false)),
          Select.recv(GoContext.done(ctx), () => Effect.succeed(true))
        )
        if (stop) return yield* Effect.flatMap(GoContext.err(ctx), (err) => Effect.fail(Option.getOrThrow(err)))
      }
    }).pipe(Effect.scoped)
  }

  // The Effect way: no ctx parameter; the caller decides how it is cancelled.
  readonly runForever: Effect.Effect<void> = Effect.suspend(() => {
    const flush = this.flush
    return Effect.gen(function* () {
      const ticker = yield* Ticker.make("10 millis")
      yield* Chan.forEach(ticker.c, () => flush)
    }).pipe(Effect.scoped)
  })
}

const program = Effect.gen(function* () {
  yield* Console.log("Run(ctx), cancelled by cancel():")
  const w = new Worker()
  const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
  const fiber = yield* Effect.forkChild(w.run(ctx)) // go w.Run(ctx)
  yield* Effect.sleep("35 millis")
  yield* cancel // signal stop
  const returned = yield* Effect.result(Fiber.join(fiber))
  yield* Console.log(`  Run returned: ${returned._tag === "Failure" ? returned.failure.message : "?"}`)

  yield* Console.log("GoContext.run(ctx, worker) with a 25 ms timeout:")
  const w2 = new Worker()
  const [timed] = yield* GoContext.withTimeout(GoContext.background, "25 millis") // cancelled with the scope
  const result = yield* Effect.result(GoContext.run(timed, w2.runForever))
  yield* Console.log(
    `  worker stopped after ${w2.flushes} flushes: ${result._tag === "Failure" ? `${result.failure._tag} (${result.failure.message})` : "ok"}`
  )
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "worker-context-ticker",
  section: "Go Concurrency · Goroutine Lifecycle · Context-Based Cancellation",
  title: "a ticking worker stopped by its context: select on done(ctx), or GoContext.run around a ctx-free worker",
  uses: ["GoContext", "Ticker", "Select", "Chan"],
  program,
  expected: [
    "Run(ctx), cancelled by cancel():",
    "flush 1",
    "flush 2",
    "flush 3",
    "Run returned: context canceled",
    "GoContext.run(ctx, worker) with a 25 ms timeout:",
    "flush 1",
    "flush 2",
    "worker stopped after 2 flushes: DeadlineExceededError (context deadline exceeded)"
  ]
})

if (import.meta.main) Example.runMain(example)

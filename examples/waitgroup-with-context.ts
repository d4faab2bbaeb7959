/**
 * WaitGroup Deep Dive · "Advanced Concepts — 1. WaitGroup with Context": wait
 * for a WaitGroup, but give up when a context is done.
 *
 * Go:
 *   func WaitGroupWithContext(ctx context.Context, wg *sync.WaitGroup) error {
 *       ch := make(chan struct{})
 *       go func() { wg.Wait(); close(ch) }()
 *       select {
 *       case <-ch:         return nil
 *       case <-ctx.Done(): return ctx.Err()
 *       }
 *   }
 *
 * Go's `Wait` cannot be cancelled, hence the helper goroutine — which stays
 * blocked in `wg.Wait()` after the timeout, until the group finishes. In
 * effect-go `WaitGroup.wait` is interruptible, so `GoContext.run(ctx, wait)`
 * is the whole function: when the context is done the wait is interrupted
 * (leaving no waiter behind) and the result fails with `ctx.Err()`.
 *
 * Two runs with a 50 ms timeout: tasks of 10/20/30 ms finish in time; with
 * an 80 ms task the deadline passes first. Go would leave that task running;
 * here it belongs to the group's scope, which stops it when it closes.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as GoContext from "../src/GoContext.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const waitGroupWithContext = <E extends GoContext.ContextError>(ctx: GoContext.GoContext<E>, wg: WaitGroup.WaitGroup) =>
  GoContext.run(ctx, WaitGroup.wait(wg))

const run = (durations: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const [ctx] = yield* GoContext.withTimeout(GoContext.background, "50 millis")
    const wg = yield* WaitGroup.make()
    for (const [i, millis] of durations.entries()) {
      yield* WaitGroup.go(
        wg,
        Effect.sleep(`${millis} millis`).pipe(
          Effect.onInterrupt(() => Console.log(`  task ${i + 1} (${millis} ms) interrupted when the scope closed`))
        )
      )
    }
    const result = yield* waitGroupWithContext(ctx, wg).pipe(
      Effect.as("nil"),
      Effect.catchTag("DeadlineExceededError", (e) => Effect.succeed(e.message))
    )
    yield* Console.log(`  WaitGroupWithContext = ${result} (tasks still running: ${yield* WaitGroup.count(wg)})`)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* Console.log("tasks of 10, 20, 30 ms; timeout 50 ms:")
  yield* run([10, 20, 30])
  yield* Console.log("tasks of 10, 20, 80 ms; timeout 50 ms:")
  yield* run([10, 20, 80])
})

export const example = Example.make({
  name: "waitgroup-with-context",
  section: "WaitGroup Deep Dive · Advanced Concepts · 1. WaitGroup with Context",
  title: "wait for a group or until a context's deadline: GoContext.run interrupts the wait",
  uses: ["WaitGroup", "GoContext"],
  program,
  expected: [
    "tasks of 10, 20, 30 ms; timeout 50 ms:",
    "WaitGroupWithContext = nil (tasks still running: 0)",
    "tasks of 10, 20, 80 ms; timeout 50 ms:",
    "WaitGroupWithContext = context deadline exceeded (tasks still running: 1)",
    "task 3 (80 ms) interrupted when the scope closed"
  ]
})

if (import.meta.main) Example.runMain(example)

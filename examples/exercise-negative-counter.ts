/**
 * sync.WaitGroup · "Exercises — 2. Intentionally call Done() more times than
 * Add(). Observe panic."
 *
 * Go:
 *   var wg sync.WaitGroup
 *   wg.Add(2)
 *   for i := 0; i < 3; i++ { go func() { defer wg.Done() }() } // three Done for two Add
 *   wg.Wait()
 *   // panic: sync: negative WaitGroup counter
 *
 * Observed as a defect with Go's message, twice over:
 * - the direct way: `add(2)` then three `done` — the third one dies with
 *   `NegativeWaitGroupCounterError` (see also bug-negative-counter);
 * - inside a task: a `WaitGroup.go` task that also calls `done` for itself
 *   counts down twice. Its own `done` brings the counter to zero and
 *   releases `wait` before the task has ended (as an early Done does in
 *   Go); when the task then ends, the group's count-down would go negative.
 *   Go crashes the program at that moment; here the defect is recorded and
 *   delivered to the next `wait`, which dies with it.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const describe = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit) ? "no panic" : `panic: ${(Cause.squash(exit.cause) as Error).message}`

const program = Effect.gen(function* () {
  // Direct: two Add, three Done.
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.add(wg, 2)
  for (let i = 1; i <= 3; i++) {
    const exit = yield* Effect.exit(WaitGroup.done(wg))
    yield* Console.log(`done #${i}: ${describe(exit)}`)
  }

  // Inside tasks: WaitGroup.go already counts the task done; an extra done is one too many.
  const wg2 = yield* WaitGroup.make()
  yield* WaitGroup.go(wg2, Effect.sleep("5 millis").pipe(Effect.andThen(WaitGroup.done(wg2))))
  const exit = yield* Effect.exit(WaitGroup.wait(wg2))
  yield* Console.log(`WaitGroup.go task that also calls done: wait released early by that done (${describe(exit)} yet)`)
  yield* Effect.sleep("1 millis") // the task ends: its count-down goes negative and is recorded
  const exit2 = yield* Effect.exit(WaitGroup.wait(wg2))
  yield* Console.log(`the next wait: ${describe(exit2)}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "exercise-negative-counter",
  section: "sync.WaitGroup · Exercises · 2. Call Done() more times than Add()",
  title: "more done than add: the defect “sync: negative WaitGroup counter”, also when it happens inside a task",
  uses: ["WaitGroup"],
  program,
  expected: [
    "done #1: no panic",
    "done #2: no panic",
    "done #3: panic: sync: negative WaitGroup counter",
    "WaitGroup.go task that also calls done: wait released early by that done (no panic yet)",
    "the next wait: panic: sync: negative WaitGroup counter"
  ]
})

if (import.meta.main) Example.runMain(example)

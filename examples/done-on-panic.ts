/**
 * sync.WaitGroup · "Correct Usage Patterns — Pattern 2: Done with Defer
 * (Safest)": `defer wg.Done()` runs even if the work panics, so the counter
 * cannot stay above zero.
 *
 * Go:
 *   wg.Add(1)
 *   go func() {
 *       defer wg.Done() // Guaranteed even if panic
 *       // Work that might panic
 *   }()
 *
 * A task started with `WaitGroup.go` counts as done however it ends —
 * success, defect (Go's panic) or interruption. The defect is not lost
 * either: `wait` returns once the counter is zero and then fails with it
 * (Go would crash the whole program instead).
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const work = (id: number) =>
  Effect.gen(function* () {
    yield* Effect.sleep(`${id * 5} millis`)
    if (id === 2) return yield* Effect.die(new Error(`task ${id}: index out of range`))
    yield* Console.log(`task ${id} done`)
  })

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  for (const id of [1, 2, 3]) yield* WaitGroup.go(wg, work(id))
  const exit = yield* Effect.exit(WaitGroup.wait(wg))
  yield* Console.log(`wait returned; counter = ${yield* WaitGroup.count(wg)}`)
  if (Exit.isFailure(exit)) {
    yield* Console.log(`reported by wait: panic: ${(Cause.squash(exit.cause) as Error).message}`)
  }
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "done-on-panic",
  section: "sync.WaitGroup · Correct Usage Patterns · Pattern 2: Done with Defer (Safest)",
  title: "a task that dies still counts as done; wait returns and reports the defect",
  uses: ["WaitGroup"],
  program,
  expected: [
    "task 1 done",
    "task 3 done",
    "wait returned; counter = 0",
    "reported by wait: panic: task 2: index out of range"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Coordination Guide · "Common Mistakes and Gotchas" #1: calling `Add` inside
 * the goroutine races with `Wait`.
 *
 * Go:
 *   // ❌ Adding inside goroutine can race with Wait
 *   for i := 0; i < 3; i++ {
 *     go func() { wg.Add(1); defer wg.Done(); work(i) }()
 *   }
 *   wg.Wait() // may see 0 and return before any Add ran
 *   // ✅ Call Add(n) BEFORE launching n goroutines
 *
 * effect-go keeps `add` and `done` (Go code ports need them), so the bug
 * can still be spelled out — and on Effect's scheduler it is not even a
 * race: a forked fiber starts only when its parent yields, so `wait` sees
 * a zero counter every time and returns before any work ran. The example
 * prints that. `WaitGroup.go(wg, task)` (Go 1.25's `wg.Go`) is the fix
 * that cannot be misordered: it counts the task and forks it in one step,
 * and counts it done however it ends (no `Done` to forget either).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const work = (finished: Array<number>, i: number) =>
  Effect.sleep("5 millis").pipe(Effect.andThen(Effect.sync(() => finished.push(i))))

// ❌ Add inside the forked fiber
const buggy = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const finished: Array<number> = []
  for (let i = 0; i < 3; i++) {
    yield* Effect.forkScoped(
      WaitGroup.add(wg, 1).pipe(Effect.andThen(work(finished, i)), Effect.ensuring(WaitGroup.done(wg)))
    )
  }
  yield* WaitGroup.wait(wg)
  yield* Console.log(`add inside the fiber: wait returned after ${finished.length} of 3 tasks finished`)
  // Closing the scope interrupts the three tasks: nothing leaks, even here.
}).pipe(Effect.scoped)

// ✅ WaitGroup.go: count and fork in one step
const fixed = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const finished: Array<number> = []
  for (let i = 0; i < 3; i++) yield* WaitGroup.go(wg, work(finished, i))
  yield* WaitGroup.wait(wg)
  yield* Console.log(`WaitGroup.go: wait returned after ${finished.length} of 3 tasks finished`)
}).pipe(Effect.scoped)

const program = Effect.andThen(buggy, fixed)

export const example = Example.make({
  name: "mistakes-waitgroup-add",
  section: "Coordination Guide · Common Mistakes #1 (WaitGroup.Add inside the goroutine)",
  title: "Add inside the task lets Wait return early; WaitGroup.go counts and forks in one step",
  uses: ["WaitGroup"],
  program,
  expected: [
    "add inside the fiber: wait returned after 0 of 3 tasks finished",
    "WaitGroup.go: wait returned after 3 of 3 tasks finished"
  ]
})

if (import.meta.main) Example.runMain(example)

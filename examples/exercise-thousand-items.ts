/**
 * sync.WaitGroup · "Exercises — 1. Process 1000 items concurrently using
 * WaitGroup. Verify all complete."
 *
 * Go:
 *   var wg sync.WaitGroup
 *   var done atomic.Int64
 *   for i := 0; i < 1000; i++ {
 *       wg.Add(1)
 *       go func(i int) { defer wg.Done(); process(i); done.Add(1) }(i)
 *   }
 *   wg.Wait()
 *   fmt.Println(done.Load()) // 1000
 *
 * A thousand fibers, each marking its own slot; after `wait` every slot is
 * set — checked item by item, not only counted.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const N = 1000

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const completed = new Array<boolean>(N).fill(false)
  for (let i = 0; i < N; i++) {
    yield* WaitGroup.go(
      wg,
      Effect.sleep(`${i % 10} millis`).pipe(Effect.andThen(Effect.sync(() => (completed[i] = true))))
    )
  }
  yield* Console.log(`started ${N} fibers`)
  yield* WaitGroup.wait(wg)
  const missing = completed.flatMap((ok, i) => (ok ? [] : [i]))
  yield* Console.log(`after wait: ${N - missing.length} of ${N} items complete, missing: [${missing.join(", ")}]`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "exercise-thousand-items",
  section: "sync.WaitGroup · Exercises · 1. Process 1000 items concurrently",
  title: "1000 fibers on one WaitGroup; after wait every item is verified complete",
  uses: ["WaitGroup"],
  program,
  expected: ["started 1000 fibers", "after wait: 1000 of 1000 items complete, missing: []"]
})

if (import.meta.main) Example.runMain(example)

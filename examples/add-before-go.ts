/**
 * sync.WaitGroup · "Correct Usage Patterns — Pattern 1: Add Before Goroutine
 * Launch": the counter must be raised before the goroutine exists, or `Wait`
 * may see zero and return early.
 *
 * Go:
 *   for i := 0; i < 10; i++ {
 *       wg.Add(1) // Add BEFORE go keyword
 *       go func() { defer wg.Done(); doWork() }()
 *   }
 *   wg.Wait()
 *
 * `WaitGroup.go` raises the counter and forks in one uninterruptible step,
 * and the task starts at once (it runs until it first suspends, here at its
 * sleep): right after the loop every task has started, none has finished,
 * and the counter is 10, so `wait` cannot return early. There is no
 * separate `add` to misplace (see bug-add-inside-goroutine for what happens
 * with the low-level `add`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  let started = 0
  let finished = 0
  const doWork = Effect.gen(function* () {
    started++
    yield* Effect.sleep("5 millis")
    finished++
  })
  for (let i = 0; i < 10; i++) yield* WaitGroup.go(wg, doWork)
  yield* Console.log(
    `after the loop: counter = ${yield* WaitGroup.count(wg)}, tasks started = ${started}, finished = ${finished}`
  )
  yield* WaitGroup.wait(wg)
  yield* Console.log(`after wait: counter = ${yield* WaitGroup.count(wg)}, tasks finished = ${finished}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "add-before-go",
  section: "sync.WaitGroup · Correct Usage Patterns · Pattern 1: Add Before Goroutine Launch",
  title: "WaitGroup.go counts before it forks: the counter is 10 while the tasks run",
  uses: ["WaitGroup"],
  program,
  expected: [
    "after the loop: counter = 10, tasks started = 10, finished = 0",
    "after wait: counter = 0, tasks finished = 10"
  ]
})

if (import.meta.main) Example.runMain(example)

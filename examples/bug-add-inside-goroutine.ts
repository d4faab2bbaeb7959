/**
 * sync.WaitGroup · "Common Bugs — Bug 1: Add Inside Goroutine": `Wait` may run
 * before any goroutine has called `Add`, see a zero counter and return while
 * the work has not even started.
 *
 * Go (WRONG):
 *   for i := 0; i < 10; i++ {
 *       go func() {
 *           wg.Add(1) // RACE: Add() inside goroutine
 *           defer wg.Done()
 *           doWork()
 *       }()
 *   }
 *   wg.Wait() // Might return before all Add() calls
 *
 * Reproduced with the low-level `WaitGroup.add`: a forked fiber only starts
 * when the forking fiber yields, so here `wait` returns at once, every time,
 * with nothing done (the bug is deterministic, not a rare race). Closing the
 * scope then interrupts the stragglers, so at least they do not leak.
 * Prevented with `WaitGroup.go`, which counts before it forks: there is no
 * `add` to put in the wrong place.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const doWork = (done: { count: number }) =>
  Effect.sleep("5 millis").pipe(Effect.andThen(Effect.sync(() => done.count++)))

const wrong = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const done = { count: 0 }
  for (let i = 0; i < 10; i++) {
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* WaitGroup.add(wg, 1) // RACE: add inside the fiber
        yield* doWork(done).pipe(Effect.ensuring(WaitGroup.done(wg)))
      })
    )
  }
  yield* WaitGroup.wait(wg)
  yield* Console.log(`WRONG (add inside the fiber): wait returned with ${done.count} of 10 tasks done`)
}).pipe(Effect.scoped)

const right = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const done = { count: 0 }
  for (let i = 0; i < 10; i++) yield* WaitGroup.go(wg, doWork(done))
  yield* WaitGroup.wait(wg)
  yield* Console.log(`RIGHT (WaitGroup.go counts, then forks): wait returned with ${done.count} of 10 tasks done`)
}).pipe(Effect.scoped)

const program = Effect.andThen(wrong, right)

export const example = Example.make({
  name: "bug-add-inside-goroutine",
  section: "sync.WaitGroup · Common Bugs · Bug 1: Add Inside Goroutine",
  title: "add inside the fiber lets wait return early (reproduced); WaitGroup.go makes it impossible",
  uses: ["WaitGroup"],
  program,
  expected: [
    "WRONG (add inside the fiber): wait returned with 0 of 10 tasks done",
    "RIGHT (WaitGroup.go counts, then forks): wait returned with 10 of 10 tasks done"
  ]
})

if (import.meta.main) Example.runMain(example)

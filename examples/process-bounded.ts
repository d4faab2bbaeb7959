/**
 * sync.WaitGroup · "Advanced Pattern: Bounded Goroutines with WaitGroup": one
 * goroutine per item, but at most `maxConcurrency` of them working at once,
 * using a buffered channel as a semaphore.
 *
 * Go:
 *   func processBounded(items []Item, maxConcurrency int) {
 *       var wg sync.WaitGroup
 *       semaphore := make(chan struct{}, maxConcurrency)
 *       for _, item := range items {
 *           wg.Add(1)
 *           go func(it Item) {
 *               defer wg.Done()
 *               semaphore <- struct{}{}        // Acquire slot
 *               defer func() { <-semaphore }() // Release slot
 *               process(it)
 *           }(item)
 *       }
 *       wg.Wait()
 *   }
 *
 * The same shape with a `Chan<void>` as the semaphore; `Effect.ensuring` is
 * the deferred release, and it runs on interruption too, so a cancelled
 * worker never keeps its slot. (exercise-bounded-10000 does the same with
 * the `Semaphore` module.)
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const processBounded = (items: ReadonlyArray<number>, maxConcurrency: number) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const semaphore = yield* Chan.make<void>(maxConcurrency)
    let running = 0
    let maxRunning = 0
    const process = (item: number) =>
      Effect.gen(function* () {
        running++
        maxRunning = Math.max(maxRunning, running)
        yield* Effect.sleep(`${(item % 4) + 1} millis`)
        running--
      })
    for (const item of items) {
      yield* WaitGroup.go(
        wg,
        Chan.send(semaphore, undefined).pipe(
          // Acquire slot
          Effect.andThen(process(item).pipe(Effect.ensuring(Chan.recv(semaphore)))), // Release slot
          Effect.orDie
        )
      )
    }
    yield* WaitGroup.wait(wg)
    return maxRunning
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const items = Array.from({ length: 40 }, (_, i) => i)
  const maxRunning = yield* processBounded(items, 5)
  yield* Console.log(`processed ${items.length} items with at most ${maxRunning} at once (limit 5)`)
})

export const example = Example.make({
  name: "process-bounded",
  section: "sync.WaitGroup · Advanced Pattern: Bounded Goroutines with WaitGroup",
  title: "one fiber per item, a buffered channel as a semaphore: never more than maxConcurrency at work",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: ["processed 40 items with at most 5 at once (limit 5)"]
})

if (import.meta.main) Example.runMain(example)

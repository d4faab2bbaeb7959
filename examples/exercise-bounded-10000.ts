/**
 * sync.WaitGroup · "Exercises — 5. Implement bounded concurrency: process
 * 10,000 items with max 100 concurrent goroutines, using WaitGroup + semaphore
 * channel."
 *
 * Go:
 *   sem := make(chan struct{}, 100)
 *   for i := 0; i < 10000; i++ {
 *       wg.Add(1)
 *       go func(i int) { defer wg.Done(); sem <- struct{}{}; defer func() { <-sem }(); process(i) }(i)
 *   }
 *   wg.Wait()
 *
 * Here with the weighted `Semaphore` (Go's `x/sync/semaphore`): FIFO, and
 * `withPermits` releases however the work ends. The slot is taken before
 * the fiber is started, in the loop — so at most 100 fibers exist at once,
 * not 10,000 parked ones (process-bounded shows the one-fiber-per-item
 * shape with a channel semaphore).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Semaphore from "../src/Semaphore.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const ITEMS = 10_000
const LIMIT = 100

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  const sem = yield* Semaphore.make(LIMIT)
  let running = 0
  let maxRunning = 0
  let processed = 0
  const process = Effect.gen(function* () {
    running++
    maxRunning = Math.max(maxRunning, running)
    yield* Effect.sleep("1 millis")
    running--
    processed++
  })
  for (let i = 0; i < ITEMS; i++) {
    yield* Semaphore.acquire(sem, 1) // wait for a slot before starting the fiber
    yield* WaitGroup.go(wg, process.pipe(Effect.ensuring(Semaphore.release(sem, 1))))
  }
  yield* WaitGroup.wait(wg)
  yield* Console.log(`processed ${processed} of ${ITEMS} items; at most ${maxRunning} at once (limit ${LIMIT})`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "exercise-bounded-10000",
  section: "sync.WaitGroup · Exercises · 5. 10,000 items, at most 100 at once",
  title: "WaitGroup + weighted Semaphore: 10,000 items, never more than 100 in flight",
  uses: ["WaitGroup", "Semaphore"],
  program,
  expected: ["processed 10000 of 10000 items; at most 100 at once (limit 100)"]
})

if (import.meta.main) Example.runMain(example)

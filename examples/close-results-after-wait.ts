/**
 * sync.WaitGroup · "Correct Usage Patterns — Pattern 3: Dynamic Work": results
 * go to a buffered channel; a separate fiber waits for the workers and then
 * closes it, so the consumer can simply range over the results.
 *
 * Go:
 *   func process(items []Item) {
 *       var wg sync.WaitGroup
 *       results := make(chan Result, len(items))
 *       for _, item := range items {
 *           wg.Add(1)
 *           go func(it Item) { defer wg.Done(); results <- processItem(it) }(item)
 *       }
 *       go func() { wg.Wait(); close(results) }() // Close results when all goroutines done
 *       for result := range results { handleResult(result) }
 *   }
 *
 * The closer fiber is forked in the same scope as the workers: if the
 * consumer stops early, closing the scope stops all of them.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Result {
  readonly item: string
  readonly length: number
}

const processItem = (item: string): Effect.Effect<Result> =>
  Effect.sleep(`${item.length * 5} millis`).pipe(Effect.as({ item, length: item.length }))

const process = (items: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const results = yield* Chan.make<Result>(items.length)
    for (const item of items) {
      // Buffered to len(items): this send never waits, and results is closed only after every Done.
      yield* WaitGroup.go(
        wg,
        processItem(item).pipe(
          Effect.flatMap((r) => Chan.send(results, r)),
          Effect.orDie
        )
      )
    }
    yield* Effect.forkScoped(WaitGroup.wait(wg).pipe(Effect.andThen(Chan.close(results))))
    let handled = 0
    yield* Chan.forEach(results, (result) => {
      handled++
      return Console.log(`handleResult: ${result.item} has ${result.length} letters`)
    })
    yield* Console.log(`results closed after ${handled} results`)
  }).pipe(Effect.scoped)

const program = process(["gopher", "ox", "fiber", "go"])

export const example = Example.make({
  name: "close-results-after-wait",
  section: "sync.WaitGroup · Correct Usage Patterns · Pattern 3: Dynamic Work",
  title: "workers send to a buffered channel; a closer fiber waits, then closes it; main ranges over it",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: [
    "handleResult: ox has 2 letters",
    "handleResult: go has 2 letters",
    "handleResult: fiber has 5 letters",
    "handleResult: gopher has 6 letters",
    "results closed after 4 results"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * sync.WaitGroup · "Typical Usage Pattern": one fiber per item, then "All
 * items processed" once the counter is back to zero.
 *
 * Go:
 *   func processItems(items []Item) {
 *       var wg sync.WaitGroup
 *       for _, item := range items {
 *           wg.Add(1)
 *           go func(it Item) { defer wg.Done(); process(it) }(item)
 *       }
 *       wg.Wait()
 *       fmt.Println("All items processed")
 *   }
 *
 * `WaitGroup.go(wg, process(item))` is the `Add(1)` + `go` + `defer Done()`
 * of each iteration. The loop variable is captured per iteration, as in
 * Go 1.22+ (and in JavaScript's `for (const ...)`), so no `(it Item)`
 * parameter is needed.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const process = (item: string) =>
  Effect.sleep(`${item.length * 5} millis`).pipe(Effect.andThen(Console.log(`processed ${item}`)))

const processItems = (items: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    for (const item of items) yield* WaitGroup.go(wg, process(item))
    yield* WaitGroup.wait(wg)
    yield* Console.log("All items processed")
  }).pipe(Effect.scoped)

const program = processItems(["pear", "fig", "banana", "kiwi fruit"])

export const example = Example.make({
  name: "process-items",
  section: "sync.WaitGroup · Typical Usage Pattern",
  title: "processItems: a fiber per item, wait, then “All items processed”",
  uses: ["WaitGroup"],
  program,
  expected: ["processed fig", "processed pear", "processed banana", "processed kiwi fruit", "All items processed"]
})

if (import.meta.main) Example.runMain(example)

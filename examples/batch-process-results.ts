/**
 * WaitGroup Deep Dive · "Advanced Usage Patterns — 3. Batch Processing with
 * Error Handling": one fiber per item, each writing its own slot of a results
 * array; every slot holds a value or an error.
 *
 * Go:
 *   type Result struct { Value interface{}; Err error }
 *   func BatchProcess(items []Item) []Result {
 *       results := make([]Result, len(items))
 *       var wg sync.WaitGroup
 *       for i, item := range items {
 *           wg.Add(1)
 *           go func(i int, item Item) { defer wg.Done(); results[i] = processItem(item) }(i, item)
 *       }
 *       wg.Wait()
 *       return results
 *   }
 *
 * Go's `Result{Value, Err}` is Effect's `Result<A, E>`: `Effect.result`
 * turns a fallible `processItem` into one that always succeeds with the
 * outcome. `WaitGroup.go` only accepts tasks that cannot fail, so an error
 * cannot be dropped on the floor by accident (see the type test in
 * test/examples-types-waitgroup-trade-offs.test.ts).
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

class InvalidItemError extends Data.TaggedError("InvalidItemError")<{ readonly item: string }> {
  override get message(): string {
    return `invalid item ${JSON.stringify(this.item)}`
  }
}

/** Parses an item after some work; the later items finish first. */
const processItem = (item: string, i: number): Effect.Effect<number, InvalidItemError> =>
  Effect.sleep(`${(5 - i) * 10} millis`).pipe(
    Effect.andThen(() => {
      const n = Number(item)
      return Number.isInteger(n) ? Effect.succeed(n * 10) : Effect.fail(new InvalidItemError({ item }))
    }),
    Effect.ensuring(Console.log(`item ${i} finished`))
  )

const batchProcess = (items: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const results = new Array<Result.Result<number, InvalidItemError>>(items.length)
    const wg = yield* WaitGroup.make()
    for (const [i, item] of items.entries()) {
      yield* WaitGroup.go(wg, Effect.result(processItem(item, i)).pipe(Effect.map((result) => (results[i] = result))))
    }
    yield* WaitGroup.wait(wg)
    return results
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const results = yield* batchProcess(["1", "2", "x", "4", "5?"])
  for (const [i, result] of results.entries()) {
    yield* Console.log(
      Result.isSuccess(result)
        ? `results[${i}] = {Value: ${result.success}, Err: nil}`
        : `results[${i}] = {Value: nil, Err: ${result.failure.message}}`
    )
  }
})

export const example = Example.make({
  name: "batch-process-results",
  section: "WaitGroup Deep Dive · Advanced Usage Patterns · 3. Batch Processing with Error Handling",
  title: "one fiber per item, each filling its own slot with a Result (value or typed error)",
  uses: ["WaitGroup"],
  program,
  expected: [
    "item 4 finished",
    "item 3 finished",
    "item 2 finished",
    "item 1 finished",
    "item 0 finished",
    "results[0] = {Value: 10, Err: nil}",
    "results[1] = {Value: 20, Err: nil}",
    'results[2] = {Value: nil, Err: invalid item "x"}',
    "results[3] = {Value: 40, Err: nil}",
    'results[4] = {Value: nil, Err: invalid item "5?"}'
  ]
})

if (import.meta.main) Example.runMain(example)

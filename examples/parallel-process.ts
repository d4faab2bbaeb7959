/**
 * sync.WaitGroup · "WaitGroup vs Channels — parallelProcess": both — the
 * function returns a results channel at once, and a fiber closes it when the
 * WaitGroup says every worker is done, so the caller can range over it.
 *
 * Go:
 *   func parallelProcess(items []Item) <-chan Result {
 *       var wg sync.WaitGroup
 *       results := make(chan Result, len(items))
 *       for _, item := range items {
 *           wg.Add(1)
 *           go func(it Item) { defer wg.Done(); results <- process(it) }(item)
 *       }
 *       go func() { wg.Wait(); close(results) }()
 *       return results
 *   }
 *
 * The returned channel is a `RecvChan` (Go's `<-chan Result`): the caller
 * can range over it but not close it. The workers and the closer are forked
 * in the caller's scope (`Scope` appears in the function's requirements):
 * they stay alive after `parallelProcess` returns, as in Go, and are
 * stopped when the caller's scope closes.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Result {
  readonly item: number
  readonly square: number
}

const process = (item: number): Effect.Effect<Result> =>
  Effect.sleep(`${(5 - item) * 5} millis`).pipe(Effect.as({ item, square: item * item }))

const parallelProcess = (items: ReadonlyArray<number>): Effect.Effect<Chan.RecvChan<Result>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const results = yield* Chan.make<Result>(items.length)
    for (const item of items) {
      yield* WaitGroup.go(
        wg,
        process(item).pipe(
          Effect.flatMap((r) => Chan.send(results, r)),
          Effect.orDie
        )
      )
    }
    yield* Effect.forkScoped(WaitGroup.wait(wg).pipe(Effect.andThen(Chan.close(results)), Effect.orDie))
    return results
  })

const program = Effect.gen(function* () {
  const results = yield* parallelProcess([1, 2, 3, 4])
  yield* Console.log("parallelProcess returned a channel; ranging over it:")
  yield* Chan.forEach(results, (r) => Console.log(`  ${r.item}² = ${r.square}`))
  yield* Console.log("range ended: the channel was closed after the last worker")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "parallel-process",
  section: "sync.WaitGroup · WaitGroup vs Channels · parallelProcess",
  title: "return a receive-only results channel; a closer fiber closes it after WaitGroup.wait",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: [
    "parallelProcess returned a channel; ranging over it:",
    "4² = 16",
    "3² = 9",
    "2² = 4",
    "1² = 1",
    "range ended: the channel was closed after the last worker"
  ]
})

if (import.meta.main) Example.runMain(example)

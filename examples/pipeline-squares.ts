/**
 * Go Concurrency · "Pipeline Pattern": gen → sq → sq, each stage a fiber that
 * ranges over its input channel and closes its output when done.
 *
 * Go:
 *   func gen(nums ...int) <-chan int { out := make(chan int); go func() { for _, n := range nums { out <- n }; close(out) }(); return out }
 *   func sq(in <-chan int) <-chan int { out := make(chan int); go func() { for n := range in { out <- n * n }; close(out) }(); return out }
 *   for n := range sq(sq(gen(2, 3))) { fmt.Println(n) } // 16, 81
 *
 * In effect-go the stages' fibers belong to the program's scope: if the
 * consumer stops early, closing the scope stops every stage.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Example from "./Example.ts"

const gen = (...nums: Array<number>) => Chan.fromIterable(nums)

const sq = (input: Chan.RecvChan<number>) =>
  Effect.gen(function* () {
    const out = yield* Chan.make<number>()
    yield* Effect.forkScoped(
      Chan.forEach(input, (n) => Chan.send(out, n * n)).pipe(Effect.ensuring(Effect.ignore(Chan.close(out))))
    )
    return out as Chan.RecvChan<number>
  })

const program = Effect.gen(function* () {
  const out = yield* gen(2, 3).pipe(Effect.flatMap(sq), Effect.flatMap(sq))
  yield* Chan.forEach(out, (n) => Console.log(n))
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "pipeline-squares",
  section: "Go Concurrency · Pipeline Pattern",
  title: "gen → sq → sq: stages connected by channels, closed in turn",
  uses: ["Chan"],
  program,
  expected: ["16", "81"]
})

if (import.meta.main) Example.runMain(example)

/**
 * WaitGroup Deep Dive · "Advanced Usage Patterns — 2. Pipeline Pattern":
 * square, then double, then collect — three fibers joined by two unbuffered
 * channels, each stage closing its output when its input is exhausted.
 *
 * Go:
 *   func Pipeline(data []int) []int {
 *       var wg sync.WaitGroup
 *       stage1 := make(chan int); stage2 := make(chan int)
 *       wg.Add(1)
 *       go func() { defer wg.Done(); defer close(stage1); for _, n := range data { stage1 <- n * n } }()
 *       wg.Add(1)
 *       go func() { defer wg.Done(); defer close(stage2); for n := range stage1 { stage2 <- n * 2 } }()
 *       var results []int
 *       wg.Add(1)
 *       go func() { defer wg.Done(); for n := range stage2 { results = append(results, n) } }()
 *       wg.Wait()
 *       return results
 *   }
 *
 * Go's `defer close(out)` is `Effect.ensuring(Chan.close(out))`: the stage
 * closes its output however it ends, so the next stage's range always ends.
 * A send can only fail if someone else closed our output — a bug, so it is
 * turned into a defect (`Effect.orDie`), which `WaitGroup.wait` would report.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

/** A stage owns the send side of its output: it closes it when done. */
const closing = <A>(out: Chan.SendChan<A>) => Effect.ensuring(Effect.ignore(Chan.close(out)))

const pipeline = (data: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const stage1 = yield* Chan.make<number>()
    const stage2 = yield* Chan.make<number>()

    // Stage 1: square numbers.
    yield* WaitGroup.go(wg, Effect.forEach(data, (n) => Chan.send(stage1, n * n)).pipe(Effect.orDie, closing(stage1)))
    // Stage 2: double numbers.
    yield* WaitGroup.go(wg, Chan.forEach(stage1, (n) => Chan.send(stage2, n * 2)).pipe(Effect.orDie, closing(stage2)))
    // Collect results.
    const results: Array<number> = []
    yield* WaitGroup.go(
      wg,
      Chan.forEach(stage2, (n) => Effect.sync(() => results.push(n)))
    )

    yield* WaitGroup.wait(wg)
    return results
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const data = [1, 2, 3, 4, 5]
  const results = yield* pipeline(data)
  yield* Console.log(`Pipeline([${data.join(" ")}]) = [${results.join(" ")}]`)
})

export const example = Example.make({
  name: "waitgroup-three-stage-pipeline",
  section: "WaitGroup Deep Dive · Advanced Usage Patterns · 2. Pipeline Pattern",
  title: "square → double → collect: three fibers, two channels, one WaitGroup",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: ["Pipeline([1 2 3 4 5]) = [2 8 18 32 50]"]
})

if (import.meta.main) Example.runMain(example)

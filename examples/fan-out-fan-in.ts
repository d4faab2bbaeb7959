/**
 * Go Concurrency · "Fan-Out, Fan-In": several `sq` workers read from one
 * channel (fan-out); `merge` funnels their outputs into one channel (fan-in)
 * and closes it when every input is drained.
 *
 * Go:
 *   func merge(cs ...<-chan int) <-chan int {
 *     var wg sync.WaitGroup
 *     out := make(chan int)
 *     wg.Add(len(cs))
 *     for _, c := range cs {
 *       go func(c <-chan int) { defer wg.Done(); for n := range c { out <- n } }(c)
 *     }
 *     go func() { wg.Wait(); close(out) }()
 *     return out
 *   }
 *   in := gen(2, 3, 4, 5)
 *   c1, c2 := sq(in), sq(in)   // fan-out: two workers share `in`
 *   for n := range merge(c1, c2) { fmt.Println(n) }
 *
 * Every fiber (generator, workers, forwarders, closer) is forked in the
 * caller's scope: if the consumer stopped early, closing the scope would
 * stop them all. The merged order depends on scheduling, as in Go, so the
 * example prints the values sorted.
 *
 * The last lines do the same with the Pipeline module: `Pipeline.merge` is
 * this `merge`, and `Pipeline.map(f, { workers: 2 })` is fan-out plus
 * fan-in in one stage (keeping the input order unless `ordered: false`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const gen = (...nums: Array<number>) => Chan.fromIterable(nums)

const sq = (name: string, input: Chan.RecvChan<number>, handled: Map<string, number>) =>
  Effect.gen(function* () {
    const out = yield* Chan.make<number>()
    yield* Effect.forkScoped(
      Chan.forEach(input, (n) =>
        Effect.sync(() => handled.set(name, (handled.get(name) ?? 0) + 1)).pipe(
          Effect.andThen(Effect.sleep("1 millis")), // the work: while one worker is busy, the other takes the next value
          Effect.andThen(Chan.send(out, n * n))
        )
      ).pipe(Effect.ensuring(Effect.ignore(Chan.close(out))))
    )
    return out as Chan.RecvChan<number>
  })

const merge = (...cs: Array<Chan.RecvChan<number>>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const out = yield* Chan.make<number>()
    for (const c of cs)
      yield* WaitGroup.go(
        wg,
        Chan.forEach(c, (n) => Effect.orDie(Chan.send(out, n)))
      )
    yield* Effect.forkScoped(Effect.andThen(WaitGroup.wait(wg), Effect.ignore(Chan.close(out))))
    return out as Chan.RecvChan<number>
  })

const handRolled = Effect.gen(function* () {
  const handled = new Map<string, number>()
  const input = yield* gen(2, 3, 4, 5)
  const c1 = yield* sq("sq#1", input, handled) // fan-out: both read `input`
  const c2 = yield* sq("sq#2", input, handled)
  const results: Array<number> = []
  yield* Chan.forEach(yield* merge(c1, c2), (n) => Effect.sync(() => results.push(n)))
  yield* Console.log(`merged (sorted): ${results.sort((a, b) => a - b).join(" ")}`)
  yield* Console.log(`values per worker: ${[...handled].map(([k, v]) => `${k}=${v}`).join(", ")}`)
  yield* Console.log("out closed after both workers finished")
}).pipe(Effect.scoped)

const withPipeline = Effect.gen(function* () {
  const sq = (n: number) => Effect.succeed(n * n)
  const input = yield* Pipeline.gen(2, 3, 4, 5)
  const merged = yield* Pipeline.merge(yield* Pipeline.map(input, sq), yield* Pipeline.map(input, sq))
  const values = yield* Pipeline.collect(merged)
  yield* Console.log(`Pipeline.merge (sorted): ${values.sort((a, b) => a - b).join(" ")}`)
  const squares = yield* Pipeline.gen(2, 3, 4, 5).pipe(Effect.flatMap(Pipeline.map(sq, { workers: 2 })))
  yield* Console.log(`Pipeline.map with 2 workers, input order kept: ${(yield* Pipeline.collect(squares)).join(" ")}`)
}).pipe(Effect.scoped)

const program = Effect.andThen(handRolled, withPipeline)

export const example = Example.make({
  name: "fan-out-fan-in",
  section: "Go Concurrency · Fan-Out, Fan-In",
  title: "two workers share one input channel; merge joins their outputs and closes when both are done",
  uses: ["Chan", "WaitGroup", "Pipeline"],
  program,
  expected: [
    "merged (sorted): 4 9 16 25",
    /values per worker: sq#\d=\d, sq#\d=\d/,
    "out closed after both workers finished"
  ]
})

if (import.meta.main) Example.runMain(example)

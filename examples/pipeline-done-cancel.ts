/**
 * Go Concurrency · "Cancellation with Done Channel": every stage selects
 * between sending downstream and a shared `done` channel; closing `done` stops
 * the whole pipeline even though the consumer stopped reading early.
 *
 * Go:
 *   func sq(done <-chan struct{}, in <-chan int) <-chan int {
 *     out := make(chan int)
 *     go func() {
 *       defer close(out)
 *       for n := range in {
 *         select {
 *         case out <- n * n:
 *         case <-done: return
 *         }
 *       }
 *     }()
 *     return out
 *   }
 *   done := make(chan struct{})
 *   out := sq(done, gen(done, 2, 3, 4))
 *   fmt.Println(<-out)   // 4 — then we lose interest
 *   close(done)          // broadcast: every stage returns
 *
 * The second half is the same pipeline without a done channel: the stages
 * are forked in a scope, and leaving the scope interrupts them wherever they
 * are blocked. The document's advice "prefer context over raw done channels" is,
 * in Effect, "let the scope cancel".
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const stage = (name: string, body: Effect.Effect<void>) => body.pipe(Effect.ensuring(Console.log(`  ${name}: stopped`)))

const program = Effect.gen(function* () {
  yield* Console.log("done channel:")
  const done = yield* Chan.make<void>()
  const wg = yield* WaitGroup.make()

  const gen = (...nums: Array<number>) =>
    Effect.gen(function* () {
      const out = yield* Chan.make<number>()
      const send = (n: number) =>
        Select.select(
          Select.send(out, n, () => Effect.succeed(true)),
          Select.recv(done, () => Effect.succeed(false))
        )
      const body = Effect.gen(function* () {
        for (const n of nums) if (!(yield* send(n))) return
      })
      yield* WaitGroup.go(wg, stage("gen", Effect.orDie(body.pipe(Effect.ensuring(Effect.ignore(Chan.close(out)))))))
      return out as Chan.RecvChan<number>
    })

  const sq = (input: Chan.RecvChan<number>) =>
    Effect.gen(function* () {
      const out = yield* Chan.make<number>()
      const body = Effect.gen(function* () {
        while (true) {
          const n = yield* Chan.recv(input)
          if (n._tag === "None") return
          const sent = yield* Select.select(
            Select.send(out, n.value * n.value, () => Effect.succeed(true)),
            Select.recv(done, () => Effect.succeed(false))
          )
          if (!sent) return
        }
      })
      yield* WaitGroup.go(wg, stage("sq", Effect.orDie(body.pipe(Effect.ensuring(Effect.ignore(Chan.close(out)))))))
      return out as Chan.RecvChan<number>
    })

  const out = yield* sq(yield* gen(2, 3, 4))
  const first = yield* Chan.recv(out)
  yield* Console.log(`  first value: ${first._tag === "Some" ? first.value : "none"}`)
  yield* Chan.close(done) // broadcast cancellation
  yield* WaitGroup.wait(wg)
  yield* Console.log("  every stage returned")

  yield* Console.log("scope:")
  yield* Effect.gen(function* () {
    const stageIn = (name: string, body: Effect.Effect<void>) => Effect.forkScoped(stage(name, body))
    const src = yield* Chan.make<number>()
    yield* stageIn("gen", Effect.orDie(Effect.forEach([2, 3, 4], (n) => Chan.send(src, n), { discard: true })))
    const squares = yield* Chan.make<number>()
    yield* stageIn("sq", Effect.orDie(Chan.forEach(src, (n) => Chan.send(squares, n * n))))
    const v = yield* Chan.recv(squares)
    yield* Console.log(`  first value: ${v._tag === "Some" ? v.value : "none"}`)
  }).pipe(Effect.scoped) // leaving the scope interrupts both stages
  yield* Console.log("  every stage returned")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "pipeline-done-cancel",
  section: "Go Concurrency · Cancellation with Done Channel",
  title: "the consumer takes one value and closes done: every stage returns; or let the scope cancel",
  uses: ["Chan", "Select", "WaitGroup"],
  program,
  expected: [
    "done channel:",
    "first value: 4",
    /(gen|sq): stopped/,
    /(gen|sq): stopped/,
    "every stage returned",
    "scope:",
    "first value: 4",
    /(gen|sq): stopped/,
    /(gen|sq): stopped/,
    "every stage returned"
  ]
})

if (import.meta.main) Example.runMain(example)

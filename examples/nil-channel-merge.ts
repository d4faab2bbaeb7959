/**
 * Go Concurrency · "Nil Channels": merge two channels; when one is closed, set
 * it to nil so that its select case can never fire again, and stop when both
 * are nil.
 *
 * Go:
 *   func merge(ch1, ch2 <-chan int) <-chan int {
 *     out := make(chan int)
 *     go func() {
 *       defer close(out)
 *       for ch1 != nil || ch2 != nil {
 *         select {
 *         case v, ok := <-ch1:
 *           if !ok { ch1 = nil; continue }
 *           out <- v
 *         case v, ok := <-ch2:
 *           if !ok { ch2 = nil; continue }
 *           out <- v
 *         }
 *       }
 *     }()
 *     return out
 *   }
 *
 * `Chan.nil<A>()` is Go's nil channel: its select cases are never chosen.
 * Without the idiom, a closed channel is always ready (it yields `none`), so
 * the loop would spin on it; the example counts the receives of `none` to
 * show that each closed input is seen exactly once.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as Example from "./Example.ts"

const nilChan = Chan.nil<number>()

const merge = (in1: Chan.RecvChan<number>, in2: Chan.RecvChan<number>, stats: { closedSeen: number }) =>
  Effect.gen(function* () {
    const out = yield* Chan.make<number>()
    let ch1 = in1
    let ch2 = in2
    const disable1 = () => {
      ch1 = nilChan
      stats.closedSeen++
    }
    const disable2 = () => {
      ch2 = nilChan
      stats.closedSeen++
    }
    const loop = Effect.gen(function* () {
      while (ch1 !== nilChan || ch2 !== nilChan) {
        yield* Select.select(
          Select.recv(ch1, (v) => {
            if (v._tag === "None") return Effect.sync(() => disable1()) // ch1 = nil
            return Chan.send(out, v.value)
          }),
          Select.recv(ch2, (v) => {
            if (v._tag === "None") return Effect.sync(() => disable2()) // ch2 = nil
            return Chan.send(out, v.value)
          })
        )
      }
    })
    yield* Effect.forkScoped(loop.pipe(Effect.orDie, Effect.ensuring(Effect.ignore(Chan.close(out))))) // defer close(out)
    return out as Chan.RecvChan<number>
  })

const program = Effect.gen(function* () {
  const odd = yield* Chan.fromIterable([1, 3, 5])
  const even = yield* Chan.fromIterable([2, 4, 6, 8, 10])
  const stats = { closedSeen: 0 }
  const merged: Array<number> = []
  yield* Chan.forEach(yield* merge(odd, even, stats), (n) => Effect.sync(() => merged.push(n)))
  yield* Console.log(`merged (sorted): ${merged.sort((a, b) => a - b).join(" ")}`)
  yield* Console.log(`closed inputs observed: ${stats.closedSeen} (once each, then disabled with Chan.nil)`)
  yield* Console.log("both inputs nil: merge closed its output")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "nil-channel-merge",
  section: "Go Concurrency · Nil Channels",
  title: "disable a closed input's select case by replacing it with a nil channel",
  uses: ["Chan", "Select"],
  program,
  expected: [
    "merged (sorted): 1 2 3 4 5 6 8 10",
    "closed inputs observed: 2 (once each, then disabled with Chan.nil)",
    "both inputs nil: merge closed its output"
  ]
})

if (import.meta.main) Example.runMain(example)

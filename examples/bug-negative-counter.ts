/**
 * sync.WaitGroup · "Common Bugs — Bug 3: Negative Counter (Add/Done
 * Mismatch)": one `Done` too many panics.
 *
 * Go (WRONG):
 *   wg.Add(1)
 *   wg.Done()
 *   wg.Done() // PANIC: negative WaitGroup counter
 *
 *   panic: sync: negative WaitGroup counter
 *
 * Reported: the extra `done` is a defect carrying a
 * `NegativeWaitGroupCounterError` whose message is Go's panic text, and the
 * counter is left unchanged. Here the defect is caught to print it; left
 * alone it ends the program as Go's panic does. With `WaitGroup.go` there is
 * no `done` to call at all.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.add(wg, 1)
  yield* WaitGroup.done(wg)
  yield* WaitGroup.done(wg).pipe(
    Effect.catchDefect((defect) =>
      Console.log(
        defect instanceof WaitGroup.NegativeWaitGroupCounterError
          ? `panic: ${defect.message} (${defect._tag}: counter ${defect.counter}, delta ${defect.delta})`
          : `unexpected defect: ${String(defect)}`
      )
    )
  )
  yield* Console.log(`counter unchanged: ${yield* WaitGroup.count(wg)}; wait returns at once`)
  yield* WaitGroup.wait(wg)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "bug-negative-counter",
  section: "sync.WaitGroup · Common Bugs · Bug 3: Negative Counter",
  title: "one done too many: the defect “sync: negative WaitGroup counter”, counter unchanged",
  uses: ["WaitGroup"],
  program,
  expected: [
    "panic: sync: negative WaitGroup counter (NegativeWaitGroupCounterError: counter 0, delta -1)",
    "counter unchanged: 0; wait returns at once"
  ]
})

if (import.meta.main) Example.runMain(example)

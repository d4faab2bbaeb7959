/**
 * sync.WaitGroup · "Common Bugs — Bug 5: Copying WaitGroup": passed by value,
 * the callee's `Done` lowers a copy and the caller's `Wait` blocks forever.
 *
 * Go (WRONG):
 *   func doWork(wg sync.WaitGroup) { defer wg.Done() } // Passed by value (copied)
 *   func main() { var wg sync.WaitGroup; wg.Add(1); go doWork(wg); wg.Wait() } // never returns
 * Go (RIGHT):
 *   func doWork(wg *sync.WaitGroup) { defer wg.Done() }
 *   go doWork(&wg)
 *
 * Prevented by the language: TypeScript has no struct values. A WaitGroup
 * is an object, and a function parameter of type `WaitGroup` receives a
 * reference to the caller's group — Go's `*sync.WaitGroup` is the only
 * signature that can be written, and passing `wg` is `&wg`. (The one way to
 * copy is an explicit `{ ...wg }`: see exercise-pass-by-value.)
 *
 * Better still, with `WaitGroup.go` the task does not receive the group at
 * all: the group counts it done.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

/** Go's `func doWork(wg *sync.WaitGroup) { defer wg.Done(); ... }` */
const doWork = (wg: WaitGroup.WaitGroup) => Effect.sleep("5 millis").pipe(Effect.ensuring(WaitGroup.done(wg)))

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.add(wg, 1)
  yield* Effect.forkScoped(doWork(wg)) // "go doWork(wg)": the same group, not a copy
  yield* WaitGroup.wait(wg)
  yield* Console.log("go doWork(wg): doWork's done lowered the caller's counter; wait returned")
  yield* Console.log("no copy was made: objects are passed by reference, a WaitGroup parameter is Go's *sync.WaitGroup")

  const wg2 = yield* WaitGroup.make()
  yield* WaitGroup.go(wg2, Effect.sleep("5 millis"))
  yield* WaitGroup.wait(wg2)
  yield* Console.log("WaitGroup.go(wg, work): the task never sees the group, so it cannot get a copy either")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "bug-copied-waitgroup",
  section: "sync.WaitGroup · Common Bugs · Bug 5: Copying WaitGroup",
  title: "no pass-by-value: a WaitGroup parameter is a reference, Go's *sync.WaitGroup",
  uses: ["WaitGroup"],
  program,
  expected: [
    "go doWork(wg): doWork's done lowered the caller's counter; wait returned",
    "no copy was made: objects are passed by reference, a WaitGroup parameter is Go's *sync.WaitGroup",
    "WaitGroup.go(wg, work): the task never sees the group, so it cannot get a copy either"
  ]
})

if (import.meta.main) Example.runMain(example)

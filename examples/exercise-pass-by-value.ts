/**
 * sync.WaitGroup · "Exercises — 3. Pass WaitGroup by value instead of pointer.
 * Run go vet. Fix it."
 *
 * Go:
 *   func doWork(wg sync.WaitGroup) { defer wg.Done() } // go vet: doWork passes lock by value
 *   wg.Add(1); go doWork(wg); wg.Wait()                // blocks forever
 *   // Fix: func doWork(wg *sync.WaitGroup), go doWork(&wg)
 *
 * No analogue: TypeScript has no value types for objects. Passing a
 * WaitGroup to a function passes a reference to the same group, so Go's
 * by-value signature cannot be written and there is nothing for a vet
 * check to find — the "fixed" program is the only one you can write.
 *
 * The one way to get a copy is to ask for it explicitly, with an object
 * spread: `const copy: WaitGroup = { ...wg }`. Do not: TypeScript accepts
 * it (there is no vet check for it either), and the copy is a half-copy —
 * its own counter, but the original's list of waiters — so a `done` on the
 * copy can release the original's `wait` while the original counter is
 * still above zero. Go's bug, with a different symptom.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const doWork = (wg: WaitGroup.WaitGroup) => Effect.sleep("5 millis").pipe(Effect.ensuring(WaitGroup.done(wg)))

const program = Effect.gen(function* () {
  // What Go's fix looks like — and the only way a function can receive the group.
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.add(wg, 1)
  yield* Effect.forkScoped(doWork(wg))
  yield* WaitGroup.wait(wg)
  yield* Console.log("doWork(wg): the function got the caller's group (a reference), wait returned")
  yield* Console.log("pass-by-value has no analogue: objects are never copied when passed, so there is nothing to vet")
  yield* Console.log("the only copy is an explicit { ...wg } — never spread a WaitGroup")
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "exercise-pass-by-value",
  section: "sync.WaitGroup · Exercises · 3. Pass WaitGroup by value",
  title: "no pass-by-value in TypeScript: a function always receives the caller's WaitGroup",
  uses: ["WaitGroup"],
  program,
  expected: [
    "doWork(wg): the function got the caller's group (a reference), wait returned",
    "pass-by-value has no analogue: objects are never copied when passed, so there is nothing to vet",
    "the only copy is an explicit { ...wg } — never spread a WaitGroup"
  ]
})

if (import.meta.main) Example.runMain(example)

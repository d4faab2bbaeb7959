/**
 * sync.WaitGroup · "Common Bugs — Bug 2: Forgetting Done()": the counter never
 * returns to zero and `Wait` blocks forever.
 *
 * Go (WRONG):
 *   wg.Add(1)
 *   go func() {
 *       doWork()
 *       // Forgot wg.Done()
 *   }()
 *   wg.Wait() // Blocks forever (counter never reaches 0)
 *
 * Reproduced with the low-level `add` and a bare fork, under the
 * diagnostics layer: Go would hang (or, if nothing else runs, die with "all
 * goroutines are asleep"); here the deadlock detector sees that every fiber
 * of the program is parked on an effect-go primitive, and with `onDeadlock:
 * "fail"` the `wait` dies with a `DeadlockError` whose message is the
 * report: who is stuck, on what, and the WaitGroup's count. Prevented by
 * `WaitGroup.go`, whose task counts itself done when it ends, however it
 * ends: there is no `Done` to forget.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const doWork = Effect.sleep("10 millis")

const detector = Diagnostics.layer({
  name: "bug-forgot-done",
  onDeadlock: "fail",
  interval: "100 millis",
  signal: false
})

const wrong = Effect.gen(function* () {
  const wg = yield* WaitGroup.make({ name: "wg" })
  yield* WaitGroup.add(wg, 1)
  yield* Effect.forkScoped(doWork) // forgot WaitGroup.done(wg)
  yield* WaitGroup.wait(wg).pipe(Effect.withSpan("main"))
}).pipe(
  Effect.scoped,
  Effect.provide(detector),
  Effect.catchDefect((defect) =>
    defect instanceof Diagnostics.DeadlockError
      ? Console.log(`WRONG (no done): wait died with DeadlockError:\n${defect.message}`)
      : Effect.die(defect)
  )
)

const right = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.go(wg, doWork)
  const waited = yield* WaitGroup.wait(wg).pipe(Effect.timeoutOption("50 millis"))
  yield* Console.log(`RIGHT (WaitGroup.go): wait returned ${Option.isSome(waited) ? "after the task ended" : "never"}`)
}).pipe(Effect.scoped, Effect.provide(detector))

const program = Effect.andThen(wrong, right)

export const example = Example.make({
  name: "bug-forgot-done",
  section: "sync.WaitGroup · Common Bugs · Bug 2: Forgetting Done()",
  title:
    "a missing done blocks wait forever: the deadlock detector reports it and fails the wait; WaitGroup.go has no done to forget",
  uses: ["WaitGroup", "Diagnostics"],
  program,
  expected: [
    "WRONG (no done): wait died with DeadlockError:",
    'effect-go: deadlock! 1 fiber can never be woken (all fibers of region "bug-forgot-done" are asleep)',
    /^ {2}fiber #\d+ "main": wait on WaitGroup "wg"$/,
    'WaitGroup "wg" (count 1)',
    /^ {2}fiber #\d+ "main": wait, blocked \d+ms \[deadlocked\]$/,
    "RIGHT (WaitGroup.go): wait returned after the task ended"
  ]
})

if (import.meta.main) Example.runMain(example)

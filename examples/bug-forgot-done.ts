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
 * Reproduced with the low-level `add` and a bare fork, and reported: the
 * `wait` runs under a timeout, and `WaitGroup.blocked` — the fiber dump Go
 * gets from SIGQUIT — shows who is stuck and since when. Prevented by
 * `WaitGroup.go`, whose task counts itself done when it ends, however it
 * ends: there is no `Done` to forget.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const doWork = Effect.sleep("10 millis")

const wrong = Effect.gen(function* () {
  const wg = yield* WaitGroup.make({ name: "wg" })
  yield* WaitGroup.add(wg, 1)
  yield* Effect.forkScoped(doWork) // forgot WaitGroup.done(wg)
  const waiter = yield* Effect.forkScoped(WaitGroup.wait(wg))
  yield* Effect.sleep("50 millis")
  const stuck = yield* WaitGroup.blocked(wg)
  yield* Console.log(
    `WRONG (no done): after 50 ms the counter is ${yield* WaitGroup.count(wg)} and ${stuck.length} fiber is blocked in ${stuck.map((b) => `${b.primitive}(${b.name}).${b.op}`).join(", ")}`
  )
  yield* Fiber.interrupt(waiter)
}).pipe(Effect.scoped)

const right = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.go(wg, doWork)
  const waited = yield* WaitGroup.wait(wg).pipe(Effect.timeoutOption("50 millis"))
  yield* Console.log(`RIGHT (WaitGroup.go): wait returned ${Option.isSome(waited) ? "after the task ended" : "never"}`)
}).pipe(Effect.scoped)

const program = Effect.andThen(wrong, right)

export const example = Example.make({
  name: "bug-forgot-done",
  section: "sync.WaitGroup · Common Bugs · Bug 2: Forgetting Done()",
  title:
    "a missing done blocks wait forever (caught by a timeout and a blocked-fiber dump); WaitGroup.go has no done to forget",
  uses: ["WaitGroup"],
  program,
  expected: [
    "WRONG (no done): after 50 ms the counter is 1 and 1 fiber is blocked in WaitGroup(wg).wait",
    "RIGHT (WaitGroup.go): wait returned after the task ended"
  ]
})

if (import.meta.main) Example.runMain(example)

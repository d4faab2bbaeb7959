/**
 * sync.WaitGroup · "Common Bugs — Bug 4: Reusing WaitGroup Without Waiting": a
 * package-level WaitGroup shared by two batches; batch1 forgets to wait, so
 * its task's count bleeds into batch2's wait.
 *
 * Go (WRONG):
 *   var wg sync.WaitGroup
 *   func batch1() { wg.Add(1); go func() { defer wg.Done(); work() }() } // Forgot to wait!
 *   func batch2() { wg.Add(1); go func() { defer wg.Done(); work() }(); wg.Wait() }
 *
 * Reproduced with one shared group: batch2's `wait` also waits for batch1's
 * slow task (counter 2, not 1). Prevented by giving each batch its own group
 * in its own scope, which is how `WaitGroup.make` is meant to be used (it
 * needs a `Scope`, so there is no package-level zero value to share): the
 * counts cannot mix, and when batch1's scope closes its forgotten task is
 * interrupted — it cannot outlive the batch that started it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const task = (name: string, millis: number) =>
  Effect.sleep(`${millis} millis`).pipe(
    Effect.andThen(Console.log(`  ${name} finished`)),
    Effect.onInterrupt(() => Console.log(`  ${name} interrupted: its batch ended without waiting for it`))
  )

const shared = Effect.gen(function* () {
  yield* Console.log("WRONG: one WaitGroup shared by both batches")
  const wg = yield* WaitGroup.make()
  const batch1 = WaitGroup.go(wg, task("batch1 task (40 ms)", 40)).pipe(
    Effect.andThen(Effect.sleep("5 millis")) // other work... and then: forgot to wait!
  )
  const batch2 = Effect.gen(function* () {
    yield* WaitGroup.go(wg, task("batch2 task (10 ms)", 10))
    yield* Console.log(`  batch2 waits with counter = ${yield* WaitGroup.count(wg)}`)
    yield* WaitGroup.wait(wg)
    yield* Console.log("  batch2 wait returned (it waited for batch1's task too)")
  })
  yield* batch1
  yield* batch2
}).pipe(Effect.scoped)

const separate = Effect.gen(function* () {
  yield* Console.log("RIGHT: each batch makes its own WaitGroup in its own scope")
  const batch1 = Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    yield* WaitGroup.go(wg, task("batch1 task (40 ms)", 40))
    yield* Effect.sleep("5 millis") // other work... and then: forgot to wait!
  }).pipe(Effect.scoped)
  const batch2 = Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    yield* WaitGroup.go(wg, task("batch2 task (10 ms)", 10))
    yield* Console.log(`  batch2 waits with counter = ${yield* WaitGroup.count(wg)}`)
    yield* WaitGroup.wait(wg)
    yield* Console.log("  batch2 wait returned (its own task only)")
  }).pipe(Effect.scoped)
  yield* batch1
  yield* batch2
})

const program = Effect.andThen(shared, separate)

export const example = Example.make({
  name: "bug-reuse-without-wait",
  section: "sync.WaitGroup · Common Bugs · Bug 4: Reusing WaitGroup Without Waiting",
  title: "a shared group leaks batch1's count into batch2 (reproduced); one scoped group per batch cannot",
  uses: ["WaitGroup"],
  program,
  expected: [
    "WRONG: one WaitGroup shared by both batches",
    "batch2 waits with counter = 2",
    "batch2 task (10 ms) finished",
    "batch1 task (40 ms) finished",
    "batch2 wait returned (it waited for batch1's task too)",
    "RIGHT: each batch makes its own WaitGroup in its own scope",
    "batch1 task (40 ms) interrupted: its batch ended without waiting for it",
    "batch2 waits with counter = 1",
    "batch2 task (10 ms) finished",
    "batch2 wait returned (its own task only)"
  ]
})

if (import.meta.main) Example.runMain(example)

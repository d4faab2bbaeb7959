/**
 * Coordination Guide · "Common Mistakes and Gotchas" #2 (copying a WaitGroup)
 * and the §2 pitfall "reusing a WaitGroup concurrently across phases".
 *
 * Go:
 *   // ❌ the worker gets a copy: its Done never reaches main's counter,
 *   //    so wg.Wait() blocks forever (go vet: "passes lock by value")
 *   func worker(id int, wg sync.WaitGroup) { defer wg.Done(); ... }
 *   // ✅ pass *sync.WaitGroup into goroutines
 *   func worker(id int, wg *sync.WaitGroup) { defer wg.Done(); ... }
 *
 * TypeScript has no value semantics for objects: passing a WaitGroup to a
 * function, storing it in a struct or capturing it in a closure always
 * shares the one group, so Go's accidental copy cannot happen. The example
 * passes the group to its workers the way the Go fix does, and then reuses
 * it for a second phase — allowed, as in Go, once `wait` has returned.
 *
 * Only a deliberate `{ ...wg }` or `Object.assign({}, wg)` copies it. That
 * type-checks (TypeScript's types are structural), so every effect-go
 * primitive checks at run time that it was given the object `make` returned:
 * a copy dies with "WaitGroup is copied" at its first use, like Go's
 * runtime check "sync.Cond is copied", instead of half-sharing its state.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

// Go: func worker(id int, wg *sync.WaitGroup) — a reference, like every object here.
const worker = (phase: number, id: number, wg: WaitGroup.WaitGroup) =>
  Effect.sleep(`${5 * (id + 1)} millis`).pipe(
    Effect.andThen(Console.log(`phase ${phase}: worker ${id} done`)),
    Effect.ensuring(WaitGroup.done(wg)) // defer wg.Done()
  )

const program = Effect.gen(function* () {
  const wg = yield* WaitGroup.make({ name: "phases" })
  for (const phase of [1, 2]) {
    yield* WaitGroup.add(wg, 2)
    for (let id = 0; id < 2; id++) yield* Effect.forkScoped(worker(phase, id, wg))
    yield* Console.log(`phase ${phase}: counter ${yield* WaitGroup.count(wg)}, waiting`)
    yield* WaitGroup.wait(wg)
    yield* Console.log(`phase ${phase}: counter ${yield* WaitGroup.count(wg)}, all done`)
  }
  // The deliberate copy: refused at its first use, the original untouched.
  const copy: WaitGroup.WaitGroup = { ...wg }
  const refused = yield* Effect.exit(WaitGroup.add(copy, 1))
  if (refused._tag === "Failure") yield* Console.log(`copy refused: ${Cause.squash(refused.cause)}`)
  yield* Console.log(`original counter still ${yield* WaitGroup.count(wg)}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "mistakes-waitgroup-copy",
  section: "Coordination Guide · Common Mistakes #2 (copying a WaitGroup)",
  title: "objects are shared, never copied by value; a deliberate spread copy is refused at its first use",
  uses: ["WaitGroup"],
  program,
  expected: [
    "phase 1: counter 2, waiting",
    "phase 1: worker 0 done",
    "phase 1: worker 1 done",
    "phase 1: counter 0, all done",
    "phase 2: counter 2, waiting",
    "phase 2: worker 0 done",
    "phase 2: worker 1 done",
    "phase 2: counter 0, all done",
    /copy refused: .*WaitGroup is copied/,
    "original counter still 0"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Go Concurrency · "Data Race Gotchas · Append on Shared Slices": two
 * goroutines append to the same slice, which has spare capacity, so both write
 * index 0 of one backing array.
 *
 * Go:
 *   // Race — both goroutines write to index 0 of the same backing array
 *   s := make([]int, 0, 1)
 *   go func() { s1 := append(s, 1); fmt.Println(s1) }()
 *   go func() { s2 := append(s, 2); fmt.Println(s2) }()
 *   // Fix: copy the slice before passing to goroutines.
 *
 * A JavaScript array has no hidden capacity shared between "views":
 * `[...s, 1]` always builds a new array, so the non-mutating append (the
 * closest spelling of Go's `append`) is already the fix — each fiber gets
 * its own result. The trap that does exist is the mutating one: `s.push(x)`
 * on an array two fibers share. Both are shown; each fiber prints what it
 * believes is its own slice after a yield.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const twoFibers = (label: string, append: (s: Array<number>, v: number) => Array<number>) =>
  Effect.gen(function* () {
    const s: Array<number> = []
    const wg = yield* WaitGroup.make()
    for (const v of [1, 2]) {
      yield* WaitGroup.go(
        wg,
        Effect.gen(function* () {
          const mine = append(s, v)
          yield* Effect.yieldNow // the other fiber runs here
          yield* Console.log(`  ${label}: fiber ${v} sees [${mine.join(", ")}]`)
        })
      )
    }
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* Console.log("spread, [...s, v] (a new array):")
  yield* twoFibers("spread", (s, v) => [...s, v])
  yield* Console.log("push on the shared array:")
  yield* twoFibers("push", (s, v) => {
    s.push(v)
    return s
  })
})

export const example = Example.make({
  name: "shared-slice-append",
  section: "Go Concurrency · Data Race Gotchas · Append on Shared Slices",
  title: "a spread append copies, so fibers never share a backing array; push on a shared array does",
  uses: ["WaitGroup"],
  program,
  expected: [
    "spread, [...s, v] (a new array):",
    "spread: fiber 1 sees [1]",
    "spread: fiber 2 sees [2]",
    "push on the shared array:",
    "push: fiber 1 sees [1, 2]",
    "push: fiber 2 sees [1, 2]"
  ]
})

if (import.meta.main) Example.runMain(example)

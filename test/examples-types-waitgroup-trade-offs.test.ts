/**
 * Type tests for the examples of the WaitGroup Deep Dive, Correctness &
 * Trade-offs and sync.WaitGroup documents (see examples/Example.ts): the Go
 * bugs that cannot be written in effect-go. Each `// @ts-expect-error` line
 * is a Go mistake from those documents, with why it does not compile; `npm
 * run typecheck` fails if one ever compiles. The programs are only built,
 * never run. Also: the cheat sheet shows only code that compiles.
 */
import { readFileSync } from "node:fs"
import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import type * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Example from "../examples/Example.ts"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { it } from "./utils/leak.ts"

class InvalidItemError extends Data.TaggedError("InvalidItemError")<{ readonly item: string }> {}

const wg = WaitGroup.makeUnsafe(undefined as unknown as Scope.Scope)
const processItem = (item: string): Effect.Effect<number, InvalidItemError> =>
  Effect.fail(new InvalidItemError({ item }))

describe("WaitGroup Deep Dive · Advanced Usage Patterns · 3. Batch Processing with Error Handling (example batch-process-results)", () => {
  it("a task whose error would be lost cannot be started: WaitGroup.go takes only infallible tasks", () => {
    const results: Array<Result.Result<number, InvalidItemError>> = []
    // Go: go func(i int, item Item) { defer wg.Done(); processItem(item) }(i, item) — the error is dropped.
    // @ts-expect-error WaitGroup.go takes Effect<A, never, R>: the failure must be handled or kept
    WaitGroup.go(wg, processItem("x"))
    // Go's Result{Value, Err}: Effect.result keeps the failure as a value.
    const task = Effect.map(Effect.result(processItem("x")), (r) => results.push(r))
    expectTypeOf(WaitGroup.go(wg, task)).toEqualTypeOf<Effect.Effect<Fiber.Fiber<number>>>()
  })
})

describe("WaitGroup Deep Dive · Advanced Concepts · 1. WaitGroup with Context (example waitgroup-with-context)", () => {
  it("the context's error is in the type: a caller cannot forget that the wait may be cut short", () => {
    const [ctx] = Effect.runSync(GoContext.withCancel(GoContext.background))
    expectTypeOf(GoContext.run(ctx, WaitGroup.wait(wg))).toEqualTypeOf<Effect.Effect<void, GoContext.CanceledError>>()
    // context.Background() can never be done: waiting under it adds no error.
    expectTypeOf(GoContext.run(GoContext.background, WaitGroup.wait(wg))).toEqualTypeOf<Effect.Effect<void>>()
  })
})

describe('Correctness & Trade-offs · Goroutine Lifecycle & Scheduling: the "Main" Trap (goroutines killed when main returns)', () => {
  it("a program whose fibers still need their scope cannot be run: the scope must be closed first", () => {
    const forks = Effect.forkScoped(Effect.sleep("1 second"))
    // Go: main returns while goroutines still run; they are killed without cleanup.
    // @ts-expect-error a program requiring Scope cannot be an example (or be given to runMain/runPromise)
    Example.make({ name: "x", section: "Correctness & Trade-offs", title: "", uses: [], program: forks, expected: [] })
    // Closing the scope (which interrupts and awaits the forks) makes it runnable.
    Example.make({
      name: "x",
      section: "Correctness & Trade-offs",
      title: "",
      uses: [],
      program: Effect.scoped(forks),
      expected: []
    })
  })
})

describe("Correctness & Trade-offs · Channels: only the sender closes; directions (examples worker-pool-jobs, parallel-process)", () => {
  it("worker(id, jobs <-chan int, results chan<- int): each view allows only its own direction", () => {
    const jobs = Chan.makeUnsafe<number>(100) as Chan.RecvChan<number>
    const results = Chan.makeUnsafe<number>(100) as Chan.SendChan<number>
    // Go: close(jobs) inside a worker — a receiver closing a channel it does not own panics its sender.
    // @ts-expect-error a receive-only channel has no close: only the sender side closes
    Chan.close(jobs)
    // @ts-expect-error a worker cannot send on its job channel
    Chan.send(jobs, 1)
    // @ts-expect-error a worker cannot read back from its results channel
    Chan.recv(results)
    expectTypeOf(Chan.recv(jobs)).toEqualTypeOf<Effect.Effect<Option.Option<number>>>()
  })

  it("send on a closed channel is a typed error, not a panic", () => {
    const ch = Chan.makeUnsafe<number>()
    expectTypeOf(Chan.send(ch, 1)).toEqualTypeOf<Effect.Effect<void, Chan.ChanClosedError>>()
  })
})

describe("sync.WaitGroup · Common Bugs; Interview Traps (examples bug-*, parallel-write)", () => {
  it("Bug 2 (forgetting Done): WaitGroup.go returns the task's fiber; the task never handles the counter", () => {
    // There is nothing to forget: the group counts the task done when it ends, however it ends.
    expectTypeOf(WaitGroup.go(wg, Effect.void)).toEqualTypeOf<Effect.Effect<Fiber.Fiber<void>>>()
  })

  it("Bug 3 (negative counter): a defect, as Go panics — not an error a caller is asked to handle", () => {
    expectTypeOf(WaitGroup.done(wg)).toEqualTypeOf<Effect.Effect<void>>()
    expect(
      new WaitGroup.NegativeWaitGroupCounterError({ waitGroupName: undefined, counter: 0, delta: -1 }).message
    ).toBe("sync: negative WaitGroup counter")
  })

  it("Bug 4 (reuse without wait): there is no package-level zero value to share; a group needs a scope", () => {
    // Go: var wg sync.WaitGroup at package level, shared by batch1 and batch2.
    // WaitGroup.make requires a Scope: each batch makes its own group inside its own scope.
    expectTypeOf(WaitGroup.make()).not.toExtend<Effect.Effect<WaitGroup.WaitGroup>>()
    expectTypeOf(WaitGroup.make()).toEqualTypeOf<Effect.Effect<WaitGroup.WaitGroup, never, Scope.Scope>>()
    const batch = Effect.scoped(Effect.flatMap(WaitGroup.make(), WaitGroup.wait))
    expectTypeOf(batch).toEqualTypeOf<Effect.Effect<void>>()
  })

  it("Trap 4 (WaitGroup does not protect shared state): the critical section is an Effect run under the lock", () => {
    const mu = Mutex.makeUnsafe()
    let counter = 0
    const increment = Effect.sync(() => counter++).pipe(Mutex.withLock(mu))
    expectTypeOf(increment).toEqualTypeOf<Effect.Effect<number>>()
  })
})

describe("docs/cheatsheet.md shows only code that compiles", () => {
  const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8")
  const dedent = (text: string): string => {
    const lines = text.replace(/\n$/, "").split("\n")
    const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length))
    return lines.map((l) => l.slice(indent)).join("\n")
  }

  it("every effect-go block is a #region of examples/go-cheatsheet.ts (compiled, run and checked by the tour)", () => {
    const source = read("../examples/go-cheatsheet.ts")
    const regions = [...source.matchAll(/^[ \t]*\/\/ #region [\w-]+\n([\s\S]*?)^[ \t]*\/\/ #endregion/gm)].map((m) =>
      dedent(m[1]!)
    )
    const blocks = [...read("../docs/cheatsheet.md").matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!.replace(/\n$/, ""))
      .filter((block) => !block.includes('from "effect-go"')) // the imports block
    expect(blocks.length).toBeGreaterThanOrEqual(10)
    for (const block of blocks) expect(regions).toContain(block)
  })
})

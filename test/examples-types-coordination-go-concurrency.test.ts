/**
 * Type tests for the examples of the Coordination Guide and Go Concurrency
 * documents (see examples/Example.ts): the Go bugs that cannot be written in
 * effect-go. Each `// @ts-expect-error` line is a Go mistake from those
 * documents; `npm run typecheck` fails if it ever compiles. The programs are
 * only built, never run.
 */
import { describe, expectTypeOf } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Chan from "../src/Chan.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as Select from "../src/Select.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { it } from "./utils/leak.ts"

class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}
class DbError extends Data.TaggedError("DbError")<{}> {}

const wg = WaitGroup.makeUnsafe(undefined as unknown as Scope.Scope)
const fetch = (url: string): Effect.Effect<string, FetchError> => Effect.fail(new FetchError({ url }))

describe("Coordination Guide · sync.WaitGroup Deep Dive; Common Mistakes #1 (examples waitgroup-fan-out, mistakes-waitgroup-add)", () => {
  it("WaitGroup.go counts and forks in one step: there is no Add to misplace and no Done to forget", () => {
    // Go: wg.Add(1); go func() { defer wg.Done(); work() }() — one call here, returning the task's fiber.
    expectTypeOf(WaitGroup.go(wg, Effect.succeed(1))).toEqualTypeOf<Effect.Effect<Fiber.Fiber<number>>>()
  })

  it("a fallible task cannot be given to WaitGroup.go: its error would be silently dropped", () => {
    // Go: go func() { defer wg.Done(); _ = fetch(url) }() — the error vanishes.
    // @ts-expect-error WaitGroup.go takes Effect<A, never, R>: handle the error, or use ErrGroup
    WaitGroup.go(wg, fetch("https://example.com"))
    // Handling it explicitly is fine.
    WaitGroup.go(
      wg,
      Effect.catch(fetch("https://example.com"), () => Effect.succeed("fallback"))
    )
  })
})

describe("Coordination Guide · sync.Once and Idempotent Initialization (example once-init)", () => {
  it("a Once carries its initializer's error type, so a replayed failure is always typed", () => {
    const plain = Once.makeUnsafe()
    const connect: Effect.Effect<void, DbError> = Effect.fail(new DbError())
    // Go: once.Do(connect) — later calls cannot tell that connect failed.
    // @ts-expect-error a Once<never> cannot run an initializer that may fail
    Once.do(plain, connect)
    const typed = Once.makeUnsafe<DbError>()
    expectTypeOf(Once.do(typed, connect)).toEqualTypeOf<Effect.Effect<void, DbError>>()
    // Go's OnceValues(f) returns (T, error): here the Effect's two channels.
    expectTypeOf(Once.value(fetch("u"))).toEqualTypeOf<Effect.Effect<string, FetchError>>()
  })
})

describe("Coordination Guide · errgroup With Context for Cancellation; Common Mistakes #4 (examples errgroup-fetch-timeout, mistakes-leak-on-error)", () => {
  it("a group's error type is checked: a task cannot fail with an error that wait does not report", () => {
    // Built for its types only, never run.
    Effect.gen(function* () {
      const g = yield* ErrGroup.make<FetchError>()
      yield* ErrGroup.go(g, fetch("https://a.example"))
      // Go: g.Go(func() error { return db.Exec(...) }) — any error fits Go's `error`.
      // @ts-expect-error a DbError task in a FetchError group: wait's type would lie
      yield* ErrGroup.go(g, Effect.fail(new DbError()))
      expectTypeOf(ErrGroup.wait(g)).toEqualTypeOf<Effect.Effect<void, FetchError>>()
      // A group of both says so.
      const both = yield* ErrGroup.make<FetchError | DbError>()
      yield* ErrGroup.go(both, Effect.fail(new DbError()))
      expectTypeOf(ErrGroup.wait(both)).toEqualTypeOf<Effect.Effect<void, FetchError | DbError>>()
    })
  })
})

describe("Go Concurrency · Channels: Direction in Signatures; Rules 4 and 6 (close from the sender side; sends on closed channels panic)", () => {
  it("a receive-only view can neither send nor close; a send-only view cannot receive", () => {
    // Go: func producer() <-chan int / func consumer(ch <-chan int)
    const producer = (): Chan.RecvChan<number> => Chan.makeUnsafe<number>()
    const consumer = (ch: Chan.RecvChan<number>) => Chan.forEach(ch, () => Effect.void)
    const out = producer()
    consumer(out)
    // @ts-expect-error rule 4: only the sender closes — a receiver holds a RecvChan, which has no close
    Chan.close(out)
    // @ts-expect-error Go rejects `out <- 1` on a <-chan int too
    Chan.send(out, 1)
    const sink: Chan.SendChan<number> = Chan.makeUnsafe<number>()
    // @ts-expect-error a chan<- int cannot be received from
    Chan.recv(sink)
    // @ts-expect-error the element type is checked
    Chan.send(sink, "one")
  })

  it("a send on a closed channel is a typed ChanClosedError, not a panic", () => {
    const ch = Chan.makeUnsafe<number>(1)
    expectTypeOf(Chan.send(ch, 1)).toEqualTypeOf<Effect.Effect<void, Chan.ChanClosedError>>()
    expectTypeOf(Chan.close(ch)).toEqualTypeOf<Effect.Effect<void, Chan.ChanClosedError>>()
    // Receiving never fails: a closed channel yields none.
    expectTypeOf(Chan.recv(ch)).toEqualTypeOf<Effect.Effect<Option.Option<number>>>()
    // A select with a send case can fail with ChanClosedError; one with only receives cannot.
    expectTypeOf(Select.select(Select.recv(ch), Select.send(ch, 2))).toEqualTypeOf<
      Effect.Effect<void | Option.Option<number>, Chan.ChanClosedError>
    >()
    expectTypeOf(Select.select(Select.recv(ch), Select.otherwise())).toEqualTypeOf<
      Effect.Effect<void | Option.Option<number>>
    >()
  })
})

describe("Go Concurrency · Context-Based Cancellation; Context Propagation (examples worker-context-ticker, without-cancel-publish)", () => {
  it("a context's error type says how it can end; WithoutCancel can never be cancelled", () => {
    const work = Effect.succeed("resp")
    expectTypeOf(GoContext.run(GoContext.background, work)).toEqualTypeOf<Effect.Effect<string>>()
    // Built for its types only, never run.
    Effect.gen(function* () {
      const [ctx] = yield* GoContext.withCancel(GoContext.background)
      expectTypeOf(GoContext.run(ctx, work)).toEqualTypeOf<Effect.Effect<string, GoContext.CanceledError>>()
      const [timed] = yield* GoContext.withTimeout(ctx, "1 second")
      expectTypeOf(GoContext.run(timed, work)).toEqualTypeOf<Effect.Effect<string, GoContext.ContextError>>()
      // Go 1.21: context.WithoutCancel(r.Context()) — detached background work has no cancellation error.
      const detached = GoContext.withoutCancel(timed)
      expectTypeOf(detached).toEqualTypeOf<GoContext.GoContext<never>>()
      expectTypeOf(GoContext.run(detached, work)).toEqualTypeOf<Effect.Effect<string>>()
      // @ts-expect-error a detached context's error type is never: it cannot be mistaken for the request's
      const notDetached: GoContext.GoContext<never> = timed
      return notDetached
    })
  })
})

describe("Go Concurrency · Synchronization · Mutexes (example safe-map-mutex)", () => {
  it("withLock keeps the guarded effect's types: the unlock is not a separate call to forget", () => {
    const mu = Mutex.makeUnsafe()
    // Go: mu.Lock(); defer mu.Unlock(); return db.Get(k)
    expectTypeOf(Mutex.withLock(mu)(fetch("k"))).toEqualTypeOf<Effect.Effect<string, FetchError>>()
  })
})

import { describe, expect, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

const parked = <A>(ch: Chan.Chan<A>) => Effect.map(Chan.blocked(ch), (bs) => bs.map((b) => b.since))

describe("waiters: the time a fiber parked (since)", () => {
  it.effect("is the provided Clock's time, exactly (TestClock)", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>()
      yield* TestClock.adjust("3 seconds")
      const a = yield* Effect.forkChild(Chan.recv(ch))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const b = yield* Effect.forkChild(Chan.recv(ch))
      yield* settle
      expect(yield* parked(ch)).toEqual([3000, 5000])
      yield* Fiber.interrupt(a)
      yield* Fiber.interrupt(b)
    })
  )

  it.live("under the live clock, is read once per synchronous run and refreshed by the next one", () =>
    // No op-budget yield may split the first "synchronous run" in two.
    Effect.provideService(
      Effect.gen(function* () {
        let now = 1_000
        const spy = vi.spyOn(Date, "now").mockImplementation(() => now)
        const ch = yield* Chan.make<number>()
        const a = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        // Same synchronous run: the wall clock is not read again.
        now = 2_000
        const b = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        // A later run (after a macrotask, hence after the expiring microtask).
        yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
        now = 3_000
        const c = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        const since = yield* parked(ch)
        spy.mockRestore()
        expect(since).toEqual([1_000, 1_000, 3_000])
        yield* Fiber.interrupt(a)
        yield* Fiber.interrupt(b)
        yield* Fiber.interrupt(c)
      }),
      Scheduler.PreventSchedulerYield,
      true
    )
  )
})

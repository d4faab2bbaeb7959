/**
 * The consumer smoke test of `effect-go/vitest`: run by the consumer's own
 * vitest (with `@effect/vitest`, effect-go's optional peers), it checks that
 * the wrapped `it` leak-checks Effect tests and runs the schedule explorer
 * as a test. Each `fails` test passes only when the kit fails it.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { Chan, Mutex } from "effect-go"
import * as Testing from "effect-go/Testing"
import { it } from "effect-go/vitest"

/** Two bookings of the last seat; the check and the update are apart unless `locked`. */
const booking =
  (locked: boolean) =>
  (chaos: Testing.Chaos): Effect.Effect<void, Testing.ChaosViolation> =>
    Effect.gen(function* () {
      let seats = 1
      const mu = yield* Mutex.make()
      const book = Effect.gen(function* () {
        if (seats > 0) {
          yield* Effect.yieldNow
          seats--
        }
      })
      const guarded = locked ? Mutex.withLock(mu)(book) : book
      yield* Effect.all([guarded, guarded], { concurrency: "unbounded" })
      if (seats < 0) return yield* chaos.fail(`oversold: ${seats} seats left`)
    })

describe("effect-go/vitest in a consumer", () => {
  it.effect("a test whose worker ends passes", () =>
    Effect.gen(function* () {
      const jobs = yield* Chan.make<number>(0, { name: "jobs" })
      const worker = yield* Effect.forkDetach(Chan.recv(jobs))
      yield* Chan.send(jobs, 7)
      expect(yield* Fiber.join(worker)).toEqual(Option.some(7))
      yield* Testing.expectNoBlockedFibers
    })
  )

  it.effect.fails("a test that leaves a worker blocked fails with FiberLeakError", () =>
    Effect.gen(function* () {
      const jobs = yield* Chan.make<number>(0, { name: "jobs" })
      yield* Effect.forkDetach(Chan.recv(jobs))
    })
  )

  it.explore.fails("the explorer finds the unlocked check-then-act", booking(false), { runs: 50 })

  it.explore("the locked check-then-act never oversells", booking(true), { runs: 50 })
})

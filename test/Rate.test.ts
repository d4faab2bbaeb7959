import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import { CopiedPrimitiveError, InvalidArgumentError } from "../src/internal/copied.ts"
import * as Rate from "../src/Rate.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

// Go's rate_test.go measures time in multiples of d = 100 ms from t0.
const d = 100
const t0 = 1_000
const t = (i: number) => t0 + i * d
const [t1, t2, t3, t4, t5, t9] = [t(1), t(2), t(3), t(4), t(5), t(9)]

/** Go's `allow{t, toks, n, ok}`: at time `at`, TokensAt is `toks`, then AllowN(n) is `ok`. */
type Step = readonly [at: number, toks: number, n: number, ok: boolean]

/** Go's `run`: each step on the TestClock (which may go back, as Go's explicit times do). */
const run = (lim: Rate.Limiter, steps: ReadonlyArray<Step>) =>
  Effect.gen(function* () {
    for (const [i, [at, toks, n, ok]] of steps.entries()) {
      yield* TestClock.setTime(at)
      expect({ step: i, tokens: yield* Rate.tokens(lim) }).toEqual({ step: i, tokens: toks })
      expect({ step: i, allow: yield* Rate.allowN(lim, n) }).toEqual({ step: i, allow: ok })
    }
  })

/** Go's `dFromDuration`: milliseconds to the nearest multiple of d. */
const inD = (millis: number) => Math.floor((millis + d / 2) / d)

/**
 * Go's `runReserve`: at time `at`, ReserveN(n) is `ok` and its time to act is
 * `act` (in multiples of d, as Go compares them). Returns the reservation.
 */
const runReserve = (lim: Rate.Limiter, at: number, n: number, act: number, ok: boolean) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(at)
    const r = yield* Rate.reserveN(lim, n)
    expect(r.ok).toBe(ok)
    if (ok) expect(inD(at + Duration.toMillis(r.delayFrom(at)) - t0)).toBe(inD(act - t0))
    else expect(Duration.equals(yield* r.delay, Duration.infinity)).toBe(true)
    return r
  })

/** Runs `effect` on the TestClock, moving it 1 ms at a time until it ends; its Exit and how long it took. */
const timed = <A, E>(effect: Effect.Effect<A, E>, maxMillis = 10_000) =>
  Effect.gen(function* () {
    const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
    const fiber = yield* Effect.forkChild(effect)
    yield* settle
    let waited = 0
    while (fiber.pollUnsafe() === undefined && waited < maxMillis) {
      yield* TestClock.adjust(1)
      waited++
    }
    const exit = yield* Fiber.await(fiber)
    const end = yield* Effect.clockWith((c) => c.currentTimeMillis)
    return { exit, millis: end - start }
  })

describe("Rate: Go's rate_test.go", () => {
  it.effect("TestLimit and TestEvery: the interval conversions, zero or less being Inf", () =>
    Effect.sync(() => {
      expect(Rate.inf).toBe(Number.POSITIVE_INFINITY)
      expect(10 === Rate.inf).toBe(false)
      const cases: ReadonlyArray<readonly [Duration.Input, number]> = [
        [0, Rate.inf],
        [-1, Rate.inf],
        [Duration.nanos(1n), 1e9],
        [Duration.micros(1n), 1e6],
        ["1 millis", 1e3],
        ["10 millis", 100],
        ["100 millis", 10],
        ["1 second", 1],
        ["2 seconds", 0.5],
        ["2500 millis", 0.4],
        ["4 seconds", 0.25],
        ["10 seconds", 0.1],
        [Duration.nanos(9223372036854775807n), 1e9 / Number(9223372036854775807n)]
      ]
      for (const [interval, limit] of cases) {
        const got = Rate.every(interval)
        expect({
          interval: String(interval),
          ok: limit === Rate.inf ? got === Rate.inf : Math.abs(got / limit - 1) < 1e-9
        }).toEqual({
          interval: String(interval),
          ok: true
        })
      }
      // Beyond Go: an infinite interval is no event at all; no duration is NaN (refused by make).
      expect(Rate.every(Duration.infinity)).toBe(0)
      expect(Rate.every("bogus" as Duration.Input)).toBeNaN()
    })
  )

  it.effect("TestLimiterBurst1", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      yield* run(yield* Rate.make(10, 1), [
        [t0, 1, 1, true],
        [t0, 0, 1, false],
        [t0, 0, 1, false],
        [t1, 1, 1, true],
        [t1, 0, 1, false],
        [t1, 0, 1, false],
        [t2, 1, 2, false], // burst size is 1, so n=2 always fails
        [t2, 1, 1, true],
        [t2, 0, 1, false]
      ])
    })
  )

  it.effect("TestLimiterBurst3", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      yield* run(yield* Rate.make(10, 3), [
        [t0, 3, 2, true],
        [t0, 1, 2, false],
        [t0, 1, 1, true],
        [t0, 0, 1, false],
        [t1, 1, 4, false],
        [t2, 2, 1, true],
        [t3, 2, 1, true],
        [t4, 2, 1, true],
        [t4, 1, 1, true],
        [t4, 0, 1, false],
        [t4, 0, 1, false],
        [t9, 3, 3, true],
        [t9, 0, 0, true]
      ])
    })
  )

  it.effect("TestLimiterJumpBackwards: a clock that goes back earns no tokens", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      yield* run(yield* Rate.make(10, 3), [
        [t1, 3, 1, true], // start at t1
        [t0, 2, 1, true], // jump back to t0, two tokens remain
        [t0, 1, 1, true],
        [t0, 0, 1, false],
        [t0, 0, 1, false],
        [t1, 1, 1, true], // got a token
        [t1, 0, 1, false],
        [t1, 0, 1, false],
        [t2, 1, 1, true], // got another token
        [t2, 0, 1, false],
        [t2, 0, 1, false]
      ])
    })
  )

  it.effect("TestLimiter_noTruncationErrors", () =>
    Effect.gen(function* () {
      expect(yield* Rate.allow(yield* Rate.make(0.7692307692307693, 1))).toBe(true)
    })
  )

  it.effect("TestSimultaneousRequests: 15 fibers allow at once against a burst of 5; 5 get through", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(1, 5)
      let numOK = 0
      yield* Effect.forEach(
        Array.from({ length: 15 }),
        () =>
          Effect.andThen(Effect.yieldNow, Rate.allow(lim)).pipe(
            Effect.map((ok) => {
              numOK += ok ? 1 : 0
              return ok
            })
          ),
        { concurrency: "unbounded", discard: true }
      )
      expect(numOK).toBe(5)
    })
  )

  it.effect("TestLongRunningQPS: 5 s of ~500 requests per second at 100/s, burst 100", () =>
    Effect.gen(function* () {
      const limit = 100
      const burst = 100
      const lim = yield* Rate.make(limit, burst)
      let numOK = 0
      const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const end = start + 5_000
      while ((yield* Effect.clockWith((c) => c.currentTimeMillis)) < end) {
        if (yield* Rate.allow(lim)) numOK++
        yield* TestClock.adjust(2)
      }
      const elapsed = (yield* Effect.clockWith((c) => c.currentTimeMillis)) - start
      const ideal = burst + (limit * elapsed) / 1000
      expect(numOK).toBeLessThanOrEqual(Math.trunc(ideal + 1))
      expect(numOK).toBeGreaterThanOrEqual(Math.trunc(0.999 * ideal))
    })
  )

  it.effect("TestSimpleReserve", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      yield* runReserve(lim, t0, 2, t2, true)
      yield* runReserve(lim, t3, 2, t4, true)
    })
  )

  it.effect("TestMix", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 3, t1, false) // n > burst
      yield* runReserve(lim, t0, 2, t0, true)
      yield* run(lim, [[t1, 1, 2, false]]) // not enough tokens: don't allow
      yield* runReserve(lim, t1, 2, t2, true)
      yield* run(lim, [[t1, -1, 1, false]]) // negative tokens: don't allow
      yield* run(lim, [[t3, 1, 1, true]])
    })
  )

  it.effect("TestCancelInvalid: cancelling a reservation that is not ok does nothing", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 3, t3, false)
      yield* r.cancel
      yield* runReserve(lim, t0, 2, t2, true) // did not get extra tokens
    })
  )

  it.effect("TestCancelLast: the last reservation, cancelled early, gives all its tokens back", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 2, t2, true)
      yield* TestClock.setTime(t1)
      yield* r.cancel // got 2 tokens back
      yield* runReserve(lim, t1, 2, t2, true)
    })
  )

  it.effect("TestCancelTooLate: a reservation already due gives nothing back", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 2, t2, true)
      yield* TestClock.setTime(t3)
      yield* r.cancel // too late to cancel: no effect
      yield* runReserve(lim, t3, 2, t4, true)
    })
  )

  it.effect("TestCancel0Tokens: a reservation with later ones behind it gives back what they did not take", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 1, t1, true)
      yield* runReserve(lim, t0, 1, t2, true)
      yield* r.cancel // got 0 tokens back
      yield* runReserve(lim, t0, 1, t3, true)
    })
  )

  it.effect("TestCancel1Token", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 2, t2, true)
      yield* runReserve(lim, t0, 1, t3, true)
      yield* TestClock.setTime(t2)
      yield* r.cancel // got 1 token back
      yield* runReserve(lim, t2, 2, t4, true)
    })
  )

  it.effect("TestCancelMulti", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 4)
      yield* runReserve(lim, t0, 4, t0, true)
      const rA = yield* runReserve(lim, t0, 3, t3, true)
      yield* runReserve(lim, t0, 1, t4, true)
      const rC = yield* runReserve(lim, t0, 1, t5, true)
      yield* TestClock.setTime(t1)
      yield* rC.cancel // get 1 token back
      yield* rA.cancel // get 2 tokens back, as if C was never reserved
      yield* runReserve(lim, t1, 3, t5, true)
    })
  )

  it.effect("TestReserveJumpBack (without its maxFutureReserve steps: Wait's deadline is not ported)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t1, 2, t1, true) // start at t1
      yield* runReserve(lim, t0, 1, t1, true) // should violate Limit,Burst
      yield* runReserve(lim, t2, 2, t3, true)
      // burst size is 2, so n=3 always fails, and the state of lim is not changed
      yield* runReserve(lim, t0, 3, t0, false)
      yield* runReserve(lim, t2, 1, t4, true)
    })
  )

  it.effect("TestReserveJumpBackCancel", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(10, 2)
      yield* runReserve(lim, t1, 2, t1, true) // start at t1
      const r = yield* runReserve(lim, t1, 2, t3, true)
      yield* runReserve(lim, t1, 1, t4, true)
      yield* TestClock.setTime(t0)
      yield* r.cancel // cancel at t0, get 1 token back
      yield* runReserve(lim, t1, 2, t4, true) // should violate Limit,Burst
    })
  )

  it.effect("TestReserveSetLimit: a reservation made keeps its time; new ones use the new limit", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(5, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      yield* runReserve(lim, t0, 2, t4, true)
      yield* TestClock.setTime(t2)
      yield* Rate.setLimit(lim, 10)
      yield* runReserve(lim, t2, 1, t4, true) // violates Limit and Burst
      expect(yield* Rate.limit(lim)).toBe(10)
    })
  )

  it.effect("TestReserveSetBurst", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(5, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      yield* runReserve(lim, t0, 2, t4, true)
      yield* TestClock.setTime(t3)
      yield* Rate.setBurst(lim, 4)
      yield* runReserve(lim, t0, 4, t9, true) // violates Limit and Burst
      expect(yield* Rate.burst(lim)).toBe(4)
    })
  )

  it.effect("TestReserveSetLimitCancel", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(t0)
      const lim = yield* Rate.make(5, 2)
      yield* runReserve(lim, t0, 2, t0, true)
      const r = yield* runReserve(lim, t0, 2, t4, true)
      yield* TestClock.setTime(t2)
      yield* Rate.setLimit(lim, 10)
      yield* r.cancel // 2 tokens back
      yield* runReserve(lim, t2, 2, t3, true)
    })
  )

  it.effect("TestWaitSimple: exceeding the burst is a defect with Go's message; act now; act later", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 3, { name: "api" })
      // "already-cancelled": a wait interrupted before it runs takes nothing.
      const cancelled = yield* Effect.forkChild(Rate.waitN(lim, 1))
      yield* Fiber.interrupt(cancelled)
      expect(yield* Rate.tokens(lim)).toBe(3)

      const exceed = defectOf(yield* Effect.exit(Rate.waitN(lim, 4)))
      expect(exceed).toBeInstanceOf(Rate.WaitExceedsBurstError)
      expect((exceed as Error).message).toBe("rate: Wait(n=4) exceeds limiter's burst 3")
      expect(exceed).toMatchObject({ n: 4, burst: 3, limiterName: "api" })
      expect(yield* Rate.tokens(lim)).toBe(3) // it took nothing

      const now = yield* timed(Rate.waitN(lim, 2))
      expect(now).toEqual({ exit: Exit.void, millis: 0 })
      const later = yield* timed(Rate.waitN(lim, 3))
      expect(later.exit).toEqual(Exit.void)
      expect(inD(later.millis)).toBe(2)
    })
  )

  it.effect("TestWaitCancel: a wait interrupted after d gives its 3 tokens back; 2 can be taken at once", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 3)
      expect((yield* timed(Rate.waitN(lim, 2))).millis).toBe(0) // now lim.tokens = 1
      const willCancel = yield* Effect.forkChild(Rate.waitN(lim, 3))
      yield* settle
      yield* TestClock.adjust(d)
      yield* Fiber.interrupt(willCancel)
      expect(isInterruptedOnly(yield* Fiber.await(willCancel))).toBe(true)
      // should get 3 tokens back, and have lim.tokens = 2
      expect(yield* Rate.tokens(lim)).toBeCloseTo(2, 9)
      expect((yield* timed(Rate.waitN(lim, 2))).millis).toBe(0)
    })
  )

  it.effect(
    "TestWaitTimeout, as Effect has it: a wait under a timeout shorter than its delay gives its tokens back",
    () =>
      Effect.gen(function* () {
        const lim = yield* Rate.make(10, 3)
        expect((yield* timed(Rate.waitN(lim, 2))).millis).toBe(0)
        // Go's WaitN fails at once, seeing the deadline; here the timeout interrupts the wait at d.
        const timedOut = yield* timed(Rate.waitN(lim, 3).pipe(Effect.timeoutOption(`${d} millis`)))
        expect(timedOut.millis).toBe(d)
        expect(timedOut.exit).toEqual(Exit.succeed(expect.objectContaining({ _tag: "None" })))
        expect(yield* Rate.tokens(lim)).toBeCloseTo(2, 9)
      })
  )

  it.effect("TestWaitInf: an infinite limit ignores the burst", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(Rate.inf, 0)
      expect(yield* timed(Rate.waitN(lim, 3))).toEqual({ exit: Exit.void, millis: 0 })
      expect(yield* Rate.allowN(lim, 1_000_000)).toBe(true)
      const r = yield* Rate.reserveN(lim, 7)
      expect(r.ok).toBe(true)
      expect(Duration.toMillis(yield* r.delay)).toBe(0)
    })
  )

  it.effect("TestZeroLimit: a zero limit allows the bucket's tokens, then nothing", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(0, 1)
      expect(yield* Rate.allow(lim)).toBe(true)
      expect(yield* Rate.allow(lim)).toBe(false)
      yield* TestClock.adjust("1 hour")
      expect(yield* Rate.allow(lim)).toBe(false)
      // A reservation for a token that never comes is ok, with an infinite delay (Go's InfDuration).
      const r = yield* Rate.reserve(lim)
      expect(r.ok).toBe(true)
      expect(Duration.equals(yield* r.delay, Duration.infinity)).toBe(true)
      yield* r.cancel
      expect(yield* Rate.tokens(lim)).toBe(0)
    })
  )

  it.effect("TestSetAfterZeroLimit: after setLimit(10), a wait takes d", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(0, 1)
      expect(yield* Rate.allow(lim)).toBe(true)
      expect(yield* Rate.allow(lim)).toBe(false)
      yield* Rate.setLimit(lim, 10)
      const w = yield* timed(Rate.wait(lim))
      expect(w.exit).toEqual(Exit.void)
      expect(inD(w.millis)).toBe(1)
    })
  )

  it.effect("TestTinyLimit: a tiny limit does not overflow into extra tokens", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(1e-10, 1)
      expect(yield* Rate.allow(lim)).toBe(true)
      expect(yield* Rate.allow(lim)).toBe(false)
    })
  )
})

describe("Rate: waits and interruption", () => {
  it.effect("an interrupted wait takes no token: tokens are as before, and an allow succeeds once one is due", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 1)
      expect(yield* Rate.allow(lim)).toBe(true)
      const waiter = yield* Effect.forkChild(Rate.wait(lim))
      yield* settle
      expect(yield* Rate.tokens(lim)).toBe(-1) // booked: the next token is the waiter's
      expect((lim.toJSON() as { waiting: number }).waiting).toBe(1)
      yield* TestClock.adjust(50)
      yield* Fiber.interrupt(waiter)
      expect(yield* Rate.tokens(lim)).toBeCloseTo(0.5, 9)
      expect((lim.toJSON() as { waiting: number }).waiting).toBe(0)
      yield* TestClock.adjust(50)
      expect(yield* Rate.allow(lim)).toBe(true) // the token the waiter booked
    })
  )

  it.effect(
    "an interrupted wait with a later booking behind it gives back what that booking did not take (Go's CancelAt)",
    () =>
      Effect.gen(function* () {
        const lim = yield* Rate.make(10, 1)
        yield* Rate.allow(lim)
        const first = yield* Effect.forkChild(Rate.wait(lim)) // due at 100 ms
        yield* settle
        const second = yield* Effect.forkChild(Rate.wait(lim)) // due at 200 ms
        yield* settle
        yield* Fiber.interrupt(second)
        // The last booking gives its token back whole.
        expect(yield* Rate.tokens(lim)).toBe(-1)
        const third = yield* Effect.forkChild(Rate.wait(lim)) // due at 200 ms again
        yield* settle
        yield* Fiber.interrupt(first)
        // The first's token went on to the third, whose time to act stays as it was booked: nothing comes back.
        expect(yield* Rate.tokens(lim)).toBe(-2)
        const done = yield* timed(Fiber.join(third))
        expect(done).toEqual({ exit: Exit.void, millis: 200 })
      })
  )

  it.effect("a wait whose sleep ended is not undone by an interruption after it", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 1)
      yield* Rate.allow(lim)
      const w = yield* timed(Rate.wait(lim))
      expect(w).toEqual({ exit: Exit.void, millis: 100 })
      expect(yield* Rate.tokens(lim)).toBe(0)
    })
  )

  it.effect("with a zero limit and an empty bucket, a wait waits until interrupted, and takes nothing", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(0, 1)
      yield* Rate.allow(lim)
      const waiter = yield* Effect.forkChild(Rate.wait(lim))
      yield* settle
      yield* TestClock.adjust("1 day")
      expect(waiter.pollUnsafe()).toBeUndefined()
      yield* Fiber.interrupt(waiter)
      expect(yield* Rate.tokens(lim)).toBe(0)
      yield* Rate.setLimit(lim, 1)
      yield* TestClock.adjust("1 second")
      expect(yield* Rate.allow(lim)).toBe(true)
    })
  )

  it.effect("waitN(n) above the burst is a defect until setBurst makes room", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 2)
      expect(defectOf(yield* Effect.exit(Rate.waitN(lim, 5)))).toBeInstanceOf(Rate.WaitExceedsBurstError)
      yield* Rate.setBurst(lim, 5)
      // setBurst keeps the tokens (2) and caps them at the new burst as they refill.
      expect(yield* Rate.tokens(lim)).toBe(2)
      const w = yield* timed(Rate.waitN(lim, 5))
      expect(w.exit).toEqual(Exit.void)
      expect(w.millis).toBe(300)
    })
  )

  it.effect("8 fibers waiting for 10 s hold the rate within 1% (burst + limit × 10 s grants)", () =>
    Effect.gen(function* () {
      const limit = 100
      const burst = 5
      const lim = yield* Rate.make(limit, burst)
      const grants: Array<number> = []
      const worker = Effect.forever(
        Effect.andThen(
          Rate.wait(lim),
          Effect.clockWith((c) => Effect.sync(() => grants.push(c.currentTimeMillisUnsafe())))
        )
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 8 }), () => Effect.forkChild(worker))
      yield* settle
      for (let ms = 0; ms < 10_000; ms += 10) yield* TestClock.adjust(10)
      yield* Fiber.interruptAll(fibers)
      const within = grants.filter((at) => at <= 10_000).length
      const ideal = burst + limit * 10
      expect(Math.abs(within - ideal) / ideal).toBeLessThanOrEqual(0.01)
      // And no second saw more than the burst plus a second's worth.
      for (let s = 0; s < 10; s++) {
        const inSecond = grants.filter((at) => at >= s * 1000 && at < (s + 1) * 1000).length
        expect(inSecond).toBeLessThanOrEqual(limit + burst)
      }
    })
  )
})

describe("Rate: reservations", () => {
  it.effect("delay reads the Clock; delayFrom takes a time; a reservation above the burst is not ok", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 2)
      yield* Rate.allowN(lim, 2)
      const r = yield* Rate.reserveN(lim, 2)
      expect(r.ok).toBe(true)
      expect(Duration.toMillis(yield* r.delay)).toBe(200)
      expect(Duration.toMillis(r.delayFrom(150))).toBe(50)
      expect(Duration.toMillis(r.delayFrom(500))).toBe(0)
      yield* TestClock.adjust(120)
      expect(Duration.toMillis(yield* r.delay)).toBe(80)
      const tooBig = yield* Rate.reserveN(lim, 3)
      expect(tooBig.ok).toBe(false)
      expect(Duration.equals(tooBig.delayFrom(0), Duration.infinity)).toBe(true)
      expect(inspect(r)).toContain("Reservation")
    })
  )

  it.effect("cancelling twice gives the tokens back once (Go would give them back again)", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 4)
      yield* Rate.allowN(lim, 4)
      const r = yield* Rate.reserveN(lim, 2)
      expect(yield* Rate.tokens(lim)).toBe(-2)
      yield* r.cancel
      expect(yield* Rate.tokens(lim)).toBe(0)
      yield* r.cancel
      expect(yield* Rate.tokens(lim)).toBe(0)
    })
  )

  it.effect("allowN(0) is true unless bookings overdrew the bucket; reserveN(0) books nothing", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 1)
      expect(yield* Rate.allowN(lim, 0)).toBe(true)
      yield* Rate.reserveN(lim, 1)
      yield* Rate.reserveN(lim, 1)
      expect(yield* Rate.allowN(lim, 0)).toBe(false)
      const zero = yield* Rate.reserveN(lim, 0)
      expect(zero.ok).toBe(true)
      yield* zero.cancel
      expect(yield* Rate.tokens(lim)).toBe(-1)
    })
  )
})

describe("Rate: values, forms and bad input", () => {
  it.effect("data-last forms for pipe", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 5)
      expect(yield* lim.pipe(Rate.allowN(2))).toBe(true)
      expect((yield* lim.pipe(Rate.reserveN(1))).ok).toBe(true)
      yield* lim.pipe(Rate.waitN(2))
      yield* lim.pipe(Rate.setLimit(20))
      yield* lim.pipe(Rate.setBurst(7))
      expect([yield* Rate.limit(lim), yield* Rate.burst(lim), yield* Rate.tokens(lim)]).toEqual([20, 7, 0])
    })
  )

  it.effect("Inspectable: console.log shows the limit, burst and tokens", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 3, { name: "api" })
      yield* Rate.allow(lim)
      expect(lim.toJSON()).toEqual({
        _id: "Limiter",
        name: "api",
        limit: 10,
        burst: 3,
        tokens: 2,
        updatedAt: 0,
        waiting: 0
      })
      expect(String(lim)).toContain('"Limiter"')
      expect(inspect(lim)).toContain("api")
    })
  )

  it.effect(
    "a bad limit, burst or n is a defect saying what was given and wanted; nothing is thrown while building",
    () =>
      Effect.gen(function* () {
        const lim = yield* Rate.make(10, 3)
        const cases: ReadonlyArray<readonly [Effect.Effect<unknown>, string]> = [
          [
            Rate.make(-1, 1),
            "Rate.make: expected a limit: events per second, a number 0 or more (Rate.inf for no limit), got the number -1"
          ],
          [
            Rate.make(Number.NaN, 1),
            "Rate.make: expected a limit: events per second, a number 0 or more (Rate.inf for no limit), got the number NaN"
          ],
          [Rate.make(Rate.every("bogus" as Duration.Input), 1), "got the number NaN"],
          [Rate.make("10" as unknown as number, 1), 'got the string "10"'],
          [Rate.make(1, -1), "Rate.make: expected a burst: a non-negative safe integer, got the number -1"],
          [Rate.make(1, 1.5), "got the number 1.5"],
          [Rate.make(1, Number.NaN), "got the number NaN"],
          [Rate.make(1, Number.POSITIVE_INFINITY), "got the number Infinity"],
          [
            Rate.allowN(lim, -1),
            "Rate.allowN: expected a number of tokens: a non-negative safe integer, got the number -1"
          ],
          [
            Rate.reserveN(lim, 1.5),
            "Rate.reserveN: expected a number of tokens: a non-negative safe integer, got the number 1.5"
          ],
          [
            Rate.waitN(lim, Number.NaN),
            "Rate.waitN: expected a number of tokens: a non-negative safe integer, got the number NaN"
          ],
          [Rate.setLimit(lim, -0.5), "Rate.setLimit: expected a limit"],
          [Rate.setBurst(lim, -2), "Rate.setBurst: expected a burst: a non-negative safe integer, got the number -2"]
        ]
        for (const [effect, message] of cases) {
          const defect = defectOf(yield* Effect.exit(effect))
          expect(defect).toBeInstanceOf(InvalidArgumentError)
          expect((defect as Error).message).toContain(message)
        }
        // Nothing changed.
        expect([yield* Rate.limit(lim), yield* Rate.burst(lim), yield* Rate.tokens(lim)]).toEqual([10, 3, 3])
      })
  )

  it.effect("something that is no limiter, or a copy of one, is a defect", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 3)
      const copy = { ...lim } as Rate.Limiter
      expect(defectOf(yield* Effect.exit(Rate.allow(copy)))).toBeInstanceOf(CopiedPrimitiveError)
      expect(defectOf(yield* Effect.exit(Rate.wait(copy)))).toBeInstanceOf(CopiedPrimitiveError)
      const notOne = defectOf(yield* Effect.exit(Rate.tokens(undefined as unknown as Rate.Limiter)))
      expect(notOne).toBeInstanceOf(InvalidArgumentError)
      expect((notOne as Error).message).toBe("expected a Limiter, got undefined")
    })
  )

  it.effect("types: in-memory limiters cannot fail; the phantom error flows to every operation", () =>
    Effect.gen(function* () {
      const lim = yield* Rate.make(10, 3)
      expectTypeOf(lim).toEqualTypeOf<Rate.Limiter>()
      expectTypeOf(Rate.wait(lim)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Rate.reserve(lim)).toEqualTypeOf<Effect.Effect<Rate.Reservation>>()
      class Boom {
        readonly _tag = "Boom"
      }
      const failing = lim as unknown as Rate.Limiter<Boom>
      expectTypeOf(Rate.allowN(failing, 2)).toEqualTypeOf<Effect.Effect<boolean, Boom>>()
      expectTypeOf(failing.pipe(Rate.waitN(2))).toEqualTypeOf<Effect.Effect<void, Boom>>()
      expectTypeOf(Rate.reserve(failing)).toEqualTypeOf<Effect.Effect<Rate.Reservation<Boom>, Boom>>()
      // A never-failing limiter is one that may fail with anything.
      const widened: Rate.Limiter<Boom> = lim
      expect(widened).toBe(lim)
    })
  )
})

class ApiLimit extends Rate.Service<ApiLimit>()("app/ApiLimit") {}

describe("Rate.Service", () => {
  it.effect("layer and accessors", () =>
    Effect.gen(function* () {
      const layer: Layer.Layer<ApiLimit> = ApiLimit.layer({ limit: 10, burst: 2 })
      const program = Effect.gen(function* () {
        expect(yield* ApiLimit.allow).toBe(true)
        expect(yield* ApiLimit.allowN(1)).toBe(true)
        expect(yield* ApiLimit.allow).toBe(false)
        const r = yield* ApiLimit.reserve
        expect(Duration.toMillis(yield* r.delay)).toBe(100)
        yield* r.cancel
        expect((yield* ApiLimit.reserveN(2)).ok).toBe(true)
        yield* ApiLimit.setLimit(20)
        yield* ApiLimit.setBurst(4)
        expect([yield* ApiLimit.limit, yield* ApiLimit.burst, yield* ApiLimit.tokens]).toEqual([20, 4, -2])
        yield* TestClock.adjust(150)
        yield* ApiLimit.waitN(1)
        const me = yield* ApiLimit
        expect(me.name).toBe("app/ApiLimit")
      })
      yield* program.pipe(Effect.provide(layer))
      expectTypeOf(ApiLimit.wait).toEqualTypeOf<Effect.Effect<void, never, ApiLimit>>()
    })
  )

  it.effect("settings from configuration; a bad configured value fails the layer with a ConfigError", () =>
    Effect.gen(function* () {
      const settings = Config.all({ limit: Config.Number("API_RATE"), burst: Config.Int("API_BURST") })
      const withConfig = (rate: unknown, burst: unknown) =>
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ API_RATE: rate, API_BURST: burst })))
      const layer = ApiLimit.layer(settings)
      expectTypeOf(layer).toEqualTypeOf<Layer.Layer<ApiLimit, Config.ConfigError>>()
      expect(yield* ApiLimit.limit.pipe(Effect.provide(layer), withConfig(50, 5))).toBe(50)
      const bad = yield* Effect.flip(ApiLimit.limit.pipe(Effect.provide(layer), withConfig(-5, 5)))
      expect(bad).toBeInstanceOf(Config.ConfigError)
      expect(bad.message).toContain("expected a limit")
      expect(bad.message).toContain("(the configured settings of app/ApiLimit)")
      const badBurst = yield* Effect.flip(ApiLimit.limit.pipe(Effect.provide(layer), withConfig(5, -1)))
      expect(badBurst.message).toContain("expected a burst")
      // Literal bad settings are the program's own: a defect.
      const literal = yield* Effect.exit(ApiLimit.limit.pipe(Effect.provide(ApiLimit.layer({ limit: 1, burst: -1 }))))
      expect(defectOf(literal)).toBeInstanceOf(InvalidArgumentError)
      const missing = yield* Effect.exit(
        ApiLimit.limit.pipe(Effect.provide(ApiLimit.layer(undefined as unknown as Rate.LimiterSettings)))
      )
      expect((defectOf(missing) as Error).message).toBe(
        "app/ApiLimit.layer: expected settings { limit, burst }, got undefined"
      )
    })
  )

  it.effect("a service declared with an error type has failing accessors", () =>
    Effect.gen(function* () {
      class Boom {
        readonly _tag = "Boom"
      }
      class Shared extends Rate.Service<Shared, Boom>()("app/Shared") {}
      expectTypeOf(Shared.wait).toEqualTypeOf<Effect.Effect<void, Boom, Shared>>()
      expectTypeOf(Shared.reserveN(2)).toEqualTypeOf<Effect.Effect<Rate.Reservation<Boom>, Boom, Shared>>()
      // Its in-memory layer still works (and never fails).
      expect(yield* Shared.allow.pipe(Effect.provide(Shared.layer({ limit: 1, burst: 1 })))).toBe(true)
    })
  )
})

/**
 * Races with Effect's scheduler: a wait interrupted at any point, under
 * every op budget, either returned to its caller holding its token or holds
 * nothing. The limiter refills once an hour, so that within a run the token
 * count says exactly what each wait took.
 */
describe("Rate: no token lost to an interruption under any op budget", () => {
  it.live("wait at once (a full bucket) and wait parked (an empty one), interrupted after 0..6 yields", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let i = 0; i < 28; i++) {
          const lim = yield* Rate.make(Rate.every("1 hour"), 1)
          // Half the rounds with a full bucket (the wait takes at once), half with an empty one (it parks).
          if (i % 2 === 1) yield* Rate.allow(lim)
          const before = yield* Rate.tokens(lim)
          let returned = false
          const victim = yield* Effect.forkChild(
            // The caller's continuation: where the wait's return reaches its caller.
            Effect.map(Rate.wait(lim), () => {
              returned = true
            })
          )
          yield* loop(i % 7, Effect.yieldNow)
          yield* Fiber.interrupt(victim)
          const taken = before - (yield* Rate.tokens(lim))
          // A few milliseconds of an hourly refill: far below a token.
          expect({ i, returned, taken: Math.abs(taken - (returned ? 1 : 0)) < 0.01 }).toEqual({
            i,
            returned,
            taken: true
          })
          expect((lim.toJSON() as { waiting: number }).waiting).toBe(0)
        }
      }).pipe(Effect.orDie)
    )
  )

  it.live("a wait interrupted after its budget ran out at every point of a loop of waits (default budget)", () =>
    Effect.gen(function* () {
      for (let shift = 0; shift < 64; shift++) {
        const lim = yield* Rate.make(Rate.every("1 hour"), 1_000_000)
        let returned = 0
        const fiber = yield* Effect.forkChild(
          Effect.andThen(
            loop(shift, Effect.void),
            Effect.forever(
              Effect.map(Rate.wait(lim), () => {
                returned++
              }),
              { disableYield: true }
            )
          )
        )
        yield* Effect.yieldNow // the fiber runs until its budget is spent, then yields
        yield* Fiber.interrupt(fiber)
        const taken = 1_000_000 - (yield* Rate.tokens(lim))
        expect({ shift, taken: Math.round(taken) + 0 }).toEqual({ shift, taken: returned })
      }
    }).pipe(Effect.orDie)
  )
})

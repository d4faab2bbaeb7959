import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as Semaphore from "../src/Semaphore.ts"
import { settle } from "./utils/fibers.ts"
import { defectOf } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

const ops = (sem: Semaphore.Semaphore) => Effect.map(Semaphore.blocked(sem), (bs) => bs.map((b) => b.op))

/** Go's `ctx, _ := context.WithTimeout(ctx, d); sem.Acquire(ctx, n) == nil` on the TestClock. */
const acquireWithin = (sem: Semaphore.Semaphore, n: number, millis: number) =>
  Effect.gen(function* () {
    const attempt = yield* Effect.forkChild(
      Semaphore.acquire(sem, n).pipe(Effect.timeoutOption(`${millis} millis`), Effect.orDie)
    )
    yield* settle
    yield* TestClock.adjust(`${millis} millis`)
    return Option.isSome(yield* Fiber.join(attempt))
  })

describe("Semaphore", () => {
  it.effect("Go's TestWeighted: weights 0..7 hammer a size-8 semaphore; never more than 8 held", () =>
    Effect.gen(function* () {
      const size = 8
      const sem = yield* Semaphore.make(size)
      let held = 0
      let maxHeld = 0
      const hammer = (n: number) =>
        Effect.repeat(
          Semaphore.withPermits(
            sem,
            n
          )(
            Effect.gen(function* () {
              held += n
              maxHeld = Math.max(maxHeld, held)
              const turns = yield* Random.nextIntBetween(0, 3)
              for (let i = 0; i < turns; i++) yield* Effect.yieldNow
              held -= n
            })
          ),
          { times: 149 }
        )
      yield* Effect.forEach(
        Array.from({ length: size }, (_, i) => i),
        hammer,
        { concurrency: "unbounded", discard: true }
      )
      expect(maxHeld).toBeLessThanOrEqual(size)
      expect(maxHeld).toBeGreaterThan(7) // the hammer did contend
      expect(yield* Semaphore.available(sem)).toBe(size)
      expect(yield* ops(sem)).toEqual([])
    })
  )

  it.effect("Go's TestWeightedPanic: releasing more than held is a defect with Go's message, changing nothing", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(1, { name: "db" })
      const defect = defectOf(yield* Effect.exit(Semaphore.release(sem, 1)))
      expect(defect).toBeInstanceOf(Semaphore.ReleasedMoreThanHeldError)
      expect((defect as Error).message).toBe("semaphore: released more than held")
      expect(defect).toMatchObject({ permits: 1, held: 0, semaphoreName: "db" })
      expect(yield* Semaphore.available(sem)).toBe(1)

      const big = yield* Semaphore.make(5)
      yield* Semaphore.acquire(big, 2)
      expect(defectOf(yield* Effect.exit(Semaphore.release(big, 3)))).toBeInstanceOf(
        Semaphore.ReleasedMoreThanHeldError
      )
      expect(yield* Semaphore.available(big)).toBe(3) // still 2 held
      yield* Semaphore.release(big, 2)
      expect(yield* Semaphore.available(big)).toBe(5)
    })
  )

  it.effect("Go's TestWeightedTryAcquire", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      const tries: Array<boolean> = []
      yield* Semaphore.acquire(sem, 1)
      tries.push(yield* Semaphore.tryAcquire(sem, 1))
      tries.push(yield* Semaphore.tryAcquire(sem, 1))
      yield* Semaphore.release(sem, 2)
      tries.push(yield* Semaphore.tryAcquire(sem, 1))
      yield* Semaphore.acquire(sem, 1)
      tries.push(yield* Semaphore.tryAcquire(sem, 1))
      expect(tries).toEqual([true, false, true, false])
      expect(yield* Semaphore.available(sem)).toBe(0)
    })
  )

  it.effect("Go's TestWeightedAcquire: acquire with a 10ms deadline", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      const tries: Array<boolean> = []
      yield* Semaphore.acquire(sem, 1)
      tries.push(yield* acquireWithin(sem, 1, 10))
      tries.push(yield* acquireWithin(sem, 1, 10))
      yield* Semaphore.release(sem, 2)
      tries.push(yield* acquireWithin(sem, 1, 10))
      yield* Semaphore.acquire(sem, 1)
      tries.push(yield* acquireWithin(sem, 1, 10))
      expect(tries).toEqual([true, false, true, false])
      // The timed-out attempts left the queue and took nothing.
      expect(yield* ops(sem)).toEqual([])
      expect(yield* Semaphore.available(sem)).toBe(0)
    })
  )

  it.effect("Go's TestWeightedDoesntBlockIfTooBig: a request above the size dies at once, blocking no one", () =>
    Effect.gen(function* () {
      const n = 2
      const sem = yield* Semaphore.make(n, { name: "pool" })
      const error = defectOf(yield* Effect.exit(Semaphore.acquire(sem, n + 1)))
      expect(error).toBeInstanceOf(Semaphore.PermitsExceedSizeError)
      expect(error).toMatchObject({ op: "acquire", permits: 3, size: 2, semaphoreName: "pool" })
      expect((error as Error).message).toBe("semaphore: acquire(3) can never succeed: the semaphore has 2 permit(s)")
      expect(yield* ops(sem)).toEqual([])
      let done = 0
      yield* Effect.forEach(
        Array.from({ length: n * 3 }),
        () =>
          Semaphore.withPermits(
            sem,
            1
          )(
            Effect.andThen(
              Effect.sleep("1 millis"),
              Effect.sync(() => done++)
            )
          ),
        { concurrency: "unbounded", discard: true }
      ).pipe(
        Effect.forkChild,
        Effect.tap(() => TestClock.adjust("3 millis")),
        Effect.flatMap(Fiber.join)
      )
      expect(done).toBe(6)
      // The same for tryAcquire and withPermits; the body never runs.
      expect(defectOf(yield* Effect.exit(Semaphore.tryAcquire(sem, 3)))).toMatchObject({
        _tag: "PermitsExceedSizeError",
        op: "tryAcquire",
        permits: 3,
        size: 2
      })
      let ran = false
      const w = defectOf(yield* Effect.exit(Semaphore.withPermits(sem, 3)(Effect.sync(() => (ran = true)))))
      expect(w).toMatchObject({ _tag: "PermitsExceedSizeError", op: "withPermits" })
      expect(ran).toBe(false)
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("Go's TestLargeAcquireDoesntStarve: a large request is served before small ones that keep cycling", () =>
    Effect.gen(function* () {
      const n = 4
      const sem = yield* Semaphore.make(n)
      let running = true
      let cycles = 0
      const small = Effect.gen(function* () {
        while (running) {
          yield* Effect.sleep("1 millis")
          yield* Semaphore.release(sem, 1)
          yield* Semaphore.acquire(sem, 1)
          cycles++
        }
        yield* Semaphore.release(sem, 1)
      })
      const smalls: Array<Fiber.Fiber<void, unknown>> = []
      for (let i = 0; i < n; i++) {
        yield* Semaphore.acquire(sem, 1)
        smalls.push(yield* Effect.forkChild(small))
      }
      const large = yield* Effect.forkChild(Semaphore.acquire(sem, n))
      yield* settle
      expect(yield* ops(sem)).toEqual([`acquire(${n})`])
      // Within one round every small holder releases once; each re-acquire
      // queues behind the large request, which then gets all four permits.
      yield* TestClock.adjust("1 millis")
      expect(large.pollUnsafe()).toBeDefined()
      expect(cycles).toBe(0)
      expect(yield* ops(sem)).toEqual(["acquire(1)", "acquire(1)", "acquire(1)", "acquire(1)"])
      running = false
      yield* Semaphore.release(sem, n)
      yield* Fiber.joinAll(smalls)
      expect(yield* Semaphore.available(sem)).toBe(n)
    })
  )

  it.effect("Go's TestAllocCancelDoesntStarve: cancelling the head wakes those behind it that fit", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(10)
      yield* Semaphore.acquire(sem, 1) // hold one "read lock"
      // A "write lock" request that gives up after 300ms.
      const writer = yield* Effect.forkChild(
        Semaphore.acquire(sem, 10).pipe(Effect.timeoutOption("300 millis"), Effect.orDie)
      )
      yield* TestClock.adjust("100 millis")
      // A "read lock": queued behind the writer, though it would fit.
      const reader = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.void))
      yield* settle
      expect(yield* ops(sem)).toEqual(["acquire(10)", "acquire(1)"])
      expect(reader.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("200 millis")
      expect(yield* Fiber.join(writer)).toEqual(Option.none())
      yield* Fiber.join(reader) // woken by the writer's cancellation
      expect(yield* ops(sem)).toEqual([])
      expect(yield* Semaphore.available(sem)).toBe(9)
    })
  )

  it.effect("Go's TestWeightedAcquireCanceled: an acquire cancelled before tokens free up takes nothing", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      yield* Semaphore.acquire(sem, 1)
      const big = yield* Effect.forkChild(Semaphore.acquire(sem, 2))
      // Synchronize with the acquire(2): tryAcquire fails once it waits.
      while (yield* Semaphore.tryAcquire(sem, 1)) {
        yield* Semaphore.release(sem, 1)
        yield* Effect.yieldNow
      }
      yield* Fiber.interrupt(big)
      yield* Semaphore.release(sem, 1)
      const exit = yield* Fiber.await(big)
      expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
      expect(yield* Semaphore.tryAcquire(sem, 2)).toBe(true)
      yield* Semaphore.release(sem, 2)
      // An acquire in an already-interrupted fiber does not take tokens even
      // when it would not need to block.
      const gone = yield* Effect.forkChild(Semaphore.acquire(sem, 1))
      yield* Fiber.interrupt(gone)
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("strict FIFO, no barging: later small requests wait behind an earlier large one", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(5, { name: "w" })
      yield* Semaphore.acquire(sem, 5)
      const order: Array<string> = []
      const request = (n: number, label: string) =>
        Effect.forkChild(
          Effect.andThen(
            Semaphore.acquire(sem, n),
            Effect.sync(() => order.push(label))
          )
        )
      const a = yield* request(4, "a4")
      yield* settle
      const b = yield* request(1, "b1")
      const c = yield* request(2, "c2")
      const d = yield* request(1, "d1")
      yield* settle
      const blocked = yield* Semaphore.blocked(sem)
      expect(blocked.map((x) => x.op)).toEqual(["acquire(4)", "acquire(1)", "acquire(2)", "acquire(1)"])
      expect(blocked.every((x) => x.primitive === "Semaphore" && x.name === "w")).toBe(true)
      // 3 free: b1 would fit but a4 is first.
      yield* Semaphore.release(sem, 3)
      expect(order).toEqual([])
      expect(yield* Semaphore.tryAcquire(sem, 1)).toBe(false) // no barging for tryAcquire either
      yield* Semaphore.release(sem, 1)
      expect(order).toEqual(["a4"]) // 4 free: a4 only; 0 left
      yield* Semaphore.release(sem, 2) // 2 free: b1, then c2 does not fit
      expect(order).toEqual(["a4", "b1"])
      yield* Semaphore.release(sem, 1) // 2 free: c2 then d1 does not fit
      expect(order).toEqual(["a4", "b1", "c2"])
      yield* Semaphore.release(sem, 1)
      expect(order).toEqual(["a4", "b1", "c2", "d1"])
      yield* Fiber.joinAll([a, b, c, d])
      expect(yield* Semaphore.available(sem)).toBe(0)
      yield* Semaphore.release(sem, 5)
      expect(yield* Semaphore.available(sem)).toBe(5)
    })
  )

  it.effect("one release wakes every head waiter that fits, in order, and stops at the first that does not", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(10)
      yield* Semaphore.acquire(sem, 10)
      const order: Array<number> = []
      const fibers = yield* Effect.forEach([2, 3, 1, 5, 1], (n, i) =>
        Effect.forkChild(
          Effect.andThen(
            Semaphore.acquire(sem, n),
            Effect.sync(() => order.push(i))
          )
        )
      )
      yield* settle
      yield* Semaphore.release(sem, 7)
      expect(order).toEqual([0, 1, 2]) // 2+3+1 = 6; 5 does not fit the 1 left; the last 1 waits behind it
      expect(yield* ops(sem)).toEqual(["acquire(5)", "acquire(1)"])
      yield* Semaphore.release(sem, 10 - 7 + 2 + 3 + 1)
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([0, 1, 2, 3, 4])
      expect(yield* Semaphore.available(sem)).toBe(4)
    })
  )

  it.effect("acquire(0), tryAcquire(0) and withPermits(0) succeed at once, even when full with waiters", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(1)
      yield* Semaphore.acquire(sem, 1)
      const waiter = yield* Effect.forkChild(Semaphore.acquire(sem, 1))
      yield* settle
      yield* Semaphore.acquire(sem, 0)
      expect(yield* Semaphore.tryAcquire(sem, 0)).toBe(true)
      expect(yield* Semaphore.withPermits(sem, 0)(Effect.succeed("ran"))).toBe("ran")
      yield* Semaphore.release(sem, 0)
      expect(yield* ops(sem)).toEqual(["acquire(1)"])
      expect(yield* Semaphore.available(sem)).toBe(0)
      yield* Semaphore.release(sem, 1)
      yield* Fiber.join(waiter)
      // A size-0 semaphore: only 0 permits can ever be had.
      const zero = yield* Semaphore.make(0)
      yield* Semaphore.acquire(zero, 0)
      expect(defectOf(yield* Effect.exit(Semaphore.acquire(zero, 1)))).toBeInstanceOf(Semaphore.PermitsExceedSizeError)
    })
  )

  it.effect("bad input through a cast: a count that is no number dies showing it as given, with its type", () =>
    Effect.gen(function* () {
      const any = (u: unknown): any => u
      const e = defectOf(yield* Effect.exit(Semaphore.make(any("3")))) as Semaphore.InvalidPermitsError
      expect(e).toMatchObject({ _tag: "InvalidPermitsError", op: "make", permits: "3" })
      expect(e.message).toBe('semaphore: make("3"): the permit count must be a non-negative safe integer, not a string')
      expect(() => Semaphore.makeUnsafe(any("3"))).toThrow('make("3")')
      const sem = yield* Semaphore.make(2)
      let ran = false
      // [given, as shown in the operation, its type]
      const cases: ReadonlyArray<readonly [unknown, string, string]> = [
        ["1", '"1"', "a string"],
        [undefined, "undefined", "undefined"],
        [null, "null", "null"],
        [1n, "1n", "a bigint"],
        [[1], "an array of length 1", "an array"]
      ]
      for (const [bad, shown, type] of cases) {
        const errors = [
          yield* Effect.exit(Semaphore.acquire(sem, any(bad))),
          yield* Effect.exit(Semaphore.tryAcquire(sem, any(bad))),
          yield* Effect.exit(Semaphore.release(sem, any(bad))),
          yield* Effect.exit(Semaphore.withPermits(sem, any(bad))(Effect.sync(() => (ran = true))))
        ].map((exit) => defectOf(exit) as Semaphore.InvalidPermitsError)
        expect(errors.map((e) => e._tag)).toEqual(Array(4).fill("InvalidPermitsError"))
        expect(errors.map((e) => e.message)).toEqual(
          ["acquire", "tryAcquire", "release", "withPermits"].map(
            (op) => `semaphore: ${op}(${shown}): the permit count must be a non-negative safe integer, not ${type}`
          )
        )
      }
      expect(ran).toBe(false)
      expect(yield* Semaphore.available(sem)).toBe(2) // nothing taken or given back
      expect(yield* Semaphore.blocked(sem)).toEqual([])
    })
  )

  it.effect("withPermits of something that is not an Effect is a defect that takes no permit", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      const exit = yield* Effect.exit(Semaphore.withPermits(sem, 1)(5 as unknown as Effect.Effect<void>))
      const defect = defectOf(exit)
      expect(defect).toMatchObject({ _tag: "InvalidArgumentError" })
      expect((defect as Error).message).toBe("Semaphore.withPermits: expected an Effect, got the number 5")
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("bad input: negative, fractional, NaN or infinite counts are defects (InvalidPermitsError)", () =>
    Effect.gen(function* () {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -0.5, 2 ** 53]) {
        const e = defectOf(yield* Effect.exit(Semaphore.make(bad)))
        expect(e).toBeInstanceOf(Semaphore.InvalidPermitsError)
        expect(e).toMatchObject({ op: "make", permits: bad })
        expect(() => Semaphore.makeUnsafe(bad)).toThrow(Semaphore.InvalidPermitsError)
      }
      const sem = yield* Semaphore.make(3)
      yield* Semaphore.acquire(sem, 1)
      let ran = false
      for (const bad of [-1, 0.5, Number.NaN, Number.NEGATIVE_INFINITY]) {
        expect(defectOf(yield* Effect.exit(Semaphore.acquire(sem, bad)))).toMatchObject({
          _tag: "InvalidPermitsError",
          op: "acquire",
          permits: bad
        })
        expect(defectOf(yield* Effect.exit(Semaphore.tryAcquire(sem, bad)))).toMatchObject({
          _tag: "InvalidPermitsError",
          op: "tryAcquire",
          permits: bad
        })
        expect(defectOf(yield* Effect.exit(Semaphore.release(sem, bad)))).toMatchObject({
          _tag: "InvalidPermitsError",
          op: "release",
          permits: bad
        })
        expect(
          defectOf(yield* Effect.exit(Semaphore.withPermits(sem, bad)(Effect.sync(() => (ran = true)))))
        ).toMatchObject({
          _tag: "InvalidPermitsError",
          op: "withPermits",
          permits: bad
        })
      }
      // Reported inside the Effect, at the call: building the effect throws nothing.
      expect(() => Semaphore.acquire(sem, -1)).not.toThrow()
      expect(() => Semaphore.make(-1)).not.toThrow()
      expect(ran).toBe(false)
      expect(yield* Semaphore.available(sem)).toBe(2) // nothing taken or given back
      expect(new Semaphore.InvalidPermitsError({ op: "acquire", permits: -1 }).message).toBe(
        "semaphore: acquire(-1): the permit count must be a non-negative safe integer"
      )
      // Data-last forms.
      yield* Semaphore.release(1)(sem)
      yield* Semaphore.acquire(2)(sem)
      expect(yield* Semaphore.tryAcquire(1)(sem)).toBe(true)
      expect(yield* Semaphore.available(sem)).toBe(0)
    })
  )

  it.effect("withPermits releases on success, failure, defect and interruption", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(3)
      expect(yield* Semaphore.withPermits(sem, 2)(Effect.succeed(1))).toBe(1)
      expect(yield* Semaphore.available(sem)).toBe(3)
      expect(yield* Effect.flip(Semaphore.withPermits(Effect.fail("e"), sem, 3))).toBe("e")
      expect(yield* Semaphore.available(sem)).toBe(3)
      expect(defectOf(yield* Effect.exit(Effect.die("d").pipe(Semaphore.withPermits(sem, 1))))).toBe("d")
      expect(yield* Semaphore.available(sem)).toBe(3)
      const inside = yield* Effect.forkChild(Semaphore.withPermits(sem, 2)(Effect.never))
      yield* settle
      expect(yield* Semaphore.available(sem)).toBe(1)
      yield* Fiber.interrupt(inside)
      expect(yield* Semaphore.available(sem)).toBe(3)
    })
  )

  it.effect("withPermits interrupted while waiting releases nothing and leaves the queue", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      yield* Semaphore.acquire(sem, 2)
      let ran = false
      const waiting = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.sync(() => (ran = true))))
      yield* settle
      expect(yield* ops(sem)).toEqual(["acquire(1)"])
      yield* Fiber.interrupt(waiting)
      expect(yield* ops(sem)).toEqual([])
      expect(ran).toBe(false)
      expect(yield* Semaphore.available(sem)).toBe(0) // still ours, not given back by the interrupted one
      yield* Semaphore.release(sem, 2)
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("interrupting a waiter in the middle leaves the others queued, in order", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(3)
      yield* Semaphore.acquire(sem, 3)
      const order: Array<number> = []
      const fibers = yield* Effect.forEach([3, 1, 2], (n, i) =>
        Effect.forkChild(Semaphore.withPermits(sem, n)(Effect.sync(() => order.push(i))))
      )
      yield* settle
      yield* Fiber.interrupt(fibers[1]!)
      expect(yield* ops(sem)).toEqual(["acquire(3)", "acquire(2)"])
      yield* Semaphore.release(sem, 3)
      yield* Effect.forEach(fibers, Fiber.await)
      expect(order).toEqual([0, 2])
      expect(yield* ops(sem)).toEqual([])
      expect(yield* Semaphore.available(sem)).toBe(3)
    })
  )

  it.effect("a woken waiter that interrupts the next waiter during the same release loses no permit", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      yield* Semaphore.acquire(sem, 2)
      const victim = yield* Deferred.make<Fiber.Fiber<void, unknown>>()
      const first = yield* Effect.forkChild(
        Effect.gen(function* () {
          yield* Semaphore.acquire(sem, 1)
          // Runs synchronously inside the release below, before the loop
          // looks at the next waiter.
          yield* Fiber.interrupt(yield* Deferred.await(victim))
          yield* Semaphore.release(sem, 1)
        })
      )
      yield* settle
      const second = yield* Effect.forkChild(Semaphore.acquire(sem, 1))
      yield* Deferred.succeed(victim, second)
      yield* settle
      expect(yield* ops(sem)).toEqual(["acquire(1)", "acquire(1)"])
      yield* Semaphore.release(sem, 2)
      yield* Fiber.join(first)
      expect(Exit.hasInterrupts(yield* Fiber.await(second))).toBe(true)
      expect(yield* ops(sem)).toEqual([])
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("a long chain of hand-offs does not overflow the stack", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(1)
      yield* Semaphore.acquire(sem, 1)
      let done = 0
      const fibers = yield* Effect.forEach(Array.from({ length: 20_000 }), () =>
        Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.sync(() => done++)))
      )
      yield* settle
      yield* Semaphore.release(sem, 1)
      yield* Fiber.joinAll(fibers)
      expect(done).toBe(20_000)
      expect(yield* Semaphore.available(sem)).toBe(1)
    })
  )

  it.effect.prop(
    "random sizes and random cancellations: grants follow arrival order, no permit leaks, no waiter is left",
    [
      Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 6 })),
      Schema.Array(
        Schema.Struct({
          n: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 6 })),
          cancel: Schema.Boolean
        })
      )
    ],
    ([size, requests]) =>
      Effect.gen(function* () {
        const sem = yield* Semaphore.make(size)
        yield* Semaphore.acquire(sem, size)
        const order: Array<number> = []
        const fibers = yield* Effect.forEach(requests, ({ n }, i) =>
          Effect.forkChild(
            Semaphore.withPermits(
              sem,
              Math.min(n, size)
            )(
              Effect.andThen(
                Effect.sync(() => order.push(i)),
                Effect.yieldNow
              )
            )
          )
        )
        yield* settle
        yield* Effect.forEach(fibers, (f, i) => (requests[i]!.cancel ? Fiber.interrupt(f) : Effect.void))
        expect(yield* Semaphore.available(sem)).toBe(0)
        yield* Semaphore.release(sem, size)
        yield* Effect.forEach(fibers, Fiber.await)
        // Zero-permit requests ran at once, ahead of the queue; the rest in arrival order.
        const zero = (i: number) => Math.min(requests[i]!.n, size) === 0
        const kept = requests.flatMap((r, i) => (r.cancel ? [] : [i]))
        expect(order.filter((i) => !zero(i))).toEqual(kept.filter((i) => !zero(i)))
        expect(order.filter(zero)).toEqual(requests.flatMap((_, i) => (zero(i) ? [i] : [])))
        expect(yield* Semaphore.available(sem)).toBe(size)
        expect(yield* ops(sem)).toEqual([])
      }),
    { arbitrary: { size: 30 } }
  )

  it.effect.prop(
    "matches a model of Go's algorithm under a random schedule of acquire, finish, interrupt, tryAcquire, release",
    [
      Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })),
      Schema.Array(
        Schema.Struct({
          kind: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 6 })),
          a: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 5 })),
          b: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 3 }))
        })
      ).check(Schema.isMaxLength(40))
    ],
    ([size, steps]) =>
      Effect.gen(function* () {
        const sem = yield* Semaphore.make(size)
        // The model: Go's Weighted, with acquire(0) served at once.
        const model = { cur: 0, queue: [] as Array<number>, holding: new Set<number>(), external: 0 }
        const want: Array<number> = []
        const modelNotify = () => {
          while (model.queue.length > 0 && size - model.cur >= want[model.queue[0]!]!) {
            const id = model.queue.shift()!
            model.cur += want[id]!
            model.holding.add(id)
          }
        }
        // The real thing.
        const actual = new Set<number>()
        const gates: Array<Deferred.Deferred<void>> = []
        const fibers: Array<Fiber.Fiber<unknown, unknown>> = []

        for (const { kind, a, b } of steps) {
          if (kind <= 1) {
            // acquire(n) in a new fiber that holds the permits until told to finish
            const id = fibers.length
            const n = a % (size + 1)
            want.push(n)
            const gate = yield* Deferred.make<void>()
            gates.push(gate)
            fibers.push(
              yield* Effect.forkChild(
                Semaphore.withPermits(
                  sem,
                  n
                )(
                  Effect.andThen(
                    Effect.sync(() => actual.add(id)),
                    Deferred.await(gate)
                  )
                ).pipe(Effect.ensuring(Effect.sync(() => actual.delete(id))))
              )
            )
            if (n === 0 || (model.queue.length === 0 && size - model.cur >= n)) {
              model.cur += n
              model.holding.add(id)
            } else model.queue.push(id)
          } else if (kind <= 4) {
            // 2: a holder finishes; 3: a queued waiter is interrupted; 4: a holder is interrupted
            const candidates = kind === 3 ? model.queue : [...model.holding].sort((x, y) => x - y)
            if (candidates.length === 0) continue
            const id = candidates[b % candidates.length]!
            if (kind === 2) yield* Deferred.succeed(gates[id]!, undefined)
            else yield* Fiber.interrupt(fibers[id]!)
            if (model.holding.delete(id)) model.cur -= want[id]!
            else model.queue.splice(model.queue.indexOf(id), 1)
            modelNotify()
          } else if (kind === 5) {
            const n = a % (size + 1)
            const expected = n === 0 || (model.queue.length === 0 && size - model.cur >= n)
            expect(yield* Semaphore.tryAcquire(sem, n)).toBe(expected)
            if (expected) {
              model.cur += n
              model.external += n
            }
          } else {
            const n = Math.min(a, model.external)
            yield* Semaphore.release(sem, n)
            model.cur -= n
            model.external -= n
            modelNotify()
          }
          yield* settle
          expect([...actual].sort((x, y) => x - y)).toEqual([...model.holding].sort((x, y) => x - y))
          expect(yield* Semaphore.available(sem)).toBe(size - model.cur)
          expect(yield* ops(sem)).toEqual(model.queue.map((id) => `acquire(${want[id]})`))
        }
        // Wind down: everything still running is interrupted; nothing leaks.
        yield* Fiber.interruptAll(fibers)
        yield* Semaphore.release(sem, model.external)
        expect(yield* Semaphore.available(sem)).toBe(size)
        expect(yield* ops(sem)).toEqual([])
      }),
    { arbitrary: { size: 40, runs: 200 } }
  )
})

describe("Semaphore: signatures and values", () => {
  it.effect("types: no operation has a typed error; withPermits keeps the effect's own A, E and R", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
      expectTypeOf(Semaphore.make(2)).toEqualTypeOf<Effect.Effect<Semaphore.Semaphore>>()
      expectTypeOf(Semaphore.make(2, { name: "db" })).toEqualTypeOf<Effect.Effect<Semaphore.Semaphore>>()
      expectTypeOf(Semaphore.makeUnsafe(2)).toEqualTypeOf<Semaphore.Semaphore>()
      expectTypeOf(Semaphore.acquire(sem, 1)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Semaphore.acquire(1)).toEqualTypeOf<<E>(self: Semaphore.Semaphore<E>) => Effect.Effect<void, E>>()
      expectTypeOf(Semaphore.tryAcquire(sem, 1)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(Semaphore.tryAcquire(1)).toEqualTypeOf<<E>(self: Semaphore.Semaphore<E>) => Effect.Effect<boolean, E>>()
      expectTypeOf(Semaphore.release(sem, 1)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Semaphore.release(1)).toEqualTypeOf<<E>(self: Semaphore.Semaphore<E>) => Effect.Effect<void, E>>()
      expectTypeOf(Semaphore.withPermits(sem, 1)(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(Semaphore.withPermits(typed, sem, 1)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(typed.pipe(Semaphore.withPermits(sem, 1))).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(Semaphore.withPermits(sem, 1)(Effect.void)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Semaphore.available(sem)).toEqualTypeOf<Effect.Effect<number>>()
    })
  )

  it.effect("a Semaphore is Inspectable: toJSON shows its observable state, String and inspect format it", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(3, { name: "db" })
      expect(sem.toJSON()).toEqual({ _id: "Semaphore", name: "db", size: 3, available: 3, waiters: 0 })
      yield* Semaphore.acquire(sem, 2)
      const waiters = yield* Effect.forEach([2, 1], (n) => Effect.forkChild(Semaphore.acquire(sem, n)))
      yield* settle
      // Counts only: no waiter nodes, fibers or lists.
      expect(sem.toJSON()).toEqual({ _id: "Semaphore", name: "db", size: 3, available: 1, waiters: 2 })
      expect(String(sem)).toBe('{"_id":"Semaphore","name":"db","size":3,"available":1,"waiters":2}')
      expect(inspect(sem)).toBe("{ _id: 'Semaphore', name: 'db', size: 3, available: 1, waiters: 2 }")
      yield* Semaphore.release(sem, 2)
      yield* Fiber.joinAll(waiters)
      expect(sem.toJSON()).toMatchObject({ available: 0, waiters: 0 })
      yield* Semaphore.release(sem, 3)
      expect((yield* Semaphore.make(0)).toJSON()).toEqual({
        _id: "Semaphore",
        name: undefined,
        size: 0,
        available: 0,
        waiters: 0
      })
    })
  )

  it.effect("a Semaphore is Pipeable", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2)
      yield* sem.pipe(Semaphore.acquire(2))
      expect(yield* sem.pipe(Semaphore.available)).toBe(0)
      expect(yield* sem.pipe(Semaphore.tryAcquire(1))).toBe(false)
      yield* sem.pipe(Semaphore.release(2), Effect.andThen(Semaphore.available(sem)))
      expect(sem.pipe((s) => s.size)).toBe(2)
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )
})

/**
 * Lost wake-ups: Effect's run loop may yield before evaluating any effect once
 * a fiber's op budget (`MaxOpsBeforeYield`) is spent, which can fall between
 * `acquire`'s check and its parking. Every budget from 3 to 40 (1 and 2
 * livelock Effect itself) puts that yield at every point of the operations; a
 * lost wake-up hangs, and the timeout turns the hang into a failure.
 */
describe("Semaphore: no lost wake-ups under any op budget", () => {
  it.live("4 fibers acquire and release 1 or 2 of 2 permits, plain and withPermits", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const sem = yield* Semaphore.make(2)
        let held = 0
        let maxHeld = 0
        const inside = (n: number) =>
          Effect.sync(() => {
            held += n
            maxHeld = Math.max(maxHeld, held)
            held -= n
          })
        const plain = (n: number) =>
          Effect.andThen(Semaphore.acquire(sem, n), Effect.andThen(inside(n), Semaphore.release(sem, n)))
        const fibers = yield* Effect.forEach([1, 2, 1, 2], (n) =>
          Effect.forkChild(loop(100, Effect.andThen(plain(n), Semaphore.withPermits(sem, n)(inside(n)))))
        )
        yield* Fiber.joinAll(fibers)
        expect(maxHeld).toBeLessThanOrEqual(2)
        expect(yield* Semaphore.available(sem)).toBe(2)
        expect(yield* Semaphore.blocked(sem)).toEqual([])
      }).pipe(Effect.orDie)
    )
  )

  // A grant and an interruption can meet: Effect may yield right after the
  // step that took the permits (the fast path, or the re-check at parking)
  // or before a woken waiter's next step, and an interruption delivered
  // during that yield must not keep the permits.
  it.live("withPermits interrupted right after taking its permits at once holds nothing (default budget)", () =>
    Effect.gen(function* () {
      // Each fiber first spends a different number of steps, so that the
      // budget runs out at a different point of the withPermits loop.
      for (let shift = 0; shift < 64; shift++) {
        const sem = yield* Semaphore.make(1)
        const fiber = yield* Effect.forkChild(
          Effect.andThen(
            loop(shift, Effect.void),
            Effect.forever(Semaphore.withPermits(sem, 1)(Effect.void), { disableYield: true })
          )
        )
        yield* Effect.yieldNow // the fiber runs until its budget is spent, then yields
        yield* Fiber.interrupt(fiber)
        expect({ shift, available: yield* Semaphore.available(sem) }).toEqual({ shift, available: 1 })
      }
    }).pipe(Effect.orDie)
  )

  it.live("withPermits interrupted while it is granted holds nothing (every op budget)", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const sem = yield* Semaphore.make(1)
        const holders = yield* Effect.forEach([1, 2], () =>
          Effect.forkChild(loop(100, Semaphore.withPermits(sem, 1)(Effect.yieldNow)))
        )
        for (let i = 0; i < 100; i++) {
          const victim = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.yieldNow))
          yield* loop(i % 7, Effect.yieldNow)
          yield* Fiber.interrupt(victim)
        }
        yield* Fiber.joinAll(holders)
        expect(yield* Semaphore.available(sem)).toBe(1)
        expect(yield* Semaphore.blocked(sem)).toEqual([])
      }).pipe(Effect.orDie)
    )
  )
})

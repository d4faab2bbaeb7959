import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as Mutex from "../src/Mutex.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

describe("Mutex", () => {
  it.effect("excludes: 10 fibers × 1000 increments under the lock (Go's HammerMutex)", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      let counter = 0
      let inside = 0
      let overlap = false
      const critical = Effect.gen(function* () {
        inside++
        if (inside > 1) overlap = true
        const before = counter
        yield* Effect.yieldNow
        counter = before + 1
        inside--
      })
      yield* Effect.forEach(
        Array.from({ length: 10 }),
        () => Effect.repeat(Mutex.withLock(mu)(critical), { times: 99 }),
        { concurrency: "unbounded", discard: true }
      )
      expect(counter).toBe(1000)
      expect(overlap).toBe(false)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("hands the lock to waiters in FIFO order", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const order: Array<number> = []
      const fibers = yield* Effect.forEach([1, 2, 3, 4], (i) =>
        Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(i))))
      )
      yield* settle
      expect((yield* Mutex.blocked(mu)).map((b) => b.op)).toEqual(["lock", "lock", "lock", "lock"])
      yield* Mutex.unlock(mu)
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([1, 2, 3, 4])
    })
  )

  it.effect("tryLock takes a free lock even while fibers wait, as Go's TryLock does (normal mode)", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      expect(yield* Mutex.tryLock(mu)).toBe(false)
      const waiter = yield* Effect.forkChild(Mutex.lock(mu))
      yield* settle
      yield* Mutex.unlock(mu)
      // The waiter's turn comes when this fiber stops running; until then the
      // lock is free for the taking.
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      yield* settle
      // Its turn came while the lock was held: it is still first in line.
      expect((yield* Mutex.blocked(mu)).map((b) => b.fiberId)).toEqual([waiter.id])
      yield* Mutex.unlock(mu)
      yield* Fiber.join(waiter)
      expect(yield* Mutex.isLocked(mu)).toBe(true)
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      yield* Mutex.unlock(mu)
    })
  )

  it.effect("a running fiber can lock again after unlocking (barging); a waiter that lost keeps its place", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const order: Array<number> = []
      const w1 = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(1))))
      yield* settle
      yield* TestClock.adjust("100 micros")
      const w2 = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(2))))
      yield* settle
      const before = yield* Mutex.blocked(mu)
      for (let i = 0; i < 3; i++) {
        yield* Mutex.unlock(mu)
        yield* Mutex.lock(mu) // no park in between: we take it back
        yield* settle // w1 has its turn, finds the lock held, and waits again
      }
      expect(order).toEqual([])
      // Same fibers, same order, and w1 still counts its wait from its first park.
      expect(yield* Mutex.blocked(mu)).toEqual(before)
      yield* Mutex.unlock(mu)
      yield* Fiber.joinAll([w1, w2])
      expect(order).toEqual([1, 2])
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("a waiter that waited 1 ms starts starvation mode: the lock is handed over, nobody barges (Go)", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const gate = yield* Deferred.make<void>()
      const order: Array<number> = []
      const w1 = yield* Effect.forkChild(
        Mutex.withLock(mu)(
          Effect.andThen(
            Effect.sync(() => order.push(1)),
            Deferred.await(gate)
          )
        )
      )
      yield* settle
      yield* TestClock.adjust("1 millis")
      const w2 = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(2))))
      yield* settle
      yield* Mutex.unlock(mu)
      yield* Mutex.lock(mu) // barges once more…
      yield* settle // …and w1, having waited 1 ms, switches the mutex to starvation mode
      expect(order).toEqual([])
      yield* Mutex.unlock(mu)
      // Handed straight to w1: it runs before unlock returns, and the lock
      // never was free, so this fiber cannot take it back.
      expect(order).toEqual([1])
      expect(yield* Mutex.tryLock(mu)).toBe(false)
      const late = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(3))))
      yield* settle
      expect((yield* Mutex.blocked(mu)).map((b) => b.fiberId)).toEqual([w2.id, late.id])
      // w1 unlocks: handed to w2, which waited less than 1 ms, so the mutex
      // goes back to normal mode; late then gets its turn as usual.
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll([w1, w2, late])
      expect(order).toEqual([1, 2, 3])
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      yield* Mutex.unlock(mu)
      expect((yield* Mutex.blocked(mu)).length).toBe(0)
    })
  )

  it.effect("a fiber that keeps re-locking cannot starve a waiter for more than 1 ms", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      // Holds the lock across every yield and re-locks at once after each unlock.
      const barger = yield* Effect.forkChild(
        Effect.forever(Mutex.withLock(mu)(Effect.yieldNow), { disableYield: true })
      )
      yield* settle
      let done = false
      const waiter = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => (done = true))))
      for (let i = 0; i < 20; i++) yield* settle
      expect(done).toBe(false) // normal mode: the running fiber keeps winning
      yield* TestClock.adjust("1 millis")
      for (let i = 0; i < 3; i++) yield* settle
      expect(done).toBe(true)
      yield* Fiber.join(waiter)
      yield* Fiber.interrupt(barger)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      expect((yield* Mutex.blocked(mu)).length).toBe(0)
    })
  )

  it.effect("a waiter interrupted before its turn came passes the turn on", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const w1 = yield* Effect.forkChild(Mutex.lock(mu))
      const w2 = yield* Effect.forkChild(Mutex.lock(mu))
      yield* settle
      yield* Mutex.unlock(mu) // w1's turn is due, not taken yet
      yield* Fiber.interrupt(w1)
      yield* Fiber.join(w2)
      expect(yield* Mutex.isLocked(mu)).toBe(true) // w2 holds it
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      expect((yield* Mutex.blocked(mu)).length).toBe(0)
    })
  )

  it.effect("a waiter interrupted while the lock is handed to it (starvation mode) passes the lock on", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const w1 = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.void))
      yield* settle
      yield* TestClock.adjust("2 millis")
      let got = false
      const w2 = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => (got = true))))
      yield* settle
      yield* Mutex.unlock(mu)
      yield* Mutex.lock(mu)
      yield* settle // starvation mode
      yield* Fiber.interrupt(w1)
      expect((yield* Mutex.blocked(mu)).map((b) => b.fiberId)).toEqual([w2.id])
      yield* Mutex.unlock(mu) // straight to w2
      expect(got).toBe(true)
      yield* Fiber.join(w2)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("unlocking an unlocked mutex is a defect with Go's message", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "db" })
      const exit = yield* Effect.exit(Mutex.unlock(mu))
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(defect).toBeInstanceOf(Mutex.UnlockOfUnlockedMutexError)
      expect((defect as Error).message).toBe("sync: unlock of unlocked mutex")
      expect((defect as Mutex.UnlockOfUnlockedMutexError).mutexName).toBe("db")
    })
  )

  it.effect("withLock of something that is not an Effect is a defect that leaves the mutex unlocked", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      const exit = yield* Effect.exit(Mutex.withLock(mu)(42 as unknown as Effect.Effect<void>))
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(defect).toMatchObject({ _tag: "InvalidArgumentError" })
      expect((defect as Error).message).toBe("Mutex.withLock: expected an Effect, got the number 42")
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      // Held by someone else, it is refused before waiting, not after.
      yield* Mutex.lock(mu)
      const held = yield* Effect.exit(Mutex.withLock(mu)(undefined as unknown as Effect.Effect<void>))
      expect(Exit.isFailure(held) && Cause.hasDies(held.cause)).toBe(true)
      expect(yield* Mutex.blocked(mu)).toEqual([])
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("an interrupted lock leaves the queue and holds nothing", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const a = yield* Effect.forkChild(Mutex.lock(mu))
      const b = yield* Effect.forkChild(Mutex.lock(mu))
      yield* settle
      expect((yield* Mutex.blocked(mu)).length).toBe(2)
      yield* Fiber.interrupt(a)
      expect((yield* Mutex.blocked(mu)).length).toBe(1)
      yield* Mutex.unlock(mu)
      yield* Fiber.join(b) // b got it, not the interrupted a
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      expect((yield* Mutex.blocked(mu)).length).toBe(0)
    })
  )

  it.effect("withLock releases on success, failure, defect and interruption", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      expect(yield* Mutex.withLock(mu)(Effect.succeed(1))).toBe(1)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      expect(yield* Effect.flip(Mutex.withLock(mu)(Effect.fail("e")))).toBe("e")
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      const died = yield* Effect.exit(Mutex.withLock(mu)(Effect.die("d")))
      expect(Exit.isFailure(died)).toBe(true)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
      const inside = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.never))
      yield* settle
      expect(yield* Mutex.isLocked(mu)).toBe(true)
      yield* Fiber.interrupt(inside)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("withLock interrupted while waiting does not unlock someone else's lock", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      const waiting = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.void))
      yield* settle
      yield* Fiber.interrupt(waiting)
      // Still held by us: the interrupted withLock never had it.
      expect(yield* Mutex.isLocked(mu)).toBe(true)
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("a long chain of hand-offs does not overflow the stack", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* Mutex.lock(mu)
      let done = 0
      const fibers = yield* Effect.forEach(Array.from({ length: 20_000 }), () =>
        Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => done++)))
      )
      yield* settle
      yield* Mutex.unlock(mu)
      yield* Fiber.joinAll(fibers)
      expect(done).toBe(20_000)
    })
  )

  it.effect.prop(
    "interrupting any subset of waiters: the rest get the lock in order, nothing leaks",
    [Schema.Array(Schema.Boolean)],
    ([interruptMask]) =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make()
        yield* Mutex.lock(mu)
        const order: Array<number> = []
        const fibers = yield* Effect.forEach(interruptMask, (_, i) =>
          Effect.forkChild(Mutex.withLock(mu)(Effect.sync(() => order.push(i))))
        )
        yield* settle
        yield* Effect.forEach(fibers, (f, i) => (interruptMask[i] ? Fiber.interrupt(f) : Effect.void))
        yield* Mutex.unlock(mu)
        yield* Effect.forEach(fibers, Fiber.await)
        expect(order).toEqual(interruptMask.flatMap((interrupted, i) => (interrupted ? [] : [i])))
        expect(yield* Mutex.isLocked(mu)).toBe(false)
        expect((yield* Mutex.blocked(mu)).length).toBe(0)
      })
  )
})

describe("Mutex: signatures and values", () => {
  it.effect("types: no operation has a typed error; withLock keeps the effect's own A, E and R", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
      expectTypeOf(Mutex.make()).toEqualTypeOf<Effect.Effect<Mutex.Mutex>>()
      expectTypeOf(Mutex.make({ name: "db" })).toEqualTypeOf<Effect.Effect<Mutex.Mutex>>()
      expectTypeOf(Mutex.makeUnsafe()).toEqualTypeOf<Mutex.Mutex>()
      expectTypeOf(Mutex.lock(mu)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Mutex.unlock(mu)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Mutex.tryLock(mu)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(Mutex.withLock(mu)(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(Mutex.withLock(typed, mu)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(typed.pipe(Mutex.withLock(mu))).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(Mutex.isLocked(mu)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(Mutex.isMutex).guards.toEqualTypeOf<Mutex.Mutex<unknown>>()
    })
  )

  it.effect("a Mutex is Inspectable: toJSON shows locked and the waiter count, String and inspect format it", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "db" })
      expect(mu.toJSON()).toEqual({ _id: "Mutex", name: "db", locked: false, waiters: 0 })
      yield* Mutex.lock(mu)
      const waiters = yield* Effect.forEach([1, 2], () => Effect.forkChild(Mutex.withLock(mu)(Effect.void)))
      yield* settle
      expect(mu.toJSON()).toEqual({ _id: "Mutex", name: "db", locked: true, waiters: 2 })
      expect(String(mu)).toBe('{"_id":"Mutex","name":"db","locked":true,"waiters":2}')
      expect(inspect(mu)).toBe("{ _id: 'Mutex', name: 'db', locked: true, waiters: 2 }")
      yield* Mutex.unlock(mu)
      // The head's turn has come but it has not run yet: it still waits.
      expect(mu.toJSON()).toEqual({ _id: "Mutex", name: "db", locked: false, waiters: 2 })
      yield* Fiber.joinAll(waiters)
      expect(mu.toJSON()).toEqual({ _id: "Mutex", name: "db", locked: false, waiters: 0 })
      expect(Mutex.makeUnsafe().toJSON()).toEqual({ _id: "Mutex", name: undefined, locked: false, waiters: 0 })
    })
  )

  it.effect("a Mutex is Pipeable", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* mu.pipe(Mutex.lock)
      expect(yield* mu.pipe(Mutex.tryLock)).toBe(false)
      yield* mu.pipe(Mutex.unlock)
      expect(yield* mu.pipe(Mutex.isLocked)).toBe(false)
      expect(mu.pipe(Mutex.isMutex)).toBe(true)
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
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

  it.effect("tryLock succeeds when free, fails when held, and cannot barge past waiters", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      expect(yield* Mutex.tryLock(mu)).toBe(false)
      const waiter = yield* Effect.forkChild(Mutex.lock(mu))
      yield* settle
      yield* Mutex.unlock(mu)
      // The lock went straight to the waiter: still held, tryLock fails.
      expect(yield* Mutex.tryLock(mu)).toBe(false)
      yield* Fiber.join(waiter)
      yield* Mutex.unlock(mu)
      expect(yield* Mutex.tryLock(mu)).toBe(true)
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

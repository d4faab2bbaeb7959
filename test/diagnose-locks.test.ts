/**
 * RWMutex, Semaphore and Cond as the blocked-fiber dump and the deadlock
 * detector see them (internal API: `diagnose`, `snapshot`, `stuckAmong`):
 * who waits and for what, who holds, and which shapes are provably stuck.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as Scheduler from "effect/Scheduler"
import * as TestClock from "effect/testing/TestClock"
import * as Cond from "../src/Cond.ts"
import { snapshot, stuckAmong } from "../src/internal/analysis.ts"
import * as Mutex from "../src/Mutex.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Semaphore from "../src/Semaphore.ts"
import { budgets, loop, underEveryBudget } from "./utils/budgets.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"
import { diagnosis, holders, ids, parkedOn, stuck, wakers } from "./utils/diagnosis.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

type AnyFiber = Fiber.Fiber<unknown, unknown>

describe("RWMutex: diagnosis", () => {
  it.effect("the dump shows the writer, the blocked reader and writer, and the readers once the writer left", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-dump" })
      const writing = yield* Latch.make()
      const reading = yield* Latch.make()
      const w = yield* Effect.forkChild(RWMutex.withLock(rw)(writing.await))
      yield* settle
      const r = yield* Effect.forkChild(RWMutex.withRLock(rw)(reading.await))
      yield* settle
      const w2 = yield* Effect.forkChild(RWMutex.withLock(rw)(Effect.void))
      yield* settle

      expect(parkedOn(snapshot(), "rw-dump")).toEqual([
        { fiber: w2.id, op: "lock" },
        { fiber: r.id, op: "rLock" }
      ])
      expect(holders(rw)).toEqual([{ fiber: w.id, role: "writes" }])
      expect(diagnosis(rw).state).toEqual({ writer: true, readers: 0 })
      // Writers and readers alike wait for the writer.
      expect(wakers(rw)).toEqual([`AllOf(${w.id})`, `AllOf(${w.id})`])
      // The writer waits on a Latch, not on a primitive: it may go on.
      expect(stuck().size).toBe(0)

      // The writer leaves: the waiting reader gets in, the writer now waits for it.
      yield* writing.open
      yield* settle
      expect(holders(rw)).toEqual([{ fiber: r.id, role: "reads" }])
      expect(parkedOn(snapshot(), "rw-dump")).toEqual([{ fiber: w2.id, op: "lock" }])
      expect(wakers(rw)[0]).toBe(`AllOf(${r.id})`)

      yield* reading.open
      yield* Fiber.joinAll([w, r, w2])
      expect(holders(rw)).toEqual([])
      expect(diagnosis(rw).state).toEqual({ writer: false, readers: 0 })
    })
  )

  it.effect("a reader blocked only by a waiting writer waits for that writer", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-behind-writer" })
      const gate = yield* Latch.make()
      const a = yield* Effect.forkChild(RWMutex.withRLock(rw)(gate.await))
      yield* settle
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      const c = yield* Effect.forkChild(RWMutex.rLock(rw))
      yield* settle
      expect(parkedOn(snapshot(), "rw-behind-writer")).toEqual([
        { fiber: b.id, op: "lock" },
        { fiber: c.id, op: "rLock" }
      ])
      expect(holders(rw)).toEqual([{ fiber: a.id, role: "reads" }])
      expect(wakers(rw)).toEqual([`AllOf(${a.id})`, `AllOf(${b.id})`])
      expect(stuck().size).toBe(0)
      yield* Fiber.interruptAll([a, b, c])
    })
  )

  it.effect("RLock under Lock: a reader that read-locks again behind a waiting writer is stuck with it", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-rlock-under-lock" })
      const again = yield* Latch.make()
      // A holds a read lock and, later, asks for another one.
      const a = yield* Effect.forkChild(
        Effect.andThen(RWMutex.rLock(rw), Effect.andThen(again.await, RWMutex.rLock(rw)))
      )
      yield* settle
      // B waits for A's read lock; from now on new readers queue behind B.
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      expect(stuck().size).toBe(0)
      yield* again.open
      yield* settle

      expect(parkedOn(snapshot(), "rw-rlock-under-lock")).toEqual([
        { fiber: b.id, op: "lock" },
        { fiber: a.id, op: "rLock" }
      ])
      expect(holders(rw)).toEqual([{ fiber: a.id, role: "reads" }])
      expect(ids(stuck())).toEqual(ids([a, b]))
      yield* Fiber.interruptAll([a, b])
    })
  )

  it.effect("a reader that sleeps before its second read lock is not stuck until it asks", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-sleeper" })
      const a = yield* Effect.forkChild(
        Effect.andThen(RWMutex.rLock(rw), Effect.andThen(Effect.sleep("1 second"), RWMutex.rLock(rw)))
      )
      yield* settle
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      // B waits for A, which sleeps on the clock and may read-unlock after.
      expect(parkedOn(snapshot(), "rw-sleeper")).toEqual([{ fiber: b.id, op: "lock" }])
      expect(stuck().size).toBe(0)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(ids(stuck())).toEqual(ids([a, b]))
      yield* Fiber.interruptAll([a, b])
    })
  )

  it.effect("a writer that locks twice is stuck on itself", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-relock" })
      const a = yield* Effect.forkChild(Effect.andThen(RWMutex.lock(rw), RWMutex.lock(rw)))
      yield* settle
      expect(parkedOn(snapshot(), "rw-relock")).toEqual([{ fiber: a.id, op: "lock" }])
      expect(holders(rw)).toEqual([{ fiber: a.id, role: "writes" }])
      expect(ids(stuck())).toEqual([a.id])
      yield* Fiber.interruptAll([a])
    })
  )

  it.effect("a reader that asks for the write lock is stuck on its own read lock", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-upgrade" })
      const a = yield* Effect.forkChild(RWMutex.withRLock(rw)(RWMutex.withLock(rw)(Effect.void)))
      yield* settle
      expect(parkedOn(snapshot(), "rw-upgrade")).toEqual([{ fiber: a.id, op: "lock" }])
      expect(holders(rw)).toEqual([{ fiber: a.id, role: "reads" }])
      expect(ids(stuck())).toEqual([a.id])
      yield* Fiber.interruptAll([a])
      expect(holders(rw)).toEqual([])
    })
  )

  it.effect("a read unlock by a fiber that holds no read lock makes the readers unknown: no deadlock claimed", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-foreign-unlock" })
      const again = yield* Latch.make()
      const a = yield* Effect.forkChild(
        Effect.andThen(RWMutex.rLock(rw), Effect.andThen(again.await, RWMutex.rLock(rw)))
      )
      const c = yield* Effect.forkChild(Effect.andThen(RWMutex.rLock(rw), Effect.never))
      yield* settle
      // This fiber holds no read lock: it unlocks A's or C's (Go allows it).
      yield* RWMutex.rUnlock(rw)
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      yield* again.open
      yield* settle
      expect(parkedOn(snapshot(), "rw-foreign-unlock")).toEqual([
        { fiber: b.id, op: "lock" },
        { fiber: a.id, op: "rLock" }
      ])
      expect(diagnosis(rw).state).toEqual({ writer: false, readers: 1 })
      const [held] = diagnosis(rw).holders
      expect(held?.role).toBe("reads, unsure: another fiber read-unlocked")
      // Whichever read lock is left, a fiber other than these may release it.
      expect(wakers(rw)[0]).toBe("Anyone")
      expect(stuck().size).toBe(0)
      yield* Fiber.interruptAll([a, b, c])
    })
  )

  it.effect("the readers are known again once every read lock is released", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "rw-known-again" })
      yield* RWMutex.rLock(rw)
      yield* RWMutex.rLock(rw)
      const other = yield* Effect.forkChild(RWMutex.rUnlock(rw))
      yield* Fiber.join(other)
      expect(holders(rw)[0]?.role).toBe("reads, unsure: another fiber read-unlocked")
      yield* RWMutex.rUnlock(rw)
      expect(holders(rw)).toEqual([])

      const me = Fiber.getCurrent()!
      yield* RWMutex.rLock(rw)
      yield* RWMutex.rLock(rw)
      expect(holders(rw)).toEqual([{ fiber: me.id, role: "reads (2 read locks)" }])
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      expect(wakers(rw)[0]).toBe(`AllOf(${me.id})`)
      yield* RWMutex.rUnlock(rw)
      yield* RWMutex.rUnlock(rw)
      yield* Fiber.join(b)
      expect(holders(rw)).toEqual([{ fiber: b.id, role: "writes" }])
      yield* RWMutex.unlock(rw)
      expect(holders(rw)).toEqual([])
    })
  )

  it.effect("a reader interrupted by another of its batch as the batch is admitted is forgotten", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const gate = yield* Latch.make()
      yield* RWMutex.lock(rw)
      let victim: Fiber.Fiber<void> | undefined
      // R1 is woken first and, on the waker's stack, interrupts R2, which
      // has left the queue with the batch but is not woken yet.
      const r1 = yield* Effect.forkChild(
        RWMutex.withRLock(rw)(
          Effect.andThen(
            Effect.suspend(() => Fiber.interrupt(victim!)),
            gate.await
          )
        )
      )
      yield* settle
      victim = yield* Effect.forkChild(RWMutex.withRLock(rw)(gate.await))
      yield* settle
      yield* RWMutex.unlock(rw)
      yield* settle
      expect(victim.pollUnsafe()?._tag).toBe("Failure")
      expect(diagnosis(rw).state).toEqual({ writer: false, readers: 1 })
      expect(holders(rw)).toEqual([{ fiber: r1.id, role: "reads" }])
      yield* gate.open
      yield* Fiber.join(r1)
      expect(holders(rw)).toEqual([])
    })
  )

  it.effect("tryLock and tryRLock record their fiber too", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const me = Fiber.getCurrent()!
      expect(yield* RWMutex.tryRLock(rw)).toBe(true)
      expect(holders(rw)).toEqual([{ fiber: me.id, role: "reads" }])
      yield* RWMutex.rUnlock(rw)
      expect(yield* RWMutex.tryLock(rw)).toBe(true)
      expect(holders(rw)).toEqual([{ fiber: me.id, role: "writes" }])
      yield* RWMutex.unlock(rw)
      expect(holders(rw)).toEqual([])
    })
  )

  it.live("under any op budget, with interruptions, no holder outlives its lock", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const rw = yield* RWMutex.make()
        const internal = rw as unknown as {
          readers: number
          readerFibers: Array<AnyFiber>
          writer: boolean
          writerFiber: AnyFiber | undefined
          unattributed: number
        }
        let broken = ""
        const check = Effect.sync(() => {
          if (internal.readerFibers.length !== internal.readers) broken = "readerFibers.length !== readers"
          if (internal.writer !== (internal.writerFiber !== undefined)) broken = "writerFiber !== writer"
          if (internal.unattributed !== 0) broken = "unattributed read unlocks"
        })
        const reader = Effect.andThen(
          Effect.andThen(RWMutex.rLock(rw), Effect.andThen(check, RWMutex.rUnlock(rw))),
          RWMutex.withRLock(rw)(Effect.andThen(check, Effect.yieldNow))
        )
        const writer = Effect.andThen(
          Effect.andThen(RWMutex.lock(rw), Effect.andThen(check, RWMutex.unlock(rw))),
          RWMutex.withLock(rw)(Effect.andThen(check, Effect.yieldNow))
        )
        const fibers = yield* Effect.forEach([reader, writer, reader, writer, reader], (body) =>
          Effect.forkChild(loop(60, body))
        )
        // Victims: interrupted while they wait, as they are granted, or while
        // they hold (the with* helpers release then).
        const victims = yield* Effect.forEach(
          [RWMutex.withRLock(rw), RWMutex.withLock(rw), RWMutex.withRLock(rw)],
          (withLock) => Effect.forkChild(Effect.forever(withLock(Effect.andThen(check, Effect.yieldNow))))
        )
        yield* Effect.yieldNow
        yield* Fiber.interruptAll(victims)
        yield* Fiber.joinAll(fibers)
        expect(broken).toBe("")
        expect(internal.readerFibers).toEqual([])
        expect(internal.writerFiber).toBeUndefined()
        expect(holders(rw)).toEqual([])
      })
    )
  )
})

describe("Semaphore: diagnosis", () => {
  it.effect("the dump shows the withPermits holders and the blocked acquire; a holder that releases disappears", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(3, { name: "sem-dump" })
      const first = yield* Latch.make()
      const second = yield* Latch.make()
      const h1 = yield* Effect.forkChild(Semaphore.withPermits(sem, 2)(first.await))
      const h2 = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(second.await))
      yield* settle
      const w = yield* Effect.forkChild(Semaphore.withPermits(sem, 2)(Effect.void))
      yield* settle

      expect(parkedOn(snapshot(), "sem-dump")).toEqual([{ fiber: w.id, op: "acquire(2)" }])
      expect(holders(sem)).toEqual([
        { fiber: h1.id, role: "holds 2 permits" },
        { fiber: h2.id, role: "holds 1 permit" }
      ])
      expect(diagnosis(sem).state).toEqual({ size: 3, available: 0 })
      expect(wakers(sem)).toEqual([`OneOf(${h1.id},${h2.id})`])
      expect(stuck().size).toBe(0)

      yield* first.open
      yield* Fiber.join(h1)
      yield* settle
      // W got h1's permits and ran; only h2 holds now.
      yield* Fiber.join(w)
      expect(holders(sem)).toEqual([{ fiber: h2.id, role: "holds 1 permit" }])
      yield* second.open
      yield* Fiber.join(h2)
      expect(holders(sem)).toEqual([])
      expect(diagnosis(sem).state).toEqual({ size: 3, available: 3 })
    })
  )

  it.effect("a fiber that waits for more permits while holding them all is stuck", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2, { name: "sem-nested" })
      const a = yield* Effect.forkChild(Semaphore.withPermits(sem, 2)(Semaphore.withPermits(sem, 1)(Effect.void)))
      yield* settle
      expect(parkedOn(snapshot(), "sem-nested")).toEqual([{ fiber: a.id, op: "acquire(1)" }])
      expect(holders(sem)).toEqual([{ fiber: a.id, role: "holds 2 permits" }])
      expect(ids(stuck())).toEqual([a.id])
      yield* Fiber.interruptAll([a])
      expect(holders(sem)).toEqual([])
    })
  )

  it.effect("two fibers each holding the permit the other waits for are stuck", () =>
    Effect.gen(function* () {
      const s1 = yield* Semaphore.make(1, { name: "sem-cross-1" })
      const s2 = yield* Semaphore.make(1, { name: "sem-cross-2" })
      const gate = yield* Latch.make()
      const a = yield* Effect.forkChild(
        Semaphore.withPermits(s1, 1)(Effect.andThen(gate.await, Semaphore.withPermits(s2, 1)(Effect.void)))
      )
      const b = yield* Effect.forkChild(
        Semaphore.withPermits(s2, 1)(Effect.andThen(gate.await, Semaphore.withPermits(s1, 1)(Effect.void)))
      )
      yield* settle
      expect(stuck().size).toBe(0)
      yield* gate.open
      yield* settle
      expect(parkedOn(snapshot(), "sem-cross-1")).toEqual([{ fiber: b.id, op: "acquire(1)" }])
      expect(parkedOn(snapshot(), "sem-cross-2")).toEqual([{ fiber: a.id, op: "acquire(1)" }])
      expect(ids(stuck())).toEqual(ids([a, b]))
      yield* Fiber.interruptAll([a, b])
    })
  )

  it.effect("a holder that sleeps on the clock is not stuck", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(1, { name: "sem-sleeper" })
      const a = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.sleep("1 second")))
      yield* settle
      const b = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.void))
      yield* settle
      expect(parkedOn(snapshot(), "sem-sleeper")).toEqual([{ fiber: b.id, op: "acquire(1)" }])
      expect(stuck().size).toBe(0)
      yield* TestClock.adjust("1 second")
      yield* Fiber.joinAll([a, b])
      expect(holders(sem)).toEqual([])
    })
  )

  it.effect("permits taken with acquire may be released by anyone: no deadlock claimed", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2, { name: "sem-manual" })
      // A holds both permits through acquire, then waits for one more: any
      // fiber may release A's permits (Go allows it).
      const a = yield* Effect.forkChild(
        Effect.andThen(Semaphore.acquire(sem, 2), Semaphore.withPermits(sem, 1)(Effect.void))
      )
      yield* settle
      expect(parkedOn(snapshot(), "sem-manual")).toEqual([{ fiber: a.id, op: "acquire(1)" }])
      expect(holders(sem)).toEqual([])
      expect(wakers(sem)).toEqual(["Anyone"])
      expect(stuck().size).toBe(0)
      // Released by another fiber: A gets its permit.
      yield* Semaphore.release(sem, 2)
      yield* Fiber.join(a)
      expect(diagnosis(sem).state).toEqual({ size: 2, available: 2 })
    })
  )

  it.effect("withPermits holders beside permits taken with acquire: anyone may wake the waiters", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2, { name: "sem-mixed" })
      const a = yield* Effect.forkChild(
        Semaphore.withPermits(sem, 1)(Effect.andThen(Semaphore.tryAcquire(sem, 1), Effect.never))
      )
      yield* settle
      const b = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.void))
      yield* settle
      expect(holders(sem)).toEqual([{ fiber: a.id, role: "holds 1 permit" }])
      expect(wakers(sem)).toEqual(["Anyone"])
      expect(stuck().size).toBe(0)
      yield* Fiber.interruptAll([a, b])
      // A's withPermits released its own permit; the tryAcquire'd one stays.
      expect(holders(sem)).toEqual([])
      expect(diagnosis(sem).state).toEqual({ size: 2, available: 1 })
    })
  )

  it.live("under any op budget, with interruptions, no holder outlives its permits", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const sem = yield* Semaphore.make(3)
        const internal = sem as unknown as { cur: number; attributed: number; holders: Array<AnyFiber> }
        let broken = ""
        const check = Effect.sync(() => {
          if (internal.attributed !== internal.cur) broken = `attributed ${internal.attributed} != held ${internal.cur}`
        })
        const worker = (n: number) => loop(40, Semaphore.withPermits(sem, n)(Effect.andThen(check, Effect.yieldNow)))
        const fibers = yield* Effect.forEach([1, 2, 3, 1, 2], (n) => Effect.forkChild(worker(n)))
        const victims = yield* Effect.forEach([2, 1, 3], (n) =>
          Effect.forkChild(Effect.forever(Semaphore.withPermits(sem, n)(Effect.yieldNow)))
        )
        yield* Effect.yieldNow
        yield* Fiber.interruptAll(victims)
        yield* Fiber.joinAll(fibers)
        expect(broken).toBe("")
        expect(internal.holders).toEqual([])
        expect(internal.attributed).toBe(0)
        expect(internal.cur).toBe(0)
      })
    )
  )
})

describe("Cond: diagnosis", () => {
  it.effect("the dump shows the waiters; any fiber may signal, so none is proved stuck while others may act", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      const c = yield* Cond.make(mu, { name: "cond-dump" })
      let ready = false
      const w = yield* Effect.forkChild(Mutex.withLock(mu)(Cond.waitUntil(c, () => ready)))
      yield* settle
      expect(parkedOn(snapshot(), "cond-dump")).toEqual([{ fiber: w.id, op: "wait" }])
      expect(diagnosis(c).state).toEqual({ waiters: 1 })
      expect(holders(c)).toEqual([])
      expect(wakers(c)).toEqual(["Anyone"])
      expect(stuck().size).toBe(0)
      // Under the all-asleep rule (nobody outside the parked fibers may act),
      // a waiter alone is stuck.
      const snap = snapshot()
      expect(ids(stuckAmong(snap, [w], () => false))).toEqual([w.id])

      yield* Mutex.withLock(mu)(
        Effect.andThen(
          Effect.sync(() => {
            ready = true
          }),
          Cond.signal(c)
        )
      )
      yield* Fiber.join(w)
      expect(parkedOn(snapshot(), "cond-dump")).toEqual([])
      expect(diagnosis(c).state).toEqual({ waiters: 0 })
    })
  )
})

/** A way to take a lock or permits whose holder is recorded. */
interface Take {
  /** Takes and releases (a `with*` helper), or takes only (then `held` is set). */
  readonly take: (held: () => void) => Effect.Effect<void>
  /** Releases what `take` took (from another fiber: Go allows it). */
  readonly release: Effect.Effect<void>
  /** Held by the test itself, so that `take` parks; undone by `unhold`. */
  readonly hold: Effect.Effect<void>
  readonly unhold: Effect.Effect<void>
  /** What is left recorded: must be nothing once everything is released. */
  readonly leftover: () => unknown
  /** Held by the test for the whole run (another reader), released after the look at `leftover`. */
  readonly keep?: readonly [Effect.Effect<void>, Effect.Effect<void>]
}

const rwLeftover = (rw: RWMutex.RWMutex) => () => {
  const m = rw as unknown as { readerFibers: Array<AnyFiber>; writerFiber: unknown; unattributed: number }
  return { readers: m.readerFibers.length, writer: m.writerFiber !== undefined, unattributed: m.unattributed }
}
const semLeftover = (sem: Semaphore.Semaphore) => () => {
  const s = sem as unknown as { holders: Array<AnyFiber>; attributed: number; cur: number }
  return { readers: s.holders.length, writer: s.attributed !== 0, unattributed: s.cur }
}
const nothingLeft = { readers: 0, writer: false, unattributed: 0 }
/** The test's own read lock, kept beside the taker's (see `keep`). */
const keptReader = { readers: 1, writer: false, unattributed: 0 }

const takes: ReadonlyArray<readonly [string, Effect.Effect<Take>]> = [
  [
    "Semaphore.withPermits",
    Effect.map(Semaphore.make(3), (sem) => ({
      take: () => Semaphore.withPermits(sem, 2)(Effect.void),
      release: Effect.void,
      hold: Semaphore.acquire(sem, 2),
      unhold: Semaphore.release(sem, 2),
      leftover: semLeftover(sem)
    }))
  ],
  [
    "RWMutex.withRLock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: () => RWMutex.withRLock(rw)(Effect.void),
      release: Effect.void,
      hold: RWMutex.lock(rw),
      unhold: RWMutex.unlock(rw),
      leftover: rwLeftover(rw)
    }))
  ],
  [
    "RWMutex.withLock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: () => RWMutex.withLock(rw)(Effect.void),
      release: Effect.void,
      hold: RWMutex.rLock(rw),
      unhold: RWMutex.rUnlock(rw),
      leftover: rwLeftover(rw)
    }))
  ],
  [
    "RWMutex.rLock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: (held) => Effect.andThen(RWMutex.rLock(rw), Effect.sync(held)),
      release: RWMutex.rUnlock(rw),
      hold: RWMutex.lock(rw),
      unhold: RWMutex.unlock(rw),
      leftover: rwLeftover(rw)
    }))
  ],
  [
    "RWMutex.rLock beside another reader",
    Effect.map(RWMutex.make(), (rw) => ({
      take: (held: () => void) => Effect.andThen(RWMutex.rLock(rw), Effect.sync(held)),
      release: RWMutex.rUnlock(rw),
      hold: Effect.void,
      unhold: Effect.void,
      leftover: rwLeftover(rw),
      keep: [RWMutex.rLock(rw), RWMutex.rUnlock(rw)] as const
    }))
  ],
  [
    "RWMutex.lock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: (held) => Effect.andThen(RWMutex.lock(rw), Effect.sync(held)),
      release: RWMutex.unlock(rw),
      hold: RWMutex.rLock(rw),
      unhold: RWMutex.rUnlock(rw),
      leftover: rwLeftover(rw)
    }))
  ]
]

const schedulers = [
  ["default", undefined],
  ["sync", new Scheduler.MixedScheduler("sync")]
] as const

describe("a recorded holder is forgotten with its grant, wherever the taker is interrupted", () => {
  for (const [name, makeTake] of takes) {
    it.live(name, () =>
      Effect.gen(function* () {
        const bad: Array<string> = []
        for (const [schedulerName, scheduler] of schedulers) {
          for (const budget of budgets) {
            for (const contended of [false, true]) {
              for (let shift = 0; shift < 8; shift++) {
                for (let late = 0; late < 3; late++) {
                  const run = Effect.gen(function* () {
                    const t: Take = yield* makeTake
                    if (t.keep !== undefined) yield* t.keep[0]
                    if (contended) yield* t.hold
                    let held = false
                    const taker = yield* Effect.forkChild(
                      Effect.andThen(
                        loop(shift, Effect.void),
                        Effect.uninterruptibleMask((restore) =>
                          restore(
                            t.take(() => {
                              held = true
                            })
                          )
                        )
                      )
                    )
                    yield* Effect.yieldNow
                    if (contended) yield* t.unhold
                    for (let i = 0; i < late; i++) yield* Effect.yieldNow
                    yield* Effect.sync(() => taker.interruptUnsafe())
                    yield* Fiber.await(taker)
                    if (t.keep === undefined) {
                      if (held) yield* t.release
                      return { left: t.leftover(), expected: nothingLeft }
                    }
                    // Beside this fiber's read lock: the taker's, if it got
                    // it, is recorded as its own, and nothing else.
                    const left = t.leftover()
                    if (held) yield* t.release
                    yield* t.keep[1]
                    return { left, expected: held ? { ...keptReader, readers: 2 } : keptReader }
                  }).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, budget))
                  const { left, expected } = yield* scheduler === undefined
                    ? run
                    : run.pipe(Effect.provideService(Scheduler.Scheduler, scheduler))
                  if (JSON.stringify(left) !== JSON.stringify(expected)) {
                    bad.push(
                      `${schedulerName} budget ${budget} contended ${contended} shift ${shift} late ${late}: ${JSON.stringify(left)}`
                    )
                  }
                }
              }
            }
          }
        }
        expect(bad.slice(0, 5), `${bad.length} runs left a holder recorded`).toEqual([])
      })
    )
  }
})

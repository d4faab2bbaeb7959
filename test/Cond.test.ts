import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { pipe } from "effect/Function"
import * as Latch from "effect/Latch"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as Cond from "../src/Cond.ts"
import * as Mutex from "../src/Mutex.ts"
import * as RWMutex from "../src/RWMutex.ts"
import { settle } from "./utils/fibers.ts"
import { isInterruptedOnly } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

const setup = Effect.gen(function* () {
  const mu = yield* Mutex.make()
  const c = yield* Cond.make(mu, { name: "ready" })
  return { mu, c }
})

/** Forks `lock; wait; record id; unlock`, the waiter shape of Go's tests. */
const waiter = (c: Cond.Cond, awake: Array<number>, id: number) =>
  Effect.forkChild(
    Mutex.withLock(c.mutex)(
      Effect.andThen(
        Cond.wait(c),
        Effect.sync(() => {
          awake.push(id)
        })
      )
    )
  )

/** Interrupts `fiber` without waiting for it (a waiter may need the mutex we hold to finish). */
const interruptNoWait = (fiber: Fiber.Fiber<unknown, unknown>) => Effect.sync(() => fiber.interruptUnsafe())

const nothingLeft = (mu: Mutex.Mutex, c: Cond.Cond) =>
  Effect.gen(function* () {
    expect(yield* Mutex.isLocked(mu)).toBe(false)
    expect(yield* Mutex.blocked(mu)).toEqual([])
    expect(yield* Cond.blocked(c)).toEqual([])
  })

describe("Cond", () => {
  // Go: TestCondSignal.
  it.effect("signal wakes exactly one waiter at a time (Go's TestCondSignal)", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      let n = 2
      let running = 0
      const awake: Array<number> = []
      const fibers = yield* Effect.forEach(Array.from({ length: n }), (_, i) =>
        Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.gen(function* () {
              running++
              yield* Cond.wait(c)
              awake.push(i)
            })
          )
        )
      )
      yield* settle
      expect(running).toBe(2) // wait for everyone to run
      while (n > 0) {
        expect(awake.length).toBe(2 - n) // goroutine not asleep
        yield* Mutex.withLock(mu)(Cond.signal(c))
        yield* settle
        expect(awake.length).toBe(3 - n) // one woke up, and only one (too many goroutines awake)
        n--
      }
      yield* Cond.signal(c)
      yield* Fiber.joinAll(fibers)
      yield* nothingLeft(mu, c)
    })
  )

  // Go: TestCondSignalGenerations.
  it.effect("signal wakes the longest waiter: FIFO across generations (Go's TestCondSignalGenerations)", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const n = 100
      const awake: Array<number> = []
      const fibers: Array<Fiber.Fiber<void>> = []
      for (let i = 0; i < n; i++) {
        fibers.push(yield* waiter(c, awake, i))
        yield* settle // <-running
        if (i > 0) expect(awake.shift()).toBe(i - 1) // wrong goroutine woke up
        yield* Mutex.withLock(mu)(Cond.signal(c))
      }
      yield* settle
      expect(awake).toEqual([n - 1])
      yield* Fiber.joinAll(fibers)
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("signal order is FIFO even when all waiters are queued at once", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const awake: Array<number> = []
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) => waiter(c, awake, i))
      yield* settle
      expect((yield* Cond.blocked(c)).map((b) => b.fiberId)).toEqual(fibers.map((f) => f.id))
      for (let i = 0; i < 5; i++) {
        yield* Cond.signal(c)
        yield* settle
      }
      yield* Fiber.joinAll(fibers)
      expect(awake).toEqual([0, 1, 2, 3, 4])
      yield* nothingLeft(mu, c)
    })
  )

  // Go: TestCondBroadcast.
  it.effect("broadcast wakes every waiter exactly once per broadcast (Go's TestCondBroadcast)", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const n = 100
      const running: Array<number> = []
      const awake: Array<number> = []
      let exit = false
      const fibers = yield* Effect.forEach(Array.from({ length: n }), (_, g) =>
        Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.whileLoop({
              while: () => !exit,
              body: () =>
                Effect.andThen(
                  Effect.andThen(
                    Effect.sync(() => running.push(g)),
                    Cond.wait(c)
                  ),
                  Effect.sync(() => awake.push(g))
                ),
              step: () => {}
            })
          )
        )
      )
      for (let i = 0; i < n; i++) {
        yield* settle
        expect(running.length).toBe(n) // will deadlock unless n are running
        running.length = 0
        if (i === n - 1) yield* Mutex.withLock(mu)(Effect.sync(() => (exit = true)))
        expect(awake).toEqual([]) // goroutine not asleep
        yield* Mutex.withLock(mu)(Cond.broadcast(c))
        yield* settle
        // Every waiter woke, none twice.
        expect([...awake].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, g) => g))
        awake.length = 0
      }
      yield* Fiber.joinAll(fibers)
      expect(running).toEqual([]) // goroutine did not exit
      yield* Cond.broadcast(c)
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("broadcast wakes only the fibers waiting at that moment", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const awake: Array<number> = []
      const early = yield* Effect.forEach([0, 1], (i) => waiter(c, awake, i))
      yield* settle
      // A fiber that waits again right after being woken is not woken twice
      // by the same broadcast.
      let rounds = 0
      const again = yield* Effect.forkChild(
        Mutex.withLock(mu)(
          Effect.andThen(
            Cond.wait(c),
            Effect.andThen(
              Effect.sync(() => rounds++),
              Cond.wait(c)
            )
          )
        )
      )
      yield* settle
      yield* Mutex.lock(mu)
      yield* Cond.broadcast(c)
      // Starts waiting after the broadcast (after the woken ones got the mutex back).
      const late = yield* waiter(c, awake, 2)
      yield* Mutex.unlock(mu)
      yield* settle
      expect(awake.sort()).toEqual([0, 1])
      expect(rounds).toBe(1)
      // (In either order: late may take the mutex before the woken fibers
      // get their turn, as Go's Mutex allows.)
      expect((yield* Cond.blocked(c)).map((b) => b.fiberId).sort()).toEqual([again.id, late.id].sort())
      yield* Fiber.joinAll(early)
      yield* Cond.broadcast(c)
      yield* Fiber.joinAll([late, again])
      expect(awake).toEqual([0, 1, 2])
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("broadcast without holding the mutex: woken fibers that wait again are not woken again", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const wakeups: Array<string> = []
      // Each wakes, records, and waits again at once (the mutex is free, so
      // it does all that inside the broadcast).
      const looper = (id: string) =>
        Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.forever(
              Effect.andThen(
                Cond.wait(c),
                Effect.sync(() => {
                  wakeups.push(id)
                })
              ),
              { disableYield: true }
            )
          )
        )
      const a = yield* looper("a")
      const b = yield* looper("b")
      yield* settle
      yield* Cond.broadcast(c)
      expect(wakeups).toEqual(["a", "b"])
      expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual([a.id, b.id])
      yield* Cond.signal(c)
      expect(wakeups).toEqual(["a", "b", "a"])
      expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual([b.id, a.id])
      yield* Fiber.interruptAll([a, b])
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("a signal or broadcast with nobody waiting is not remembered", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      yield* Cond.signal(c)
      yield* Cond.broadcast(c)
      const awake: Array<number> = []
      const w = yield* waiter(c, awake, 0)
      yield* settle
      expect(awake).toEqual([])
      expect((yield* Cond.blocked(c)).length).toBe(1)
      yield* Cond.signal(c)
      yield* Fiber.join(w)
      expect(awake).toEqual([0])
      yield* nothingLeft(mu, c)
    })
  )

  // Go: TestRace.
  it.effect("three fibers hand a value around through one Cond (Go's TestRace)", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      let x = 0
      const readX = (): number => x // a read TS does not narrow
      const errors: Array<string> = []
      const f1 = Mutex.withLock(mu)(
        Effect.gen(function* () {
          x = 1
          yield* Cond.wait(c)
          if (readX() !== 2) errors.push(`f1: want 2, got ${x}`)
          x = 3
          yield* Cond.signal(c)
        })
      )
      const f2 = Effect.gen(function* () {
        yield* Mutex.lock(mu)
        for (;;) {
          if (x === 1) {
            x = 2
            yield* Cond.signal(c)
            break
          }
          yield* Mutex.unlock(mu)
          yield* Effect.yieldNow // runtime.Gosched()
          yield* Mutex.lock(mu)
        }
        yield* Mutex.unlock(mu)
      })
      const f3 = Effect.gen(function* () {
        yield* Mutex.lock(mu)
        for (;;) {
          if (x === 2) {
            yield* Cond.wait(c)
            if (readX() !== 3) errors.push(`f3: want 3, got ${x}`)
            break
          }
          if (readX() === 3) break
          yield* Mutex.unlock(mu)
          yield* Effect.yieldNow
          yield* Mutex.lock(mu)
        }
        yield* Mutex.unlock(mu)
      })
      // Every start order, since the schedule is deterministic.
      for (const order of [
        [f1, f2, f3],
        [f2, f3, f1],
        [f3, f1, f2],
        [f3, f2, f1]
      ]) {
        x = 0
        yield* Effect.all(order, { concurrency: "unbounded", discard: true })
        expect(x).toBe(3)
      }
      expect(errors).toEqual([])
      yield* nothingLeft(mu, c)
    })
  )

  // Go: TestCondSignalStealing.
  it.effect("a broadcast racing a new waiter still wakes the old waiter (Go's TestCondSignalStealing)", () =>
    Effect.gen(function* () {
      for (let iter = 0; iter < 50; iter++) {
        const { mu, c } = yield* setup
        const ch = yield* Latch.make()
        const first = yield* Effect.forkChild(
          Effect.andThen(Mutex.withLock(mu)(Effect.andThen(ch.open, Cond.wait(c))), Effect.void)
        )
        yield* ch.await
        yield* Mutex.withLock(mu)(Effect.void) // the waiter is in wait now
        let done = false
        // Racing: one broadcasts, the other waits. Vary who starts first.
        const racers = [Cond.broadcast(c), Mutex.withLock(mu)(Cond.waitUntil(c, () => done))]
        const second = yield* Effect.forkChild(
          Effect.all(iter % 2 === 0 ? racers : racers.reverse(), { concurrency: "unbounded", discard: true })
        )
        yield* Fiber.join(first) // the first waiter must be woken
        yield* Mutex.withLock(mu)(Effect.sync(() => (done = true)))
        yield* Cond.broadcast(c)
        yield* Fiber.join(second)
        yield* nothingLeft(mu, c)
      }
    })
  )

  it.effect("wait releases the mutex while waiting and holds it again when it returns", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const seen: Array<boolean> = []
      const w = yield* Effect.forkChild(
        Mutex.withLock(mu)(
          Effect.andThen(
            Cond.wait(c),
            Effect.flatMap(Mutex.isLocked(mu), (locked) => Effect.sync(() => seen.push(locked)))
          )
        )
      )
      yield* settle
      // Released while waiting: we can take it.
      expect(yield* Mutex.tryLock(mu)).toBe(true)
      yield* Cond.signal(c)
      yield* settle
      // Woken, but it needs the mutex back before `wait` returns.
      expect(seen).toEqual([])
      expect((yield* Mutex.blocked(mu)).map((b) => b.fiberId)).toEqual([w.id])
      yield* Mutex.unlock(mu)
      yield* Fiber.join(w)
      expect(seen).toEqual([true])
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("make with anything but a Mutex is a defect at once; waitUntil with a bad predicate too", () =>
    Effect.gen(function* () {
      const any = (u: unknown): any => u
      const invalid = (message: string, effect: Effect.Effect<unknown>) =>
        Effect.gen(function* () {
          const exit = yield* Effect.exit(effect)
          const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
          expect(defect, message).toMatchObject({ _tag: "InvalidArgumentError" })
          expect((defect as Error).message).toBe(message)
        })
      const rw = yield* RWMutex.make()
      yield* invalid("expected a Mutex, got an RWMutex", Cond.make(any(rw)))
      yield* invalid("expected a Mutex, got undefined", Cond.make(any(undefined)))
      yield* invalid("expected a Mutex, got an empty object", Cond.make(any({})))
      expect(() => Cond.makeUnsafe(any(null))).toThrow("expected a Mutex, got null")
      // A copy of a Mutex is a copy.
      const mu = yield* Mutex.make()
      const copied = yield* Effect.exit(Cond.make({ ...mu }))
      expect(Exit.isFailure(copied) ? Cause.squash(copied.cause) : undefined).toMatchObject({
        _tag: "CopiedPrimitiveError",
        primitive: "Mutex"
      })
      const c = yield* Cond.make(mu)
      yield* Mutex.lock(mu)
      yield* invalid(
        "Cond.waitUntil: expected a function or an Effect, got the boolean true",
        Cond.waitUntil(c, any(true))
      )
      expect(yield* Mutex.isLocked(mu)).toBe(true) // still held, as before the call
      yield* Mutex.unlock(mu)
    })
  )

  it.effect("wait and waitUntil on an unlocked mutex are a defect", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      for (const misuse of [Cond.wait(c), Cond.waitUntil(c, () => true), Cond.waitUntil(c, () => false)]) {
        const exit = yield* Effect.exit(misuse)
        const defect = Exit.isFailure(exit) && Cause.hasDies(exit.cause) ? Cause.squash(exit.cause) : undefined
        expect(defect).toBeInstanceOf(Cond.WaitOnUnlockedMutexError)
        expect(defect).toMatchObject({
          message: "sync: Cond.Wait on unlocked mutex",
          name: "WaitOnUnlockedMutexError",
          condName: "ready"
        })
        yield* nothingLeft(mu, c)
      }
    })
  )

  describe("interruption", () => {
    it.effect("an interrupted wait re-acquires the mutex before the interruption goes on: withLock unlocks once", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const heldWhenInterrupted: Array<boolean> = []
        const w = yield* Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.onInterrupt(Cond.wait(c), () =>
              Effect.flatMap(Mutex.isLocked(mu), (locked) => Effect.sync(() => heldWhenInterrupted.push(locked)))
            )
          )
        )
        yield* settle
        expect(yield* Mutex.isLocked(mu)).toBe(false)
        const exit = yield* Fiber.interrupt(w).pipe(Effect.andThen(Fiber.await(w)))
        // Interrupted, not a double-unlock defect.
        expect(isInterruptedOnly(exit)).toBe(true)
        expect(heldWhenInterrupted).toEqual([true])
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("interrupted while another fiber holds the mutex: it waits for the mutex, then is interrupted", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const heldWhenInterrupted: Array<boolean> = []
        const w = yield* Effect.forkChild(
          Effect.gen(function* () {
            yield* Mutex.lock(mu)
            yield* Effect.onInterrupt(Cond.wait(c), () =>
              // Holds the mutex (handed over by us), and unlocks it itself.
              Effect.flatMap(Mutex.isLocked(mu), (locked) =>
                Effect.andThen(
                  Effect.sync(() => heldWhenInterrupted.push(locked)),
                  Mutex.unlock(mu)
                )
              )
            )
          })
        )
        yield* settle
        yield* Mutex.lock(mu)
        yield* interruptNoWait(w)
        yield* settle
        // It left the Cond's queue, and waits for the mutex we hold.
        expect(yield* Cond.blocked(c)).toEqual([])
        expect((yield* Mutex.blocked(mu)).map((b) => b.fiberId)).toEqual([w.id])
        expect(w.pollUnsafe()).toBeUndefined()
        yield* Mutex.unlock(mu)
        const exit = yield* Fiber.await(w)
        expect(isInterruptedOnly(exit)).toBe(true)
        expect(heldWhenInterrupted).toEqual([true])
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("an interrupted waiter does not take a signal meant for the others", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const awake: Array<number> = []
        const fibers = yield* Effect.forEach([0, 1, 2], (i) => waiter(c, awake, i))
        yield* settle
        yield* Fiber.interrupt(fibers[0]!)
        yield* Fiber.interrupt(fibers[2]!)
        expect((yield* Cond.blocked(c)).map((b) => b.fiberId)).toEqual([fibers[1]!.id])
        yield* Mutex.withLock(mu)(Cond.signal(c))
        yield* Fiber.join(fibers[1]!)
        expect(awake).toEqual([1])
        yield* nothingLeft(mu, c)
      })
    )

    // The window between "signalled" and "wait returns": a signalled waiter
    // re-acquires the mutex uninterruptibly, so an interruption meanwhile is
    // deferred until it holds the mutex; it then ends interrupted without
    // acting on the signal, and must pass the signal on.
    it.effect("signalled, then interrupted while re-acquiring the mutex: the signal passes to the next waiter", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const awake: Array<number> = []
        const [a, b, d] = (yield* Effect.forEach([0, 1, 2], (i) => waiter(c, awake, i))) as [
          Fiber.Fiber<void>,
          Fiber.Fiber<void>,
          Fiber.Fiber<void>
        ]
        yield* settle
        yield* Mutex.lock(mu)
        yield* Cond.signal(c) // a is woken and waits for the mutex
        yield* interruptNoWait(a)
        expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual([b.id, d.id])
        yield* Mutex.unlock(mu)
        expect(isInterruptedOnly(yield* Fiber.await(a))).toBe(true)
        // b got the signal a could not use; d is still waiting.
        yield* Fiber.join(b)
        expect(awake).toEqual([1])
        expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual([d.id])
        yield* Cond.signal(c)
        yield* Fiber.join(d)
        yield* nothingLeft(mu, c)
      })
    )

    // The other window: a waiter joins the queue just before it releases the
    // mutex, and the fiber that gets the mutex next runs inside that release,
    // before the waiter parks. Here a and b are both in that state (b runs
    // inside a's release, `inside` inside b's) when `inside` signals or
    // broadcasts, and/or interrupts a; an interruption fires as a parks.
    const early: ReadonlyArray<{
      readonly does: string
      readonly notify?: "signal" | "broadcast"
      readonly interrupt: boolean
      readonly aInterrupted: boolean
      readonly woken: ReadonlyArray<string>
    }> = [
      // Not lost although a had not parked yet (Go's lost-wakeup problem).
      { does: "signal", notify: "signal", interrupt: false, aInterrupted: false, woken: ["a"] },
      // a leaves the queue although it never parked: no ghost waiter left.
      { does: "interrupt a", interrupt: true, aInterrupted: true, woken: [] },
      // a cannot use the signal: it passes to b.
      { does: "signal, interrupt a", notify: "signal", interrupt: true, aInterrupted: true, woken: ["b"] },
      { does: "broadcast, interrupt a", notify: "broadcast", interrupt: true, aInterrupted: true, woken: ["b"] }
    ]
    for (const t of early) {
      it.effect(`a waiter not parked yet when the next mutex holder does "${t.does}"`, () =>
        Effect.gen(function* () {
          const { mu, c } = yield* setup
          const gate = yield* Latch.make()
          const woken: Array<string> = []
          const waitAndLog = (id: string) =>
            Effect.andThen(
              Cond.wait(c),
              Effect.sync(() => {
                woken.push(id)
              })
            )
          const a = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.andThen(gate.await, waitAndLog("a"))))
          yield* settle
          // Queued on the mutex behind a, in this order.
          const b = yield* Effect.forkChild(Mutex.withLock(mu)(waitAndLog("b")))
          let waitingThen: ReadonlyArray<number | undefined> = []
          const inside = yield* Effect.forkChild(
            Mutex.withLock(mu)(
              Effect.gen(function* () {
                waitingThen = (yield* Cond.blocked(c)).map((x) => x.fiberId)
                if (t.notify === "signal") yield* Cond.signal(c)
                if (t.notify === "broadcast") yield* Cond.broadcast(c)
                if (t.interrupt) a.interruptUnsafe()
              })
            )
          )
          yield* settle
          expect((yield* Mutex.blocked(mu)).map((x) => x.fiberId)).toEqual([b.id, inside.id])
          yield* gate.open
          yield* Fiber.join(inside)
          yield* settle
          expect(waitingThen).toEqual([a.id, b.id])
          expect(woken).toEqual(t.woken)
          expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual(
            [a, b].filter((f, i) => !woken.includes(["a", "b"][i]!) && !(f === a && t.aInterrupted)).map((f) => f.id)
          )
          yield* Cond.broadcast(c)
          const aExit = yield* Fiber.await(a)
          expect(isInterruptedOnly(aExit)).toBe(t.aInterrupted)
          expect(Exit.isSuccess(aExit)).toBe(!t.aInterrupted)
          yield* Fiber.join(b)
          yield* nothingLeft(mu, c)
        })
      )
    }

    it.effect("woken by broadcast, then interrupted: nothing is passed on to later waiters", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const awake: Array<number> = []
        const [a, b] = (yield* Effect.forEach([0, 1], (i) => waiter(c, awake, i))) as [
          Fiber.Fiber<void>,
          Fiber.Fiber<void>
        ]
        yield* settle
        yield* Mutex.lock(mu)
        yield* Cond.broadcast(c)
        yield* interruptNoWait(a)
        const late = yield* waiter(c, awake, 2)
        yield* Mutex.unlock(mu)
        expect(isInterruptedOnly(yield* Fiber.await(a))).toBe(true)
        yield* Fiber.join(b)
        yield* settle
        expect(awake).toEqual([1])
        expect((yield* Cond.blocked(c)).map((x) => x.fiberId)).toEqual([late.id])
        yield* Cond.signal(c)
        yield* Fiber.join(late)
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("waitUntil under Effect.timeout (TestClock): times out holding the mutex, leaves nothing behind", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        let ready = false
        const w = yield* Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.andThen(Cond.waitUntil(c, () => ready).pipe(Effect.timeoutOption("1 second")), (o) =>
              Effect.map(Mutex.isLocked(mu), (locked) => ({ timedOut: Option.isNone(o), locked }))
            )
          )
        )
        yield* settle
        yield* TestClock.adjust("999 millis")
        expect(w.pollUnsafe()).toBeUndefined()
        expect((yield* Cond.blocked(c)).length).toBe(1)
        yield* TestClock.adjust("1 millis")
        expect(yield* Fiber.join(w)).toEqual({ timedOut: true, locked: true })
        yield* nothingLeft(mu, c)
        // And before the deadline it returns normally.
        const w2 = yield* Effect.forkChild(
          Mutex.withLock(mu)(Cond.waitUntil(c, () => ready).pipe(Effect.timeoutOption("1 second")))
        )
        yield* settle
        yield* Mutex.withLock(mu)(Effect.sync(() => (ready = true)))
        yield* Cond.signal(c)
        expect(Option.isSome(yield* Fiber.join(w2))).toBe(true)
        yield* nothingLeft(mu, c)
      })
    )

    it.effect.prop(
      "any subset of waiters interrupted, then k signals: the k longest remaining waiters wake, in order",
      [Schema.Array(Schema.Boolean), Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 12 }))],
      ([interruptMask, k]) =>
        Effect.gen(function* () {
          const { mu, c } = yield* setup
          const awake: Array<number> = []
          const fibers = yield* Effect.forEach(interruptMask, (_, i) => waiter(c, awake, i))
          yield* settle
          yield* Effect.forEach(fibers, (f, i) => (interruptMask[i] ? Fiber.interrupt(f) : Effect.void))
          const remaining = interruptMask.flatMap((interrupted, i) => (interrupted ? [] : [i]))
          expect((yield* Cond.blocked(c)).length).toBe(remaining.length)
          for (let s = 0; s < k; s++) yield* Mutex.withLock(mu)(Cond.signal(c))
          yield* settle
          expect(awake).toEqual(remaining.slice(0, k))
          expect((yield* Cond.blocked(c)).length).toBe(Math.max(0, remaining.length - k))
          yield* Cond.broadcast(c)
          yield* Effect.forEach(fibers, Fiber.await)
          expect(awake).toEqual(remaining)
          yield* nothingLeft(mu, c)
        })
    )
  })

  describe("waitUntil", () => {
    it.effect("returns at once when the predicate holds, without releasing the mutex", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        let checks = 0
        yield* Mutex.withLock(mu)(
          Effect.andThen(
            Cond.waitUntil(c, () => {
              checks++
              return true
            }),
            Effect.flatMap(Mutex.isLocked(mu), (locked) => Effect.sync(() => expect(locked).toBe(true)))
          )
        )
        expect(checks).toBe(1)
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("re-checks the predicate under the mutex after each wake-up and waits again while it fails", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        let count = 0
        const lockedAtCheck: Array<boolean> = []
        const mutexRef = mu
        const w = yield* Effect.forkChild(
          Mutex.withLock(mu)(
            Cond.waitUntil(c, () => {
              lockedAtCheck.push(Effect.runSync(Mutex.isLocked(mutexRef)))
              return count >= 3
            })
          )
        )
        for (let i = 1; i <= 3; i++) {
          yield* settle
          expect((yield* Cond.blocked(c)).length).toBe(1)
          yield* Mutex.withLock(mu)(Effect.sync(() => count++))
          yield* Cond.signal(c)
        }
        yield* Fiber.join(w)
        expect(lockedAtCheck).toEqual([true, true, true, true])
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("accepts an Effect predicate; its failure ends waitUntil with the mutex held", () =>
      Effect.gen(function* () {
        const { mu, c } = yield* setup
        const ref = yield* Ref.make(0)
        const w = yield* Effect.forkChild(
          Mutex.withLock(mu)(pipe(c, Cond.waitUntil(Effect.map(Ref.get(ref), (n) => n === 2))))
        )
        yield* settle
        yield* Ref.set(ref, 1)
        yield* Cond.broadcast(c)
        yield* settle
        expect((yield* Cond.blocked(c)).length).toBe(1)
        yield* Ref.set(ref, 2)
        yield* Cond.broadcast(c)
        yield* Fiber.join(w)
        // A failing predicate: the error comes out, withLock unlocks once.
        const heldAtFailure: Array<boolean> = []
        const failing = Effect.andThen(
          Effect.flatMap(Mutex.isLocked(mu), (locked) => Effect.sync(() => heldAtFailure.push(locked))),
          Effect.fail("boom" as const)
        )
        const failed = yield* Effect.forkChild(
          Mutex.withLock(mu)(
            Cond.waitUntil(
              c,
              Effect.flatMap(Ref.get(ref), (n) => (n === 3 ? failing : Effect.succeed(false)))
            )
          )
        )
        yield* settle
        yield* Ref.set(ref, 3)
        yield* Cond.signal(c)
        expect(yield* Effect.flip(Fiber.join(failed))).toBe("boom")
        expect(heldAtFailure).toEqual([true])
        yield* nothingLeft(mu, c)
      })
    )

    it.effect("types: E and R come from an Effect predicate, none from a function", () =>
      Effect.gen(function* () {
        const { c } = yield* setup
        expectTypeOf(Cond.waitUntil(c, () => true)).toEqualTypeOf<Effect.Effect<void>>()
        expectTypeOf(Cond.waitUntil(() => true)).returns.toEqualTypeOf<Effect.Effect<void>>()
        const pred = Effect.succeed(true) as Effect.Effect<boolean, "e", "R">
        expectTypeOf(Cond.waitUntil(c, pred)).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
        expectTypeOf(pipe(c, Cond.waitUntil(pred))).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
      })
    )
  })

  it.effect("blocked shows the waiters with name, op and TestClock time", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const awake: Array<number> = []
      const a = yield* waiter(c, awake, 0)
      yield* settle
      yield* TestClock.adjust("5 seconds")
      const b = yield* waiter(c, awake, 1)
      yield* settle
      expect(yield* Cond.blocked(c)).toEqual([
        { primitive: "Cond", name: "ready", op: "wait", fiberId: a.id, since: 0 },
        { primitive: "Cond", name: "ready", op: "wait", fiberId: b.id, since: 5000 }
      ])
      yield* Cond.broadcast(c)
      yield* Fiber.joinAll([a, b])
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("a broadcast to 20k waiters does not overflow the stack", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      let woke = 0
      const fibers = yield* Effect.forEach(Array.from({ length: 20_000 }), () =>
        Effect.forkChild(
          Mutex.withLock(mu)(
            Effect.andThen(
              Cond.wait(c),
              Effect.sync(() => woke++)
            )
          )
        )
      )
      yield* settle
      expect((yield* Cond.blocked(c)).length).toBe(20_000)
      yield* Cond.broadcast(c)
      yield* Fiber.joinAll(fibers)
      expect(woke).toBe(20_000)
      yield* nothingLeft(mu, c)
    })
  )
})

/**
 * Lost wake-ups. Effect's run loop may yield before evaluating any effect
 * once a fiber's op budget (`MaxOpsBeforeYield`) is spent: in `wait`, between
 * joining the queue, unlocking the mutex and parking, so that a signal can
 * come before the fiber parks. Every budget from 3 to 40 (1 and 2 livelock
 * Effect itself) puts that yield at every point of the operations; a hang
 * becomes a failure through the timeout.
 */
describe("Cond: no lost wake-ups under any op budget", () => {
  it.live("a bounded queue of 2: 2 producers and 2 consumers, signal and broadcast", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make()
        const notEmpty = yield* Cond.make(mu)
        const notFull = yield* Cond.make(mu)
        const queue: Array<number> = []
        let taken = 0
        const put = (n: number) =>
          Effect.andThen(
            Mutex.withLock(mu)(
              Effect.andThen(
                Cond.waitUntil(notFull, () => queue.length < 2),
                Effect.sync(() => queue.push(n))
              )
            ),
            n % 2 === 0 ? Cond.signal(notEmpty) : Cond.broadcast(notEmpty)
          )
        const take = Effect.andThen(
          Mutex.withLock(mu)(
            Effect.andThen(
              Cond.waitUntil(notEmpty, () => queue.length > 0),
              Effect.sync(() => {
                queue.shift()
                taken++
              })
            )
          ),
          Cond.signal(notFull)
        )
        const fibers = yield* Effect.forEach([put, put], (p) =>
          Effect.forkChild(
            Effect.suspend(() => {
              let i = 0
              return loop(
                50,
                Effect.suspend(() => p(i++))
              )
            })
          )
        )
        const consumers = yield* Effect.forEach([1, 2], () => Effect.forkChild(loop(50, take)))
        yield* Fiber.joinAll([...fibers, ...consumers])
        expect(taken).toBe(100)
        expect(yield* Cond.blocked(notEmpty)).toEqual([])
        expect(yield* Cond.blocked(notFull)).toEqual([])
      })
    )
  )

  it.live("waiters interrupted while signals fly: the signals reach the others", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make()
        const c = yield* Cond.make(mu)
        let tokens = 0
        const consume = Mutex.withLock(mu)(
          Effect.andThen(
            Cond.waitUntil(c, () => tokens > 0),
            Effect.sync(() => {
              tokens--
            })
          )
        )
        for (let round = 0; round < 20; round++) {
          const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(consume))
          yield* loop(round % 3, Effect.yieldNow)
          yield* Mutex.withLock(mu)(Effect.sync(() => (tokens += 2)))
          yield* Effect.sync(() => waiters[round % 3]!.interruptUnsafe())
          yield* Cond.signal(c)
          yield* Cond.signal(c)
          yield* loop(round % 4, Effect.yieldNow)
          // Whatever the interrupted waiter did, the two tokens are taken
          // by the others; the third waiter then needs one more.
          yield* Mutex.withLock(mu)(Effect.sync(() => tokens++))
          yield* Cond.broadcast(c)
          yield* Fiber.joinAll(waiters.filter((_, i) => i !== round % 3))
          yield* Fiber.await(waiters[round % 3]!)
        }
        expect(yield* Cond.blocked(c)).toEqual([])
        expect(yield* Mutex.isLocked(mu)).toBe(false)
      })
    )
  )
})

describe("Cond: signatures and values", () => {
  it.effect("types: no operation has a typed error", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      expectTypeOf(Cond.make(mu)).toEqualTypeOf<Effect.Effect<Cond.Cond>>()
      expectTypeOf(Cond.make(mu, { name: "ready" })).toEqualTypeOf<Effect.Effect<Cond.Cond>>()
      expectTypeOf(Cond.makeUnsafe(mu)).toEqualTypeOf<Cond.Cond>()
      expectTypeOf(Cond.wait(c)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Cond.signal(c)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Cond.broadcast(c)).toEqualTypeOf<Effect.Effect<void>>()
      // waitUntil: see "types: E and R come from an Effect predicate, none from a function".
    })
  )

  it.effect("a Cond is Inspectable: toJSON shows its mutex and the waiter count, String and inspect format it", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      const mutex = (locked: boolean, waiters = 0) => ({ _id: "Mutex", name: undefined, locked, waiters })
      expect(c.toJSON()).toEqual({ _id: "Cond", name: "ready", mutex: mutex(false), waiters: 0 })
      const awake: Array<number> = []
      const fibers = yield* Effect.forEach([1, 2], (id) => waiter(c, awake, id))
      yield* settle
      expect(c.toJSON()).toEqual({ _id: "Cond", name: "ready", mutex: mutex(false), waiters: 2 })
      expect(String(c)).toBe(
        '{"_id":"Cond","name":"ready","mutex":{"_id":"Mutex","name":undefined,"locked":false,"waiters":0},"waiters":2}'
      )
      expect(inspect(c)).toContain("_id: 'Cond'")
      yield* Mutex.lock(mu)
      yield* Cond.broadcast(c)
      // Woken, they wait for the mutex now.
      expect(c.toJSON()).toEqual({ _id: "Cond", name: "ready", mutex: mutex(true, 2), waiters: 0 })
      yield* Mutex.unlock(mu)
      yield* Fiber.joinAll(fibers)
      expect(awake).toEqual([1, 2])
      yield* nothingLeft(mu, c)
    })
  )

  it.effect("a Cond is Pipeable", () =>
    Effect.gen(function* () {
      const { mu, c } = yield* setup
      yield* c.pipe(Cond.signal)
      yield* c.pipe(Cond.broadcast)
      let ready = false
      const fiber = yield* Effect.forkChild(Mutex.withLock(mu)(c.pipe(Cond.waitUntil(() => ready))))
      yield* settle
      expect((yield* c.pipe(Cond.blocked)).length).toBe(1)
      yield* Mutex.withLock(mu)(Effect.sync(() => (ready = true)))
      yield* c.pipe(Cond.signal)
      yield* Fiber.join(fiber)
      yield* nothingLeft(mu, c)
    })
  )
})

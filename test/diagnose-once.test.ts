/**
 * Once and SingleFlight as the blocked-fiber dump and the deadlock detector
 * see them (internal API: `diagnose`, `snapshot`, `stuckAmong`): the
 * waiters wait for the fiber that runs the initializer or the flight.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import { snapshot } from "../src/internal/analysis.ts"
import type { Diagnosable } from "../src/internal/registry.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"
import { diagnosis, holders, ids, parkedOn, stuck, wakers } from "./utils/diagnosis.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

type AnyFiber = Fiber.Fiber<unknown, unknown>

describe("Once: diagnosis", () => {
  it.effect("the dump shows the runner and the callers waiting for it; the runner disappears when done", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "once-dump" })
      const gate = yield* Latch.make()
      const runner = yield* Effect.forkChild(Once.do(once, gate.await))
      yield* settle
      const waiter = yield* Effect.forkChild(Once.do(once, Effect.void))
      yield* settle
      expect(parkedOn(snapshot(), "once-dump")).toEqual([{ fiber: waiter.id, op: "do" }])
      expect(holders(once)).toEqual([{ fiber: runner.id, role: "runs the initializer" }])
      expect(diagnosis(once).state).toEqual({ state: "running" })
      expect(wakers(once)).toEqual([`AllOf(${runner.id})`])
      // The runner waits on a Latch, not on a primitive: it may go on.
      expect(stuck().size).toBe(0)
      yield* gate.open
      yield* Fiber.joinAll([runner, waiter])
      expect(holders(once)).toEqual([])
      expect(diagnosis(once).state).toEqual({ state: "done" })
    })
  )

  it.effect("an interrupted runner passes the turn: the next caller becomes the runner", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "once-turn" })
      const gate = yield* Latch.make()
      const first = yield* Effect.forkChild(Once.do(once, gate.await))
      yield* settle
      const second = yield* Effect.forkChild(Once.do(once, gate.await))
      yield* settle
      const third = yield* Effect.forkChild(Once.do(once, gate.await))
      yield* settle
      yield* Fiber.interrupt(first)
      yield* settle
      expect(holders(once)).toEqual([{ fiber: second.id, role: "runs the initializer" }])
      expect(parkedOn(snapshot(), "once-turn")).toEqual([{ fiber: third.id, op: "do" }])
      expect(wakers(once)).toEqual([`AllOf(${second.id})`])
      yield* gate.open
      yield* Fiber.joinAll([second, third])
      expect(holders(once)).toEqual([])
    })
  )

  it.effect("Once.func and Once.value show their own op", () =>
    Effect.gen(function* () {
      const gate = yield* Latch.make()
      const init = Once.value(Effect.as(gate.await, 1), { name: "once-value" })
      const runner = yield* Effect.forkChild(init)
      yield* settle
      const waiter = yield* Effect.forkChild(init)
      yield* settle
      expect(parkedOn(snapshot(), "once-value")).toEqual([{ fiber: waiter.id, op: "value" }])
      yield* gate.open
      expect(yield* Fiber.joinAll([runner, waiter])).toEqual([1, 1])
    })
  )

  it.effect("an initializer that waits (Mutex) for a child that calls the same Once is stuck with it", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "once-mutex" })
      const mu = yield* Mutex.make({ name: "once-mutex-lock" })
      let child: AnyFiber | undefined
      const initializer = Effect.gen(function* () {
        // The child takes the lock, then calls the Once the initializer runs.
        child = yield* Effect.forkChild(Mutex.withLock(mu)(Once.do(once, Effect.void)))
        yield* settle
        yield* Mutex.lock(mu)
      })
      const runner = yield* Effect.forkChild(Once.do(once, initializer))
      // The initializer settles too before it locks.
      yield* settle
      yield* settle
      expect(parkedOn(snapshot(), "once-mutex")).toEqual([{ fiber: child!.id, op: "do" }])
      expect(holders(once)).toEqual([{ fiber: runner.id, role: "runs the initializer" }])
      expect(parkedOn(snapshot(), "once-mutex-lock")).toEqual([{ fiber: runner.id, op: "lock" }])
      expect(ids(stuck())).toEqual(ids([runner, child!]))
      yield* Fiber.interrupt(runner)
    })
  )

  it.effect(
    "a Once initializer waiting on its own Once through a forked child that the initializer waits for with an effect-go primitive",
    () =>
      Effect.gen(function* () {
        const once = yield* Once.make({ name: "once-waitgroup" })
        let child: AnyFiber | undefined
        // Go: once.Do(func() { wg.Go(func() { once.Do(f) }); wg.Wait() }).
        const initializer = Effect.scoped(
          Effect.gen(function* () {
            const wg = yield* WaitGroup.make({ name: "once-waitgroup-wg" })
            child = yield* WaitGroup.go(wg, Once.do(once, Effect.void))
            yield* WaitGroup.wait(wg)
          })
        )
        const runner = yield* Effect.forkChild(Once.do(once, initializer))
        yield* settle
        expect(parkedOn(snapshot(), "once-waitgroup")).toEqual([{ fiber: child!.id, op: "do" }])
        expect(parkedOn(snapshot(), "once-waitgroup-wg")).toEqual([{ fiber: runner.id, op: "wait" }])
        expect(ids(stuck())).toEqual(ids([runner, child!]))
        yield* Fiber.interrupt(runner)
      })
  )

  it.effect("an initializer that waits for its child on a Chan is not proved stuck (anyone may send)", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "once-chan" })
      const done = yield* Chan.make<void>()
      let child: AnyFiber | undefined
      const initializer = Effect.gen(function* () {
        child = yield* Effect.forkChild(Effect.andThen(Once.do(once, Effect.void), Chan.send(done, undefined)))
        yield* Chan.recv(done)
      })
      const runner = yield* Effect.forkChild(Once.do(once, initializer))
      yield* settle
      expect(parkedOn(snapshot(), "once-chan")).toEqual([{ fiber: child!.id, op: "do" }])
      expect(stuck().size).toBe(0)
      yield* Fiber.interrupt(runner)
    })
  )

  it.effect("a runner that sleeps on the clock is not stuck", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "once-sleeper" })
      const runner = yield* Effect.forkChild(Once.do(once, Effect.sleep("1 second")))
      yield* settle
      const waiter = yield* Effect.forkChild(Once.do(once, Effect.void))
      yield* settle
      expect(parkedOn(snapshot(), "once-sleeper")).toEqual([{ fiber: waiter.id, op: "do" }])
      expect(stuck().size).toBe(0)
      yield* TestClock.adjust("1 second")
      yield* Fiber.joinAll([runner, waiter])
      expect(holders(once)).toEqual([])
    })
  )
})

describe("SingleFlight: diagnosis", () => {
  it.effect("the dump shows the callers and the flight's fiber for each key; the flight disappears when done", () =>
    Effect.gen(function* () {
      const sf = yield* SingleFlight.make<number, never, unknown>({ name: "sf-dump" })
      const gate = yield* Latch.make()
      const a1 = yield* Effect.forkChild(SingleFlight.do(sf, "user:1", Effect.as(gate.await, 1)))
      const a2 = yield* Effect.forkChild(SingleFlight.do(sf, "user:1", Effect.as(gate.await, 1)))
      const b = yield* Effect.forkChild(SingleFlight.do(sf, { id: 2 }, Effect.as(gate.await, 2)))
      yield* settle
      expect(parkedOn(snapshot(), "sf-dump")).toEqual([
        { fiber: a1.id, op: "do(user:1)" },
        { fiber: a2.id, op: "do(user:1)" },
        { fiber: b.id, op: "do" }
      ])
      const [flightA, flightB] = diagnosis(sf).holders
      expect(flightA?.role).toBe('runs the flight for key "user:1"')
      expect(flightB?.role).toBe('runs the flight for key {"id":2}')
      expect(wakers(sf)).toEqual([`AllOf(${flightA!.fiber.id})`, `AllOf(${flightB!.fiber.id})`])
      expect(diagnosis(sf).state).toEqual({ flights: 2 })
      // Every flight's list enrolls the one group, once, and counts its callers in one role.
      expect(snapshot().primitives.filter((p) => p.diagnosis.name === "sf-dump").length).toBe(1)
      expect((sf as unknown as Diagnosable).heldRecord?.waiting()).toEqual({ do: 3 })
      expect(stuck().size).toBe(0)
      yield* gate.open
      yield* Fiber.joinAll([a1, a2, b])
      expect(holders(sf)).toEqual([])
      expect(diagnosis(sf).state).toEqual({ flights: 0 })
      expect((sf as unknown as Diagnosable).heldRecord?.waiting()).toEqual({ do: 0 })
    })
  )

  it.effect("a long key is cut short in the holder's role", () =>
    Effect.gen(function* () {
      const sf = yield* SingleFlight.make<void>({ name: "sf-long-key" })
      const key = "x".repeat(100)
      const caller = yield* Effect.forkChild(SingleFlight.do(sf, key, Effect.never))
      yield* settle
      const [flight] = diagnosis(sf).holders
      expect(flight?.role).toBe(`runs the flight for key "${"x".repeat(38)}…`)
      yield* Fiber.interrupt(caller)
      yield* settle
      expect(holders(sf)).toEqual([])
    })
  )

  it.effect("a flight that waits for the lock its caller holds is stuck with the caller", () =>
    Effect.gen(function* () {
      const sf = yield* SingleFlight.make<void>({ name: "sf-mutex" })
      const mu = yield* Mutex.make({ name: "sf-mutex-lock" })
      const caller = yield* Effect.forkChild(
        Mutex.withLock(mu)(SingleFlight.do(sf, "k", Mutex.withLock(mu)(Effect.void)))
      )
      yield* settle
      const [flight] = diagnosis(sf).holders
      expect(parkedOn(snapshot(), "sf-mutex")).toEqual([{ fiber: caller.id, op: "do(k)" }])
      expect(parkedOn(snapshot(), "sf-mutex-lock")).toEqual([{ fiber: flight!.fiber.id, op: "lock" }])
      expect(ids(stuck())).toEqual(ids([caller, flight!.fiber]))
      yield* Fiber.interrupt(caller)
    })
  )

  it.effect("a flight that sleeps on the clock is not stuck", () =>
    Effect.gen(function* () {
      const sf = yield* SingleFlight.make<number>({ name: "sf-sleeper" })
      const caller = yield* Effect.forkChild(SingleFlight.do(sf, "k", Effect.as(Effect.sleep("1 second"), 7)))
      yield* settle
      expect(parkedOn(snapshot(), "sf-sleeper")).toEqual([{ fiber: caller.id, op: "do(k)" }])
      expect(stuck().size).toBe(0)
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(caller)).value).toBe(7)
      expect(holders(sf)).toEqual([])
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Cond from "../src/Cond.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Select from "../src/Select.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"
import { inversion } from "./utils/shapes.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

/** Lets forked fibers run until they park. */
const settle = Effect.yieldNow.pipe(Effect.repeat({ times: 20 }), Effect.asVoid)

/** The dump entries of the primitive named `name`. */
const entry = (dump: Diagnostics.Dump, name: string) => dump.primitives.find((p) => p.name === name)

/** The deadlocks that involve a fiber in `fibers` (other tests' fibers may be blocked too). */
const deadlocksOf = (
  found: ReadonlyArray<Diagnostics.Deadlock>,
  fibers: ReadonlyArray<Fiber.Fiber<unknown, unknown>>
) => found.filter((d) => d.fibers.some((f) => fibers.some((fiber) => fiber.id === f.fiber.id)))

describe("Diagnostics.dump", () => {
  it.effect("shows every blocked fiber by primitive, with the holder in the way", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "accounts" })
      const jobs = yield* Chan.make<number>(0, { name: "jobs" })
      const holder = yield* Effect.forkChild(
        Effect.never.pipe(Mutex.withLock(mu), Effect.annotateLogs("fiber", "holder"))
      )
      yield* settle
      const waiter = yield* Effect.forkChild(Mutex.lock(mu).pipe(Effect.withSpan("audit")))
      const receiver = yield* Effect.forkChild(Chan.recv(jobs))
      yield* settle
      yield* TestClock.adjust("1500 millis")
      const dump = yield* Diagnostics.dump

      const accounts = entry(dump, "accounts")!
      expect(accounts.kind).toBe("Mutex")
      expect(accounts.state).toMatchObject({ locked: true })
      expect(accounts.heldBy).toStrictEqual([{ fiber: { id: holder.id, name: "holder" }, role: "holds the lock" }])
      expect(accounts.blocked).toStrictEqual([
        { fiber: { id: waiter.id, name: "audit" }, op: "lock", since: 0, waited: 1500 }
      ])
      const chan = entry(dump, "jobs")!
      expect(chan.kind).toBe("Chan")
      expect(chan.state).toStrictEqual({ capacity: 0, len: 0, closed: false })
      expect(chan.blocked.map((b) => [b.fiber.id, b.op])).toStrictEqual([[receiver.id, "recv"]])

      const text = Diagnostics.format(dump)
      expect(text).toContain(`Mutex "accounts" (locked)`)
      expect(text).toContain(`  held by fiber #${holder.id} "holder": holds the lock`)
      expect(text).toContain(`  fiber #${waiter.id} "audit": lock, blocked 1.5s`)
      expect(text).toContain(`Chan "jobs" (capacity 0, len 0)`)
      expect(JSON.parse(JSON.stringify(dump))).toEqual(dump)

      const graph = Diagnostics.toMermaid(dump)
      expect(graph.split("\n")[0]).toBe("flowchart LR")
      expect(graph).toContain(`f${waiter.id} -- "lock" -->`)
      expect(graph).toMatch(new RegExp(`p\\d+ -\\. "holds the lock" \\.-> f${holder.id}`))

      yield* Fiber.interruptAll([holder, waiter, receiver])
      const after = yield* Diagnostics.dump
      expect(entry(after, "accounts")).toBeUndefined()
      expect(entry(after, "jobs")).toBeUndefined()
    })
  )

  it.effect("agrees with the per-primitive blocked functions", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>(0, { name: "agree" })
      const fibers = yield* Effect.forEach([1, 2, 3], (i) =>
        Effect.forkChild(i === 3 ? Chan.send(ch, i) : Chan.recv(ch))
      )
      yield* settle
      // A send to a channel with receivers waiting completes: one receiver left.
      const dump = yield* Diagnostics.dump
      const own = yield* Chan.blocked(ch)
      const seen = entry(dump, "agree")!.blocked
      expect(seen.map((b) => ({ fiberId: b.fiber.id, op: b.op, since: b.since }))).toStrictEqual(
        own.map((b) => ({ fiberId: b.fiberId, op: b.op, since: b.since }))
      )
      yield* Fiber.interruptAll(fibers)
    })
  )

  it.effect("shows a select with its cases", () =>
    Effect.gen(function* () {
      const a = yield* Chan.make<number>(0, { name: "in" })
      const b = yield* Chan.make<number>(0, { name: "out" })
      const fiber = yield* Effect.forkChild(
        Select.select(
          Select.recv(a, () => Effect.void),
          Select.send(b, 1, () => Effect.void),
          Select.after("1 hour", () => Effect.void)
        )
      )
      yield* settle
      const dump = yield* Diagnostics.dump
      expect(entry(dump, "in")!.blocked[0]!.op).toBe(`select [recv "in" | send "out" | after]`)
      expect(entry(dump, "out")!.blocked[0]!.fiber.id).toBe(fiber.id)
      yield* Fiber.interrupt(fiber)
    })
  )
})

describe("Diagnostics.findDeadlocks", () => {
  it.effect("finds a lock-order inversion between two mutexes, as a cycle", () =>
    Effect.gen(function* () {
      const { ab, ba } = yield* inversion
      const found = deadlocksOf(yield* Diagnostics.findDeadlocks, [ab, ba])
      expect(found).toHaveLength(1)
      const deadlock = found[0]!
      expect(deadlock.kind).toBe("cycle")
      expect(deadlock.fibers.map((f) => f.fiber.id).sort()).toStrictEqual([ab.id, ba.id].sort())
      expect(deadlock.cycle!.map((f) => f.id).sort()).toStrictEqual([ab.id, ba.id].sort())
      const text = Diagnostics.formatDeadlock(deadlock)
      expect(text).toContain("effect-go: deadlock! 2 fibers can never be woken (a wait-for cycle)")
      expect(text).toContain(`fiber #${ab.id} "transfer a→b": lock on Mutex "b", waits for #${ba.id}`)
      expect(text).toContain(`fiber #${ba.id} "transfer b→a": lock on Mutex "a", waits for #${ab.id}`)
      expect(Diagnostics.toMermaid(deadlock)).toContain(`class f`)
      yield* Fiber.interruptAll([ab, ba])
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, [ab, ba])).toHaveLength(0)
    })
  )

  it.effect("failDeadlocked fails the fibers with DeadlockError and their locks are released", () =>
    Effect.gen(function* () {
      const { a, b, ab, ba } = yield* inversion
      const [deadlock] = deadlocksOf(yield* Diagnostics.findDeadlocks, [ab, ba])
      expect(yield* Diagnostics.failDeadlocked(deadlock!)).toBe(2)
      const exits = [yield* Fiber.await(ab), yield* Fiber.await(ba)]
      for (const exit of exits) {
        expect(Exit.isFailure(exit)).toBe(true)
        const defect = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
        expect(defect).toBeInstanceOf(Diagnostics.DeadlockError)
        expect((defect as Diagnostics.DeadlockError).message).toContain("a wait-for cycle")
      }
      expect(yield* Mutex.isLocked(a)).toBe(false)
      expect(yield* Mutex.isLocked(b)).toBe(false)
      expect(yield* Mutex.blocked(a)).toHaveLength(0)
      // Failing it twice does nothing.
      expect(yield* Diagnostics.failDeadlocked(deadlock!)).toBe(0)
    })
  )

  it.effect("a mutex held by a fiber that is running, sleeping or awaiting a Deferred is no deadlock", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "busy" })
      const gate = yield* Deferred.make<void>()
      const sleeper = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sleep("1 hour")))
      yield* settle
      const waiter = yield* Effect.forkChild(Mutex.withLock(mu)(Deferred.await(gate)))
      const waiter2 = yield* Effect.forkChild(Mutex.lock(mu))
      yield* settle
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, [sleeper, waiter, waiter2])).toHaveLength(0)
      yield* TestClock.adjust("1 hour")
      yield* settle
      // Now `waiter` holds it and awaits the Deferred: still no deadlock.
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, [sleeper, waiter, waiter2])).toHaveLength(0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(waiter)
      yield* Fiber.join(waiter2)
      yield* Mutex.unlock(mu)
    })
  )

  it.effect("a region whose fibers all wait on a channel nobody will use is asleep", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make({ name: "range" })
      const results = yield* Chan.make<number>(0, { name: "results" })
      // Go: for r := range results {...}, and nobody closes results.
      const consumer = yield* Effect.forkChild(Chan.forEach(results, () => Effect.void)).pipe(
        FiberMonitor.track(monitor)
      )
      yield* settle
      const found = deadlocksOf(yield* Diagnostics.findDeadlocks, [consumer])
      expect(found).toHaveLength(1)
      expect(found[0]!.kind).toBe("asleep")
      expect(found[0]!.region).toBe("range")
      expect(Diagnostics.formatDeadlock(found[0]!)).toContain(`all fibers of region "range" are asleep`)
      yield* Fiber.interrupt(consumer)
    })
  )

  it.effect("a region with a fiber sleeping on the (Test)Clock or a select timeout is not asleep", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make({ name: "timers" })
      const ch = yield* Chan.make<number>(0, { name: "late" })
      const fibers = yield* Effect.all([
        Effect.forkChild(Chan.recv(ch)),
        Effect.forkChild(Effect.andThen(Effect.sleep("1 hour"), Chan.send(ch, 1)))
      ]).pipe(FiberMonitor.track(monitor))
      const timeout = yield* Effect.forkChild(
        Select.select(
          Select.recv(ch, () => Effect.void),
          Select.after("1 hour", () => Effect.void)
        )
      ).pipe(FiberMonitor.track(FiberMonitor.make({ name: "select timeout" })))
      yield* settle
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, [...fibers, timeout])).toHaveLength(0)
      yield* TestClock.adjust("1 hour")
      yield* Fiber.joinAll(fibers)
      yield* Fiber.join(timeout)
    })
  )

  it.effect("a region with a fiber awaiting an external Deferred is not asleep", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make({ name: "external" })
      const ch = yield* Chan.make<number>(0, { name: "fed" })
      const external = yield* Deferred.make<number>()
      const fibers = yield* Effect.all([
        Effect.forkChild(Chan.recv(ch)),
        Effect.forkChild(Effect.flatMap(Deferred.await(external), (n) => Chan.send(ch, n)))
      ]).pipe(FiberMonitor.track(monitor))
      yield* settle
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, fibers)).toHaveLength(0)
      yield* Deferred.succeed(external, 7)
      expect(yield* Fiber.join(fibers[0]!)).toStrictEqual(Option.some(7))
    })
  )

  it.live("a region with a fiber awaiting an HTTP response from 127.0.0.1 is not asleep", () =>
    Effect.gen(function* () {
      const http = yield* Effect.promise(() => import("node:http"))
      let respond: (() => void) | undefined
      const server = http.createServer((_req, res) => {
        respond = () => res.end("ok")
      })
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)))
      const port = (server.address() as { port: number }).port
      const monitor = FiberMonitor.make({ name: "http" })
      const ch = yield* Chan.make<string>(0, { name: "responses" })
      const fibers = yield* Effect.all([
        Effect.forkChild(Chan.recv(ch)),
        Effect.forkChild(
          Effect.flatMap(
            Effect.promise(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())),
            (body) => Chan.send(ch, body)
          )
        )
      ]).pipe(FiberMonitor.track(monitor))
      while (respond === undefined) yield* Effect.sleep("5 millis")
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, fibers)).toHaveLength(0)
      respond()
      expect(yield* Fiber.join(fibers[0]!)).toStrictEqual(Option.some("ok"))
      yield* Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
    })
  )
})

describe("Diagnostics.findDeadlocks: one test per shape", () => {
  /** The one deadlock involving `fibers`, of the given kind. */
  const theDeadlock = (kind: Diagnostics.Deadlock["kind"], fibers: ReadonlyArray<Fiber.Fiber<unknown, unknown>>) =>
    Effect.map(Diagnostics.findDeadlocks, (found) => {
      const mine = deadlocksOf(found, fibers)
      expect(mine.map((d) => d.kind)).toStrictEqual([kind])
      return mine[0]!
    })

  it.effect("the seed's RLock under Lock (String() under the write lock)", () =>
    Effect.gen(function* () {
      const mu = yield* RWMutex.make({ name: "Customer.mu" })
      const fiber = yield* Effect.forkChild(RWMutex.withLock(mu)(RWMutex.withRLock(mu)(Effect.void)))
      yield* settle
      const deadlock = yield* theDeadlock("cycle", [fiber])
      expect(deadlock.fibers.map((f) => f.waitsOn[0]!.op)).toStrictEqual(["rLock"])
      expect(deadlock.cycle!.map((f) => f.id)).toStrictEqual([fiber.id])
      yield* Fiber.interrupt(fiber)
      expect(yield* RWMutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("a forgotten done: the region's only fiber waits on a count nobody will take", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "wg" })
      yield* WaitGroup.add(wg, 1)
      const fiber = yield* Effect.forkChild(
        Effect.andThen(Effect.sleep("10 millis"), WaitGroup.wait(wg)) // the worker forgot WaitGroup.done
      ).pipe(FiberMonitor.track(FiberMonitor.make({ name: "forgot done" })))
      yield* settle
      expect(deadlocksOf(yield* Diagnostics.findDeadlocks, [fiber])).toHaveLength(0) // still sleeping
      yield* TestClock.adjust("10 millis")
      yield* settle
      const deadlock = yield* theDeadlock("asleep", [fiber])
      expect(deadlock.region).toBe("forgot done")
      expect(deadlock.dump.primitives[0]!.state).toStrictEqual({ count: 1 })
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("a Cond wait with no signaller", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "mu" })
      const ready = yield* Cond.make(mu, { name: "ready" })
      const fiber = yield* Effect.forkChild(Mutex.withLock(mu)(Cond.wait(ready))).pipe(
        FiberMonitor.track(FiberMonitor.make({ name: "cond" }))
      )
      yield* settle
      const deadlock = yield* theDeadlock("asleep", [fiber])
      expect(deadlock.fibers[0]!.waitsOn[0]).toStrictEqual({ kind: "Cond", name: "ready", op: "wait" })
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("a Once initializer waiting on a child that calls the same Once", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "config" })
      const fiber = yield* Effect.forkChild(
        Once.do(
          once,
          Effect.scoped(
            Effect.gen(function* () {
              const wg = yield* WaitGroup.make({ name: "children" })
              yield* WaitGroup.go(wg, Once.do(once, Effect.void))
              yield* WaitGroup.wait(wg)
            })
          )
        )
      )
      yield* settle
      const deadlock = yield* theDeadlock("cycle", [fiber])
      expect(deadlock.fibers.map((f) => f.waitsOn[0]!.kind).sort()).toStrictEqual(["Once", "WaitGroup"])
      expect(deadlock.cycle).toHaveLength(2)
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("a SingleFlight recursion through a forked child", () =>
    Effect.gen(function* () {
      const flights = yield* SingleFlight.make<number>({ name: "users" })
      const load: Effect.Effect<number> = Effect.scoped(
        Effect.gen(function* () {
          const group = yield* ErrGroup.make({ name: "load" })
          // The flight's function forks a child that asks for the same key.
          yield* ErrGroup.go(group, SingleFlight.do(flights, "user:1", load))
          yield* ErrGroup.wait(group)
          return 1
        })
      )
      const fiber = yield* Effect.forkChild(SingleFlight.do(flights, "user:1", load))
      yield* settle
      const deadlock = yield* theDeadlock("cycle", [fiber])
      const kinds = new Set(deadlock.fibers.flatMap((f) => f.waitsOn.map((w) => w.kind)))
      expect([...kinds].sort()).toStrictEqual(["ErrGroup", "SingleFlight"])
      yield* Fiber.interrupt(fiber)
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as ErrGroup from "../src/ErrGroup.ts"
import { cycleIn, type Seen, type Snapshot, snapshot, stuckAmong } from "../src/internal/analysis.ts"
import type { Wakers } from "../src/internal/registry.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"
import { beforeEach } from "vitest"
import { expectDeadlocks } from "./utils/detector.ts"

// These tests make deadlocks on purpose.
beforeEach(expectDeadlocks)

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** The primitive `kind` named `name` as the snapshot shows it, if a fiber is parked on it. */
const seenOf = (snap: Snapshot, kind: string, name: string): Seen | undefined =>
  snap.primitives.find((seen) => seen.diagnosis.kind === kind && seen.diagnosis.name === name)

/** Its parked fibers: fiber id, what it does, and who can wake it (fibers as sorted ids). */
const parked = (seen: Seen) =>
  seen.blocked.map((b) => ({ fiber: b.fiber.id, op: b.node.describe(), wakers: shown(b.queue.wakers) }))

const ids = (fibers: ReadonlyArray<AnyFiber>): Array<number> => fibers.map((f) => f.id).sort((a, b) => a - b)

const shown = (wakers: Wakers) =>
  wakers._tag === "AllOf" || wakers._tag === "OneOf" ? { _tag: wakers._tag, fibers: ids(wakers.fibers) } : wakers

/** The holders: fiber id and role, by fiber id. */
const holders = (seen: Seen) =>
  seen.diagnosis.holders.map((h) => ({ fiber: h.fiber.id, role: h.role })).sort((a, b) => a.fiber - b.fiber)

/** The ids of the parked fibers that can never be woken, "anyone" acting or not (the all-asleep rule). */
const stuckIds = (anyoneActs: boolean): Array<number> => {
  const snap = snapshot()
  return ids([...stuckAmong(snap, snap.fibers.keys(), () => anyoneActs)])
}

const currentFiber: Effect.Effect<AnyFiber> = Effect.withFiber((fiber) => Effect.succeed(fiber))

describe("WaitGroup in the blocked-fiber dump", () => {
  it.effect("a wait shows with its op, the running tasks as holders; an ended task leaves", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "dump" })
      const gate1 = yield* Deferred.make<void>()
      const gate2 = yield* Deferred.make<void>()
      const t1 = yield* WaitGroup.go(wg, Deferred.await(gate1))
      const t2 = yield* WaitGroup.go(wg, Deferred.await(gate2))
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle

      const seen = seenOf(snapshot(), "WaitGroup", "dump")!
      expect(seen.diagnosis.state).toEqual({ count: 2 })
      expect(parked(seen)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: ids([t1, t2]) } }])
      expect(holders(seen)).toEqual(ids([t1, t2]).map((fiber) => ({ fiber, role: "task" })))

      yield* Deferred.succeed(gate1, undefined)
      yield* settle
      const after = seenOf(snapshot(), "WaitGroup", "dump")!
      expect(after.diagnosis.state).toEqual({ count: 1 })
      expect(holders(after)).toEqual([{ fiber: t2.id, role: "task" }])
      expect(parked(after)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: [t2.id] } }])

      yield* Deferred.succeed(gate2, undefined)
      yield* Fiber.join(waiter)
      expect(seenOf(snapshot(), "WaitGroup", "dump")).toBeUndefined()
    })
  )

  it.effect("deadlock: a fiber waits for a task that waits for a lock the fiber holds", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "cycle" })
      const mu = yield* Mutex.make({ name: "mu" })
      let task: AnyFiber | undefined
      const main = yield* Effect.forkChild(
        Mutex.withLock(
          Effect.gen(function* () {
            task = yield* WaitGroup.go(wg, Mutex.withLock(Effect.void, mu))
            yield* WaitGroup.wait(wg)
          }),
          mu
        )
      )
      yield* settle
      expect(stuckIds(true)).toEqual(ids([main, task!]))
      const snap = snapshot()
      const cycle = cycleIn(
        snap,
        stuckAmong(snap, snap.fibers.keys(), () => true)
      )!
      expect(ids(cycle.map((edge) => edge.from))).toEqual(ids([main, task!]))
      // Interrupting the fiber that holds the lock lets the task finish.
      yield* Fiber.interrupt(main)
      yield* Fiber.await(task!)
      expect(stuckIds(false)).toEqual([])
    })
  )

  it.effect("not a deadlock: the task is sleeping on the clock", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "sleepy" })
      const task = yield* WaitGroup.go(wg, Effect.sleep("1 second"))
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      const seen = seenOf(snapshot(), "WaitGroup", "sleepy")!
      expect(parked(seen)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: [task.id] } }])
      expect(stuckIds(true)).toEqual([])
      expect(stuckIds(false)).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(waiter)
    })
  )

  it.effect("a count added by hand: any fiber may count it done (a forgotten done only when all are asleep)", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "manual" })
      yield* WaitGroup.add(wg, 1)
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      const seen = seenOf(snapshot(), "WaitGroup", "manual")!
      expect(parked(seen)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "Anyone" } }])
      expect(holders(seen)).toEqual([])
      expect(stuckIds(true)).toEqual([])
      expect(stuckIds(false)).toEqual([waiter.id])

      // A task as well: the count is not its tasks alone.
      const gate = yield* Deferred.make<void>()
      const task = yield* WaitGroup.go(wg, Deferred.await(gate))
      const mixed = seenOf(snapshot(), "WaitGroup", "manual")!
      expect(mixed.diagnosis.state).toEqual({ count: 2 })
      expect(parked(mixed)[0]!.wakers).toEqual({ _tag: "Anyone" })
      expect(holders(mixed)).toEqual([{ fiber: task.id, role: "task" }])

      yield* WaitGroup.done(wg)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(waiter)
    })
  )
})

describe("ErrGroup in the blocked-fiber dump", () => {
  it.effect("a wait shows with its op, the running tasks as holders; an ended task leaves", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "dump" })
      const gate1 = yield* Deferred.make<void>()
      const gate2 = yield* Deferred.make<void>()
      const t1 = yield* ErrGroup.go(g, Deferred.await(gate1))
      const t2 = yield* ErrGroup.go(g, Deferred.await(gate2))
      const waiter = yield* Effect.forkChild(ErrGroup.wait(g))
      yield* settle

      const seen = seenOf(snapshot(), "ErrGroup", "dump")!
      expect(seen.diagnosis.state).toEqual({ active: 2, limit: -1, cancelled: false })
      expect(parked(seen)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: ids([t1, t2]) } }])
      expect(holders(seen)).toEqual(ids([t1, t2]).map((fiber) => ({ fiber, role: "task" })))

      yield* Deferred.succeed(gate1, undefined)
      yield* settle
      const after = seenOf(snapshot(), "ErrGroup", "dump")!
      expect(after.diagnosis.state).toEqual({ active: 1, limit: -1, cancelled: false })
      expect(holders(after)).toEqual([{ fiber: t2.id, role: "task" }])

      yield* Deferred.succeed(gate2, undefined)
      yield* Fiber.join(waiter)
      expect(seenOf(snapshot(), "ErrGroup", "dump")).toBeUndefined()
    })
  )

  it.effect("a go waiting for a slot: any one of the running tasks can free it", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "slots", limit: 1 })
      const gate = yield* Deferred.make<void>()
      const t1 = yield* ErrGroup.go(g, Deferred.await(gate))
      const starter = yield* Effect.forkChild(ErrGroup.go(g, Effect.void))
      yield* settle
      const seen = seenOf(snapshot(), "ErrGroup", "slots")!
      expect(seen.diagnosis.state).toEqual({ active: 1, limit: 1, cancelled: false })
      expect(parked(seen)).toEqual([{ fiber: starter.id, op: "go", wakers: { _tag: "OneOf", fibers: [t1.id] } }])
      expect(stuckIds(true)).toEqual([])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(starter)
      yield* ErrGroup.wait(g)
      expect(seenOf(snapshot(), "ErrGroup", "slots")).toBeUndefined()
    })
  )

  it.effect("deadlock: a task starts another in a full group and waits for its own slot", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "self", limit: 1 })
      const task = yield* ErrGroup.go(g, ErrGroup.go(g, Effect.void))
      yield* settle
      const seen = seenOf(snapshot(), "ErrGroup", "self")!
      expect(parked(seen)).toEqual([{ fiber: task.id, op: "go", wakers: { _tag: "OneOf", fibers: [task.id] } }])
      expect(holders(seen)).toEqual([{ fiber: task.id, role: "task" }])
      expect(stuckIds(true)).toEqual([task.id])
      yield* Fiber.interrupt(task)
    })
  )

  it.effect("deadlock: a fiber waits for a task that waits for a lock the fiber holds", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "cycle" })
      const mu = yield* Mutex.make({ name: "mu" })
      let task: AnyFiber | undefined
      const main = yield* Effect.forkChild(
        Mutex.withLock(
          Effect.gen(function* () {
            task = yield* ErrGroup.go(g, Mutex.withLock(Effect.void, mu))
            yield* ErrGroup.wait(g)
          }),
          mu
        )
      )
      yield* settle
      expect(stuckIds(true)).toEqual(ids([main, task!]))
      yield* Fiber.interrupt(main)
      yield* Fiber.await(task!)
      expect(stuckIds(false)).toEqual([])
    })
  )

  it.effect("not a deadlock: a paused group (limit 0) waits for a setLimit from any fiber", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "paused", limit: 0 })
      const starter = yield* Effect.forkChild(ErrGroup.go(g, Effect.void))
      yield* settle
      const seen = seenOf(snapshot(), "ErrGroup", "paused")!
      expect(parked(seen)).toEqual([{ fiber: starter.id, op: "go", wakers: { _tag: "Anyone" } }])
      expect(stuckIds(true)).toEqual([])
      yield* ErrGroup.setLimit(g, 1)
      yield* Fiber.join(starter)
      yield* ErrGroup.wait(g)
    })
  )

  it.effect("not a deadlock: the task is sleeping on the clock", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make({ name: "sleepy", limit: 1 })
      const task = yield* ErrGroup.go(g, Effect.sleep("1 second"))
      const starter = yield* Effect.forkChild(ErrGroup.go(g, Effect.void))
      const waiter = yield* Effect.forkChild(ErrGroup.wait(g))
      yield* settle
      const seen = seenOf(snapshot(), "ErrGroup", "sleepy")!
      expect(parked(seen)).toEqual([
        { fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: [task.id] } },
        { fiber: starter.id, op: "go", wakers: { _tag: "OneOf", fibers: [task.id] } }
      ])
      expect(stuckIds(true)).toEqual([])
      expect(stuckIds(false)).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(starter)
      yield* Fiber.join(waiter)
    })
  )
})

describe("WorkerPool in the blocked-fiber dump", () => {
  /** A pool whose jobs are effects: it runs each job as given. */
  const pool = (name: string, workers: number, queue: number) =>
    WorkerPool.make({ name, workers, queue, process: (job: Effect.Effect<void>) => job })

  it.effect("joins show the worker running the job, or nobody while it is queued; a finished job's worker leaves", () =>
    Effect.gen(function* () {
      const p = yield* pool("dump", 1, 1)
      const gate1 = yield* Deferred.make<void>()
      const gate2 = yield* Deferred.make<void>()
      let worker: AnyFiber | undefined
      const job1 = yield* WorkerPool.submit(
        p,
        Effect.andThen(
          Effect.map(currentFiber, (f) => {
            worker = f
          }),
          Deferred.await(gate1)
        )
      )
      yield* settle
      const job2 = yield* WorkerPool.submit(p, Deferred.await(gate2))
      const joiner1 = yield* Effect.forkChild(WorkerPool.join(job1))
      const joiner2 = yield* Effect.forkChild(WorkerPool.join(job2))
      yield* settle

      const seen = seenOf(snapshot(), "WorkerPool", "dump")!
      expect(seen.diagnosis.state).toEqual({ workers: 1, running: 1, queued: 1, closed: false })
      expect(parked(seen)).toEqual([
        { fiber: joiner1.id, op: "join", wakers: { _tag: "AllOf", fibers: [worker!.id] } },
        { fiber: joiner2.id, op: "join", wakers: { _tag: "Anyone" } }
      ])
      expect(holders(seen)).toEqual([{ fiber: worker!.id, role: "runs job" }])

      // The worker takes the queued job: its joiner now waits for that worker.
      yield* Deferred.succeed(gate1, undefined)
      yield* Fiber.join(joiner1)
      yield* settle
      const next = seenOf(snapshot(), "WorkerPool", "dump")!
      expect(parked(next)).toEqual([{ fiber: joiner2.id, op: "join", wakers: { _tag: "AllOf", fibers: [worker!.id] } }])

      yield* Deferred.succeed(gate2, undefined)
      yield* Fiber.join(joiner2)
      // A wait: every worker must end, and nothing runs a job any more.
      const waiter = yield* Effect.forkChild(WorkerPool.wait(p))
      yield* settle
      const idle = seenOf(snapshot(), "WorkerPool", "dump")!
      expect(parked(idle)).toEqual([{ fiber: waiter.id, op: "wait", wakers: { _tag: "AllOf", fibers: [worker!.id] } }])
      expect(holders(idle)).toEqual([])
      // The idle worker waits for a job from anyone: only the all-asleep rule
      // finds the wait without a close.
      expect(stuckIds(true)).toEqual([])
      expect(stuckIds(false)).toEqual(ids([waiter, worker!]))
      yield* WorkerPool.close(p)
      yield* Fiber.join(waiter)
      expect(seenOf(snapshot(), "WorkerPool", "dump")).toBeUndefined()
    })
  )

  it.effect("deadlock: a fiber runs a job that waits for a lock the fiber holds", () =>
    Effect.gen(function* () {
      const p = yield* pool("cycle", 1, 0)
      const mu = yield* Mutex.make({ name: "mu" })
      let worker: AnyFiber | undefined
      const job = Effect.andThen(
        Effect.map(currentFiber, (f) => {
          worker = f
        }),
        Mutex.withLock(Effect.void, mu)
      )
      const main = yield* Effect.forkChild(Mutex.withLock(WorkerPool.run(p, job), mu))
      yield* settle
      const seen = seenOf(snapshot(), "WorkerPool", "cycle")!
      expect(parked(seen)).toEqual([{ fiber: main.id, op: "join", wakers: { _tag: "AllOf", fibers: [worker!.id] } }])
      expect(stuckIds(true)).toEqual(ids([main, worker!]))
      // Interrupting the fiber cancels the job (the worker is interrupted, and replaced).
      yield* Fiber.interrupt(main)
      yield* settle
      expect(stuckIds(true)).toEqual([])
      expect(seenOf(snapshot(), "WorkerPool", "cycle")).toBeUndefined()
    })
  )

  it.effect("not a deadlock: the job is sleeping on the clock", () =>
    Effect.gen(function* () {
      const p = yield* pool("sleepy", 1, 0)
      const joiner = yield* Effect.forkChild(WorkerPool.run(p, Effect.sleep("1 second")))
      yield* settle
      expect(parked(seenOf(snapshot(), "WorkerPool", "sleepy")!)[0]!.op).toBe("join")
      expect(stuckIds(true)).toEqual([])
      expect(stuckIds(false)).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(joiner)
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as Tracer from "effect/Tracer"
import * as Chan from "../src/Chan.ts"
import * as Cond from "../src/Cond.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import * as Telemetry from "../src/Telemetry.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { defectOf } from "./utils/exits.ts"
import { it } from "./utils/leak.ts"
import { parkedReceives, recordingTracer } from "./utils/telemetry.ts"

/** The wait-time series with these attributes (kind, name, operation), if any. */
const waitSeries = (kind: string, name: string | undefined, operation: string) =>
  Effect.map(Metric.snapshot, (all) =>
    all.find(
      (m): m is Extract<Metric.Metric.Snapshot, { type: "Histogram" }> =>
        m.id === Telemetry.waitDuration &&
        m.type === "Histogram" &&
        m.attributes?.[Telemetry.attributes.kind] === kind &&
        m.attributes?.[Telemetry.attributes.name] === name &&
        m.attributes?.[Telemetry.attributes.operation] === operation
    )
  )

describe("Telemetry: the wait-time histogram", () => {
  it.effect("records each parked receive once, with its Clock wait, under the channel's kind, name and role", () =>
    Effect.gen(function* () {
      yield* parkedReceives("jobs", 1000)
      const series = yield* waitSeries("Chan", "jobs", "recv")
      expect(series?.state.count).toBe(1000)
      expect(series?.state.sum).toBeCloseTo(1, 9)
      expect(series?.state.min).toBeCloseTo(0.001, 12)
      expect(series?.state.max).toBeCloseTo(0.001, 12)
      // The 1 ms waits fall in the 1 ms bucket and every one above it.
      const bucket = series?.state.buckets.find(([boundary]) => boundary === 0.001)
      expect(bucket?.[1]).toBe(1000)
      // The sender never parked (its receiver was always waiting): no series.
      expect(yield* waitSeries("Chan", "jobs", "send")).toBeUndefined()
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("records nothing without the layer", () =>
    Effect.gen(function* () {
      yield* parkedReceives("jobs-untraced", 50)
      expect(yield* waitSeries("Chan", "jobs-untraced", "recv")).toBeUndefined()
    })
  )

  it.effect("records nothing once the layer's scope has closed", () =>
    Effect.gen(function* () {
      yield* Effect.scoped(Layer.build(Telemetry.layer()))
      yield* parkedReceives("jobs-after", 20)
      expect(yield* waitSeries("Chan", "jobs-after", "recv")).toBeUndefined()
    })
  )

  it.effect(
    "aggregates unnamed primitives under their kind; locks, permits, groups and selects have their series",
    () =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make({ name: "accounts" })
        yield* Mutex.lock(mu)
        const lockers = yield* Effect.forkChild(
          Effect.all([Mutex.withLock(mu)(Effect.void), Mutex.withLock(mu)(Effect.void)], { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("5 millis")
        yield* Mutex.unlock(mu)
        yield* Fiber.join(lockers)
        const locks = yield* waitSeries("Mutex", "accounts", "lock")
        expect(locks?.state.count).toBe(2)
        expect(locks?.state.min).toBeCloseTo(0.005, 12)

        const sem = yield* Semaphore.make(2)
        yield* Semaphore.acquire(sem, 2)
        const acquirer = yield* Effect.forkChild(Semaphore.acquire(sem, 2))
        yield* TestClock.adjust("3 millis")
        yield* Semaphore.release(sem, 2)
        yield* Fiber.join(acquirer)
        const acquires = yield* waitSeries("Semaphore", undefined, "acquire")
        expect(acquires?.state.count).toBeGreaterThanOrEqual(1)
        expect(acquires?.state.max).toBeGreaterThanOrEqual(0.003)

        const wg = yield* WaitGroup.make({ name: "batch" })
        yield* WaitGroup.go(wg, Effect.sleep("7 millis"))
        const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
        yield* TestClock.adjust("7 millis")
        yield* Fiber.join(waiter)
        const waits = yield* waitSeries("WaitGroup", "batch", "wait")
        expect(waits?.state.count).toBe(1)
        expect(waits?.state.sum).toBeCloseTo(0.007, 12)

        const a = yield* Chan.make<number>(0)
        const b = yield* Chan.make<number>(0)
        const selecting = yield* Effect.forkChild(
          Select.select(
            Select.recv(a, () => Effect.void),
            Select.recv(b, () => Effect.void)
          )
        )
        yield* TestClock.adjust("2 millis")
        yield* Chan.send(b, 1)
        yield* Fiber.join(selecting)
        const selects = yield* waitSeries("Select", undefined, "select")
        expect(selects?.state.count).toBeGreaterThanOrEqual(1)
        expect(selects?.state.max).toBeGreaterThanOrEqual(0.002)
      }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("an interrupted wait records nothing", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>(0, { name: "abandoned" })
      const receiver = yield* Effect.forkChild(Chan.recv(ch))
      yield* TestClock.adjust("4 millis")
      yield* Fiber.interrupt(receiver)
      expect(yield* waitSeries("Chan", "abandoned", "recv")).toBeUndefined()
    }).pipe(Effect.provide(Telemetry.layer()))
  )
})

describe("Telemetry: wait spans", () => {
  it.effect("a wait over the threshold is a span, child of the waiting fiber's span, with the wait's times", () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      yield* Effect.gen(function* () {
        const ch = yield* Chan.make<string>(0, { name: "replies" })
        const consumer = yield* Effect.forkChild(Chan.recv(ch).pipe(Effect.withSpan("consumer")))
        const quick = yield* Effect.forkChild(Chan.recv(ch).pipe(Effect.withSpan("quick consumer")))
        yield* TestClock.adjust("5 millis")
        yield* Chan.send(ch, "early") // the first receiver: waited 5 ms, under the threshold
        yield* TestClock.adjust("20 millis")
        yield* Chan.send(ch, "late") // the second: waited 25 ms
        yield* Fiber.join(consumer)
        yield* Fiber.join(quick)
      }).pipe(Effect.provideService(Tracer.Tracer, tracer))
      const waitSpans = spans.filter((s) => s.name === "Chan.recv")
      expect(waitSpans).toHaveLength(1)
      const wait = waitSpans[0]!
      const parent = Option.getOrUndefined(wait.parent)
      expect(parent?._tag === "Span" ? parent.name : undefined).toBe("quick consumer")
      expect(Object.fromEntries(wait.attributes)).toStrictEqual({
        [Telemetry.attributes.kind]: "Chan",
        [Telemetry.attributes.name]: "replies",
        [Telemetry.attributes.operation]: "recv"
      })
      expect(wait.status._tag).toBe("Ended")
      if (wait.status._tag === "Ended") expect(wait.status.endTime - wait.status.startTime).toBe(25_000_000n)
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: "10 millis" })))
  )

  it.effect("spanThreshold: false makes no span", () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      yield* Effect.gen(function* () {
        const mu = yield* Mutex.make({ name: "slow" })
        yield* Mutex.lock(mu)
        const locker = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.void))
        yield* TestClock.adjust("1 second")
        yield* Mutex.unlock(mu)
        yield* Fiber.join(locker)
      }).pipe(Effect.provideService(Tracer.Tracer, tracer))
      expect(spans.filter((s) => s.name === "Mutex.lock")).toHaveLength(0)
      expect((yield* waitSeries("Mutex", "slow", "lock"))?.state.count).toBe(1)
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )
})

describe("Telemetry.layer: bad options", () => {
  it.effect("are a defect naming the option", () =>
    Effect.gen(function* () {
      for (const options of [
        { spanThreshold: "soon" },
        { spanThreshold: -1 },
        { spanThreshold: true },
        "10 millis"
      ] as const) {
        const exit = yield* Effect.exit(
          Effect.void.pipe(Effect.provide(Telemetry.layer(options as unknown as Telemetry.LayerOptions)))
        )
        expect(Exit.isFailure(exit)).toBe(true)
        const defect = defectOf(exit)
        expect(defect).toBeInstanceOf(InvalidArgumentError)
        expect(String((defect as Error).message)).toContain("Telemetry.layer")
      }
    })
  )
})

/** The series of metric `id` with these attributes (kind, name, and an extra attribute), if any. */
const seriesOf = (id: string, kind: string, name: string | undefined, extra?: readonly [string, string]) =>
  Effect.map(Metric.snapshot, (all) =>
    all.find(
      (m) =>
        m.id === id &&
        m.attributes?.[Telemetry.attributes.kind] === kind &&
        m.attributes?.[Telemetry.attributes.name] === name &&
        (extra === undefined || m.attributes?.[extra[0]] === extra[1])
    )
  )

/** A counter's count, or a gauge's value, or undefined when there is no such series. */
const numberOf = (id: string, kind: string, name: string | undefined, extra?: readonly [string, string]) =>
  Effect.map(seriesOf(id, kind, name, extra), (m) =>
    m === undefined
      ? undefined
      : m.type === "Counter"
        ? Number(m.state.count)
        : m.type === "Gauge"
          ? Number(m.state.value)
          : m.type === "Histogram"
            ? m.state.count
            : undefined
  )

const I = Telemetry.instruments
const outcome = (o: string) => [Telemetry.attributes.outcome, o] as const
const operation = (o: string) => [Telemetry.attributes.operation, o] as const

describe("Telemetry: gauges, read from the primitives when metrics are read", () => {
  it.effect("channel length, capacity and waiting fibers; lock holders; permits in use; running tasks", () =>
    Effect.gen(function* () {
      const jobs = yield* Chan.make<number>(4, { name: "queue" })
      const replies = yield* Chan.make<number>(0, { name: "replies" })
      const mu = yield* Mutex.make({ name: "state" })
      const sem = yield* Semaphore.make(5, { name: "conns" })
      const wg = yield* WaitGroup.make({ name: "work" })
      yield* Effect.yieldNow // gauges are set up once the primitives are fully built
      yield* Chan.send(jobs, 1)
      yield* Chan.send(jobs, 2)
      yield* Chan.send(jobs, 3)
      const receivers = yield* Effect.forkChild(
        Effect.all([Chan.recv(replies), Chan.recv(replies)], { concurrency: 2 })
      )
      yield* Mutex.lock(mu)
      yield* Semaphore.acquire(sem, 3)
      yield* WaitGroup.go(wg, Effect.sleep("1 second"))
      yield* WaitGroup.go(wg, Effect.sleep("1 second"))
      yield* Effect.yieldNow
      expect(yield* numberOf(I.chanLength.id, "Chan", "queue")).toBe(3)
      expect(yield* numberOf(I.chanCapacity.id, "Chan", "queue")).toBe(4)
      expect(yield* numberOf(I.waiting.id, "Chan", "replies", operation("recv"))).toBe(2)
      expect(yield* numberOf(I.waiting.id, "Chan", "replies", operation("send"))).toBe(0)
      expect(yield* numberOf(I.holders.id, "Mutex", "state")).toBe(1)
      expect(yield* numberOf(I.permitsUsed.id, "Semaphore", "conns")).toBe(3)
      expect(yield* numberOf(I.running.id, "WaitGroup", "work")).toBe(2)
      // The values follow the state.
      yield* Chan.recv(jobs)
      yield* Chan.send(replies, 1)
      yield* Mutex.unlock(mu)
      yield* Semaphore.release(sem, 3)
      yield* TestClock.adjust("1 second")
      yield* WaitGroup.wait(wg)
      expect(yield* numberOf(I.chanLength.id, "Chan", "queue")).toBe(2)
      expect(yield* numberOf(I.waiting.id, "Chan", "replies", operation("recv"))).toBe(1)
      expect(yield* numberOf(I.holders.id, "Mutex", "state")).toBe(0)
      expect(yield* numberOf(I.permitsUsed.id, "Semaphore", "conns")).toBe(0)
      expect(yield* numberOf(I.running.id, "WaitGroup", "work")).toBe(0)
      yield* Chan.send(replies, 2)
      yield* Fiber.join(receivers)
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("a WorkerPool's queue depth and busy workers", () =>
    Effect.gen(function* () {
      const pool = yield* WorkerPool.make({
        workers: 2,
        queue: 10,
        name: "resize",
        process: (n: number) => Effect.sleep(`${n} millis`)
      })
      yield* Effect.yieldNow
      for (let i = 0; i < 5; i++) yield* WorkerPool.submit(pool, 10)
      yield* Effect.yieldNow
      expect(yield* numberOf(I.running.id, "WorkerPool", "resize")).toBe(2)
      expect(yield* numberOf(I.queued.id, "WorkerPool", "resize")).toBe(3)
      yield* TestClock.adjust("30 millis")
      expect(yield* numberOf(I.running.id, "WorkerPool", "resize")).toBe(0)
      expect(yield* numberOf(I.queued.id, "WorkerPool", "resize")).toBe(0)
      // Each job ran 10 ms, and succeeded.
      expect(yield* numberOf(I.tasks.id, "WorkerPool", "resize", outcome("success"))).toBe(5)
      const durations = yield* seriesOf(I.taskDuration.id, "WorkerPool", "resize", outcome("success"))
      expect(durations?.type === "Histogram" ? durations.state.sum : undefined).toBeCloseTo(0.05, 9)
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )
})

describe("Telemetry: counters", () => {
  it.effect("three Mutex starvation switches in a scripted scenario", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "hot" })
      for (let i = 0; i < 3; i++) {
        yield* Mutex.lock(mu)
        const waiter = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.void))
        yield* Effect.yieldNow // the waiter parks
        yield* TestClock.adjust("2 millis") // past Go's 1 ms starvation threshold
        yield* Mutex.unlock(mu) // the waiter gets its turn, to be taken when this fiber stops...
        yield* Mutex.lock(mu) // ...but this fiber barges in first
        yield* Effect.yieldNow // the waiter loses its turn, after 2 ms: starvation mode
        yield* Mutex.unlock(mu) // in starvation mode the lock is handed to the waiter
        yield* Fiber.join(waiter) // the last waiter leaves starvation mode
      }
      expect(yield* numberOf(I.starvation.id, "Mutex", "hot")).toBe(3)
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("select wins by how: ready, default, parked, timeout", () =>
    Effect.gen(function* () {
      const ready = yield* Chan.make<number>(1)
      const idle = yield* Chan.make<number>(0)
      yield* Chan.send(ready, 1)
      yield* Select.select(Select.recv(ready, () => Effect.void))
      yield* Select.select(
        Select.recv(idle, () => Effect.void),
        Select.otherwise(() => Effect.void)
      )
      const parked = yield* Effect.forkChild(Select.select(Select.recv(idle, () => Effect.void)))
      yield* Effect.yieldNow
      yield* Chan.send(idle, 2)
      yield* Fiber.join(parked)
      const timing = yield* Effect.forkChild(
        Select.select(
          Select.recv(idle, () => Effect.void),
          Select.after("1 second", () => Effect.void)
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(timing)
      for (const how of ["ready", "default", "parked", "timeout"]) {
        expect(yield* numberOf(I.selects.id, "Select", undefined, outcome(how)), how).toBe(1)
      }
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("group tasks by outcome, with their run times", () =>
    Effect.gen(function* () {
      const group = yield* ErrGroup.make<string>({ name: "fetch" })
      yield* ErrGroup.go(group, Effect.sleep("5 millis"))
      yield* ErrGroup.go(group, Effect.andThen(Effect.sleep("10 millis"), Effect.fail("boom")))
      yield* ErrGroup.go(group, Effect.sleep("1 hour"))
      yield* TestClock.adjust("10 millis")
      expect(yield* Effect.flip(ErrGroup.wait(group))).toBe("boom")
      expect(yield* numberOf(I.tasks.id, "ErrGroup", "fetch", outcome("success"))).toBe(1)
      expect(yield* numberOf(I.tasks.id, "ErrGroup", "fetch", outcome("failure"))).toBe(1)
      expect(yield* numberOf(I.tasks.id, "ErrGroup", "fetch", outcome("interrupted"))).toBe(1)
      const failed = yield* seriesOf(I.taskDuration.id, "ErrGroup", "fetch", outcome("failure"))
      expect(failed?.type === "Histogram" ? failed.state.sum : undefined).toBeCloseTo(0.01, 9)
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("SingleFlight leaders and shared calls; GoContext cancellations by cause", () =>
    Effect.gen(function* () {
      const flights = yield* SingleFlight.make<string>({ name: "users" })
      const calls = yield* Effect.forkChild(
        Effect.all(
          [1, 2, 3].map(() => SingleFlight.do(flights, "ann", Effect.as(Effect.sleep("5 millis"), "Ann"))),
          { concurrency: "unbounded" }
        )
      )
      yield* Effect.yieldNow
      yield* TestClock.adjust("5 millis")
      yield* Fiber.join(calls)
      expect(yield* numberOf(I.flights.id, "SingleFlight", "users", outcome("leader"))).toBe(1)
      expect(yield* numberOf(I.flights.id, "SingleFlight", "users", outcome("shared"))).toBe(2)

      const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
      yield* GoContext.withCancel(parent)
      yield* GoContext.withTimeout(GoContext.background, "1 second")
      yield* cancel
      yield* TestClock.adjust("1 second")
      expect(yield* numberOf(I.cancellations.id, "GoContext", undefined, outcome("cancel"))).toBe(1)
      expect(yield* numberOf(I.cancellations.id, "GoContext", undefined, outcome("parent"))).toBe(1)
      expect(yield* numberOf(I.cancellations.id, "GoContext", undefined, outcome("deadline"))).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )
})

describe("Telemetry: task spans", () => {
  it.effect("a WorkerPool job runs in a span linked to the span it was submitted in", () =>
    Effect.gen(function* () {
      const { spans, tracer } = recordingTracer()
      yield* Effect.gen(function* () {
        const pool = yield* WorkerPool.make({ workers: 1, name: "mail", process: (_: string) => Effect.void })
        yield* WorkerPool.run(pool, "hello").pipe(Effect.withSpan("handler"))
      }).pipe(Effect.scoped, Effect.provideService(Tracer.Tracer, tracer))
      const handler = spans.find((s) => s.name === "handler")!
      const job = spans.find((s) => s.name === "WorkerPool.job")!
      expect(job.links.map((l) => l.span.spanId)).toStrictEqual([handler.spanId])
      expect(Object.fromEntries(job.attributes)).toMatchObject({
        [Telemetry.attributes.kind]: "WorkerPool",
        [Telemetry.attributes.name]: "mail"
      })
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )
})

describe("Telemetry: values given back", () => {
  it.live("a receive interrupted after it took its value gives it back, and is counted", () =>
    Effect.gen(function* () {
      // Interruptions at every point of a select's receive, under small op
      // budgets: some land after the select took the value and before its
      // handler ran (the select gives the value back to the channel).
      let leftInChannel = 0
      for (let budget = 3; budget <= 12; budget++) {
        for (let shift = 0; shift < 12; shift++) {
          for (let late = 0; late < 3; late++) {
            const run = Effect.gen(function* () {
              const ch = yield* Chan.make<number>(1, { name: "inbox" })
              const receiver = yield* Effect.forkChild(
                Effect.andThen(
                  Effect.forEach(Array.from({ length: shift }), () => Effect.void, { discard: true }),
                  Select.select(
                    Select.recv(ch, () => Effect.void),
                    Select.after("1 hour")
                  )
                )
              )
              yield* Effect.yieldNow
              yield* Chan.trySend(ch, 7)
              for (let i = 0; i < late; i++) yield* Effect.yieldNow
              yield* Effect.sync(() => receiver.interruptUnsafe())
              yield* Fiber.await(receiver)
              if ((yield* Chan.tryRecv(ch))._tag === "Received") leftInChannel++
            }).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, budget))
            yield* run
          }
        }
      }
      const givenBack = (yield* numberOf(I.givenBack.id, "Chan", "inbox")) ?? 0
      expect(givenBack).toBeGreaterThan(0)
      // A value given back is one the receiver did not keep: it is still in the channel.
      expect(givenBack).toBeLessThanOrEqual(leftInChannel)
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )
})

describe("Telemetry: the per-primitive option", () => {
  /** Every series a channel named `name` may feed: its waits and its gauges. */
  const chanSeries = (name: string) =>
    Effect.all([
      waitSeries("Chan", name, "recv"),
      seriesOf(I.chanLength.id, "Chan", name),
      seriesOf(I.chanCapacity.id, "Chan", name),
      seriesOf(I.waiting.id, "Chan", name, operation("recv")),
      seriesOf(I.waiting.id, "Chan", name, operation("send"))
    ])

  it.effect("telemetry: false: a channel records nothing under the layer; one without the option does", () =>
    Effect.gen(function* () {
      const quiet = yield* parkedReceives({ name: "quiet", telemetry: false }, 20)
      const loud = yield* parkedReceives({ name: "loud" }, 20)
      yield* Effect.yieldNow
      expect(yield* chanSeries("quiet")).toStrictEqual([undefined, undefined, undefined, undefined, undefined])
      expect((yield* waitSeries("Chan", "loud", "recv"))?.state.count).toBe(20)
      expect(yield* numberOf(I.chanCapacity.id, "Chan", "loud")).toBe(0)
      expect(yield* numberOf(I.waiting.id, "Chan", "loud", operation("recv"))).toBe(0)
      // Both channels are alive while the series are read.
      expect([quiet.name, loud.name]).toStrictEqual(["quiet", "loud"])
    }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("telemetry: false on a WaitGroup or an ErrGroup: no task counts under the layer", () =>
    Effect.gen(function* () {
      for (const [name, telemetry] of [
        ["quiet-batch", false],
        ["loud-batch", undefined]
      ] as const) {
        const wg = yield* WaitGroup.make({ name, telemetry })
        const group = yield* ErrGroup.make({ name, telemetry })
        yield* WaitGroup.go(wg, Effect.sleep("1 millis"))
        yield* WaitGroup.go(wg, Effect.sleep("2 millis"))
        yield* ErrGroup.go(group, Effect.sleep("1 millis"))
        const waiting = yield* Effect.forkChild(Effect.all([WaitGroup.wait(wg), ErrGroup.wait(group)]))
        yield* TestClock.adjust("2 millis")
        yield* Fiber.join(waiting)
      }
      expect(yield* numberOf(I.tasks.id, "WaitGroup", "quiet-batch", outcome("success"))).toBeUndefined()
      expect(yield* numberOf(I.tasks.id, "ErrGroup", "quiet-batch", outcome("success"))).toBeUndefined()
      expect(yield* seriesOf(I.taskDuration.id, "WaitGroup", "quiet-batch", outcome("success"))).toBeUndefined()
      expect(yield* seriesOf(I.running.id, "WaitGroup", "quiet-batch")).toBeUndefined()
      expect(yield* seriesOf(I.running.id, "ErrGroup", "quiet-batch")).toBeUndefined()
      expect(yield* waitSeries("WaitGroup", "quiet-batch", "wait")).toBeUndefined()
      expect(yield* numberOf(I.tasks.id, "WaitGroup", "loud-batch", outcome("success"))).toBe(2)
      expect(yield* numberOf(I.tasks.id, "ErrGroup", "loud-batch", outcome("success"))).toBe(1)
      expect(yield* numberOf(I.running.id, "WaitGroup", "loud-batch")).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  it.effect("telemetry: false on a WorkerPool silences its job channel too", () =>
    Effect.gen(function* () {
      const pool = yield* WorkerPool.make({
        workers: 1,
        name: "quiet-pool",
        telemetry: false,
        process: (n: number) => Effect.sleep(`${n} millis`)
      })
      // The second submit parks on the job channel until the worker is free.
      const submits = yield* Effect.forkChild(
        Effect.all([WorkerPool.run(pool, 1), WorkerPool.run(pool, 1)], { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("2 millis")
      yield* Fiber.join(submits)
      expect(yield* numberOf(I.tasks.id, "WorkerPool", "quiet-pool", outcome("success"))).toBeUndefined()
      expect(yield* seriesOf(I.queued.id, "WorkerPool", "quiet-pool")).toBeUndefined()
      expect(yield* chanSeries("quiet-pool")).toStrictEqual([undefined, undefined, undefined, undefined, undefined])
      expect(yield* seriesOf(I.waitDuration.id, "Chan", "quiet-pool")).toBeUndefined()
    }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  /** Whether any series (a wait, an event, a gauge) carries this kind and name. */
  const anySeries = (kind: string, name: string) =>
    Effect.map(Metric.snapshot, (all) =>
      all.some(
        (m) => m.attributes?.[Telemetry.attributes.kind] === kind && m.attributes?.[Telemetry.attributes.name] === name
      )
    )

  it.effect(
    "telemetry: false on an RWMutex, a Semaphore, a Once, a Cond or a SingleFlight: nothing under the layer",
    () =>
      Effect.gen(function* () {
        for (const [name, telemetry] of [
          ["quiet-one", false],
          ["loud-one", undefined]
        ] as const) {
          const options = { name, telemetry }
          // In each, a fiber waits 1 ms for another.
          const rw = yield* RWMutex.make(options)
          yield* RWMutex.lock(rw)
          const reader = yield* Effect.forkChild(RWMutex.withRLock(rw)(Effect.void))
          yield* TestClock.adjust("1 millis")
          yield* RWMutex.unlock(rw)
          yield* Fiber.join(reader)

          const sem = yield* Semaphore.make(1, options)
          yield* Semaphore.acquire(sem, 1)
          const acquirer = yield* Effect.forkChild(Semaphore.withPermits(sem, 1)(Effect.void))
          yield* TestClock.adjust("1 millis")
          yield* Semaphore.release(sem, 1)
          yield* Fiber.join(acquirer)

          const once = yield* Once.make(options)
          const runs = yield* Effect.forkChild(
            Effect.all([Once.do(once, Effect.sleep("1 millis")), Once.do(once, Effect.sleep("1 millis"))], {
              concurrency: "unbounded"
            })
          )
          yield* TestClock.adjust("1 millis")
          yield* Fiber.join(runs)

          const mu = yield* Mutex.make()
          const cond = yield* Cond.make(mu, options)
          const waiter = yield* Effect.forkChild(Mutex.withLock(mu)(Cond.wait(cond)))
          yield* TestClock.adjust("1 millis")
          yield* Cond.signal(cond)
          yield* Fiber.join(waiter)

          const flights = yield* SingleFlight.make<number>(options)
          const calls = yield* Effect.forkChild(
            Effect.all(
              [1, 2].map(() => SingleFlight.do(flights, "k", Effect.as(Effect.sleep("1 millis"), 1))),
              { concurrency: "unbounded" }
            )
          )
          yield* TestClock.adjust("1 millis")
          yield* Fiber.join(calls)
        }
        for (const kind of ["RWMutex", "Semaphore", "Once", "Cond", "SingleFlight"]) {
          expect(yield* anySeries(kind, "quiet-one"), kind).toBe(false)
          expect(yield* anySeries(kind, "loud-one"), kind).toBe(true)
        }
        expect((yield* waitSeries("Cond", "loud-one", "wait"))?.state.count).toBe(1)
        expect((yield* waitSeries("Once", "loud-one", "do"))?.state.count).toBe(1)
      }).pipe(Effect.scoped, Effect.provide(Telemetry.layer({ spanThreshold: false })))
  )

  /** Two lockers wait 5 ms behind this fiber on `mu`; the holders gauge read while it holds the lock. */
  const contended = (mu: Mutex.Mutex) =>
    Effect.gen(function* () {
      yield* Effect.yieldNow // gauges are set up once the mutex is fully built
      yield* Mutex.lock(mu)
      const lockers = yield* Effect.forkChild(
        Effect.all([Mutex.withLock(mu)(Effect.void), Mutex.withLock(mu)(Effect.void)], { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("5 millis")
      const held = yield* numberOf(I.holders.id, "Mutex", mu.name)
      yield* Mutex.unlock(mu)
      yield* Fiber.join(lockers)
      return held
    })

  it.effect("telemetry: true records a Mutex outside any layer; one without the option records nothing", () =>
    Effect.gen(function* () {
      const plain = yield* Mutex.make({ name: "unwatched" })
      expect(yield* contended(plain)).toBeUndefined()
      expect(yield* waitSeries("Mutex", "unwatched", "lock")).toBeUndefined()

      // This opens the telemetry gate for good: that option is the last one tried without a layer.
      const watched = yield* Mutex.make({ name: "watched", telemetry: true })
      expect(yield* contended(watched)).toBe(1)
      const locks = yield* waitSeries("Mutex", "watched", "lock")
      expect(locks?.state.count).toBe(2)
      expect(locks?.state.min).toBeCloseTo(0.005, 12)
      expect(yield* numberOf(I.holders.id, "Mutex", "watched")).toBe(0)

      // Without the option, a Mutex still records nothing outside a layer.
      const other = yield* Mutex.make({ name: "unwatched-too" })
      expect(yield* contended(other)).toBeUndefined()
      expect(yield* waitSeries("Mutex", "unwatched-too", "lock")).toBeUndefined()
    })
  )

  it.effect("a telemetry option that is not a boolean is a defect naming the option", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      for (const bad of ["yes", 1, null] as const) {
        const options = { telemetry: bad } as unknown as { readonly telemetry?: boolean }
        const makes: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, Scope.Scope>]> = [
          ["Chan.make", Chan.make(0, options)],
          ["Chan.fromIterable", Chan.fromIterable([1], options)],
          ["Mutex.make", Mutex.make(options)],
          ["RWMutex.make", RWMutex.make(options)],
          ["Semaphore.make", Semaphore.make(1, options)],
          ["WaitGroup.make", WaitGroup.make(options)],
          ["ErrGroup.make", ErrGroup.make(options)],
          ["ErrGroup.forEach", ErrGroup.forEach([1], () => Effect.void, options)],
          ["Once.make", Once.make(options)],
          ["Once.func", Once.func(Effect.void, options)],
          ["Cond.make", Cond.make(mu, options)],
          ["SingleFlight.make", SingleFlight.make(options)]
        ]
        for (const [op, make] of makes) {
          const defect = defectOf(yield* Effect.exit(Effect.scoped(make)))
          expect(defect, op).toBeInstanceOf(InvalidArgumentError)
          expect((defect as Error).message, op).toMatch(
            new RegExp(`^${op.replace(".", "\\.")}: expected a boolean \\(the \`telemetry\` option\\), got `)
          )
        }
        const unsafe: ReadonlyArray<readonly [string, () => unknown]> = [
          ["Chan.makeUnsafe", () => Chan.makeUnsafe(0, options)],
          ["Mutex.makeUnsafe", () => Mutex.makeUnsafe(options)],
          ["RWMutex.makeUnsafe", () => RWMutex.makeUnsafe(options)],
          ["Semaphore.makeUnsafe", () => Semaphore.makeUnsafe(1, options)],
          ["Once.makeUnsafe", () => Once.makeUnsafe(options)],
          ["Cond.makeUnsafe", () => Cond.makeUnsafe(mu, options)]
        ]
        for (const [op, make] of unsafe) {
          expect(make, op).toThrow(InvalidArgumentError)
          expect(make, op).toThrow(`${op}: expected a boolean (the \`telemetry\` option), got `)
        }
        // WorkerPool reports its bad options with its own error, as for failFast.
        const pool = defectOf(
          yield* Effect.exit(
            Effect.scoped(WorkerPool.make({ workers: 1, process: (_: number) => Effect.void, ...options }))
          )
        )
        expect(pool).toBeInstanceOf(WorkerPool.InvalidPoolOptionError)
        expect(pool).toMatchObject({ option: "telemetry", value: bad })
      }
      const described = defectOf(yield* Effect.exit(Mutex.make({ telemetry: "yes" } as unknown as Mutex.MutexOptions)))
      expect((described as Error).message).toBe(
        'Mutex.make: expected a boolean (the `telemetry` option), got the string "yes"'
      )
      const pool = defectOf(
        yield* Effect.exit(
          Effect.scoped(
            WorkerPool.make({ workers: 1, process: (_: number) => Effect.void, telemetry: 1 as unknown as boolean })
          )
        )
      )
      expect((pool as Error).message).toBe("worker pool: telemetry must be a boolean or undefined, got 1")
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import * as Tracer from "effect/Tracer"
import * as Chan from "../src/Chan.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as Telemetry from "../src/Telemetry.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { defectOf } from "./utils/exits.ts"
import { it } from "./utils/leak.ts"

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

/** `n` receives that each park 1 ms (TestClock) on an unbuffered channel named `name`. */
const parkedReceives = (name: string, n: number) =>
  Effect.gen(function* () {
    const ch = yield* Chan.make<number>(0, { name })
    const sender = yield* Effect.forkChild(
      Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) => Effect.andThen(Effect.sleep("1 millis"), Chan.send(ch, i))
      )
    )
    const receiver = yield* Effect.forkChild(Effect.forEach(Array.from({ length: n }), () => Chan.recv(ch)))
    for (let i = 0; i < n; i++) yield* TestClock.adjust("1 millis")
    yield* Fiber.join(receiver)
    yield* Fiber.join(sender)
  })

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
  /** A tracer that keeps every span it makes. */
  const recording = () => {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    return { spans, tracer }
  }

  it.effect("a wait over the threshold is a span, child of the waiting fiber's span, with the wait's times", () =>
    Effect.gen(function* () {
      const { spans, tracer } = recording()
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
      const { spans, tracer } = recording()
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

import { describe, expect } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as Timer from "../src/Timer.ts"
import { arm, type Deadline, type DeadlineQueue, disarm, queueState } from "../src/internal/deadlines.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

/** A deadline that records when (on the Clock) and how it ended. */
class Probe implements Deadline {
  at = 0
  index = -1
  seq = 0
  queue: DeadlineQueue | undefined = undefined
  readonly name: number
  readonly log: Array<string>
  readonly now: () => number
  constructor(name: number, log: Array<string>, now: () => number) {
    this.name = name
    this.log = log
    this.now = now
  }
  expire(): void {
    this.log.push(`${this.name}@${this.now()}`)
  }
  lost(): void {
    this.log.push(`${this.name} lost`)
  }
}

/** A deterministic pseudo-random sequence (LCG). */
const pseudoRandom = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

const state = Effect.withFiber((fiber) => Effect.succeed(queueState(fiber)))

describe("deadline timers: one sleeper per Clock over a heap", () => {
  it.effect(
    "deadlines armed in any order, some disarmed, expire each at its time, in deadline order (ties in arming order)",
    () =>
      Effect.gen(function* () {
        const random = pseudoRandom(7)
        const log: Array<string> = []
        let now = 0
        const probes: Array<Probe> = []
        const expected: Array<[number, number]> = []
        yield* Effect.withFiber((fiber) => {
          for (let i = 0; i < 200; i++) {
            const at = 1 + Math.floor(random() * 100)
            const probe = new Probe(i, log, () => now)
            probes.push(probe)
            arm(probe, at, fiber)
          }
          // Disarmed from anywhere in the heap: every third one.
          for (let i = 0; i < probes.length; i += 3) disarm(probes[i]!)
          for (let i = 0; i < probes.length; i++) if (i % 3 !== 0) expected.push([probes[i]!.at, i])
          return Effect.void
        })
        expect((yield* state).armed).toBe(expected.length)
        expected.sort((a, b) => a[0] - b[0] || a[1] - b[1])
        for (let t = 1; t <= 100; t++) {
          now = t
          yield* TestClock.adjust(1)
        }
        // In deadline order, and equal deadlines in the order they were armed.
        expect(log).toEqual(expected.map(([at, i]) => `${i}@${at}`))
        expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
      })
  )

  it.effect("one TestClock adjustment past several deadlines expires each, at its own time", () =>
    Effect.gen(function* () {
      const contexts = yield* Effect.forEach([5000, 1000, 3000], (ms) =>
        Effect.map(GoContext.withTimeout(GoContext.background, ms), ([ctx]) => ctx)
      )
      const seen: Array<string> = []
      for (const ctx of contexts) {
        yield* GoContext.afterFunc(
          ctx,
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.sync(() => {
              seen.push(`${GoContext.deadline(ctx).pipe(Option.getOrThrow)}@${now}`)
            })
          )
        )
      }
      yield* TestClock.adjust("10 seconds")
      yield* settle
      expect(seen).toEqual(["1000@1000", "3000@3000", "5000@5000"])
    }).pipe(Effect.scoped)
  )

  it.effect("a deadline earlier than the one slept to replaces the sleeper; the last disarm ends it", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const late = new Probe(1, log, () => 0)
      const early = new Probe(2, log, () => 0)
      yield* Effect.withFiber((fiber) => Effect.sync(() => arm(late, 1000, fiber)))
      const first = (yield* state).sleeper!
      expect(first).toBeDefined()
      yield* Effect.withFiber((fiber) => Effect.sync(() => arm(early, 10, fiber)))
      const second = (yield* state).sleeper!
      expect(second).not.toBe(first)
      expect(first.pollUnsafe()).toBeDefined()
      yield* TestClock.adjust(10)
      expect(log).toEqual(["2@0"])
      // Still armed: the sleeper sleeps on to the late one.
      expect((yield* state).armed).toBe(1)
      disarm(late)
      expect(second.pollUnsafe()).toBeDefined()
      expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
    })
  )

  it.effect("a sleeper interrupted from outside tells each deadline it served that it is lost", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const probes = [new Probe(1, log, () => 0), new Probe(2, log, () => 0)]
      yield* Effect.withFiber((fiber) =>
        Effect.sync(() => {
          for (let i = 0; i < probes.length; i++) arm(probes[i]!, 100 * (i + 1), fiber)
        })
      )
      yield* Fiber.interrupt((yield* state).sleeper!)
      expect(log.sort()).toEqual(["1 lost", "2 lost"])
      expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
      // A context whose timer is lost is cancelled, as when its scope closes.
      const [ctx] = yield* GoContext.withTimeout(GoContext.background, "1 hour")
      yield* Fiber.interrupt((yield* state).sleeper!)
      expect((yield* GoContext.err(ctx))._tag).toBe("Some")
      expect(String(yield* Effect.flip(GoContext.run(ctx, Effect.void)))).toContain("context canceled")
    })
  )

  it.effect("a thousand contexts with timeouts share one sleeping fiber", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const cancels: Array<GoContext.CancelFunc> = []
      const make = (n: number) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            const [, cancel] = yield* GoContext.withTimeout(GoContext.background, 1000 + cancels.length)
            cancels.push(cancel)
          }
        })
      const live: Array<number> = []
      yield* Effect.gen(function* () {
        yield* make(1)
        // The sleeper (and what TestClock's sleep runs on).
        live.push(FiberMonitor.live(monitor))
        yield* make(999)
        live.push(FiberMonitor.live(monitor))
        for (const cancel of cancels) yield* cancel
        live.push(FiberMonitor.live(monitor))
      }).pipe(FiberMonitor.track(monitor))
      expect(live[0]).toBeGreaterThan(0)
      expect(live).toEqual([live[0], live[0], 0])
      expect(FiberMonitor.live(monitor)).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect(
    "selects with a timeout share the sleeper; one that ends by a channel, its timeout, an interruption or a failure leaves nothing armed",
    () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const waitOne = Select.select(
          Select.recv(ch, (v) => Effect.succeed(Option.getOrElse(v, () => -1))),
          Select.after("1 second", () => Effect.succeed("timeout" as const))
        )
        const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.forkChild(waitOne))
        yield* settle
        const armed = yield* state
        expect(armed.armed).toBe(100)
        expect(armed.sleeper).toBeDefined()
        // By a channel: 40 receive a value.
        for (let i = 0; i < 40; i++) yield* Chan.send(ch, i)
        yield* settle
        expect((yield* state).armed).toBe(60)
        // By an interruption: 30.
        yield* Fiber.interruptAll(fibers.slice(70))
        expect((yield* state).armed).toBe(30)
        // By the timeout: the rest.
        yield* TestClock.adjust("1 second")
        const results = yield* Fiber.joinAll(fibers.slice(0, 70))
        expect(results.filter((r) => r === "timeout")).toHaveLength(30)
        expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
        // By a failure: a send case whose channel is closed under it.
        const closing = yield* Chan.make<number>()
        const failing = yield* Effect.forkChild(
          Select.select(
            Select.send(closing, 1, () => Effect.void),
            Select.after("1 second", () => Effect.void)
          )
        )
        yield* settle
        expect((yield* state).armed).toBe(1)
        yield* Chan.close(closing)
        expect((yield* Effect.flip(Fiber.join(failing)))._tag).toBe("ChanClosedError")
        expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
      })
  )

  it.effect("timers share the sleeper; firing, stop, reset and their scope's end take them out", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const live: Array<number> = []
      yield* Effect.gen(function* () {
        const timers = yield* Effect.forEach(Array.from({ length: 1000 }), (_, i) => Timer.make(1000 + (i % 10)))
        live.push(FiberMonitor.live(monitor))
        expect((yield* state).armed).toBe(1000)
        // Stopped: 300; reset to later: 200 (still armed).
        for (const t of timers.slice(0, 300)) expect(yield* Timer.stop(t)).toBe(true)
        for (const t of timers.slice(300, 500)) expect(yield* Timer.reset(t, 5000)).toBe(true)
        expect((yield* state).armed).toBe(700)
        // Fired: the 500 left at their time, each delivering the Clock time.
        yield* TestClock.adjust(1009)
        expect((yield* state).armed).toBe(200)
        for (const t of timers.slice(500, 510))
          expect(yield* Chan.recv(t.c)).toEqual(Option.some(1000 + (timers.indexOf(t) % 10)))
        expect(yield* Timer.stop(timers[600]!)).toBe(false)
      }).pipe(Effect.scoped, FiberMonitor.track(monitor))
      // The scope's end took the 200 reset ones out, and the sleeper ended.
      expect(live[0]).toBeGreaterThan(0)
      expect(live[0]).toBeLessThan(5)
      expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
      expect(FiberMonitor.live(monitor)).toBe(0)
    })
  )

  it.effect(
    "the sleeper keeps only the Clock, the Scheduler, the region and the telemetry of the fiber that started it",
    () =>
      Effect.gen(function* () {
        class RequestData extends Context.Service<RequestData, { readonly body: string }>()("test/RequestData") {}
        const [, cancel] = yield* GoContext.withTimeout(GoContext.background, "1 second").pipe(
          Effect.provideService(RequestData, { body: "x".repeat(1000) })
        )
        const { sleeper } = yield* state
        expect(sleeper).toBeDefined()
        expect(Context.getOption(sleeper!.context, RequestData)).toEqual(Option.none())
        expect(sleeper!.getRef(Clock.Clock)).toBe(yield* Effect.clockWith(Effect.succeed))
        yield* cancel
        expect(yield* state).toEqual({ armed: 0, sleeper: undefined })
      }).pipe(Effect.scoped)
  )
})

import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Testing from "../src/Testing.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { expectDeadlocks } from "./utils/detector.ts"
import { defectOf } from "./utils/exits.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"
import { booking, inversion, inversionWith } from "./utils/shapes.ts"

/** The error an Exit failed with (its first typed failure), or undefined. */
const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (Exit.isSuccess(exit)) return undefined
  const fail = exit.cause.reasons.find(Cause.isFailReason)
  return fail?.error
}

describe("Testing.leakCheck", () => {
  it.effect("names the leaked fibers and shows the dump entry of the blocked ones", () =>
    Effect.gen(function* () {
      const jobs = yield* Chan.make<number>(0, { name: "jobs" })
      const leaked: Array<Fiber.Fiber<unknown>> = []
      const exit = yield* Effect.exit(
        Testing.leakCheck(
          Effect.gen(function* () {
            // Named where forked: the span in force when the fiber starts.
            leaked.push(
              yield* Effect.forkDetach(Chan.recv(jobs).pipe(Effect.withSpan("worker"))).pipe(
                Effect.withSpan("startWorker")
              )
            )
            leaked.push(yield* Effect.forkDetach(Effect.never).pipe(Effect.annotateLogs("fiber", "idler")))
            leaked.push(yield* Effect.forkDetach(Effect.never))
            // Ends by itself: no leak.
            yield* Effect.forkDetach(Effect.void)
          }),
          { name: "my test" }
        )
      )
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(Testing.FiberLeakError)
      const leak = error as Testing.FiberLeakError
      expect(leak.leaked).toBe(3)
      expect(leak.started).toBe(5)
      expect(leak.region).toBe("my test")
      expect(leak.fibers).toStrictEqual([
        { name: "idler", count: 1 },
        { name: "startWorker", count: 1 },
        { name: "unnamed", count: 1 }
      ])
      // Only the worker is parked on an effect-go primitive; it shows by its current span.
      const worker = leaked[0]!
      expect(leak.blocked?.fibers).toBe(1)
      expect(leak.blocked?.primitives).toMatchObject([
        { kind: "Chan", name: "jobs", blocked: [{ fiber: { id: worker.id, name: "worker" }, op: "recv" }] }
      ])
      expect(leak.message).toContain('3 of the 4 fibers forked by "my test" are still alive after it ended:')
      expect(leak.message).toContain('1 × "idler", 1 × "startWorker", 1 × unnamed')
      expect(leak.message).toContain('Chan "jobs"')
      expect(leak.message).toContain(`fiber #${worker.id} "worker": recv, blocked 0ms`)
      yield* Fiber.interruptAll(leaked)
    })
  )

  it.effect("counts neither the fibers of its caller nor those that end within a few scheduler turns", () =>
    Effect.gen(function* () {
      // A fiber of the caller, alive throughout: not the checked effect's.
      const outside = yield* Effect.forkChild(Effect.never)
      yield* Testing.leakCheck(
        Effect.gen(function* () {
          yield* Effect.forkDetach(Effect.yieldNow.pipe(Effect.repeat({ times: 3 })))
          yield* Effect.forkChild(Effect.never) // interrupted when the body ends
          yield* Effect.forkScoped(Effect.never) // interrupted when its scope closes
        })
      )
      yield* Fiber.interrupt(outside)
      // A fiber waiting for what nobody does does not end by itself: a leak
      // (not parked on an effect-go primitive: no dump).
      const never = yield* Deferred.make<void>()
      let waiter: Fiber.Fiber<void> | undefined
      const exit = yield* Effect.exit(
        Testing.leakCheck(
          Effect.gen(function* () {
            waiter = yield* Effect.forkDetach(Deferred.await(never))
          })
        )
      )
      expect(failureOf(exit)).toMatchObject({ _tag: "FiberLeakError", leaked: 1, blocked: undefined })
      yield* Fiber.interrupt(waiter!)
    })
  )

  it.effect("counts the fibers of a region nested inside (FiberMonitor.track)", () =>
    Effect.gen(function* () {
      let fiber: Fiber.Fiber<never> | undefined
      const monitor = FiberMonitor.make()
      const exit = yield* Effect.exit(
        Testing.leakCheck(
          FiberMonitor.track(
            monitor,
            Effect.gen(function* () {
              fiber = yield* Effect.forkDetach(Effect.never)
            })
          )
        )
      )
      expect(failureOf(exit)).toMatchObject({ _tag: "FiberLeakError", leaked: 1 })
      expect(FiberMonitor.live(monitor)).toBe(1)
      yield* Fiber.interrupt(fiber!)
    })
  )

  it.effect("keeps the body's failure first, with the leak behind it as a defect", () =>
    Effect.gen(function* () {
      let fiber: Fiber.Fiber<never> | undefined
      const exit = yield* Effect.exit(
        Testing.leakCheck(
          Effect.gen(function* () {
            fiber = yield* Effect.forkDetach(Effect.never)
            return yield* Effect.fail("boom")
          })
        )
      )
      expect(failureOf(exit)).toBe("boom")
      expect(Exit.isFailure(exit) && exit.cause.reasons.some((r) => Cause.isDieReason(r))).toBe(true)
      expect(defectOf(exit) ?? "").toBe("boom") // squashed: the typed failure wins
      const dies = Exit.isFailure(exit) ? exit.cause.reasons.filter(Cause.isDieReason).map((r) => r.defect) : []
      expect(dies).toHaveLength(1)
      expect(dies[0]).toBeInstanceOf(Testing.FiberLeakError)
      yield* Fiber.interrupt(fiber!)
      // Without a leak, the body's result is untouched.
      expect(yield* Effect.exit(Testing.leakCheck(Effect.fail("boom")))).toEqual(Exit.fail("boom"))
      expect(yield* Testing.leakCheck(Effect.succeed(42))).toBe(42)
    })
  )

  it.effect("refuses what is no Effect and bad options, as defects raised when it runs", () =>
    Effect.gen(function* () {
      const notAnEffect = Testing.leakCheck(42 as unknown as Effect.Effect<void>)
      const exit = yield* Effect.exit(notAnEffect)
      expect(defectOf(exit)).toBeInstanceOf(InvalidArgumentError)
      expect((defectOf(exit) as Error).message).toBe("Testing.leakCheck: expected an Effect, got the number 42")
      const badName = yield* Effect.exit(Testing.leakCheck(Effect.void, { name: 3 as unknown as string }))
      expect((defectOf(badName) as Error).message).toBe(
        "Testing.leakCheck: expected a string (the `name` option), got the number 3"
      )
      const badOptions = yield* Effect.exit(Testing.leakCheck(Effect.void, "x" as unknown as Testing.LeakCheckOptions))
      expect((defectOf(badOptions) as Error).message).toBe(
        'Testing.leakCheck: expected an options object, got the string "x"'
      )
    })
  )
})

describe("Testing.expectNoBlockedFibers", () => {
  it.effect("fails with the dump of the caller's blocked fibers, and passes once they are gone", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>(0, { name: "results" })
      const receiver = yield* Effect.forkChild(Chan.recv(ch).pipe(Effect.withSpan("collector")))
      yield* settle
      yield* TestClock.adjust("250 millis")
      const exit = yield* Effect.exit(Testing.expectNoBlockedFibers)
      const error = failureOf(exit) as Testing.BlockedFibersError
      expect(error).toBeInstanceOf(Testing.BlockedFibersError)
      expect(error.dump.fibers).toBe(1)
      expect(error.dump.primitives).toMatchObject([
        { kind: "Chan", name: "results", blocked: [{ fiber: { id: receiver.id, name: "collector" }, op: "recv" }] }
      ])
      expect(error.message).toBe(Diagnostics.format(error.dump))
      expect(error.message).toContain(`fiber #${receiver.id} "collector": recv, blocked 250ms`)
      yield* Chan.send(ch, 1)
      yield* Fiber.join(receiver)
      yield* Testing.expectNoBlockedFibers
    })
  )

  it.effect("looks at the caller's region only; outside any region, at every fiber", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>(0, { name: "elsewhere" })
      // A root fiber of its own runtime: in no region, so not this test's.
      const other = Effect.runFork(Chan.recv(ch))
      yield* settle
      yield* Testing.expectNoBlockedFibers
      const outside = yield* Effect.exit(
        Testing.expectNoBlockedFibers.pipe(Effect.provideService(Metric.FiberRuntimeMetrics, undefined))
      )
      expect(failureOf(outside)).toMatchObject({ _tag: "BlockedFibersError" })
      expect((failureOf(outside) as Testing.BlockedFibersError).message).toContain('Chan "elsewhere"')
      yield* Fiber.interrupt(other)
    })
  )

  // Depends on WaitGroup's `diagnose()` (the primitives' part of the
  // diagnostics work): a WaitGroup shows in dumps only once it has one.
  it.effect("shows a WaitGroup wait that no task will release", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "tasks" })
      yield* WaitGroup.add(wg, 1)
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      const exit = yield* Effect.exit(Testing.expectNoBlockedFibers)
      expect(failureOf(exit)).toMatchObject({
        _tag: "BlockedFibersError",
        dump: {
          primitives: [{ kind: "WaitGroup", name: "tasks", blocked: [{ fiber: { id: waiter.id }, op: "wait" }] }]
        }
      })
      yield* WaitGroup.done(wg)
      yield* Fiber.join(waiter)
      yield* Testing.expectNoBlockedFibers
    })
  )
})

describe("Testing.expectNoDeadlock", () => {
  it.effect("fails with DeadlockError on a lock-order inversion between two mutexes", () =>
    Effect.gen(function* () {
      expectDeadlocks()
      const { ab, ba } = yield* inversion
      yield* Effect.addFinalizer(() => Fiber.interruptAll([ab, ba]))
      const exit = yield* Effect.exit(Testing.expectNoDeadlock)
      const error = failureOf(exit) as Diagnostics.DeadlockError
      expect(error).toBeInstanceOf(Diagnostics.DeadlockError)
      expect(error.deadlock.kind).toBe("cycle")
      expect(error.deadlock.fibers.map((f) => f.fiber.id).sort()).toStrictEqual([ab.id, ba.id].sort())
      expect(error.message).toContain("effect-go: deadlock! 2 fibers can never be woken (a wait-for cycle)")
      expect(error.message).toContain(`fiber #${ab.id} "transfer a→b": lock on Mutex "b"`)
      yield* Fiber.interruptAll([ab, ba])
      yield* Testing.expectNoDeadlock
    })
  )

  it.effect("passes on contention that can resolve: a holder that is not blocked", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "slow" })
      const holder = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.sleep("1 second")))
      yield* settle
      const waiter = yield* Effect.forkChild(Mutex.withLock(mu)(Effect.void))
      yield* settle
      expect(yield* Mutex.blocked(mu)).toHaveLength(1)
      yield* Testing.expectNoDeadlock
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
    })
  )

  it.effect("looks at the caller's region only; outside any region, at every deadlock", () =>
    Effect.gen(function* () {
      expectDeadlocks()
      // The inversion in a root fiber of its own: its fibers are in no region.
      const root = Effect.runFork(Effect.scoped(inversionWith((effect) => Effect.forkDetach(effect))))
      const { ab, ba } = yield* Effect.promise(() => Effect.runPromise(Fiber.join(root)))
      yield* Effect.addFinalizer(() => Effect.promise(() => Effect.runPromise(Fiber.interruptAll([ab, ba]))))
      yield* Testing.expectNoDeadlock
      const outside = yield* Effect.exit(
        Testing.expectNoDeadlock.pipe(Effect.provideService(Metric.FiberRuntimeMetrics, undefined))
      )
      expect(failureOf(outside)).toBeInstanceOf(Diagnostics.DeadlockError)
    })
  )
})

describe("Testing.explore", () => {
  it.live("finds a check-then-act race that a plain run never shows, and its seed replays it", () =>
    Effect.gen(function* () {
      // A plain run: Effect's default op budget, one schedule. Never oversold.
      for (let i = 0; i < 50; i++) {
        yield* Effect.scoped(booking(false)({ trace: () => {}, fail: (m: string) => Effect.die(m) } as never))
      }
      const report = yield* Testing.explore(booking(false), { seed: 4242, runs: 300 })
      const failure = report.failure!
      expect(failure.kind).toBe("failed")
      expect(failure.message).toBe("oversold: -1 seats left")
      expect(failure.reproduced).toBe(true)
      expect(failure.replay).toBe(`explore again with { seed: ${failure.seed}, runs: 1 }`)
      expect(failure.cause).toBeDefined()
      expect(Testing.formatFailure(failure)).toContain(
        `failed at seed ${failure.seed} (MaxOpsBeforeYield ${failure.budget}`
      )
      expect(Testing.formatReport(report)).toContain(`FAILED at seed ${failure.seed}`)
      // The seed alone replays the same run: same schedule, same trace.
      const replay = yield* Testing.explore(booking(false), { seed: failure.seed, runs: 1 })
      expect(replay.failure).toMatchObject({
        kind: "failed",
        message: failure.message,
        budget: failure.budget,
        scheduler: failure.scheduler,
        fingerprint: failure.fingerprint
      })
      // With the check and the act under one lock, no schedule oversells.
      const fixed = yield* Testing.explore(booking(true), { seed: 4242, runs: 300 })
      expect(fixed.failure).toBeUndefined()
      expect(fixed.runs).toBe(300)
    })
  )

  it.live("a deadlocked run shows the blocked-fiber dump of its fibers", () =>
    Effect.gen(function* () {
      // The run's fibers are asleep until the explorer sees it.
      expectDeadlocks()
      const report = yield* Testing.explore(
        () =>
          Effect.gen(function* () {
            const requests = yield* Chan.make<number>(0, { name: "requests" })
            const replies = yield* Chan.make<number>(0, { name: "replies" })
            // Each side waits for the other to speak first.
            const server = yield* Effect.forkChild(
              Effect.andThen(Chan.recv(requests), Chan.send(replies, 1)).pipe(Effect.withSpan("server"))
            )
            yield* Chan.recv(replies)
            yield* Fiber.join(server)
          }),
        { seed: 1, runs: 5 }
      )
      const failure = report.failure!
      expect(failure.kind).toBe("deadlock")
      expect(failure.message).toContain("deadlock: 2 fibers of the run wait and no task is left to run")
      expect(failure.message).toContain("effect-go: 2 fibers blocked on 2 primitives")
      expect(failure.message).toContain('Chan "requests"')
      expect(failure.message).toMatch(/fiber #\d+ "server": recv, blocked 0ms/)
      expect(failure.message).toContain('Chan "replies"')
      expect(failure.reproduced).toBe(true)
    })
  )

  it.live("a run that leaks names the leaked fibers and shows where they are blocked", () =>
    Effect.gen(function* () {
      const report = yield* Testing.explore(
        () =>
          Effect.gen(function* () {
            const jobs = yield* Chan.make<number>(0, { name: "jobs" })
            yield* Effect.forkDetach(Chan.recv(jobs).pipe(Effect.withSpan("worker"))).pipe(Effect.withSpan("spawn"))
          }),
        { seed: 1, runs: 5 }
      )
      const failure = report.failure!
      expect(failure.kind).toBe("leak")
      // (The run's TestClock starts a fiber of its own: the run started 2.)
      expect(failure.message).toMatch(
        /^1 of the \d+ fibers? the run started is still alive after it returned: 1 × "spawn" \(named by the span/
      )
      expect(failure.message).toMatch(/fiber #\d+ "worker": recv/)
    })
  )

  it.live("the model's chaos methods work detached, passed as callbacks", () =>
    Effect.gen(function* () {
      const report = yield* Testing.explore(
        (chaos) =>
          Effect.gen(function* () {
            const { count, int, fail } = chaos
            ;["a", "b"].forEach(chaos.trace)
            for (const n of [1, 2]) count(n)
            if (int(2) > 1) return yield* fail("int(2) drew more than 1")
          }),
        { seed: 3, runs: 5 }
      )
      expect(report.failure).toBeUndefined()
      expect(report.ops).toBe(15)
    })
  )

  it.live("bad input is a defect with InvalidArgumentError, never a throw while building", () =>
    Effect.gen(function* () {
      const model = booking(true)
      const message = (effect: Effect.Effect<unknown>) =>
        Effect.map(Effect.exit(effect), (exit) => {
          const defect = defectOf(exit)
          expect(defect).toBeInstanceOf(InvalidArgumentError)
          return (defect as Error).message
        })
      expect(yield* message(Testing.explore(42 as unknown as Testing.Model))).toBe(
        "Testing.explore: expected a model function (chaos) => Effect, got the number 42"
      )
      expect(yield* message(Testing.explore(model, { runs: -1 }))).toBe(
        "Testing.explore: expected a non-negative integer (the `runs` option), got the number -1"
      )
      expect(yield* message(Testing.explore(model, { seed: 1.5 }))).toBe(
        "Testing.explore: expected a non-negative safe integer (the `seed` option), got the number 1.5"
      )
      expect(yield* message(Testing.explore(model, { budgets: [2, 8] }))).toContain(
        "Testing.explore: expected a non-empty array of integers >= 3, or { min, max } with integers 3 <= min <= max"
      )
      expect(yield* message(Testing.explore(model, { budgets: { min: 10, max: 5 } }))).toContain(
        "(the `budgets` option)"
      )
      expect(
        yield* message(
          Testing.explore(model, { schedulers: ["fast"] as unknown as ReadonlyArray<Testing.SchedulerKind> })
        )
      ).toBe(
        'Testing.explore: expected a non-empty array of "default" and "sync" (the `schedulers` option), got an array of length 1'
      )
      expect(yield* message(Testing.explore(model, "x" as unknown as Testing.ExploreOptions))).toBe(
        'Testing.explore: expected an options object, got the string "x"'
      )
      // A model that returns no Effect.
      expect(yield* message(Testing.explore(() => 42 as unknown as Effect.Effect<void>, { seed: 1, runs: 3 }))).toBe(
        "Testing.explore: expected a model that returns an Effect, got the number 42"
      )
      // The Promise form rejects with the same error.
      const rejected = yield* Effect.promise(() =>
        Testing.explorePromise(model, { maxOps: 0 }).then(
          () => undefined,
          (e: unknown) => e
        )
      )
      expect(rejected).toBeInstanceOf(InvalidArgumentError)
      // A bad draw of the model makes its run die, reported with the seed.
      const badDraw = yield* Testing.explore((chaos) => Effect.sync(() => chaos.pick([])), { seed: 1, runs: 1 })
      expect(badDraw.failure?.message).toContain("Chaos.pick: expected a non-empty array, got an array of length 0")
    })
  )
})

describe("Testing types", () => {
  it.effect("public signatures", () =>
    Effect.sync(() => {
      expectTypeOf(Testing.leakCheck(Effect.succeed(1) as Effect.Effect<number, "e", "R" | Scope.Scope>)).toEqualTypeOf<
        Effect.Effect<number, "e" | Testing.FiberLeakError, "R">
      >()
      expectTypeOf(Testing.expectNoBlockedFibers).toEqualTypeOf<Effect.Effect<void, Testing.BlockedFibersError>>()
      expectTypeOf(Testing.expectNoDeadlock).toEqualTypeOf<Effect.Effect<void, Diagnostics.DeadlockError>>()
      expectTypeOf(Testing.explore).parameter(0).toEqualTypeOf<Testing.Model>()
      expectTypeOf(Testing.explore).returns.toEqualTypeOf<Effect.Effect<Testing.Report>>()
      expectTypeOf(Testing.explorePromise).returns.toEqualTypeOf<Promise<Testing.Report>>()
      expectTypeOf<Testing.Report["failure"]>().toEqualTypeOf<Testing.Failure | undefined>()
      expectTypeOf<Testing.FiberLeakError["fibers"]>().toEqualTypeOf<ReadonlyArray<Testing.LeakedFibers>>()
      expectTypeOf<Testing.FiberLeakError["blocked"]>().toEqualTypeOf<Diagnostics.Dump | undefined>()
      expectTypeOf<ReturnType<Testing.Chaos["fail"]>>().toEqualTypeOf<Effect.Effect<never, Testing.ChaosViolation>>()
      // A model may fail with anything and needs nothing but a Scope.
      expectTypeOf((_: Testing.Chaos) => Effect.fail("broken" as const)).toExtend<Testing.Model>()
      // @ts-expect-error a model needing a service cannot be explored (runs provide none)
      const _needsService: Testing.Model = (_: Testing.Chaos) => Effect.void as Effect.Effect<void, never, "Db">
      // @ts-expect-error budgets are numbers
      const _badOptions: Testing.ExploreOptions = { budgets: ["3"] }
    })
  )
})

import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { settle } from "./utils/fibers.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}

/** Lets forked fibers reach their sleeps, then moves the TestClock. */
const advance = (duration: Duration.Input): Effect.Effect<void> => Effect.andThen(settle, TestClock.adjust(duration))

/** The error or defect an Exit failed with (undefined on success). */
const squashed = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

const ops = <I, O, E, F>(pool: WorkerPool.WorkerPool<I, O, E, F>) =>
  Effect.map(WorkerPool.blocked(pool), (blocked) => blocked.map((b) => b.op))

/** The InvalidPoolOptionError an effect died with (it fails the test if it did anything else). */
const poolOptionDefect = (effect: Effect.Effect<unknown, unknown, Scope.Scope>) =>
  Effect.map(Effect.exit(Effect.scoped(effect)), (exit) => {
    const defect = defectOf(exit)
    expect(defect).toBeInstanceOf(WorkerPool.InvalidPoolOptionError)
    return defect as WorkerPool.InvalidPoolOptionError
  })

const closedWith = (reason: WorkerPool.PoolClosedError["reason"]) => (exit: Exit.Exit<unknown, unknown>) => {
  const error = squashed(exit)
  expect(error).toBeInstanceOf(WorkerPool.PoolClosedError)
  expect((error as WorkerPool.PoolClosedError).reason).toBe(reason)
}

/** A process function that records what ran and what was interrupted. */
const tracked = <O>(f: (n: number) => Effect.Effect<O, Boom>) => {
  const started: Array<number> = []
  const interrupted: Array<number> = []
  let running = 0
  let maxRunning = 0
  const process = (n: number) =>
    Effect.suspend(() => {
      started.push(n)
      running++
      maxRunning = Math.max(maxRunning, running)
      return f(n).pipe(
        Effect.onInterrupt(() => Effect.sync(() => interrupted.push(n))),
        Effect.ensuring(Effect.sync(() => running--))
      )
    })
  return {
    process,
    started,
    interrupted,
    get maxRunning() {
      return maxRunning
    }
  }
}

describe("WorkerPool", () => {
  describe("make", () => {
    it.effect("workers that are not positive integers and queues that are not non-negative integers are defects", () =>
      Effect.gen(function* () {
        const process = (n: number) => Effect.succeed(n)
        for (const workers of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          const error = yield* poolOptionDefect(WorkerPool.make({ workers, process }))
          expect(error.option).toBe("workers")
          expect(Object.is(error.value, workers)).toBe(true)
        }
        for (const queue of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          const error = yield* poolOptionDefect(WorkerPool.make({ workers: 1, queue, process }))
          expect(error.option).toBe("queue")
        }
        const error = yield* poolOptionDefect(WorkerPool.make({ workers: 1, results: -2, process }))
        expect(error.option).toBe("results")
        expect(error.message).toBe("worker pool: results must be a non-negative integer, got -2")
      })
    )
    it.effect("every bad option is reported inside the effect, with what was given and what is wanted", () =>
      Effect.gen(function* () {
        const process = (n: number) => Effect.succeed(n)
        const cases: ReadonlyArray<readonly [Record<string, unknown> | undefined, string, unknown, string]> = [
          [{ workers: "3", process }, "workers", "3", 'worker pool: workers must be a positive integer, got "3"'],
          [{ workers: 0, process }, "workers", 0, "worker pool: workers must be a positive integer, got 0"],
          [{ workers: -2, process }, "workers", -2, "worker pool: workers must be a positive integer, got -2"],
          [{ workers: 1.5, process }, "workers", 1.5, "worker pool: workers must be a positive integer, got 1.5"],
          [
            { workers: Number.NaN, process },
            "workers",
            Number.NaN,
            "worker pool: workers must be a positive integer, got NaN"
          ],
          [
            { workers: 2 ** 53, process },
            "workers",
            2 ** 53,
            "worker pool: workers must be a positive safe integer (at most 2^53 - 1), got 9007199254740992"
          ],
          [{ process }, "workers", undefined, "worker pool: workers must be a positive integer, got undefined"],
          [undefined, "workers", undefined, "worker pool: workers must be a positive integer, got undefined"],
          [
            { workers: 1, queue: "3", process },
            "queue",
            "3",
            'worker pool: queue must be a non-negative integer, got "3"'
          ],
          [
            { workers: 1, queue: null, process },
            "queue",
            null,
            "worker pool: queue must be a non-negative integer, got null"
          ],
          [
            { workers: 1, results: 0.5, process },
            "results",
            0.5,
            "worker pool: results must be a non-negative integer, got 0.5"
          ],
          [
            { workers: 1 },
            "process",
            undefined,
            "worker pool: process must be a function (job => Effect), got undefined"
          ],
          [
            { workers: 1, process: Effect.succeed(1) },
            "process",
            "object",
            "worker pool: process must be a function (job => Effect), got an object"
          ],
          [
            { workers: 1, process, failFast: "yes" },
            "failFast",
            "yes",
            'worker pool: failFast must be a boolean or undefined, got "yes"'
          ]
        ]
        for (const [options, option, value, message] of cases) {
          // Built without running: nothing is thrown until the effect runs.
          const make = WorkerPool.make(options as any)
          const error = yield* poolOptionDefect(make)
          expect(error.option).toBe(option)
          if (value === "object") expect(typeof error.value).toBe("object")
          else expect(Object.is(error.value, value)).toBe(true)
          expect(error.message).toBe(message)
        }
        // Infinity is no integer at all: the plain message.
        expect(
          new WorkerPool.InvalidPoolOptionError({ option: "workers", value: Number.POSITIVE_INFINITY }).message
        ).toBe("worker pool: workers must be a positive integer, got Infinity")
      })
    )
  })

  describe("a closed pool refuses work at the call", () => {
    it.effect("submit, trySubmit and run, in both forms, fail with PoolClosedError once the scope closed", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.succeed(n))
        const scope = yield* Scope.make()
        const pool = yield* WorkerPool.make({ workers: 2, queue: 4, process: t.process, name: "thumbs" }).pipe(
          Scope.provide(scope)
        )
        expect(yield* WorkerPool.run(pool, 1)).toBe(1)
        yield* Scope.close(scope, Exit.void)
        const refused: ReadonlyArray<Exit.Exit<unknown, unknown>> = [
          yield* Effect.exit(WorkerPool.submit(pool, 2)),
          yield* Effect.exit(WorkerPool.submit(3)(pool)),
          yield* Effect.exit(WorkerPool.trySubmit(pool, 4)),
          yield* Effect.exit(WorkerPool.trySubmit(5)(pool)),
          yield* Effect.exit(WorkerPool.run(pool, 6)),
          yield* Effect.exit(WorkerPool.run(7)(pool))
        ]
        for (const exit of refused) {
          closedWith("rejected")(exit)
          // Typed: a producer racing a close can handle it.
          expect(Exit.isFailure(exit) && Cause.hasFails(exit.cause)).toBe(true)
          expect((squashed(exit) as WorkerPool.PoolClosedError).poolName).toBe("thumbs")
        }
        yield* settle
        expect(t.started).toEqual([1])
      })
    )
  })

  describe("seed scenarios", () => {
    it.effect("worker pool with 3 workers and 5 jobs: results channel, close(jobs), range over results", () =>
      Effect.gen(function* () {
        const t = tracked((j) => Effect.as(Effect.sleep("100 millis"), j * 2))
        const pool = yield* WorkerPool.make({ workers: 3, queue: 100, results: 100, process: t.process })
        for (let j = 1; j <= 5; j++) yield* WorkerPool.submit(pool, j)
        yield* WorkerPool.close(pool) // close(jobs)
        const collected: Array<number> = []
        const consumer = yield* Effect.forkChild(
          Chan.forEach(WorkerPool.results(pool), (r) =>
            Effect.sync(() => collected.push(Exit.isSuccess(r.exit) ? r.exit.value : -1))
          )
        )
        yield* advance("100 millis")
        // Three workers: three jobs done after one round, the rest after two.
        expect(collected.length).toBe(3)
        yield* advance("100 millis")
        yield* Fiber.join(consumer) // results is closed once every worker stopped
        expect(collected.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10])
        expect(t.maxRunning).toBe(3)
        expect((yield* WorkerPool.stats(pool)).workers).toBe(0)
      })
    )

    it.effect("dynamic worker pool: jobs are effects, shutdown waits until every task ran", () =>
      Effect.gen(function* () {
        const executed: Array<number> = []
        const pool = yield* WorkerPool.make({ workers: 2, queue: 10, process: (task: Effect.Effect<void>) => task })
        for (let i = 0; i < 6; i++) {
          yield* WorkerPool.submit(
            pool,
            Effect.sleep(`${10 * (6 - i)} millis`).pipe(Effect.andThen(Effect.sync(() => executed.push(i))))
          )
        }
        const shutdown = yield* Effect.forkChild(WorkerPool.shutdown(pool))
        yield* advance("50 millis")
        expect(shutdown.pollUnsafe()).toBeUndefined()
        expect(executed.length).toBeLessThan(6)
        yield* advance("1 second")
        yield* Fiber.join(shutdown)
        expect(executed.sort()).toEqual([0, 1, 2, 3, 4, 5])
      })
    )
  })

  describe("jobs and results", () => {
    it.effect("submit returns a handle per job; join gives that job's own result whatever the completion order", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 4,
          queue: 4,
          process: (ms: number) => Effect.as(Effect.sleep(`${ms} millis`), `slept ${ms}`)
        })
        const jobs = yield* Effect.forEach([40, 10, 30, 20], (ms) => WorkerPool.submit(pool, ms))
        expect(Option.isNone(yield* WorkerPool.poll(jobs[0]!))).toBe(true)
        const all = yield* Effect.forkChild(Effect.forEach(jobs, WorkerPool.join))
        yield* advance("40 millis")
        expect(yield* Fiber.join(all)).toEqual(["slept 40", "slept 10", "slept 30", "slept 20"])
        expect(yield* WorkerPool.poll(jobs[1]!)).toEqual(Option.some(Exit.succeed("slept 10")))
      })
    )

    it.effect("run submits and joins; the pool's service context reaches process", () =>
      Effect.gen(function* () {
        const Factor = Context.Service<number>("test/Factor")
        const pool = yield* WorkerPool.make({
          workers: 2,
          process: (n: number) => Effect.map(Factor, (k) => n * k)
        }).pipe(Effect.provideService(Factor, 10))
        expect(yield* Effect.forEach([1, 2, 3], (n) => WorkerPool.run(pool, n), { concurrency: "unbounded" })).toEqual([
          10, 20, 30
        ])
        expect(yield* WorkerPool.run(5)(pool)).toBe(50)
      })
    )

    it.effect("a typed failure or a defect fails that job only; the pool keeps working", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          results: 10,
          process: (n: number): Effect.Effect<number, Boom> =>
            n === 1 ? Effect.fail(new Boom({ n })) : n === 2 ? Effect.die("kaput") : Effect.succeed(n * 10)
        })
        const failed = yield* Effect.exit(WorkerPool.run(pool, 1))
        expect(squashed(failed)).toEqual(new Boom({ n: 1 }))
        const died = yield* Effect.exit(WorkerPool.run(pool, 2))
        expect(Exit.isFailure(died) && Cause.hasDies(died.cause)).toBe(true)
        expect(yield* WorkerPool.run(pool, 3)).toBe(30)
        yield* WorkerPool.shutdown(pool)
        const results = yield* Stream.runCollect(Chan.toStream(WorkerPool.results(pool)))
        expect(results.map((r) => r.job)).toEqual([1, 2, 3])
        expect(squashed(results[0]!.exit)).toEqual(new Boom({ n: 1 }))
        expect(results[2]!.exit).toEqual(Exit.succeed(30))
      })
    )
    it.effect("a job's success reaches join and poll, whether join waited for it or came later", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 2,
          queue: 2,
          process: (n: number) => Effect.as(Effect.sleep(`${n} millis`), n * 10)
        })
        const waited = yield* WorkerPool.submit(pool, 1)
        const later = yield* WorkerPool.submit(pool, 2)
        const joiner = yield* Effect.forkChild(WorkerPool.join(waited))
        yield* advance("5 millis")
        expect(yield* Fiber.join(joiner)).toBe(10)
        expect(yield* WorkerPool.poll(later)).toEqual(Option.some(Exit.succeed(20)))
        expect(yield* WorkerPool.join(later)).toBe(20)
        expect(yield* WorkerPool.poll(waited)).toEqual(Option.some(Exit.succeed(10)))
        expect(yield* WorkerPool.stats(pool)).toMatchObject({ running: 0, queued: 0 })
      })
    )
  })

  describe("backpressure", () => {
    it.effect("submit waits while the queue is full; trySubmit says none", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          queue: 2,
          process: (n: number) => Effect.as(Effect.sleep("10 millis"), n)
        })
        yield* WorkerPool.submit(pool, 1)
        yield* settle // the worker takes job 1
        yield* WorkerPool.submit(pool, 2)
        yield* WorkerPool.submit(pool, 3)
        expect(yield* WorkerPool.stats(pool)).toEqual({ workers: 1, running: 1, queued: 2, closed: false })
        expect(Option.isNone(yield* WorkerPool.trySubmit(pool, 99))).toBe(true)
        const fourth = yield* Effect.forkChild(WorkerPool.submit(pool, 4))
        yield* settle
        expect(yield* ops(pool)).toEqual(["submit"])
        expect(fourth.pollUnsafe()).toBeUndefined()
        yield* advance("10 millis")
        const job = yield* Fiber.join(fourth)
        expect(yield* ops(pool)).toEqual([])
        yield* advance("30 millis")
        expect(yield* WorkerPool.join(job)).toBe(4)
      })
    )

    it.effect("an unbuffered queue (queue: 0): submit returns once a worker took the job", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          process: (n: number) => Effect.as(Effect.sleep("10 millis"), n)
        })
        yield* settle
        yield* WorkerPool.submit(pool, 1)
        const second = yield* Effect.forkChild(WorkerPool.submit(pool, 2))
        yield* settle
        expect(second.pollUnsafe()).toBeUndefined()
        yield* advance("10 millis")
        expect(Exit.isSuccess(yield* Fiber.await(second))).toBe(true)
      })
    )

    it.effect("an interrupted submit enqueues nothing and leaves no waiter", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 1, process: t.process })
        yield* WorkerPool.submit(pool, 1)
        yield* settle
        yield* WorkerPool.submit(pool, 2)
        const blockedSubmit = yield* Effect.forkChild(WorkerPool.submit(pool, 3))
        yield* settle
        expect(yield* ops(pool)).toEqual(["submit"])
        yield* Fiber.interrupt(blockedSubmit)
        expect(yield* ops(pool)).toEqual([])
        expect((yield* WorkerPool.stats(pool)).queued).toBe(1)
        yield* advance("100 millis")
        yield* WorkerPool.shutdown(pool)
        expect(t.started).toEqual([1, 2])
      })
    )
  })

  describe("interruption and cancellation", () => {
    it.effect("interrupting join leaves the job running and no waiter behind", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          process: (n: number) => Effect.as(Effect.sleep("10 millis"), n)
        })
        const job = yield* WorkerPool.submit(pool, 7)
        const joiner = yield* Effect.forkChild(WorkerPool.join(job))
        yield* settle
        expect(yield* ops(pool)).toEqual(["join"])
        yield* Fiber.interrupt(joiner)
        expect(yield* ops(pool)).toEqual([])
        yield* advance("10 millis")
        expect(yield* WorkerPool.join(job)).toBe(7)
      })
    )

    it.effect("interrupting run cancels its job: a running one is interrupted, the worker goes on", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 4, process: t.process })
        const runner = yield* Effect.forkChild(WorkerPool.run(pool, 1))
        yield* settle
        expect(t.started).toEqual([1])
        yield* Fiber.interrupt(runner)
        expect(t.interrupted).toEqual([1])
        expect((yield* WorkerPool.stats(pool)).running).toBe(0)
        const second = yield* Effect.forkChild(WorkerPool.run(pool, 2))
        yield* advance("10 millis")
        expect(yield* Fiber.join(second)).toBe(2)
        expect(yield* ops(pool)).toEqual([])
      })
    )

    it.effect("interrupting run while its job is queued: the job never runs", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 4, process: t.process })
        const first = yield* WorkerPool.submit(pool, 1)
        const runner = yield* Effect.forkChild(WorkerPool.run(pool, 2))
        yield* settle
        yield* Fiber.interrupt(runner)
        const third = yield* WorkerPool.submit(pool, 3)
        yield* advance("100 millis")
        expect(yield* WorkerPool.join(first)).toBe(1)
        expect(yield* WorkerPool.join(third)).toBe(3)
        expect(t.started).toEqual([1, 3])
      })
    )

    it.effect("cancelling queued jobs in any order: shutdownNow still drops every other queued job", () =>
      Effect.gen(function* () {
        // A cancelled job stays in the queue (done) until a worker reaches
        // it or the pool drops the queue: every order of cancels must leave
        // exactly the rest to drop.
        for (const order of [
          [0, 1, 2, 3, 4, 5],
          [5, 4, 3, 2, 1, 0],
          [0, 5],
          [2, 0, 5],
          [1, 3, 4]
        ]) {
          const pool = yield* WorkerPool.make({ workers: 1, queue: 6, process: () => Effect.never })
          yield* WorkerPool.submit(pool, -1)
          yield* settle
          const queued = yield* Effect.forEach([0, 1, 2, 3, 4, 5], (n) => WorkerPool.submit(pool, n))
          for (const i of order) yield* WorkerPool.cancel(queued[i]!)
          yield* WorkerPool.shutdownNow(pool)
          for (let i = 0; i < queued.length; i++) {
            const exit = yield* WorkerPool.poll(queued[i]!)
            expect(Option.isSome(exit)).toBe(true)
            if (order.includes(i)) expect(isInterruptedOnly(Option.getOrThrow(exit))).toBe(true)
            else closedWith("dropped")(Option.getOrThrow(exit))
          }
        }
      })
    )

    it.effect("cancel: a queued job is withdrawn, a running one interrupted; join reports an interruption", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 4, process: t.process })
        const running = yield* WorkerPool.submit(pool, 1)
        const queued = yield* WorkerPool.submit(pool, 2)
        yield* settle
        const joiner = yield* Effect.forkChild(Effect.exit(WorkerPool.join(queued)))
        yield* settle
        yield* WorkerPool.cancel(queued)
        expect(isInterruptedOnly(yield* Fiber.join(joiner))).toBe(true)
        yield* WorkerPool.cancel(running)
        expect(t.interrupted).toEqual([1])
        expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(running)))).toBe(true)
        yield* WorkerPool.cancel(running) // finished: nothing to do
        const third = yield* Effect.forkChild(WorkerPool.run(pool, 3))
        yield* advance("10 millis")
        expect(yield* Fiber.join(third)).toBe(3)
        expect(t.started).toEqual([1, 3])
      })
    )

    it.effect("cancelling running jobs again and again: each worker lost to a cancel is replaced", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 2, queue: 8, process: t.process })
        for (let round = 0; round < 5; round++) {
          const a = yield* WorkerPool.submit(pool, 10 * round)
          const b = yield* WorkerPool.submit(pool, 10 * round + 1)
          const c = yield* WorkerPool.submit(pool, 10 * round + 2)
          yield* settle
          expect((yield* WorkerPool.stats(pool)).running).toBe(2)
          yield* WorkerPool.cancel(a)
          yield* WorkerPool.cancel(b)
          // Both workers were lost to the cancels; their replacements run c.
          yield* settle
          expect(yield* WorkerPool.stats(pool)).toMatchObject({ workers: 2, running: 1, queued: 0 })
          yield* advance("10 millis")
          expect(yield* WorkerPool.join(c)).toBe(10 * round + 2)
          expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(a)))).toBe(true)
          expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(b)))).toBe(true)
        }
        expect(t.interrupted.length).toBe(10)
        // A graceful shutdown still drains and ends every worker, replacements included.
        const last = yield* WorkerPool.submit(pool, 99)
        const shutdown = yield* Effect.forkChild(WorkerPool.shutdown(pool))
        yield* advance("10 millis")
        yield* Fiber.join(shutdown)
        expect(yield* WorkerPool.join(last)).toBe(99)
        expect((yield* WorkerPool.stats(pool)).workers).toBe(0)
      })
    )

    it.effect("a cancel during a graceful shutdown: a fresh worker goes on draining the queue", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 4, process: t.process })
        const first = yield* WorkerPool.submit(pool, 1)
        const second = yield* WorkerPool.submit(pool, 2)
        yield* settle
        const shutdown = yield* Effect.forkChild(WorkerPool.shutdown(pool))
        yield* settle
        yield* WorkerPool.cancel(first)
        yield* advance("10 millis")
        yield* Fiber.join(shutdown)
        expect(yield* WorkerPool.join(second)).toBe(2)
        expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(first)))).toBe(true)
      })
    )

    it.effect("a job that cancels itself ends interrupted; a job that interrupts itself too; the pool goes on", () =>
      Effect.gen(function* () {
        let handle: WorkerPool.Job<number> | undefined
        const pool = yield* WorkerPool.make({
          workers: 1,
          queue: 4,
          process: (n: number) =>
            n === 1
              ? Effect.andThen(
                  Effect.suspend(() => WorkerPool.cancel(handle!)),
                  Effect.succeed(n)
                )
              : n === 2
                ? Effect.andThen(Effect.interrupt, Effect.succeed(n))
                : Effect.succeed(n)
        })
        handle = yield* WorkerPool.submit(pool, 1)
        const second = yield* WorkerPool.submit(pool, 2)
        const third = yield* WorkerPool.submit(pool, 3)
        expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(handle)))).toBe(true)
        expect(isInterruptedOnly(yield* Effect.exit(WorkerPool.join(second)))).toBe(true)
        expect(yield* WorkerPool.join(third)).toBe(3)
        expect((yield* WorkerPool.stats(pool)).workers).toBe(1)
      })
    )

    it.effect("a process function that throws instead of returning an effect fails that job only, with a defect", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          queue: 4,
          process: (n: number) => {
            if (n === 1) throw new Error("no effect for 1")
            return Effect.succeed(n)
          }
        })
        const first = yield* WorkerPool.submit(pool, 1)
        const second = yield* WorkerPool.submit(pool, 2)
        expect((squashed(yield* Effect.exit(WorkerPool.join(first))) as Error).message).toBe("no effect for 1")
        expect(yield* WorkerPool.join(second)).toBe(2)
        expect((yield* WorkerPool.stats(pool)).workers).toBe(1)
      })
    )

    it.effect("a job's child fibers are interrupted when the job ends, before its result is reported", () =>
      Effect.gen(function* () {
        const stopped: Array<number> = []
        const pool = yield* WorkerPool.make({
          workers: 1,
          queue: 4,
          results: 4,
          process: (n: number) =>
            Effect.as(
              Effect.andThen(
                Effect.forkChild(Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => stopped.push(n))))),
                Effect.yieldNow // the child starts
              ),
              n
            )
        })
        const first = yield* WorkerPool.submit(pool, 1)
        expect(yield* WorkerPool.join(first)).toBe(1)
        expect(stopped).toEqual([1])
        const second = yield* WorkerPool.submit(pool, 2)
        const result = yield* Chan.recv(WorkerPool.results(pool))
        expect(Option.getOrThrow(result).job).toBe(1)
        expect(yield* WorkerPool.join(second)).toBe(2)
        expect(stopped).toEqual([1, 2])
      })
    )

    it.effect("interrupting shutdown stops the waiting, not the draining", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 4, process: t.process })
        const jobs = yield* Effect.forEach([1, 2, 3], (n) => WorkerPool.submit(pool, n))
        const shutdown = yield* Effect.forkChild(WorkerPool.shutdown(pool))
        yield* settle
        expect(yield* ops(pool)).toEqual(["wait"])
        yield* Fiber.interrupt(shutdown)
        expect(yield* ops(pool)).toEqual([])
        yield* advance("30 millis")
        expect(yield* Effect.forEach(jobs, WorkerPool.join)).toEqual([1, 2, 3])
        yield* WorkerPool.wait(pool)
      })
    )
  })

  describe("shutdown", () => {
    it.effect("graceful: later and blocked submits are rejected, queued jobs still run, then the workers stop", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 1, queue: 2, process: t.process, name: "resizer" })
        const jobs = [yield* WorkerPool.submit(pool, 1)]
        yield* settle
        jobs.push(yield* WorkerPool.submit(pool, 2), yield* WorkerPool.submit(pool, 3))
        const blockedSubmit = yield* Effect.forkChild(Effect.exit(WorkerPool.submit(pool, 4)))
        yield* settle
        const shutdown = yield* Effect.forkChild(WorkerPool.shutdown(pool))
        yield* settle
        closedWith("rejected")(yield* Fiber.join(blockedSubmit))
        const late = yield* Effect.exit(WorkerPool.submit(pool, 5))
        closedWith("rejected")(late)
        expect((squashed(late) as WorkerPool.PoolClosedError).poolName).toBe("resizer")
        expect(shutdown.pollUnsafe()).toBeUndefined()
        yield* advance("30 millis")
        yield* Fiber.join(shutdown)
        expect(yield* Effect.forEach(jobs, WorkerPool.join)).toEqual([1, 2, 3])
        expect(t.started).toEqual([1, 2, 3])
        expect(yield* WorkerPool.stats(pool)).toEqual({ workers: 0, running: 0, queued: 0, closed: true })
        yield* WorkerPool.shutdown(pool) // idempotent
        yield* WorkerPool.shutdownNow(pool)
      })
    )

    it.effect("immediate: running jobs are interrupted, queued ones dropped, their submitters told", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const pool = yield* WorkerPool.make({ workers: 2, queue: 3, results: 10, process: t.process })
        const jobs = yield* Effect.forEach([1, 2, 3, 4], (n) => WorkerPool.submit(pool, n))
        yield* settle
        const joiners = yield* Effect.forEach(jobs, (job) => Effect.forkChild(Effect.exit(WorkerPool.join(job))))
        yield* settle
        yield* WorkerPool.shutdownNow(pool)
        expect(t.interrupted.sort()).toEqual([1, 2])
        const exits = yield* Effect.forEach(joiners, Fiber.join)
        closedWith("interrupted")(exits[0]!)
        closedWith("interrupted")(exits[1]!)
        closedWith("dropped")(exits[2]!)
        closedWith("dropped")(exits[3]!)
        closedWith("rejected")(yield* Effect.exit(WorkerPool.submit(pool, 5)))
        expect(t.started.sort()).toEqual([1, 2])
        // Nothing completed, so nothing was sent; the results channel is closed.
        expect(yield* Chan.recv(WorkerPool.results(pool))).toEqual(Option.none())
        expect(yield* WorkerPool.stats(pool)).toEqual({ workers: 0, running: 0, queued: 0, closed: true })
      })
    )

    it.effect("immediate: a job handed to a waiting worker that has not resumed yet is dropped, never run", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.succeed(n))
        const pool = yield* WorkerPool.make({ workers: 1, process: t.process })
        yield* settle // the worker waits on the job channel
        // Handed to the worker, which resumes later: the job is on its way, not started.
        const job = yield* WorkerPool.submit(pool, 1)
        yield* WorkerPool.shutdownNow(pool)
        closedWith("dropped")(yield* Effect.exit(WorkerPool.join(job)))
        expect(t.started).toEqual([])
      })
    )

    it.effect("closing the pool's scope after cancels: the jobs of the fresh workers are told too", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const jobs = yield* Effect.scoped(
          Effect.gen(function* () {
            const pool = yield* WorkerPool.make({ workers: 2, queue: 2, process: t.process })
            const cancelled = [yield* WorkerPool.submit(pool, 1), yield* WorkerPool.submit(pool, 2)]
            yield* settle
            for (const job of cancelled) yield* WorkerPool.cancel(job)
            // Both workers were replaced; the fresh ones run 3 and 4, 5 waits.
            const jobs = [yield* WorkerPool.submit(pool, 3), yield* WorkerPool.submit(pool, 4)]
            yield* settle
            jobs.push(yield* WorkerPool.submit(pool, 5))
            return jobs
          })
        )
        expect(t.interrupted).toEqual([1, 2, 3, 4])
        closedWith("interrupted")(yield* Effect.exit(WorkerPool.join(jobs[0]!)))
        closedWith("interrupted")(yield* Effect.exit(WorkerPool.join(jobs[1]!)))
        closedWith("dropped")(yield* Effect.exit(WorkerPool.join(jobs[2]!)))
      })
    )

    it.effect("a pool made in a scope closed already has stopped: submit is rejected, wait returns", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Scope.close(scope, Exit.void)
        const pool = yield* WorkerPool.make({ workers: 2, process: (n: number) => Effect.succeed(n) }).pipe(
          Scope.provide(scope)
        )
        closedWith("rejected")(yield* Effect.exit(WorkerPool.submit(pool, 1)))
        yield* WorkerPool.wait(pool)
        expect(yield* WorkerPool.stats(pool)).toMatchObject({ workers: 0, closed: true })
      })
    )

    it.effect("closing the pool's scope is a shutdownNow: nothing left running, handles told", () =>
      Effect.gen(function* () {
        const t = tracked((n) => Effect.as(Effect.sleep("10 millis"), n))
        const jobs = yield* Effect.scoped(
          Effect.gen(function* () {
            const pool = yield* WorkerPool.make({ workers: 1, queue: 1, process: t.process })
            const jobs = [yield* WorkerPool.submit(pool, 1)]
            yield* settle
            jobs.push(yield* WorkerPool.submit(pool, 2))
            return jobs
          })
        )
        expect(t.interrupted).toEqual([1])
        closedWith("interrupted")(yield* Effect.exit(WorkerPool.join(jobs[0]!)))
        closedWith("dropped")(yield* Effect.exit(WorkerPool.join(jobs[1]!)))
      })
    )

    it.effect("failFast: the first failure stops the pool and is the error of submit, wait and shutdown", () =>
      Effect.gen(function* () {
        const t = tracked((n) =>
          n === 2
            ? Effect.andThen(Effect.sleep("5 millis"), Effect.fail(new Boom({ n })))
            : Effect.as(Effect.sleep("10 millis"), n)
        )
        const pool = yield* WorkerPool.make({ workers: 2, queue: 4, failFast: true, process: t.process })
        const jobs = yield* Effect.forEach([1, 2, 3, 4], (n) => WorkerPool.submit(pool, n))
        yield* settle
        const waiter = yield* Effect.forkChild(Effect.exit(WorkerPool.wait(pool)))
        yield* advance("5 millis")
        expect(squashed(yield* Fiber.join(waiter))).toEqual(new Boom({ n: 2 }))
        expect(t.interrupted).toEqual([1])
        closedWith("interrupted")(yield* Effect.exit(WorkerPool.join(jobs[0]!)))
        expect(squashed(yield* Effect.exit(WorkerPool.join(jobs[1]!)))).toEqual(new Boom({ n: 2 }))
        closedWith("dropped")(yield* Effect.exit(WorkerPool.join(jobs[2]!)))
        closedWith("dropped")(yield* Effect.exit(WorkerPool.join(jobs[3]!)))
        expect(squashed(yield* Effect.exit(WorkerPool.submit(pool, 5)))).toEqual(new Boom({ n: 2 }))
        expect(squashed(yield* Effect.exit(WorkerPool.shutdown(pool)))).toEqual(new Boom({ n: 2 }))
        expect(t.started).toEqual([1, 2])
      })
    )

    it.effect("without failFast, a failure stops nothing", () =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 2,
          queue: 4,
          process: (n: number) => (n === 2 ? Effect.fail(new Boom({ n })) : Effect.as(Effect.sleep("10 millis"), n))
        })
        const jobs = yield* Effect.forEach([1, 2, 3], (n) => WorkerPool.submit(pool, n))
        yield* advance("20 millis")
        yield* WorkerPool.shutdown(pool)
        const exits = yield* Effect.forEach(jobs, (job) => Effect.exit(WorkerPool.join(job)))
        expect(exits[0]).toEqual(Exit.succeed(1))
        expect(squashed(exits[1]!)).toEqual(new Boom({ n: 2 }))
        expect(exits[2]).toEqual(Exit.succeed(3))
      })
    )
  })

  describe("as a service", () => {
    class Resizer extends WorkerPool.Service<Resizer>()("test/Resizer", {
      process: (size: number) =>
        size < 0 ? Effect.fail(new Boom({ n: size })) : Effect.as(Effect.sleep("10 millis"), `${size}px`)
    }) {}

    /** The pool a layer makes, and what `f` does with it, in a scope of its own. */
    const withPool = <A, E, E2>(
      layer: Layer.Layer<Resizer, E2>,
      f: (pool: Context.Service.Shape<typeof Resizer>) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | E2> =>
      Effect.scoped(Effect.flatMap(Layer.build(layer), (context) => f(Context.get(context, Resizer))))

    it.effect("Service: the class is the key, .layer(workers) owns the workers, .run finds the pool", () =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.all([Resizer.run(100), Resizer.run(200), Effect.flip(Resizer.run(-1))], {
            concurrency: "unbounded"
          }).pipe(Effect.provide(Resizer.layer(2)))
        )
        yield* advance("10 millis")
        const [a, b, error] = yield* Fiber.join(fiber)
        expect([a, b]).toEqual(["100px", "200px"])
        expect(error).toEqual(new Boom({ n: -1 }))
        expectTypeOf(Resizer.run).returns.toEqualTypeOf<
          Effect.Effect<string, Boom | WorkerPool.PoolClosedError, Resizer>
        >()
      })
    )

    it.effect("the numbers are the layer's: a number of workers, or options; the pool is named after the key", () =>
      Effect.gen(function* () {
        const two = yield* withPool(Resizer.layer(2), (pool) => Effect.sync(() => pool.toJSON()))
        expect(two).toMatchObject({ _id: "WorkerPool", name: "test/Resizer", workers: 2, queue: 0 })
        const sized = yield* withPool(Resizer.layer({ workers: 3, queue: 5 }), (pool) => WorkerPool.stats(pool))
        expect(sized).toEqual({ workers: 3, running: 0, queued: 0, closed: false })
        const queue = yield* withPool(Resizer.layer({ workers: 3, queue: 5 }), (pool) =>
          Effect.sync(() => (pool.toJSON() as { readonly queue: number }).queue)
        )
        expect(queue).toBe(5)
        expectTypeOf(Resizer.layer({ workers: 3, queue: 5 })).toEqualTypeOf<Layer.Layer<Resizer>>()
        // What `process` needs, the layer needs.
        const Factor = Context.Service<number>("test/Factor")
        class Scaler extends WorkerPool.Service<Scaler>()("test/Scaler", {
          process: (n: number) => Effect.map(Factor, (factor) => n * factor)
        }) {}
        expectTypeOf(Scaler.layer(1)).toEqualTypeOf<Layer.Layer<Scaler, never, number>>()
        const scaled = yield* Scaler.run(4).pipe(
          Effect.provide(Scaler.layer(1)),
          Effect.provide(Layer.succeed(Factor, 10))
        )
        expect(scaled).toBe(40)
      })
    )

    it.effect("layer(Config): the numbers come from configuration; a bad or missing one is a ConfigError", () =>
      Effect.gen(function* () {
        const fromEnv = (env: Record<string, unknown>) => ConfigProvider.layer(ConfigProvider.fromUnknown(env))
        const stats = <E>(layer: Layer.Layer<Resizer, E>, env: Record<string, unknown>) =>
          withPool(layer, WorkerPool.stats).pipe(Effect.provide(fromEnv(env)))
        const workers = Resizer.layer(Config.Int("RESIZE_WORKERS"))
        expect((yield* stats(workers, { RESIZE_WORKERS: 4 })).workers).toBe(4)
        const both = Resizer.layer(Config.all({ workers: Config.Int("W"), queue: Config.Int("Q") }))
        const queue = yield* withPool(both, (pool) =>
          Effect.sync(() => (pool.toJSON() as { readonly queue: number }).queue)
        ).pipe(Effect.provide(fromEnv({ W: 2, Q: 7 })))
        expect(queue).toBe(7)
        // A value the pool cannot take: the config's own error, saying what is wrong.
        for (const [layer, env, message] of [
          [workers, { RESIZE_WORKERS: 0 }, "worker pool: workers must be a positive integer, got 0"],
          [both, { W: 2, Q: -1 }, "worker pool: queue must be a non-negative integer, got -1"]
        ] as const) {
          const error = yield* Effect.flip(stats(layer, env))
          expect(error).toBeInstanceOf(Config.ConfigError)
          expect(error.message).toContain(message)
        }
        const missing = yield* Effect.flip(stats(workers, {}))
        expect(missing).toBeInstanceOf(Config.ConfigError)
        expectTypeOf(workers).toEqualTypeOf<Layer.Layer<Resizer, Config.ConfigError>>()
      })
    )

    it.effect("a bad literal given to layer is a defect, raised when the layer is built", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [0, "worker pool: workers must be a positive integer, got 0"],
          [1.5, "worker pool: workers must be a positive integer, got 1.5"],
          ["3", 'worker pool: workers must be a positive integer, got "3"'],
          [{ workers: 2, queue: -1 }, "worker pool: queue must be a non-negative integer, got -1"],
          [null, "worker pool: workers must be a positive integer, got null"]
        ]
        for (const [bad, message] of cases) {
          // Built without running: nothing is thrown until the layer is built.
          const layer = Resizer.layer(bad as number)
          const defect = yield* poolOptionDefect(Layer.build(layer))
          expect(defect.message).toBe(message)
        }
        // A declaration without a process function: the layer says so.
        class Broken extends WorkerPool.Service<Broken>()("test/Broken", {} as any) {}
        expect((yield* poolOptionDefect(Layer.build(Broken.layer(1)))).option).toBe("process")
      })
    )

    it.effect("failFast at the declaration: the first failure stops the pool and is the error of submit", () =>
      Effect.gen(function* () {
        class Strict extends WorkerPool.Service<Strict>()("test/Strict", {
          process: (n: number) => (n < 0 ? Effect.fail(new Boom({ n })) : Effect.succeed(n)),
          failFast: true
        }) {}
        expectTypeOf(Strict.submit).returns.toEqualTypeOf<
          Effect.Effect<WorkerPool.Job<number, Boom>, WorkerPool.PoolClosedError | Boom, Strict>
        >()
        expectTypeOf(Strict.layer(1)).toEqualTypeOf<Layer.Layer<Strict>>()
        const outcome = yield* Effect.gen(function* () {
          expect(yield* Strict.run(1)).toBe(1)
          yield* Effect.exit(Strict.run(-1))
          return yield* Effect.exit(Strict.submit(2))
        }).pipe(Effect.provide(Strict.layer(1)))
        expect(squashed(outcome)).toEqual(new Boom({ n: -1 }))
      })
    )

    it.effect("releasing the layer stops the workers: a running job is interrupted, its handle told", () =>
      Effect.gen(function* () {
        const job = yield* withPool(Resizer.layer({ workers: 2, queue: 4 }), (pool) =>
          Effect.gen(function* () {
            const job = yield* WorkerPool.submit(pool, 100)
            yield* settle
            expect((yield* WorkerPool.stats(pool)).running).toBe(1)
            return job
          })
        )
        closedWith("interrupted")(yield* Effect.exit(WorkerPool.join(job)))
      })
    )

    it.effect("layer(tag, options) for a plain Context.Service key; bad options are a defect", () =>
      Effect.gen(function* () {
        const Doubler = Context.Service<WorkerPool.WorkerPool<number, number>>("test/Doubler")
        const live = WorkerPool.layer(Doubler, { workers: 1, process: (n: number) => Effect.succeed(n * 2) })
        expectTypeOf(live).toEqualTypeOf<Layer.Layer<WorkerPool.WorkerPool<number, number>>>()
        const result = yield* Effect.flatMap(Doubler, (pool) => WorkerPool.run(pool, 21)).pipe(Effect.provide(live))
        expect(result).toBe(42)
        const bad = WorkerPool.layer(Doubler, { workers: 0, process: (n: number) => Effect.succeed(n) })
        expect((yield* poolOptionDefect(Effect.provide(Doubler, bad))).option).toBe("workers")
      })
    )
  })

  describe("values", () => {
    it.effect("a pool and a job handle are Pipeable and Inspectable, showing only their observable state", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const pool = yield* WorkerPool.make({
          name: "thumbs",
          workers: 2,
          queue: 3,
          process: (n: number) => Effect.as(Deferred.await(gate), n)
        })
        const running = yield* WorkerPool.submit(pool, 1)
        const queued = [yield* WorkerPool.submit(pool, 2), yield* WorkerPool.submit(pool, 3)]
        const third = yield* WorkerPool.submit(pool, 4)
        yield* settle
        expect(pool.toJSON()).toEqual({
          _id: "WorkerPool",
          name: "thumbs",
          workers: 2,
          running: 2,
          queued: 2,
          closed: false,
          queue: 3,
          failFast: false,
          failed: false,
          stopped: false
        })
        expect(JSON.parse(String(pool))).toEqual(pool.toJSON())
        expect(pool.pipe((p) => p === pool)).toBe(true)
        const joiner = yield* Effect.forkChild(WorkerPool.join(running))
        yield* settle
        expect(running.toJSON()).toEqual({
          _id: "WorkerPool.Job",
          pool: "thumbs",
          state: "running",
          cancelled: false,
          joining: 1
        })
        expect(third.toJSON()).toMatchObject({ state: "queued", cancelled: false, joining: 0 })
        expect(String(running)).toBe(
          '{"_id":"WorkerPool.Job","pool":"thumbs","state":"running","cancelled":false,"joining":1}'
        )
        expect(running.pipe(WorkerPool.poll)).toBeDefined()
        yield* WorkerPool.cancel(third)
        expect(third.toJSON()).toMatchObject({ state: "interrupted", cancelled: true })
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(joiner)).toBe(1)
        expect(running.toJSON()).toMatchObject({ state: "succeeded", joining: 0 })
        yield* WorkerPool.shutdown(pool)
        for (const job of queued) yield* WorkerPool.join(job)
        expect(pool.toJSON()).toMatchObject({ workers: 0, running: 0, queued: 0, closed: true, stopped: true })
      })
    )
  })

  it.effect("types: failFast sets F, results needs a pool made with a results capacity", () =>
    Effect.gen(function* () {
      const process = (n: number): Effect.Effect<string, Boom> => Effect.succeed(`${n}`)
      // make cannot fail: bad options are defects.
      expectTypeOf(WorkerPool.make({ workers: 1, process })).toEqualTypeOf<
        Effect.Effect<WorkerPool.WorkerPool<number, string, Boom, never>, never, Scope.Scope>
      >()
      expectTypeOf(WorkerPool.make({ workers: 1, process, failFast: true, results: 4 })).toEqualTypeOf<
        Effect.Effect<
          WorkerPool.WorkerPool<number, string, Boom, Boom> & WorkerPool.WithResults<number, string, Boom>,
          never,
          Scope.Scope
        >
      >()
      const plain = yield* WorkerPool.make({ workers: 1, process })
      expectTypeOf(plain).toEqualTypeOf<WorkerPool.WorkerPool<number, string, Boom, never>>()
      expectTypeOf(WorkerPool.submit(plain, 1)).toEqualTypeOf<
        Effect.Effect<WorkerPool.Job<string, Boom>, WorkerPool.PoolClosedError>
      >()
      expectTypeOf(WorkerPool.wait(plain)).toEqualTypeOf<Effect.Effect<void>>()
      const fast = yield* WorkerPool.make({ workers: 1, process, failFast: true })
      expectTypeOf(WorkerPool.submit(fast, 1)).toEqualTypeOf<
        Effect.Effect<WorkerPool.Job<string, Boom>, WorkerPool.PoolClosedError | Boom>
      >()
      expectTypeOf(WorkerPool.shutdown(fast)).toEqualTypeOf<Effect.Effect<void, Boom>>()
      const withResults = yield* WorkerPool.make({ workers: 1, process, results: 0 })
      expectTypeOf(WorkerPool.results(withResults)).toEqualTypeOf<
        Chan.RecvChan<WorkerPool.JobResult<number, string, Boom>>
      >()
      // @ts-expect-error a pool made without `results` has no results channel
      WorkerPool.results(plain)
      // @ts-expect-error the job type is checked
      WorkerPool.submit(plain, "one")
    })
  )

  it.effect.prop(
    "random durations and failures: every job's result is reported exactly once, on its handle and on results",
    [
      Schema.Array(
        Schema.Struct({
          delay: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 20 }))),
          fails: Schema.Boolean
        })
      ),
      Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 4 }))),
      Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 3 })))
    ],
    ([plan, workers, queue]) =>
      Effect.gen(function* () {
        const runs = new Map<number, number>()
        const pool = yield* WorkerPool.make({
          workers,
          queue,
          results: 0,
          process: (i: number) =>
            Effect.sync(() => runs.set(i, (runs.get(i) ?? 0) + 1)).pipe(
              Effect.andThen(Effect.sleep(`${plan[i]!.delay} millis`)),
              Effect.andThen(plan[i]!.fails ? Effect.fail(new Boom({ n: i })) : Effect.succeed(i * 2))
            )
        })
        const fromResults: Array<WorkerPool.JobResult<number, number, Boom>> = []
        const reader = yield* Effect.forkChild(
          Chan.forEach(WorkerPool.results(pool), (r) => Effect.sync(() => fromResults.push(r)))
        )
        const submitter = yield* Effect.forkChild(
          Effect.forEach(plan, (_, i) => WorkerPool.submit(pool, i)).pipe(Effect.tap(() => WorkerPool.close(pool)))
        )
        yield* advance(`${21 * (plan.length + 1)} millis`)
        const jobs = yield* Fiber.join(submitter)
        yield* WorkerPool.wait(pool)
        yield* Fiber.join(reader)
        const exits = yield* Effect.forEach(jobs, (job) => Effect.exit(WorkerPool.join(job)))
        for (let i = 0; i < plan.length; i++) {
          expect(runs.get(i)).toBe(1)
          if (plan[i]!.fails) expect(squashed(exits[i]!)).toEqual(new Boom({ n: i }))
          else expect(exits[i]).toEqual(Exit.succeed(i * 2))
        }
        expect(fromResults.map((r) => r.job).sort((a, b) => a - b)).toEqual(plan.map((_, i) => i))
        for (const r of fromResults) expect(r.exit).toEqual(exits[r.job])
      })
  )
})

/**
 * Effect's run loop may yield before evaluating any effect once a fiber's op
 * budget (`MaxOpsBeforeYield`) is spent. Such a yield can fall between a
 * check and the step that acts on it: `join`/`wait` parking for a job or
 * pool that ended meanwhile (a lost wake-up), a worker starting a job that
 * was cancelled meanwhile, a worker stopped between receiving a job and
 * starting it, an interruption right after a `run` put its job in the queue.
 * Every budget from 3 to 40 (1 and 2 livelock Effect itself) puts that yield
 * at every point of the operations; a hang becomes a failure through the
 * timeout.
 */
describe("WorkerPool under any op budget", () => {
  it.live("3 submitters submit and join, then a graceful shutdown: no lost wake-up", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 2,
          queue: 2,
          process: (j: number) => Effect.as(loop(j % 3, Effect.yieldNow), j * 2)
        })
        const submitter = (from: number) =>
          Effect.forEach(
            Array.from({ length: 20 }, (_, i) => from + i),
            (j) => Effect.flatMap(WorkerPool.submit(pool, j), WorkerPool.join)
          )
        const submitters = yield* Effect.forEach([0, 100, 200], (from) => Effect.forkChild(submitter(from)))
        const results = yield* Fiber.joinAll(submitters)
        expect(results[1]![3]).toBe(206)
        const waiter = yield* Effect.forkChild(WorkerPool.wait(pool))
        yield* WorkerPool.shutdown(pool)
        yield* Fiber.join(waiter)
        expect(yield* WorkerPool.blocked(pool)).toEqual([])
      }).pipe(Effect.orDie)
    )
  )

  it.live("a job cancelled, or whose run was interrupted, does not start afterwards", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const withdrawn = new Set<number>()
        const late: Array<number> = []
        const pool = yield* WorkerPool.make({
          workers: 2,
          queue: 4,
          process: (j: number) =>
            Effect.andThen(
              Effect.sync(() => {
                if (withdrawn.has(j)) late.push(j)
              }),
              loop(2, Effect.yieldNow)
            )
        })
        for (let j = 0; j < 40; j++) {
          if (j % 2 === 0) {
            const job = yield* WorkerPool.submit(pool, j)
            yield* loop(j % 5, Effect.yieldNow)
            yield* WorkerPool.cancel(job)
          } else {
            const running = yield* Effect.forkChild(WorkerPool.run(pool, j))
            yield* loop(j % 5, Effect.yieldNow)
            yield* Fiber.interrupt(running)
          }
          // From here on the job must not start (it may have run already).
          withdrawn.add(j)
        }
        yield* WorkerPool.shutdown(pool)
        expect(late).toEqual([])
      }).pipe(Effect.orDie)
    )
  )

  it.live("cancels landing anywhere in a run: a job reported done is on results, an interrupted one is not", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 2,
          queue: 4,
          results: 100,
          process: (j: number) => Effect.as(loop(j % 3, Effect.yieldNow), j)
        })
        const jobs: Array<WorkerPool.Job<number>> = []
        for (let j = 0; j < 40; j++) {
          const job = yield* WorkerPool.submit(pool, j)
          jobs.push(job)
          yield* loop(j % 5, Effect.yieldNow)
          yield* WorkerPool.cancel(job)
        }
        yield* WorkerPool.shutdown(pool)
        const sent = new Set<number>()
        yield* Chan.forEach(WorkerPool.results(pool), (r) => Effect.sync(() => sent.add(r.job)))
        for (let j = 0; j < 40; j++) {
          const exit = yield* Effect.exit(WorkerPool.join(jobs[j]!))
          expect(Exit.isSuccess(exit) || isInterruptedOnly(exit), `job ${j}`).toBe(true)
          expect(sent.has(j), `job ${j}`).toBe(Exit.isSuccess(exit))
        }
      }).pipe(Effect.orDie)
    )
  )

  it.live("a cancel whose interruption reaches the worker after the job ended stops no other job", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const pool = yield* WorkerPool.make({
          workers: 1,
          queue: 8,
          process: (j: number) => Effect.as(loop(j % 3, Effect.yieldNow), j)
        })
        for (let j = 0; j < 24; j++) {
          const cancelled = yield* WorkerPool.submit(pool, j)
          const next = yield* Effect.forEach([100, 101, 102], (k) => WorkerPool.submit(pool, k + j))
          yield* loop(j % 4, Effect.yieldNow)
          // The cancel marks the running job in one step and interrupts its
          // worker in a later one: the job may have ended in between.
          yield* WorkerPool.cancel(cancelled)
          for (const job of next)
            expect(yield* Effect.exit(WorkerPool.join(job)), `round ${j}`).toMatchObject({ _tag: "Success" })
        }
        expect(yield* WorkerPool.stats(pool)).toMatchObject({ workers: 1, running: 0 })
        yield* WorkerPool.shutdown(pool)
      }).pipe(Effect.orDie)
    )
  )

  it.live("submits interrupted anywhere, even right after the hand-over: every job ends, as many workers", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        let running = 0
        const pool = yield* WorkerPool.make({
          workers: 2,
          process: (j: number) =>
            Effect.as(
              Effect.acquireUseRelease(
                Effect.sync(() => running++),
                () => loop(j % 3, Effect.yieldNow),
                () => Effect.sync(() => running--)
              ),
              j
            )
        })
        for (let j = 0; j < 40; j++) {
          const submitter = yield* Effect.forkChild(WorkerPool.submit(pool, j))
          yield* loop(j % 4, Effect.yieldNow)
          yield* Fiber.interrupt(submitter)
        }
        // (A submit interrupted after its job was taken may still have left it
        // running: let it finish.)
        for (let i = 0; i < 1000 && (yield* WorkerPool.stats(pool)).running > 0; i++) yield* Effect.yieldNow
        expect(yield* WorkerPool.stats(pool)).toMatchObject({ workers: 2, running: 0 })
        expect(running).toBe(0)
        yield* WorkerPool.shutdown(pool)
      }).pipe(Effect.orDie)
    )
  )

  it.live("a submit or trySubmit interrupted anywhere leaves no job behind: its job never completes", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const completed = new Set<number>()
        const running = new Set<number>()
        const process = (j: number) =>
          Effect.acquireUseRelease(
            Effect.sync(() => running.add(j)),
            () =>
              Effect.andThen(
                loop(j % 3, Effect.yieldNow),
                Effect.sync(() => completed.add(j))
              ),
            // A job that takes a while to stop.
            () =>
              Effect.andThen(
                Effect.yieldNow,
                Effect.sync(() => running.delete(j))
              )
          )
        const interrupted: Array<number> = []
        // queue 0: a worker that takes a parked submit's job starts it before the submitter resumes.
        for (const queue of [0, 2]) {
          const pool = yield* WorkerPool.make({ workers: 2, queue, process })
          for (let j = 100 * queue; j < 100 * queue + 60; j++) {
            const submit: Effect.Effect<unknown, unknown> =
              j % 2 === 0 ? WorkerPool.submit(pool, j) : WorkerPool.trySubmit(pool, j)
            // Shifted so that the submitter's op budget runs out at every step of the submit.
            const submitter = yield* Effect.forkChild(Effect.andThen(loop(j % 7, Effect.void), submit))
            yield* loop(j % 4, Effect.yieldNow)
            yield* Fiber.interrupt(submitter)
            if (isInterruptedOnly(yield* Fiber.await(submitter))) {
              interrupted.push(j)
              // The interrupted submit returned once a job of its that had started had stopped.
              expect(running.has(j), `job ${j}`).toBe(false)
            }
          }
          yield* WorkerPool.shutdown(pool)
        }
        // The caller never got the handle: the job was withdrawn (never ran, or was interrupted).
        expect(interrupted.filter((j) => completed.has(j))).toEqual([])
        expect(interrupted.length).toBeGreaterThan(0)
      }).pipe(Effect.orDie)
    )
  )

  it.live("shutdownNow while jobs are queued and being received: every join returns", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let round = 0; round < 10; round++) {
          const pool = yield* WorkerPool.make({
            workers: 2,
            queue: 3,
            process: (j: number) => Effect.as(Effect.yieldNow, j)
          })
          const jobs = yield* Effect.forEach([1, 2, 3, 4, 5], (j) => WorkerPool.submit(pool, j))
          yield* loop(round % 4, Effect.yieldNow)
          yield* WorkerPool.shutdownNow(pool)
          for (const job of jobs) yield* Effect.exit(WorkerPool.join(job))
          expect(yield* WorkerPool.blocked(pool)).toEqual([])
        }
      }).pipe(Effect.orDie)
    )
  )
})

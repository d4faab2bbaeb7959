/**
 * Threads over Node's worker_threads: jobs, typed failures, defects, a
 * thread that exits under its job, interruption of a job that yields and of
 * one that cannot, the scope's close with a busy thread, transfers, and the
 * package's pool, pipeline and group over the same threads. The threads run
 * test/fixtures/threads/worker.ts (Node loads it by type stripping).
 *
 * The tests are bounded by vitest's timeout: a job that would spin for
 * 20 s must be stopped by terminating its thread, or the test fails.
 */
import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as NodeThreads from "../src/NodeThreads.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Threads from "../src/Threads.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import { Job, JobRefused } from "./fixtures/threads/task.ts"
import { budgets, loop } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

const entry = new URL("./fixtures/threads/worker.ts", import.meta.url)
const platform = NodeThreads.layer(entry)

/** `effect` with two threads of the test task, closed at the end. */
const withThreads = <A, E>(
  threads: number,
  f: (threads: Threads.Threads<typeof Job.input.Type, typeof Job.output.Type, JobRefused>) => Effect.Effect<A, E>,
  options?: Threads.ThreadsOptions
) => Effect.scoped(Effect.flatMap(Threads.make(Job, { threads, ...options }), f)).pipe(Effect.provide(platform))

const any = (u: unknown): any => u
const echo = (n: number) => ({ _tag: "Echo", n }) as const
const spin = (ms: number) => ({ _tag: "Spin", ms }) as const

/** Live worker threads of this process: one `MessagePort` resource each. */
const ports = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length

/** Waits (up to 10 s) until the set has `n` threads alive: a replacement starts in the background. */
const untilAlive = (threads: Threads.Threads<any, any, any>, n: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      if ((yield* Threads.alive(threads)) === n) return
      yield* Effect.sleep("50 millis")
    }
    expect(yield* Threads.alive(threads)).toBe(n)
  })

const squashed = <A, E>(exit: Exit.Exit<A, E>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : exit)

describe("Threads", () => {
  it.live(
    "runs jobs on its threads: two jobs at once run on two threads, and return their outputs",
    () =>
      withThreads(2, (threads) =>
        Effect.gen(function* () {
          expect(threads.size).toBe(2)
          expect(yield* Threads.alive(threads)).toBe(2)
          const [a, b] = yield* Effect.all([Threads.run(threads, echo(1)), Threads.run(threads, echo(2))], {
            concurrency: 2
          })
          expect([a.value, b.value]).toEqual([1, 2])
          // Jobs that keep their thread busy: the second runs on the other thread.
          const [c, d] = yield* Effect.all([Threads.run(threads, spin(200)), Threads.run(threads, spin(200))], {
            concurrency: 2
          })
          expect(c.thread).not.toBe(d.thread)
          // The data-last form is a plain function of the input.
          const runJob = Threads.run(threads)
          expect((yield* runJob(echo(3))).value).toBe(3)
        })
      ),
    20_000
  )

  it.live(
    "a typed failure fails the job with its error; a throw dies with ThreadDefect naming the thread; the thread goes on",
    () =>
      withThreads(1, (threads) =>
        Effect.gen(function* () {
          const before = (yield* Threads.run(threads, echo(0))).thread
          const refused = yield* Effect.flip(Threads.run(threads, { _tag: "Refuse", reason: "no" }))
          expect(refused).toBeInstanceOf(JobRefused)
          expect(refused).toMatchObject({ _tag: "JobRefused", reason: "no" })
          const died = squashed(yield* Effect.exit(Threads.run(threads, { _tag: "Throw", message: "boom" })))
          expect(died).toBeInstanceOf(Threads.ThreadDefect)
          expect((died as Threads.ThreadDefect).thread).toBe(0)
          expect((died as Error).message).toBe("a job died in thread 0: TypeError: boom")
          // The same thread serves the next job.
          expect((yield* Threads.run(threads, echo(1))).thread).toBe(before)
        })
      ),
    20_000
  )

  it.live(
    "a thread that exits under its job fails that job with ThreadCrashedError, and a new thread takes its place",
    () =>
      withThreads(
        2,
        (threads) =>
          Effect.gen(function* () {
            const crashed = yield* Effect.flip(Threads.run(threads, { _tag: "Exit", code: 7 }))
            expect(crashed).toBeInstanceOf(Threads.ThreadCrashedError)
            expect(crashed).toMatchObject({ _tag: "ThreadCrashedError", threadsName: "crashy" })
            // The threads start together: either may have taken the job.
            expect([0, 1]).toContain((crashed as Threads.ThreadCrashedError).thread)
            expect((crashed as Error).message).toContain("exited with code: 7")
            // The other thread serves meanwhile; the replacement joins.
            expect((yield* Threads.run(threads, echo(1))).value).toBe(1)
            yield* untilAlive(threads, 2)
            const both = yield* Effect.all([Threads.run(threads, spin(200)), Threads.run(threads, spin(200))], {
              concurrency: 2
            })
            expect(both[0].thread).not.toBe(both[1].thread)
          }),
        { name: "crashy" }
      ),
    30_000
  )

  it.live(
    "a thread that dies while idle is passed over: the next job waits for its replacement",
    () =>
      withThreads(1, (threads) =>
        Effect.gen(function* () {
          const first = yield* Threads.run(threads, { _tag: "ExitAfter", ms: 20 })
          yield* Effect.sleep("200 millis")
          const next = yield* Threads.run(threads, echo(1))
          expect(next.value).toBe(1)
          expect(next.thread).not.toBe(first.thread)
        })
      ),
    20_000
  )

  it.live(
    "interrupting a job that yields stops it in its thread, which goes on",
    () =>
      withThreads(1, (threads) =>
        Effect.gen(function* () {
          const thread = (yield* Threads.run(threads, echo(0))).thread
          const job = yield* Effect.forkChild(Threads.run(threads, { _tag: "Sliced", ms: 20_000 }))
          yield* Effect.sleep("100 millis")
          yield* Fiber.interrupt(job)
          // Not terminated: the same thread runs the next job.
          expect((yield* Threads.run(threads, echo(1))).thread).toBe(thread)
        })
      ),
    20_000
  )

  it.live(
    "interrupting a job that cannot see it (a synchronous loop) terminates its thread after the grace; a new one takes over",
    () =>
      withThreads(
        1,
        (threads) =>
          Effect.gen(function* () {
            const thread = (yield* Threads.run(threads, echo(0))).thread
            const exit = yield* Effect.exit(
              Effect.timeout(Threads.run(threads, { _tag: "Spin", ms: 20_000 }), "100 millis")
            )
            expect(squashed(exit)).toMatchObject({ _tag: "TimeoutError" })
            // The next job waits for the replacement, then runs on it.
            const next = yield* Threads.run(threads, echo(1))
            expect(next.value).toBe(1)
            expect(next.thread).not.toBe(thread)
            expect(yield* Threads.alive(threads)).toBe(1)
          }),
        { interruptGrace: "50 millis" }
      ),
    20_000
  )

  it.live(
    "closing the scope terminates every thread at once, a busy one too: no thread outlives it",
    () =>
      Effect.gen(function* () {
        const before = ports()
        const started = yield* withThreads(2, (threads) =>
          Effect.gen(function* () {
            expect(ports()).toBe(before + 2)
            yield* Effect.forkChild(Threads.run(threads, { _tag: "Spin", ms: 20_000 }))
            yield* Effect.sleep("100 millis")
            return Date.now()
          })
        )
        expect(Date.now() - started).toBeLessThan(5_000)
        // The exits are reported on the next turns.
        for (let i = 0; i < 100 && ports() > before; i++) yield* Effect.sleep("20 millis")
        expect(ports()).toBe(before)
      }),
    20_000
  )

  it.live(
    "an ArrayBuffer in a field declared transferable moves to the thread instead of being copied",
    () =>
      withThreads(1, (threads) =>
        Effect.gen(function* () {
          const buffer = new Uint8Array([1, 2, 3, 250]).buffer
          const sum = yield* Threads.run(threads, { _tag: "Sum", buffer })
          expect(sum.value).toBe(256)
          expect(buffer.byteLength).toBe(0)
        })
      ),
    20_000
  )

  it.live(
    "the same threads serve a WorkerPool (jobs, cancel), a Pipeline stage and a bounded ErrGroup",
    () =>
      withThreads(2, (threads) =>
        Effect.gen(function* () {
          const run = Threads.run(threads)
          yield* Effect.scoped(
            Effect.gen(function* () {
              const pool = yield* WorkerPool.make({ workers: threads.size, queue: 4, process: run })
              const jobs = yield* Effect.forEach([1, 2, 3, 4], (n) => WorkerPool.submit(pool, echo(n)))
              const outputs = yield* Effect.forEach(jobs, WorkerPool.join)
              expect(outputs.map((o) => o.value)).toEqual([1, 2, 3, 4])
              // A cancelled job that cannot see the interruption costs its thread, not the pool.
              const spinning = yield* WorkerPool.submit(pool, { _tag: "Spin", ms: 20_000 })
              yield* Effect.sleep("50 millis")
              yield* WorkerPool.cancel(spinning)
              expect(yield* WorkerPool.run(pool, echo(5))).toMatchObject({ value: 5 })
              yield* WorkerPool.shutdown(pool)
            })
          )
          const stage = yield* Effect.scoped(
            Pipeline.from([echo(1), echo(2), echo(3)]).pipe(
              Effect.flatMap(Pipeline.map(run, { workers: threads.size })),
              Effect.flatMap(Pipeline.collect)
            )
          )
          expect(stage.map((o) => o.value)).toEqual([1, 2, 3])
          const fanned = yield* ErrGroup.forEach([4, 5, 6], (n) => run(echo(n)), { limit: threads.size })
          expect(fanned.map((o) => o.value)).toEqual([4, 5, 6])
        })
      ),
    30_000
  )

  it.live(
    "with jobsPerThread 2 a thread is given its next job while it runs one; a thread that ends fails both",
    () =>
      withThreads(
        1,
        (threads) =>
          Effect.gen(function* () {
            expect(threads.capacity).toBe(2)
            const [a, b] = yield* Effect.all([Threads.run(threads, spin(100)), Threads.run(threads, spin(100))], {
              concurrency: 2
            })
            expect(a.thread).toBe(b.thread)
            const exits = yield* Effect.all(
              [
                Effect.exit(Threads.run(threads, { _tag: "Sliced", ms: 500 })),
                Effect.exit(Threads.run(threads, { _tag: "Exit", code: 5 }))
              ],
              { concurrency: 2 }
            )
            for (const exit of exits) expect(squashed(exit)).toBeInstanceOf(Threads.ThreadCrashedError)
            yield* untilAlive(threads, 1)
            expect((yield* Threads.run(threads, echo(1))).value).toBe(1)
          }),
        { jobsPerThread: 2 }
      ),
    20_000
  )

  it.live(
    "as services: a Threads.Service and a WorkerPool.Service over it, decided by their layers",
    () => {
      class Workers extends Threads.Service<Workers>()("test/Workers", Job) {}
      class Pool extends WorkerPool.Service<Pool>()("test/Pool", { process: Workers.run }) {}
      const live = Pool.layer({ workers: 2, queue: 2 }).pipe(
        Layer.provideMerge(Workers.layer({ threads: 2 })),
        Layer.provide(platform)
      )
      return Effect.gen(function* () {
        const outputs = yield* Effect.forEach([1, 2, 3], (n) => Pool.run(echo(n)), { concurrency: 3 })
        expect(outputs.map((o) => o.value)).toEqual([1, 2, 3])
        const threads = yield* Workers
        expect(threads.name).toBe("test/Workers")
        expect(yield* Threads.alive(threads)).toBe(2)
      }).pipe(Effect.provide(live))
    },
    20_000
  )

  it.live(
    "under every op budget, jobs interrupted at any point leave every thread and every place on it free",
    () =>
      withThreads(
        2,
        (threads) =>
          Effect.gen(function* () {
            for (const budget of budgets) {
              yield* Effect.gen(function* () {
                // Jobs that yield in their thread, interrupted 0..5 steps after they start.
                const jobs = yield* Effect.forEach([0, 1, 2, 3, 4, 5], (i) =>
                  Effect.forkChild(Threads.run(threads, { _tag: "Sliced", ms: 5 + i }))
                )
                for (let i = 0; i < jobs.length; i++) {
                  yield* loop(i, Effect.yieldNow)
                  yield* Fiber.interrupt(jobs[i]!)
                }
                // Every place is free again: as many jobs as the set holds run at once.
                const outputs = yield* Effect.all(
                  Array.from({ length: threads.capacity }, (_, i) => Threads.run(threads, echo(i))),
                  { concurrency: "unbounded" }
                )
                expect(outputs.map((o) => o.value)).toEqual(Array.from({ length: threads.capacity }, (_, i) => i))
              }).pipe(
                Effect.provideService(Scheduler.MaxOpsBeforeYield, budget),
                Effect.timeoutOrElse({
                  duration: "10 seconds",
                  orElse: () => Effect.die(`hung with MaxOpsBeforeYield=${budget}`)
                })
              )
            }
            // No thread was terminated: the jobs stopped in their threads.
            expect(yield* Threads.alive(threads)).toBe(2)
          }),
        { interruptGrace: "1 second" }
      ),
    60_000
  )

  it.live(
    "bad options are defects that say what is wanted; an entry that does not exist fails with ThreadSpawnError",
    () =>
      Effect.gen(function* () {
        for (const threads of [0, -1, 1.5, Number.NaN]) {
          const exit = yield* Effect.exit(Effect.scoped(Threads.make(Job, { threads })).pipe(Effect.provide(platform)))
          const defect = squashed(exit)
          expect(defect).toBeInstanceOf(InvalidArgumentError)
          expect(String(defect)).toContain("a positive integer as threads")
          const perThread = squashed(
            yield* Effect.exit(
              Effect.scoped(Threads.make(Job, { jobsPerThread: threads })).pipe(Effect.provide(platform))
            )
          )
          expect(String(perThread)).toContain("a positive integer as jobsPerThread")
        }
        const grace = squashed(
          yield* Effect.exit(
            Effect.scoped(Threads.make(Job, { interruptGrace: any("soon") })).pipe(Effect.provide(platform))
          )
        )
        expect(grace).toBeInstanceOf(InvalidArgumentError)
        expect(String(grace)).toContain("a duration as interruptGrace")
        // An input its Schema cannot encode is a defect at the call, and takes no thread.
        yield* withThreads(1, (threads) =>
          Effect.gen(function* () {
            const bad = squashed(yield* Effect.exit(Threads.run(threads, any({ _tag: "Echo", n: "one" }))))
            expect(bad).toMatchObject({ _tag: "SchemaError" })
            expect((yield* Threads.run(threads, echo(2))).value).toBe(2)
          })
        )
        const missing = NodeThreads.layer(new URL("./fixtures/threads/missing.ts", import.meta.url))
        const failed = yield* Effect.flip(Effect.scoped(Threads.make(Job)).pipe(Effect.provide(missing)))
        expect(failed).toBeInstanceOf(Threads.ThreadSpawnError)
        expect(failed.message).toContain("could not start")
        expect(Option.isSome(Option.fromNullishOr(failed.reason))).toBe(true)
      }),
    20_000
  )
})

/**
 * Task-group model for the schedule explorer: WaitGroup, ErrGroup,
 * `ErrGroup.forEach` (and `Pipeline.parallel`, which runs on it), WorkerPool
 * and SingleFlight, each fed by 1 to 4 submitting fibers, with
 * submissions, waits, jobs and whole submitters interrupted at seeded points
 * and the groups shut down or their scopes closed at seeded points. A run
 * uses a seeded subset of the four.
 *
 * Every job is unique and records itself: how many times its body started,
 * whether it is running, and how it ended (done, failed, cancelled).
 *
 * Invariants:
 * - every job ran at most once;
 * - once its group has been waited for or shut down, nothing is left
 *   running, and every job is accounted for: done, failed, cancelled
 *   (interrupted, or dropped before it started), or refused (`tryGo` said
 *   false, `trySubmit` said none, the pool was closed);
 * - WaitGroup: when `wait` returns, every job whose `go` had returned before
 *   the wait started has ended;
 * - ErrGroup: never more jobs running than the limit; when `wait` returns,
 *   every job accepted before it started has ended (a `go` concurrent with
 *   the wait may start one after the group reached zero, as in Go); `wait`
 *   fails when one of those failed, and only with a failed job's error;
 * - forEach: never more of a call's jobs running than its limit; when the
 *   call returns, however it ends, none of its jobs runs; a success returns
 *   every job's value in input order; a failure is a failed job's error
 *   (with `collectAll`: every job ran, and the failure lists exactly the
 *   failed jobs);
 * - WorkerPool: what a job's handle says agrees with what the job did (a
 *   done job's handle has its value, a failed job's its error, and a handle
 *   that says closed or interrupted belongs to a job that never ran or was
 *   cancelled — or that was asked to stop, by `cancel` or by the pool
 *   stopping, while its body ran uninterruptibly: Effect ends an effect
 *   interrupted during an uninterruptible region as interrupted when the
 *   region ends, whatever the region returned, as `Fiber.interrupt` does);
 *   no handle is left undecided after the pool stopped;
 * - SingleFlight: a caller's value comes from a flight of its key that
 *   completed, callers that got the same flight's value are told it was
 *   shared, and once every caller has ended no flight runs and no key is
 *   left;
 * - no fiber is left in any `blocked` dump.
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as ErrGroup from "../../src/ErrGroup.ts"
import type { Chaos, ChaosViolation } from "../../src/internal/explore.ts"
import * as Pipeline from "../../src/Pipeline.ts"
import * as SingleFlight from "../../src/SingleFlight.ts"
import * as WaitGroup from "../../src/WaitGroup.ts"
import * as WorkerPool from "../../src/WorkerPool.ts"

class JobError extends Data.TaggedError("JobError")<{ readonly id: number }> {}

interface Job {
  readonly id: number
  started: number
  running: boolean
  outcome: "done" | "failed" | "cancelled" | undefined
}

/** The groups model: see the module documentation. */
export const groupsModel = (chaos: Chaos): Effect.Effect<void, ChaosViolation, Scope.Scope> =>
  Effect.gen(function* () {
    const violations: Array<string> = []
    const pInterruptOp = chaos.pick([0, 0.05, 0.2, 0.4])
    const maybeInterrupted = <A, E>(op: Effect.Effect<A, E>): Effect.Effect<void> =>
      Effect.suspend(() =>
        chaos.chance(pInterruptOp)
          ? Effect.flatMap(Effect.forkChild(op), (fiber) =>
              Effect.andThen(chaos.interruptLater(fiber), Effect.asVoid(Fiber.await(fiber)))
            )
          : Effect.ignore(op)
      )
    const all = ["waitgroup", "errgroup", "foreach", "pool", "singleflight"] as const
    const kinds: Array<(typeof all)[number]> = all.filter(() => chaos.chance(0.5))
    if (kinds.length === 0) kinds.push(chaos.pick(all))
    chaos.trace(`${kinds.join(",")} p${pInterruptOp}`)
    chaos.note("groups", () => kinds.join(", "))

    let nextJob = 0
    const jobs: Array<Job> = []
    const newJob = (): Job => {
      const job: Job = { id: nextJob++, started: 0, running: false, outcome: undefined }
      jobs.push(job)
      return job
    }
    /**
     * A job's body: records its start and its end in one uninterruptible
     * bracket around a few seeded yields, then succeeds with its id or fails
     * (with probability `pFail`).
     */
    const body = (job: Job, pFail: number, onStart: () => void = () => {}, onEnd: () => void = () => {}) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          chaos.count()
          if (++job.started > 1) violations.push(`job ${job.id} started ${job.started} times`)
          job.running = true
          onStart()
          chaos.trace(`j${job.id}`)
          const fails = chaos.chance(pFail)
          return restore(
            Effect.andThen(chaos.yields(4), fails ? Effect.fail(new JobError({ id: job.id })) : Effect.succeed(job.id))
          ).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() => {
                job.running = false
                onEnd()
                job.outcome = Exit.isSuccess(exit)
                  ? "done"
                  : Cause.hasInterruptsOnly(exit.cause)
                    ? "cancelled"
                    : "failed"
                chaos.trace(`${job.outcome[0]}${job.id}`)
              })
            )
          )
        })
      )
    /** Forks `count` fibers that each run `step` `rounds()` times; a tenth of them are interrupted later. */
    const submitters = (count: number, rounds: () => number, step: () => Effect.Effect<void>) =>
      Effect.tap(
        Effect.forEach(
          Array.from({ length: count }),
          () =>
            Effect.forkChild(
              Effect.suspend(() => {
                let i = 0
                const n = rounds()
                return Effect.whileLoop({ while: () => i++ < n, body: step, step: () => {} })
              })
            ),
          { concurrency: 1 }
        ),
        (fibers) =>
          Effect.forEach(fibers, (fiber) => (chaos.chance(0.1) ? chaos.interruptLater(fiber, 200) : Effect.void), {
            discard: true
          })
      )
    /** {@link submitters}, then waits until every one has ended. */
    const submitAll = (count: number, rounds: () => number, step: () => Effect.Effect<void>) =>
      Effect.flatMap(submitters(count, rounds, step), Fiber.awaitAll)
    const checks: Array<Effect.Effect<void>> = []
    const tasks: Array<Effect.Effect<void>> = []

    // -------------------------------------------------------------- WaitGroup
    if (kinds.includes("waitgroup")) {
      const scope = yield* Scope.make()
      const wg = yield* WaitGroup.make({ name: "wg" }).pipe(Scope.provide(scope))
      const mine: Array<Job> = []
      /** Jobs whose `go` returned. */
      const accepted = new Set<Job>()
      const go = Effect.suspend(() => {
        chaos.count()
        const job = newJob()
        mine.push(job)
        return Effect.uninterruptibleMask((restore) =>
          restore(WaitGroup.go(wg, Effect.ignore(body(job, 0)))).pipe(
            Effect.tap((fiber) => {
              accepted.add(job)
              return chaos.chance(0.1) ? chaos.interruptLater(fiber, 20) : Effect.void
            })
          )
        )
      })
      const waitOnce = Effect.suspend(() => {
        chaos.count()
        const before = [...accepted]
        return Effect.uninterruptibleMask((restore) =>
          restore(WaitGroup.wait(wg)).pipe(
            Effect.tap(() =>
              Effect.sync(() => {
                const unfinished = before.filter((job) => job.running || (job.started > 0 && job.outcome === undefined))
                if (unfinished.length > 0) {
                  violations.push(
                    `WaitGroup: wait returned while jobs ${unfinished.map((j) => j.id).join(", ")} had not ended`
                  )
                }
              })
            )
          )
        )
      })
      tasks.push(
        Effect.gen(function* () {
          yield* submitAll(
            chaos.between(1, 4),
            () => chaos.between(3, 25),
            () => maybeInterrupted(chaos.chance(0.85) ? go : waitOnce)
          )
          if (chaos.chance(0.8)) yield* waitOnce
          yield* Scope.close(scope, Exit.void)
          yield* waitOnce
        })
      )
      checks.push(
        Effect.gen(function* () {
          const waiters = yield* WaitGroup.blocked(wg)
          if (waiters.length > 0) violations.push(`WaitGroup: ${waiters.length} waiter(s) left`)
          const count = yield* WaitGroup.count(wg)
          if (count !== 0) violations.push(`WaitGroup: counter ${count} after every job ended`)
          for (const job of mine) {
            if (job.running) violations.push(`WaitGroup: job ${job.id} still running after the group's scope closed`)
            if (accepted.has(job) && job.started > 0 && job.outcome === undefined) {
              violations.push(`WaitGroup: job ${job.id} started and never ended`)
            }
          }
        })
      )
    }

    // --------------------------------------------------------------- ErrGroup
    if (kinds.includes("errgroup")) {
      const scope = yield* Scope.make()
      const limit = chaos.pick([-1, 1, 2, 3, 8])
      const g = yield* ErrGroup.make<JobError>({ limit, name: "g" }).pipe(Effect.orDie, Scope.provide(scope))
      const pFail = chaos.pick([0, 0.02, 0.1])
      let running = 0
      const mine: Array<Job> = []
      const refused = new Set<Job>()
      /** Jobs whose `go` or `tryGo` returned (accepted or dropped). */
      const accepted = new Set<Job>()
      const task = (job: Job) =>
        body(
          job,
          pFail,
          () => {
            if (++running > limit && limit >= 0)
              violations.push(`ErrGroup: ${running} jobs running with limit ${limit}`)
          },
          () => void running--
        )
      const go = Effect.suspend(() => {
        chaos.count()
        const job = newJob()
        mine.push(job)
        const given: Effect.Effect<unknown> = chaos.chance(0.7)
          ? ErrGroup.go(g, task(job))
          : Effect.tap(ErrGroup.tryGo(g, task(job)), (ok) => Effect.sync(() => void (ok || refused.add(job))))
        return Effect.uninterruptibleMask((restore) =>
          Effect.tap(restore(given), () => Effect.sync(() => void accepted.add(job)))
        )
      })
      /**
       * `wait`, with the jobs accepted before it started: those must have
       * ended when it returns (a `go` concurrent with the wait may start a
       * job after the group reached zero, as with Go's errgroup).
       */
      const waitExit = Effect.suspend(() => {
        chaos.count()
        const before = [...accepted]
        return Effect.map(Effect.exit(ErrGroup.wait(g)), (exit) => [exit, before] as const)
      })
      const checkWait = ([exit, before]: readonly [Exit.Exit<void, JobError>, ReadonlyArray<Job>]) =>
        Effect.sync(() => {
          // An interrupted wait says nothing about the group.
          if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return
          const unfinished = before.filter((job) => job.running)
          if (unfinished.length > 0) {
            violations.push(`ErrGroup: wait returned while jobs ${unfinished.map((j) => j.id).join(", ")} ran`)
          }
          const failed = mine.filter((job) => job.outcome === "failed").map((job) => job.id)
          if (Exit.isSuccess(exit)) {
            const failedBefore = before.filter((job) => job.outcome === "failed").map((job) => job.id)
            if (failedBefore.length > 0)
              violations.push(`ErrGroup: wait succeeded although jobs ${failedBefore.join(", ")} failed`)
          } else {
            const error = Cause.squash(exit.cause)
            if (!(error instanceof JobError)) violations.push(`ErrGroup: wait failed with ${String(error)}`)
            else if (!failed.includes(error.id))
              violations.push(`ErrGroup: wait failed with job ${error.id}'s error, but that job did not fail`)
          }
        })
      tasks.push(
        Effect.gen(function* () {
          yield* submitAll(
            chaos.between(1, 4),
            () => chaos.between(3, 25),
            () => maybeInterrupted(chaos.chance(0.9) ? go : Effect.flatMap(waitExit, checkWait))
          )
          if (chaos.chance(0.8)) yield* Effect.flatMap(waitExit, checkWait)
          yield* Scope.close(scope, Exit.void)
          const exit = yield* waitExit
          yield* checkWait(exit)
        })
      )
      checks.push(
        Effect.gen(function* () {
          const waiters = yield* ErrGroup.blocked(g)
          if (waiters.length > 0) violations.push(`ErrGroup: ${waiters.length} waiter(s) left`)
          const active = yield* ErrGroup.active(g)
          if (active !== 0) violations.push(`ErrGroup: ${active} active after its scope closed`)
          for (const job of mine) {
            if (job.running) violations.push(`ErrGroup: job ${job.id} still running after the group's scope closed`)
            if (refused.has(job) && job.started > 0)
              violations.push(`ErrGroup: job ${job.id} ran although tryGo said false`)
          }
        })
      )
    }

    // ---------------------------------------------------- ErrGroup.forEach
    if (kinds.includes("foreach")) {
      const pFail = chaos.pick([0, 0.05, 0.2])
      const mine: Array<Job> = []
      /** One call: `forEach` (fail-fast or collect-all) or `Pipeline.parallel`, checked when it returns. */
      const call = Effect.suspend(() => {
        chaos.count()
        const limit = chaos.pick([-1, 1, 2, 3])
        const via = chaos.pick(["forEach", "collectAll", "parallel"] as const)
        const callJobs = Array.from({ length: chaos.between(0, 12) }, () => newJob())
        mine.push(...callJobs)
        let running = 0
        const f = (job: Job) =>
          body(
            job,
            pFail,
            () => {
              if (++running > limit && limit >= 0)
                violations.push(`forEach: ${running} of a call's jobs running with limit ${limit}`)
            },
            () => void running--
          )
        const run: Effect.Effect<Array<number>, JobError | ErrGroup.ErrGroupErrors<JobError>> = via === "parallel"
          ? Pipeline.parallel(callJobs, f, { workers: limit < 0 ? 16 : limit })
          : via === "collectAll"
            ? ErrGroup.forEach(callJobs, f, { limit, collectAll: true })
            : ErrGroup.forEach(callJobs, f, { limit })
        return Effect.map(Effect.exit(run), (exit) => {
          const stillRunning = callJobs.filter((job) => job.running).map((job) => job.id)
          if (stillRunning.length > 0)
            violations.push(`forEach (${via}): returned while jobs ${stillRunning.join(", ")} ran`)
          const failed = callJobs.filter((job) => job.outcome === "failed").map((job) => job.id)
          if (Exit.isSuccess(exit)) {
            const ids = callJobs.map((job) => job.id)
            if (exit.value.join() !== ids.join())
              violations.push(`forEach (${via}): returned ${exit.value.join()} for jobs ${ids.join()}`)
            if (callJobs.some((job) => job.outcome !== "done"))
              violations.push(`forEach (${via}): succeeded although not every job was done`)
          } else if (!Cause.hasInterruptsOnly(exit.cause)) {
            const error = Cause.squash(exit.cause)
            if (via === "collectAll") {
              const listed =
                error instanceof ErrGroup.ErrGroupErrors
                  ? (error.errors as ReadonlyArray<JobError>).map((e) => e.id).sort((a, b) => a - b)
                  : undefined
              if (listed === undefined || listed.join() !== [...failed].sort((a, b) => a - b).join())
                violations.push(`forEach (collectAll): failed with ${String(error)}; failed jobs ${failed.join()}`)
              const unrun = callJobs.filter((job) => job.started === 0).map((job) => job.id)
              if (unrun.length > 0) violations.push(`forEach (collectAll): jobs ${unrun.join(", ")} never ran`)
            } else if (!(error instanceof JobError) || !failed.includes(error.id)) {
              violations.push(`forEach (${via}): failed with ${String(error)}; failed jobs ${failed.join()}`)
            }
          }
        })
      })
      tasks.push(
        Effect.gen(function* () {
          yield* submitAll(
            chaos.between(1, 4),
            () => chaos.between(1, 6),
            () => maybeInterrupted(call)
          )
        })
      )
      checks.push(
        Effect.sync(() => {
          for (const job of mine) {
            if (job.running) violations.push(`forEach: job ${job.id} still running after every call ended`)
            if (job.started > 0 && job.outcome === undefined)
              violations.push(`forEach: job ${job.id} started and never ended`)
          }
        })
      )
    }

    // ------------------------------------------------------------- WorkerPool
    if (kinds.includes("pool")) {
      const scope = yield* Scope.make()
      const failFast = chaos.chance(0.2)
      const byId = new Map<number, Job>()
      const pFail = chaos.pick([0, 0.02, 0.1])
      const pool = yield* WorkerPool.make({
        workers: chaos.between(1, 4),
        queue: chaos.pick([0, 1, 4, 32]),
        failFast,
        name: "pool",
        process: (id: number) => body(byId.get(id)!, pFail)
      }).pipe(Effect.orDie, Scope.provide(scope))
      const handles: Array<[Job, WorkerPool.Job<number, JobError>]> = []
      const refused = new Set<Job>()
      // Jobs asked to stop: by `cancel`, or by the pool stopping them (shutdownNow, failFast).
      const cancelled = new Set<Job>()
      let stoppedNow = failFast
      const submit = Effect.suspend(() => {
        chaos.count()
        const job = newJob()
        byId.set(job.id, job)
        const kind = chaos.int(3)
        const keep = (handle: WorkerPool.Job<number, JobError>) =>
          Effect.suspend(() => {
            handles.push([job, handle])
            if (!chaos.chance(0.15)) return Effect.void
            cancelled.add(job)
            return WorkerPool.cancel(handle)
          })
        return Effect.uninterruptibleMask((restore) =>
          kind === 0
            ? restore(WorkerPool.submit(pool, job.id)).pipe(
                Effect.flatMap(keep),
                Effect.catch(() => Effect.sync(() => void refused.add(job)))
              )
            : kind === 1
              ? restore(WorkerPool.trySubmit(pool, job.id)).pipe(
                  Effect.flatMap((handle) =>
                    Option.isSome(handle) ? keep(handle.value) : Effect.sync(() => void refused.add(job))
                  ),
                  Effect.catch(() => Effect.sync(() => void refused.add(job)))
                )
              : Effect.ignore(restore(WorkerPool.run(pool, job.id)))
        )
      })
      tasks.push(
        Effect.gen(function* () {
          const fibers = yield* submitters(
            chaos.between(1, 4),
            () => chaos.between(3, 30),
            () => maybeInterrupted(submit)
          )
          const stop = chaos.int(3)
          if (stop === 0) yield* Effect.ignore(WorkerPool.shutdown(pool))
          else if (stop === 1) {
            stoppedNow = true
            yield* Effect.ignore(WorkerPool.shutdownNow(pool))
          }
          yield* Fiber.awaitAll(fibers)
          yield* Effect.ignore(WorkerPool.shutdown(pool))
          yield* Scope.close(scope, Exit.void)
        })
      )
      checks.push(
        Effect.gen(function* () {
          const waiters = yield* WorkerPool.blocked(pool)
          if (waiters.length > 0) violations.push(`WorkerPool: ${waiters.length} waiter(s) left`)
          for (const [job, handle] of handles) {
            if (job.running) violations.push(`WorkerPool: job ${job.id} still running after the pool stopped`)
            const polled = yield* WorkerPool.poll(handle)
            if (Option.isNone(polled)) {
              violations.push(
                `WorkerPool: job ${job.id}'s handle undecided after the pool stopped (ran: ${job.outcome})`
              )
              continue
            }
            const exit = polled.value
            const said = Exit.isSuccess(exit)
              ? "done"
              : Cause.hasInterruptsOnly(exit.cause) || Cause.squash(exit.cause) instanceof WorkerPool.PoolClosedError
                ? "cancelled"
                : "failed"
            const ran = job.outcome ?? (job.started > 0 ? "running" : "never ran")
            const asked = cancelled.has(job) || stoppedNow
            const agrees =
              said === "cancelled"
                ? ran === "cancelled" || ran === "never ran" || (asked && ran !== "running")
                : said === ran
            if (!agrees)
              violations.push(
                `WorkerPool: job ${job.id}'s handle says ${said} (${Exit.isFailure(exit) ? Cause.pretty(exit.cause).split("\n")[0] : ""}) but the job ${ran}`
              )
            if (Exit.isSuccess(exit) && exit.value !== job.id)
              violations.push(`WorkerPool: job ${job.id}'s handle has job ${exit.value}'s value`)
          }
          for (const job of refused)
            if (job.started > 0) violations.push(`WorkerPool: job ${job.id} ran although it was refused`)
        })
      )
    }

    // ----------------------------------------------------------- SingleFlight
    if (kinds.includes("singleflight")) {
      const scope = yield* Scope.make()
      const sf = yield* SingleFlight.make<number, JobError>({ name: "sf" }).pipe(Scope.provide(scope))
      const pFail = chaos.pick([0, 0.1])
      /** Flights (jobs) by id, with their key. */
      const flights = new Map<number, { job: Job; key: string; receivers: Array<boolean> }>()
      const call = Effect.suspend(() => {
        chaos.count()
        const key = chaos.pick(["a", "b", "c"])
        const job = newJob()
        const flight = { job, key, receivers: [] as Array<boolean> }
        flights.set(job.id, flight)
        return Effect.uninterruptibleMask((restore) =>
          restore(SingleFlight.do(sf, key, body(job, pFail))).pipe(
            Effect.tap((result) =>
              Effect.sync(() => {
                const from = flights.get(result.value)
                if (from === undefined || from.key !== key || from.job.outcome !== "done") {
                  violations.push(
                    `SingleFlight: a call for ${key} got ${result.value}, which is not a completed flight of that key`
                  )
                } else from.receivers.push(result.shared)
              })
            ),
            Effect.ignore
          )
        )
      })
      tasks.push(
        Effect.gen(function* () {
          yield* submitAll(
            chaos.between(2, 5),
            () => chaos.between(3, 25),
            () => maybeInterrupted(call)
          )
          const keys = yield* SingleFlight.keys(sf)
          if (keys.length > 0) violations.push(`SingleFlight: keys ${keys.join(", ")} left after every caller ended`)
          const running = [...flights.values()].filter((f) => f.job.running).map((f) => f.job.id)
          if (running.length > 0)
            violations.push(`SingleFlight: flights ${running.join(", ")} still running after every caller ended`)
          const waiters = yield* SingleFlight.blocked(sf)
          if (waiters.length > 0) violations.push(`SingleFlight: ${waiters.length} waiter(s) left`)
          yield* Scope.close(scope, Exit.void)
        })
      )
      checks.push(
        Effect.sync(() => {
          for (const [id, flight] of flights) {
            if (flight.receivers.length > 1 && flight.receivers.some((shared) => !shared)) {
              violations.push(
                `SingleFlight: flight ${id}'s value reached ${flight.receivers.length} callers, some told it was not shared`
              )
            }
          }
        })
      )
    }

    yield* Effect.all(tasks, { concurrency: "unbounded", discard: true })
    for (const check of checks) yield* check
    chaos.trace(`jobs ${jobs.length}`)
    if (violations.length > 0) {
      return yield* chaos.fail(
        `groups model (${kinds.join(", ")}): ${violations.slice(0, 5).join("; ")}` +
          (violations.length > 5 ? `; and ${violations.length - 5} more` : "")
      )
    }
  })

/**
 * A fixed pool of workers consuming a job channel: Go's worker-pool pattern
 *
 * ```go
 * jobs := make(chan Job, queue)
 * for w := 0; w < workers; w++ { go func() { for j := range jobs { results <- process(j) } }() }
 * ```
 *
 * packaged with what Go leaves to discipline: backpressure, per-job results,
 * typed errors, shutdown and cancellation.
 *
 * - {@link make} starts `workers` fibers in the current `Scope`; each ranges
 *   over a job channel ({@link Chan}) of capacity `queue` and runs `process`.
 * - {@link submit} sends a job, waiting while the queue is full (Go's
 *   `jobs <- j`), and returns a {@link Job} handle: {@link join} waits for the
 *   job's own result. {@link run} submits and joins in one step.
 * - With `results: capacity`, every completed job is also sent, in completion
 *   order, to {@link results}: Go's `results` channel, closed once the pool has
 *   stopped.
 * - A job failing with `E` fails its own handle only; the pool keeps going.
 *   With `failFast: true` the first failure stops the pool (as {@link shutdownNow})
 *   and becomes the error of {@link submit}, {@link wait} and {@link shutdown}.
 * - {@link shutdown} stops accepting jobs (later submits fail with
 *   {@link PoolClosedError}), lets the queued ones run and waits for the workers
 *   (Go: `close(jobs); wg.Wait()`). {@link shutdownNow} interrupts the running
 *   jobs and drops the queued ones, whose handles fail with
 *   {@link PoolClosedError}. Closing the pool's scope is a `shutdownNow`.
 * - {@link Service} declares a pool as an Effect service: the declaration
 *   says what a job does, the layer how many workers run it (a number,
 *   options or a `Config`), and owns the workers. {@link layer} does the same
 *   for a plain `Context.Service` key.
 * - A pool and a job handle are Pipeable and Inspectable: `String(pool)`
 *   shows its workers, running and queued jobs, and whether it is closed.
 *
 * Differences from Go, and why:
 * - A job runs in its worker's fiber, as in Go. {@link cancel} (and an
 *   interrupted {@link run}) interrupts that worker, which stops that job
 *   alone: a fresh worker takes the place of the one lost. Fibers a job forks
 *   with `Effect.forkChild` are interrupted when the job ends, as if it had a
 *   fiber of its own.
 * - A defect (die) in a job is a per-job outcome like a typed failure: it
 *   reaches the job's {@link join} (and the results channel) and, unless
 *   `failFast`, the pool keeps going. A Go panic in a worker kills the process.
 * - `queue: 0` (the default) is Go's unbuffered jobs channel: `submit` returns
 *   once a worker has taken the job.
 * - Work handed to a closed pool is refused at the call, never dropped
 *   silently: {@link submit}, {@link trySubmit} and {@link run} fail with
 *   {@link PoolClosedError} (`"rejected"`) once the pool is closed, shut
 *   down or its scope closed (Go's send on a closed channel panics). The
 *   error is typed, not a defect as WaitGroup's and ErrGroup's refusal of a
 *   `go` after their scope closed: a pool is closed by an operation
 *   ({@link close}, {@link shutdown}, a `failFast` failure) that other fibers
 *   race while producers still submit, so a producer can meet it without any
 *   mistake and must be able to handle it; a group's scope is closed by its
 *   owner, which is the one starting its tasks.
 * - Bad options are a defect ({@link InvalidPoolOptionError}), raised inside
 *   the effect `make` returns (or the layer); nothing is thrown while it is
 *   built. A bad number read from a `Config` by a service's layer is that
 *   config's `ConfigError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * // A worker pool with 3 workers and 5 jobs
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const pool = yield* WorkerPool.make({
 *       workers: 3,
 *       queue: 100,
 *       process: (j: number) => Effect.sleep("100 millis").pipe(Effect.as(j * 2))
 *     })
 *     const jobs = yield* Effect.forEach([1, 2, 3, 4, 5], (j) => WorkerPool.submit(pool, j))
 *     yield* WorkerPool.shutdown(pool) // close(jobs); wg.Wait()
 *     return yield* Effect.forEach(jobs, WorkerPool.join) // [2, 4, 6, 8, 10]
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import type * as Chan from "./Chan.ts"
import * as JobHandle from "./internal/job.ts"
import {
  blocked as blockedOf,
  closeJobs,
  InvalidPoolOptionError,
  invalidSize,
  makePool,
  PoolClosedError,
  type PoolImpl,
  run as runJob,
  stats as statsOf,
  stopNow,
  submit as submitJob,
  TypeId,
  trySubmit as trySubmitJob,
  waitFor
} from "./internal/pool.ts"
import { type BlockedFiber, shallow } from "./internal/waiters.ts"

export {
  /**
   * A bad option at `WorkerPool.make` or a pool's layer: a defect naming the
   * option, what was given and what is wanted.
   *
   * @category errors
   * @since 0.1.0
   */
  InvalidPoolOptionError,
  /**
   * The pool is closed or stopped: `"rejected"`, `"dropped"` or
   * `"interrupted"` (see its `reason`). A typed failure: producers race a
   * close, so any of them may meet it.
   *
   * @category errors
   * @since 0.1.0
   */
  PoolClosedError
}

const ResultsTypeId = "~effect-go/WorkerPool/Results" as const

/**
 * A pool of workers running `process` on jobs of type `I`, producing `O` or
 * failing with `E`. `F` is the error that stops the whole pool: `E` when made
 * with `failFast: true`, else `never`. Create it with {@link make}.
 *
 * Pipeable, and Inspectable: `String(pool)` and `console.log(pool)` show
 * `{ _id: "WorkerPool", name, workers, running, queued, closed, queue,
 * failFast, failed, stopped }` — live workers, running jobs, jobs waiting
 * in the queue, whether it accepts jobs, the queue's capacity, and whether
 * a `failFast` failure stopped it or every worker has stopped.
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkerPool<in I, out O, out E = never, out F = never> extends Pipeable, Inspectable {
  readonly [TypeId]: {
    readonly _I: Types.Contravariant<I>
    readonly _O: Types.Covariant<O>
    readonly _E: Types.Covariant<E>
    readonly _F: Types.Covariant<F>
  }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A pool made with a `results` capacity: its completed jobs can be read from
 * {@link results}.
 *
 * @category models
 * @since 0.1.0
 */
export interface WithResults<out I, out O, out E> {
  readonly [ResultsTypeId]: {
    readonly _I: Types.Covariant<I>
    readonly _O: Types.Covariant<O>
    readonly _E: Types.Covariant<E>
  }
}

/**
 * A submitted job: {@link join} waits for its result, {@link poll} peeks at
 * it, {@link cancel} withdraws or interrupts it.
 *
 * Pipeable, and Inspectable: `String(job)` shows `{ _id: "WorkerPool.Job",
 * pool, state, cancelled, joining }` — its pool's name, where it is or how
 * it ended (`"queued"`, `"running"`, `"succeeded"`, `"failed"` or
 * `"interrupted"`), whether it was cancelled and how many fibers wait in
 * {@link join}. Not the job's input.
 *
 * @category models
 * @since 0.1.0
 */
export interface Job<out O, out E = never> extends Pipeable, Inspectable {
  readonly [JobHandle.JobTypeId]: { readonly _O: Types.Covariant<O>; readonly _E: Types.Covariant<E> }
}

/**
 * The outcome of a completed job, as sent to {@link results}: Go's
 * `result{job, value, err}` struct.
 *
 * @category models
 * @since 0.1.0
 */
export interface JobResult<out I, out O, out E> {
  readonly job: I
  readonly exit: Exit.Exit<O, E>
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<I, O, E, R> {
  /** How many workers (fibers) run jobs: a positive integer. */
  readonly workers: number
  /** What a worker does with a job. */
  readonly process: (job: I) => Effect.Effect<O, E, R>
  /** Capacity of the job channel (default 0: `submit` waits for an idle worker). */
  readonly queue?: number | undefined
  /** Stop the whole pool at the first failed job (default false). */
  readonly failFast?: boolean | undefined
  /** Capacity of the {@link results} channel; without it the pool has none. */
  readonly results?: number | undefined
  /** Shown in blocked-fiber dumps and in {@link PoolClosedError}. */
  readonly name?: string | undefined
  /**
   * Telemetry for this pool alone (its job and results channels included):
   * `false` records nothing from it even under `Telemetry.layer` (a hot
   * internal pool); `true` records it even outside one (default settings,
   * into the fiber's metric registry). Default: as the `Telemetry.layer` in
   * force.
   */
  readonly telemetry?: boolean | undefined
}

/**
 * The pool type {@link make} returns for its options: `failFast: true` makes
 * `F = E`, a `results` capacity adds {@link WithResults}.
 *
 * @category models
 * @since 0.1.0
 */
export type PoolOf<I, O, E, FailFast extends boolean, Results extends number | undefined> = WorkerPool<
  I,
  O,
  E,
  FailFast extends true ? E : never
> &
  ([Results] extends [undefined] ? unknown : WithResults<I, O, E>)

/**
 * The options as {@link make} reads them, keeping `failFast` and `results`
 * literal.
 *
 * @category models
 * @since 0.1.0
 */
export type MakeOptions<I, O, E, R, FailFast extends boolean, Results extends number | undefined> = Options<
  I,
  O,
  E,
  R
> & { readonly failFast?: FailFast; readonly results?: Results }

const poolImpl = (self: WorkerPool<any, any, any, any>): PoolImpl => self as unknown as PoolImpl
const jobImpl = (self: Job<any, any>): JobHandle.JobImpl => self as unknown as JobHandle.JobImpl

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

/**
 * Starts a pool of `workers` fibers in the current `Scope`. Closing the scope
 * stops the pool as {@link shutdownNow} does and waits for its fibers. Go: the
 * `for w := 1; w <= workers; w++ { go worker(w, jobs, results) }` loop.
 *
 * It cannot fail: `workers` must be a positive safe integer, `queue` and
 * `results` non-negative integers, `process` a function, `failFast` and
 * `telemetry` booleans (or absent); anything else is a defect
 * ({@link InvalidPoolOptionError}), raised when the effect runs.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}
 * declare const fetchPage: (url: string) => Effect.Effect<string, FetchError>
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const pool = yield* WorkerPool.make({
 *       workers: 4,
 *       queue: 16,
 *       process: fetchPage,
 *       failFast: true // the first FetchError stops the pool
 *     })
 *     return yield* WorkerPool.run(pool, "https://example.com")
 *   })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <
  I,
  O,
  E = never,
  R = never,
  const FailFast extends boolean = false,
  const Results extends number | undefined = undefined
>(
  options: MakeOptions<I, O, E, R, FailFast, Results>
): Effect.Effect<PoolOf<I, O, E, FailFast, Results>, never, R | Scope.Scope> =>
  makePool(options) as unknown as Effect.Effect<PoolOf<I, O, E, FailFast, Results>, never, R | Scope.Scope>

// -----------------------------------------------------------------------------
// Jobs
// -----------------------------------------------------------------------------

/**
 * Submits a job, waiting while the queue is full (Go: `jobs <- job`), and
 * returns its {@link Job} handle. Fails with {@link PoolClosedError} once the
 * pool is closed — also when it closes while this submit waits — and, for a
 * `failFast` pool that has failed, with that failure.
 *
 * Interruptible: an interrupted submit leaves no job behind (a job that
 * went in as it was interrupted is withdrawn as by {@link cancel}).
 *
 * @category combinators
 * @since 0.1.0
 */
export const submit: {
  /**
   * Submits `job` to the pool given later (data-last, for `pipe`), waiting
   * while the queue is full (Go: `jobs <- job`), and returns its
   * {@link Job} handle. Fails with {@link PoolClosedError} once the pool is
   * closed, and with a `failFast` pool's failure.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const pool: WorkerPool.WorkerPool<number, number>
   * const submitted = pool.pipe(WorkerPool.submit(21)) // Effect<Job<number>, PoolClosedError>
   * ```
   *
   * @since 0.1.0
   */
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<Job<O, E>, PoolClosedError | F>
  /**
   * Submits a job, waiting while the queue is full (Go: `jobs <- job`), and
   * returns its {@link Job} handle, whose {@link join} waits for the job's
   * result. Fails with {@link PoolClosedError} once the pool is closed (also
   * when it closes while this submit waits), and with a `failFast` pool's
   * failure. An interrupted submit leaves no job behind.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const pool: WorkerPool.WorkerPool<number, number>
   *
   * const program = Effect.gen(function* () {
   *   const job = yield* WorkerPool.submit(pool, 21)
   *   return yield* WorkerPool.join(job)
   * })
   * ```
   *
   * @since 0.1.0
   */
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<Job<O, E>, PoolClosedError | F>
} = dual(2, (self: WorkerPool<any, any, any, any>, job: unknown) => submitJob(poolImpl(self), job))

/**
 * Submits a job only if the queue has room (or, with `queue: 0`, a worker is
 * idle): `some(handle)`, or `none` when it would wait. Go:
 * `select { case jobs <- j: default: }`. Interrupted, it leaves no job
 * behind, as {@link submit}.
 *
 * @category combinators
 * @since 0.1.0
 */
export const trySubmit: {
  /**
   * Submits `job` to the pool given later (data-last, for `pipe`) only if
   * that needs no waiting: `some(handle)`, or `none`. Go:
   * `select { case jobs <- j: default: }`.
   *
   * @example
   * ```ts
   * import { WorkerPool } from "effect-go"
   *
   * declare const pool: WorkerPool.WorkerPool<string, void>
   * const offered = pool.pipe(WorkerPool.trySubmit("resize a.png"))
   * ```
   *
   * @since 0.1.0
   */
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
  /**
   * Submits a job only if the queue has room (or, with `queue: 0`, a worker
   * is idle): `some(handle)`, or `none` when it would wait. Go:
   * `select { case jobs <- j: default: }`. Fails with
   * {@link PoolClosedError} once the pool is closed.
   *
   * @example
   * ```ts
   * import { Effect, Option } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const pool: WorkerPool.WorkerPool<string, void>
   *
   * // Shed load instead of queueing behind a busy pool.
   * const accepted = Effect.map(WorkerPool.trySubmit(pool, "resize a.png"), Option.isSome)
   * ```
   *
   * @since 0.1.0
   */
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
} = dual(2, (self: WorkerPool<any, any, any, any>, job: unknown) => trySubmitJob(poolImpl(self), job))

/**
 * Waits for a job's result: its value, its typed failure or defect, or
 * {@link PoolClosedError} when the pool dropped or interrupted it. A job
 * stopped by {@link cancel} reports an interruption (as `Fiber.join` does).
 *
 * Interrupting `join` leaves the job running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * declare const job: WorkerPool.Job<string, Error>
 * const result: Effect.Effect<string, Error | WorkerPool.PoolClosedError> = WorkerPool.join(job)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const join = <O, E>(self: Job<O, E>): Effect.Effect<O, E | PoolClosedError> =>
  JobHandle.join(jobImpl(self)) as Effect.Effect<O, E | PoolClosedError>

/**
 * The job's result if it has one (a snapshot; `none` while queued or running).
 *
 * @category getters
 * @since 0.1.0
 */
export const poll = <O, E>(self: Job<O, E>): Effect.Effect<Option.Option<Exit.Exit<O, E | PoolClosedError>>> =>
  Effect.sync(() =>
    Option.fromUndefinedOr(JobHandle.outcome(jobImpl(self)) as Exit.Exit<O, E | PoolClosedError> | undefined)
  )

/**
 * Cancels a job: a queued job will not run (its slot in the queue is freed
 * when a worker reaches it), a running job is interrupted and `cancel` waits
 * until it has stopped; a finished job is left as it is. {@link join} then
 * reports an interruption. The pool goes on with the next job (a running
 * job is stopped by interrupting its worker, which a fresh one replaces).
 * As with `Fiber.interrupt`, a job cancelled while it runs an
 * uninterruptible region finishes that region and then ends interrupted,
 * whatever the region returned: its effects may have happened.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * declare const job: WorkerPool.Job<string>
 *
 * // Give the job 5 seconds, then withdraw it.
 * const result = WorkerPool.join(job).pipe(Effect.timeout("5 seconds"), Effect.onError(() => WorkerPool.cancel(job)))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const cancel = <O, E>(self: Job<O, E>): Effect.Effect<void> => JobHandle.cancel(jobImpl(self))

/**
 * Submits a job and waits for its result: {@link submit} then {@link join}.
 * Interrupting `run` cancels the job (it is withdrawn from the queue or
 * interrupted), so a request that times out does not leave work behind.
 *
 * @category combinators
 * @since 0.1.0
 */
export const run: {
  /**
   * Submits `job` to the pool given later (data-last, for `pipe`) and waits
   * for its result. Interrupting it cancels the job.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const pool: WorkerPool.WorkerPool<number, number>
   * const answer: Effect.Effect<number, WorkerPool.PoolClosedError> = pool.pipe(WorkerPool.run(21))
   * ```
   *
   * @since 0.1.0
   */
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<O, E | PoolClosedError>
  /**
   * Submits a job and waits for its result: {@link submit} then
   * {@link join}. Interrupting `run` cancels the job (it is withdrawn from
   * the queue or interrupted), so a request that times out does not leave
   * work behind.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * interface Image { readonly path: string }
   * interface Thumb { readonly bytes: Uint8Array }
   * declare const pool: WorkerPool.WorkerPool<Image, Thumb>
   * declare const image: Image
   *
   * const thumb = WorkerPool.run(pool, image).pipe(Effect.timeout("2 seconds"))
   * ```
   *
   * @since 0.1.0
   */
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<O, E | PoolClosedError>
} = dual(2, (self: WorkerPool<any, any, any, any>, job: unknown) => runJob(poolImpl(self), job))

/**
 * The channel of completed jobs, in completion order (Go's `results`
 * channel): every job that ran to an end — success, typed failure or defect —
 * is sent once. Jobs dropped, cancelled or interrupted are not (their
 * handles say so). It is closed once every worker has stopped.
 *
 * Workers wait while it is full: read it while jobs run, or give `results` a
 * capacity large enough, or a graceful {@link shutdown} cannot finish.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, WorkerPool } from "effect-go"
 *
 * declare const pool: WorkerPool.WorkerPool<number, number> & WorkerPool.WithResults<number, number, never>
 *
 * // Go: for r := range results { ... }
 * const drained = Chan.forEach(WorkerPool.results(pool), (r) => Effect.log(r.job, r.exit))
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const results = <I, O, E>(self: WithResults<I, O, E>): Chan.RecvChan<JobResult<I, O, E>> =>
  poolImpl(self as any).results as unknown as Chan.RecvChan<JobResult<I, O, E>>

// -----------------------------------------------------------------------------
// Shutdown
// -----------------------------------------------------------------------------

/**
 * Stops accepting jobs and returns at once: later submits, and submits
 * waiting on a full queue, fail with {@link PoolClosedError}; the queued jobs
 * still run. Go: `close(jobs)`. Idempotent.
 *
 * @category combinators
 * @since 0.1.0
 */
export const close = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<void> =>
  shallow(() => {
    closeJobs(poolImpl(self))
    return Exit.void
  })

/**
 * Waits until every worker has stopped (after {@link close}, a shutdown, a
 * `failFast` failure or the scope closing). Go: `wg.Wait()`. Fails with the
 * pool's failure for a `failFast` pool that failed.
 *
 * @category combinators
 * @since 0.1.0
 */
export const wait = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<void, F> =>
  waitFor(poolImpl(self)) as Effect.Effect<void, F>

/**
 * Graceful shutdown: stops accepting jobs, lets every queued job run, and
 * waits for the workers to stop. Go: `close(jobs); wg.Wait()`. Fails with the
 * pool's failure for a `failFast` pool that failed. Interrupting it stops the
 * waiting, not the draining. Calling it from a job waits for that job's own
 * worker, forever (as Go's `wg.Wait()` inside a worker): use {@link close}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * declare const pool: WorkerPool.WorkerPool<number, number>
 *
 * // Let the queued jobs finish, but not for more than 10 seconds; then stop what is left.
 * const stop = WorkerPool.shutdown(pool).pipe(
 *   Effect.timeout("10 seconds"),
 *   Effect.catchTag("TimeoutError", () => WorkerPool.shutdownNow(pool))
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const shutdown = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<void, F> =>
  Effect.andThen(close(self), wait(self))

/**
 * Immediate shutdown: stops accepting jobs, interrupts the running ones and
 * drops the queued ones — their handles fail with {@link PoolClosedError} —
 * and waits until every worker and job fiber has stopped. Fails with the
 * pool's failure for a `failFast` pool that had failed before.
 *
 * @category combinators
 * @since 0.1.0
 */
export const shutdownNow = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<void, F> =>
  shallow(() => {
    stopNow(poolImpl(self), Fiber.getCurrent()!)
    return wait(self)
  })

/**
 * A snapshot of the pool: live workers, running jobs, jobs waiting in the
 * queue (including cancelled ones not reached yet), and whether it is closed.
 *
 * @category getters
 * @since 0.1.0
 */
export const stats = <I, O, E, F>(
  self: WorkerPool<I, O, E, F>
): Effect.Effect<{
  readonly workers: number
  readonly running: number
  readonly queued: number
  readonly closed: boolean
}> => Effect.sync(() => statsOf(poolImpl(self)))

/**
 * The fibers blocked on the pool: in {@link submit} on a full queue (op
 * "submit"), in {@link join} (op "join") and in {@link wait}/{@link shutdown}
 * (op "wait").
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => blockedOf(poolImpl(self)))

// -----------------------------------------------------------------------------
// Services
// -----------------------------------------------------------------------------

/**
 * A layer that makes the pool and provides it under `tag`; the layer's scope
 * owns the workers, so releasing the layer stops them (as {@link shutdownNow}).
 * Bad options are a defect ({@link InvalidPoolOptionError}) raised when the
 * layer is built. For a pool declared with its own class, see
 * {@link Service}.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * declare const double: (n: number) => Effect.Effect<number>
 *
 * const Doubler = Context.Service<WorkerPool.WorkerPool<number, number>>("app/Doubler")
 * const DoublerLive = WorkerPool.layer(Doubler, { workers: 4, process: double })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = <
  Id,
  I,
  O,
  E = never,
  R = never,
  const FailFast extends boolean = false,
  const Results extends number | undefined = undefined
>(
  tag: Context.Key<Id, PoolOf<I, O, E, FailFast, Results>>,
  options: MakeOptions<I, O, E, R, FailFast, Results>
): Layer.Layer<Id, never, R> => Layer.effect(tag, make(options))

/**
 * What a {@link Service} declaration says: what a worker does with a job,
 * and whether the first failed job stops the pool. Both shape the service's
 * type; the numbers are the layer's ({@link LayerOptions}).
 *
 * @category models
 * @since 0.1.0
 */
export interface ServiceOptions<I, O, E, R, FailFast extends boolean> {
  /** What a worker does with a job. */
  readonly process: (job: I) => Effect.Effect<O, E, R>
  /** Stop the whole pool at the first failed job (default false). */
  readonly failFast?: FailFast | undefined
}

/**
 * The numbers of a pool that a {@link Service}'s layer makes: how many
 * workers, and the capacity of the job queue (default 0: `submit` waits for
 * an idle worker). A number alone is `workers`.
 *
 * @category models
 * @since 0.1.0
 */
export interface LayerOptions {
  /** How many workers (fibers) run jobs: a positive integer. */
  readonly workers: number
  /** Capacity of the job channel (default 0). */
  readonly queue?: number | undefined
}

/**
 * The class a {@link Service} declaration extends: a `Context.Service` key
 * for the pool, with its `layer` and accessors that find the pool in the
 * context.
 *
 * @category services
 * @since 0.1.0
 */
export interface ServiceClass<Self, Id extends string, I, O, E, R, FailFast extends boolean>
  extends Context.ServiceClass<Self, Id, WorkerPool<I, O, E, FailFast extends true ? E : never>> {
  /**
   * A layer that makes the pool with `workers` workers, or with the given
   * {@link LayerOptions}; releasing the layer stops its workers (as
   * {@link shutdownNow}). A bad number is a defect
   * ({@link InvalidPoolOptionError}) raised when the layer is built. Each
   * call makes a new Layer: provide one at the top of the application so
   * that every part shares the same pool.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const resize: (path: string) => Effect.Effect<Uint8Array>
   * class Resizer extends WorkerPool.Service<Resizer>()("app/Resizer", { process: resize }) {}
   *
   * const ResizerLive = Resizer.layer({ workers: 4, queue: 16 })
   * const ResizerTest = Resizer.layer(1)
   * ```
   *
   * @since 0.1.0
   */
  layer(workers: number | LayerOptions): Layer.Layer<Self, never, R>
  /**
   * A layer that reads the pool's numbers from a `Config` — a number of
   * workers, or {@link LayerOptions} — and makes the pool; releasing the
   * layer stops its workers. A value that is not a valid size (0 workers, a
   * fraction, a negative queue) fails the layer with a `ConfigError` saying
   * what is wrong, as a missing or malformed one does.
   *
   * @example
   * ```ts
   * import { Config, Effect } from "effect"
   * import { WorkerPool } from "effect-go"
   *
   * declare const resize: (path: string) => Effect.Effect<Uint8Array>
   * class Resizer extends WorkerPool.Service<Resizer>()("app/Resizer", { process: resize }) {}
   *
   * const ResizerLive = Resizer.layer(Config.Int("RESIZE_WORKERS"))
   * const Tuned = Resizer.layer(
   *   Config.all({ workers: Config.Int("RESIZE_WORKERS"), queue: Config.Int("RESIZE_QUEUE") })
   * )
   * ```
   *
   * @since 0.1.0
   */
  layer(config: Config.Config<number | LayerOptions>): Layer.Layer<Self, Config.ConfigError, R>
  /** {@link submit} on the pool found in the context. */
  readonly submit: (job: I) => Effect.Effect<Job<O, E>, PoolClosedError | (FailFast extends true ? E : never), Self>
  /** {@link run} on the pool found in the context. */
  readonly run: (job: I) => Effect.Effect<O, E | PoolClosedError, Self>
}

/** A `ConfigError` saying what is wrong with a pool size read from a `Config`. */
const configError = (invalid: InvalidPoolOptionError): Config.ConfigError =>
  new Config.ConfigError(
    new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: invalid.message }, invalid.value))
  )

/**
 * Reads a number of workers or {@link LayerOptions}; anything but an object
 * is taken as the number of workers, so that the check of the sizes says
 * what was given.
 */
const layerOptions = (value: number | LayerOptions): LayerOptions =>
  typeof value === "object" && value !== null ? value : { workers: value }

/**
 * Declares a worker pool as an Effect service, in the style of
 * `Context.Service`: the class is the service key; the declaration says what
 * a job does (`process`, and `failFast`), which shapes the service's type;
 * `.layer(...)` says how many workers run it — a number, {@link LayerOptions}
 * or a `Config` of either — and makes the pool, its scope owning the
 * workers; `.run` / `.submit` use the pool from the context. The pool is
 * named after the service key. Go has no equivalent: there a package-level
 * pool started from `main` plays this role.
 *
 * The numbers belong to the layer so that one declaration serves every
 * deployment (4 workers in production, from configuration; 1 in a test),
 * as `Semaphore.Service`'s size does; `process` stays with the declaration
 * because it decides the job, result and error types every caller of `run`
 * sees. A pool with a {@link results} channel is made with {@link make} or
 * {@link layer}: a service is shared by callers that each get their own
 * job's result, which one results channel cannot serve.
 *
 * @example
 * ```ts
 * import { Config, Data, Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * interface Image { readonly path: string }
 * interface Thumb { readonly bytes: Uint8Array }
 * class ResizeError extends Data.TaggedError("ResizeError")<{ readonly path: string }> {}
 * declare const resize: (image: Image) => Effect.Effect<Thumb, ResizeError>
 * declare const image: Image
 *
 * class Resizer extends WorkerPool.Service<Resizer>()("app/Resizer", {
 *   process: (image: Image) => resize(image)
 * }) {}
 *
 * // Effect<Thumb, ResizeError | PoolClosedError, Resizer>
 * const handler = (image: Image) => Resizer.run(image)
 *
 * // main.ts: the numbers are decided here, once
 * const main = handler(image).pipe(Effect.provide(Resizer.layer(Config.Int("RESIZE_WORKERS"))))
 * // or: Resizer.layer({ workers: 4, queue: 16 }); a test: Resizer.layer(1)
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const Service =
  <Self>() =>
  <const Id extends string, I, O, E = never, R = never, const FailFast extends boolean = false>(
    id: Id,
    options: ServiceOptions<I, O, E, R, FailFast>
  ): ServiceClass<Self, Id, I, O, E, R, FailFast> => {
    type Pool = WorkerPool<I, O, E, FailFast extends true ? E : never>
    const tag = Context.Service<Self, Pool>()(id)
    const makeWith = (sizes: LayerOptions): Effect.Effect<Pool, never, R | Scope.Scope> =>
      // Options passed through `any` may be missing: then `process` is, and `make` says so.
      makePool({
        // Only the numbers a layer sets: a stray `results` would make a channel nobody reads.
        workers: sizes.workers,
        queue: sizes.queue,
        process: options?.process,
        failFast: options?.failFast,
        name: id
      } as Options<I, O, E, R>) as unknown as Effect.Effect<Pool, never, R | Scope.Scope>
    const statics = {
      layer: (sizes: number | LayerOptions | Config.Config<number | LayerOptions>): Layer.Layer<Self, any, R> =>
        Layer.effect(
          tag,
          Config.isConfig(sizes)
            ? Effect.flatMap(
                Config.mapEffect(sizes, (value) => {
                  const read = layerOptions(value)
                  const invalid = invalidSize(read)
                  return invalid === undefined ? Effect.succeed(read) : Effect.fail(configError(invalid))
                }),
                makeWith
              )
            : // A literal that is not a size is a defect: `make` says what is wrong with it.
              Effect.suspend(() => makeWith(layerOptions(sizes as number | LayerOptions)))
        ),
      submit: (job: I) => Effect.flatMap(tag, (pool: Pool) => submit(pool, job)),
      run: (job: I) => Effect.flatMap(tag, (pool: Pool) => run(pool, job))
    }
    return Object.assign(tag, statics) as unknown as ServiceClass<Self, Id, I, O, E, R, FailFast>
  }

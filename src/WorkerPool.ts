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
 * - {@link Service} and {@link layer} make a pool an Effect service whose
 *   layer owns the workers.
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
 * - Bad options ({@link InvalidPoolOptionError}) fail the effect `make`
 *   returns; nothing is thrown while it is built.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "effect-go"
 *
 * // Seed: "worker pool with 3 workers and 5 jobs"
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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import type * as Chan from "./Chan.ts"
import * as JobHandle from "./internal/job.ts"
import {
  blocked as blockedOf,
  closeJobs,
  InvalidPoolOptionError,
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

export { InvalidPoolOptionError, PoolClosedError }

const ResultsTypeId = "~effect-go/WorkerPool/Results" as const

/**
 * A pool of workers running `process` on jobs of type `I`, producing `O` or
 * failing with `E`. `F` is the error that stops the whole pool: `E` when made
 * with `failFast: true`, else `never`. Create it with {@link make}.
 *
 * @since 0.1.0
 */
export interface WorkerPool<in I, out O, out E = never, out F = never> {
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
 * @since 0.1.0
 */
export interface Job<out O, out E = never> {
  readonly [JobHandle.JobTypeId]: { readonly _O: Types.Covariant<O>; readonly _E: Types.Covariant<E> }
}

/**
 * The outcome of a completed job, as sent to {@link results}: Go's
 * `result{job, value, err}` struct.
 *
 * @since 0.1.0
 */
export interface JobResult<out I, out O, out E> {
  readonly job: I
  readonly exit: Exit.Exit<O, E>
}

/** Options for {@link make}. @since 0.1.0 */
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
}

/**
 * The pool type {@link make} returns for its options: `failFast: true` makes
 * `F = E`, a `results` capacity adds {@link WithResults}.
 *
 * @since 0.1.0
 */
export type PoolOf<I, O, E, FailFast extends boolean, Results extends number | undefined> = WorkerPool<
  I,
  O,
  E,
  FailFast extends true ? E : never
> &
  ([Results] extends [undefined] ? unknown : WithResults<I, O, E>)

/** The options as {@link make} reads them, keeping `failFast` and `results` literal. */
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
 * `workers` must be a positive safe integer, `queue` and `results`
 * non-negative integers, `process` a function and `failFast` a boolean (or
 * absent); otherwise the effect fails with {@link InvalidPoolOptionError}.
 *
 * @example
 * ```ts
 * const pool = yield* WorkerPool.make({
 *   workers: 4,
 *   queue: 16,
 *   process: (url: string) => fetch(url), // Effect<Page, FetchError>
 *   failFast: true // the first FetchError stops the pool
 * })
 * ```
 *
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
): Effect.Effect<PoolOf<I, O, E, FailFast, Results>, InvalidPoolOptionError, R | Scope.Scope> =>
  makePool(options) as unknown as Effect.Effect<
    PoolOf<I, O, E, FailFast, Results>,
    InvalidPoolOptionError,
    R | Scope.Scope
  >

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
 * @example
 * ```ts
 * const job = yield* WorkerPool.submit(pool, 21)
 * const answer = yield* WorkerPool.join(job)
 * ```
 *
 * @since 0.1.0
 */
export const submit: {
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<Job<O, E>, PoolClosedError | F>
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<Job<O, E>, PoolClosedError | F>
} = dual(2, (self: WorkerPool<any, any, any, any>, job: unknown) => submitJob(poolImpl(self), job))

/**
 * Submits a job only if the queue has room (or, with `queue: 0`, a worker is
 * idle): `some(handle)`, or `none` when it would wait. Go:
 * `select { case jobs <- j: default: }`. Interrupted, it leaves no job
 * behind, as {@link submit}.
 *
 * @since 0.1.0
 */
export const trySubmit: {
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
} = dual(2, (self: WorkerPool<any, any, any, any>, job: unknown) => trySubmitJob(poolImpl(self), job))

/**
 * Waits for a job's result: its value, its typed failure or defect, or
 * {@link PoolClosedError} when the pool dropped or interrupted it. A job
 * stopped by {@link cancel} reports an interruption (as `Fiber.join` does).
 *
 * Interrupting `join` leaves the job running.
 *
 * @since 0.1.0
 */
export const join = <O, E>(self: Job<O, E>): Effect.Effect<O, E | PoolClosedError> =>
  JobHandle.join(jobImpl(self)) as Effect.Effect<O, E | PoolClosedError>

/**
 * The job's result if it has one (a snapshot; `none` while queued or running).
 *
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
 * @since 0.1.0
 */
export const cancel = <O, E>(self: Job<O, E>): Effect.Effect<void> => JobHandle.cancel(jobImpl(self))

/**
 * Submits a job and waits for its result: {@link submit} then {@link join}.
 * Interrupting `run` cancels the job (it is withdrawn from the queue or
 * interrupted), so a request that times out does not leave work behind.
 *
 * @example
 * ```ts
 * const thumb = yield* WorkerPool.run(pool, image).pipe(Effect.timeout("2 seconds"))
 * ```
 *
 * @since 0.1.0
 */
export const run: {
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<O, E | PoolClosedError>
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
 *
 * @example
 * ```ts
 * const Resizer = Context.Service<WorkerPool.WorkerPool<Image, Thumb, ResizeError>>("app/Resizer")
 * const ResizerLive = WorkerPool.layer(Resizer, { workers: 4, process: resize })
 * ```
 *
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
): Layer.Layer<Id, InvalidPoolOptionError, R> => Layer.effect(tag, make(options))

/**
 * The class a {@link Service} declaration extends: a `Context.Service` key
 * for the pool, with its `layer` and accessors that find the pool in the
 * context.
 *
 * @since 0.1.0
 */
export type ServiceClass<
  Self,
  Id extends string,
  I,
  O,
  E,
  R,
  FailFast extends boolean,
  Results extends number | undefined
> = Context.ServiceClass<Self, Id, PoolOf<I, O, E, FailFast, Results>> & {
  /** Makes the pool; releasing the layer stops its workers. */
  readonly layer: Layer.Layer<Self, InvalidPoolOptionError, R>
  /** {@link submit} on the pool found in the context. */
  readonly submit: (job: I) => Effect.Effect<Job<O, E>, PoolClosedError | (FailFast extends true ? E : never), Self>
  /** {@link run} on the pool found in the context. */
  readonly run: (job: I) => Effect.Effect<O, E | PoolClosedError, Self>
}

/**
 * Declares a worker pool as an Effect service, in the style of
 * `Context.Service`: the class is the service key, `.layer` makes the pool
 * (its scope owns the workers), and `.run` / `.submit` use the pool from the
 * context.
 *
 * @example
 * ```ts
 * class Resizer extends WorkerPool.Service<Resizer>()("app/Resizer", {
 *   workers: 4,
 *   queue: 16,
 *   process: (image: Image) => resize(image)
 * }) {}
 *
 * const handler = (image: Image) => Resizer.run(image) // Effect<Thumb, ResizeError | PoolClosedError, Resizer>
 * const main = handler(image).pipe(Effect.provide(Resizer.layer))
 * ```
 *
 * @since 0.1.0
 */
export const Service =
  <Self>() =>
  <
    const Id extends string,
    I,
    O,
    E = never,
    R = never,
    const FailFast extends boolean = false,
    const Results extends number | undefined = undefined
  >(
    id: Id,
    options: MakeOptions<I, O, E, R, FailFast, Results>
  ): ServiceClass<Self, Id, I, O, E, R, FailFast, Results> => {
    type Pool = PoolOf<I, O, E, FailFast, Results>
    const tag = Context.Service<Self, Pool>()(id)
    return Object.assign(tag, {
      layer: Layer.effect(tag, make(options)),
      submit: (job: I) => Effect.flatMap(tag, (pool: Pool) => submit(pool as WorkerPool<I, O, E, any>, job)),
      run: (job: I) => Effect.flatMap(tag, (pool: Pool) => run(pool as WorkerPool<I, O, E, any>, job))
    }) as ServiceClass<Self, Id, I, O, E, R, FailFast, Results>
  }

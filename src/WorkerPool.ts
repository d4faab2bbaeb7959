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
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Types from "effect/Types"
import * as Chan from "./Chan.ts"
import { type ChanImpl, canRecv, chanOf, closeNow, recvNow, trySend } from "./internal/chan.ts"
import { type BlockedFiber, block, shallow, tooDeep, Waiter, WaiterList, wake } from "./internal/waiters.ts"

const TypeId = "~effect-go/WorkerPool" as const
const ResultsTypeId = "~effect-go/WorkerPool/Results" as const
const JobTypeId = "~effect-go/WorkerPool/Job" as const

/** A value as given, for messages: a string keeps its quotes ("3", not 3). */
const show = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value)
    case "bigint":
      return `${value}n`
    case "symbol":
      return value.toString()
    case "function":
      return "a function"
    case "object":
      return value === null ? "null" : Array.isArray(value) ? "an array" : "an object"
    default:
      return Object.is(value, -0) ? "-0" : String(value)
  }
}

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
  readonly [JobTypeId]: { readonly _O: Types.Covariant<O>; readonly _E: Types.Covariant<E> }
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

/**
 * The pool is closed or stopped:
 * - `"rejected"`: {@link submit} after {@link close}/{@link shutdown}/{@link shutdownNow}
 *   (or while blocked on a full queue when it closed); nothing was enqueued;
 * - `"dropped"`: the job was queued when the pool stopped and never ran;
 * - `"interrupted"`: the job was running when the pool stopped.
 *
 * @since 0.1.0
 */
export class PoolClosedError extends Data.TaggedError("PoolClosedError")<{
  /** The pool's name, if it was given one. */
  readonly poolName: string | undefined
  readonly reason: "rejected" | "dropped" | "interrupted"
}> {
  override get message(): string {
    return this.reason === "rejected"
      ? "worker pool is closed: job rejected"
      : this.reason === "dropped"
        ? "worker pool stopped before the job ran"
        : "worker pool stopped while the job ran"
  }
}

/**
 * A bad option at {@link make}: `workers` not a positive safe integer,
 * `queue` / `results` not a non-negative integer, `process` not a function,
 * `failFast` not a boolean. `value` is what was given, whatever its type.
 *
 * @since 0.1.0
 */
export class InvalidPoolOptionError extends Data.TaggedError("InvalidPoolOptionError")<{
  readonly option: "workers" | "queue" | "results" | "process" | "failFast"
  readonly value: unknown
}> {
  override get message(): string {
    const got = show(this.value)
    switch (this.option) {
      case "workers":
        return Number.isInteger(this.value) && (this.value as number) > 0
          ? `worker pool: workers must be a positive safe integer (at most 2^53 - 1), got ${got}`
          : `worker pool: workers must be a positive integer, got ${got}`
      case "process":
        return `worker pool: process must be a function (job => Effect), got ${got}`
      case "failFast":
        return `worker pool: failFast must be a boolean or undefined, got ${got}`
      default:
        return `worker pool: ${this.option} must be a non-negative integer, got ${got}`
    }
  }
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

// -----------------------------------------------------------------------------
// State
// -----------------------------------------------------------------------------

const QUEUED = 0
const RUNNING = 1
const DONE = 2

const poolVariance = { _I: (_: unknown) => _, _O: (_: never) => _, _E: (_: never) => _, _F: (_: never) => _ }
const jobVariance = { _O: (_: never) => _, _E: (_: never) => _ }

class TaskImpl {
  readonly [JobTypeId] = jobVariance
  readonly job: unknown
  readonly pool: PoolImpl
  state = QUEUED
  /** Asked to stop by {@link cancel} (or an interrupted {@link run}). */
  cancelled = false
  /** The fiber that cancelled the job while it ran. */
  cancelledBy: number | undefined = undefined
  /** The outcome once DONE; a success is kept as {@link value} until someone asks (see {@link exitOf}). */
  exit: Exit.Exit<unknown, unknown> | undefined = undefined
  /** The job's value, when it succeeded and {@link exit} is not built yet. */
  value: unknown = undefined
  /** Index in the pool's `queued` list, -1 when not in it. */
  qIndex = -1
  /** The worker running the job (RUNNING only). */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** Fibers in {@link join}; created when the first one parks. */
  joiners: WaiterList<Waiter<unknown, unknown>> | undefined = undefined
  constructor(pool: PoolImpl, job: unknown) {
    this.pool = pool
    this.job = job
  }
}

class PoolImpl {
  readonly [TypeId] = poolVariance
  readonly name: string | undefined
  readonly process: (job: unknown) => Effect.Effect<unknown, unknown>
  readonly failFast: boolean
  readonly jobs: Chan.Chan<TaskImpl>
  /** The job channel's implementation (for the fast paths). */
  readonly jobsImpl: ChanImpl<TaskImpl>
  readonly results: Chan.Chan<JobResult<unknown, unknown, unknown>> | undefined
  readonly workerFibers = new Set<Fiber.Fiber<unknown, unknown>>()
  /** What a worker runs (set by {@link make}). */
  loop: Effect.Effect<void> = Effect.void
  /** Workers not yet ended. */
  live = 0
  /** Jobs running right now. */
  running = 0
  /** No more submits: the job channel is closed. */
  closed = false
  /** shutdownNow, failFast failure or scope closed: running jobs are interrupted. */
  stopping = false
  /** Every worker has ended. */
  terminated = false
  /** failFast: the first failure. */
  failure: Cause.Cause<unknown> | undefined = undefined
  /** Fibers in {@link wait} / {@link shutdown}. */
  readonly waiters: WaiterList<Waiter<void, unknown>>
  /** Tasks with fibers parked in {@link join} (for {@link blocked}). */
  readonly joining = new Set<TaskImpl>()
  /**
   * Tasks submitted and not started yet (QUEUED), wherever they are: being
   * sent, in the job channel, or handed to a parked worker that has not
   * resumed yet (it starts a task in the step that resumes it). The pool
   * finds them here to drop them when it stops.
   */
  readonly queued: Array<TaskImpl> = []

  constructor(
    name: string | undefined,
    queue: number,
    results: number | undefined,
    failFast: boolean,
    process: (job: unknown) => Effect.Effect<unknown, unknown>
  ) {
    this.name = name
    this.failFast = failFast
    this.process = process
    this.jobs = Chan.makeUnsafe<TaskImpl>(queue, { name })
    this.jobsImpl = chanOf(this.jobs)
    this.results = results === undefined ? undefined : Chan.makeUnsafe(results, { name })
    this.waiters = new WaiterList("WorkerPool", name)
  }
}

const poolImpl = (self: WorkerPool<any, any, any, any>): PoolImpl => self as unknown as PoolImpl
const taskImpl = (self: Job<any, any>): TaskImpl => self as unknown as TaskImpl

const rejected = (p: PoolImpl): Exit.Exit<never, unknown> =>
  p.failure !== undefined
    ? Exit.failCause(p.failure)
    : Exit.fail(new PoolClosedError({ poolName: p.name, reason: "rejected" }))

const terminationExit = (p: PoolImpl): Exit.Exit<void, unknown> =>
  p.failure !== undefined ? Exit.failCause(p.failure) : Exit.void

/** Adds a task to the pool's `queued` list (O(1)). */
const addQueued = (p: PoolImpl, t: TaskImpl): void => {
  t.qIndex = p.queued.length
  p.queued.push(t)
}

/** Removes a task from the pool's `queued` list, if there (O(1): the last one takes its place). */
const removeQueued = (p: PoolImpl, t: TaskImpl): void => {
  const i = t.qIndex
  if (i < 0) return
  t.qIndex = -1
  const last = p.queued.pop()!
  if (last !== t) {
    p.queued[i] = last
    last.qIndex = i
  }
}

/** A task's outcome, or undefined while it has none; builds a success's `Exit` on first use. */
const exitOf = (t: TaskImpl): Exit.Exit<unknown, unknown> | undefined =>
  t.state !== DONE ? undefined : (t.exit ??= Exit.succeed(t.value))

/**
 * A running job succeeded and nobody waits in {@link join}: records the value
 * without building an `Exit` (see {@link exitOf}).
 */
const settleValue = (p: PoolImpl, t: TaskImpl, value: unknown): void => {
  if (t.state === DONE || t.joiners !== undefined) {
    settle(p, t, Exit.succeed(value))
    return
  }
  p.running--
  t.state = DONE
  t.value = value
  t.fiber = undefined
}

/** Records a task's outcome and wakes its joiners. */
const settle = (p: PoolImpl, t: TaskImpl, exit: Exit.Exit<unknown, unknown>): void => {
  if (t.state === DONE) return
  if (t.state === RUNNING) p.running--
  else removeQueued(p, t)
  t.state = DONE
  t.exit = exit
  t.fiber = undefined
  const list = t.joiners
  if (list !== undefined) {
    t.joiners = undefined
    p.joining.delete(t)
    const nodes = list.drain()
    for (let i = 0; i < nodes.length; i++) wake(nodes[i]!, exit)
  }
}

/** Closes the job channel: later and blocked submits are rejected. */
const closeJobs = (p: PoolImpl): void => {
  if (p.closed) return
  p.closed = true
  const ch = chanOf(p.jobs)
  if (!ch.closed) closeNow(ch)
}

/**
 * Empties the (closed) job channel and fails every task not started yet as
 * dropped: those in the channel, and those handed to a parked worker that
 * has not resumed yet (it then finds them done and skips them).
 */
const dropQueued = (p: PoolImpl): void => {
  const buffer = chanOf(p.jobs).buffer
  if (buffer !== undefined) while (buffer.length > 0) buffer.shift()
  for (const t of p.queued.slice()) {
    if (t.state === QUEUED) settle(p, t, Exit.fail(new PoolClosedError({ poolName: p.name, reason: "dropped" })))
  }
}

/** shutdownNow: stop accepting, drop the queue, interrupt every worker (and so its running job). */
const stopNow = (p: PoolImpl): void => {
  if (p.stopping) return
  p.stopping = true
  closeJobs(p)
  dropQueued(p)
  for (const worker of Array.from(p.workerFibers)) worker.interruptUnsafe()
}

/** Runs when a job fiber has ended, however it ended. */
const onJobEnd = (p: PoolImpl, t: TaskImpl, exit: Exit.Exit<unknown, unknown>): void => {
  if (exit._tag === "Success") {
    settle(p, t, exit)
    return
  }
  if (Cause.hasInterruptsOnly(exit.cause)) {
    // Interrupted by cancel (or by itself): report the interruption; by the pool stopping: a typed error.
    settle(
      p,
      t,
      p.stopping && !t.cancelled ? Exit.fail(new PoolClosedError({ poolName: p.name, reason: "interrupted" })) : exit
    )
    return
  }
  settle(p, t, exit)
  if (p.failFast && p.failure === undefined) {
    const reasons = exit.cause.reasons.filter((reason) => !Cause.isInterruptReason(reason))
    p.failure = reasons.length === exit.cause.reasons.length ? exit.cause : Cause.fromReasons(reasons)
    stopNow(p)
  }
}

/** Runs when a worker fiber has ended; the last one terminates the pool. */
const onWorkerEnd = (p: PoolImpl, worker: Fiber.Fiber<unknown, unknown>): void => {
  p.workerFibers.delete(worker)
  if (--p.live > 0) return
  p.terminated = true
  closeJobs(p)
  dropQueued(p)
  if (p.results !== undefined) {
    const ch = chanOf(p.results)
    if (!ch.closed) closeNow(ch)
  }
  const exit = terminationExit(p)
  const nodes = p.waiters.drain()
  for (let i = 0; i < nodes.length; i++) wake(nodes[i]!, exit)
}

/**
 * Starts a job the worker has just received, in the step that received it,
 * and returns what the worker runs next (`next`: its following receive). The
 * worker runs uninterruptibly except inside its jobs and its sends to the
 * results channel, so nothing comes between the receipt and the move to
 * RUNNING. Skips the job if it was cancelled or dropped on its way. A
 * `cancel` while the job is RUNNING interrupts the worker (see
 * {@link cancel}); only the job itself runs interruptibly, so the
 * interruption stops the job, is recorded as its outcome, and then ends the
 * worker, after it has forked its replacement.
 */
const makeRunTask = (
  p: PoolImpl,
  worker: Fiber.Fiber<unknown, unknown>,
  next: () => Effect.Effect<void>
): ((t: TaskImpl) => Effect.Effect<void>) => {
  // The job this worker runs: one at a time, so the handlers below are built
  // once per worker instead of once per job.
  let current: TaskImpl | undefined
  const ended = (t: TaskImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
    const children = childrenOf(worker)
    return Effect.andThen(
      children === undefined
        ? jobEnded(p, t, exit)
        : Effect.andThen(
            Fiber.interruptAll(children),
            Effect.suspend(() => jobEnded(p, t, exit))
          ),
      next()
    )
  }
  const handlers = {
    onSuccess: (value: unknown): Effect.Effect<void> => {
      const t = current!
      current = undefined
      if (t.cancelled || childrenOf(worker) !== undefined) {
        return ended(t, Exit.succeed(value))
      }
      // The common case: no cancel, no children; no `Exit` unless needed.
      settleValue(p, t, value)
      return p.stopping || p.results === undefined
        ? next()
        : Effect.andThen(sendResult(p, t, Exit.succeed(value)), next())
    },
    onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
      const t = current!
      current = undefined
      return ended(t, Exit.failCause(cause))
    }
  }
  // Runs `current`: built once, so a job allocates nothing here.
  const runCurrent = Effect.matchCauseEffect(
    Effect.interruptible(Effect.suspend(() => startJob(p, current!))),
    handlers
  )
  return (t) => {
    if (t.state !== QUEUED) return next()
    t.state = RUNNING
    removeQueued(p, t)
    p.running++
    t.fiber = worker
    current = t
    return runCurrent
  }
}

const sendResult = (p: PoolImpl, t: TaskImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.interruptible(Effect.ignore(Chan.send(p.results!, { job: t.job, exit })))

/** `process(job)`; a `process` that throws instead of returning an effect fails that job only, with a defect. */
const startJob = (p: PoolImpl, t: TaskImpl): Effect.Effect<unknown, unknown> => {
  try {
    return p.process(t.job)
  } catch (defect) {
    return Exit.die(defect)
  }
}

/**
 * The fibers a job forked with `Effect.forkChild`, which a job fiber of its
 * own would interrupt when it ends: the worker's children (the worker forks
 * none itself). Effect keeps them in a field of its fiber implementation that
 * its public API does not expose; a test guards the behaviour.
 */
const childrenOf = (worker: Fiber.Fiber<unknown, unknown>): Array<Fiber.Fiber<unknown, unknown>> | undefined => {
  const children = (worker as unknown as { readonly _children?: ReadonlySet<Fiber.Fiber<unknown, unknown>> })._children
  return children === undefined || children.size === 0 ? undefined : Array.from(children)
}

/**
 * Settles a job that ran in this worker and sends its result to the results
 * channel (interruptibly). A job cancelled while it ran is interrupted,
 * whatever it managed to return: its worker forks its replacement, unless the
 * pool is stopping, and ends (the cancel interrupts it, maybe later).
 */
const jobEnded = (p: PoolImpl, t: TaskImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
  if (!t.cancelled) {
    onJobEnd(p, t, exit)
    return p.stopping || p.results === undefined || (exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause))
      ? Effect.void
      : sendResult(p, t, exit)
  }
  onJobEnd(p, t, exit._tag === "Success" ? Exit.interrupt(t.cancelledBy) : exit)
  return p.stopping ? Effect.interrupt : Effect.andThen(startWorker(p), Effect.interrupt)
}

/**
 * Forks one more worker. Must run uninterruptibly. The pool's finalizer owns
 * the workers (see {@link make}): it stops them all and waits until `live` is
 * back to zero, replacements included, whenever they were forked.
 */
const startWorker = (p: PoolImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    p.live++
    return Effect.map(Effect.forkDetach(p.loop), (fiber) => {
      p.workerFibers.add(fiber)
      fiber.addObserver(() => onWorkerEnd(p, fiber))
      // The pool may have stopped while this fiber yielded after the fork
      // (its op budget spent), the new worker running meanwhile.
      if (p.stopping) fiber.interruptUnsafe()
    })
  })

/**
 * `for j := range jobs { ... }`, skipping jobs cancelled while queued. The
 * worker runs uninterruptibly but for its jobs and results sends (see
 * {@link runTask}); a worker parked on the job channel needs no interruption
 * to stop: the pool closes the channel first whenever it stops.
 */
const workerLoop = (p: PoolImpl): Effect.Effect<void> =>
  Effect.uninterruptible(
    Effect.withFiber((worker) => {
      // chanForEach's loop, with the job's start and end in the steps that
      // receive and finish it: one step per job beyond the job's own.
      const ch = p.jobsImpl
      const next = () => step
      const runTask = makeRunTask(p, worker, next)
      const parked = Effect.flatMap(ch.parkRecv, (value: Option.Option<TaskImpl>) =>
        value._tag === "Some" ? runTask(value.value) : Effect.void
      )
      const step: Effect.Effect<void> = Effect.withFiber((fiber) => {
        if (tooDeep()) return Effect.andThen(Effect.yieldNow, step)
        if (!canRecv(ch)) return parked
        const value = recvNow(ch, fiber)
        return value._tag === "Some" ? runTask(value.value) : Effect.void
      })
      return step
    })
  )

const validSize = (n: number, min: number): boolean => Number.isInteger(n) && n >= min

/** The first bad option, if any. */
const invalidOption = (options: Options<any, any, any, any>): InvalidPoolOptionError | undefined => {
  const { workers, queue = 0, results, process, failFast } = options
  // Past 2^53 - 1 a count is no longer exact.
  if (!(Number.isSafeInteger(workers) && workers >= 1)) {
    return new InvalidPoolOptionError({ option: "workers", value: workers })
  }
  if (!validSize(queue, 0)) return new InvalidPoolOptionError({ option: "queue", value: queue })
  if (results !== undefined && !validSize(results, 0)) {
    return new InvalidPoolOptionError({ option: "results", value: results })
  }
  if (typeof process !== "function") return new InvalidPoolOptionError({ option: "process", value: process })
  if (failFast !== undefined && typeof failFast !== "boolean") {
    return new InvalidPoolOptionError({ option: "failFast", value: failFast })
  }
  return undefined
}

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
  Effect.suspend(() => {
    // Options passed through `any` may be missing altogether: then `workers` is.
    const checked = (options ?? {}) as typeof options
    const invalid = invalidOption(checked)
    if (invalid !== undefined) return Exit.fail(invalid)
    const { workers, queue = 0, results } = checked
    const p = new PoolImpl(
      checked.name,
      queue,
      results,
      checked.failFast === true,
      checked.process as (job: unknown) => Effect.Effect<unknown, unknown>
    )
    p.loop = workerLoop(p)
    return Effect.uninterruptible(
      Effect.andThen(
        Effect.forEach(Array.from({ length: workers }), () => startWorker(p), { discard: true }),
        // The finalizer owns the workers (see `startWorker`). Were the scope
        // closed already, it would run at once and stop the workers just made.
        Effect.as(
          Effect.addFinalizer(() =>
            Effect.suspend(() => {
              stopNow(p)
              return Effect.ignore(waitImpl(p))
            })
          ),
          p as unknown as PoolOf<I, O, E, FailFast, Results>
        )
      )
    )
  })

// -----------------------------------------------------------------------------
// Jobs
// -----------------------------------------------------------------------------

/**
 * The slow path of a submit (see {@link sendNow}): sends the task with
 * `Chan.send`, waiting while the queue is full. However this fails or is
 * interrupted, the task is withdrawn as by {@link cancel}, also when it did
 * reach the channel (an interruption can land right after the send
 * completed): it never starts, or, if a worker started it already (a worker
 * waiting on the channel takes a job and starts it at once), it is
 * interrupted. An interrupted `submit` therefore leaves no job behind.
 * Call it when the effect is to run.
 */
const enqueue = (p: PoolImpl, t: TaskImpl): Effect.Effect<TaskImpl, unknown> => {
  if (p.closed) return rejected(p)
  addQueued(p, t)
  return Effect.onExit(
    Effect.matchEffect(Chan.send(p.jobs, t), { onFailure: () => rejected(p), onSuccess: () => Exit.succeed(t) }),
    (exit) => (exit._tag === "Failure" ? cancelTask(t) : Exit.void)
  )
}

/**
 * The fast path of a submit, for an open pool: hands the task to a waiting
 * worker or puts it in the queue, and says whether it did. It completes in
 * the caller's step, so no interruption can come between the hand-over and
 * the submit's return (the slow path, {@link enqueue}, guards that).
 */
const sendNow = (p: PoolImpl, t: TaskImpl, fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  const now = trySend(p.jobsImpl, t, fiber)
  if (now === undefined || now._tag === "Failure") return false
  addQueued(p, t)
  return true
}

const submitImpl = (self: WorkerPool<any, any, any, any>, job: unknown): Effect.Effect<TaskImpl, unknown> =>
  Effect.withFiber((fiber) => {
    const p = poolImpl(self)
    if (p.closed) return rejected(p)
    const t = new TaskImpl(p, job)
    return sendNow(p, t, fiber) ? Exit.succeed(t) : enqueue(p, t)
  })

/**
 * Submits a job, waiting while the queue is full (Go: `jobs <- job`), and
 * returns its {@link Job} handle. Fails with {@link PoolClosedError} once the
 * pool is closed — also when it closes while this submit waits — and, for a
 * `failFast` pool that has failed, with that failure.
 *
 * Interruptible: an interrupted submit enqueues nothing.
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
} = dual(2, submitImpl as any)

/**
 * Submits a job only if the queue has room (or, with `queue: 0`, a worker is
 * idle): `some(handle)`, or `none` when it would wait. Go:
 * `select { case jobs <- j: default: }`.
 *
 * @since 0.1.0
 */
export const trySubmit: {
  <I>(job: I): <O, E, F>(self: WorkerPool<I, O, E, F>) => Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
  <I, O, E, F>(self: WorkerPool<I, O, E, F>, job: I): Effect.Effect<Option.Option<Job<O, E>>, PoolClosedError | F>
} = dual(
  2,
  (self: WorkerPool<any, any, any, any>, job: unknown): Effect.Effect<Option.Option<TaskImpl>, unknown> =>
    Effect.withFiber((fiber) => {
      const p = poolImpl(self)
      if (p.closed) return rejected(p)
      const t = new TaskImpl(p, job)
      return Exit.succeed(sendNow(p, t, fiber) ? Option.some(t) : Option.none())
    })
)

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
  Effect.withFiber((fiber) => {
    const t = taskImpl(self)
    const now = exitOf(t)
    if (now !== undefined) return now as Exit.Exit<O, E | PoolClosedError>
    const list = (t.joiners ??= new WaiterList<Waiter<unknown, unknown>>("WorkerPool", t.pool.name))
    t.pool.joining.add(t)
    const node = new Waiter<O, E | PoolClosedError>()
    node.op = "join"
    // Re-checked at the moment of parking: the job may have ended since (its
    // `settle` then detached the list made above).
    return block(
      list as unknown as WaiterList<Waiter<O, E | PoolClosedError>>,
      node,
      fiber,
      undefined,
      () => exitOf(t) as Exit.Exit<O, E | PoolClosedError> | undefined
    )
  })

/**
 * The job's result if it has one (a snapshot; `none` while queued or running).
 *
 * @since 0.1.0
 */
export const poll = <O, E>(self: Job<O, E>): Effect.Effect<Option.Option<Exit.Exit<O, E | PoolClosedError>>> =>
  Effect.sync(() => Option.fromUndefinedOr(exitOf(taskImpl(self)) as Exit.Exit<O, E | PoolClosedError> | undefined))

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
export const cancel = <O, E>(self: Job<O, E>): Effect.Effect<void> => cancelTask(taskImpl(self))

const cancelTask = (t: TaskImpl): Effect.Effect<void> =>
  shallow(() =>
    // One step from the check to the settling: a worker may start the job at
    // any later step.
    Effect.withFiber((fiber) => {
      if (t.state === DONE) return Exit.void
      t.cancelled = true
      if (t.state === QUEUED) {
        settle(t.pool, t, Exit.interrupt(fiber.id))
        return Exit.void
      }
      // Running: its worker took it in the same step as it set `fiber`. The
      // worker records the interruption as the job's outcome, forks its
      // replacement and ends; `cancel` returns then.
      t.cancelledBy = fiber.id
      return t.fiber === undefined ? Exit.void : Fiber.interrupt(t.fiber)
    })
  )

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
} = dual(
  2,
  (self: WorkerPool<any, any, any, any>, job: unknown): Effect.Effect<unknown, unknown> =>
    // The job is cancelled however `run` is interrupted, also right after
    // the job went into the queue, before `join` started.
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiber((fiber) => {
        const p = poolImpl(self)
        if (p.closed) return rejected(p)
        const t = new TaskImpl(p, job)
        const handle = t as unknown as Job<unknown, unknown>
        return Effect.onInterrupt(
          sendNow(p, t, fiber) ? restore(join(handle)) : Effect.andThen(restore(enqueue(p, t)), restore(join(handle))),
          () => cancel(handle)
        )
      })
    )
)

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
  (self as unknown as PoolImpl).results as unknown as Chan.RecvChan<JobResult<I, O, E>>

// -----------------------------------------------------------------------------
// Shutdown
// -----------------------------------------------------------------------------

/** A `wait` that needs no waiting: every worker has ended. Also the re-check at parking. */
const waitNow = (p: PoolImpl): Exit.Exit<void, unknown> | undefined => (p.terminated ? terminationExit(p) : undefined)

const waitImpl = (p: PoolImpl): Effect.Effect<void, unknown> =>
  Effect.withFiber((fiber) => {
    const now = waitNow(p)
    if (now !== undefined) return now
    const node = new Waiter<void, unknown>()
    node.op = "wait"
    return block(p.waiters, node, fiber, undefined, () => waitNow(p))
  })

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
  waitImpl(poolImpl(self)) as Effect.Effect<void, F>

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
    stopNow(poolImpl(self))
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
}> =>
  Effect.sync(() => {
    const p = poolImpl(self)
    return { workers: p.live, running: p.running, queued: chanOf(p.jobs).buffer?.length ?? 0, closed: p.closed }
  })

/**
 * The fibers blocked on the pool: in {@link submit} on a full queue (op
 * "submit"), in {@link join} (op "join") and in {@link wait}/{@link shutdown}
 * (op "wait").
 *
 * @since 0.1.0
 */
export const blocked = <I, O, E, F>(self: WorkerPool<I, O, E, F>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => {
    const p = poolImpl(self)
    const out: Array<BlockedFiber> = chanOf(p.jobs)
      .sendq.blocked()
      .map((b) => ({ ...b, primitive: "WorkerPool", op: "submit" }))
    for (const t of p.joining) if (t.joiners !== undefined) out.push(...t.joiners.blocked())
    out.push(...p.waiters.blocked())
    return out
  })

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

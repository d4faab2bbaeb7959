/**
 * A worker pool's supervisor: the workers, the job channel they range over,
 * the submits that feed it, and the pool's stop.
 *
 * Each worker ranges over the job channel with the channel's own receive
 * (chan.ts): it starts a job in the step that receives it and settles it in
 * the step it ends. The job's state lives in its handle (job.ts), the queue
 * in the channel. A worker runs uninterruptibly but for its jobs and its
 * sends to the results channel: it is stopped by closing the job channel,
 * and a job by interrupting its worker, which records the job's outcome and
 * forks a fresh worker in its place before it ends.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Chan from "../Chan.ts"
import type { JobResult, Options } from "../WorkerPool.ts"
import {
  type ChanClosedError,
  type ChanImpl,
  canRecv,
  chanOf,
  closeIfOpen,
  length,
  recvNow,
  SendNode,
  trySend
} from "./chan.ts"
import {
  blockedJoins,
  cancel,
  finish,
  finishValue,
  JobImpl,
  type JobOwner,
  join as joinJob,
  QUEUED,
  RUNNING,
  start,
  withdraw
} from "./job.ts"
import { PrimitiveBase } from "./primitive.ts"
import { anyone, type Diagnosis, type Holder, type Queue } from "./registry.ts"
import { activeLayers, nowOn, recordsFor, setTelemetry, taskAttributes, taskOutcome } from "./telemetry.ts"
import {
  type BlockedFiber,
  block,
  type Enlist,
  flushPending,
  handsOver,
  type OnCancel,
  parkNow,
  tooDeep,
  Waiter,
  WaiterList,
  wake
} from "./waiters.ts"

/** The key of the public `WorkerPool` type (declared in WorkerPool.ts). */
export const TypeId = "~effect-go/WorkerPool" as const

/**
 * The pool is closed or stopped:
 * - `"rejected"`: `submit` after `close`/`shutdown`/`shutdownNow` (or while
 *   blocked on a full queue when it closed); nothing was enqueued;
 * - `"dropped"`: the job was queued when the pool stopped and never ran;
 * - `"interrupted"`: the job was running when the pool stopped.
 *
 * An expected outcome, typed: closing a pool is an operation that producers
 * race, so any of them may meet it.
 *
 * @category errors
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
 * A bad option at `WorkerPool.make` or a pool's layer: `workers` not a
 * positive safe integer, `queue` / `results` not a non-negative integer,
 * `process` not a function, `failFast` or `telemetry` not a boolean. A
 * defect, raised inside the effect (or the layer) that makes the pool: a
 * programming error, which no caller can handle. (A bad value read from a
 * `Config` is the config's own `ConfigError` instead, with this error's
 * message.) `value` is what was given, whatever its type.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidPoolOptionError extends Data.TaggedError("InvalidPoolOptionError")<{
  readonly option: "workers" | "queue" | "results" | "process" | "failFast" | "telemetry"
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
      case "telemetry":
        return `worker pool: ${this.option} must be a boolean or undefined, got ${got}`
      default:
        return `worker pool: ${this.option} must be a non-negative integer, got ${got}`
    }
  }
}

// -----------------------------------------------------------------------------
// State
// -----------------------------------------------------------------------------

const variance = { _I: (_: unknown) => _, _O: (_: never) => _, _E: (_: never) => _, _F: (_: never) => _ }

/** A worker, and the job it runs or ran last (running while that job's state says so). */
class Worker {
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  job: JobImpl | undefined = undefined
  /** Under telemetry: when its current job started (Clock milliseconds). */
  started = 0
}

export class PoolImpl extends PrimitiveBase implements JobOwner {
  readonly [TypeId] = variance
  readonly name: string | undefined
  readonly process: (job: unknown) => Effect.Effect<unknown, unknown>
  readonly failFast: boolean
  readonly jobs: Chan.Chan<JobImpl>
  readonly jobsImpl: ChanImpl<JobImpl>
  readonly results: Chan.Chan<JobResult<unknown, unknown, unknown>> | undefined
  /** Workers not yet ended, counted from just before their fork. */
  readonly workers = new Set<Worker>()
  /** No more submits: the job channel is closed. */
  closed = false
  /** shutdownNow, failFast failure or scope closed: running jobs are interrupted, queued ones dropped. */
  stopping = false
  /** Every worker has ended. */
  terminated = false
  /** failFast: the first failure. */
  failure: Cause.Cause<unknown> | undefined = undefined
  /** Fibers in `wait` / `shutdown`. */
  readonly waiters: WaiterList<Waiter<void, unknown>>
  /** Jobs with fibers parked in `join` (for {@link blocked}). */
  readonly joining = new Set<JobImpl>()

  constructor(
    name: string | undefined,
    queue: number,
    results: number | undefined,
    failFast: boolean,
    process: (job: unknown) => Effect.Effect<unknown, unknown>,
    telemetry: boolean | undefined
  ) {
    super()
    this.name = name
    this.failFast = failFast
    this.process = process
    // The pool's channels are recorded as the pool is (`telemetry: false` silences the whole pool).
    this.jobs = Chan.makeUnsafe<JobImpl>(queue, { name, telemetry })
    this.jobsImpl = chanOf(this.jobs)
    this.results = results === undefined ? undefined : Chan.makeUnsafe(results, { name, telemetry })
    this.waiters = new WaiterList("WorkerPool", name, this, "wait")
  }
  /**
   * For the blocked-fiber dump and the deadlock detector. A `wait` needs
   * every worker to end; the joiners of a running job need its worker to
   * finish it, those of a queued job a worker to take it (nobody in
   * particular). A `submit` waiting for room parks on the job channel,
   * which shows it: any fiber may make room or close the pool.
   */
  diagnose(): Diagnosis {
    const workers: Array<Fiber.Fiber<unknown, unknown>> = []
    const holders: Array<Holder> = []
    for (const w of this.workers) {
      // A worker being forked has no fiber yet: `wait` needs it too, but
      // waiting for the others is already a condition of its wake-up.
      if (w.fiber === undefined) continue
      workers.push(w.fiber)
      if (w.job !== undefined && w.job.state === RUNNING && w.job.fiber === w.fiber) {
        holders.push({ fiber: w.fiber, role: "runs job" })
      }
    }
    const queues: Array<Queue> = [{ list: this.waiters, wakers: { _tag: "AllOf", fibers: workers } }]
    for (const t of this.joining) {
      if (t.joiners === undefined) continue
      const runner = t.state === RUNNING ? t.fiber : undefined
      queues.push({ list: t.joiners, wakers: runner === undefined ? anyone : { _tag: "AllOf", fibers: [runner] } })
    }
    return { kind: "WorkerPool", name: this.name, state: stats(this), queues, holders }
  }
  toJSON(): unknown {
    return {
      _id: "WorkerPool",
      name: this.name,
      ...stats(this),
      queue: this.jobsImpl.capacity,
      failFast: this.failFast,
      failed: this.failure !== undefined,
      stopped: this.terminated
    }
  }
}

const closedError = (p: PoolImpl, reason: PoolClosedError["reason"]): Exit.Exit<never, PoolClosedError> =>
  Exit.fail(new PoolClosedError({ poolName: p.name, reason }))

const rejected = (p: PoolImpl): Exit.Exit<never, unknown> =>
  p.failure !== undefined ? Exit.failCause(p.failure) : closedError(p, "rejected")

const terminationExit = (p: PoolImpl): Exit.Exit<void, unknown> =>
  p.failure !== undefined ? Exit.failCause(p.failure) : Exit.void

// -----------------------------------------------------------------------------
// Stopping
// -----------------------------------------------------------------------------

/** Closes the job channel: later and blocked submits are rejected. */
export const closeJobs = (p: PoolImpl): void => {
  if (p.closed) return
  p.closed = true
  closeIfOpen(p.jobsImpl)
}

/** A job that was queued when the pool stopped: it never runs. */
const drop = (p: PoolImpl, t: JobImpl): void => {
  if (t.state === QUEUED) finish(t, closedError(p, "dropped"))
}

/**
 * Empties the (closed) job channel, dropping every job in it. A job handed
 * to a parked worker that has not resumed yet is not in the channel: that
 * worker drops it when it resumes (see {@link runJobs}), before it ends.
 */
const dropQueued = (p: PoolImpl, fiber: Fiber.Fiber<unknown, unknown>): void => {
  for (let next = recvNow(p.jobsImpl, fiber); next._tag === "Some"; next = recvNow(p.jobsImpl, fiber)) {
    drop(p, next.value)
  }
}

/** shutdownNow: stop accepting, drop the queue, interrupt every worker (and so its running job). */
export const stopNow = (p: PoolImpl, fiber: Fiber.Fiber<unknown, unknown>): void => {
  if (p.stopping) return
  p.stopping = true
  closeJobs(p)
  dropQueued(p, fiber)
  for (const worker of Array.from(p.workers)) worker.fiber?.interruptUnsafe()
}

/** Records a job's outcome, however its run ended; a `failFast` failure stops the pool. */
const onJobEnd = (
  p: PoolImpl,
  t: JobImpl,
  exit: Exit.Exit<unknown, unknown>,
  worker: Fiber.Fiber<unknown, unknown>
): void => {
  // Interrupted by cancel (or by itself): report the interruption; by the pool stopping: a typed error.
  const interrupted = exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause)
  finish(t, interrupted && p.stopping && !t.cancelled ? closedError(p, "interrupted") : exit)
  if (exit._tag === "Failure" && !interrupted && p.failFast && p.failure === undefined) {
    const reasons = exit.cause.reasons.filter((reason) => !Cause.isInterruptReason(reason))
    p.failure = reasons.length === exit.cause.reasons.length ? exit.cause : Cause.fromReasons(reasons)
    stopNow(p, worker)
  }
}

/** Runs when a worker fiber has ended; the last one terminates the pool. */
const onWorkerEnd = (p: PoolImpl, w: Worker, fiber: Fiber.Fiber<unknown, unknown>): void => {
  p.workers.delete(w)
  if (p.workers.size > 0) return
  p.terminated = true
  closeJobs(p)
  dropQueued(p, fiber)
  if (p.results !== undefined) closeIfOpen(chanOf(p.results))
  const exit = terminationExit(p)
  const nodes = p.waiters.drain()
  for (let i = 0; i < nodes.length; i++) wake(nodes[i]!, exit)
}

// -----------------------------------------------------------------------------
// Workers
// -----------------------------------------------------------------------------

/**
 * What worker `w` does with each job it receives, called in the step that
 * received it: starts it (unless it was cancelled or dropped on its way, or
 * the pool is stopping), runs it interruptibly, settles it in the step it
 * ends, and goes on with `next` (its following receive). A `cancel` while
 * the job runs interrupts the worker (see `withdraw`): only the job runs
 * interruptibly, so the interruption stops the job, is recorded as its
 * outcome, and then ends the worker, after it has forked its replacement.
 */
const runJobs = (
  p: PoolImpl,
  w: Worker,
  worker: Fiber.Fiber<unknown, unknown>,
  next: () => Effect.Effect<void>
): ((t: JobImpl) => Effect.Effect<void>) => {
  // Under telemetry (the worker's, from the fiber that made the pool), each
  // job's outcome and run time are recorded, and it runs in a span linked to
  // the span it was submitted in.
  const traced = activeLayers !== 0 && recordsFor(worker, p)
  const outcome = (exit: Exit.Exit<unknown, unknown>): void => {
    if (traced) taskOutcome("WorkerPool", p.name, exit, nowOn(worker) - w.started, worker, p)
  }
  // One job at a time: the handlers are built once per worker, not per job.
  const ended = (t: JobImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
    outcome(exit)
    const children = childrenOf(worker)
    return Effect.andThen(
      children === undefined
        ? jobEnded(p, t, exit, worker)
        : Effect.andThen(
            Fiber.interruptAll(children),
            Effect.suspend(() => jobEnded(p, t, exit, worker))
          ),
      next()
    )
  }
  const handlers = {
    onSuccess: (value: unknown): Effect.Effect<void> => {
      const t = w.job!
      if (t.cancelled || childrenOf(worker) !== undefined) return ended(t, Exit.succeed(value))
      // The common case: no cancel, no children; no `Exit` unless needed.
      if (traced) outcome(Exit.succeed(value))
      finishValue(t, value)
      return p.stopping || p.results === undefined
        ? next()
        : Effect.andThen(sendResult(p, t, Exit.succeed(value)), next())
    },
    onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<void> => ended(w.job!, Exit.failCause(cause))
  }
  const runCurrent = Effect.matchCauseEffect(
    Effect.interruptible(Effect.suspend(() => (traced ? tracedJob(p, w.job!) : startJob(p, w.job!)))),
    handlers
  )
  return (t) => {
    if (p.stopping) drop(p, t)
    if (!start(t, worker)) return next()
    w.job = t
    if (traced) w.started = nowOn(worker)
    return runCurrent
  }
}

const sendResult = (p: PoolImpl, t: JobImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Effect.interruptible(Effect.ignore(Chan.send(p.results!, { job: t.job, exit })))

/** {@link startJob} in a span of its own, linked to the span the job was submitted in. */
const tracedJob = (p: PoolImpl, t: JobImpl): Effect.Effect<unknown, unknown> =>
  Effect.withSpan(startJob(p, t), "WorkerPool.job", {
    attributes: taskAttributes("WorkerPool", p.name),
    links: t.submittedIn === undefined ? [] : [{ span: t.submittedIn, attributes: {} }]
  })

/** `process(job)`; a `process` that throws instead of returning an effect fails that job only, with a defect. */
const startJob = (p: PoolImpl, t: JobImpl): Effect.Effect<unknown, unknown> => {
  try {
    return p.process(t.job)
  } catch (defect) {
    return Exit.die(defect)
  }
}

/**
 * The fibers a job forked with `Effect.forkChild` (they attach to its
 * worker, which forks none itself), which a job fiber of its own would
 * interrupt when it ends. Effect 4 offers no public way to list or
 * interrupt a fiber's children, so this reads its fiber's `_children`
 * field; a test guards the behaviour.
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
const jobEnded = (
  p: PoolImpl,
  t: JobImpl,
  exit: Exit.Exit<unknown, unknown>,
  worker: Fiber.Fiber<unknown, unknown>
): Effect.Effect<void> => {
  if (!t.cancelled) {
    onJobEnd(p, t, exit, worker)
    return p.stopping || p.results === undefined || (exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause))
      ? Effect.void
      : sendResult(p, t, exit)
  }
  onJobEnd(p, t, exit._tag === "Success" ? Exit.interrupt(t.cancelledBy) : exit, worker)
  return p.stopping ? Effect.interrupt : Effect.andThen(startWorker(p), Effect.interrupt)
}

/**
 * Forks one more worker. Must run uninterruptibly. The pool's finalizer owns
 * the workers (see {@link makePool}): it stops them all and waits until none
 * is left, replacements included, whenever they were forked.
 */
const startWorker = (p: PoolImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const w = new Worker()
    p.workers.add(w)
    return Effect.map(Effect.forkDetach(workerLoop(p, w)), (fiber) => {
      w.fiber = fiber
      fiber.addObserver(() => onWorkerEnd(p, w, fiber))
      // The pool may have stopped while this fiber yielded after the fork
      // (its op budget spent), the new worker running meanwhile.
      if (p.stopping) fiber.interruptUnsafe()
    })
  })

/**
 * `for j := range jobs { ... }` on the channel's own receive (`recvNow`, or
 * its park), one step per job beyond the job's own. A worker parked on the
 * job channel needs no interruption to stop: the pool closes the channel
 * first whenever it stops.
 *
 * Not the channel's `forEach`: that resumes the fibers it completed before
 * it parks (`flushPending`), here the submitter it took a job from, which
 * then parks again on its next job, once per job. A worker that parks
 * without it lets the submitter resume at the next scheduler turn and feed
 * every idle worker in one go (with `queue: 0`, a job costs about a third
 * less). Nothing is lost: the worker runs uninterruptibly, so what it
 * receives reaches its job.
 */
const workerLoop = (p: PoolImpl, w: Worker): Effect.Effect<void> =>
  Effect.uninterruptible(
    Effect.withFiber((worker) => {
      const ch = p.jobsImpl
      const received = runJobs(p, w, worker, () => step)
      const parked = Effect.flatMap(ch.parkRecv, (job: Option.Option<JobImpl>) =>
        job._tag === "Some" ? received(job.value) : Effect.void
      )
      const step: Effect.Effect<void> = Effect.withFiber((fiber) => {
        if (tooDeep()) return Effect.andThen(Effect.yieldNow, step)
        if (!canRecv(ch)) return parked
        const job = recvNow(ch, fiber)
        return job._tag === "Some" ? received(job.value) : Effect.void
      })
      return step
    })
  )

const validSize = (n: number, min: number): boolean => Number.isInteger(n) && n >= min

/** The first bad size (`workers`, `queue`, `results`), if any. */
export const invalidSize = (options: {
  readonly workers: number
  readonly queue?: number | undefined
  readonly results?: number | undefined
}): InvalidPoolOptionError | undefined => {
  const { workers, queue = 0, results } = options
  // Past 2^53 - 1 a count is no longer exact.
  if (!(Number.isSafeInteger(workers) && workers >= 1)) {
    return new InvalidPoolOptionError({ option: "workers", value: workers })
  }
  if (!validSize(queue, 0)) return new InvalidPoolOptionError({ option: "queue", value: queue })
  if (results !== undefined && !validSize(results, 0)) {
    return new InvalidPoolOptionError({ option: "results", value: results })
  }
  return undefined
}

/** The first bad option, if any. */
const invalidOption = (options: Options<any, any, any, any>): InvalidPoolOptionError | undefined => {
  const size = invalidSize(options)
  if (size !== undefined) return size
  const { process, failFast, telemetry } = options
  if (typeof process !== "function") return new InvalidPoolOptionError({ option: "process", value: process })
  if (failFast !== undefined && typeof failFast !== "boolean") {
    return new InvalidPoolOptionError({ option: "failFast", value: failFast })
  }
  if (telemetry !== undefined && typeof telemetry !== "boolean") {
    return new InvalidPoolOptionError({ option: "telemetry", value: telemetry })
  }
  return undefined
}

/**
 * `WorkerPool.make`: checks the options (a bad one is a defect), starts the
 * workers, and has the scope stop them.
 */
export const makePool = (options: Options<any, any, any, any>): Effect.Effect<PoolImpl, never, Scope.Scope> =>
  Effect.suspend(() => {
    // Options passed through `any` may be missing altogether: then `workers` is.
    const checked = options ?? ({} as typeof options)
    const invalid = invalidOption(checked)
    if (invalid !== undefined) return Exit.die(invalid)
    const { workers, queue = 0, results } = checked
    const process = checked.process as (job: unknown) => Effect.Effect<unknown, unknown>
    const p = new PoolImpl(checked.name, queue, results, checked.failFast === true, process, checked.telemetry)
    setTelemetry(p, checked.telemetry)
    return Effect.uninterruptible(
      Effect.andThen(
        Effect.forEach(Array.from({ length: workers }), () => startWorker(p), { discard: true }),
        // The finalizer owns the workers (see `startWorker`). Were the scope
        // closed already, it would run at once and stop the workers just made.
        Effect.as(
          Effect.addFinalizer(() =>
            Effect.withFiber((fiber) => {
              stopNow(p, fiber)
              return Effect.ignore(waitFor(p))
            })
          ),
          p
        )
      )
    )
  })

// -----------------------------------------------------------------------------
// Submitting
// -----------------------------------------------------------------------------

/** A parked submit's node: the worker of a job it withdrew when interrupted, to wait for. */
interface Withdrawing extends Waiter<any, any> {
  stopping: Fiber.Fiber<unknown, unknown> | undefined
}

/**
 * A `submit` waiting on a full queue: it resumes with the job's handle once
 * the job is in the channel (or with a worker), or with the refusal once the
 * pool has closed.
 */
class SubmitNode extends SendNode<JobImpl> implements Withdrawing {
  readonly pool: PoolImpl
  stopping: Fiber.Fiber<unknown, unknown> | undefined = undefined
  constructor(pool: PoolImpl, t: JobImpl) {
    super(t)
    this.pool = pool
    this.op = "submit"
  }
  override deliver(exit: Exit.Exit<void, ChanClosedError>): Effect.Effect<JobImpl, unknown> {
    return exit._tag === "Success" ? Exit.succeed(this.value) : rejected(this.pool)
  }
}

/** A `trySubmit` whose answer could not reach its caller at once: it resumes later with it. */
class TrySubmitNode extends Waiter<Option.Option<JobImpl>, unknown> implements Withdrawing {
  stopping: Fiber.Fiber<unknown, unknown> | undefined = undefined
}

/**
 * A submit interrupted after its job went in, before it resumed with the
 * handle (a grant and an interruption can meet: see `park`): nobody has the
 * handle, so the job is withdrawn as by `cancel`. It never starts, or, if a
 * worker started it already, it is interrupted, and the submit's
 * interruption waits for it to stop (see {@link parkSubmit}).
 */
const withdrawGranted = (node: Withdrawing, t: JobImpl): void => {
  node.stopping = withdraw(t, Fiber.getCurrent()!.id)
}

const onSubmitCancel = (node: SubmitNode, granted: Exit.Exit<void, ChanClosedError> | undefined): void => {
  if (granted !== undefined && granted._tag === "Success") withdrawGranted(node, node.value)
}

const onTrySubmitCancel = (node: TrySubmitNode, granted: Exit.Exit<Option.Option<JobImpl>, unknown> | undefined) => {
  if (granted !== undefined && granted._tag === "Success" && granted.value._tag === "Some") {
    withdrawGranted(node, granted.value.value)
  }
}

/** Parks a submit (see `park`); its interruption waits for a job it withdrew to stop. */
const parkSubmit = <W extends Withdrawing, A>(
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  attempt: () => Exit.Exit<any, any> | undefined,
  where: Enlist<W>,
  onCancel: OnCancel<W, any, any>
): Effect.Effect<A, unknown> => {
  flushPending()
  return Effect.callback<A, unknown>((resume) => {
    const cancelled = parkNow(node, fiber, attempt, where, onCancel, resume)
    return cancelled === undefined
      ? undefined
      : Effect.andThen(
          cancelled,
          Effect.suspend(() => (node.stopping === undefined ? Effect.void : Effect.asVoid(Fiber.await(node.stopping))))
        )
  })
}

/** Waits for room in the queue (Go: a blocking `jobs <- j`), as one of the job channel's senders. */
const waitForRoom = (
  p: PoolImpl,
  t: JobImpl,
  fiber: Fiber.Fiber<unknown, unknown>
): Effect.Effect<JobImpl, unknown> => {
  const sendq = p.jobsImpl.sendq as WaiterList<SendNode<JobImpl>> as WaiterList<SubmitNode>
  return parkSubmit(new SubmitNode(p, t), fiber, () => trySend(p.jobsImpl, t, fiber), sendq, onSubmitCancel)
}

/**
 * Puts a new job in the queue if that needs no waiting: its handle, or
 * undefined when the queue is full (or, with `queue: 0`, no worker is idle).
 */
const submitNow = (
  p: PoolImpl,
  t: JobImpl,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<JobImpl, unknown> | undefined => {
  const now = trySend(p.jobsImpl, t, fiber)
  return now === undefined ? undefined : now._tag === "Success" ? Exit.succeed(t) : rejected(p)
}

/**
 * `submit`: the job goes in on the fast path only if its handle surely
 * reaches the caller (see `handsOver`): a job whose submit is interrupted
 * before it returns must not run behind the caller's back.
 */
export const submit = (p: PoolImpl, job: unknown): Effect.Effect<JobImpl, unknown> =>
  Effect.withFiber((fiber) => {
    if (p.closed) return rejected(p)
    const t = new JobImpl(p, job)
    return (handsOver(fiber) ? submitNow(p, t, fiber) : undefined) ?? waitForRoom(p, t, fiber)
  })

const exitNone = Exit.succeed(Option.none())

const trySubmitNow = (p: PoolImpl, t: JobImpl, fiber: Fiber.Fiber<unknown, unknown>) => {
  const now = submitNow(p, t, fiber)
  return now === undefined ? exitNone : Exit.map(now, Option.some)
}

/** A try that always answers never waits in a list: its node only resumes later, with the answer. */
const unlisted = (): void => {}

/** `trySubmit`; as {@link submit}, it takes only where the handle surely reaches the caller. */
export const trySubmit = (p: PoolImpl, job: unknown): Effect.Effect<Option.Option<JobImpl>, unknown> =>
  Effect.withFiber((fiber) => {
    if (p.closed) return rejected(p)
    const t = new JobImpl(p, job)
    if (handsOver(fiber)) return trySubmitNow(p, t, fiber)
    return parkSubmit(new TrySubmitNode(), fiber, () => trySubmitNow(p, t, fiber), unlisted, onTrySubmitCancel)
  })

/**
 * `run`: submit and join, cancelling the job however it is interrupted
 * (also right after the job went into the queue, before `join` started).
 */
export const run = (p: PoolImpl, job: unknown): Effect.Effect<unknown, unknown> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiber((fiber) => {
      if (p.closed) return rejected(p)
      const t = new JobImpl(p, job)
      // Uninterruptible here: the fast path may take without `handsOver`.
      const now = submitNow(p, t, fiber)
      return Effect.onInterrupt(
        now === undefined
          ? Effect.andThen(restore(waitForRoom(p, t, fiber)), restore(joinJob(t)))
          : now._tag === "Success"
            ? restore(joinJob(t))
            : now,
        () => cancel(t)
      )
    })
  )

// -----------------------------------------------------------------------------
// Waiting, snapshots
// -----------------------------------------------------------------------------

/** A `wait` that needs no waiting: every worker has ended. Also the re-check at parking. */
const waitNow = (p: PoolImpl): Exit.Exit<void, unknown> | undefined => (p.terminated ? terminationExit(p) : undefined)

/** `wait`: until every worker has ended (nothing to give back if interrupted). */
export const waitFor = (p: PoolImpl): Effect.Effect<void, unknown> =>
  Effect.withFiber((fiber) => {
    const now = waitNow(p)
    if (now !== undefined) return now
    const node = new Waiter<void, unknown>()
    node.op = "wait"
    return block(p.waiters, node, fiber, undefined, () => waitNow(p))
  })

/** `stats`: a snapshot. */
export const stats = (p: PoolImpl) => {
  let running = 0
  for (const w of p.workers) if (w.job !== undefined && w.job.state === RUNNING) running++
  return { workers: p.workers.size, running, queued: length(p.jobsImpl), closed: p.closed }
}

/** `blocked`: submits parked on a full queue, joins, waits. */
export const blocked = (p: PoolImpl): Array<BlockedFiber> => [
  ...p.jobsImpl.sendq.blocked().map((b) => ({ ...b, primitive: "WorkerPool" })),
  ...blockedJoins(p),
  ...p.waiters.blocked()
]

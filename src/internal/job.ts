/**
 * A worker pool's job handle: one submitted job's state, its outcome, and
 * the fibers waiting for it.
 *
 * A job is `QUEUED` from its submit until a worker starts it (in the job
 * channel, in a parked `submit`'s node, or handed to a parked worker that
 * has not resumed yet), then `RUNNING` in that worker, then `DONE` with its
 * outcome. A job cancelled or dropped before it starts goes from `QUEUED`
 * to `DONE` directly, and a worker that receives it skips it. Everything a
 * handle answers (`join`, `poll`, `cancel`) is read from that state; the
 * pool (pool.ts) moves jobs through it and decides the outcomes.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Tracer from "effect/Tracer"
import { PrimitiveBase } from "./primitive.ts"
import type { Diagnosable } from "./registry.ts"
import { activeLayers } from "./telemetry.ts"
import { type BlockedFiber, block, shallow, Waiter, WaiterList, wake } from "./waiters.ts"

/** The key of the public `Job` type (declared in WorkerPool.ts). */
export const JobTypeId = "~effect-go/WorkerPool/Job" as const

export const QUEUED = 0
export const RUNNING = 1
export const DONE = 2

/**
 * What a job knows of its pool: its name (for dumps), where jobs with fibers
 * in `join` are listed, and the pool itself as the owner of its joiners'
 * lists (the pool shows them to the blocked-fiber dump).
 */
export interface JobOwner extends Diagnosable {
  readonly name: string | undefined
  readonly joining: Set<JobImpl>
}

const variance = { _O: (_: never) => _, _E: (_: never) => _ }

/** How a job ended, for `toJSON` (a success may have no `Exit`: see {@link outcome}). */
const ended = (exit: Exit.Exit<unknown, unknown> | undefined): string =>
  exit === undefined || exit._tag === "Success"
    ? "succeeded"
    : Cause.hasInterruptsOnly(exit.cause)
      ? "interrupted"
      : "failed"

export class JobImpl extends PrimitiveBase {
  readonly [JobTypeId] = variance
  /** The job as submitted (the input of `process`). */
  readonly job: unknown
  readonly owner: JobOwner
  state = QUEUED
  /** Asked to stop by `cancel` (or an interrupted `run` or `submit`). */
  cancelled = false
  /** The fiber that cancelled the job while it ran. */
  cancelledBy: number | undefined = undefined
  /** The outcome once DONE; a success is kept as {@link value} until someone asks (see {@link outcome}). */
  exit: Exit.Exit<unknown, unknown> | undefined = undefined
  /** The job's value, when it succeeded and {@link exit} is not built yet. */
  value: unknown = undefined
  /** The worker running the job (RUNNING only). */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** Fibers in {@link join}; created when the first one parks. */
  joiners: WaiterList<Waiter<unknown, unknown>> | undefined = undefined
  /** Under telemetry: the span the job was submitted in, which its own span links to. */
  submittedIn: Tracer.AnySpan | undefined = undefined
  constructor(owner: JobOwner, job: unknown) {
    super()
    this.owner = owner
    this.job = job
    if (activeLayers !== 0) this.submittedIn = Fiber.getCurrent()?.cache.span
  }
  /**
   * What a handle shows: its pool's name, where the job is or how it ended,
   * whether it was cancelled and how many fibers wait in `join`. Not the job
   * itself (the caller has it; it may be large or private).
   */
  toJSON(): unknown {
    return {
      _id: "WorkerPool.Job",
      pool: this.owner.name,
      state: this.state === QUEUED ? "queued" : this.state === RUNNING ? "running" : ended(this.exit),
      cancelled: this.cancelled,
      joining: this.joiners === undefined ? 0 : this.joiners.size
    }
  }
}

/** A job's outcome, or undefined while it has none; builds a success's `Exit` on first use. */
export const outcome = (t: JobImpl): Exit.Exit<unknown, unknown> | undefined =>
  t.state !== DONE ? undefined : (t.exit ??= Exit.succeed(t.value))

/** A worker starts a job it received, in the step that received it; false if the job is no longer queued. */
export const start = (t: JobImpl, worker: Fiber.Fiber<unknown, unknown>): boolean => {
  if (t.state !== QUEUED) return false
  t.state = RUNNING
  t.fiber = worker
  return true
}

/** Records a job's outcome, once, and wakes its joiners. */
export const finish = (t: JobImpl, exit: Exit.Exit<unknown, unknown>): void => {
  if (t.state === DONE) return
  t.state = DONE
  t.exit = exit
  t.fiber = undefined
  const list = t.joiners
  if (list !== undefined) {
    t.joiners = undefined
    t.owner.joining.delete(t)
    const nodes = list.drain()
    for (let i = 0; i < nodes.length; i++) wake(nodes[i]!, exit)
  }
}

/**
 * A running job succeeded: records its value, without building an `Exit`
 * when nobody waits in {@link join} (see {@link outcome}).
 */
export const finishValue = (t: JobImpl, value: unknown): void => {
  if (t.state === DONE || t.joiners !== undefined) {
    finish(t, Exit.succeed(value))
    return
  }
  t.state = DONE
  t.value = value
  t.fiber = undefined
}

/**
 * Asks a job to stop, in one step: a queued job is done, interrupted by
 * `by`, and will not start; a running one is marked cancelled and its worker
 * interrupted (the worker records the interruption as the job's outcome and
 * hands its place to a fresh worker). Returns that worker, for the caller to
 * await; undefined when there is nothing to await.
 */
export const withdraw = (t: JobImpl, by: number): Fiber.Fiber<unknown, unknown> | undefined => {
  if (t.state === DONE) return undefined
  t.cancelled = true
  if (t.state === QUEUED) {
    finish(t, Exit.interrupt(by))
    return undefined
  }
  t.cancelledBy = by
  const worker = t.fiber!
  worker.interruptUnsafe(by)
  return worker
}

/** `cancel`: {@link withdraw}, then wait until a running job has stopped. */
export const cancel = (t: JobImpl): Effect.Effect<void> =>
  shallow(() =>
    Effect.withFiber((fiber) => {
      const worker = withdraw(t, fiber.id)
      return worker === undefined ? Exit.void : Effect.asVoid(Fiber.await(worker))
    })
  )

/** Waits for the job's outcome (nothing to give back if interrupted: an outcome is read, not taken). */
export const join = (t: JobImpl): Effect.Effect<unknown, unknown> =>
  Effect.withFiber((fiber) => {
    const now = outcome(t)
    if (now !== undefined) return now
    const list = (t.joiners ??= new WaiterList<Waiter<unknown, unknown>>("WorkerPool", t.owner.name, t.owner, "join"))
    t.owner.joining.add(t)
    const node = new Waiter<unknown, unknown>()
    node.op = "join"
    // Re-checked at the moment of parking: the job may have ended since (its
    // `finish` then detached the list made above).
    return block(list, node, fiber, undefined, () => outcome(t))
  })

/** The fibers in {@link join} on the jobs of `owner`. */
export const blockedJoins = (owner: JobOwner): Array<BlockedFiber> => {
  const out: Array<BlockedFiber> = []
  for (const t of owner.joining) if (t.joiners !== undefined) out.push(...t.joiners.blocked())
  return out
}

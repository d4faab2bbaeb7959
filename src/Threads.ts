/**
 * Threads: jobs run on other cores, with the vocabulary of this package.
 *
 * Go's goroutines run on every core; a JavaScript program runs on one
 * thread, and its fibers share it. A CPU-bound job (hashing, parsing,
 * compressing) only runs faster on more threads. This module runs a
 * {@link Task} — a job type whose input, output and error are Schemas — on
 * a set of threads, through Effect's own worker modules (`effect/workers`:
 * `Worker`, `WorkerRunner`, `Transferable`); the platform part (Node's
 * `worker_threads`) is provided by `effect-go/NodeThreads`.
 *
 * - {@link task} declares the job type, in a module that both sides import.
 * - {@link serve} is what a thread runs: the handler of the task's jobs.
 * - {@link make} starts the threads (in the current `Scope`); {@link run}
 *   runs one job on the next idle thread. `run` is a plain
 *   `(input) => Effect`, so the rest of the package uses threads as it
 *   uses fibers: `WorkerPool.make({ workers: threads.size, process:
 *   Threads.run(threads) })` is a pool with backpressure, `join`, `cancel`
 *   and `shutdown`; `Pipeline.map(input, Threads.run(threads), { workers:
 *   threads.size })` a CPU-bound stage; `ErrGroup` with a limit a bounded
 *   fan-out.
 *
 * Jobs cross as Schema-encoded messages: what a job can carry is what its
 * Schema says, checked by the type checker (a function or a class instance
 * not in the Schema is a type error, not a structured-clone surprise).
 * `ArrayBuffer`s and ports in a field declared with
 * `Transferable.schema` move instead of being copied.
 *
 * Faults, each with the job it hits and nothing else:
 * - a job that fails in its thread fails with its typed error; one that
 *   dies (throws) dies with a {@link ThreadDefect} naming the thread;
 * - a thread that exits or crashes fails the job it was running with a
 *   {@link ThreadCrashedError} naming the thread, and a new thread takes
 *   its place;
 * - interrupting `run` interrupts the job in its thread; a job that does
 *   not stop within `interruptGrace` (a synchronous loop cannot see the
 *   interruption) is stopped by terminating its thread, which is replaced;
 * - closing the scope terminates every thread at once, busy or not: no
 *   thread outlives it.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Transferable from "effect/workers/Transferable"
import type * as Worker from "effect/workers/Worker"
import type { WorkerError } from "effect/workers/WorkerError"
import * as WorkerRunner from "effect/workers/WorkerRunner"
import * as Chan from "./Chan.ts"
import { invalidArgument } from "./internal/copied.ts"

// -----------------------------------------------------------------------------
// Tasks
// -----------------------------------------------------------------------------

/**
 * A job type: its name and the Schemas of its input, output and error. Both
 * the program that starts the threads and the threads' entry file import
 * it, so keep its module small (Schemas only): every thread loads it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Task<I extends Schema.Top, O extends Schema.Top, E extends Schema.Top> {
  readonly name: string
  readonly input: I
  readonly output: O
  readonly error: E
}

/**
 * Declares a job type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Threads } from "effect-go"
 *
 * class BadInput extends Schema.TaggedError<BadInput>()("BadInput", { reason: Schema.String }) {}
 *
 * export const Digest = Threads.task("Digest", {
 *   input: Schema.Struct({ text: Schema.String, rounds: Schema.Number }),
 *   output: Schema.String,
 *   error: BadInput
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const task = <I extends Schema.Top, O extends Schema.Top, E extends Schema.Top = typeof Schema.Never>(
  name: string,
  schemas: { readonly input: I; readonly output: O; readonly error?: E | undefined }
): Task<I, O, E> => ({
  name,
  input: schemas.input,
  output: schemas.output,
  error: (schemas.error ?? Schema.Never) as E
})

/**
 * The input a task's job takes.
 *
 * @category models
 * @since 0.1.0
 */
export type Input<T> = T extends Task<infer I, any, any> ? I["Type"] : never
/**
 * The output of a task's job.
 *
 * @category models
 * @since 0.1.0
 */
export type Output<T> = T extends Task<any, infer O, any> ? O["Type"] : never
/**
 * The typed error of a task's job.
 *
 * @category models
 * @since 0.1.0
 */
export type Failure<T> = T extends Task<any, any, infer E> ? E["Type"] : never

// -----------------------------------------------------------------------------
// Errors
// -----------------------------------------------------------------------------

/** "thread 3", or "thread 3 of \"digests\"" for a named set. */
const threadLabel = (thread: number, threadsName: string | undefined): string =>
  threadsName === undefined ? `thread ${thread}` : `thread ${thread} of ${JSON.stringify(threadsName)}`

/**
 * The thread running a job exited or crashed under it (it called
 * `process.exit`, ran out of memory, was terminated): the job's outcome is
 * unknown. A new thread has taken its place. A caller can retry the job.
 *
 * @category errors
 * @since 0.1.0
 */
export class ThreadCrashedError extends Data.TaggedError("ThreadCrashedError")<{
  /** The thread's number in its set (0, 1, ...; a replacement gets the next one). */
  readonly thread: number
  /** The name of the set, if it has one. */
  readonly threadsName: string | undefined
  /** What the platform said about the thread's end. */
  readonly reason: string
}> {
  override get message(): string {
    return `${threadLabel(this.thread, this.threadsName)} ended under its job: ${this.reason}`
  }
}

/**
 * A job died in its thread (it threw, or failed with something its task's
 * error Schema does not describe): the job dies with this defect. The
 * thread goes on with other jobs.
 *
 * @category errors
 * @since 0.1.0
 */
export class ThreadDefect extends Data.TaggedError("ThreadDefect")<{
  readonly thread: number
  readonly threadsName: string | undefined
  /** The defect as the thread reported it (an `Error` keeps its name and message, not its class). */
  readonly defect: unknown
}> {
  override get message(): string {
    const what = this.defect instanceof Error ? `${this.defect.name}: ${this.defect.message}` : String(this.defect)
    return `a job died in ${threadLabel(this.thread, this.threadsName)}: ${what}`
  }
}

/**
 * The threads could not be started (the entry file is missing or threw
 * before it served its task).
 *
 * @category errors
 * @since 0.1.0
 */
export class ThreadSpawnError extends Data.TaggedError("ThreadSpawnError")<{
  readonly thread: number
  readonly threadsName: string | undefined
  readonly reason: string
}> {
  override get message(): string {
    return `${threadLabel(this.thread, this.threadsName)} could not start: ${this.reason}`
  }
}

// -----------------------------------------------------------------------------
// The platform
// -----------------------------------------------------------------------------

/**
 * What the threads run on: starting thread `id` as an Effect `Worker`, and
 * terminating it at once. `effect-go/NodeThreads` provides it for Node's
 * `worker_threads`.
 *
 * @category services
 * @since 0.1.0
 */
export class ThreadPlatform extends Context.Service<
  ThreadPlatform,
  {
    readonly spawn: (id: number) => Effect.Effect<Worker.Worker<FromThread, ToThread>, WorkerError>
    readonly terminate: (id: number) => Effect.Effect<void>
  }
>()("effect-go/Threads/ThreadPlatform") {}

/**
 * To a thread: run job `id`, or interrupt it.
 *
 * @category models
 * @since 0.1.0
 */
export type ToThread = readonly [run: 0, id: number, input: unknown] | readonly [interrupt: 1, id: number]

/**
 * From a thread: job `id` ended — succeeded (0), failed (1), died (2) or
 * was interrupted (3) — with its encoded value.
 *
 * @category models
 * @since 0.1.0
 */
export type FromThread = readonly [id: number, outcome: 0 | 1 | 2 | 3, value: unknown]

const SUCCEEDED = 0
const FAILED = 1
const DIED = 2
const INTERRUPTED = 3

/** Encodes with a task's Schema, collecting what is to be transferred. */
const encoder = (schema: Schema.Top) => {
  const encode = Schema.encodeEffect(Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>))
  return (value: unknown): Effect.Effect<readonly [unknown, ReadonlyArray<unknown>], Schema.SchemaError> => {
    const collector = Transferable.makeCollectorUnsafe()
    return Effect.map(Effect.provideService(encode(value), Transferable.Collector, collector), (encoded) => [
      encoded,
      collector.clearUnsafe()
    ])
  }
}

const decoder = (schema: Schema.Top) =>
  Schema.decodeUnknownEffect(Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>))

const defectSchema = Schema.Defect()

// -----------------------------------------------------------------------------
// The thread side
// -----------------------------------------------------------------------------

/**
 * What a thread runs: the jobs of `task`, each through `handler`, until the
 * threads are closed. A thread's entry file runs it with its platform's
 * runner (`NodeThreads.serve(task, handler)` does). A job interrupted by
 * its caller is interrupted here; a job that never suspends cannot see
 * that, and its thread is terminated instead: let a long job yield
 * (`Effect.yieldNow`) between steps if it should stop promptly.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Threads } from "effect-go"
 *
 * const Digest = Threads.task("Digest", {
 *   input: Schema.Struct({ text: Schema.String, rounds: Schema.Number }),
 *   output: Schema.String
 * })
 * declare const digest: (text: string, rounds: number) => string
 *
 * // the thread's program (NodeThreads.serve runs it with Node's runner)
 * const program = Threads.serve(Digest, ({ text, rounds }) => Effect.sync(() => digest(text, rounds)))
 * ```
 *
 * @category thread side
 * @since 0.1.0
 */
export const serve = <I extends Schema.Top, O extends Schema.Top, E extends Schema.Top, R>(
  task: Task<I, O, E>,
  handler: (input: I["Type"]) => Effect.Effect<O["Type"], E["Type"], R>
): Effect.Effect<void, WorkerError, R | WorkerRunner.WorkerRunnerPlatform> =>
  Effect.gen(function* () {
    const platform = yield* WorkerRunner.WorkerRunnerPlatform
    const runner = yield* platform.start<FromThread, ToThread>()
    const running = new Map<number, Fiber.Fiber<unknown, unknown>>()
    const decodeInput = decoder(task.input)
    const encodeOutput = encoder(task.output)
    const encodeError = encoder(task.error)
    const encodeDefect = encoder(defectSchema)
    const send = (id: number, outcome: FromThread[1], encoded: readonly [unknown, ReadonlyArray<unknown>]) =>
      runner.send(0, [id, outcome, encoded[0]], encoded[1])
    const reply = (id: number, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void, Schema.SchemaError> => {
      if (Exit.isSuccess(exit)) return Effect.flatMap(encodeOutput(exit.value), (e) => send(id, SUCCEEDED, e))
      const error = Cause.findErrorOption(exit.cause)
      if (Option.isSome(error)) return Effect.flatMap(encodeError(error.value), (e) => send(id, FAILED, e))
      if (Cause.hasInterruptsOnly(exit.cause)) return runner.send(0, [id, INTERRUPTED, undefined])
      return Effect.flatMap(encodeDefect(Cause.squash(exit.cause)), (e) => send(id, DIED, e))
    }
    // An output or error its Schema cannot encode is the job's defect.
    const replyOrDie = (id: number, exit: Exit.Exit<unknown, unknown>) =>
      Effect.catchCause(reply(id, exit), (cause) => Effect.ignore(reply(id, Exit.die(Cause.squash(cause)))))
    return yield* runner.run((_port, message) => {
      if (message[0] === 1) {
        running.get(message[1])?.interruptUnsafe()
        return
      }
      const id = message[1]
      return Effect.withFiber((fiber) => {
        running.set(id, fiber)
        return decodeInput(message[2]).pipe(
          Effect.orDie,
          Effect.flatMap(handler),
          // Sent from a finalizer: an interrupted job still reports.
          Effect.onExit((exit) => replyOrDie(id, exit)),
          Effect.ensuring(Effect.sync(() => running.delete(id))),
          Effect.ignoreCause
        )
      })
    })
  })

// -----------------------------------------------------------------------------
// The calling side
// -----------------------------------------------------------------------------

const ThreadsTypeId = "~effect-go/Threads" as const

/**
 * A set of threads running one task's jobs.
 *
 * @category models
 * @since 0.1.0
 */
export interface Threads<I, O, E> {
  readonly [ThreadsTypeId]: { readonly _I: (_: I) => void; readonly _O: () => O; readonly _E: () => E }
  /** How many threads run jobs at once. */
  readonly size: number
  /** How many jobs can be in flight at once (threads × jobs per thread): a pool's `workers`. */
  readonly capacity: number
  readonly name: string | undefined
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ThreadsOptions {
  /** How many threads: a positive integer (default 1). */
  readonly threads?: number | undefined
  /**
   * How many jobs a thread is given at once (default 1). With 2, a thread
   * has its next job before it finishes the current one, so it does not sit
   * idle for the round trip between them: about a tenth more throughput for
   * 1 ms jobs. Its jobs then share its fate: a thread that ends fails both,
   * and stopping one job that does not answer (see `interruptGrace`)
   * terminates the thread under the other too.
   */
  readonly jobsPerThread?: number | undefined
  /** How long an interrupted job may take to stop before its thread is terminated (default 100 ms). */
  readonly interruptGrace?: Duration.Input | undefined
  /** A name, shown in errors. */
  readonly name?: string | undefined
}

/** One thread of a set. */
class Slot {
  /** The jobs it was given, with what their callers wait on. */
  readonly jobs = new Map<number, Deferred.Deferred<FromThread, ThreadCrashedError>>()
  /** Started: it has served its first message (the ready handshake). */
  ready = false
  dead = false
  readonly id: number
  readonly worker: Worker.Worker<FromThread, ToThread>
  constructor(id: number, worker: Worker.Worker<FromThread, ToThread>) {
    this.id = id
    this.worker = worker
  }
}

class ThreadsImpl<I, O, E> implements Threads<I, O, E> {
  readonly [ThreadsTypeId] = undefined as any
  /** The idle threads: a caller takes one, and gives it back when its job is over. */
  readonly idle: Chan.Chan<Slot>
  readonly slots = new Set<Slot>()
  closed = false
  nextThread = 0
  nextJob = 0
  readonly platform: ThreadPlatform["Service"]
  readonly size: number
  readonly perThread: number
  readonly capacity: number
  readonly name: string | undefined
  readonly grace: Duration.Duration
  readonly encodeInput: ReturnType<typeof encoder>
  readonly decodeOutput: ReturnType<typeof decoder>
  readonly decodeError: ReturnType<typeof decoder>
  readonly decodeDefect: ReturnType<typeof decoder>
  constructor(
    platform: ThreadPlatform["Service"],
    size: number,
    perThread: number,
    name: string | undefined,
    grace: Duration.Duration,
    task: Task<any, any, any>
  ) {
    this.platform = platform
    this.size = size
    this.perThread = perThread
    this.capacity = size * perThread
    this.name = name
    this.grace = grace
    this.encodeInput = encoder(task.input)
    this.decodeOutput = decoder(task.output)
    this.decodeError = decoder(task.error)
    this.decodeDefect = decoder(defectSchema)
    // A thread is in it once per job it can take more.
    this.idle = Chan.makeUnsafe<Slot>(this.capacity, {
      name: name === undefined ? "idle threads" : `${name}: idle threads`
    })
  }
  toJSON() {
    return { _id: "Threads", name: this.name, size: this.size, capacity: this.capacity, alive: this.slots.size }
  }
}

const badSize = (threads: unknown): boolean => typeof threads !== "number" || !Number.isInteger(threads) || threads < 1

/**
 * Starts `threads` threads (default 1) serving `task`, each ready before
 * the effect returns; they live in the current `Scope`, whose close
 * terminates them all at once. A thread that cannot start (a missing entry
 * file, one that throws before it serves) fails with
 * {@link ThreadSpawnError}. A bad option is a defect
 * (`InvalidArgumentError`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Threads } from "effect-go"
 *
 * const Digest = Threads.task("Digest", {
 *   input: Schema.Struct({ text: Schema.String, rounds: Schema.Number }),
 *   output: Schema.String
 * })
 *
 * const program = Effect.gen(function* () {
 *   const threads = yield* Threads.make(Digest, { threads: 2 })
 *   return yield* Threads.run(threads, { text: "hello", rounds: 1000 })
 * }).pipe(Effect.scoped) // with NodeThreads.layer(entry) provided
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <I extends Schema.Top, O extends Schema.Top, E extends Schema.Top>(
  task: Task<I, O, E>,
  options?: ThreadsOptions
): Effect.Effect<Threads<I["Type"], O["Type"], E["Type"]>, ThreadSpawnError, Scope.Scope | ThreadPlatform> =>
  Effect.gen(function* () {
    const size = options?.threads ?? 1
    if (badSize(size)) return yield* Effect.die(invalidArgument("Threads.make", "a positive integer as threads", size))
    const perThread = options?.jobsPerThread ?? 1
    if (badSize(perThread)) {
      return yield* Effect.die(invalidArgument("Threads.make", "a positive integer as jobsPerThread", perThread))
    }
    const grace = Duration.fromInput(options?.interruptGrace ?? 100)
    if (Option.isNone(grace)) {
      return yield* Effect.die(invalidArgument("Threads.make", "a duration as interruptGrace", options?.interruptGrace))
    }
    const platform = yield* ThreadPlatform
    const outer = yield* Effect.scope
    // The threads' fibers live in a scope of their own, closed after every
    // thread was terminated: closing a fiber's Worker first would ask the
    // thread to stop and wait for it (seconds, for one busy in a job).
    const scope = yield* Scope.fork(outer)
    const self = new ThreadsImpl<I["Type"], O["Type"], E["Type"]>(
      platform,
      size,
      perThread,
      options?.name,
      grace.value,
      task
    )
    // Closing the scope ends every thread at once, busy or not.
    yield* Scope.addFinalizer(
      outer,
      Effect.suspend(() => {
        self.closed = true
        return Effect.forEach([...self.slots], (slot) => platform.terminate(slot.id), {
          concurrency: "unbounded",
          discard: true
        })
      })
    )
    // Started together: a thread's start is mostly module loading.
    yield* Effect.forEach(
      Array.from({ length: size }),
      () => Effect.flatMap(start(self, platform, scope), (slot) => addIdle(self, slot)),
      {
        concurrency: "unbounded",
        discard: true
      }
    )
    return self
  })

/** A started thread joins the idle ones, once per job it can take. */
const addIdle = (self: ThreadsImpl<any, any, any>, slot: Slot): Effect.Effect<void> =>
  Effect.orDie(
    Effect.forEach(Array.from({ length: self.perThread }), () => Chan.trySend(self.idle, slot), { discard: true })
  )

/** What ended a thread, in a line: the platform's error and what it says of its cause. */
const describeEnd = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause) as { message?: unknown; reason?: { message?: unknown; cause?: unknown } }
  const message = String(error?.reason?.message ?? error?.message ?? error)
  const inner = error?.reason?.cause as { message?: unknown } | undefined
  return inner === undefined ? message : `${message}: ${String(inner?.message ?? inner)}`
}

/**
 * Starts one thread and the fiber that reads its replies; when the thread
 * ends, that fiber fails the job it was running and starts a replacement.
 */
const start = (
  self: ThreadsImpl<any, any, any>,
  platform: ThreadPlatform["Service"],
  scope: Scope.Scope
): Effect.Effect<Slot, ThreadSpawnError> =>
  Effect.gen(function* () {
    const id = self.nextThread++
    const spawnError = (reason: string) => new ThreadSpawnError({ thread: id, threadsName: self.name, reason })
    const worker = yield* Effect.mapError(platform.spawn(id), (e) => spawnError(e.message))
    const slot = new Slot(id, worker)
    self.slots.add(slot)
    const ready = Deferred.makeUnsafe<void, ThreadSpawnError>()
    const onReply = (message: FromThread) =>
      Effect.sync(() => {
        const done = slot.jobs.get(message[0])
        if (done !== undefined) Deferred.doneUnsafe(done, Exit.succeed(message))
      })
    const ended = (cause: Cause.Cause<unknown>) =>
      Effect.suspend(() => {
        slot.dead = true
        self.slots.delete(slot)
        const reason = describeEnd(cause)
        if (Deferred.isDoneUnsafe(ready) === false) {
          Deferred.doneUnsafe(ready, Exit.fail(spawnError(reason)))
          return Effect.void
        }
        const crashed = Exit.fail(new ThreadCrashedError({ thread: id, threadsName: self.name, reason }))
        for (const done of slot.jobs.values()) Deferred.doneUnsafe(done, crashed)
        if (self.closed) return Effect.void
        // A replacement takes its place; one that cannot start leaves the set smaller.
        return Effect.ignore(Effect.flatMap(start(self, platform, scope), (fresh) => addIdle(self, fresh)))
      })
    yield* worker
      .run(onReply, { onSpawn: Deferred.succeed(ready, undefined) })
      .pipe(Effect.catchCause(ended), Effect.forkIn(scope, { startImmediately: true }))
    yield* Deferred.await(ready)
    slot.ready = true
    return slot
  })

/**
 * Runs one job on the next idle thread (waiting for one, FIFO, while all
 * are busy) and returns its output, or fails with its typed error, or with
 * {@link ThreadCrashedError} if its thread ended under it; a job that died
 * in its thread dies with {@link ThreadDefect}. Interrupting `run`
 * interrupts the job in its thread (see {@link ThreadsOptions.interruptGrace}).
 * `run(threads)` is the data-last form, a `process` for `WorkerPool` or a
 * `Pipeline.map` stage.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Threads, WorkerPool } from "effect-go"
 *
 * declare const threads: Threads.Threads<{ text: string; rounds: number }, string, never>
 *
 * // a pool with WorkerPool's contract (submit with backpressure, join, cancel, shutdown) over the threads
 * const pool = WorkerPool.make({ workers: threads.size, queue: 16, process: Threads.run(threads) })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const run: {
  <I, O, E>(self: Threads<I, O, E>): (input: I) => Effect.Effect<O, E | ThreadCrashedError>
  <I, O, E>(self: Threads<I, O, E>, input: I): Effect.Effect<O, E | ThreadCrashedError>
} = function (self: Threads<any, any, any>, input?: unknown) {
  // biome-ignore lint/complexity/noArguments: run(threads) alone is the data-last form
  if (arguments.length === 1) return (input: unknown) => runJob(self as ThreadsImpl<any, any, any>, input)
  return runJob(self as ThreadsImpl<any, any, any>, input)
} as any

const runJob = <I, O, E>(self: ThreadsImpl<I, O, E>, input: I): Effect.Effect<O, E | ThreadCrashedError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.orDie(self.encodeInput(input)), ([encoded, transfers]) =>
      Effect.flatMap(takeIdle(self, restore), (slot) => {
        const id = self.nextJob++
        const done = Deferred.makeUnsafe<FromThread, ThreadCrashedError>()
        slot.jobs.set(id, done)
        return Effect.flatMap(
          Effect.andThen(
            Effect.orDie(slot.worker.send([0, id, encoded], transfers)),
            Effect.exit(restore(Deferred.await(done)))
          ),
          (exit) =>
            Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)
              ? stopJob(self, slot, id, done)
              : Effect.andThen(giveBack(self, slot, id), outcomeOf(self, slot, exit))
        )
      })
    )
  )

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** The next idle thread, waiting for one (interruptibly); a thread that ended while idle is passed over. */
const takeIdle = (self: ThreadsImpl<any, any, any>, restore: Restore): Effect.Effect<Slot> =>
  Effect.flatMap(restore(Chan.recv(self.idle)), (next) =>
    Option.isNone(next) ? Effect.interrupt : next.value.dead ? takeIdle(self, restore) : Effect.succeed(next.value)
  )

/** Job `id` is over: its place on the thread goes back to the idle ones, unless the thread ended. */
const giveBack = (self: ThreadsImpl<any, any, any>, slot: Slot, id: number): Effect.Effect<void> => {
  slot.jobs.delete(id)
  return slot.dead ? Effect.void : Effect.asVoid(Effect.orDie(Chan.trySend(self.idle, slot)))
}

/** What the job's reply (or its thread's end) means for its caller. */
const outcomeOf = <I, O, E>(
  self: ThreadsImpl<I, O, E>,
  slot: Slot,
  exit: Exit.Exit<FromThread, ThreadCrashedError>
): Effect.Effect<O, E | ThreadCrashedError> => {
  if (Exit.isFailure(exit)) return exit as Exit.Exit<never, ThreadCrashedError>
  const [, outcome, value] = exit.value
  if (outcome === SUCCEEDED) return Effect.orDie(self.decodeOutput(value)) as Effect.Effect<O>
  if (outcome === FAILED) return Effect.flatMap(Effect.orDie(self.decodeError(value)), (e) => Effect.fail(e as E))
  if (outcome === DIED) {
    return Effect.flatMap(Effect.orDie(self.decodeDefect(value)), (defect) =>
      Effect.die(new ThreadDefect({ thread: slot.id, threadsName: self.name, defect }))
    )
  }
  return Effect.interrupt
}

/**
 * The caller of job `id` was interrupted: ask the thread to stop the job,
 * and if it does not answer within the grace (a synchronous job cannot see
 * the message), terminate the thread; the fiber reading its replies then
 * starts a replacement. The thread takes no other job before it answered.
 */
const stopJob = (
  self: ThreadsImpl<any, any, any>,
  slot: Slot,
  id: number,
  done: Deferred.Deferred<FromThread, ThreadCrashedError>
): Effect.Effect<never> =>
  Effect.gen(function* () {
    yield* Effect.ignore(slot.worker.send([1, id]))
    const answered = yield* Effect.timeoutOption(Deferred.await(done), self.grace).pipe(Effect.exit)
    if (Exit.isSuccess(answered) && Option.isSome(answered.value)) yield* giveBack(self, slot, id)
    else {
      slot.jobs.delete(id)
      if (!slot.dead) yield* self.platform.terminate(slot.id)
    }
    return yield* Effect.interrupt
  })

/**
 * How many threads of the set are alive and started now (a replacement
 * counts once it serves): for tests and dumps.
 *
 * @category getters
 * @since 0.1.0
 */
export const alive = <I, O, E>(self: Threads<I, O, E>): Effect.Effect<number> =>
  Effect.sync(() => {
    let n = 0
    for (const slot of (self as ThreadsImpl<I, O, E>).slots) if (slot.ready && !slot.dead) n++
    return n
  })

// -----------------------------------------------------------------------------
// As a service
// -----------------------------------------------------------------------------

/**
 * The class a {@link Service} declaration extends: a `Context.Service` key
 * for a set of threads serving one task, its `layer`, and `run`, which finds
 * the threads in the context.
 *
 * @category services
 * @since 0.1.0
 */
export interface ThreadsService<Self, Id extends string, I, O, E>
  extends Context.ServiceClass<Self, Id, Threads<I, O, E>> {
  /**
   * A layer that starts the threads (see {@link make}); releasing it
   * terminates them. It needs the platform (`NodeThreads.layer(entry)`).
   */
  layer(options?: ThreadsOptions): Layer.Layer<Self, ThreadSpawnError, ThreadPlatform>
  /** Runs one job on the threads in the context (see {@link run}): a `process` for `WorkerPool.Service`. */
  run(input: I): Effect.Effect<O, E | ThreadCrashedError, Self>
}

/**
 * Declares a set of threads serving `task` as an application service: the
 * layer decides how many threads, once, at the top of the application, and
 * every part of it runs jobs through `run`. With `WorkerPool.Service` over
 * it, the threaded pool is a service too.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Threads, WorkerPool } from "effect-go"
 *
 * const Digest = Threads.task("Digest", { input: Schema.String, output: Schema.String })
 *
 * class Digesters extends Threads.Service<Digesters>()("app/Digesters", Digest) {}
 * class DigestPool extends WorkerPool.Service<DigestPool>()("app/DigestPool", { process: Digesters.run }) {}
 *
 * declare const platform: Layer.Layer<Threads.ThreadPlatform> // NodeThreads.layer(entry)
 * const live = DigestPool.layer({ workers: 2, queue: 16 }).pipe(
 *   Layer.provide(Digesters.layer({ threads: 2 })),
 *   Layer.provide(platform)
 * )
 * const program = DigestPool.run("hello").pipe(Effect.provide(live))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const Service =
  <Self>() =>
  <const Id extends string, I extends Schema.Top, O extends Schema.Top, E extends Schema.Top>(
    id: Id,
    task: Task<I, O, E>
  ): ThreadsService<Self, Id, I["Type"], O["Type"], E["Type"]> => {
    const key = Context.Service<Self, Threads<I["Type"], O["Type"], E["Type"]>>()(id)
    const statics = {
      layer: (options?: ThreadsOptions) => Layer.effect(key, make(task, { name: id, ...options })),
      run: (input: I["Type"]) => Effect.flatMap(key, (threads) => runJob(threads as ThreadsImpl<any, any, any>, input))
    }
    return Object.assign(key, statics) as unknown as ThreadsService<Self, Id, I["Type"], O["Type"], E["Type"]>
  }

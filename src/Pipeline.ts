/**
 * Pipelines: the stages-connected-by-channels pattern of Go's blog post
 * "Go Concurrency Patterns: Pipelines and cancellation".
 *
 * ```go
 * func gen(nums ...int) <-chan int            // generator stage
 * func sq(in <-chan int) <-chan int           // transform stage
 * func merge(cs ...<-chan int) <-chan int     // fan-in
 * for n := range sq(sq(gen(2, 3))) { ... }
 * ```
 *
 * Every stage takes {@link Chan.RecvChan}s and returns a {@link Pipe} — a
 * `RecvChan` that also carries the error type of the stages behind it — so
 * stages compose as in Go: `gen(2, 3)`, then `map(sq)`, then `map(sq)`.
 *
 * - {@link from} / {@link gen} / {@link fromStream}: generator stages.
 * - {@link map}: a transform stage with `workers` fibers reading one channel
 *   (fan-out) and writing one (fan-in), in input order (`ordered`, the
 *   default) or in completion order. With `workers` it is Go's "bounded
 *   parallelism" (the MD5 example's digesters); {@link parallel} is the whole
 *   `MD5All` shape in one call.
 * - {@link merge}: fan-in of several channels. {@link stage}: any other stage,
 *   written as a loop over its input that sends to its output.
 * - {@link collect} / {@link forEach} / {@link drain} / {@link toStream}: the
 *   consumer side, which reports the pipeline's failure.
 *
 * Cancellation is Go's done-channel rule, enforced: every stage fiber belongs
 * to the current `Scope`. Closing it — the consumer returned early (Go's
 * "stopping short"), failed, or was interrupted — interrupts every stage,
 * which closes its output; nothing stays blocked on a send, no fiber is left.
 *
 * Errors: a stage function may fail with `E`. The first failure (or defect)
 * stops every stage of the pipeline (as errgroup's context would) and is
 * reported to the consumer: {@link collect}, {@link forEach}, {@link drain},
 * {@link check} and {@link toStream} fail with it. Stages joined by
 * {@link map} or {@link merge} form one pipeline. Reading a `Pipe` with plain
 * `Chan.recv` sees only the channel close; {@link check} then tells why.
 * A pipeline whose stages were interrupted (its scope closed under them)
 * reports an interruption to a consumer still reading it. A bad option
 * (`workers: 0`, `capacity: -1`) or argument is a programmer error: the
 * stage's effect dies ({@link InvalidStageOptionError},
 * `InvalidArgumentError`); the error channel holds only the stages' own
 * errors.
 *
 * A {@link Pipe} is a channel, and a value like Effect's own: `pipe`able and
 * inspectable as its channel is.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const sq = Pipeline.map((n: number) => Effect.succeed(n * n))
 *
 * // Go: for n := range sq(sq(gen(2, 3))) { fmt.Println(n) }
 * const program = Effect.scoped(
 *   Pipeline.gen(2, 3).pipe(Effect.flatMap(sq), Effect.flatMap(sq), Effect.flatMap(Pipeline.collect))
 * ) // [16, 81]
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Types from "effect/Types"
import * as Chan from "./Chan.ts"
import * as ErrGroup from "./ErrGroup.ts"
import { type ChanImpl, chanOf, closeIfOpen, length, NOTHING, offer, send, takeOne, trySend } from "./internal/chan.ts"
import { invalidArgument, show, typeName } from "./internal/copied.ts"
import { isEffect } from "./internal/function.ts"

const PipeTypeId = "~effect-go/Pipeline/Pipe" as const

/**
 * The output of a stage: a receive-only channel of `A` whose pipeline may fail
 * with `E`. Go's `<-chan A`; pass it to the next stage, or to a consumer
 * ({@link collect}, {@link forEach}, {@link toStream}) that reports `E`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pipe<out A, out E = never> extends Chan.RecvChan<A> {
  readonly [PipeTypeId]: { readonly _E: Types.Covariant<E> }
}

/**
 * The element type of a channel.
 *
 * @category models
 * @since 0.1.0
 */
export type ValueOf<C> = C extends Chan.RecvChan<infer A> ? A : never

/**
 * The error type of a {@link Pipe} (`never` for a plain channel).
 *
 * @category models
 * @since 0.1.0
 */
export type ErrorOf<C> = C extends Pipe<any, infer E> ? E : never

/**
 * A bad stage option: `workers` not a positive integer, `capacity` not a
 * non-negative integer, or `ordered` not a boolean. A programmer error: the
 * stage's effect dies with it (match it with `Cause.squash` or
 * `Effect.catchDefect`). `value` is what was given (a string or anything
 * else that a cast or `any` let through is kept as given, and shown as
 * such).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidStageOptionError extends Data.TaggedError("InvalidStageOptionError")<{
  readonly option: "workers" | "capacity" | "ordered"
  readonly value: unknown
}> {
  override get message(): string {
    const wanted =
      this.option === "workers"
        ? "a positive integer"
        : this.option === "capacity"
          ? "a non-negative integer"
          : "a boolean"
    const value = this.value
    // The type is worth saying only when it is not the wanted one.
    const got =
      typeof value === (this.option === "ordered" ? "boolean" : "number")
        ? String(value)
        : `${show(value)} (${typeName(value)})`
    return `pipeline: ${this.option} must be ${wanted}, got ${got}`
  }
}

/**
 * Options of every stage.
 *
 * @category models
 * @since 0.1.0
 */
export interface StageOptions {
  /** Buffer capacity of the stage's output channel (default 0, as in the Go blog). */
  readonly capacity?: number | undefined
  /** Name of the output channel, shown in blocked-fiber dumps. */
  readonly name?: string | undefined
}

/**
 * Options of {@link map}.
 *
 * @category models
 * @since 0.1.0
 */
export interface MapOptions extends StageOptions {
  /** How many fibers run `f` (default 1). */
  readonly workers?: number | undefined
  /** Emit in input order (default true) or as results complete (false). */
  readonly ordered?: boolean | undefined
}

// -----------------------------------------------------------------------------
// Pipeline state: which fibers make up a pipeline, and how it ended
// -----------------------------------------------------------------------------

/**
 * One pipeline: the fibers of its stages and its first failure. Stages that
 * read from several pipelines join them into one (union-find on `parent`).
 */
class State {
  parent: State | undefined = undefined
  /** The first failure of a stage. */
  failure: Cause.Cause<unknown> | undefined = undefined
  /** A stage was interrupted (its scope closed): the output is incomplete. */
  interrupted: Cause.Cause<never> | undefined = undefined
  /** Stopped after a failure: every fiber is interrupted, new ones at once. */
  stopped = false
  readonly fibers = new Set<Fiber.Fiber<unknown, unknown>>()
}

/** The pipeline state of every stage output. */
const states = new WeakMap<object, State>()

const root = (state: State): State => {
  let r = state
  while (r.parent !== undefined) r = r.parent
  while (state.parent !== undefined && state.parent !== r) {
    const next: State = state.parent
    state.parent = r
    state = next
  }
  return r
}

const stop = (state: State): void => {
  if (state.stopped) return
  state.stopped = true
  for (const fiber of Array.from(state.fibers)) fiber.interruptUnsafe()
}

/** The one pipeline made of the inputs' pipelines (a new one if none has any). */
const unite = (inputs: ReadonlyArray<Chan.RecvChan<unknown>>): State => {
  let result: State | undefined
  for (const input of inputs) {
    const found = states.get(input)
    if (found === undefined) continue
    const r = root(found)
    if (result === undefined) {
      result = r
      continue
    }
    if (r === result) continue
    r.parent = result
    for (const fiber of r.fibers) result.fibers.add(fiber)
    r.fibers.clear()
    result.failure ??= r.failure
    result.interrupted ??= r.interrupted
    if (r.stopped || result.stopped) {
      result.stopped = false
      stop(result)
    }
  }
  return result ?? new State()
}

const onStageEnd = (state: State, fiber: Fiber.Fiber<unknown, unknown>, exit: Exit.Exit<unknown, unknown>): void => {
  const r = root(state)
  r.fibers.delete(fiber)
  if (exit._tag === "Success") return
  if (Cause.hasInterruptsOnly(exit.cause)) {
    if (!r.stopped) r.interrupted ??= exit.cause as Cause.Cause<never>
    return
  }
  if (r.failure === undefined) {
    const reasons = exit.cause.reasons.filter((reason) => !Cause.isInterruptReason(reason))
    r.failure = reasons.length === exit.cause.reasons.length ? exit.cause : Cause.fromReasons(reasons)
  }
  stop(r)
}

/** How the pipeline behind `self` ended, as seen by a consumer that read it to its close. */
const outcome = (self: Chan.RecvChan<unknown>): Exit.Exit<void, unknown> => {
  // Anything but a channel (a copy, undefined) is a defect, not "no failure".
  chanOf(self)
  const found = states.get(self)
  if (found === undefined) return Exit.void
  const r = root(found)
  if (r.failure !== undefined) return Exit.failCause(r.failure)
  if (r.interrupted !== undefined) return Exit.failCause(r.interrupted)
  return Exit.void
}

const closeChan = (ch: Chan.RecvChan<any> | Chan.SendChan<any>): void => closeIfOpen(chanOf(ch))

const validCapacity = (n: number): boolean => Number.isInteger(n) && n >= 0

/** An option's value, or its default when not given (`null` is a bad value, not "not given"). */
const orDefault = <A>(value: A | undefined, fallback: A): A => (value === undefined ? fallback : value)

/** A defect unless `options` is an object or undefined (a cast let it through). */
const checkOptionsObject = (op: string, options: unknown): Exit.Exit<never> | undefined =>
  options === undefined || (typeof options === "object" && options !== null)
    ? undefined
    : Exit.die(invalidArgument(op, "an options object or undefined", options))

/** The stage options' problem, if any, as a defect: not an object, or a bad `capacity`. */
const checkOptions = (op: string, options: StageOptions | undefined): Exit.Exit<never> | undefined => {
  const notObject = checkOptionsObject(op, options)
  if (notObject !== undefined) return notObject
  const capacity = orDefault(options?.capacity, 0)
  return validCapacity(capacity)
    ? undefined
    : Exit.die(new InvalidStageOptionError({ option: "capacity", value: capacity }))
}

/** A defect unless `f` is a function. */
const checkFunction = (op: string, f: unknown): Exit.Exit<never> | undefined =>
  typeof f === "function" ? undefined : Exit.die(invalidArgument(op, "a function", f))

/**
 * Makes a stage: an output channel in the pipeline of `inputs`, and one fiber
 * per body, each forked in the current scope. The output is closed when every
 * body has ended, however it ended (even unstarted); a body's failure stops
 * the whole pipeline.
 */
const makeStage = <B>(
  op: string,
  inputs: ReadonlyArray<Chan.RecvChan<any>>,
  options: StageOptions | undefined,
  bodies: (out: Chan.Chan<B>) => ReadonlyArray<Effect.Effect<unknown, unknown, any>>
): Effect.Effect<Pipe<B, any>, never, any> =>
  Effect.suspend(() => {
    const bad = checkOptions(op, options)
    if (bad !== undefined) return bad
    // Every input must be a channel: a defect (InvalidArgumentError, or
    // CopiedPrimitiveError for a copy) before anything is started.
    for (const input of inputs) chanOf(input)
    const capacity = orDefault(options?.capacity, 0)
    return Effect.uninterruptible(
      Effect.flatMap(Effect.scope, (scope) => {
        const state = unite(inputs)
        const out = Chan.makeUnsafe<B>(capacity, { name: options?.name })
        states.set(out, state)
        const list = bodies(out)
        let live = list.length
        if (live === 0) closeChan(out)
        const onEnd = (fiber: Fiber.Fiber<unknown, unknown>, exit: Exit.Exit<unknown, unknown>) => {
          // Record a failure before closing: whoever sees the close must see why.
          onStageEnd(state, fiber, exit)
          if (--live === 0) closeChan(out)
        }
        const watch = (fiber: Fiber.Fiber<unknown, unknown>): void => {
          const r = root(state)
          r.fibers.add(fiber)
          fiber.addObserver((exit) => onEnd(fiber, exit))
          if (r.stopped) fiber.interruptUnsafe()
        }
        const pipe = out as unknown as Pipe<B, any>
        if (scope.state._tag === "Closed") {
          // Never started: each ends interrupted at once (and the output closes).
          return Effect.as(
            Effect.forEach(list, (body) => Effect.map(Effect.forkIn(body, scope), watch), { discard: true }),
            pipe
          )
        }
        // Each body starts in this step, as a `startImmediately` fork does,
        // and belongs to the scope (which interrupts it when it closes).
        const parent = Fiber.getCurrent()!
        const fork = Effect.runForkWith(parent.context as Context.Context<unknown>)
        for (const body of list) watch(Fiber.runIn(fork(body), scope))
        return Exit.succeed(pipe)
      })
    )
  })

/**
 * A send on a stage's own internal channel (its window, its turn), which
 * nothing closes: it cannot fail, so it needs no handler for a failure.
 */
const sendInternal = <A>(ch: ChanImpl<A>, value: A): Effect.Effect<void> =>
  send(ch, value) as Effect.Effect<void, never>

/** `out <- b`: the output is only closed by its stage, after its last send. */
const sendTo = <B>(out: Chan.SendChan<B>) => {
  return (b: B): Effect.Effect<void> => Effect.orDie(Chan.send(out, b))
}

// -----------------------------------------------------------------------------
// Generators
// -----------------------------------------------------------------------------

/**
 * A generator stage: sends the values of `iterable`, then closes. Go's
 * `gen(nums ...int) <-chan int`. An array given without a `capacity` becomes
 * the Go blog's buffered `gen`: a channel of `len(nums)` holding every value,
 * already closed, with no fiber. Any other iterable (it may be lazy or
 * endless), or a `capacity`, gets a fiber that sends the values one by one
 * (unbuffered by default, as in the blog's first `gen`). A bad `capacity` dies with
 * {@link InvalidStageOptionError}; something that is no iterable with
 * `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.from([1, 2, 3], { capacity: 3 })
 *   return yield* Pipeline.collect(nums) // [1, 2, 3]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const from = <A>(iterable: Iterable<A>, options?: StageOptions): Effect.Effect<Pipe<A>, never, Scope.Scope> =>
  (!isIterable(iterable)
    ? Exit.die(invalidArgument("Pipeline.from", "an iterable", iterable))
    : Array.isArray(iterable) && (options === undefined || options.capacity === undefined)
      ? fromArray(iterable, options)
      : makeStage<A>("Pipeline.from", [], options, (out) => [
          Effect.forEach(iterable, sendTo(out), { discard: true })
        ])) as Effect.Effect<Pipe<A>, never, Scope.Scope>

/**
 * An array with no `capacity` given: the Go blog's buffered `gen` — a
 * channel of `len(nums)` filled and closed at once, with no goroutine
 * ("we can change gen to copy the list of integers into a buffered channel
 * and avoid creating a new goroutine"). The values are all known, so a
 * sending fiber would only add a hand-off per value.
 */
const fromArray = <A>(values: ReadonlyArray<A>, options: StageOptions | undefined): Effect.Effect<Pipe<A>> =>
  Effect.suspend(() => {
    const notObject = checkOptionsObject("Pipeline.from", options)
    if (notObject !== undefined) return notObject
    const out = Chan.makeUnsafe<A>(values.length, { name: options?.name })
    const ch = chanOf<A>(out)
    for (let i = 0; i < values.length; i++) ch.buffer!.push(values[i]!)
    closeIfOpen(ch)
    return Exit.succeed(out as unknown as Pipe<A>)
  })

const isIterable = (u: unknown): u is Iterable<unknown> =>
  u !== null && u !== undefined && typeof (u as any)[Symbol.iterator] === "function"

/**
 * A generator stage over its arguments: Go's `gen(2, 3)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.gen(2, 3)
 *   return yield* Pipeline.collect(nums) // [2, 3]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const gen = <A>(...values: ReadonlyArray<A>): Effect.Effect<Pipe<A>, never, Scope.Scope> => from(values)

/**
 * A generator stage fed by a `Stream`. A failure of the stream is a failure
 * of the pipeline: the consumer's {@link collect} fails with it. A bad
 * `capacity` dies with {@link InvalidStageOptionError}; something that is no
 * Stream with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.fromStream(Stream.range(1, 5))
 *   return yield* Pipeline.collect(nums) // [1, 2, 3, 4, 5]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromStream = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  options?: StageOptions
): Effect.Effect<Pipe<A, E>, never, R | Scope.Scope> =>
  Stream.isStream(stream)
    ? makeStage<A>("Pipeline.fromStream", [], options, (out) => [Stream.runForEach(stream, sendTo(out))])
    : Exit.die(invalidArgument("Pipeline.fromStream", "a Stream", stream))

// -----------------------------------------------------------------------------
// Stages
// -----------------------------------------------------------------------------

/**
 * Any stage, written as Go writes one: `body` receives from `input` (or
 * ranges over it) and sends to `out`; `out` is closed when `body` ends. A
 * failure of `body` stops the pipeline. Go's
 * `go func() { defer close(out); for v := range in { ... out <- w ... } }()`.
 * A bad `capacity` dies with {@link InvalidStageOptionError}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.gen(1, 2, 3, 4)
 *   // keep the even numbers, twice each
 *   const evens = yield* Pipeline.stage(nums, (input, out: Chan.SendChan<number>) =>
 *     Chan.forEach(input, (n) => (n % 2 === 0 ? Effect.andThen(Chan.send(out, n), Chan.send(out, n)) : Effect.void))
 *   )
 *   return yield* Pipeline.collect(evens) // [2, 2, 4, 4]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const stage = <C extends Chan.RecvChan<any>, B, E, R>(
  input: C,
  body: (input: C, out: Chan.SendChan<B>) => Effect.Effect<void, E, R>,
  options?: StageOptions
): Effect.Effect<Pipe<B, ErrorOf<C> | E>, never, R | Scope.Scope> =>
  checkFunction("Pipeline.stage", body) ?? makeStage<B>("Pipeline.stage", [input], options, (out) => [body(input, out)])

/**
 * The function and the `workers` / `ordered` options of `op` (`map`,
 * `parallel`) read with their defaults, or the defect that refuses them.
 */
const mapOptions = (
  op: string,
  f: unknown,
  options: { readonly workers?: number | undefined; readonly ordered?: boolean | undefined } | undefined
): { readonly workers: number; readonly ordered: boolean } | Exit.Exit<never> => {
  const notFunction = checkFunction(op, f)
  if (notFunction !== undefined) return notFunction
  const notObject = checkOptionsObject(op, options)
  if (notObject !== undefined) return notObject
  const workers = orDefault(options?.workers, 1)
  if (!Number.isInteger(workers) || workers < 1) {
    return Exit.die(new InvalidStageOptionError({ option: "workers", value: workers }))
  }
  const ordered = orDefault(options?.ordered, true)
  if (typeof ordered !== "boolean") return Exit.die(new InvalidStageOptionError({ option: "ordered", value: ordered }))
  return { workers, ordered }
}

const mapImpl = (
  self: Chan.RecvChan<unknown>,
  f: (a: unknown) => Effect.Effect<unknown, unknown, unknown>,
  options: MapOptions | undefined
): Effect.Effect<Pipe<unknown, unknown>, never, unknown> =>
  Effect.suspend(() => {
    const read = mapOptions("Pipeline.map", f, options)
    if (Exit.isExit(read)) return read
    const { ordered, workers } = read
    if (workers === 1 || !ordered) {
      return makeStage<unknown>("Pipeline.map", [self], options, (out) => {
        const send = sendTo(out)
        const worker = Chan.forEach(self, (a) => Effect.flatMap(f(a), send))
        return Array.from({ length: workers }, () => worker)
      })
    }
    return makeStage<unknown>("Pipeline.map", [self], options, (out) => orderedMap(self, f, workers, out))
  })

/** One input value of an ordered map, from its numbering to its emission. */
class Slot {
  value: unknown
  result: unknown = undefined
  done = false
  constructor(value: unknown) {
    this.value = value
  }
}

/**
 * `workers` fibers, output in input order. Each worker takes the next input
 * value itself and numbers it in the same moment (queues a slot for it), so
 * the queue is in input order with no dispatching fiber between the input
 * and the workers. Taking and numbering are one synchronous step when a
 * value is ready; a worker that must wait for the input holds the turn
 * while it waits, so that no other worker takes (and numbers) a later value
 * before it has numbered the one it is granted.
 *
 * Emission: the completed slots at the head of the queue are sent in order,
 * each as soon as the one before it has been received. A send the output
 * does not take at once is left offered on it (see `offer`) instead of
 * holding its worker: the receiver that takes it sends the next completed
 * slots, on its own fiber, and the worker goes on to its next value. So one
 * send of the stage is pending at a time, as one worker parked on it would
 * be, and no fiber switch is spent per emitted value. The window — at most
 * `workers + 1` slots taken and not yet sent or offered, the oldest
 * included — bounds how far ahead of the slowest item the workers may run.
 * The last worker to find the input drained waits until every slot has been
 * received, so that the output closes after its last value.
 *
 * A worker's round (a place in the window, the next value, `f`, the
 * emission) runs in as few steps as the channels allow: each of them is a
 * synchronous try first, and an effect that waits only when that try finds
 * the channel not ready.
 */
const orderedMap = (
  self: Chan.RecvChan<unknown>,
  f: (a: unknown) => Effect.Effect<unknown, unknown, unknown>,
  workers: number,
  out: Chan.SendChan<unknown>
): ReadonlyArray<Effect.Effect<unknown, unknown, unknown>> => {
  const input = chanOf<unknown>(self)
  const output = chanOf<unknown>(out)
  // Go's counting semaphore: a slot takes a place, its emission frees it.
  const window = chanOf<void>(Chan.makeUnsafe<void>(workers + 1))
  // The turn of a worker waiting for the input (a one-place channel as a
  // lock), and the wait that takes it: made when a first worker must wait.
  let turn: ChanImpl<void> | undefined
  let waitForInput: Effect.Effect<void, unknown, unknown> | undefined
  // Told (a value in its one place) once the input is drained and every
  // slot received: made when the last worker must wait for that.
  let finished: ChanImpl<void> | undefined
  const queue: Array<Slot> = []
  let running = workers
  let drained = false

  const number = (value: unknown): Slot => {
    const slot = new Slot(value)
    queue.push(slot)
    return slot
  }
  // `f` on a numbered value, then the emission and the worker's next round,
  // in the step that continues with `f`'s result.
  const run = (slot: Slot): Effect.Effect<void, unknown, unknown> =>
    Effect.flatMap(f(slot.value), (b) => {
      slot.value = undefined
      slot.result = b
      slot.done = true
      const fiber = Fiber.getCurrent()!
      emit(fiber)
      return next(fiber)
    })
  // The input is closed and drained: a worker ends, the last one once every slot is received.
  const end = (): Effect.Effect<void> => {
    drained = true
    if (--running > 0 || (queue.length === 0 && output.offered === undefined)) return Effect.void
    finished = chanOf<void>(Chan.makeUnsafe<void>(1))
    return Effect.asVoid(finished.recv)
  }
  // The next input value, numbered and run; the worker ends once the input is closed and drained.
  const take = (fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void, unknown, unknown> => {
    if (turn === undefined || length(turn) === 0) {
      const value = takeOne(input, fiber)
      if (value !== NOTHING) return run(number(value))
      if (input.closed) return end()
    }
    return (waitForInput ??= makeWaitForInput())
  }
  const makeWaitForInput = (): Effect.Effect<void, unknown, unknown> => {
    const lock = (turn = chanOf<void>(Chan.makeUnsafe<void>(1)))
    const giveTurn = Effect.withFiber((fiber) => {
      takeOne(lock, fiber)
      return Effect.void
    })
    return Effect.flatMap(
      Effect.andThen(
        sendInternal(lock, undefined),
        Effect.ensuring(
          Effect.map(input.recv, (received) => (received._tag === "None" ? undefined : number(received.value))),
          giveTurn
        )
      ),
      (slot) => (slot === undefined ? end() : run(slot))
    )
  }
  const takeAfterPlace = Effect.withFiber(take)
  const waitForPlace = Effect.andThen(sendInternal(window, undefined), takeAfterPlace)
  // A worker's round: a place in the window, then the next value.
  const next = (fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<void, unknown, unknown> =>
    trySend(window, undefined, fiber) === undefined ? waitForPlace : take(fiber)
  // Sends the completed slots at the head of the queue, in order, until one
  // is left offered (its receiver sends the rest) or the head is not
  // completed (its worker sends it). `fiber`: a worker, or the receiver of
  // the offer.
  const emit = (fiber: Fiber.Fiber<unknown, unknown>): void => {
    while (output.offered === undefined && queue.length > 0 && queue[0]!.done) {
      const head = queue.shift()!
      const result = head.result
      head.result = undefined
      takeOne(window, fiber)
      if (offer(output, result, emit, fiber)) return
    }
    if (finished !== undefined && drained && running === 0 && queue.length === 0 && output.offered === undefined) {
      trySend(finished, undefined, fiber)
    }
  }
  const worker = Effect.withFiber(next)
  return Array.from({ length: workers }, () => worker)
}

/**
 * A transform stage: `f` on every value, by `workers` fibers (default 1)
 * reading the same input — Go's fan-out — and sending to one output — fan-in.
 * `ordered` (default true) keeps the input order; `ordered: false` sends
 * results as they complete. With `workers: 1` this is Go's `sq`.
 *
 * Ordered output holds back results that finished before an earlier slow
 * item; to bound that memory, the workers run at most `workers` items ahead
 * of the oldest unfinished one, then wait for it (as `Stream.mapEffect` with
 * `concurrency` does).
 *
 * A bad option (`workers` not a positive integer, `capacity` not a
 * non-negative integer, `ordered` not a boolean) dies with
 * {@link InvalidStageOptionError}: the error channel holds only the errors
 * of the stages.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * declare const paths: ReadonlyArray<string>
 * declare const md5File: (path: string) => Effect.Effect<string, Error>
 *
 * const sq = Pipeline.map((n: number) => Effect.succeed(n * n))
 *
 * const program = Effect.gen(function* () {
 *   const squares = yield* Pipeline.gen(2, 3).pipe(Effect.flatMap(sq), Effect.flatMap(sq)) // sq(sq(gen(2, 3)))
 *   // bounded parallelism: 20 digesters read one channel of paths
 *   const sums = yield* Pipeline.map(yield* Pipeline.from(paths), md5File, { workers: 20, ordered: false })
 *   return [yield* Pipeline.collect(squares), yield* Pipeline.collect(sums)] as const
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const map: {
  /**
   * `Pipeline.map(f, options)`, for `Effect.flatMap` or `pipe`: a transform
   * stage running `f` on every value of its input, by `workers` fibers
   * (default 1; Go's fan-out and fan-in), in input order unless
   * `ordered: false`. Go's `sq(in <-chan int) <-chan int`. A bad option dies
   * with {@link InvalidStageOptionError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Pipeline } from "effect-go"
   *
   * const sq = Pipeline.map((n: number) => Effect.succeed(n * n))
   *
   * const program = Pipeline.gen(2, 3).pipe(
   *   Effect.flatMap(sq),
   *   Effect.flatMap(sq),
   *   Effect.flatMap(Pipeline.collect),
   *   Effect.scoped
   * ) // [16, 81]
   * ```
   *
   * @since 0.1.0
   */
  <A, B, E2, R>(
    f: (a: A) => Effect.Effect<B, E2, R>,
    options?: MapOptions
  ): <C extends Chan.RecvChan<A>>(self: C) => Effect.Effect<Pipe<B, ErrorOf<C> | E2>, never, R | Scope.Scope>
  /**
   * A transform stage running `f` on every value of `self`, by `workers`
   * fibers (default 1; Go's fan-out and fan-in), in input order unless
   * `ordered: false`. With `workers` it is Go's bounded parallelism. A bad
   * option dies with {@link InvalidStageOptionError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Pipeline } from "effect-go"
   *
   * declare const paths: ReadonlyArray<string>
   * declare const md5File: (path: string) => Effect.Effect<string, Error>
   *
   * const program = Effect.gen(function* () {
   *   const input = yield* Pipeline.from(paths)
   *   const sums = yield* Pipeline.map(input, md5File, { workers: 20, ordered: false })
   *   return yield* Pipeline.collect(sums) // fails with the first Error
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <C extends Chan.RecvChan<any>, B, E2, R>(
    self: C,
    f: (a: ValueOf<C>) => Effect.Effect<B, E2, R>,
    options?: MapOptions
  ): Effect.Effect<Pipe<B, ErrorOf<C> | E2>, never, R | Scope.Scope>
} = ((
  selfOrF: unknown,
  fOrOptions?: unknown,
  options?: MapOptions
): Effect.Effect<Pipe<unknown, unknown>, never, unknown> | ((self: Chan.RecvChan<unknown>) => unknown) => {
  // Data-last when the first argument is the function (Effect's predicate
  // `dual` would spread its captured `arguments` at every call).
  if (typeof selfOrF === "function") {
    const f = selfOrF as (a: unknown) => Effect.Effect<unknown, unknown, unknown>
    const mapOptions = fOrOptions as MapOptions | undefined
    return (self: Chan.RecvChan<unknown>) => mapImpl(self, f, mapOptions)
  }
  return mapImpl(
    selfOrF as Chan.RecvChan<unknown>,
    fOrOptions as (a: unknown) => Effect.Effect<unknown, unknown, unknown>,
    options
  )
}) as any

/**
 * Fan-in: one output receiving every value of `chans`, in arrival order;
 * closed once they all are. Go's `merge(cs ...<-chan int) <-chan int`. Its
 * inputs become one pipeline: a failure in any of them stops them all.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.gen(1, 2, 3, 4)
 *   const sq = (n: number) => Effect.succeed(n * n)
 *   // fan-out: two workers read the same channel; fan-in: merge their outputs
 *   const merged = yield* Pipeline.merge(yield* Pipeline.map(nums, sq), yield* Pipeline.map(nums, sq))
 *   return yield* Pipeline.collect(merged) // 1, 4, 9, 16 in some order
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const merge = <const Chans extends ReadonlyArray<Chan.RecvChan<any>>>(
  ...chans: Chans
): Effect.Effect<Pipe<ValueOf<Chans[number]>, ErrorOf<Chans[number]>>, never, Scope.Scope> =>
  makeStage<unknown>("Pipeline.merge", chans, undefined, (out) => {
    const send = sendTo(out)
    return chans.map((ch) => Chan.forEach(ch, send))
  }) as any

// -----------------------------------------------------------------------------
// Consumers
// -----------------------------------------------------------------------------

/**
 * Fails with the failure that stopped the pipeline behind `self`, if any (an
 * interruption if its stages were interrupted); succeeds otherwise. For
 * consumers that read a {@link Pipe} with plain `Chan` operations: call it
 * after the channel closed.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan, Pipeline } from "effect-go"
 *
 * declare const out: Pipeline.Pipe<number, Error>
 *
 * const sum = Effect.gen(function* () {
 *   let total = 0
 *   for (;;) {
 *     const next = yield* Chan.recv(out)
 *     if (Option.isNone(next)) break
 *     total += next.value
 *   }
 *   yield* Pipeline.check(out) // the channel closed: fails with the pipeline's Error, if any
 *   return total
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const check = <A, E>(self: Pipe<A, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => outcome(self) as Exit.Exit<void, E>)

/**
 * Runs `f` on every value until the channel closes, then fails with the
 * pipeline's failure if there was one. Go: `for v := range out { ... }`.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.gen(2, 3)
 *   yield* Pipeline.forEach(nums, (n) => Console.log(n))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const forEach: {
  /**
   * `out.pipe(Pipeline.forEach(f))`: runs `f` on every value until the
   * channel closes, then fails with the pipeline's failure if there was one.
   * Go: `for v := range out { ... }`.
   *
   * @example
   * ```ts
   * import { Console, Effect } from "effect"
   * import { Pipeline } from "effect-go"
   *
   * const program = Pipeline.gen(2, 3).pipe(
   *   Effect.flatMap(Pipeline.forEach((n) => Console.log(n))),
   *   Effect.scoped
   * )
   * ```
   *
   * @since 0.1.0
   */
  <A, X, E2, R>(f: (a: A) => Effect.Effect<X, E2, R>): <E>(self: Pipe<A, E>) => Effect.Effect<void, E | E2, R>
  /**
   * Runs `f` on every value until the channel closes, then fails with the
   * pipeline's failure if there was one. Go: `for v := range out { ... }`.
   *
   * @example
   * ```ts
   * import { Console, Effect } from "effect"
   * import { Pipeline } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const nums = yield* Pipeline.gen(2, 3)
   *   yield* Pipeline.forEach(nums, (n) => Console.log(n))
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <A, E, X, E2, R>(self: Pipe<A, E>, f: (a: A) => Effect.Effect<X, E2, R>): Effect.Effect<void, E | E2, R>
} = dual(
  2,
  <A, E, X, E2, R>(self: Pipe<A, E>, f: (a: A) => Effect.Effect<X, E2, R>): Effect.Effect<void, E | E2, R> =>
    Effect.suspend(() => checkFunction("Pipeline.forEach", f) ?? Effect.andThen(Chan.forEach(self, f), check(self)))
)

/**
 * Receives every value until the channel closes and returns them in order;
 * fails with the pipeline's failure if there was one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Pipeline.gen(2, 3).pipe(
 *   Effect.flatMap(Pipeline.map((n: number) => Effect.succeed(n * 10))),
 *   Effect.flatMap(Pipeline.collect),
 *   Effect.scoped
 * ) // [20, 30]
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const collect = <A, E>(self: Pipe<A, E>): Effect.Effect<Array<A>, E> =>
  Effect.suspend(() => {
    const out: Array<A> = []
    // Every value ready at each receive, in one step: the values a stage
    // left offered come with them (see `orderedMap`).
    const batch = Chan.recvAll(self)
    const loop: Effect.Effect<Array<A>, E> = Effect.flatMap(batch, (values) => {
      if (values.length === 0) return Exit.map(outcome(self), () => out) as Exit.Exit<Array<A>, E>
      for (let i = 0; i < values.length; i++) out.push(values[i]!)
      return loop
    })
    return loop
  })

/**
 * Receives and discards every value until the channel closes; fails with the
 * pipeline's failure if there was one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * declare const save: (row: string) => Effect.Effect<void, Error>
 * declare const rows: ReadonlyArray<string>
 *
 * // run the stages for their effects only
 * const program = Pipeline.from(rows).pipe(
 *   Effect.flatMap(Pipeline.map(save, { workers: 4 })),
 *   Effect.flatMap(Pipeline.drain),
 *   Effect.scoped
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const drain = <A, E>(self: Pipe<A, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const batch = Chan.recvAll(self)
    const loop: Effect.Effect<void, E> = Effect.flatMap(batch, (values) =>
      values.length === 0 ? (outcome(self) as Exit.Exit<void, E>) : loop
    )
    return loop
  })

/**
 * The pipe as a `Stream` that ends when the channel closes, or fails with the
 * pipeline's failure. The stages still belong to the scope they were made
 * in; close it to stop them.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const nums = yield* Pipeline.gen(1, 2, 3)
 *   return yield* Stream.runCollect(Pipeline.toStream(nums)) // [1, 2, 3]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const toStream = <A, E>(self: Pipe<A, E>): Stream.Stream<A, E> =>
  // Built when run, so that a bad `self` is a defect of the stream.
  Stream.suspend(() => Stream.concat(Chan.toStream(self), Stream.fromEffectDrain(check(self))))

/**
 * Go's bounded-parallelism example (`MD5All`) in one call: `f` on every item,
 * at most `workers` at once, collected in input order (or completion order
 * with `ordered: false`). The first failure stops the items running and is
 * the result, and no item starts after it; interruption stops them all. A
 * bad option dies with {@link InvalidStageOptionError}, an `f` that returns
 * no Effect with `InvalidArgumentError`: the error channel holds only `f`'s
 * errors.
 *
 * The items are known up front, so no channel carries them: each runs in a
 * fiber of its own, started when a slot is free, as `ErrGroup.forEach`
 * runs its items. The same through {@link from}, {@link map} and
 * {@link collect} pays for two channels, the stage's fibers and a hand-over
 * per value: for a dozen items, about 2.5× as much.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * declare const paths: ReadonlyArray<string>
 * declare const md5File: (path: string) => Effect.Effect<string, Error>
 *
 * // Go: MD5All with 20 digesters
 * const sums = Pipeline.parallel(paths, (path) => md5File(path), { workers: 20 }) // Effect<Array<string>, Error>
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const parallel = <A, B, E, R>(
  items: Iterable<A>,
  f: (a: A) => Effect.Effect<B, E, R>,
  options: { readonly workers: number; readonly ordered?: boolean | undefined }
): Effect.Effect<Array<B>, E, R> =>
  Effect.suspend(() => {
    if (!isIterable(items)) return Exit.die(invalidArgument("Pipeline.parallel", "an iterable", items))
    const read = mapOptions("Pipeline.parallel", f, options)
    if (Exit.isExit(read)) return read
    const { ordered, workers } = read
    // The group's own telemetry stays off: its items are this call's, not tasks of a group the caller made.
    const group = { limit: workers, telemetry: false } as const
    const run = (a: A): Effect.Effect<B, E, R> => {
      const effect: unknown = f(a)
      return isEffect(effect)
        ? (effect as Effect.Effect<B, E, R>)
        : Exit.die(invalidArgument("Pipeline.parallel", "f to return an Effect", effect))
    }
    if (ordered) return ErrGroup.forEach(items, run, group)
    const completed: Array<B> = []
    return Effect.as(
      ErrGroup.forEach(
        items,
        (a) =>
          Effect.map(run(a), (b) => {
            completed.push(b)
          }),
        group
      ),
      completed
    )
  })

/**
 * The failure that stopped the pipeline behind `self`, if any (a snapshot).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "effect-go"
 *
 * declare const out: Pipeline.Pipe<number, Error>
 *
 * const stopped = Effect.map(Pipeline.failure(out), (cause) => cause._tag === "Some")
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const failure = <A, E>(self: Pipe<A, E>): Effect.Effect<Option.Option<Cause.Cause<E>>> =>
  Effect.sync(() => {
    chanOf(self)
    const found = states.get(self)
    return Option.fromUndefinedOr(found === undefined ? undefined : (root(found).failure as Cause.Cause<E> | undefined))
  })

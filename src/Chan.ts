/**
 * Channels: Go's `chan T`, with direction enforced by type.
 *
 * - `make<A>(capacity = 0)`: capacity 0 is an unbuffered rendezvous — a send
 *   completes only when a receiver takes the value.
 * - {@link recv} yields `Option<A>`: `none` once the channel is closed and
 *   drained (Go's `v, ok := <-ch`).
 * - A send on a closed channel, a send blocked when the channel closes, and a
 *   second close fail with a typed {@link ChanClosedError} (Go panics): a
 *   producer racing a close can handle it. Misuse is a defect, raised when
 *   the effect runs: a bad capacity ({@link InvalidCapacityError}, Go's
 *   "makechan: size out of range"), closing a nil channel
 *   ({@link CloseOfNilChannelError}), an argument that is no channel.
 * - A channel is a value like Effect's own: `pipe`-able, and
 *   `console.log(ch)` shows `{ _id: "Chan", name, capacity, len, closed, nil,
 *   waitingReceivers, waitingSenders }` (also `toJSON()` and `String(ch)`).
 * - {@link SendChan} and {@link RecvChan} are Go's `chan<- T` and `<-chan T`:
 *   a `Chan<A>` is assignable to both, and a receive-only view has no way to
 *   send or close.
 * - Every blocking operation is interruptible, and an interrupted operation
 *   leaves nothing behind: no parked waiter, no lost or duplicated value.
 *
 * Exactly once, under interruption:
 * - A value a receive takes reaches the code that consumes it — the
 *   receive's caller, a select handler, a {@link forEach} body — or goes
 *   back to the channel, where the next receive takes it before anything
 *   sent later. To keep a value you received even when interrupted right
 *   after, record it in the same uninterruptible region:
 *   `Effect.uninterruptibleMask((restore) => restore(Chan.recv(ch)).pipe(Effect.flatMap(record)))`.
 * - A send completes when a receiver has taken the value (unbuffered) or the
 *   buffer has (buffered). A sender interrupted while parked may find that
 *   its send completed just before: the value is then in the channel or
 *   with a receiver and will be received once; the interruption only keeps
 *   the sender from seeing it. A send that fails or is interrupted before it
 *   completed delivered nothing (Effect acts on an interruption between
 *   steps: one requested during the step in which the send completes lands
 *   after it, and the send stands).
 * - {@link toStream} hands values to a Stream: once a chunk is pulled, what
 *   happens to it is the Stream's affair (an interrupted stream drops the
 *   chunk it pulled). Use {@link forEach} or {@link recv} where every value
 *   must be accounted for.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ch = yield* Chan.make<number>(3)
 *   yield* Effect.forkChild(
 *     Effect.forEach([1, 2, 3], (n) => Chan.send(ch, n)).pipe(Effect.andThen(Chan.close(ch)))
 *   )
 *   let sum = 0
 *   yield* Chan.forEach(ch, (n) => Effect.sync(() => (sum += n))) // for n := range ch
 *   return sum // 6
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  ChanClosedError,
  ChanImpl,
  chanOf,
  closeNow,
  forEach as forEachInternal,
  length,
  recvAll as recvAllInternal,
  send as sendInternal,
  tryRecv as tryRecvNow,
  trySend as trySendNow
} from "./internal/chan.ts"
import { badTelemetryOption, invalidArgument, type InvalidArgumentError, isIterable, show } from "./internal/copied.ts"
import { setTelemetry } from "./internal/telemetry.ts"
import { type BlockedFiber, shallow } from "./internal/waiters.ts"
import { isEffect } from "./internal/function.ts"

export {
  /**
   * A send on a closed channel, or a second close: Go panics; effect-go fails
   * with this typed error, because a producer racing a close can handle it.
   *
   * @category errors
   * @since 0.1.0
   */
  ChanClosedError
}

const RecvTypeId = "~effect-go/Chan/Recv" as const
const SendTypeId = "~effect-go/Chan/Send" as const

/**
 * The receive side of a channel: Go's `<-chan A`. It can be received from
 * and ranged over, but not sent on or closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * // Go: func sum(in <-chan int) int
 * const sum = (input: Chan.RecvChan<number>) =>
 *   Effect.gen(function* () {
 *     let total = 0
 *     yield* Chan.forEach(input, (n) => Effect.sync(() => (total += n)))
 *     return total
 *   })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RecvChan<out A> extends Pipeable, Inspectable.Inspectable {
  readonly [RecvTypeId]: { readonly _A: (_: never) => A }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * The send side of a channel: Go's `chan<- A`. It can be sent on and closed,
 * but not received from.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * // Go: func produce(out chan<- int) { for i := 0; i < 3; i++ { out <- i }; close(out) }
 * const produce = (out: Chan.SendChan<number>) =>
 *   Effect.forEach([0, 1, 2], (i) => Chan.send(out, i), { discard: true }).pipe(
 *     Effect.andThen(Chan.close(out))
 *   )
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SendChan<in A> extends Pipeable, Inspectable.Inspectable {
  readonly [SendTypeId]: { readonly _A: (_: A) => void }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A bidirectional channel: Go's `chan A`. Assignable to both
 * {@link SendChan} and {@link RecvChan}.
 *
 * It is `Pipeable` and `Inspectable`: `console.log(ch)`, `String(ch)` and
 * `ch.toJSON()` show its observable state — `{ _id: "Chan", name, capacity,
 * len, closed, nil, waitingReceivers, waitingSenders }`, where the waiting
 * counts are the receive and send operations parked on it (select cases
 * included).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const jobs = yield* Chan.make<number>(16, { name: "jobs" })
 *   yield* Chan.send(jobs, 1)
 *   console.log(jobs)
 *   // { _id: 'Chan', name: 'jobs', capacity: 16, len: 1, closed: false, nil: false,
 *   //   waitingReceivers: 0, waitingSenders: 0 }
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Chan<in out A> extends RecvChan<A>, SendChan<A> {}

/**
 * A capacity that is negative, fractional, infinite or not a number: a
 * defect raised when {@link make} (or a producer's `capacity` option) runs,
 * with Go's panic text ("makechan: size out of range"). {@link makeUnsafe}
 * throws it.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidCapacityError extends Data.TaggedError("InvalidCapacityError")<{
  readonly capacity: number
}> {
  override get message(): string {
    return `makechan: size out of range: got capacity ${show(this.capacity)}, want a non-negative integer`
  }
}

/**
 * Closing a nil channel: a defect with Go's message ("close of nil channel").
 *
 * @category errors
 * @since 0.1.0
 */
export class CloseOfNilChannelError extends Data.TaggedError("CloseOfNilChannelError")<{}> {
  override get message(): string {
    return "close of nil channel"
  }
}

/**
 * Options for {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChanOptions {
  /** Shown in blocked-fiber dumps, deadlock reports and `console.log(ch)`. */
  readonly name?: string | undefined
  /**
   * Telemetry for this channel alone: `false` records nothing from it even
   * under `Telemetry.layer` (a hot internal channel); `true` records it even
   * outside one (default settings, into the fiber's metric registry).
   * Default: as the `Telemetry.layer` in force.
   */
  readonly telemetry?: boolean | undefined
}

class ChanHandle<A> extends ChanImpl<A> implements Chan<A> {
  declare readonly [RecvTypeId]: { readonly _A: (_: never) => A }
  declare readonly [SendTypeId]: { readonly _A: (_: A) => void }
}

const impl: <A>(self: RecvChan<A> | SendChan<A>) => ChanImpl<A> = chanOf

const validCapacity = (capacity: number): boolean => Number.isInteger(capacity) && capacity >= 0

/**
 * What is wrong with the arguments of a channel constructor, or undefined.
 * Never throws: `make` reports it inside its Effect, `makeUnsafe` throws it.
 */
const badArguments = (
  op: string,
  capacity: number,
  options: ChanOptions | undefined
): InvalidCapacityError | InvalidArgumentError | undefined => {
  if (options !== undefined) {
    if (typeof options !== "object" || options === null) {
      return invalidArgument(op, "an options object ({ name?: string })", options)
    }
    const name: unknown = options.name
    if (name !== undefined && typeof name !== "string") {
      return invalidArgument(op, "a string (the channel's name) as the name option", name)
    }
    const badTelemetry = badTelemetryOption(op, options)
    if (badTelemetry !== undefined) return badTelemetry
  }
  return validCapacity(capacity) ? undefined : new InvalidCapacityError({ capacity })
}

/** A channel with checked arguments, its `telemetry` option applied. */
const build = <A>(capacity: number, options: ChanOptions | undefined): Chan<A> => {
  const ch = new ChanHandle<A>(capacity, options?.name, false)
  setTelemetry(ch, options?.telemetry)
  return ch
}

/**
 * Creates a channel outside of an Effect, for module-level or constructor
 * code. Unsafe by name: it throws where {@link make} would die —
 * {@link InvalidCapacityError} on a capacity that is negative, fractional,
 * infinite or not a number, `InvalidArgumentError` on bad options.
 *
 * @example
 * ```ts
 * import { Chan } from "effect-go"
 *
 * const events = Chan.makeUnsafe<string>(64, { name: "events" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = <A>(capacity = 0, options?: ChanOptions): Chan<A> => {
  const bad = badArguments("Chan.makeUnsafe", capacity, options)
  if (bad !== undefined) throw bad
  return build<A>(capacity, options)
}

/**
 * Creates a channel with the given buffer capacity (default 0: unbuffered,
 * a rendezvous). Go: `make(chan A, capacity)`.
 *
 * It cannot fail: a capacity that is negative, fractional, infinite or not
 * a number is a programmer error, a defect ({@link InvalidCapacityError},
 * Go's "makechan: size out of range") raised when the effect runs, as is an
 * options argument that is not `{ name?: string, telemetry?: boolean }`
 * (`InvalidArgumentError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const unbuffered = yield* Chan.make<string>() // make(chan string)
 *   const jobs = yield* Chan.make<number>(16, { name: "jobs" }) // make(chan int, 16)
 *   return [unbuffered, jobs] as const
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A>(capacity = 0, options?: ChanOptions): Effect.Effect<Chan<A>> =>
  Effect.suspend(() => {
    const bad = badArguments("Chan.make", capacity, options)
    return bad === undefined ? Exit.succeed(build<A>(capacity, options)) : Exit.die(bad)
  })

/**
 * A nil channel: Go's `var ch chan A`. Sends and receives block until
 * interrupted, its cases in a select are never chosen, and closing it is a
 * defect ({@link CloseOfNilChannelError}). Useful to disable a select case
 * (Go's nil-channel idiom).
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan, Select } from "effect-go"
 *
 * declare const a: Chan.Chan<number>
 * declare const b: Chan.Chan<number>
 *
 * // Merge a and b; a channel that is closed and drained is replaced by nil,
 * // so its case is never chosen again (Go: `a = nil`).
 * const merge = (out: Chan.SendChan<number>) =>
 *   Effect.gen(function* () {
 *     let left: Chan.RecvChan<number> = a
 *     let right: Chan.RecvChan<number> = b
 *     let open = 2
 *     while (open > 0) {
 *       yield* Select.select(
 *         Select.recv(left, (v) =>
 *           Option.isSome(v) ? Chan.send(out, v.value) : Effect.sync(() => ((left = Chan.nil<number>()), open--))
 *         ),
 *         Select.recv(right, (v) =>
 *           Option.isSome(v) ? Chan.send(out, v.value) : Effect.sync(() => ((right = Chan.nil<number>()), open--))
 *         )
 *       )
 *     }
 *   })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const nil = <A>(): Chan<A> => new ChanHandle<A>(0, undefined, true)

/**
 * Sends `value`, waiting while the channel is full (or, unbuffered, until a
 * receiver takes it). Go: `ch <- value`. Fails with {@link ChanClosedError}
 * if the channel is or becomes closed. Interrupted while waiting, the send
 * either did not happen or had just completed (see the module doc): the
 * value is never delivered twice. Data-first (`Chan.send(ch, v)`) or
 * data-last (`Chan.send(v)(ch)`).
 *
 * @category combinators
 * @since 0.1.0
 */
export const send: {
  /**
   * Data-last: `Chan.send(value)(ch)`. Sends `value`, waiting while the
   * channel is full (or, unbuffered, until a receiver takes it). Go:
   * `ch <- value`. Fails with {@link ChanClosedError} if the channel is or
   * becomes closed; never delivers the value twice.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan } from "effect-go"
   *
   * declare const out: Chan.SendChan<number>
   *
   * const sendAll = Effect.forEach([1, 2, 3], (n) => out.pipe(Chan.send(n)), { discard: true })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A>(value: A): (self: SendChan<A>) => Effect.Effect<void, ChanClosedError>
  /**
   * Sends `value` on `self`, waiting while the channel is full (or,
   * unbuffered, until a receiver takes it). Go: `ch <- value`. Fails with
   * {@link ChanClosedError} if the channel is or becomes closed (Go panics);
   * interrupted while waiting, the send either did not happen or had just
   * completed: the value is never delivered twice.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const ch = yield* Chan.make<string>(1)
   *   yield* Chan.send(ch, "hello") // ch <- "hello": the buffer has room
   *   return yield* Chan.recv(ch) // Option.some("hello")
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A>(self: SendChan<A>, value: A): Effect.Effect<void, ChanClosedError>
} = dual(
  2,
  <A>(self: SendChan<A>, value: A): Effect.Effect<void, ChanClosedError> =>
    // Anything but a channel is reported when the effect runs.
    self instanceof ChanImpl ? sendInternal(self, value) : Effect.suspend(() => sendInternal(impl(self), value))
)

/**
 * Receives a value, waiting while the channel is empty. Go:
 * `v, ok := <-ch`, as `Option<A>`: `none` once the channel is closed and
 * drained. The value reaches the caller's continuation, or goes back to the
 * channel if the fiber is interrupted first (see the module doc).
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan } from "effect-go"
 *
 * declare const results: Chan.RecvChan<string>
 *
 * // v, ok := <-results
 * const next = Chan.recv(results).pipe(
 *   Effect.map(Option.getOrElse(() => "results closed"))
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const recv = <A>(self: RecvChan<A>): Effect.Effect<Option.Option<A>> =>
  self instanceof ChanImpl ? (self as ChanImpl<A>).recv : Effect.suspend(() => impl(self).recv)

/**
 * Receives every value that is ready, in one operation: waits like
 * {@link recv} until one value can be received, then takes with it every
 * value ready at that moment (buffered, or offered by parked senders, whose
 * sends complete), oldest first, at most `max` (default: no limit). An empty
 * array means the channel is closed and drained (Go's `ok == false`). Go has
 * no such call; it is the batch form of a receive loop, like Effect's
 * `Queue.takeAll`: a consumer that handles values in batches pays one
 * operation per batch instead of one per value.
 *
 * Exactly once, as {@link recv}: the values reach the caller's continuation,
 * or, if the fiber is interrupted before it resumes with them, the one value
 * it was handed goes back to the channel (the others are taken only in the
 * step that returns them). A `max` that is not a whole number ≥ 1 (or
 * `Infinity`) is a defect (`InvalidArgumentError`).
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * declare const events: Chan.RecvChan<string>
 *
 * // write the events in batches of at most 100, until the channel is closed
 * const writer = Effect.gen(function* () {
 *   for (;;) {
 *     const batch = yield* Chan.recvAll(events, 100)
 *     if (batch.length === 0) return // closed and drained
 *     yield* Console.log(`writing ${batch.length} events`)
 *   }
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const recvAll = <A>(self: RecvChan<A>, max?: number): Effect.Effect<ReadonlyArray<A>> => {
  if (max === undefined || max === Infinity) {
    if (self instanceof ChanImpl) return unlimited(self as ChanImpl<A>)
    return Effect.suspend(() => unlimited(impl(self)))
  }
  if (!Number.isInteger(max) || max < 1) {
    return Effect.die(invalidArgument("Chan.recvAll", "a whole number ≥ 1, or Infinity, as max", max))
  }
  return self instanceof ChanImpl
    ? recvAllInternal(self as ChanImpl<A>, max)
    : Effect.suspend(() => recvAllInternal(impl(self), max))
}

const unlimited = <A>(ch: ChanImpl<A>): Effect.Effect<ReadonlyArray<A>> =>
  (ch.recvAllUnlimited ??= recvAllInternal(ch, Infinity))

/**
 * Sends without waiting: true if the value was taken (a receiver was waiting
 * or the buffer had room), false if the send would block. Go:
 * `select { case ch <- v: default: }`. Fails with {@link ChanClosedError} on
 * a closed channel. Data-first or data-last.
 *
 * @category combinators
 * @since 0.1.0
 */
export const trySend: {
  /**
   * Data-last: `Chan.trySend(value)(ch)`. Sends without waiting: true if the
   * value was taken, false if the send would block. Go:
   * `select { case ch <- v: default: }`. Fails with {@link ChanClosedError}
   * on a closed channel.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan } from "effect-go"
   *
   * declare const events: Chan.SendChan<string>
   *
   * // Drop the event when nobody keeps up.
   * const publish = (event: string) => events.pipe(Chan.trySend(event), Effect.asVoid)
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A>(value: A): (self: SendChan<A>) => Effect.Effect<boolean, ChanClosedError>
  /**
   * Sends `value` on `self` without waiting: true if the value was taken (a
   * receiver was waiting or the buffer had room), false if the send would
   * block. Go: `select { case ch <- v: default: }`. Fails with
   * {@link ChanClosedError} on a closed channel.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const ch = yield* Chan.make<number>(1)
   *   const first = yield* Chan.trySend(ch, 1) // true: the buffer had room
   *   const second = yield* Chan.trySend(ch, 2) // false: full, nobody receives
   *   return [first, second]
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A>(self: SendChan<A>, value: A): Effect.Effect<boolean, ChanClosedError>
} = dual(
  2,
  <A>(self: SendChan<A>, value: A): Effect.Effect<boolean, ChanClosedError> =>
    Effect.withFiber((fiber) => {
      const done = trySendNow(impl(self), value, fiber)
      if (done === undefined) return exitFalse
      return done._tag === "Failure" ? Exit.failCause(done.cause) : exitTrue
    })
)

const exitTrue = Exit.succeed(true)
const exitFalse = Exit.succeed(false)

/**
 * The outcome of {@link tryRecv}: a value, the channel closed and drained, or
 * nothing available right now.
 *
 * @category models
 * @since 0.1.0
 */
export type TryRecv<A> =
  | { readonly _tag: "Received"; readonly value: A }
  | { readonly _tag: "Closed" }
  | { readonly _tag: "Empty" }

const closedResult: TryRecv<never> = { _tag: "Closed" }
const emptyResult: TryRecv<never> = { _tag: "Empty" }

/**
 * Receives without waiting. Go: `select { case v, ok := <-ch: default: }`.
 * A buffered value is always taken before "Closed" is reported, so a closed
 * channel that still holds values never reports "Empty".
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * declare const inbox: Chan.RecvChan<string>
 *
 * const poll = Effect.map(Chan.tryRecv(inbox), (r) =>
 *   r._tag === "Received" ? `got ${r.value}` : r._tag === "Closed" ? "inbox closed" : "nothing yet"
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const tryRecv = <A>(self: RecvChan<A>): Effect.Effect<TryRecv<A>> =>
  // A sync passes its value straight to the caller's continuation: no step
  // between taking the value and the caller having it.
  Effect.sync((): TryRecv<A> => {
    const done = tryRecvNow(impl(self), Fiber.getCurrent()!)
    if (done === undefined || done._tag === "Failure") return emptyResult // (a receive never fails)
    return Option.isSome(done.value) ? { _tag: "Received", value: done.value.value } : closedResult
  })

/**
 * Closes the channel: buffered values still drain in order, then every
 * receive yields `none`; parked senders fail with {@link ChanClosedError}.
 * Go: `close(ch)`. Closing twice fails with {@link ChanClosedError}; closing
 * a nil channel is a defect ({@link CloseOfNilChannelError}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ch = yield* Chan.make<number>(2)
 *   yield* Chan.send(ch, 1)
 *   yield* Chan.close(ch)
 *   const first = yield* Chan.recv(ch) // Option.some(1): buffered values drain first
 *   const then = yield* Chan.recv(ch) // Option.none(): closed and drained
 *   return [first, then]
 * })
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const close = <A>(self: SendChan<A>): Effect.Effect<void, ChanClosedError> =>
  shallow(() => {
    const ch = impl(self)
    if (ch.isNil) return Exit.die(new CloseOfNilChannelError())
    if (ch.closed) return Exit.fail(new ChanClosedError({ op: "close", chanName: ch.name }))
    closeNow(ch)
    return Exit.void
  })

/**
 * The number of values buffered right now. Go: `len(ch)`: never more than
 * {@link cap}, so always 0 on an unbuffered channel. (A value given back by
 * an interrupted receiver is received next; on a full or unbuffered channel
 * it is not counted.)
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * declare const jobs: Chan.Chan<number>
 *
 * const backlog = Effect.map(Chan.len(jobs), (n) => `${n} of ${Chan.cap(jobs)} slots used`)
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const len = <A>(self: RecvChan<A> | SendChan<A>): Effect.Effect<number> => Effect.sync(() => length(impl(self)))

/**
 * The buffer capacity. Go: `cap(ch)`.
 *
 * A plain number, not an Effect, as Go's `cap` is a builtin: a channel's
 * capacity never changes, so there is nothing to run. Having no Effect to
 * report into, it throws (a defect inside an enclosing Effect) when `self`
 * is not a channel: `InvalidArgumentError`, or `CopiedPrimitiveError` for a
 * copy of one.
 *
 * @example
 * ```ts
 * import { Chan } from "effect-go"
 *
 * const ch = Chan.makeUnsafe<number>(8)
 * Chan.cap(ch) // 8
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const cap = <A>(self: RecvChan<A> | SendChan<A>): number => impl(self).capacity

/**
 * Whether the channel has been closed (a snapshot; Go has no equivalent,
 * tests and metrics use it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ch = yield* Chan.make<number>()
 *   yield* Chan.close(ch)
 *   return yield* Chan.isClosed(ch) // true
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const isClosed = <A>(self: RecvChan<A> | SendChan<A>): Effect.Effect<boolean> =>
  Effect.sync(() => impl(self).closed)

/**
 * The fibers parked on the channel, receivers first, longest waiting first:
 * what each waits for (`op`), on what, and since when. For deadlock reports
 * and tests.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * declare const jobs: Chan.Chan<number>
 *
 * const report = Effect.flatMap(Chan.blocked(jobs), (waiting) =>
 *   Console.log(`${waiting.length} fibers wait on jobs`)
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const blocked = <A>(self: RecvChan<A> | SendChan<A>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => {
    const ch = impl(self)
    return [...ch.recvq.blocked(), ...ch.sendq.blocked()]
  })

/**
 * Runs `f` for every value received until the channel is closed and
 * drained. Go: `for v := range ch { ... }`. Every value received reaches
 * `f` or stays in the channel (an interrupted loop takes nothing it did not
 * run `f` on). Fails with the first failure of `f`. Data-first or
 * data-last.
 *
 * @category combinators
 * @since 0.1.0
 */
export const forEach: {
  /**
   * Data-last: `ch.pipe(Chan.forEach(f))`. Runs `f` for every value received
   * until the channel is closed and drained. Go: `for v := range ch { ... }`.
   * Fails with the first failure of `f`.
   *
   * @example
   * ```ts
   * import { Console } from "effect"
   * import { Chan } from "effect-go"
   *
   * declare const lines: Chan.RecvChan<string>
   *
   * const printAll = lines.pipe(Chan.forEach((line) => Console.log(line)))
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R>(f: (value: A) => Effect.Effect<unknown, E, R>): (self: RecvChan<A>) => Effect.Effect<void, E, R>
  /**
   * Runs `f` for every value received from `self` until the channel is
   * closed and drained. Go: `for v := range ch { ... }`. Every value
   * received reaches `f` or stays in the channel. Fails with the first
   * failure of `f`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const ch = yield* Chan.make<number>(3)
   *   yield* Effect.forkChild(
   *     Effect.forEach([1, 2, 3], (n) => Chan.send(ch, n)).pipe(Effect.andThen(Chan.close(ch)))
   *   )
   *   let sum = 0
   *   yield* Chan.forEach(ch, (n) => Effect.sync(() => (sum += n))) // for n := range ch
   *   return sum // 6
   * })
   * ```
   *
   * @category combinators
   * @since 0.1.0
   */
  <A, E, R>(self: RecvChan<A>, f: (value: A) => Effect.Effect<unknown, E, R>): Effect.Effect<void, E, R>
} = dual(
  2,
  <A, E, R>(self: RecvChan<A>, f: (value: A) => Effect.Effect<unknown, E, R>): Effect.Effect<void, E, R> =>
    self instanceof ChanImpl && typeof f === "function"
      ? forEachInternal(self as ChanImpl<A>, checkedBody(f))
      : Effect.suspend(() => {
          const ch = impl(self)
          return typeof f === "function"
            ? forEachInternal(ch, checkedBody(f))
            : Exit.die(invalidArgument("Chan.forEach", "a function (the loop body)", f))
        })
)

/** `f`, dying with InvalidArgumentError (not Effect's untagged defect) when it returns no Effect. */
const checkedBody =
  <A, E, R>(f: (value: A) => Effect.Effect<unknown, E, R>) =>
  (value: A): Effect.Effect<unknown, E, R> => {
    const body: unknown = f(value)
    return isEffect(body)
      ? (body as Effect.Effect<unknown, E, R>)
      : Exit.die(invalidArgument("Chan.forEach", "its body to return an Effect", body))
  }

/** How many buffered values one pull of {@link toStream} takes at most. */
const STREAM_CHUNK = 4096

/**
 * The channel as a Stream that ends when the channel is closed and drained.
 * Each pull is a {@link recvAll} of up to 4096 values, so a fast producer is
 * read in chunks. Go: `for v := range ch`. A chunk the stream
 * pulled is the stream's: use {@link forEach} where every value must be
 * accounted for under interruption.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ch = yield* Chan.fromIterable([1, 2, 3])
 *   return yield* Stream.runCollect(Chan.toStream(ch)) // [1, 2, 3]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const toStream = <A>(self: RecvChan<A>): Stream.Stream<A> =>
  // Anything but a channel is reported when the stream runs.
  Stream.fromPull(Effect.sync(() => pullFrom(impl(self))))

const pullFrom = <A>(ch: ChanImpl<A>) =>
  Effect.flatMap(recvAllInternal(ch, STREAM_CHUNK), (values) =>
    values.length === 0 ? Cause.done() : Exit.succeed(values as Arr.NonEmptyReadonlyArray<A>)
  )

/**
 * Options for the channel constructors that start a producer
 * ({@link fromIterable}, {@link fromStream}).
 *
 * @category models
 * @since 0.1.0
 */
export interface ProducerOptions extends ChanOptions {
  /** Buffer capacity of the channel (default 0). */
  readonly capacity?: number | undefined
}

const produce = <A, E, R>(
  op: string,
  feed: (ch: Chan<A>) => Effect.Effect<void, E, R>,
  options: ProducerOptions | undefined
): Effect.Effect<RecvChan<A>, never, R | Scope.Scope> =>
  Effect.flatMap(makeFor<A>(op, options), (ch) =>
    Effect.as(
      Effect.forkScoped(
        feed(ch).pipe(
          // The producer owns the send side: it closes the channel however
          // it ends, so that ranging consumers always finish.
          Effect.ensuring(Effect.ignore(close(ch)))
        )
      ),
      ch as RecvChan<A>
    )
  )

/** `make` for a producer constructor: its options' capacity and name, checked in `op`'s name. */
const makeFor = <A>(op: string, options: ProducerOptions | undefined): Effect.Effect<Chan<A>> =>
  Effect.suspend(() => {
    const capacity = typeof options === "object" && options !== null ? (options.capacity ?? 0) : 0
    const bad = badArguments(op, capacity, options)
    return bad === undefined ? Exit.succeed(build<A>(capacity, options)) : Exit.die(bad)
  })

/**
 * A channel fed with the values of `iterable` by a producer fiber owned by
 * the current scope; it is closed after the last value. Closing the scope
 * stops the producer. Go: the generator pattern
 * (`go func() { for _, v := range xs { out <- v }; close(out) }()`).
 *
 * It cannot fail: an `iterable` that is not one (`InvalidArgumentError`) and
 * a bad `capacity` option ({@link InvalidCapacityError}) are defects raised
 * when the effect runs, before any producer starts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const numbers = yield* Chan.fromIterable([1, 2, 3], { capacity: 2 })
 *   let sum = 0
 *   yield* Chan.forEach(numbers, (n) => Effect.sync(() => (sum += n)))
 *   return sum // 6
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromIterable = <A>(
  iterable: Iterable<A>,
  options?: ProducerOptions
): Effect.Effect<RecvChan<A>, never, Scope.Scope> =>
  isIterable(iterable)
    ? produce<A, never, never>(
        "Chan.fromIterable",
        (ch) => Effect.forEach(iterable, (a) => Effect.orDie(send(ch, a)), { discard: true }),
        options
      )
    : Exit.die(invalidArgument("Chan.fromIterable", "an iterable", iterable))

/**
 * A channel fed with the elements of `stream` by a producer fiber owned by
 * the current scope; it is closed when the stream ends. The stream must not
 * fail (a channel has no error side): handle errors first, e.g. with
 * `Stream.either` or `Stream.catch`.
 *
 * It cannot fail: a `stream` that is not one (`InvalidArgumentError`) and a
 * bad `capacity` option ({@link InvalidCapacityError}) are defects raised
 * when the effect runs, before any producer starts.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Chan } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const squares = yield* Chan.fromStream(Stream.range(1, 3).pipe(Stream.map((n) => n * n)))
 *   const out: Array<number> = []
 *   yield* Chan.forEach(squares, (n) => Effect.sync(() => out.push(n)))
 *   return out // [1, 4, 9]
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromStream = <A, R>(
  stream: Stream.Stream<A, never, R>,
  options?: ProducerOptions
): Effect.Effect<RecvChan<A>, never, R | Scope.Scope> =>
  Stream.isStream(stream)
    ? produce<A, never, R>(
        "Chan.fromStream",
        (ch) => Stream.runForEach(stream, (a) => Effect.orDie(send(ch, a))),
        options
      )
    : Exit.die(invalidArgument("Chan.fromStream", "a Stream", stream))

/**
 * Channels: Go's `chan T`, with direction enforced by type.
 *
 * - `make<A>(capacity = 0)`: capacity 0 is an unbuffered rendezvous — a send
 *   completes only when a receiver takes the value.
 * - {@link recv} yields `Option<A>`: `none` once the channel is closed and
 *   drained (Go's `v, ok := <-ch`).
 * - A send on a closed channel, a send blocked when the channel closes, and a
 *   second close fail with a typed {@link ChanClosedError} (Go panics).
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
 *   completed delivered nothing.
 * - {@link toStream} hands values to a Stream: once a chunk is pulled, what
 *   happens to it is the Stream's affair (an interrupted stream drops the
 *   chunk it pulled). Use {@link forEach} or {@link recv} where every value
 *   must be accounted for.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
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
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  ChanClosedError,
  ChanImpl,
  canRecv,
  chanOf,
  closeNow,
  forEach as forEachInternal,
  length,
  parkRecv,
  recvNow,
  send as sendInternal,
  tryRecv as tryRecvNow,
  trySend as trySendNow
} from "./internal/chan.ts"
import { invalidArgument, isIterable, show } from "./internal/copied.ts"
import { type BlockedFiber, handsOver, shallow } from "./internal/waiters.ts"

export { ChanClosedError }

const RecvTypeId = "~effect-go/Chan/Recv" as const
const SendTypeId = "~effect-go/Chan/Send" as const

/**
 * The receive side of a channel: Go's `<-chan A`. It can be received from
 * and ranged over, but not sent on or closed.
 *
 * @since 0.1.0
 */
export interface RecvChan<out A> {
  readonly [RecvTypeId]: { readonly _A: (_: never) => A }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * The send side of a channel: Go's `chan<- A`. It can be sent on and closed,
 * but not received from.
 *
 * @since 0.1.0
 */
export interface SendChan<in A> {
  readonly [SendTypeId]: { readonly _A: (_: A) => void }
  /** The name given at {@link make}, shown in blocked-fiber dumps. */
  readonly name: string | undefined
}

/**
 * A bidirectional channel: Go's `chan A`. Assignable to both
 * {@link SendChan} and {@link RecvChan}.
 *
 * @since 0.1.0
 */
export interface Chan<in out A> extends RecvChan<A>, SendChan<A> {}

/**
 * A capacity that is negative, fractional or not a number.
 *
 * @since 0.1.0
 */
export class InvalidCapacityError extends Data.TaggedError("InvalidCapacityError")<{
  readonly capacity: number
}> {
  override get message(): string {
    return `channel capacity must be a non-negative integer, got ${show(this.capacity)}`
  }
}

/**
 * Closing a nil channel: a defect with Go's message ("close of nil channel").
 *
 * @since 0.1.0
 */
export class CloseOfNilChannelError extends Data.TaggedError("CloseOfNilChannelError")<{}> {
  override get message(): string {
    return "close of nil channel"
  }
}

/** Options for {@link make}. @since 0.1.0 */
export interface ChanOptions {
  /** Shown in blocked-fiber dumps and deadlock reports. */
  readonly name?: string | undefined
}

class ChanHandle<A> extends ChanImpl<A> implements Chan<A> {
  declare readonly [RecvTypeId]: { readonly _A: (_: never) => A }
  declare readonly [SendTypeId]: { readonly _A: (_: A) => void }
}

const impl: <A>(self: RecvChan<A> | SendChan<A>) => ChanImpl<A> = chanOf

const validCapacity = (capacity: number): boolean => Number.isInteger(capacity) && capacity >= 0

/**
 * Creates a channel outside of an Effect; throws {@link InvalidCapacityError}
 * on a bad capacity.
 *
 * @since 0.1.0
 */
export const makeUnsafe = <A>(capacity = 0, options?: ChanOptions): Chan<A> => {
  if (!validCapacity(capacity)) throw new InvalidCapacityError({ capacity })
  return new ChanHandle<A>(capacity, options?.name, false)
}

/**
 * Creates a channel with the given buffer capacity (default 0: unbuffered).
 * Go: `make(chan A, capacity)`. A negative, fractional or NaN capacity fails
 * with {@link InvalidCapacityError}.
 *
 * @since 0.1.0
 */
export const make: {
  /** An unbuffered channel: cannot fail. */
  <A>(): Effect.Effect<Chan<A>>
  <A>(capacity: number, options?: ChanOptions): Effect.Effect<Chan<A>, InvalidCapacityError>
} = (<A>(capacity = 0, options?: ChanOptions): Effect.Effect<Chan<A>, InvalidCapacityError> =>
  Effect.suspend(() =>
    validCapacity(capacity)
      ? Exit.succeed(new ChanHandle<A>(capacity, options?.name, false) as Chan<A>)
      : Exit.fail(new InvalidCapacityError({ capacity }))
  )) as any

/**
 * A nil channel: Go's `var ch chan A`. Sends and receives block until
 * interrupted, its cases in a select are never chosen, and closing it is a
 * defect. Useful to disable a select case (Go's nil-channel idiom).
 *
 * @since 0.1.0
 */
export const nil = <A>(): Chan<A> => new ChanHandle<A>(0, undefined, true)

/**
 * Sends `value`, waiting while the channel is full (or, unbuffered, until a
 * receiver takes it). Go: `ch <- value`. Fails with {@link ChanClosedError}
 * if the channel is or becomes closed. Interrupted while waiting, the send
 * either did not happen or had just completed (see the module doc): the
 * value is never delivered twice.
 *
 * @since 0.1.0
 */
export const send: {
  <A>(value: A): (self: SendChan<A>) => Effect.Effect<void, ChanClosedError>
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
 * @since 0.1.0
 */
export const recv = <A>(self: RecvChan<A>): Effect.Effect<Option.Option<A>> =>
  self instanceof ChanImpl ? (self as ChanImpl<A>).recv : Effect.suspend(() => impl(self).recv)

/**
 * Sends without waiting: true if the value was taken (a receiver was waiting
 * or the buffer had room), false if the send would block. Go:
 * `select { case ch <- v: default: }`. Fails with {@link ChanClosedError} on
 * a closed channel.
 *
 * @since 0.1.0
 */
export const trySend: {
  <A>(value: A): (self: SendChan<A>) => Effect.Effect<boolean, ChanClosedError>
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
 * a nil channel is a defect.
 *
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
 * @since 0.1.0
 */
export const cap = <A>(self: RecvChan<A> | SendChan<A>): number => impl(self).capacity

/**
 * Whether the channel has been closed (a snapshot; Go has no equivalent,
 * tests and metrics use it).
 *
 * @since 0.1.0
 */
export const isClosed = <A>(self: RecvChan<A> | SendChan<A>): Effect.Effect<boolean> =>
  Effect.sync(() => impl(self).closed)

/**
 * The fibers parked on the channel, receivers first, longest waiting first.
 *
 * @since 0.1.0
 */
export const blocked = <A>(self: RecvChan<A> | SendChan<A>): Effect.Effect<ReadonlyArray<BlockedFiber>> =>
  Effect.sync(() => {
    const ch = impl(self)
    return [...ch.recvq.blocked(), ...ch.sendq.blocked()]
  })

/**
 * Runs `f` for every value received until the channel is closed and
 * drained. Go: `for v := range ch { ... }`.
 *
 * @since 0.1.0
 */
export const forEach: {
  <A, E, R>(f: (value: A) => Effect.Effect<unknown, E, R>): (self: RecvChan<A>) => Effect.Effect<void, E, R>
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
    return Effect.isEffect(body)
      ? (body as Effect.Effect<unknown, E, R>)
      : Exit.die(invalidArgument("Chan.forEach", "its body to return an Effect", body))
  }

/** How many buffered values one pull of {@link toStream} takes at most. */
const STREAM_CHUNK = 4096

/**
 * The channel as a Stream that ends when the channel is closed and drained.
 * Each pull takes every value already buffered (up to 4096), so a fast
 * producer is read in chunks. Go: `for v := range ch`.
 *
 * @since 0.1.0
 */
export const toStream = <A>(self: RecvChan<A>): Stream.Stream<A> =>
  // Anything but a channel is reported when the stream runs.
  Stream.fromPull(Effect.sync(() => pullFrom(impl(self))))

const pullFrom = <A>(ch: ChanImpl<A>) => {
  // The values of a chunk are taken in the step that returns it (see
  // `handsOver`): a parked pull takes them in its first step after resuming.
  const chunkFrom = (first: Option.Option<A>, fiber: Fiber.Fiber<unknown, unknown>) => {
    if (first._tag === "None") return Cause.done()
    const chunk: [A, ...Array<A>] = [first.value]
    while (
      chunk.length < STREAM_CHUNK &&
      (ch.returned !== undefined || (ch.buffer !== undefined && ch.buffer.length > 0))
    ) {
      const next = recvNow(ch, fiber)
      if (next._tag === "None") break
      chunk.push(next.value)
    }
    return Exit.succeed(chunk)
  }
  const afterPark = (first: Option.Option<A>) => chunkFrom(first, Fiber.getCurrent()!)
  return Effect.withFiber((fiber) =>
    !ch.isNil && handsOver(fiber) && canRecv(ch)
      ? chunkFrom(recvNow(ch, fiber), fiber)
      : Effect.flatMap(ch.isNil ? Effect.never : parkRecv(ch), afterPark)
  )
}

/** Options for the channel constructors that start a producer. */
export interface ProducerOptions extends ChanOptions {
  /** Buffer capacity of the channel (default 0). */
  readonly capacity?: number | undefined
}

const produce = <A, E, R>(
  feed: (ch: Chan<A>) => Effect.Effect<void, E, R>,
  options: ProducerOptions | undefined
): Effect.Effect<RecvChan<A>, InvalidCapacityError, R | Scope.Scope> =>
  Effect.flatMap(make<A>(options?.capacity ?? 0, options), (ch) =>
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

/**
 * A channel fed with the values of `iterable` by a producer fiber owned by
 * the current scope; it is closed after the last value. Closing the scope
 * stops the producer. Go: the generator pattern
 * (`go func() { for _, v := range xs { out <- v }; close(out) }()`).
 *
 * @since 0.1.0
 */
export const fromIterable = <A>(
  iterable: Iterable<A>,
  options?: ProducerOptions
): Effect.Effect<RecvChan<A>, InvalidCapacityError, Scope.Scope> =>
  isIterable(iterable)
    ? produce<A, never, never>(
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
 * @since 0.1.0
 */
export const fromStream = <A, R>(
  stream: Stream.Stream<A, never, R>,
  options?: ProducerOptions
): Effect.Effect<RecvChan<A>, InvalidCapacityError, R | Scope.Scope> =>
  Stream.isStream(stream)
    ? produce<A, never, R>((ch) => Stream.runForEach(stream, (a) => Effect.orDie(send(ch, a))), options)
    : Exit.die(invalidArgument("Chan.fromStream", "a Stream", stream))

/**
 * The channel core shared by Chan (plain operations) and Select.
 *
 * The algorithm is Go's runtime/chan.go, single-threaded:
 * - send: a waiting receiver takes the value directly; else the buffer takes
 *   it; else the sender parks on `sendq` carrying its value.
 * - recv: the buffer's head is taken and, if a sender waits, its value moves
 *   into the freed slot; on an unbuffered channel the value comes straight
 *   from the head sender; else a closed channel yields `none`; else the
 *   receiver parks on `recvq`.
 * - close: every parked receiver gets `none`, every parked sender fails.
 *
 * Deferred resumption: a parked fiber whose operation another fiber
 * completes is resumed later, when that fiber parks or at the next scheduler
 * turn (see `wakeLater`), as Go's `goready` makes the receiver runnable and
 * lets the sender run on. On a buffered channel a producer thus fills the
 * buffer and a consumer drains it without a context switch per value. On an
 * unbuffered one it halves the suspensions of a hand-off: in a ping-pong the
 * first fiber's park resumes the second, whose reply completes the first
 * before it has suspended (its callback sees the result synchronously), so
 * only one of the two fibers suspends per round trip. If the parked fiber is
 * interrupted in between, a value it received goes back to the channel
 * (see `giveBack`) and a send it made stands.
 *
 * Exactly once: a value leaves the channel only in a step from which it
 * reaches its consumer (the caller's continuation, a select handler, a
 * `forEach` body) before the fiber can be interrupted (`handsOver`), or on
 * a path whose cancel handler gives it back: a parked receiver, or one that
 * took the value at registration and resumes later (`completeLater`).
 *
 * A parked node may belong to a select. The counterparty that completes such
 * a node fires the select: it marks it done and withdraws the select's other
 * nodes before waking it, all synchronously, so a select can never complete
 * twice and a withdrawn node can never be picked.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { unwrap } from "./copied.ts"
import { type Deadline, type DeadlineQueue, disarm } from "./deadlines.ts"
import { PrimitiveBase } from "./primitive.ts"
import { anyone, type Diagnosis } from "./registry.ts"
import { activeLayers, event } from "./telemetry.ts"
import {
  flushPending,
  handsOver,
  hasPending,
  park,
  parkAfter,
  parkNow,
  tooDeep,
  Waiter,
  WaiterList,
  wake,
  wakeLater
} from "./waiters.ts"

/**
 * A send on a closed channel, or a second close: Go panics; effect-go fails
 * with this typed error, because a producer racing a close can handle it.
 * `message` is Go's panic text ("send on closed channel", "close of closed
 * channel").
 *
 * @category errors
 * @since 0.1.0
 */
export class ChanClosedError extends Data.TaggedError("ChanClosedError")<{
  readonly op: "send" | "close"
  /** The channel's name, if it was given one. */
  readonly chanName: string | undefined
}> {
  override get message(): string {
    return this.op === "send" ? "send on closed channel" : "close of closed channel"
  }
}

/** A FIFO ring that grows its storage on demand, up to the channel's capacity. */
export class Ring<A> {
  private items: Array<A | undefined>
  private head = 0
  length = 0
  constructor(capacity: number) {
    this.items = new Array(Math.max(1, Math.min(capacity, 16)))
  }
  push(value: A): void {
    if (this.length === this.items.length) this.grow()
    const items = this.items
    let i = this.head + this.length
    if (i >= items.length) i -= items.length
    items[i] = value
    this.length++
  }
  shift(): A {
    const items = this.items
    const head = this.head
    const value = items[head] as A
    items[head] = undefined
    this.head = head + 1 === items.length ? 0 : head + 1
    this.length--
    return value
  }
  /**
   * Takes the `n` oldest values (n ≤ length) as a new array, in order: all
   * of them stored from the start are the storage itself (handed over, as
   * Effect's `MutableList.takeAll` hands over its bucket); otherwise one copy
   * of each contiguous run (`slice`, then `fill` to drop the ring's
   * references), rather than a push per value.
   */
  take(n: number): Array<A> {
    const items = this.items
    const head = this.head
    const end = head + n
    let out: Array<A>
    if (head === 0 && n === this.length) {
      // Every value, stored from the start: the storage itself is the
      // result, and the ring starts a new one of the same size.
      this.items = new Array(items.length)
      this.length = 0
      items.length = n
      return items as Array<A>
    }
    if (end <= items.length) {
      out = items.slice(head, end) as Array<A>
      items.fill(undefined, head, end)
      this.head = end === items.length ? 0 : end
    } else {
      const wrapped = end - items.length
      out = items.slice(head).concat(items.slice(0, wrapped)) as Array<A>
      items.fill(undefined, head)
      items.fill(undefined, 0, wrapped)
      this.head = wrapped
    }
    this.length -= n
    return out
  }
  private grow(): void {
    const next = new Array<A | undefined>(this.items.length * 2)
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % this.items.length]
    this.items = next
    this.head = 0
  }
}

/** The state a select shares between the nodes it parked on its channels. */
export class SelectWaiter extends Waiter<void, ChanClosedError> implements Deadline {
  /** One node per case that parked on a channel (undefined for the others). */
  nodes: Array<RecvNode<any> | SendNode<any> | undefined> = []
  done = false
  /** The case that fired, and what a receive case received. */
  fired = -1
  received: Option.Option<unknown> = Option.none()
  /** Set when the fired case's handler starts: from then on nothing is given back. */
  delivered = false
  /** The timeout case's index; its deadline, while armed in the Clock's timer heap. */
  timeoutCase = -1
  at = 0
  index = -1
  seq = 0
  queue: DeadlineQueue | undefined = undefined
  /** Runs the fired case's handler (and marks the select delivered in its first step). */
  handler: Effect.Effect<any, any, any> = Effect.void
  /** A committed select resumes with its handler, which starts in the first steps. */
  override deliver(exit: Exit.Exit<void, ChanClosedError>): Effect.Effect<any, any, any> {
    return exit._tag === "Success" ? this.handler : exit
  }
  override wakesByTime(): boolean {
    return this.queue !== undefined
  }
  /** The timeout has come: its case fires (from the timer heap's fiber). */
  expire(): void {
    fireSelect(this, this.timeoutCase, Exit.void, undefined)
  }
  /** The timer heap's fiber was stopped from outside: the select waits on for its channels. */
  lost(): void {}
  /** `select [recv jobs | send out | after]`: its cases, for the blocked-fiber dump. */
  override describe(): string {
    const cases: Array<string> = []
    for (const node of this.nodes) {
      if (node === undefined) continue
      const ch = node.chan
      const name = ch === undefined ? "?" : ch.name === undefined ? "chan" : `"${ch.name}"`
      cases.push(`${node instanceof SendNode ? "send" : "recv"} ${name}`)
    }
    if (this.queue !== undefined) cases.push("after")
    return `select [${cases.join(" | ")}]`
  }
}

/**
 * A receiver parked on `recvq` (or a select's receive case registered
 * there). The fields only some receivers have are declared, not defined: a
 * plain receive's node, which every blocked receiver keeps, goes without
 * them (reading one gives undefined).
 */
export class RecvNode<A> extends Waiter<Option.Option<A>> {
  /** A select's receive case: its select (see {@link SelectRecvNode}). */
  declare readonly select: SelectWaiter | undefined
  declare readonly caseIndex: number
  chan: ChanImpl<A> | undefined = undefined
  /** Set when the code that consumes the value starts (a `forEach` body, a `recvAll`): nothing to give back after that. */
  declare delivered: boolean | undefined
  override parker(): Waiter<any, any> {
    return this.select ?? this
  }
}

/** A select's receive case, registered on its channel's `recvq`. */
export class SelectRecvNode<A> extends RecvNode<A> {
  override readonly select: SelectWaiter
  override readonly caseIndex: number
  constructor(select: SelectWaiter, caseIndex: number) {
    super()
    this.select = select
    this.caseIndex = caseIndex
  }
}

/** A `forEach` loop parked on `recvq`: it resumes with its body, which starts in the first steps. */
class ForEachNode<A, E, R> extends RecvNode<A> {
  readonly body: (value: A) => Effect.Effect<unknown, E, R>
  override delivered = false
  constructor(chan: ChanImpl<A>, body: (value: A) => Effect.Effect<unknown, E, R>) {
    super()
    this.chan = chan
    this.op = "recv"
    this.body = body
  }
  override deliver(exit: Exit.Exit<Option.Option<A>>): Effect.Effect<unknown, E, R> {
    const value = (exit as Exit.Success<Option.Option<A>>).value
    // After `none` the loop's next step receives `none` again and ends.
    return value._tag === "Some"
      ? Effect.suspend(() => {
          this.delivered = true
          return this.body(value.value)
        })
      : Effect.void
  }
}

/**
 * A `recvAll` parked on `recvq`: it is handed one value like any receiver,
 * and resumes with a step that takes the values ready by then with it (see
 * {@link recvReady}), the node marked delivered in that same step.
 */
class RecvAllNode<A> extends RecvNode<A> {
  readonly max: number
  override delivered = false
  constructor(chan: ChanImpl<A>, max: number) {
    super()
    this.chan = chan
    this.op = "recv"
    this.max = max
  }
  override deliver(exit: Exit.Exit<Option.Option<A>>): Effect.Effect<ReadonlyArray<A>> {
    const value = (exit as Exit.Success<Option.Option<A>>).value
    if (value._tag === "None") return exitNoValues
    return Effect.sync(() => {
      this.delivered = true
      return recvReady(this.chan!, this.max, Fiber.getCurrent()!, [value.value])
    })
  }
}

const newRecvNode = <A>(ch: ChanImpl<A>): RecvNode<A> => {
  const node = new RecvNode<A>()
  node.op = "recv"
  node.chan = ch
  return node
}

/** A sender parked on `sendq`, holding the value it sends (the select fields as in {@link RecvNode}). */
export class SendNode<A> extends Waiter<void, ChanClosedError> {
  /** A select's send case: its select (see {@link SelectSendNode}). */
  declare readonly select: SelectWaiter | undefined
  declare readonly caseIndex: number
  chan: ChanImpl<A> | undefined = undefined
  readonly value: A
  constructor(value: A) {
    super()
    this.value = value
  }
  override parker(): Waiter<any, any> {
    return this.select ?? this
  }
}

/** A select's send case, registered on its channel's `sendq`. */
export class SelectSendNode<A> extends SendNode<A> {
  override readonly select: SelectWaiter
  override readonly caseIndex: number
  constructor(value: A, select: SelectWaiter, caseIndex: number) {
    super(value)
    this.select = select
    this.caseIndex = caseIndex
  }
}

/**
 * A value its stage sends with no fiber waiting on the send (see
 * {@link offer}): received as a parked sender's value is, after the parked
 * senders; `taken` runs when a receiver takes it, on the receiver's fiber,
 * once the channel is consistent again.
 */
export interface Offer<A> {
  readonly value: A
  readonly taken: (fiber: Fiber.Fiber<unknown, unknown>) => void
}

/**
 * A channel. It is a value like Effect's own (`Pipeable`, `Inspectable`):
 * `toJSON` shows what a user can observe — its name, `cap`, `len`, whether it
 * is closed or nil, and how many receive and send operations wait on it
 * (select cases included) — never its queues or fibers.
 */
export class ChanImpl<A> extends PrimitiveBase {
  /** The buffer (capacity > 0); never holds more than `capacity` values. */
  readonly buffer: Ring<A> | undefined
  /**
   * Values given back by interrupted receivers (see {@link giveBack}),
   * oldest first: received before the buffer and any parked sender. Kept
   * apart from the buffer so that `len` never exceeds `cap` (an unbuffered
   * channel's stays 0).
   */
  returned: Array<A> | undefined = undefined
  /** A stage's value offered with no fiber waiting on the send (see {@link offer}). */
  offered: Offer<A> | undefined = undefined
  closed = false
  readonly recvq: WaiterList<RecvNode<A>>
  readonly sendq: WaiterList<SendNode<A>>
  readonly capacity: number
  readonly name: string | undefined
  /** A nil channel: never ready, cannot be closed. */
  readonly isNil: boolean
  /** See {@link recv}. */
  private recvOnce: Effect.Effect<Option.Option<A>> | undefined = undefined
  /** See {@link parkRecv}. */
  private parkRecvOnce: Effect.Effect<Option.Option<A>> | undefined = undefined
  /** `recvAll(ch)` with no limit, built on first use. */
  recvAllUnlimited: Effect.Effect<ReadonlyArray<A>> | undefined = undefined
  constructor(capacity: number, name: string | undefined, isNil: boolean) {
    super()
    this.capacity = capacity
    this.name = name
    this.isNil = isNil
    this.buffer = capacity > 0 ? new Ring(capacity) : undefined
    this.recvq = new WaiterList("Chan", name, this, "recv")
    this.sendq = new WaiterList("Chan", name, this, "send")
  }
  /**
   * `recv(ch)`, built on first use, then kept: a receive allocates nothing
   * but its result. (Not built with the channel: many channels are never
   * received from with `recv`: a stage's output is read with `recvAll`, a
   * `done` channel in a select.)
   */
  get recv(): Effect.Effect<Option.Option<A>> {
    return (this.recvOnce ??= this.isNil ? Effect.never : makeRecv(this))
  }
  /**
   * The parking half of `recv` when no waiter is pending (see `park`),
   * built on first use: a park allocates only its node and cancel effect.
   */
  get parkRecv(): Effect.Effect<Option.Option<A>> {
    return (this.parkRecvOnce ??= this.isNil
      ? Effect.never
      : Effect.callback((resume) => {
          // The try first: a receive that finds its value here (a sender
          // resumed by this fiber's flush sent it) needs no node.
          const fiber = Fiber.getCurrent()!
          const now = tryRecv(this, fiber)
          if (now !== undefined && handsOver(fiber)) return resume(now)
          return parkAfter(newRecvNode(this), fiber, now, this.recvq, onRecvCancel, resume)
        }))
  }
  /** For the blocked-fiber dump: a channel's peers are anyone holding it, so no fiber is known to be in the way. */
  diagnose(): Diagnosis {
    return {
      kind: "Chan",
      name: this.name,
      state: { capacity: this.capacity, len: length(this), closed: this.closed },
      queues: [
        { list: this.recvq, wakers: anyone },
        { list: this.sendq, wakers: anyone }
      ],
      holders: []
    }
  }
  toJSON(): ChanState {
    return {
      _id: "Chan",
      name: this.name,
      capacity: this.capacity,
      len: length(this),
      closed: this.closed,
      nil: this.isNil,
      waitingReceivers: this.recvq.size,
      waitingSenders: this.sendq.size
    }
  }
}

/** What `toJSON` shows of a channel (see {@link ChanImpl}). */
export interface ChanState {
  readonly _id: "Chan"
  readonly name: string | undefined
  /** Go's `cap(ch)`. */
  readonly capacity: number
  /** Go's `len(ch)`. */
  readonly len: number
  readonly closed: boolean
  /** A nil channel (`Chan.nil()`): never ready. */
  readonly nil: boolean
  /** Receive operations parked on the channel (plain receives, `forEach` loops, select cases). */
  readonly waitingReceivers: number
  /** Send operations parked on the channel (plain sends and select cases). */
  readonly waitingSenders: number
}

/**
 * The channel behind a `Chan`, `SendChan` or `RecvChan`: the one door to a
 * channel's internals for every module. Anything else is refused with a
 * defect (`CopiedPrimitiveError` for a copy, `InvalidArgumentError`
 * otherwise; see copied.ts).
 */
export const chanOf = <A>(self: unknown): ChanImpl<A> => unwrap<ChanImpl<A>>(self, ChanImpl, "Chan")

/**
 * Fires `sel` on case `index`: marks it done and withdraws its other nodes
 * (its timer, if any, is stopped by the select itself), then resumes its fiber with `exit` — later when `fiber`
 * (the completing fiber) is given.
 */
export const fireSelect = (
  sel: SelectWaiter,
  index: number,
  exit: Exit.Exit<void, ChanClosedError>,
  fiber: Fiber.Fiber<unknown, unknown> | undefined
): void => {
  // A select whose nodes were detached together (close drains a whole
  // list) may already have fired on another of them.
  if (sel.done) return
  sel.done = true
  sel.fired = index
  // However it fired (a channel, a failure, its timeout), its timer is done.
  if (sel.queue !== undefined) disarm(sel)
  const nodes = sel.nodes
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]
    if (node !== undefined && i !== index) node.list?.remove(node)
  }
  if (fiber === undefined) wake(sel, exit)
  else wakeLater(sel, exit, fiber)
}

/**
 * Hands `value` to a parked receiver; `fiber` (the completing fiber) defers
 * its resumption. False when the node belongs to a select that has already
 * fired (only `close`, which detaches whole lists, can meet one).
 */
const deliver = <A>(
  node: RecvNode<A>,
  value: Option.Option<A>,
  fiber: Fiber.Fiber<unknown, unknown> | undefined
): boolean => {
  const sel = node.select
  if (sel !== undefined) {
    if (sel.done) return false
    sel.received = value
    fireSelect(sel, node.caseIndex, Exit.void, fiber)
  } else if (fiber === undefined) {
    wake(node, Exit.succeed(value))
  } else {
    wakeLater(node, Exit.succeed(value), fiber)
  }
  return true
}

/** Hands `value` to the first parked receiver that takes it; false when none does. */
const deliverToReceiver = <A>(ch: ChanImpl<A>, value: A, fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  for (let receiver = ch.recvq.shift(); receiver !== undefined; receiver = ch.recvq.shift()) {
    if (deliver(receiver, Option.some(value), fiber)) return true
  }
  return false
}

const completeSender = <A>(
  node: SendNode<A>,
  exit: Exit.Exit<void, ChanClosedError>,
  fiber: Fiber.Fiber<unknown, unknown> | undefined
): void => {
  if (node.select !== undefined) fireSelect(node.select, node.caseIndex, exit, fiber)
  else if (fiber === undefined) wake(node, exit)
  else wakeLater(node, exit, fiber)
}

/** Would a send complete now? (Closed counts as ready: it fails at once.) */
export const canSend = <A>(ch: ChanImpl<A>): boolean =>
  !ch.isNil && (ch.closed || ch.recvq.size > 0 || (ch.buffer !== undefined && ch.buffer.length < ch.capacity))

/** Would a receive complete now? (Closed counts as ready: it yields none.) */
export const canRecv = <A>(ch: ChanImpl<A>): boolean => !ch.isNil && (ch.closed || hasValue(ch))

/** Is there a value to receive now (given back, buffered, or from a parked sender)? */
const hasValue = <A>(ch: ChanImpl<A>): boolean =>
  ch.returned !== undefined ||
  ch.sendq.size > 0 ||
  ch.offered !== undefined ||
  (ch.buffer !== undefined && ch.buffer.length > 0)

/**
 * Sends without blocking; the caller checked {@link canSend}. Returns the
 * failure for a closed channel, undefined on success.
 */
export const sendNow = <A>(
  ch: ChanImpl<A>,
  value: A,
  fiber: Fiber.Fiber<unknown, unknown>
): ChanClosedError | undefined => {
  if (ch.closed) return new ChanClosedError({ op: "send", chanName: ch.name })
  if (!deliverToReceiver(ch, value, fiber)) ch.buffer!.push(value)
  return undefined
}

/** What {@link takeOne} returns when no value can be received now. */
export const NOTHING: unique symbol = Symbol("effect-go/Chan/nothing")

/**
 * Takes the next value that can be received now, or {@link NOTHING}: a
 * value given back first, then the buffer's oldest (the slot it frees is
 * refilled from the next parked sender), then a parked sender's value. A
 * sender whose value it takes is completed.
 */
export const takeOne = <A>(ch: ChanImpl<A>, fiber: Fiber.Fiber<unknown, unknown>): A | typeof NOTHING => {
  if (ch.returned !== undefined) return takeReturned(ch)
  const buffer = ch.buffer
  if (buffer !== undefined && buffer.length > 0) {
    const value = buffer.shift()
    refill(ch, buffer, fiber)
    return value
  }
  const sender = ch.sendq.shift()
  if (sender !== undefined) {
    completeSender(sender, Exit.void, fiber)
    return sender.value
  }
  const offered = ch.offered
  if (offered === undefined) return NOTHING
  ch.offered = undefined
  offered.taken(fiber)
  return offered.value
}

/** Fills a slot freed in the buffer from the next parked sender, or else the offer. */
const refill = <A>(ch: ChanImpl<A>, buffer: Ring<A>, fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  const sender = ch.sendq.shift()
  if (sender !== undefined) {
    buffer.push(sender.value)
    completeSender(sender, Exit.void, fiber)
    return true
  }
  const offered = ch.offered
  if (offered === undefined) return false
  ch.offered = undefined
  buffer.push(offered.value)
  offered.taken(fiber)
  return true
}

/** Receives without blocking; the caller checked {@link canRecv}. */
export const recvNow = <A>(ch: ChanImpl<A>, fiber: Fiber.Fiber<unknown, unknown>): Option.Option<A> => {
  const value = takeOne(ch, fiber)
  return value === NOTHING ? Option.none() : Option.some(value)
}

/**
 * Returns a value that an interrupted receiver had taken but never resumed
 * to see (completed by a deferred resumption, or handed over in the moment
 * between its interruption and its cancel handler): to the next parked
 * receiver, else to the front of the channel, where the next receive takes
 * it before anything buffered or sent later (it is the oldest value). So
 * nothing is lost and order is kept; the send that delivered it stays
 * completed.
 */
export const giveBack = <A>(ch: ChanImpl<A>, value: A, fiber: Fiber.Fiber<unknown, unknown>): void => {
  if (activeLayers !== 0) event("givenBack", "Chan", ch.name, undefined, fiber, ch)
  if (deliverToReceiver(ch, value, fiber)) return
  if (ch.returned === undefined) ch.returned = [value]
  else ch.returned.unshift(value)
}

const takeReturned = <A>(ch: ChanImpl<A>): A => {
  const returned = ch.returned!
  const value = returned.shift()!
  if (returned.length === 0) ch.returned = undefined
  return value
}

/** Values waiting to be received without a sender: Go's `len(ch)`, never above `cap(ch)`. */
export const length = <A>(ch: ChanImpl<A>): number =>
  Math.min(ch.capacity, (ch.buffer?.length ?? 0) + (ch.returned?.length ?? 0))

/** Closes the channel; the caller checked it is open and not nil. */
export const closeNow = <A>(ch: ChanImpl<A>): void => {
  ch.closed = true
  // Only a stopped stage's output is closed with its offer pending: it goes with the stage.
  ch.offered = undefined
  const receivers = ch.recvq.drain()
  const senders = ch.sendq.drain()
  const none = Option.none<A>()
  for (let i = 0; i < receivers.length; i++) deliver(receivers[i]!, none, undefined)
  for (let i = 0; i < senders.length; i++) {
    completeSender(senders[i]!, Exit.fail(new ChanClosedError({ op: "send", chanName: ch.name })), undefined)
  }
}

/** Closes `ch` unless it is closed already or nil: for owners that may close on several paths. */
export const closeIfOpen = <A>(ch: ChanImpl<A>): void => {
  if (!ch.closed && !ch.isNil) closeNow(ch)
}

/**
 * Closes open channels in two phases: every one reads as closed before any
 * of their waiters wakes (a fiber woken by one channel's close never finds
 * another still open; GoContext closes a subtree's `done` channels so).
 */
export const closeAll = (chans: ReadonlyArray<ChanImpl<any>>): void => {
  for (let i = 0; i < chans.length; i++) chans[i]!.closed = true
  // `closeNow` drains and wakes whatever the `closed` flag says.
  for (let i = 0; i < chans.length; i++) closeNow(chans[i]!)
}

/**
 * A receiver interrupted before it consumed its value (before its fiber
 * resumed with it, or before its `forEach` body started) gives it back.
 * Runs on the receiving fiber.
 */
const onRecvCancel = <A>(node: RecvNode<A>, granted: Exit.Exit<Option.Option<A>> | undefined): void => {
  if (!node.delivered && granted !== undefined && granted._tag === "Success" && granted.value._tag === "Some") {
    giveBack(node.chan!, granted.value.value, Fiber.getCurrent()!)
  }
}

/** A receive that completes now, or undefined if it would block. */
export const tryRecv = <A>(
  ch: ChanImpl<A>,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<Option.Option<A>> | undefined => {
  // canRecv and recvNow in one pass, in recvNow's order (a nil channel has
  // no buffer, no sender and is never closed: undefined).
  const buffer = ch.buffer
  if (
    (buffer !== undefined && buffer.length > 0) ||
    ch.sendq.head !== undefined ||
    ch.returned !== undefined ||
    ch.offered !== undefined
  ) {
    return Exit.succeed(recvNow(ch, fiber))
  }
  return ch.closed ? exitNone : undefined
}

const exitNone = Exit.succeed(Option.none<never>())

/** A send that completes (or fails: closed) now, or undefined if it would block. */
export const trySend = <A>(
  ch: ChanImpl<A>,
  value: A,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<void, ChanClosedError> | undefined => {
  // canSend and sendNow in one pass (a nil channel has no receiver, no
  // buffer and is never closed, so it falls through to undefined).
  if (ch.closed) return Exit.fail(new ChanClosedError({ op: "send", chanName: ch.name }))
  if (ch.recvq.head !== undefined && deliverToReceiver(ch, value, fiber)) return Exit.void
  const buffer = ch.buffer
  if (buffer !== undefined && buffer.length < ch.capacity) {
    buffer.push(value)
    return Exit.void
  }
  return undefined
}

/**
 * Sends `value` now if the channel takes it now (as {@link trySend}), or
 * else leaves it offered: the next receiver takes it as it would take a
 * parked sender's value, and `taken` runs then. For a stage that sends on
 * its own open output and has other work to do than wait for the send: one
 * offer at a time, and the stage closes its output only once its offer has
 * been taken. False when the value was sent now.
 */
export const offer = <A>(
  ch: ChanImpl<A>,
  value: A,
  taken: (fiber: Fiber.Fiber<unknown, unknown>) => void,
  fiber: Fiber.Fiber<unknown, unknown>
): boolean => {
  // (Failed, a send on a closed channel: only the stage closes it, after its offer.)
  if (trySend(ch, value, fiber) !== undefined) return false
  ch.offered = { value, taken }
  return true
}

/** A receiver's try at the moment of parking (see `park`). */
const attemptRecv = <A>(node: RecvNode<A>, fiber: Fiber.Fiber<unknown, unknown>) => tryRecv(node.chan!, fiber)

/**
 * A receive's park (see `park`), through the channel's one callback: a park
 * allocates only its node. Call it from the step that decided to park.
 */
const parkRecv = <A>(ch: ChanImpl<A>): Effect.Effect<Option.Option<A>> => {
  flushPending()
  return ch.parkRecv
}

const makeRecv = <A>(ch: ChanImpl<A>): Effect.Effect<Option.Option<A>> => {
  const self: Effect.Effect<Option.Option<A>> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, self)
    if (!handsOver(fiber)) return parkRecv(ch)
    const now = tryRecv(ch, fiber)
    return now !== undefined ? now : parkRecv(ch)
  })
  return self
}

/**
 * Adds to `out` (a new array when undefined) every value that can be
 * received now, oldest first (see {@link takeOne}), until it holds `max`.
 */
const recvReady = <A>(
  ch: ChanImpl<A>,
  max: number,
  fiber: Fiber.Fiber<unknown, unknown>,
  first: Array<A> | undefined
): Array<A> => {
  // The buffered values in one move when nothing comes before them, then
  // the slots they free refilled from parked senders, oldest first: what
  // taking them one at a time (below) does, without a call per value.
  let out = first
  const buffer = ch.buffer
  if (ch.returned === undefined && buffer !== undefined && buffer.length > 0 && (out?.length ?? 0) < max) {
    const n = Math.min(buffer.length, max - (out?.length ?? 0))
    const taken = buffer.take(n)
    // A parked call's first value, then the buffer's, in one copy.
    out = out === undefined ? taken : out.concat(taken)
    for (let i = 0; i < n && refill(ch, buffer, fiber); i++) {}
  }
  if (out === undefined) out = []
  while (out.length < max) {
    const value = takeOne(ch, fiber)
    if (value === NOTHING) break
    out.push(value)
  }
  return out
}

const noValues: ReadonlyArray<never> = []
const exitNoValues = Exit.succeed(noValues)

/** A `recvAll` that completes now (values, or none: closed and drained), or undefined if it would block. */
const tryRecvAll = <A>(
  ch: ChanImpl<A>,
  max: number,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<ReadonlyArray<A>> | undefined => {
  if (hasValue(ch)) return Exit.succeed(recvReady(ch, max, fiber, undefined))
  return ch.closed ? exitNoValues : undefined
}

/**
 * `recvAll(ch, max)`: waits as a receive does for a first value, then takes
 * with it every value ready, up to `max`; an empty array once the channel
 * is closed and drained. A parked call is handed one value like any
 * receiver (so the exactly-once protocol of a receive covers it: the value
 * goes back to the channel if the fiber is interrupted before it resumes)
 * and takes the rest in the step it resumes with (see `RecvAllNode`).
 */
export const recvAll = <A>(ch: ChanImpl<A>, max: number): Effect.Effect<ReadonlyArray<A>> => {
  if (ch.isNil) return Effect.never
  const parkNowAll = Effect.callback<ReadonlyArray<A>>((resume) => {
    // The try first, as a parking receive's: values found here need no node.
    const fiber = Fiber.getCurrent()!
    if (handsOver(fiber)) {
      const now = tryRecvAll(ch, max, fiber)
      if (now !== undefined) return resume(now)
    }
    return parkNow(new RecvAllNode(ch, max), fiber, attemptRecv, ch.recvq, onRecvCancel, resume)
  })
  const parked = (): Effect.Effect<ReadonlyArray<A>> => {
    flushPending()
    return parkNowAll
  }
  const self: Effect.Effect<ReadonlyArray<A>> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, self)
    if (!handsOver(fiber)) return parked()
    return tryRecvAll(ch, max, fiber) ?? parked()
  })
  return self
}

/**
 * `for v := range ch { f(v) }`: one step per value, which receives without
 * an `Option` or an `Exit` while values are ready and parks only when none
 * is. A parked loop is resumed with `f(value)` itself (see `ForEachNode`),
 * so that the body starts in the first steps after the resumption; the
 * loop's next step waits below it.
 */
export const forEach = <A, E, R>(
  ch: ChanImpl<A>,
  f: (value: A) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, E, R> => {
  if (ch.isNil) return Effect.never
  const parkNowBody = Effect.callback<unknown, E, R>((resume) =>
    parkNow(new ForEachNode(ch, f), Fiber.getCurrent()!, attemptRecv, ch.recvq, onRecvCancel, resume)
  )
  const parked = (): Effect.Effect<void, E, R> => {
    flushPending()
    return parkNowThenStep
  }
  const step: Effect.Effect<void, E, R> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, step)
    if (!canRecv(ch)) return parked()
    // Closed and drained: the loop ends (no value to hand over).
    if (!handsOver(fiber)) return ch.closed && !hasValue(ch) ? Effect.void : parked()
    const value = takeOne(ch, fiber)
    return value !== NOTHING ? Effect.andThen(f(value), step) : Effect.void
  })
  const parkNowThenStep = Effect.andThen(parkNowBody, step)
  return step
}

/** `send(ch, value)`. */
export const send = <A>(ch: ChanImpl<A>, value: A): Effect.Effect<void, ChanClosedError> => {
  if (ch.isNil) return Effect.never
  const self: Effect.Effect<void, ChanClosedError> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, self)
    let now = trySend(ch, value, fiber)
    if (now === undefined && hasPending()) {
      // Resume the waiters this fiber completed (a receiver among them may
      // come back to this channel) and try again, in this step. A send may
      // take after a flush, unlike a receive: a fiber resumed by the flush
      // that interrupts this one does so after the value went to a
      // receiver, which keeps it: the send happened, as it does when an
      // interruption lands just after a send that completed at once.
      flushPending()
      now = trySend(ch, value, fiber)
    }
    return now !== undefined ? now : parkSend(ch, value, fiber)
  })
  return self
}

/**
 * The parking half of a send. (A function of its own: closures built here
 * would make every send, parking or not, allocate a context for `fiber`.)
 * A send that completes stands: an interrupted sender has nothing to give
 * back.
 */
const parkSend = <A>(ch: ChanImpl<A>, value: A, fiber: Fiber.Fiber<unknown, unknown>) => {
  const node = new SendNode(value)
  node.op = "send"
  node.chan = ch
  return park(node, fiber, attemptSend, ch.sendq, undefined)
}

/** A sender's try at the moment of parking (see `park`). */
const attemptSend = <A>(node: SendNode<A>, fiber: Fiber.Fiber<unknown, unknown>) =>
  trySend(node.chan!, node.value, fiber)

/**
 * Go's `select` statement: wait on several channel operations and commit
 * exactly one.
 *
 * ```go
 * select {
 * case v, ok := <-in:   handle(v, ok)
 * case out <- x:        sent()
 * case <-time.After(d): timedOut()
 * default:              nothingReady()
 * }
 * ```
 *
 * is, in effect-go:
 *
 * ```ts
 * Select.select(
 *   Select.recv(in, (v) => handle(v)),          // v: Option<A>, none once closed
 *   Select.send(out, x, () => sent),
 *   Select.after("1 second", () => timedOut),
 *   Select.otherwise(() => nothingReady)       // Go's `default:`
 * )
 * ```
 *
 * The result type is the union of the handlers' results, the error type the
 * union of their errors (plus {@link ChanClosedError} when there is a send
 * case: a send case on a closed channel fails, where Go panics).
 *
 * Semantics (Go's, from the spec and runtime/select.go):
 * - every ready case has the same chance; the choice draws from Effect's
 *   `Random`, so a seeded `Random` makes a test repeatable;
 * - `otherwise` runs only when no case is ready at the moment of the select;
 * - with nothing ready, the select parks on every channel at once; the first
 *   counterparty commits it and withdraws it from the other channels, so a
 *   value is never taken twice nor lost (unlike racing `take`s);
 * - a receive case on a closed channel is ready (it yields `none`);
 * - nil-channel cases are never chosen; a select with no case blocks forever;
 * - a select never pairs its own send and receive on one channel;
 * - an interrupted select leaves no registration on any channel.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Chan from "./Chan.ts"
import type { RecvChan, SendChan } from "./Chan.ts"
import {
  type ChanClosedError,
  type ChanImpl,
  canRecv,
  canSend,
  fireSelect,
  giveBack,
  RecvNode,
  recvNow,
  SelectWaiter,
  SendNode,
  sendNow
} from "./internal/chan.ts"
import { cancel, flushPending, parkTime, tooDeep } from "./internal/waiters.ts"

const CaseTypeId = "~effect-go/Select/Case" as const

/**
 * One case of a {@link select}: its handler's success, error and context.
 *
 * @since 0.1.0
 */
export interface Case<out A, out E = never, out R = never> {
  readonly [CaseTypeId]: { readonly _A: (_: never) => A; readonly _E: (_: never) => E; readonly _R: (_: never) => R }
}

type AnyHandler = (value: any) => Effect.Effect<any, any, any>

type RecvCase = { readonly _tag: "Recv"; readonly chan: ChanImpl<any>; readonly f: AnyHandler }
type SendCase = { readonly _tag: "Send"; readonly chan: ChanImpl<any>; readonly value: unknown; readonly f: AnyHandler }
type AfterCase = { readonly _tag: "After"; readonly duration: Duration.Duration; readonly f: AnyHandler }
type CaseImpl = RecvCase | SendCase | AfterCase | { readonly _tag: "Otherwise"; readonly f: AnyHandler }

const toCase = <A, E, R>(c: CaseImpl): Case<A, E, R> => c as unknown as Case<A, E, R>
const succeed = Effect.succeed
const asVoid = () => Effect.void

/**
 * A receive case: Go's `case v, ok := <-ch:`. The handler gets `Option<A>`,
 * `none` when the channel is closed and drained. Without a handler the
 * select returns the `Option`.
 *
 * @since 0.1.0
 */
export const recv: {
  <A>(chan: RecvChan<A>): Case<Option.Option<A>>
  <A, B, E = never, R = never>(chan: RecvChan<A>, f: (value: Option.Option<A>) => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((chan: RecvChan<any>, f?: AnyHandler) => toCase({ _tag: "Recv", chan: Chan.impl(chan), f: f ?? succeed })) as any

/**
 * A send case: Go's `case ch <- value:`. Fails the select with
 * {@link ChanClosedError} when chosen on a closed channel.
 *
 * @since 0.1.0
 */
export const send: {
  <A>(chan: SendChan<A>, value: A): Case<void, ChanClosedError>
  <A, B, E = never, R = never>(
    chan: SendChan<A>,
    value: A,
    f: () => Effect.Effect<B, E, R>
  ): Case<B, E | ChanClosedError, R>
} = ((chan: SendChan<any>, value: unknown, f?: AnyHandler) =>
  toCase({ _tag: "Send", chan: Chan.impl(chan), value, f: f ?? asVoid })) as any

/**
 * A timeout case: Go's `case <-time.After(d):`. Chosen when nothing else
 * happened within `duration` (measured by Effect's `Clock`, so `TestClock`
 * controls it). Never ready when the select starts, so `otherwise` wins over
 * it, as in Go.
 *
 * @since 0.1.0
 */
export const after: {
  (duration: Duration.Input): Case<void>
  <B, E = never, R = never>(duration: Duration.Input, f: () => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((duration: Duration.Input, f?: AnyHandler) =>
  toCase({ _tag: "After", duration: Duration.fromInputUnsafe(duration), f: f ?? asVoid })) as any

/**
 * The default case: Go's `default:`. Runs when no other case is ready at the
 * moment of the select, making it non-blocking.
 *
 * @since 0.1.0
 */
export const otherwise: {
  (): Case<void>
  <B, E = never, R = never>(f: () => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((f?: AnyHandler) => toCase({ _tag: "Otherwise", f: f ?? asVoid })) as any

type CaseSuccess<C> = C extends Case<infer A, infer _E, infer _R> ? A : never
type CaseError<C> = C extends Case<infer _A, infer E, infer _R> ? E : never
type CaseContext<C> = C extends Case<infer _A, infer _E, infer R> ? R : never

/**
 * Waits until one of `cases` can proceed, commits exactly that one and runs
 * its handler. See the module documentation for the semantics.
 *
 * @example
 * ```ts
 * const next = Select.select(
 *   Select.recv(jobs, (job) => Effect.succeed(job)),
 *   Select.after("500 millis", () => Effect.succeed(Option.none()))
 * )
 * ```
 *
 * @since 0.1.0
 */
export const select = <const Cases extends ReadonlyArray<Case<any, any, any>>>(
  ...cases: Cases
): Effect.Effect<CaseSuccess<Cases[number]>, CaseError<Cases[number]>, CaseContext<Cases[number]>> => {
  const impls = cases as unknown as ReadonlyArray<CaseImpl>
  let otherwiseCase: CaseImpl | undefined
  // The earliest timeout case is the only one that can fire.
  let afterIndex = -1
  let afterCase: AfterCase | undefined
  for (let i = 0; i < impls.length; i++) {
    const c = impls[i]!
    if (c._tag === "Otherwise") {
      if (otherwiseCase !== undefined) throw new Error("Select.select: more than one otherwise (default) case")
      otherwiseCase = c
    } else if (c._tag === "After" && (afterCase === undefined || Duration.isLessThan(c.duration, afterCase.duration))) {
      afterIndex = i
      afterCase = c
    }
  }
  const self: Effect.Effect<any, any, any> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, self)
    const ready = pickReady(impls, fiber)
    if (ready >= 0) {
      const c = impls[ready] as RecvCase | SendCase
      const done = perform(c, fiber)
      return done._tag === "Failure" ? done : c.f(done.value)
    }
    if (otherwiseCase !== undefined) return otherwiseCase.f(undefined)
    return park(impls, afterIndex, afterCase, fiber)
  })
  return self
}

/** The index of a uniformly chosen ready channel case, or -1. */
const pickReady = (impls: ReadonlyArray<CaseImpl>, fiber: Fiber.Fiber<unknown, unknown>): number => {
  let count = 0
  let only = -1
  for (let i = 0; i < impls.length; i++) {
    if (isReady(impls[i]!)) {
      count++
      only = i
    }
  }
  if (count <= 1) return only
  // Several ready: draw one uniformly through Effect's Random.
  let k = Math.floor(fiber.getRef(Random.Random).nextDoubleUnsafe() * count)
  for (let i = 0; i < impls.length; i++) {
    if (isReady(impls[i]!) && k-- === 0) return i
  }
  return only
}

const isReady = (c: CaseImpl): boolean =>
  c._tag === "Recv" ? canRecv(c.chan) : c._tag === "Send" ? canSend(c.chan) : false

/**
 * Performs a ready channel case (the caller checked it is ready): what its
 * handler gets — the received `Option` or, for a send, undefined — or the
 * failure of a send on a closed channel.
 */
const perform = (
  c: RecvCase | SendCase,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<Option.Option<unknown> | undefined, ChanClosedError> => {
  if (c._tag === "Recv") return Exit.succeed(recvNow(c.chan, fiber))
  const error = sendNow(c.chan, c.value, fiber)
  return error === undefined ? exitUndefined : Exit.fail(error)
}

const exitUndefined = Exit.succeed(undefined)

const park = (
  impls: ReadonlyArray<CaseImpl>,
  afterIndex: number,
  afterCase: AfterCase | undefined,
  fiber: Fiber.Fiber<unknown, unknown>
): Effect.Effect<any, any, any> => {
  const sel = new SelectWaiter()
  sel.op = "select"
  let channelCases = 0
  for (let i = 0; i < impls.length; i++) {
    const c = impls[i]!
    if ((c._tag === "Recv" || c._tag === "Send") && !c.chan.isNil) channelCases++
  }
  // No channel can ever become ready and no timer: block forever (Go's
  // `select {}`), interruptibly.
  if (channelCases === 0 && afterCase === undefined) return Effect.never
  const parked = Effect.callback<void, ChanClosedError>((resume) => {
    // Look again before parking: Effect may have yielded between the first
    // poll and this registration, and other fibers may have made a case
    // ready (or the timer, started just before, may have fired already).
    if (sel.done) return resume(Exit.void)
    const ready = pickReady(impls, fiber)
    if (ready >= 0) {
      sel.done = true
      sel.fired = ready
      const done = perform(impls[ready] as RecvCase | SendCase, fiber)
      if (done._tag === "Failure") return resume(done)
      if (done.value !== undefined) sel.received = done.value
      return resume(Exit.void)
    }
    sel.resume = resume
    sel.fiber = fiber
    sel.since = parkTime(fiber)
    const nodes: Array<RecvNode<any> | SendNode<any> | undefined> = new Array(impls.length)
    sel.nodes = nodes
    for (let i = 0; i < impls.length; i++) {
      const c = impls[i]!
      if (c._tag === "Recv" && !c.chan.isNil) {
        const node = new RecvNode<any>()
        node.select = sel
        node.caseIndex = i
        node.chan = c.chan
        node.op = "select recv"
        node.fiber = fiber
        node.since = sel.since
        c.chan.recvq.push(node)
        nodes[i] = node
      } else if (c._tag === "Send" && !c.chan.isNil) {
        const node = new SendNode<any>(c.value)
        node.select = sel
        node.caseIndex = i
        node.op = "select send"
        node.fiber = fiber
        node.since = sel.since
        c.chan.sendq.push(node)
        nodes[i] = node
      }
    }
    flushPending()
    return Effect.sync(() =>
      cancel(sel, (s, completed) =>
        withdraw(s, completed as Exit.Exit<void, ChanClosedError> | undefined, impls, fiber)
      )
    )
  })
  const handled = Effect.flatMap(parked, () => {
    const c = impls[sel.fired]!
    return c._tag === "Recv" ? c.f(sel.received) : c.f(undefined)
  })
  if (afterCase === undefined) return handled
  const timer = Effect.flatMap(Effect.sleep(afterCase.duration), () =>
    Effect.sync(() => fireSelect(sel, afterIndex, Exit.void, undefined))
  )
  return Effect.flatMap(Effect.forkChild(timer, { startImmediately: true }), (timerFiber) =>
    Effect.ensuring(handled, Fiber.interrupt(timerFiber))
  )
}

/** Cancel handler of an interrupted select: leave no node behind, lose no value. */
const withdraw = (
  sel: SelectWaiter,
  completed: Exit.Exit<void, ChanClosedError> | undefined,
  impls: ReadonlyArray<CaseImpl>,
  fiber: Fiber.Fiber<unknown, unknown>
): void => {
  const nodes = sel.nodes
  for (let i = 0; i < nodes.length; i++) nodes[i]?.list?.remove(nodes[i]!)
  sel.done = true
  // Committed on a buffered channel but interrupted before it resumed: a
  // received value goes back to its channel; a completed send stands.
  if (completed !== undefined && sel.fired >= 0) {
    const c = impls[sel.fired]!
    if (c._tag === "Recv" && sel.received._tag === "Some") giveBack(c.chan, sel.received.value, fiber)
  }
}

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
 * import { Effect, Option } from "effect"
 * import { Chan, Select } from "effect-go"
 *
 * declare const input: Chan.RecvChan<string>
 * declare const out: Chan.SendChan<number>
 *
 * const step = Select.select(
 *   Select.recv(input, (v) => Effect.succeed(Option.getOrElse(v, () => "closed"))), // v: Option<string>
 *   Select.send(out, 42, () => Effect.succeed("sent")),
 *   Select.after("1 second", () => Effect.succeed("timed out")),
 *   Select.otherwise(() => Effect.succeed("nothing ready")) // Go's `default:`
 * )
 * // step: Effect<string, ChanClosedError>
 * ```
 *
 * The result type is the union of the handlers' results, the error type the
 * union of their errors (plus {@link ChanClosedError} when there is a send
 * case: a send case on a closed channel fails, where Go panics).
 *
 * Semantics (Go's, from the spec and runtime/select.go):
 * - every ready case has the same chance, and so has every parked case when
 *   several cases wait on one channel (Go permutes them before it parks);
 *   the choice draws from Effect's `Random`, so a seeded `Random` makes a
 *   test repeatable;
 * - `otherwise` runs only when no case is ready at the moment of the select;
 * - with nothing ready, the select parks on every channel at once; the first
 *   counterparty commits it and withdraws it from the other channels, so a
 *   value is never taken twice nor lost (unlike racing `take`s);
 * - a receive case on a closed channel is ready (it yields `none`);
 * - nil-channel cases are never chosen; a select with no case blocks forever;
 * - a select never pairs its own send and receive on one channel;
 * - an interrupted select leaves no registration on any channel;
 * - once a select commits a case, that case's handler starts before an
 *   interruption can land; interrupted before it commits, the select did
 *   nothing — a value it had received goes back to its channel (as with
 *   `Chan.recv`), a send it completed stands;
 * - two `otherwise` cases (Go: "multiple defaults in select"), a case built
 *   from a bad argument (no channel, a handler that is no function, a bad
 *   duration) or an argument that is no case make the select die when it
 *   runs (`InvalidArgumentError`, `CopiedPrimitiveError`,
 *   `InvalidDurationError`), never while a case is built; a handler that
 *   returns no Effect makes it die with `InvalidArgumentError`. So no case
 *   constructor and no select adds an error of its own for misuse.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import * as Random from "effect/Random"
import type { RecvChan, SendChan } from "./Chan.ts"
import {
  type ChanClosedError,
  ChanImpl,
  canRecv,
  canSend,
  giveBack,
  type RecvNode,
  recvNow,
  SelectRecvNode,
  SelectSendNode,
  SelectWaiter,
  type SendNode,
  sendNow
} from "./internal/chan.ts"
import { invalidArgument, refusal } from "./internal/copied.ts"
import { arm, disarm } from "./internal/deadlines.ts"
import { parseDuration } from "./internal/duration.ts"
import { handsOver, park as parkOn, parkTime, tooDeep } from "./internal/waiters.ts"
import { activeLayers, event, SELECT_SITE } from "./internal/telemetry.ts"
import { isEffect } from "./internal/function.ts"
import { refReader } from "./internal/refs.ts"

const CaseTypeId = "~effect-go/Select/Case" as const

/**
 * One case of a {@link select}: its handler's success, error and context.
 *
 * Deliberately opaque, and neither `Pipeable` nor `Inspectable`: a case is a
 * one-shot description that only {@link select} consumes. It has no state of
 * its own to observe (its channel is inspectable: log the channel) and no
 * combinator takes it, so a `pipe` would have nothing to pipe into; its
 * fields (the handler, the value a send case carries) are not part of the
 * API.
 *
 * @category models
 * @since 0.1.0
 */
export interface Case<out A, out E = never, out R = never> {
  readonly [CaseTypeId]: { readonly _A: (_: never) => A; readonly _E: (_: never) => E; readonly _R: (_: never) => R }
}

type AnyHandler = (value: any) => Effect.Effect<any, any, any>

type RecvCase = { readonly _tag: "Recv"; readonly chan: ChanImpl<any>; readonly f: AnyHandler }
type SendCase = { readonly _tag: "Send"; readonly chan: ChanImpl<any>; readonly value: unknown; readonly f: AnyHandler }
type AfterCase = { readonly _tag: "After"; readonly duration: Duration.Duration; readonly f: AnyHandler }
type OtherwiseCase = { readonly _tag: "Otherwise"; readonly f: AnyHandler }
/**
 * A case built from a bad argument (not a channel, not a function, not a
 * duration): building it throws nothing, the select that gets it dies with
 * `defect` when it runs.
 */
type InvalidCase = { readonly _tag: "Invalid"; readonly defect: unknown }
type CaseImpl = RecvCase | SendCase | AfterCase | OtherwiseCase | InvalidCase

const toCase = <A, E, R>(c: CaseImpl): Case<A, E, R> => c as unknown as Case<A, E, R>
const succeed = Effect.succeed
const asVoid = () => Effect.void

/** A case's handler: `f`, the default when absent, or the defect of a handler that is no function. */
const handlerOf = (op: string, f: unknown, absent: AnyHandler): AnyHandler | InvalidCase =>
  f === undefined
    ? absent
    : typeof f === "function"
      ? (f as AnyHandler)
      : { _tag: "Invalid", defect: invalidArgument(op, "a function (the case's handler)", f) }

/**
 * A receive case: Go's `case v, ok := <-ch:`. The handler gets `Option<A>`,
 * `none` when the channel is closed and drained. Without a handler the
 * select returns the `Option`. A bad channel or handler makes the select die
 * when it runs (see the module doc).
 *
 * @category constructors
 * @since 0.1.0
 */
export const recv: {
  /**
   * A receive case without a handler: Go's `case v, ok := <-ch:`, where the
   * select returns what it received, `Option<A>` (`none` once the channel is
   * closed and drained).
   *
   * @example
   * ```ts
   * import { Chan, Select } from "effect-go"
   *
   * declare const a: Chan.RecvChan<number>
   * declare const b: Chan.RecvChan<number>
   *
   * // Whichever has a value first: Effect<Option<number>>
   * const first = Select.select(Select.recv(a), Select.recv(b))
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <A>(chan: RecvChan<A>): Case<Option.Option<A>>
  /**
   * A receive case: Go's `case v, ok := <-ch: f(v)`. When it is chosen, `f`
   * runs on the received `Option<A>` (`none` once the channel is closed and
   * drained), and the select returns what `f` returns; `f` starts before an
   * interruption can land, so the value is never lost.
   *
   * @example
   * ```ts
   * import { Effect, Option } from "effect"
   * import { Chan, Select } from "effect-go"
   *
   * declare const jobs: Chan.RecvChan<string>
   *
   * const next = Select.select(
   *   Select.recv(jobs, (job) => Effect.succeed(Option.getOrElse(job, () => "no more jobs"))),
   *   Select.after("1 second", () => Effect.succeed("idle"))
   * )
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <A, B, E = never, R = never>(chan: RecvChan<A>, f: (value: Option.Option<A>) => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((chan: unknown, f?: unknown) => {
  if (!(chan instanceof ChanImpl)) return toCase({ _tag: "Invalid", defect: refusal(chan, "Chan") })
  const handler = handlerOf("Select.recv", f, succeed)
  return toCase(typeof handler === "function" ? { _tag: "Recv", chan, f: handler } : handler)
}) as any

/**
 * A send case: Go's `case ch <- value:`. Fails the select with
 * {@link ChanClosedError} when chosen on a closed channel (Go panics). A bad
 * channel or handler makes the select die when it runs (see the module
 * doc).
 *
 * @category constructors
 * @since 0.1.0
 */
export const send: {
  /**
   * A send case without a handler: Go's `case ch <- value:`; the select
   * returns `void` when it is chosen. Fails the select with
   * {@link ChanClosedError} when chosen on a closed channel.
   *
   * @example
   * ```ts
   * import { Chan, Select } from "effect-go"
   *
   * declare const out: Chan.SendChan<string>
   *
   * // Send, or drop the value when nobody is ready: Effect<void, ChanClosedError>
   * const offer = Select.select(Select.send(out, "event"), Select.otherwise())
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <A>(chan: SendChan<A>, value: A): Case<void, ChanClosedError>
  /**
   * A send case: Go's `case ch <- value: f()`. When the value has been sent,
   * `f` runs and the select returns what it returns. Fails the select with
   * {@link ChanClosedError} when chosen on a closed channel.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan, Select } from "effect-go"
   *
   * declare const out: Chan.SendChan<number>
   *
   * const sent = Select.select(
   *   Select.send(out, 1, () => Effect.succeed(true)),
   *   Select.after("100 millis", () => Effect.succeed(false))
   * ) // Effect<boolean, ChanClosedError>
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <A, B, E = never, R = never>(
    chan: SendChan<A>,
    value: A,
    f: () => Effect.Effect<B, E, R>
  ): Case<B, E | ChanClosedError, R>
} = ((chan: unknown, value: unknown, f?: unknown) => {
  if (!(chan instanceof ChanImpl)) return toCase({ _tag: "Invalid", defect: refusal(chan, "Chan") })
  const handler = handlerOf("Select.send", f, asVoid)
  return toCase(typeof handler === "function" ? { _tag: "Send", chan, value, f: handler } : handler)
}) as any

/**
 * A timeout case: Go's `case <-time.After(d):`. Chosen when nothing else
 * happened within `duration` (measured by Effect's `Clock`, so `TestClock`
 * controls it). Never ready when the select starts, so `otherwise` wins over
 * it, as in Go. An infinite duration is never chosen: `after(timeout ??
 * Infinity)` is an optional timeout. A duration that is not one (`"bogus"`,
 * `NaN`, `{ ms: 5 }`) or is negative makes the select die with
 * `InvalidDurationError` when it runs, with the message `Timer.make` dies
 * with for the same input.
 *
 * @category constructors
 * @since 0.1.0
 */
export const after: {
  /**
   * A timeout case without a handler: Go's `case <-time.After(d):`; the
   * select returns `void` when nothing else happened within `duration` (on
   * Effect's `Clock`). An infinite duration is never chosen; a bad one makes
   * the select die with `InvalidDurationError`.
   *
   * @example
   * ```ts
   * import { Chan, Select } from "effect-go"
   *
   * declare const done: Chan.RecvChan<void>
   *
   * // Wait for done, at most 5 seconds: Effect<Option<void> | void>
   * const waitDone = Select.select(Select.recv(done), Select.after("5 seconds"))
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  (duration: Duration.Input): Case<void>
  /**
   * A timeout case: Go's `case <-time.After(d): f()`. When nothing else
   * happened within `duration` (on Effect's `Clock`), `f` runs and the
   * select returns what it returns. An infinite duration is never chosen,
   * so `after(timeout ?? Infinity, f)` is an optional timeout; a bad
   * duration makes the select die with `InvalidDurationError`.
   *
   * @example
   * ```ts
   * import { Effect, Option } from "effect"
   * import { Chan, Select } from "effect-go"
   *
   * declare const replies: Chan.RecvChan<string>
   * declare const timeout: number | undefined
   *
   * const reply = Select.select(
   *   Select.recv(replies, (r) => Effect.succeed(r)),
   *   Select.after(timeout ?? Infinity, () => Effect.succeed(Option.none<string>()))
   * )
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <B, E = never, R = never>(duration: Duration.Input, f: () => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((duration: unknown, f?: unknown) => {
  const decoded = parseDuration(duration, true)
  if (!Duration.isDuration(decoded)) return toCase({ _tag: "Invalid", defect: decoded })
  const handler = handlerOf("Select.after", f, asVoid)
  return toCase(typeof handler === "function" ? { _tag: "After", duration: decoded, f: handler } : handler)
}) as any

/**
 * The default case: Go's `default:`. Runs when no other case is ready at the
 * moment of the select, making it non-blocking. At most one per select (two
 * make it die with {@link MultipleDefaultsError}).
 *
 * @category constructors
 * @since 0.1.0
 */
export const otherwise: {
  /**
   * The default case without a handler: Go's `default:`; the select returns
   * `void` at once when no other case is ready.
   *
   * @example
   * ```ts
   * import { Chan, Select } from "effect-go"
   *
   * declare const quit: Chan.RecvChan<void>
   *
   * // Non-blocking check: Effect<Option<void> | void>
   * const poll = Select.select(Select.recv(quit), Select.otherwise())
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  (): Case<void>
  /**
   * The default case: Go's `default: f()`. When no other case is ready at
   * the moment of the select, `f` runs and the select returns what it
   * returns.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Chan, Select } from "effect-go"
   *
   * declare const quit: Chan.RecvChan<void>
   *
   * const shouldStop = Select.select(
   *   Select.recv(quit, () => Effect.succeed(true)),
   *   Select.otherwise(() => Effect.succeed(false))
   * )
   * ```
   *
   * @category constructors
   * @since 0.1.0
   */
  <B, E = never, R = never>(f: () => Effect.Effect<B, E, R>): Case<B, E, R>
} = ((f?: unknown) => {
  const handler = handlerOf("Select.otherwise", f, asVoid)
  return toCase(typeof handler === "function" ? { _tag: "Otherwise", f: handler } : handler)
}) as any

type CaseSuccess<C> = C extends Case<infer A, infer _E, infer _R> ? A : never
type CaseError<C> = C extends Case<infer _A, infer E, infer _R> ? E : never
type CaseContext<C> = C extends Case<infer _A, infer _E, infer R> ? R : never

/**
 * Two `Select.otherwise` cases in one select: Go rejects this at compile time
 * ("multiple defaults in select"); here the select dies with this defect.
 *
 * @category errors
 * @since 0.1.0
 */
export class MultipleDefaultsError extends Data.TaggedError("MultipleDefaultsError")<{
  readonly count: number
}> {
  override get message(): string {
    return `multiple defaults in select: got ${this.count} Select.otherwise cases, want at most 1`
  }
}

/**
 * Waits until one of `cases` can proceed, commits exactly that one and runs
 * its handler. Go: `select { ... }`. The result is the union of the
 * handlers' results, the error the union of their errors (with
 * {@link ChanClosedError} for a send case). See the module documentation for
 * the semantics; a select without cases blocks until interrupted (Go's
 * `select {}`).
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan, Select } from "effect-go"
 *
 * declare const jobs: Chan.RecvChan<string>
 *
 * // Effect<Option<string>>: none when the channel is closed or after 500 ms
 * const next = Select.select(
 *   Select.recv(jobs, (job) => Effect.succeed(job)),
 *   Select.after("500 millis", () => Effect.succeed(Option.none<string>()))
 * )
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const select = <const Cases extends ReadonlyArray<Case<any, any, any>>>(
  ...cases: Cases
): Effect.Effect<CaseSuccess<Cases[number]>, CaseError<Cases[number]>, CaseContext<Cases[number]>> => {
  const impls = cases as unknown as ReadonlyArray<ValidCase>
  let otherwiseIndex = -1
  let otherwiseCount = 0
  // The earliest timeout case is the only one that can fire.
  let afterIndex = -1
  let afterCase: AfterCase | undefined
  for (let i = 0; i < impls.length; i++) {
    const c = impls[i] as CaseImpl
    // A bad case is reported by the select, when it runs.
    if (!isCase(c)) return Effect.die(invalidArgument("Select.select", CASE_WANTED, c))
    if (c._tag === "Invalid") return Effect.die(c.defect)
    if (c._tag === "Otherwise") {
      otherwiseCount++
      if (otherwiseIndex < 0) otherwiseIndex = i
    } else if (c._tag === "After") {
      if (afterCase === undefined || Duration.isLessThan(c.duration, afterCase.duration)) {
        afterIndex = i
        afterCase = c
      }
    }
  }
  if (otherwiseCount > 1) return Effect.die(new MultipleDefaultsError({ count: otherwiseCount }))
  const plan: Plan = {
    impls,
    otherwiseIndex,
    afterIndex,
    // An infinite timeout never fires: no timer.
    after:
      afterCase === undefined || otherwiseIndex >= 0 || !Duration.isFinite(afterCase.duration)
        ? undefined
        : afterCase.duration,
    sharedChannel: sharesChannel(impls)
  }
  const self: Effect.Effect<any, any, any> = Effect.withFiber((fiber) => {
    if (tooDeep()) return Effect.andThen(Effect.yieldNow, self)
    const ready = pickReady(impls, fiber)
    if (ready >= 0) {
      // Commit now only if the handler surely starts before the fiber can
      // be interrupted; else commit at registration and resume later.
      if (!handsOver(fiber)) return park(plan, fiber)
      const c = impls[ready] as RecvCase | SendCase
      if (activeLayers !== 0) event("selects", "Select", undefined, "ready", fiber)
      // A receive hands its value straight to the handler (no Exit around it).
      if (c._tag === "Recv") return runHandler(c, recvNow(c.chan, fiber))
      const done = perform(c, fiber)
      return done._tag === "Failure" ? done : runHandler(c, done.value)
    }
    if (otherwiseIndex >= 0) {
      if (activeLayers !== 0) event("selects", "Select", undefined, "default", fiber)
      return runHandler(impls[otherwiseIndex]!, undefined)
    }
    return park(plan, fiber)
  })
  return self
}

/** The cases of a select that passed its checks. */
type ValidCase = Exclude<CaseImpl, InvalidCase>

const CASE_WANTED = "a case (Select.recv, Select.send, Select.after or Select.otherwise)"

/** Is `u` a case made by this module (and not, say, a channel or an array of cases)? */
const isCase = (u: unknown): u is CaseImpl => {
  if (typeof u !== "object" || u === null) return false
  const tag = (u as { readonly _tag?: unknown })._tag
  return tag === "Recv" || tag === "Send" || tag === "After" || tag === "Otherwise" || tag === "Invalid"
}

const HANDLER_OPS = { Recv: "Select.recv", Send: "Select.send", After: "Select.after", Otherwise: "Select.otherwise" }

/** Runs a case's handler on what the case produced; a handler that returns no Effect is a defect. */
const runHandler = (c: ValidCase, value: unknown): Effect.Effect<any, any, any> => {
  // A receive case without a handler returns what it received.
  if (c.f === succeed) return Exit.succeed(value)
  const effect: unknown = c.f(value)
  return isEffect(effect)
    ? effect
    : Exit.die(invalidArgument(HANDLER_OPS[c._tag], "its handler to return an Effect", effect))
}

/** What a select needs to park, worked out once when it is built. */
interface Plan {
  readonly impls: ReadonlyArray<ValidCase>
  /** The `otherwise` case, or -1. */
  readonly otherwiseIndex: number
  /** The earliest timeout case, or -1. */
  readonly afterIndex: number
  /** Its duration, when it can fire (never with an `otherwise` case). */
  readonly after: Duration.Duration | undefined
  /** Two channel cases on one channel: their registration order is drawn at random. */
  readonly sharedChannel: boolean
}

const sharesChannel = (impls: ReadonlyArray<ValidCase>): boolean => {
  for (let i = 1; i < impls.length; i++) {
    const a = impls[i]!
    if (a._tag !== "Recv" && a._tag !== "Send") continue
    for (let j = 0; j < i; j++) {
      const b = impls[j]!
      if ((b._tag === "Recv" || b._tag === "Send") && b.chan === a.chan) return true
    }
  }
  return false
}

/** The ready cases' indices, found in one scan (a select runs to its pick without yielding). */
const readyScratch: Array<number> = []

/** The index of a uniformly chosen ready channel case, or -1. */
const pickReady = (impls: ReadonlyArray<ValidCase>, fiber: Fiber.Fiber<unknown, unknown>): number => {
  let count = 0
  for (let i = 0; i < impls.length; i++) if (isReady(impls[i]!)) readyScratch[count++] = i
  if (count <= 1) return count === 0 ? -1 : readyScratch[0]!
  // Several ready: draw one uniformly through Effect's Random.
  return readyScratch[Math.floor(randomOf(fiber).nextDoubleUnsafe() * count)]!
}

/** The fiber's `Random`, looked up once per context (a loop of selects runs in one). */
const randomOf = refReader(Random.Random)

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

/**
 * The blocking half of a select: registers on every channel (or commits a
 * case that became ready meanwhile) and resumes with the fired case's
 * handler itself, so that the handler starts in the first steps after the
 * resumption, before an interruption can land (see `handsOver`); an
 * interruption before that withdraws every registration and gives back a
 * value the select had received.
 */
const park = (plan: Plan, fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<any, any, any> => {
  const impls = plan.impls
  let channelCases = 0
  for (let i = 0; i < impls.length; i++) {
    const c = impls[i]!
    if ((c._tag === "Recv" || c._tag === "Send") && !c.chan.isNil) channelCases++
  }
  // No channel can ever become ready, no timer, no default: block forever
  // (Go's `select {}`), interruptibly.
  if (channelCases === 0 && plan.after === undefined && plan.otherwiseIndex < 0) return Effect.never
  const sel = new SelectWaiter()
  sel.op = "select"
  sel.handler = Effect.suspend(() => {
    sel.delivered = true
    if (activeLayers !== 0)
      event("selects", "Select", undefined, selectedAt ?? (sel.fired === plan.afterIndex ? "timeout" : "parked"))
    const c = impls[sel.fired]!
    return runHandler(c, c._tag === "Recv" ? sel.received : undefined)
  })
  // Look again at the moment of parking: Effect may have yielded since the
  // first poll, and other fibers may have made a case ready.
  // How the select chose when it chose at registration, without waiting (for telemetry).
  let selectedAt: "ready" | "default" | undefined
  const attempt = (): Exit.Exit<void, ChanClosedError> | undefined => {
    if (sel.done) return Exit.void
    const ready = pickReady(impls, fiber)
    if (ready < 0 && plan.otherwiseIndex < 0) return undefined
    sel.done = true
    selectedAt = ready >= 0 ? "ready" : "default"
    sel.fired = ready >= 0 ? ready : plan.otherwiseIndex
    return ready >= 0 ? commit(sel, impls[ready] as RecvCase | SendCase, fiber) : Exit.void
  }
  const parked = parkOn(
    sel,
    fiber,
    attempt,
    (node, f) => register(node, plan, f),
    (node, granted) => withdraw(node, granted, impls)
  )
  return parked
}

/** Performs a ready case for a select at its registration; the handler's input goes into `sel`. */
const commit = (
  sel: SelectWaiter,
  c: RecvCase | SendCase,
  fiber: Fiber.Fiber<unknown, unknown>
): Exit.Exit<void, ChanClosedError> => {
  const done = perform(c, fiber)
  if (done._tag === "Failure") return done
  if (done.value !== undefined) sel.received = done.value
  return Exit.void
}

/**
 * Puts one node per channel case on its channel's queue. Cases that share
 * a channel are queued in a random order (Go permutes the cases before it
 * parks): the first counterparty to arrive takes the first node, so a fixed
 * order would always commit the same one.
 */
const register = (sel: SelectWaiter, plan: Plan, fiber: Fiber.Fiber<unknown, unknown>): void => {
  if (plan.after !== undefined) {
    // The timeout is an entry in the Clock's timer heap (no fiber of its
    // own), armed with the registration, so that what withdraws the select
    // takes it out; so does any case firing (`fireSelect`). It never fires
    // inside `arm` (see internal/deadlines.ts).
    sel.timeoutCase = plan.afterIndex
    arm(sel, fiber.getRef(Clock.Clock).currentTimeMillisUnsafe() + Duration.toMillis(plan.after), fiber)
  }
  sel.fiber = fiber
  sel.since = parkTime(fiber)
  sel.site = SELECT_SITE
  const impls = plan.impls
  const nodes: Array<RecvNode<any> | SendNode<any> | undefined> = new Array(impls.length)
  sel.nodes = nodes
  const order = plan.sharedChannel ? permutation(impls.length, fiber) : undefined
  for (let k = 0; k < impls.length; k++) {
    const i = order === undefined ? k : order[k]!
    const c = impls[i]!
    if (c._tag === "Recv" && !c.chan.isNil) {
      const node = new SelectRecvNode<any>(sel, i)
      node.chan = c.chan
      node.op = "select recv"
      node.fiber = fiber
      node.since = sel.since
      c.chan.recvq.push(node)
      nodes[i] = node
    } else if (c._tag === "Send" && !c.chan.isNil) {
      const node = new SelectSendNode<any>(c.value, sel, i)
      node.chan = c.chan
      node.op = "select send"
      node.fiber = fiber
      node.since = sel.since
      c.chan.sendq.push(node)
      nodes[i] = node
    }
  }
}

/** A uniformly random permutation of 0..n-1, drawn from Effect's Random. */
const permutation = (n: number, fiber: Fiber.Fiber<unknown, unknown>): Array<number> => {
  const random = fiber.getRef(Random.Random)
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.nextDoubleUnsafe() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

/** Cancel handler of an interrupted select: leave no node behind, lose no value. */
const withdraw = (
  sel: SelectWaiter,
  granted: Exit.Exit<void, ChanClosedError> | undefined,
  impls: ReadonlyArray<ValidCase>
): void => {
  const nodes = sel.nodes
  for (let i = 0; i < nodes.length; i++) nodes[i]?.list?.remove(nodes[i]!)
  sel.done = true
  if (sel.queue !== undefined) disarm(sel)
  // Committed but interrupted before its handler started: a received value
  // goes back to its channel; a completed send stands.
  if (granted !== undefined && !sel.delivered && sel.fired >= 0) {
    const c = impls[sel.fired]!
    if (c._tag === "Recv" && sel.received._tag === "Some") giveBack(c.chan, sel.received.value, Fiber.getCurrent()!)
  }
}

/**
 * Cancellation contexts: Go's `context` package, for code ported from Go.
 *
 * In Effect, interruption already reaches every blocked operation, so most
 * Go code needs no `ctx` argument at all. What ported code still needs is
 * here: a cancellation tree with deadlines and values, a `done` channel to
 * select on, `AfterFunc`, `Cause`, `WithoutCancel`, and bridges between
 * contexts and Effect (fibers, interruption) and between contexts and the
 * web's `AbortSignal` (for `fetch` and other web APIs).
 *
 * - {@link background} is the root: never cancelled, no deadline, no values.
 * - {@link withCancel}, {@link withCancelCause}, {@link withDeadline},
 *   {@link withTimeout} (and their `Cause` variants) derive cancellable
 *   children. Cancelling a context cancels every descendant; cancelling a
 *   child unlinks it from its parent (O(1)); a child of a cancelled parent is
 *   born cancelled; a deadline later than the parent's keeps the parent's.
 * - {@link done} is a receive-only channel closed on cancellation, usable in
 *   a `Select`; {@link err} says why (`CanceledError` or
 *   `DeadlineExceededError`), {@link cause} gives the cancel cause.
 * - {@link run} runs an effect under a context: cancelling the context
 *   interrupts it, and it then fails with the context's error.
 * - {@link current} / {@link fromFiber} derive a context that is cancelled
 *   when a fiber ends or is interrupted; {@link toAbortSignal} and
 *   {@link fromAbortSignal} convert both ways.
 *
 * Where effect-go differs from Go, and why:
 * - Deadlines are epoch milliseconds on Effect's `Clock` (so `TestClock`
 *   drives them). The constructors that start a timer are scoped: closing
 *   the scope cancels the context — Go's `defer cancel()`, which Go can
 *   only ask for (`go vet`'s lostcancel). As in Go's runtime, timers are
 *   entries in a heap, not goroutines: one fiber per Clock sleeps to the
 *   earliest deadline, and ends when no deadline is pending.
 *   A context that is cancelled (by its cancel, its deadline or its parent)
 *   leaves the scope at once: contexts made and cancelled in a loop inside
 *   one long-lived scope do not pile up until it closes.
 * - Cancellation is two-phase: the whole subtree is marked cancelled before
 *   any waiter wakes, so a fiber woken by a parent's `done` never sees a
 *   descendant that is not cancelled yet. Propagation is iterative: a chain
 *   of 100k contexts cancels without growing the stack.
 * - `err` errors are tagged error instances, not singletons: compare their
 *   `_tag` (or use `Effect.catchTag`), not their identity. An error carries
 *   the cancel cause as its standard `Error.cause`, so a failure of
 *   {@link run} says both what happened and why.
 * - A context's error type is tracked: `GoContext<never>` (background,
 *   `withoutCancel`) can never be cancelled, and {@link run} adds only the
 *   errors its context can produce.
 * - There are no user-defined Context implementations: `GoContext` is a
 *   closed type (Go's custom-Context tests have no counterpart).
 * - Programmer errors are defects inside the Effect, never typed errors: a
 *   timeout that is no duration ({@link InvalidDurationError}), a deadline
 *   that is no time ({@link InvalidDeadlineError}), something that is no
 *   context where one is wanted (`undefined` through a cast, where Go has a
 *   nil `ctx`) or no Effect where one is wanted (`InvalidArgumentError`, or
 *   `CopiedPrimitiveError` for a spread copy). The error channel holds only
 *   what a caller can handle: {@link CanceledError} and
 *   {@link DeadlineExceededError}. The functions that return a plain value
 *   ({@link withValue}, {@link withoutCancel}, {@link done},
 *   {@link deadline}, {@link value}) have no Effect to report into: they
 *   throw the same errors, as Go panics on a nil parent or key.
 * - A context is a value like Effect's own: `pipe`able, `String(ctx)` is
 *   Go's `fmt.Sprint(ctx)` (`context.Background.WithCancel`), and
 *   `console.log(ctx)` / `toJSON()` show its label, deadline and error.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Chan, GoContext, Select } from "effect-go"
 *
 * // Go: ctx, cancel := context.WithTimeout(context.Background(), time.Second); defer cancel()
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withTimeout(GoContext.background, "1 second")
 *   const results = yield* Chan.make<string>()
 *   return yield* Select.select(
 *     Select.recv(results, (r) => Effect.succeed(r)),
 *     Select.recv(GoContext.done(ctx), () => Effect.succeed(Option.none()))
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import type * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import * as Chan from "./Chan.ts"
import { type ChanImpl, chanOf, closeAll, closeNow } from "./internal/chan.ts"
import { invalidArgument, show, unwrap } from "./internal/copied.ts"
import { arm, type Deadline, type DeadlineQueue, disarm } from "./internal/deadlines.ts"
import { InvalidDurationError, parseDuration } from "./internal/duration.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { activeLayers, event } from "./internal/telemetry.ts"
import { anyone, byTime, type Diagnosis, type Queue } from "./internal/registry.ts"
import { block, shallow, shallowNow, Waiter, WaiterList, wake } from "./internal/waiters.ts"
import { clockOf, refReader } from "./internal/refs.ts"

export {
  /**
   * A timeout given to {@link withTimeout} / {@link withTimeoutCause} that is
   * no duration (`"soon"`, `{ ms: 5 }`) or NaN: a defect (a programmer error,
   * not something a caller handles), with the message `Timer.make` dies with.
   *
   * @category errors
   * @since 0.1.0
   */
  InvalidDurationError
}

// -----------------------------------------------------------------------------
// Errors
// -----------------------------------------------------------------------------

/**
 * The context was cancelled: Go's `context.Canceled` ("context canceled").
 * `cause` holds the cause given to a `withCancelCause` cancel function (or
 * inherited from a parent), if any. An expected outcome: a typed error.
 *
 * @category errors
 * @since 0.1.0
 */
export class CanceledError extends Data.TaggedError("CanceledError")<{
  readonly cause?: unknown
}> {
  override get message(): string {
    return "context canceled"
  }
}

/**
 * The context's deadline passed: Go's `context.DeadlineExceeded` ("context
 * deadline exceeded"). `cause` holds the cause given to
 * `withDeadlineCause` / `withTimeoutCause`, if any. An expected outcome: a
 * typed error.
 *
 * @category errors
 * @since 0.1.0
 */
export class DeadlineExceededError extends Data.TaggedError("DeadlineExceededError")<{
  readonly cause?: unknown
}> {
  override get message(): string {
    return "context deadline exceeded"
  }
}

/**
 * Why a context is done: Go's `ctx.Err()` values.
 *
 * @category errors
 * @since 0.1.0
 */
export type ContextError = CanceledError | DeadlineExceededError

/**
 * A deadline given to {@link withDeadline} / {@link withDeadlineCause} that
 * is not a number (NaN, a string, ...) or an invalid `Date`: a defect (a
 * programmer error, not something a caller handles).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidDeadlineError extends Data.TaggedError("InvalidDeadlineError")<{
  readonly deadline: number | Date
}> {
  override get message(): string {
    const deadline: unknown = this.deadline
    const shown = deadline instanceof Date ? "Invalid Date" : show(deadline)
    return `invalid deadline ${shown}: not a time; want epoch milliseconds (a number) or a valid Date`
  }
}

// -----------------------------------------------------------------------------
// Model
// -----------------------------------------------------------------------------

const TypeId = "~effect-go/GoContext" as const
const KeyTypeId = "~effect-go/GoContext/Key" as const

/**
 * A context: Go's `context.Context`. `E` is what {@link err} can report:
 * `never` for contexts that can never be cancelled ({@link background},
 * {@link withoutCancel}).
 *
 * A value like Effect's own: `pipe`able; `String(ctx)` is Go's
 * `fmt.Sprint(ctx)` (`context.Background.WithCancel`), and `toJSON()` (what
 * `console.log` shows) is `{ _id: "GoContext", label, deadline, err }`.
 *
 * @category models
 * @since 0.1.0
 */
export interface GoContext<out E extends ContextError = ContextError> extends Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: { readonly _E: (_: never) => E }
}

/**
 * A typed key for {@link withValue} / {@link value}. Keys compare by
 * identity, like Go's unexported key types: two calls of {@link key} give
 * two different keys.
 *
 * @category models
 * @since 0.1.0
 */
export interface Key<in out A> {
  readonly [KeyTypeId]: { readonly _A: (_: A) => A }
  /** Shown in the context's string form. */
  readonly name: string
}

class KeyImpl<A> implements Key<A> {
  declare readonly [KeyTypeId]: { readonly _A: (_: A) => A }
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
  toString(): string {
    return this.name
  }
}

/**
 * Creates a value key. Go: `type ctxKey struct{}` used with `WithValue`.
 *
 * @example
 * ```ts
 * import { GoContext } from "effect-go"
 *
 * interface User {
 *   readonly name: string
 * }
 * const userKey = GoContext.key<User>("user")
 * const ctx = GoContext.withValue(GoContext.background, userKey, { name: "alice" })
 * GoContext.value(ctx, userKey) // Option.some({ name: "alice" })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const key = <A>(name: string): Key<A> => new KeyImpl<A>(name)

/** Something linked under a cancellable node: a derived node or a hook. */
type Child = CancelNode | Hook

/**
 * The cancellation state of a cancellable context (Go's `cancelCtx`). Value
 * contexts share their parent's node; `withoutCancel` contexts have none.
 */
class CancelNode implements Deadline {
  /** Its deadline, while armed in a timer heap (see `internal/deadlines.ts`). */
  at = 0
  index = -1
  seq = 0
  queue: DeadlineQueue | undefined = undefined
  /** Why the node was cancelled, once it is. */
  cancelled: Cancellation | undefined = undefined
  /** The done channel, created on first {@link done}. */
  chan: Chan.Chan<void> | undefined = undefined
  /** Linked children; a Set for O(1) unlinking. Created on first link. */
  children: Set<Child> | undefined = undefined
  /** The node this one is linked under, while linked. */
  parent: CancelNode | undefined = undefined
  /** The cause a deadline expiry records (`withDeadlineCause`). */
  deadlineCause: unknown = undefined
  /** Created on first {@link toAbortSignal}. */
  controller: AbortController | undefined = undefined
  /**
   * The scope forked from the caller's scope for this node (see
   * {@link bindScope}), while open: its cancellation closes it, which takes
   * it out of the caller's scope.
   */
  scope: Scope.Closeable | undefined = undefined
  /** Removes what the node registered outside the tree (a listener, an observer). */
  detach: (() => void) | undefined = undefined
  /** Its deadline has come (it is armed only while not cancelled). */
  expire(): void {
    cancelNow(this, new Cancellation(true, this.deadlineCause))
  }
  /** Its timer was stopped from outside: cancelled, as when its scope closes. */
  lost(): void {
    cancelNow(this, canceledNoCause())
  }
}

/**
 * Why a node was cancelled. Its error is made when someone first asks for it
 * ({@link err}, {@link run}'s failure, an AbortSignal's reason): most
 * contexts end by their `defer cancel()` with nobody asking, and an error
 * instance (it captures a stack) costs more than the rest of a context's
 * life. A subtree cancelled together shares one, and so one error.
 */
class Cancellation {
  readonly deadline: boolean
  readonly cause: unknown
  error: ContextError | undefined = undefined
  constructor(deadline: boolean, cause: unknown) {
    this.deadline = deadline
    this.cause = cause
  }
}

const errorOf = (c: Cancellation): ContextError =>
  (c.error ??= c.deadline ? deadlineExceeded(c.cause) : canceled(c.cause))

const tagOf = (c: Cancellation): ContextError["_tag"] => (c.deadline ? "DeadlineExceededError" : "CanceledError")

/** The node's error, if it is cancelled. */
const nodeErr = (node: CancelNode | undefined): ContextError | undefined =>
  node?.cancelled === undefined ? undefined : errorOf(node.cancelled)

/** A callback linked under a node: `afterFunc` and `run` registrations. */
abstract class Hook {
  parent: CancelNode | undefined = undefined
  /** Called once, after the node's subtree is marked cancelled. */
  abstract fire(): void
}

const variance = { _E: (_: never) => _ }

/** The label of a context with a deadline of its own, shown with the deadline. */
const WITH_DEADLINE = "WithDeadline"

// The phantom error type is never at runtime: an impl is any GoContext<E>.
class GoContextImpl extends PrimitiveBase implements GoContext<never> {
  // An own key, so that a spread copy is recognised as one (see `unwrap`).
  readonly [TypeId] = variance
  readonly parent: GoContextImpl | undefined
  readonly node: CancelNode | undefined
  readonly deadline: number | undefined
  readonly key: Key<any> | undefined
  readonly value: unknown
  readonly label: string
  constructor(
    parent: GoContextImpl | undefined,
    node: CancelNode | undefined,
    deadline: number | undefined,
    label: string,
    key?: Key<any>,
    value?: unknown
  ) {
    super()
    this.parent = parent
    this.node = node
    this.deadline = deadline
    this.label = label
    this.key = key
    this.value = value
  }
  /** Go's `fmt.Sprint(ctx)`: "context.Background.WithCancel". */
  override toString(): string {
    const labels: Array<string> = []
    for (let c: GoContextImpl | undefined = this; c !== undefined; c = c.parent) {
      labels.push(
        c.key !== undefined
          ? `WithValue(${c.key.name}, ${valueString(c.value)})`
          : c.label === WITH_DEADLINE
            ? `WithDeadline(${showTime(c.deadline!)})`
            : c.label
      )
    }
    return labels.reverse().join(".")
  }
  /**
   * For the blocked-fiber dump and the deadlock detector: the fibers of its
   * `afterFunc` registrations, waiting for its cancellation (its `done`
   * channel shows its own receivers). A deadline wakes them; without one,
   * any fiber may cancel the context.
   */
  diagnose(): Diagnosis {
    const node = this.node
    const queues: Array<Queue> = []
    if (node?.children !== undefined) {
      const wakers = this.deadline !== undefined && node.cancelled === undefined ? byTime : anyone
      for (const child of node.children) {
        if (child instanceof AfterFuncHook && child.ctx === this) queues.push({ list: child.waiters, wakers })
      }
    }
    return {
      kind: "GoContext",
      name: this.toString(),
      state: { deadline: this.deadline ?? null, err: node?.cancelled === undefined ? null : tagOf(node.cancelled) },
      queues,
      holders: []
    }
  }
  /**
   * What can be observed of the context: its label (Go's `fmt.Sprint`), its
   * deadline (epoch milliseconds, as {@link deadline} gives it) and the tag
   * of its error (as {@link err} gives it), `undefined` when it has none.
   * Never its values (they may be secrets) nor its registrations.
   */
  toJSON(): unknown {
    return {
      _id: "GoContext",
      label: this.toString(),
      deadline: this.deadline,
      err: this.node?.cancelled === undefined ? undefined : tagOf(this.node.cancelled)
    }
  }
}

/**
 * `self` as its implementation; throws (a defect inside an Effect) when it is
 * not a context: `InvalidArgumentError`, or `CopiedPrimitiveError` for a
 * spread copy.
 */
const impl = <E extends ContextError>(self: GoContext<E>): GoContextImpl => unwrap(self, GoContextImpl, "GoContext")

/**
 * Whether `u` is a {@link GoContext}.
 *
 * @category guards
 * @since 0.1.0
 */
export const isGoContext = (u: unknown): u is GoContext => u instanceof GoContextImpl

/**
 * The root context: never cancelled, no deadline, no values. Go:
 * `context.Background()`. Its {@link done} channel is a nil channel (never
 * ready), as in Go.
 *
 * @category constructors
 * @since 0.1.0
 */
export const background: GoContext<never> = new GoContextImpl(undefined, undefined, undefined, "context.Background")

/**
 * Like {@link background}, for code that has not been given a context yet.
 * Go: `context.TODO()`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const todo: GoContext<never> = new GoContextImpl(undefined, undefined, undefined, "context.TODO")

// -----------------------------------------------------------------------------
// The cancellation tree
// -----------------------------------------------------------------------------

/** Links `child` under `parent`; a cancelled parent fires/cancels it at once. */
const link = (parent: CancelNode | undefined, child: Child): void => {
  if (parent === undefined) return
  if (parent.cancelled !== undefined) {
    if (child instanceof CancelNode) cancelNow(child, parent.cancelled)
    else child.fire()
    return
  }
  if (parent.children === undefined) parent.children = new Set()
  parent.children.add(child)
  child.parent = parent
}

/** Removes `child` from its parent's children, in O(1). */
const unlink = (child: Child): void => {
  const parent = child.parent
  if (parent === undefined) return
  child.parent = undefined
  parent.children?.delete(child)
}

/**
 * Cancels `node` and its subtree with `err`. Phase 1 marks every descendant
 * (iteratively, breadth first) and detaches every link; phase 2 releases
 * what each node registered (its timer, its scope, its abort listener or
 * fiber observer), closes done channels, aborts signals and fires hooks,
 * parents before children. Woken fibers run during phase 2 and may
 * re-enter: the tree is already consistent, and phase 2 works on local
 * arrays.
 */
const cancelNow = (node: CancelNode, why: Cancellation): void => {
  if (node.cancelled !== undefined) return
  unlink(node)
  node.cancelled = why
  const nodes: Array<CancelNode> = [node]
  const hooks: Array<Hook> = []
  const chans: Array<ChanImpl<void>> = []
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!
    const children = n.children
    if (children === undefined) continue
    n.children = undefined
    for (const child of children) {
      child.parent = undefined
      if (child instanceof CancelNode) {
        if (child.cancelled === undefined) {
          child.cancelled = n.cancelled
          nodes.push(child)
        }
      } else {
        hooks.push(child)
      }
    }
  }
  if (activeLayers !== 0) {
    event("cancellations", "GoContext", undefined, why.deadline ? "deadline" : "cancel")
    for (let i = 1; i < nodes.length; i++) event("cancellations", "GoContext", undefined, "parent")
  }
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!
    if (n.queue !== undefined) disarm(n)
    const scope = n.scope
    if (scope !== undefined) {
      n.scope = undefined
      // Takes the scope out of the caller's scope. Its finalizer (the
      // node's cancel on scope close) sees the node cancelled and has
      // nothing to do.
      Scope.closeUnsafe(scope, Exit.void)
    }
    const detach = n.detach
    if (detach !== undefined) {
      n.detach = undefined
      detach()
    }
    if (n.chan !== undefined) chans.push(chanOf(n.chan))
  }
  // Every done channel reads as closed before the first waiter wakes, so a
  // fiber woken by a parent's channel finds every descendant's closed too.
  closeAll(chans)
  for (let i = 0; i < nodes.length; i++) {
    const controller = nodes[i]!.controller
    if (controller !== undefined) controller.abort(errorOf(why))
  }
  for (let i = 0; i < hooks.length; i++) hooks[i]!.fire()
}

/** The cancel function of a node: an Effect that cancels with `make()`. */
const cancelWith = (node: CancelNode, make: () => Cancellation): Effect.Effect<void> =>
  shallow(() => {
    if (node.cancelled === undefined) cancelNow(node, make())
    return Exit.void
  })

const canceled = (cause: unknown): CanceledError =>
  cause === undefined ? new CanceledError({}) : new CanceledError({ cause })

const deadlineExceeded = (cause: unknown): DeadlineExceededError =>
  cause === undefined ? new DeadlineExceededError({}) : new DeadlineExceededError({ cause })

/**
 * Ties `node` to the caller's `scope`: closing the scope cancels the node
 * with `onClose(exit)` (Go's `defer cancel()`). The finalizer goes into a
 * scope forked for the node, which the node's cancellation closes (see
 * {@link cancelNow}): `Scope.addFinalizer` gives nothing to remove, and a
 * finalizer left in a long-lived scope would keep every cancelled context
 * alive until that scope closes. Returns the forked scope, for fibers whose
 * lifetime is the node's (the deadline timer); nothing for a node that is
 * already cancelled. On a closed scope, the node is cancelled at once.
 */
const bindScope = (
  node: CancelNode,
  scope: Scope.Scope,
  onClose: (exit: Exit.Exit<unknown, unknown>) => Cancellation
): Effect.Effect<Scope.Scope | undefined> => {
  if (node.cancelled !== undefined) return exitUndefined
  const own = Scope.forkUnsafe(scope)
  node.scope = own
  return Effect.as(
    Scope.addFinalizerExit(own, (exit) =>
      node.cancelled !== undefined
        ? Exit.void
        : shallow(() => {
            if (node.cancelled === undefined) cancelNow(node, onClose(exit))
            return Exit.void
          })
    ),
    own
  )
}

const exitUndefined = Exit.succeed(undefined)

const canceledNoCause = (): Cancellation => new Cancellation(false, undefined)

/** A new cancellable child of `parent`, born cancelled if the parent is. */
const derive = (parent: GoContextImpl, label: string, deadline: number | undefined): GoContextImpl => {
  const node = new CancelNode()
  link(parent.node, node)
  return new GoContextImpl(parent, node, deadline, label)
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

/**
 * A cancel function: Go's `context.CancelFunc`. Cancelling twice is a no-op.
 *
 * @category models
 * @since 0.1.0
 */
export type CancelFunc = Effect.Effect<void>

/**
 * A cancel function that records a cause: Go's `context.CancelCauseFunc`.
 * Without a cause (`undefined`), the cause is the context's error.
 *
 * @category models
 * @since 0.1.0
 */
export type CancelCauseFunc = (cause?: unknown) => Effect.Effect<void>

/**
 * A cancellable child of `parent`: Go's `context.WithCancel(parent)`. The
 * child is cancelled by `cancel` or when `parent` is. Call `cancel` when done
 * with the child (Go's `defer cancel()`), or it stays linked to a parent that
 * is never cancelled.
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { Chan, GoContext } from "effect-go"
 *
 * // Go: ctx, cancel := context.WithCancel(context.Background()); go worker(ctx); cancel()
 * const program = Effect.gen(function* () {
 *   const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
 *   const worker = yield* Effect.forkChild(Chan.recv(GoContext.done(ctx)))
 *   yield* cancel // the worker's receive returns: done(ctx) is closed
 *   yield* Fiber.join(worker)
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withCancel = <E extends ContextError>(
  parent: GoContext<E>
): Effect.Effect<readonly [GoContext<E | CanceledError>, CancelFunc]> =>
  Effect.sync(() => {
    const p = impl(parent)
    const ctx = derive(p, "WithCancel", p.deadline)
    return [ctx as GoContext<E | CanceledError>, cancelWith(ctx.node!, canceledNoCause)] as const
  })

/**
 * Like {@link withCancel}, but `cancel(cause)` records a cause that
 * {@link cause} returns (and that the context's error carries as
 * `Error.cause`). Go: `context.WithCancelCause(parent)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
 *   yield* cancel(new Error("shutting down"))
 *   return yield* GoContext.cause(ctx) // Option.some(Error("shutting down"))
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withCancelCause = <E extends ContextError>(
  parent: GoContext<E>
): Effect.Effect<readonly [GoContext<E | CanceledError>, CancelCauseFunc]> =>
  Effect.sync(() => {
    const p = impl(parent)
    const ctx = derive(p, "WithCancel", p.deadline)
    const node = ctx.node!
    return [
      ctx as GoContext<E | CanceledError>,
      (cause?: unknown) => cancelWith(node, () => new Cancellation(false, cause))
    ] as const
  })

/**
 * Decodes a timeout to milliseconds by the rules every duration follows (see
 * `Timer`), except that zero and negative timeouts are valid: the context is
 * born expired (Go). An infinite timeout sets no deadline. A timeout that is
 * no duration is a programmer error: a defect.
 */
const decodeTimeout = (input: Duration.Input): Effect.Effect<number> =>
  Effect.suspend(() => {
    const decoded = parseDuration(input, true, true)
    return Duration.isDuration(decoded) ? Exit.succeed(Duration.toMillis(decoded)) : Exit.die(decoded)
  })

/** A deadline's epoch milliseconds; a deadline that is no time is a programmer error: a defect. */
const decodeDeadline = (input: number | Date): Effect.Effect<number> =>
  Effect.suspend(() => {
    const millis: unknown = input instanceof Date ? input.getTime() : input
    return typeof millis !== "number" || Number.isNaN(millis)
      ? Exit.die(new InvalidDeadlineError({ deadline: input }))
      : Exit.succeed(millis)
  })

/**
 * The shared body of the deadline constructors: `at(now)` is the deadline in
 * epoch milliseconds on the fiber's Clock.
 */
const withDeadlineAt = <E extends ContextError>(
  parent: GoContext<E>,
  at: (now: number) => number,
  cause: unknown
): Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope> =>
  // Uninterruptible: an interruption between linking the new context under
  // its parent and adding its cancel to the scope would leave it linked.
  Effect.flatMap(Effect.scope, (scope) =>
    Effect.withFiber((fiber) => {
      const p = impl(parent)
      const now = fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()
      const deadline = at(now)
      // A parent deadline that comes first wins (Go); an infinite deadline is none.
      const own = deadline !== Number.POSITIVE_INFINITY && !(p.deadline !== undefined && p.deadline < deadline)
      // The label shows the deadline, formatted when the context is shown.
      const ctx = own ? derive(p, WITH_DEADLINE, deadline) : derive(p, "WithCancel", p.deadline)
      const node = ctx.node!
      const result = [ctx as GoContext<E | ContextError>, cancelWith(node, canceledNoCause)] as const
      if (own && node.cancelled === undefined && deadline - now <= 0) {
        // Go: a deadline already past expires the context at once.
        cancelNow(node, new Cancellation(true, cause))
      }
      if (!own || node.cancelled !== undefined || scope.state._tag === "Closed") {
        return Effect.as(bindScope(node, scope, canceledNoCause), result)
      }
      // Closing the scope cancels the context (Go's `defer cancel()`); the
      // deadline is armed in the Clock's timer heap, and a cancel, however
      // it comes, takes it out (see `cancelNow`).
      node.deadlineCause = cause
      return Effect.map(bindScope(node, scope, canceledNoCause), () => {
        if (node.cancelled === undefined) arm(node, deadline, fiber)
        return result
      })
    })
  ).pipe(Effect.uninterruptible)

const showTime = (millis: number): string => {
  const date = new Date(millis)
  return Number.isNaN(date.getTime()) ? String(millis) : date.toISOString()
}

/**
 * A child of `parent` that is cancelled with {@link DeadlineExceededError}
 * at `deadline` (epoch milliseconds or a `Date`, on Effect's `Clock`), by
 * `cancel`, when `parent` is, or when the scope closes. Go:
 * `context.WithDeadline(parent, d)`.
 *
 * - A deadline later than the parent's keeps the parent's (no timer).
 * - A deadline already past gives a context that is already done with
 *   `DeadlineExceededError` (Go).
 * - An infinite deadline is none. NaN, an invalid `Date` or anything but a
 *   number or a `Date` is a programmer error: the effect dies with
 *   {@link InvalidDeadlineError}.
 *
 * Closing the scope cancels the context. The timer is an entry in a heap
 * that one fiber per Clock serves, not a fiber of its own.
 *
 * @example
 * ```ts
 * import { Clock, Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const query: Effect.Effect<string>
 *
 * // Go: ctx, cancel := context.WithDeadline(parent, time.Now().Add(time.Second)); defer cancel()
 * const program = Effect.gen(function* () {
 *   const now = yield* Clock.currentTimeMillis
 *   const [ctx] = yield* GoContext.withDeadline(GoContext.background, now + 1000)
 *   return yield* GoContext.run(ctx, query) // fails with DeadlineExceededError past the deadline
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withDeadline: {
  /**
   * `parent.pipe(GoContext.withDeadline(deadline))`: a child of `parent`
   * cancelled with {@link DeadlineExceededError} at `deadline` (epoch
   * milliseconds or a `Date`, on Effect's `Clock`), by `cancel`, when
   * `parent` is, or when the scope closes. Go:
   * `context.WithDeadline(parent, d)`. A deadline that is no time dies with
   * {@link InvalidDeadlineError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const [ctx, cancel] = yield* GoContext.background.pipe(GoContext.withDeadline(new Date("2030-01-01")))
   *   yield* cancel
   *   return ctx
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  (
    deadline: number | Date
  ): <E extends ContextError>(
    parent: GoContext<E>
  ) => Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
  /**
   * A child of `parent` cancelled with {@link DeadlineExceededError} at
   * `deadline` (epoch milliseconds or a `Date`, on Effect's `Clock`), by
   * `cancel`, when `parent` is, or when the scope closes. Go:
   * `context.WithDeadline(parent, d)`. A deadline that is no time dies with
   * {@link InvalidDeadlineError}.
   *
   * @example
   * ```ts
   * import { Clock, Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const query: Effect.Effect<string>
   *
   * const program = Effect.gen(function* () {
   *   const now = yield* Clock.currentTimeMillis
   *   const [ctx] = yield* GoContext.withDeadline(GoContext.background, now + 1000)
   *   return yield* GoContext.run(ctx, query)
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError>(
    parent: GoContext<E>,
    deadline: number | Date
  ): Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
} = dual(2, <E extends ContextError>(parent: GoContext<E>, deadline: number | Date) =>
  Effect.flatMap(decodeDeadline(deadline), (d) => withDeadlineAt(parent, () => d, undefined))
)

/**
 * Like {@link withDeadline}; when the deadline passes, {@link cause} returns
 * `cause` (the error is still {@link DeadlineExceededError}). Go:
 * `context.WithDeadlineCause(parent, d, cause)`. A deadline that is no time
 * dies with {@link InvalidDeadlineError}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withDeadlineCause(GoContext.background, 0, "too late")
 *   return yield* GoContext.cause(ctx) // Option.some("too late"): the deadline has passed
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withDeadlineCause: {
  /**
   * `parent.pipe(GoContext.withDeadlineCause(deadline, cause))`: like
   * {@link withDeadline}; when the deadline passes, {@link cause} returns
   * `cause`. Go: `context.WithDeadlineCause(parent, d, cause)`. A deadline
   * that is no time dies with {@link InvalidDeadlineError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.background.pipe(GoContext.withDeadlineCause(0, "too late"))
   *   return yield* GoContext.cause(ctx) // Option.some("too late")
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  (
    deadline: number | Date,
    cause: unknown
  ): <E extends ContextError>(
    parent: GoContext<E>
  ) => Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
  /**
   * Like {@link withDeadline}; when the deadline passes, {@link cause}
   * returns `cause` (the error is still {@link DeadlineExceededError}). Go:
   * `context.WithDeadlineCause(parent, d, cause)`. A deadline that is no
   * time dies with {@link InvalidDeadlineError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.withDeadlineCause(GoContext.background, 0, "too late")
   *   return yield* GoContext.cause(ctx) // Option.some("too late")
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError>(
    parent: GoContext<E>,
    deadline: number | Date,
    cause: unknown
  ): Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
} = dual(3, <E extends ContextError>(parent: GoContext<E>, deadline: number | Date, cause: unknown) =>
  Effect.flatMap(decodeDeadline(deadline), (d) => withDeadlineAt(parent, () => d, cause))
)

/**
 * A child of `parent` cancelled with {@link DeadlineExceededError} after
 * `timeout` (on Effect's `Clock`). Go: `context.WithTimeout(parent, d)`,
 * i.e. `withDeadline(parent, now + d)`. A zero or negative timeout gives a
 * context that is already done (Go); an infinite one sets no deadline. The
 * timeout is read as `Timer` reads durations: what is no duration (`"soon"`,
 * `{ ms: 5 }`) or NaN (`[1, NaN]`) is a programmer error: the effect dies
 * with {@link InvalidDurationError}, with the message `Timer.make` dies with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const fetchBody: Effect.Effect<string>
 *
 * // Go: ctx, cancel := context.WithTimeout(parent, 2*time.Second); defer cancel()
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withTimeout(GoContext.background, "2 seconds")
 *   return yield* GoContext.run(ctx, fetchBody) // fails with DeadlineExceededError after 2 seconds
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withTimeout: {
  /**
   * `parent.pipe(GoContext.withTimeout(timeout))`: a child of `parent`
   * cancelled with {@link DeadlineExceededError} after `timeout` (on
   * Effect's `Clock`), by `cancel`, when `parent` is, or when the scope
   * closes. Go: `context.WithTimeout(parent, d)`. A zero or negative timeout
   * is already expired; an infinite one sets no deadline; one that is no
   * duration dies with {@link InvalidDurationError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const fetchBody: Effect.Effect<string>
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.background.pipe(GoContext.withTimeout("2 seconds"))
   *   return yield* GoContext.run(ctx, fetchBody)
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  (
    timeout: Duration.Input
  ): <E extends ContextError>(
    parent: GoContext<E>
  ) => Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
  /**
   * A child of `parent` cancelled with {@link DeadlineExceededError} after
   * `timeout` (on Effect's `Clock`), by `cancel`, when `parent` is, or when
   * the scope closes. Go: `context.WithTimeout(parent, d)`. A zero or
   * negative timeout is already expired; an infinite one sets no deadline;
   * one that is no duration dies with {@link InvalidDurationError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const fetchBody: Effect.Effect<string>
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.withTimeout(GoContext.background, "2 seconds")
   *   return yield* GoContext.run(ctx, fetchBody) // fails with DeadlineExceededError after 2 seconds
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError>(
    parent: GoContext<E>,
    timeout: Duration.Input
  ): Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
} = dual(2, <E extends ContextError>(parent: GoContext<E>, timeout: Duration.Input) =>
  Effect.flatMap(decodeTimeout(timeout), (d) => withDeadlineAt(parent, (now) => now + d, undefined))
)

/**
 * Like {@link withTimeout}; when the timeout passes, {@link cause} returns
 * `cause` (the error is still {@link DeadlineExceededError}). Go:
 * `context.WithTimeoutCause(parent, d, cause)`. A timeout that is no
 * duration dies with {@link InvalidDurationError}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const fetchBody: Effect.Effect<string>
 *
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withTimeoutCause(GoContext.background, "2 seconds", "backend too slow")
 *   return yield* GoContext.run(ctx, fetchBody) // DeadlineExceededError, `cause` "backend too slow"
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withTimeoutCause: {
  /**
   * `parent.pipe(GoContext.withTimeoutCause(timeout, cause))`: like
   * {@link withTimeout}; when the timeout passes, {@link cause} returns
   * `cause`. Go: `context.WithTimeoutCause(parent, d, cause)`. A timeout
   * that is no duration dies with {@link InvalidDurationError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.background.pipe(GoContext.withTimeoutCause("2 seconds", "backend too slow"))
   *   return ctx
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  (
    timeout: Duration.Input,
    cause: unknown
  ): <E extends ContextError>(
    parent: GoContext<E>
  ) => Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
  /**
   * Like {@link withTimeout}; when the timeout passes, {@link cause} returns
   * `cause` (the error is still {@link DeadlineExceededError}). Go:
   * `context.WithTimeoutCause(parent, d, cause)`. A timeout that is no
   * duration dies with {@link InvalidDurationError}.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * const program = Effect.gen(function* () {
   *   const [ctx] = yield* GoContext.withTimeoutCause(GoContext.background, "2 seconds", "backend too slow")
   *   return ctx
   * }).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError>(
    parent: GoContext<E>,
    timeout: Duration.Input,
    cause: unknown
  ): Effect.Effect<readonly [GoContext<E | ContextError>, CancelFunc], never, Scope.Scope>
} = dual(3, <E extends ContextError>(parent: GoContext<E>, timeout: Duration.Input, cause: unknown) =>
  Effect.flatMap(decodeTimeout(timeout), (d) => withDeadlineAt(parent, (now) => now + d, cause))
)

/**
 * A context with `parent`'s values but not its cancellation: never done, no
 * deadline. Go 1.21: `context.WithoutCancel(parent)`, for work that must
 * outlive the request that started it. A `parent` that is no context throws
 * `InvalidArgumentError` (Go panics on a nil parent).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const audit: (ctx: GoContext.GoContext<never>) => Effect.Effect<void>
 *
 * const handler = (request: GoContext.GoContext) =>
 *   // The audit record is written even if the request is cancelled.
 *   Effect.forkDetach(audit(GoContext.withoutCancel(request)))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withoutCancel = <E extends ContextError>(parent: GoContext<E>): GoContext<never> =>
  new GoContextImpl(impl(parent), undefined, undefined, "WithoutCancel") as GoContext<never>

/**
 * A child of `parent` that carries `value` under `key` (and shares the
 * parent's cancellation). Go: `context.WithValue(parent, key, val)`. A
 * `parent` that is no context or a `key` not made by {@link key} throws
 * `InvalidArgumentError` (Go panics on a nil parent or key).
 *
 * @example
 * ```ts
 * import { GoContext } from "effect-go"
 *
 * const requestId = GoContext.key<string>("requestId")
 * const ctx = GoContext.withValue(GoContext.background, requestId, "r-42")
 * String(ctx) // "context.Background.WithValue(requestId, r-42)"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const withValue: {
  /**
   * `parent.pipe(GoContext.withValue(key, value))`: a child of `parent` that
   * carries `value` under `key`. Go: `context.WithValue(parent, key, val)`.
   * Throws `InvalidArgumentError` for a `parent` that is no context or a
   * `key` not made by {@link key}.
   *
   * @example
   * ```ts
   * import { GoContext } from "effect-go"
   *
   * const requestId = GoContext.key<string>("requestId")
   * const ctx = GoContext.background.pipe(GoContext.withValue(requestId, "r-42"))
   * ```
   *
   * @since 0.1.0
   */
  <A>(key: Key<A>, value: NoInfer<A>): <E extends ContextError>(parent: GoContext<E>) => GoContext<E>
  /**
   * A child of `parent` that carries `value` under `key` (and shares the
   * parent's cancellation). Go: `context.WithValue(parent, key, val)`.
   * Throws `InvalidArgumentError` for a `parent` that is no context or a
   * `key` not made by {@link key}.
   *
   * @example
   * ```ts
   * import { GoContext } from "effect-go"
   *
   * const requestId = GoContext.key<string>("requestId")
   * const ctx = GoContext.withValue(GoContext.background, requestId, "r-42")
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError, A>(parent: GoContext<E>, key: Key<A>, value: NoInfer<A>): GoContext<E>
} = dual(3, <E extends ContextError, A>(parent: GoContext<E>, key: Key<A>, value: A): GoContext<E> => {
  const p = impl(parent)
  // Go panics on a nil key.
  if (!(key instanceof KeyImpl)) throw invalidArgument("GoContext.withValue", "a Key (made by GoContext.key)", key)
  return new GoContextImpl(p, p.node, p.deadline, "WithValue", key, value) as GoContext<E>
})

/** A value as Go's `fmt` prints it in a context's string form: strings bare, objects by type. */
const valueString = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return value
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return String(value)
    default:
      return value === null ? "null" : `<${typeof value}>`
  }
}

/**
 * The value stored under `key` by the nearest {@link withValue} up the
 * chain, or `none`. Go: `ctx.Value(key)`.
 *
 * @example
 * ```ts
 * import { GoContext } from "effect-go"
 *
 * const requestId = GoContext.key<string>("requestId")
 * const ctx = GoContext.withValue(GoContext.background, requestId, "r-42")
 * GoContext.value(ctx, requestId) // Option.some("r-42")
 * GoContext.value(GoContext.background, requestId) // Option.none()
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const value: {
  /**
   * `ctx.pipe(GoContext.value(key))`: the value stored under `key` by the
   * nearest {@link withValue} up the chain, or `none`. Go: `ctx.Value(key)`.
   *
   * @example
   * ```ts
   * import { GoContext } from "effect-go"
   *
   * const requestId = GoContext.key<string>("requestId")
   * const ctx = GoContext.withValue(GoContext.background, requestId, "r-42")
   * ctx.pipe(GoContext.value(requestId)) // Option.some("r-42")
   * ```
   *
   * @since 0.1.0
   */
  <A>(key: Key<A>): <E extends ContextError>(self: GoContext<E>) => Option.Option<A>
  /**
   * The value stored under `key` by the nearest {@link withValue} up the
   * chain, or `none`. Go: `ctx.Value(key)`.
   *
   * @example
   * ```ts
   * import { GoContext } from "effect-go"
   *
   * const requestId = GoContext.key<string>("requestId")
   * const ctx = GoContext.withValue(GoContext.background, requestId, "r-42")
   * GoContext.value(ctx, requestId) // Option.some("r-42")
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError, A>(self: GoContext<E>, key: Key<A>): Option.Option<A>
} = dual(2, <E extends ContextError, A>(self: GoContext<E>, key: Key<A>): Option.Option<A> => {
  for (let c: GoContextImpl | undefined = impl(self); c !== undefined; c = c.parent) {
    if (c.key === key) return Option.some(c.value as A)
  }
  return Option.none()
})

// -----------------------------------------------------------------------------
// Observing a context
// -----------------------------------------------------------------------------

let nilChan: Chan.RecvChan<void> | undefined
let closedChan: Chan.RecvChan<void> | undefined

/**
 * A receive-only channel that is closed when the context is cancelled: Go's
 * `ctx.Done()`. Use it in a `Select` (`Select.recv(GoContext.done(ctx), ...)`)
 * or wait on it with `Chan.recv`. For a context that can never be cancelled
 * it is a nil channel (never ready), as in Go. Every call returns the same
 * channel. A `self` that is no context throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, GoContext, Select } from "effect-go"
 *
 * declare const ctx: GoContext.GoContext
 * declare const jobs: Chan.RecvChan<string>
 *
 * // Go: select { case <-ctx.Done(): return ctx.Err(); case j := <-jobs: ... }
 * const next = Select.select(
 *   Select.recv(GoContext.done(ctx), () => Effect.succeed("stopped")),
 *   Select.recv(jobs, (job) => Effect.succeed(`got ${job}`))
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const done = <E extends ContextError>(self: GoContext<E>): Chan.RecvChan<void> => {
  const node = impl(self).node
  if (node === undefined) return (nilChan ??= Chan.nil<void>())
  if (node.chan !== undefined) return node.chan
  if (node.cancelled !== undefined) {
    if (closedChan === undefined) {
      const ch = Chan.makeUnsafe<void>(0, { name: "context.Done" })
      closeNow(chanOf(ch))
      closedChan = ch
    }
    return closedChan
  }
  node.chan = Chan.makeUnsafe<void>(0, { name: "context.Done" })
  return node.chan
}

/**
 * Why the context is done, or `none` while it is not: Go's `ctx.Err()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
 *   yield* cancel
 *   return yield* GoContext.err(ctx) // Option.some(CanceledError)
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const err = <E extends ContextError>(self: GoContext<E>): Effect.Effect<Option.Option<E>> =>
  Effect.sync(() => {
    const e = nodeErr(impl(self).node)
    return e === undefined ? Option.none() : Option.some(e as E)
  })

/**
 * The cause of the cancellation: the cause given to a `...Cause` cancel
 * function or constructor (or inherited from the parent that was cancelled
 * first), else the context's error; `none` while not done. Go 1.20:
 * `context.Cause(ctx)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
 *   yield* cancel("user logged out")
 *   return yield* GoContext.cause(ctx) // Option.some("user logged out")
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const cause = <E extends ContextError>(self: GoContext<E>): Effect.Effect<Option.Option<unknown>> =>
  Effect.sync(() => {
    const e = nodeErr(impl(self).node)
    return e === undefined ? Option.none() : Option.some(e.cause !== undefined ? e.cause : e)
  })

/**
 * The deadline (epoch milliseconds on Effect's Clock), or `none`. Go:
 * `ctx.Deadline()`. A context's deadline never changes. A `self` that is no
 * context throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withDeadline(GoContext.background, 5000)
 *   return GoContext.deadline(ctx) // Option.some(5000)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const deadline = <E extends ContextError>(self: GoContext<E>): Option.Option<number> => {
  const d = impl(self).deadline
  return d === undefined ? Option.none() : Option.some(d)
}

/**
 * How many contexts and registrations ({@link afterFunc}, {@link run}) are
 * linked to the context's cancellation — Go's `len(cancelCtx.children)`. For
 * diagnostics and tests: it returns to 0 as children are cancelled or
 * stopped. A value context reports its parent's count (they share it).
 *
 * @category getters
 * @since 0.1.0
 */
export const childCount = <E extends ContextError>(self: GoContext<E>): Effect.Effect<number> =>
  Effect.sync(() => impl(self).node?.children?.size ?? 0)

// -----------------------------------------------------------------------------
// AfterFunc
// -----------------------------------------------------------------------------

const WAITING = 0
const FIRED = 1
const STOPPED = 2

/**
 * An `afterFunc` registration. Its fiber waits in `waiters` (a list of one,
 * so that it shows in blocked-fiber dumps like any other waiter) until the
 * context is cancelled.
 */
class AfterFuncHook extends Hook {
  state: typeof WAITING | typeof FIRED | typeof STOPPED = WAITING
  /** The context it was registered on, which shows its waiter to the blocked-fiber dump. */
  readonly ctx: GoContextImpl
  readonly waiters: WaiterList<Waiter>
  constructor(ctx: GoContextImpl) {
    super()
    this.ctx = ctx
    this.waiters = new WaiterList("GoContext", ctx.toString(), ctx, "afterFunc")
  }
  fire(): void {
    if (this.state !== WAITING) return
    this.state = FIRED
    for (const node of this.waiters.drain()) wake(node, Exit.void)
  }
  /** Its fiber leaves without running the effect (stopped, or its scope closed). */
  readonly leave = (): void => {
    if (this.state !== WAITING) return
    this.state = STOPPED
    unlink(this)
  }
  readonly attempt = (): Exit.Exit<void> | undefined => (this.state === FIRED ? Exit.void : undefined)
}

/**
 * What {@link afterFunc} returns: `stop` unregisters the call, and says
 * whether it prevented it (false once the effect has started or after an
 * earlier `stop`). Go: the `stop func() bool` of `context.AfterFunc`.
 *
 * @category models
 * @since 0.1.0
 */
export interface AfterFunc {
  readonly stop: Effect.Effect<boolean>
}

const exitFalse = Exit.succeed(false)

/**
 * Runs `effect` in its own fiber once `ctx` is done — at once if it already
 * is. Go 1.21: `context.AfterFunc(ctx, f)`. The fiber belongs to the scope:
 * closing the scope unregisters the call (or interrupts `effect` if it has
 * started). `effect` must handle its own errors. Something that is no
 * Effect dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const ctx: GoContext.GoContext
 * declare const closeConnection: Effect.Effect<void>
 *
 * // Go: stop := context.AfterFunc(ctx, func() { conn.Close() })
 * const program = Effect.gen(function* () {
 *   const { stop } = yield* GoContext.afterFunc(ctx, closeConnection)
 *   if (yield* stop) {
 *     // the context will not close the connection
 *   }
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const afterFunc: {
  /**
   * `ctx.pipe(GoContext.afterFunc(effect))`: runs `effect` in its own fiber
   * of the scope once `ctx` is done — at once if it already is. Go 1.21:
   * `context.AfterFunc(ctx, f)`. `stop` unregisters it.
   *
   * @example
   * ```ts
   * import { Console, Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const ctx: GoContext.GoContext
   *
   * const program = ctx.pipe(GoContext.afterFunc(Console.log("cancelled")), Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <R>(
    effect: Effect.Effect<unknown, never, R>
  ): <E extends ContextError>(self: GoContext<E>) => Effect.Effect<AfterFunc, never, R | Scope.Scope>
  /**
   * Runs `effect` in its own fiber of the scope once `ctx` is done — at once
   * if it already is. Go 1.21: `context.AfterFunc(ctx, f)`. `stop`
   * unregisters it, and says whether it prevented it.
   *
   * @example
   * ```ts
   * import { Console, Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const ctx: GoContext.GoContext
   *
   * const program = GoContext.afterFunc(ctx, Console.log("cancelled")).pipe(Effect.scoped)
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError, R>(
    self: GoContext<E>,
    effect: Effect.Effect<unknown, never, R>
  ): Effect.Effect<AfterFunc, never, R | Scope.Scope>
} = dual(
  2,
  <E extends ContextError, R>(
    self: GoContext<E>,
    effect: Effect.Effect<unknown, never, R>
  ): Effect.Effect<AfterFunc, never, R | Scope.Scope> =>
    // Uninterruptible: an interruption between linking the hook and forking
    // its fiber would leave the hook linked with nothing to unlink it.
    Effect.flatMap(Effect.scope, (scope) =>
      Effect.suspend(() => {
        const node = impl(self).node
        if (!isEffect(effect)) return Exit.die(invalidArgument("GoContext.afterFunc", "an Effect", effect))
        const hook = new AfterFuncHook(impl(self))
        if (node === undefined) {
          // Never done: nothing to run, stop only records that it stopped.
          return Effect.succeed({
            stop: Effect.sync(() => {
              if (hook.state !== WAITING) return false
              hook.state = STOPPED
              return true
            })
          })
        }
        const wait = Effect.withFiber((fiber) => {
          const waiter = new Waiter()
          waiter.op = "afterFunc"
          return block(hook.waiters, waiter, fiber, hook.leave, hook.attempt)
        })
        link(node, hook)
        return Effect.map(
          Effect.forkIn(Effect.andThen(wait, effect), scope, { startImmediately: true }),
          (fiber): AfterFunc => ({
            stop: Effect.suspend(() => {
              if (hook.state !== WAITING) return exitFalse
              hook.state = STOPPED
              unlink(hook)
              return Effect.as(Fiber.interrupt(fiber), true)
            })
          })
        )
      })
    ).pipe(Effect.uninterruptible)
)

// -----------------------------------------------------------------------------
// Bridges to Effect
// -----------------------------------------------------------------------------

/**
 * The context {@link run} runs its effect under (default: {@link background}).
 * {@link current} derives from it, so values set before `run` reach code
 * that calls `current`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const ctx = yield* GoContext.CurrentGoContext
 *   return String(ctx) // "context.Background" outside any run
 * })
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const CurrentGoContext: Context.Reference<GoContext> = Context.Reference<GoContext>(
  "effect-go/GoContext/CurrentGoContext",
  { defaultValue: () => background }
)

/** The fiber's {@link CurrentGoContext}, looked up once per context (see refs.ts). */
const goContextOf = refReader(CurrentGoContext)

class RunHook extends Hook {
  fired = false
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly by: number
  constructor(fiber: Fiber.Fiber<unknown, unknown>, by: number) {
    super()
    this.fiber = fiber
    this.by = by
  }
  fire(): void {
    this.fired = true
    this.fiber.interruptUnsafe(this.by)
  }
}

const runUnder = <A, E2, R, E extends ContextError>(
  ctx: GoContext<E>,
  effect: Effect.Effect<A, E2, R>
): Effect.Effect<A, E | E2, R> =>
  Effect.withFiber((parent) => {
    const node = impl(ctx).node
    if (!isEffect(effect)) return Exit.die(invalidArgument("GoContext.run", "an Effect", effect))
    if (node === undefined) return Effect.provideService(effect, CurrentGoContext, ctx)
    return Effect.uninterruptibleMask((restore) => runIn(parent, ctx, node, effect, restore, undefined))
  })

/**
 * Runs `effect` under `ctx` (whose cancel node is `node`), for `parent`;
 * `end`, if given, runs when the run has ended, however it ended (a
 * context the run owns is cancelled there: Go's `defer cancel()`). Call it
 * in a mask's step, with the mask's `restore`.
 *
 * The effect runs in a fiber of its own, which the context's cancel can
 * interrupt without interrupting the caller. It starts in this step (in the
 * caller's context, with `ctx` as its {@link CurrentGoContext}); the caller
 * then waits for it, and if the caller is interrupted at any point of that
 * wait (entering it included), it interrupts the effect's fiber and waits
 * for it to end.
 */
const runIn = <A, E2, R, E extends ContextError>(
  parent: Fiber.Fiber<unknown, unknown>,
  ctx: GoContext<E>,
  node: CancelNode,
  effect: Effect.Effect<A, E2, R>,
  restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
  end: ((node: CancelNode) => void) | undefined
): Effect.Effect<A, E | E2, R> => {
  // Ending may wake fibers: after a yield when wake-ups nest too deep.
  const ended = <X, Y>(exit: Exit.Exit<X, Y>): Effect.Effect<X, Y> =>
    end === undefined
      ? exit
      : shallowNow(() => {
          end(node)
          return exit
        })
  if (node.cancelled !== undefined) return ended(Exit.fail(errorOf(node.cancelled) as E))
  const fiber = Effect.runForkWith(Context.add(parent.context, CurrentGoContext, ctx) as Context.Context<R>)(effect)
  const finished = fiber.pollUnsafe()
  if (finished !== undefined) return ended(finished)
  const hook = new RunHook(fiber, parent.id)
  link(node, hook)
  const waiting = restore(
    Effect.callback<A, E | E2>((resume) => {
      fiber.addObserver((exit) => {
        unlink(hook)
        resume(
          hook.fired && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
            ? Exit.fail(errorOf(node.cancelled!) as E)
            : exit
        )
      })
    })
  )
  return Effect.onExit(waiting, () => {
    // The caller was interrupted while the effect runs: it stops the effect first.
    if (fiber.pollUnsafe() !== undefined) return ended(Exit.void)
    unlink(hook)
    return Effect.andThen(Fiber.interrupt(fiber), ended(Exit.void))
  })
}

/**
 * Runs `effect` under `ctx`: if `ctx` is or becomes done, `effect` is
 * interrupted (it does not start if `ctx` is already done) and the result
 * fails with the context's error — a {@link CanceledError} or
 * {@link DeadlineExceededError} whose `cause` holds the cancel cause, so a
 * caller can tell it from the effect's own errors by its `_tag`. Interrupting
 * `run` from outside interrupts `effect` but does not cancel `ctx`. Inside,
 * {@link CurrentGoContext} is `ctx`. Go: passing `ctx` to a function that
 * honours it.
 *
 * `run(ctx)` is the pipeable form: `effect.pipe(GoContext.run(ctx))`.
 * Something that is no Effect dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const slowQuery: Effect.Effect<string>
 * declare const cached: string
 *
 * const program = Effect.gen(function* () {
 *   const [ctx] = yield* GoContext.withTimeout(GoContext.background, "1 second")
 *   return yield* GoContext.run(ctx, slowQuery).pipe(
 *     Effect.catchTag("DeadlineExceededError", () => Effect.succeed(cached))
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const run: {
  /**
   * `effect.pipe(GoContext.run(ctx))`: runs `effect` under `ctx`; if `ctx`
   * is or becomes done, `effect` is interrupted and the result fails with
   * the context's error ({@link CanceledError} or
   * {@link DeadlineExceededError}). Go: passing `ctx` to a function that
   * honours it.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const ctx: GoContext.GoContext
   * declare const slowQuery: Effect.Effect<string>
   *
   * const result = slowQuery.pipe(GoContext.run(ctx)) // Effect<string, CanceledError | DeadlineExceededError>
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError>(
    ctx: GoContext<E>
  ): <A, E2, R>(effect: Effect.Effect<A, E2, R>) => Effect.Effect<A, E | E2, R>
  /**
   * Runs `effect` under `ctx`: if `ctx` is or becomes done, `effect` is
   * interrupted (it does not start if `ctx` is already done) and the result
   * fails with the context's error ({@link CanceledError} or
   * {@link DeadlineExceededError}). Go: passing `ctx` to a function that
   * honours it.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const ctx: GoContext.GoContext
   * declare const slowQuery: Effect.Effect<string>
   *
   * const result = GoContext.run(ctx, slowQuery) // Effect<string, CanceledError | DeadlineExceededError>
   * ```
   *
   * @since 0.1.0
   */
  <E extends ContextError, A, E2, R>(ctx: GoContext<E>, effect: Effect.Effect<A, E2, R>): Effect.Effect<A, E | E2, R>
} = effectLast(2, runUnder)

const runWithTimeoutImpl = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  timeout: Duration.Input
): Effect.Effect<A, E | ContextError, R> =>
  // Uninterruptible until the context's cancel is installed on the run's exit.
  Effect.uninterruptibleMask((restore) => {
    const fiber = Fiber.getCurrent()!
    if (!isEffect(effect)) return Exit.die(invalidArgument("GoContext.runWithTimeout", "an Effect", effect))
    const decoded = parseDuration(timeout, true, true)
    if (!Duration.isDuration(decoded)) return Exit.die(decoded)
    const p = impl(goContextOf(fiber))
    const now = clockOf(fiber).currentTimeMillisUnsafe()
    const deadline = now + Duration.toMillis(decoded)
    // As withTimeout: a parent deadline that comes first wins; an infinite timeout sets none.
    const own = deadline !== Number.POSITIVE_INFINITY && !(p.deadline !== undefined && p.deadline < deadline)
    const ctx = own ? derive(p, WITH_DEADLINE, deadline) : derive(p, "WithCancel", p.deadline)
    const node = ctx.node!
    if (own && node.cancelled === undefined) {
      if (deadline - now <= 0) cancelNow(node, new Cancellation(true, undefined))
      else arm(node, deadline, fiber)
    }
    // Go's `defer cancel()`: the context ends with the run.
    return runIn(fiber, ctx, node, effect, restore, endRun)
  })

/** The end of a `runWithTimeout`: its context is cancelled (a no-op once it expired). */
const endRun = (node: CancelNode): void => {
  if (node.cancelled === undefined) cancelNow(node, canceledNoCause())
}

/**
 * Runs `effect` under a child of the current context ({@link CurrentGoContext})
 * that expires after `timeout`, and cancels that child when `effect` ends:
 * Go's
 * `ctx, cancel := context.WithTimeout(ctx, d); defer cancel(); return f(ctx)`
 * in one call, with no `Scope`. Past the deadline `effect` is interrupted and
 * the result fails with {@link DeadlineExceededError}; a cancelled parent
 * fails it with the parent's error. Inside, the child is the current
 * context, so `GoContext.current`, {@link done} and values see it. A parent
 * deadline that comes first is kept (Go), a zero or negative timeout fails at
 * once, an infinite one sets no deadline. A bad timeout, or something that is
 * no Effect, is a defect.
 *
 * Use it for the timeout of one call; use {@link withTimeout} for a context
 * to hand to several fibers or to keep.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const fetchUser: (id: string) => Effect.Effect<string>
 *
 * // Go: ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond); defer cancel(); fetchUser(ctx, id)
 * const user = GoContext.runWithTimeout(fetchUser("ann"), "50 millis")
 * // or: fetchUser("ann").pipe(GoContext.runWithTimeout("50 millis"))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const runWithTimeout: {
  /**
   * `effect.pipe(GoContext.runWithTimeout(timeout))`: runs `effect` under a
   * child of the current context that expires after `timeout` (Go's
   * `context.WithTimeout` + `defer cancel()` around one call).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const slowQuery: Effect.Effect<string>
   *
   * const result = slowQuery.pipe(GoContext.runWithTimeout("1 second")) // Effect<string, CanceledError | DeadlineExceededError>
   * ```
   *
   * @since 0.1.0
   */
  (timeout: Duration.Input): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ContextError, R>
  /**
   * Runs `effect` under a child of the current context that expires after
   * `timeout` (Go's `context.WithTimeout` + `defer cancel()` around one call).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { GoContext } from "effect-go"
   *
   * declare const slowQuery: Effect.Effect<string>
   *
   * const result = GoContext.runWithTimeout(slowQuery, "1 second") // Effect<string, CanceledError | DeadlineExceededError>
   * ```
   *
   * @since 0.1.0
   */
  <A, E, R>(effect: Effect.Effect<A, E, R>, timeout: Duration.Input): Effect.Effect<A, E | ContextError, R>
} = dual(2, runWithTimeoutImpl)

const canceledBy = (exit: Exit.Exit<unknown, unknown>): Cancellation =>
  new Cancellation(false, Exit.isFailure(exit) ? exit.cause : undefined)

/**
 * A context that is cancelled when `fiber` ends (its `Cause` becomes the
 * cancel cause when it failed or was interrupted) or when the scope closes.
 * It derives from the fiber's {@link CurrentGoContext}, so it keeps its
 * values and is cancelled with it. Go has no fibers; this is the bridge for
 * handing a `ctx` to ported code from Effect code. Something that is no
 * Fiber dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Chan, GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const worker = yield* Effect.forkChild(Effect.never)
 *   const ctx = yield* GoContext.fromFiber(worker)
 *   yield* Effect.forkChild(Chan.recv(GoContext.done(ctx))) // returns once the worker has ended
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromFiber = (fiber: Fiber.Fiber<unknown, unknown>): Effect.Effect<GoContext, never, Scope.Scope> =>
  // Uninterruptible: an interruption between linking the new context under
  // its parent and adding its cancel to the scope would leave it linked.
  Effect.flatMap(Effect.scope, (scope) =>
    Effect.suspend(() => {
      if (!Fiber.isFiber(fiber)) return Exit.die(invalidArgument("GoContext.fromFiber", "a Fiber", fiber))
      const ctx = derive(impl(fiber.getRef(CurrentGoContext)), `FromFiber(#${fiber.id})`, undefined)
      const node = ctx.node!
      const ended = fiber.pollUnsafe()
      if (ended !== undefined) cancelNow(node, canceledBy(ended))
      else if (node.cancelled === undefined) {
        node.detach = fiber.addObserver((exit) => cancelNow(node, canceledBy(exit)))
      }
      return Effect.as(bindScope(node, scope, canceledBy), ctx as GoContext)
    })
  ).pipe(Effect.uninterruptible)

/**
 * A context for the current fiber: cancelled when the scope closes —
 * which is what interrupting the fiber does to the scopes it is inside —
 * or when the fiber ends; the closing `Exit`'s `Cause` becomes the cancel
 * cause on failure or interruption. See {@link fromFiber}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const url: string
 *
 * const program = Effect.gen(function* () {
 *   const ctx = yield* GoContext.current
 *   const signal = yield* GoContext.toAbortSignal(ctx)
 *   return yield* Effect.promise(() => fetch(url, { signal })) // aborted if this fiber is interrupted
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const current: Effect.Effect<GoContext, never, Scope.Scope> = Effect.withFiber((fiber) => fromFiber(fiber))

// -----------------------------------------------------------------------------
// Bridges to AbortSignal
// -----------------------------------------------------------------------------

let neverSignal: AbortSignal | undefined

/** An AbortSignal, or something that works as one (another realm's, a polyfill's). */
const isAbortSignal = (u: unknown): u is AbortSignal =>
  (typeof AbortSignal === "function" && u instanceof AbortSignal) ||
  (typeof u === "object" &&
    u !== null &&
    typeof (u as AbortSignal).aborted === "boolean" &&
    typeof (u as AbortSignal).addEventListener === "function")

/**
 * An `AbortSignal` that aborts when `ctx` is done, with the context's error
 * ({@link CanceledError} / {@link DeadlineExceededError}, carrying the
 * cause) as its `reason` — so `fetch` rejects with it. Every call for the
 * same cancellable context returns the same signal. For `fetch` and other
 * web APIs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * declare const ctx: GoContext.GoContext
 *
 * const body = Effect.gen(function* () {
 *   const signal = yield* GoContext.toAbortSignal(ctx)
 *   return yield* Effect.promise(() => fetch("https://example.com", { signal }).then((r) => r.text()))
 * })
 * ```
 *
 * @category utils
 * @since 0.1.0
 */
export const toAbortSignal = <E extends ContextError>(self: GoContext<E>): Effect.Effect<AbortSignal> =>
  Effect.sync(() => {
    const node = impl(self).node
    if (node === undefined) return (neverSignal ??= new AbortController().signal)
    if (node.controller === undefined) {
      node.controller = new AbortController()
      if (node.cancelled !== undefined) node.controller.abort(errorOf(node.cancelled))
    }
    return node.controller.signal
  })

/**
 * A child of `parent` (default {@link background}) that is cancelled when
 * `signal` aborts, with `signal.reason` as the cause — at once if it already
 * has. Closing the scope removes the listener and cancels the context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { GoContext } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const controller = new AbortController()
 *   const ctx = yield* GoContext.fromAbortSignal(controller.signal)
 *   controller.abort(new Error("user left")) // done(ctx) closes; cause(ctx) is that error
 *   return yield* GoContext.cause(ctx)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromAbortSignal = <E extends ContextError = never>(
  signal: AbortSignal,
  parent?: GoContext<E>
): Effect.Effect<GoContext<E | CanceledError>, never, Scope.Scope> =>
  // Uninterruptible: an interruption between linking the new context under
  // its parent and adding its cancel to the scope would leave it linked.
  Effect.flatMap(Effect.scope, (scope) =>
    Effect.suspend(() => {
      if (!isAbortSignal(signal)) {
        return Exit.die(invalidArgument("GoContext.fromAbortSignal", "an AbortSignal", signal))
      }
      const p = impl(parent ?? background)
      const ctx = derive(p, "FromAbortSignal", p.deadline)
      const node = ctx.node!
      const onAbort = () => {
        if (node.cancelled === undefined) cancelNow(node, new Cancellation(false, signal.reason))
      }
      if (signal.aborted) onAbort()
      else if (node.cancelled === undefined) {
        signal.addEventListener("abort", onAbort, { once: true })
        node.detach = () => signal.removeEventListener("abort", onAbort)
      }
      return Effect.as(bindScope(node, scope, canceledNoCause), ctx as GoContext<E | CanceledError>)
    })
  ).pipe(Effect.uninterruptible)

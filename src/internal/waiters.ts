/**
 * The blocking protocol every effect-go primitive shares: waiter lists, and
 * how a fiber parks on them, is granted what it waits for, and gives it back
 * when an interruption comes first.
 *
 * A blocked fiber is a node in an intrusive doubly linked list owned by the
 * primitive it waits on. Intrusive links make the two operations that matter
 * O(1): waking the head (FIFO hand-off) and withdrawing an interrupted waiter
 * from the middle of the list. Every node records what it waits on (the
 * list's primitive kind and name), which fiber waits, and since when (Clock
 * time; approximate under the live clock, see {@link parkTime}), so that a
 * blocked-fiber dump or deadlock report can be built from the lists alone.
 *
 * Parking ({@link park}): the operation tries once more at the moment of
 * parking (check-then-park is atomic), and if nothing is there yet it
 * registers its node and waits. A waker removes the node and grants it:
 * {@link wake} resumes the fiber synchronously, on the waker's stack, as
 * `Deferred` does; {@link wakeLater} completes the operation now but resumes
 * the fiber when some fiber parks, or at the next scheduler turn, so that the
 * running fiber goes on (fills the buffer, locks again, starts the next task)
 * instead of switching per operation. A node can be registered before its
 * fiber parks (Go's `notifyListAdd`): a waker that finds it then records the
 * grant, and the park takes it.
 *
 * Exactly once. Effect interrupts a running fiber only where it stops: when
 * it parks, or when its run loop yields because its op budget is spent.
 * Every grant either reaches the code that consumes it before the fiber can
 * yield ({@link handsOver}), or reaches the cancel handler, which gives it
 * back: a parked waiter resumes with its grant (`Waiter.deliver`) and no step
 * of the primitive follows; a grant taken at the moment of parking when the
 * budget is short resumes later ({@link completeLater}); a grant that meets
 * an interruption (Effect runs a parked fiber's cancel handler as a step of
 * its own, and ignores a resume that comes after the interruption) stays on
 * the node, and {@link cancel} passes it to the primitive's `onCancel` once.
 *
 * To keep chains of wake-ups (fiber A wakes B which wakes C ...) from growing
 * the stack without bound, {@link tooDeep} tells a waker to yield first once
 * the nesting passes {@link MAX_WAKE_DEPTH}; it then grants from a fresh
 * stack.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Effectable from "effect/Effectable"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { count, type Diagnosable, type HeldRecord, recordOf } from "./registry.ts"
import { activeLayers, type TelemetrySite, waits } from "./telemetry.ts"
import { clockOf } from "./refs.ts"

/**
 * Resumes a parked fiber with the effect it continues with (Effect.callback's
 * `resume`). Method syntax makes the parameter bivariant, so that a list can
 * hold nodes of any result type.
 */
type Resume = { bivariant(effect: Effect.Effect<any, any, any>): void }["bivariant"]

/**
 * What a node is as an effect: the cancel handler of its park. Effect runs
 * the effect a parked fiber's `Effect.callback` registration returned when
 * the fiber is interrupted; a node returns itself, and evaluating it
 * withdraws it ({@link cancel} with its `onCancel`). One object per park,
 * where a node and an `Effect.sync` of a closure were three: a blocked
 * fiber's footprint is most of what it keeps alive.
 */
function Withdrawing(): void {}
Withdrawing.prototype = Effectable.Prototype<Effect.Effect<void>>({
  label: "effect-go/withdraw",
  evaluate() {
    const node = this as unknown as Waiter<any, any>
    cancel(node, node.onCancel)
    return Exit.void
  }
})
const WithdrawBase = Withdrawing as unknown as new () => Effect.Effect<void>

/** `Waiter.onCancel` of a node whose fiber left (see `Waiter.left`). */
const LEFT = (): void => {}

/** `Waiter.since` before the node registers (see there). */
const unsetTime = undefined as unknown as number

/**
 * A node of a {@link WaiterList}. Primitives subclass it with what they need
 * (the value to hand over, the permits asked for, ...). It is also the
 * effect that withdraws it (see `WithdrawBase`).
 */
export class Waiter<A = void, E = never> extends WithdrawBase {
  /** Previous node, towards the head. */
  prev: Waiter<any, any> | undefined = undefined
  /** Next node, towards the tail. */
  next: Waiter<any, any> | undefined = undefined
  /** The list this node is in, or undefined once it left it. */
  list: WaiterList<any> | undefined = undefined
  /** Resumes the parked fiber; set when the fiber parks, cleared when it is woken. */
  resume: Resume | undefined = undefined
  /** The waiting fiber (for dumps and deadlock reports); set when it registers. */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /**
   * Clock time, in milliseconds, at which the fiber blocked: exact under a
   * provided Clock (`TestClock`), approximate under the live one (see
   * {@link parkTime}). Set when the node registers or completes later; read
   * it only after that. It starts undefined, not 0, on purpose: V8 keeps a
   * field first given a number as a double in a box of its own (16 bytes
   * per node), while this one holds the live clock's stamp by reference,
   * one number shared by every node parked in the same synchronous run.
   */
  since: number = unsetTime
  /** What this fiber is doing on the primitive: "lock", "recv", "acquire(3)"… */
  op = ""
  /**
   * What the operation was granted (a value, a lock, a slot, a failure) and
   * its fiber has not seen yet: set by {@link wake} as it resumes the fiber
   * (and kept: if the resume comes after an interruption, Effect ignores it),
   * by {@link wakeLater} and {@link completeLater} until the fiber is
   * resumed, and by a waker that finds the node registered but not parked.
   * {@link cancel} passes it to the primitive's `onCancel`, once.
   */
  grant: Exit.Exit<A, E> | undefined = undefined
  /** Where the fiber waits, for telemetry: its list (set by {@link register}), or a select's site. */
  site: TelemetrySite | undefined = undefined
  /**
   * The cancel handler of the park, kept so that the node's own effect and
   * the deadlock detector ({@link abandon}) can withdraw it; {@link LEFT}
   * once the fiber left (one field for both: every blocked fiber keeps it).
   */
  onCancel: ((node: any, granted: any) => void) | undefined = undefined

  /** The fiber left (interrupted): it will not take a grant any more. */
  get left(): boolean {
    return this.onCancel === LEFT
  }

  /** The node whose fiber parks for this one: itself, or the select it is a case of. */
  parker(): Waiter<any, any> {
    return this
  }

  /** What the fiber does, for the blocked-fiber dump: its `op`, or a select's cases. */
  describe(): string {
    return this.op
  }

  /** Whether a timer will wake its fiber even if nobody else does (a select's `after` case). */
  wakesByTime(): boolean {
    return false
  }

  /**
   * What a deferred grant becomes when the fiber is about to be resumed
   * with it (see {@link flushPending}), or when the park finds it: `exit`
   * itself, or undefined when the node went back to waiting instead. A
   * primitive whose wake-up is only a chance to compete (Mutex's turn) takes
   * the lock here, for the fiber, so that the fiber resumes holding it and no
   * step of its own comes between taking it and returning it to its caller.
   */
  settle(exit: Exit.Exit<A, E>): Exit.Exit<A, E> | undefined {
    return exit
  }

  /**
   * The effect the fiber continues with for its grant: the `Exit` itself
   * (its caller's continuation receives it in the first step), or, for a
   * node that consumes the grant itself (a select handler, a `forEach`
   * body), that code, which marks the node delivered in its first step.
   */
  deliver(exit: Exit.Exit<A, E>): Effect.Effect<any, any, any> {
    return exit
  }
}

/** What a list is attached to: the primitive kind and its optional name. */
export interface WaitSite {
  readonly primitive: string
  readonly name: string | undefined
}

/** A blocked fiber as seen from outside: used by dumps and tests. */
export interface BlockedFiber {
  readonly primitive: string
  readonly name: string | undefined
  readonly op: string
  readonly fiberId: number | undefined
  readonly since: number
}

/**
 * An intrusive FIFO of waiters with O(1) push, shift and remove.
 */
export class WaiterList<W extends Waiter<any, any>> implements WaitSite, TelemetrySite {
  head: W | undefined = undefined
  tail: W | undefined = undefined
  size = 0
  readonly primitive: string
  readonly name: string | undefined
  /** The primitive the list belongs to, which it enrolls in the registry when a first fiber parks. */
  readonly owner: Diagnosable | undefined
  /** What its waiters do ("recv", "lock"...): the key of its count in the registry's record. */
  readonly role: string
  /** The owner's registry record, once enrolled: the list keeps its count there. */
  record: HeldRecord | undefined = undefined
  /** The slot of its role in the record's counts. */
  slot = 0
  /** Its wait-time series, made at its first wait recorded under telemetry, and whose (see telemetry.ts). */
  waitSeries: TelemetrySite["waitSeries"] = undefined
  waitSeriesOf: TelemetrySite["waitSeriesOf"] = undefined

  constructor(primitive: string, name: string | undefined, owner?: Diagnosable, role = "wait") {
    this.primitive = primitive
    this.name = name
    this.owner = owner
    this.role = role
  }

  /** Appends `node` at the tail. */
  push(node: W): void {
    node.list = this
    node.next = undefined
    node.prev = this.tail
    if (this.tail === undefined) this.head = node
    else this.tail.next = node
    this.tail = node
    this.size++
    this.counted(1)
  }

  /** Puts `node` at the head (it keeps its place in line). */
  unshift(node: W): void {
    node.list = this
    node.prev = undefined
    node.next = this.head
    if (this.head === undefined) this.tail = node
    else this.head.prev = node
    this.head = node
    this.size++
    this.counted(1)
  }

  /** Keeps the registry's count of this list's waiters (see registry.ts). */
  private counted(delta: number): void {
    const owner = this.owner
    if (owner === undefined) return
    let record = this.record
    if (record === undefined) {
      if (delta < 0) return
      record = this.record = recordOf(owner, this.primitive, this.name)
      this.slot = record.slotOf(this.role)
    }
    count(owner, record, this.slot, delta)
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): W | undefined {
    const node = this.head
    if (node !== undefined) this.unlink(node)
    return node
  }

  /** Removes `node` if it is still in this list; says whether it was. */
  remove(node: W): boolean {
    if (node.list !== this) return false
    this.unlink(node)
    return true
  }

  /** Detaches every node and returns them head first (for close/broadcast). */
  drain(): Array<W> {
    const out: Array<W> = []
    let node = this.head
    while (node !== undefined) {
      const next = node.next as W | undefined
      node.list = undefined
      node.prev = undefined
      node.next = undefined
      out.push(node)
      node = next
    }
    this.counted(-this.size)
    this.head = undefined
    this.tail = undefined
    this.size = 0
    return out
  }

  /** A snapshot of the blocked fibers, head first. */
  blocked(): Array<BlockedFiber> {
    const out: Array<BlockedFiber> = []
    for (let node = this.head; node !== undefined; node = node.next as W | undefined) {
      out.push({
        primitive: this.primitive,
        name: this.name,
        op: node.op,
        fiberId: node.fiber?.id,
        since: node.since
      })
    }
    return out
  }

  private unlink(node: W): void {
    const prev = node.prev
    const next = node.next
    if (prev === undefined) this.head = next as W | undefined
    else prev.next = next
    if (next === undefined) this.tail = prev as W | undefined
    else next.prev = prev
    node.prev = undefined
    node.next = undefined
    node.list = undefined
    this.size--
    this.counted(-1)
  }
}

/** How many wake-ups may nest on one stack before wakers yield first. */
export const MAX_WAKE_DEPTH = 48

let wakeDepth = 0

/**
 * Grants `exit` to a waiter and resumes it synchronously: the woken fiber
 * runs on the waker's stack until it blocks or yields. The caller must have
 * removed the node from its list and left its own state consistent first:
 * the woken fiber may re-enter the primitive. A node registered but not
 * parked yet keeps the grant for its park.
 *
 * Returns false, granting nothing, when the node's fiber has left
 * (interrupted after a batch of nodes was detached with `drain`, before its
 * turn to be woken): callers that drain a list must skip such nodes.
 */
export const wake = <A, E>(node: Waiter<A, E>, exit: Exit.Exit<A, E>): boolean => {
  if (node.left) return false
  node.grant = exit
  const resume = node.resume
  if (resume === undefined) return true
  // Telemetry, when a layer is alive: the one place every granted wait ends.
  if (activeLayers !== 0 && node.site !== undefined && node.fiber !== undefined)
    waits(node.fiber, node.site, node.since)
  node.resume = undefined
  node.fiber = undefined
  wakeDepth++
  try {
    resume(node.deliver(exit))
  } finally {
    wakeDepth--
  }
  return true
}

/** True when a waker should yield before waking anyone (see module doc). */
export const tooDeep = (): boolean => wakeDepth >= MAX_WAKE_DEPTH

/**
 * Runs `f` when the effect runs — after a yield if wake-ups are nested too
 * deeply at that moment. Wrap every operation that may wake a waiter in it.
 * (The depth must be read at run time, not when the effect is built: an
 * `unlock` is often built long before it runs, e.g. inside `withLock`.)
 */
export const shallow = <A, E, R>(f: () => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => shallowNow(f))

/**
 * {@link shallow} for code that already runs when the effect runs (a
 * continuation, an exit handler): `f()` now, or after a yield when wake-ups
 * are nested too deeply at this moment.
 */
export const shallowNow = <A, E, R>(f: () => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  wakeDepth >= MAX_WAKE_DEPTH ? Effect.andThen(Effect.yieldNow, Effect.suspend(f)) : f()

// -----------------------------------------------------------------------------
// Deferred wake-ups
// -----------------------------------------------------------------------------

/**
 * Waiters whose operation has completed but whose fiber has not been resumed
 * yet (see {@link wakeLater}). They are resumed when a fiber parks (it has
 * nothing else to do), or at the next scheduler turn.
 */
const pending = new WaiterList<Waiter<any, any>>("pending", undefined)
let flushScheduled = false

/** The deferred flush: counted in {@link deferredWork} like a {@link defer}red task, without a closure per flush. */
const flushTask = (): void => {
  deferredWork--
  flushScheduled = false
  flushPending()
}

/**
 * Scheduler tasks queued by the primitives that will wake fibers (a
 * deferred flush, a task's end handled after a yield) and have not run yet.
 * Such work runs in no fiber, so the deadlock detector cannot see it in the
 * fibers it counts: while any is queued, it looks for no deadlock.
 */
export let deferredWork = 0

/** Schedules `task` on `fiber`'s dispatcher, counted in {@link deferredWork} until it runs. */
export const defer = (fiber: Fiber.Fiber<unknown, unknown>, task: () => void): void => {
  deferredWork++
  fiber.currentDispatcher.scheduleTask(() => {
    deferredWork--
    task()
  }, 0)
}

/**
 * Resumes every pending waiter (stops early when nested too deeply). A
 * parking fiber calls it in the step that decides to park (see {@link park}):
 * it has nothing else to do. That must be a step in which nothing is taken
 * afterwards, and before the registration's step: a fiber resumed here runs
 * on this fiber's stack and may interrupt it (Effect acts on that at the next
 * step, before anything is taken), or make the operation ready (the
 * registration's try then takes it). Never inside a registration: a fiber
 * that completed this very operation there would resume this one inside it,
 * past the op-budget check of {@link handsOver}, and one that interrupted it
 * would have Effect drop what was just taken, with no cancel handler
 * installed yet to give it back. (Effect skips recovery handlers such as
 * `catchCause` for an interruption, so nothing cheaper can guard that gap.)
 */
export const flushPending = (): void => {
  while (pending.head !== undefined && wakeDepth < MAX_WAKE_DEPTH) {
    const node = pending.shift()!
    const granted = node.grant!
    node.grant = undefined
    const exit = node.settle(granted)
    if (exit !== undefined) wake(node, exit)
  }
}

/** Whether some waiter completed by {@link wakeLater} waits to be resumed. */
export const hasPending = (): boolean => pending.head !== undefined

/**
 * Completes a waiter now but resumes its fiber later (at the next park or
 * scheduler turn). The caller removed the node from its list. If the fiber
 * is interrupted before it is resumed, its cancel handler receives the grant,
 * so that the primitive can undo or keep what was completed. A node
 * registered but not parked yet just keeps the grant for its park.
 */
export const wakeLater = <A, E>(
  node: Waiter<A, E>,
  exit: Exit.Exit<A, E>,
  fiber: Fiber.Fiber<unknown, unknown>
): void => {
  node.grant = exit
  if (node.resume === undefined) return
  pending.push(node)
  if (!flushScheduled) {
    flushScheduled = true
    deferredWork++
    fiber.currentDispatcher.scheduleTask(flushTask, 0)
  }
}

// -----------------------------------------------------------------------------
// Hand-over without a window
// -----------------------------------------------------------------------------

/**
 * How many run-loop steps may separate the step in which an operation takes
 * a value (or commits a select) from the first step of the code that
 * consumes it: a receive's `Exit` is evaluated in the next step and passed
 * to the caller's continuation in that step or, once in 32 steps, in the one
 * after; a select handler or a `forEach` body starts within two steps.
 */
export const HANDOVER_STEPS = 3

/**
 * Whether a grant taken in the current step reaches the code that consumes
 * it (the caller's continuation, a select handler, a `forEach` body) before
 * the fiber can yield — and so before an interruption can land.
 *
 * Effect interrupts a running fiber only where it stops: when it parks, or
 * when its run loop yields because the fiber has spent its op budget
 * (`Scheduler.MaxOpsBeforeYield`; Effect's schedulers decide by this count).
 * A value taken in a step and returned to the caller passes through one or
 * more further steps before the caller's code runs; if the budget runs out
 * in between, the fiber yields there, an interruption that arrives during
 * the yield discards the value, and nothing gives it back. So an operation
 * takes a value on its fast path only while the budget covers
 * {@link HANDOVER_STEPS} more steps. Otherwise it takes it at its park and
 * resumes later ({@link completeLater}): a resumed fiber starts a fresh
 * budget, and an interruption before it resumes reaches the cancel handler,
 * which gives the grant back.
 *
 * This costs a deferred resumption in about 3 operations of 2048 under the
 * default budget, and none when yields are prevented.
 */
export const handsOver = (fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  const cache = fiber.cache
  return cache.preventYield || fiber.currentOpCount + HANDOVER_STEPS < cache.maxOpsBeforeYield
}

/**
 * Completes an operation at its park (inside `Effect.callback`) without
 * resuming there: the fiber suspends and is resumed later, like a waiter
 * completed by {@link wakeLater}. Use it where the operation took a grant
 * that {@link handsOver} says could not reach its consumer now.
 */
export const completeLater = <A, E>(
  node: Waiter<A, E>,
  exit: Exit.Exit<A, E>,
  fiber: Fiber.Fiber<unknown, unknown>,
  resume: Resume
): void => {
  node.resume = resume
  node.fiber = fiber
  node.since = parkTime(fiber)
  wakeLater(node, exit, fiber)
}

// -----------------------------------------------------------------------------
// Park time
// -----------------------------------------------------------------------------

/** The live Clock: what `Clock.Clock` is when no other Clock was provided. */
const liveClock: Clock.Clock = Context.get(Context.empty(), Clock.Clock)

/** The live clock's time, read once per synchronous run (see {@link parkTime}); -1 once stale. */
let stamp = -1
const expireStamp = (): void => {
  stamp = -1
}

/**
 * The time to record as a node's `since` when `fiber` parks now.
 *
 * Under a provided Clock (`TestClock` in tests) this is that clock's time,
 * exactly. Under the live clock it is read once per synchronous run of the
 * event loop (a microtask expires it): `Date.now()` costs ~50 ns, about 5%
 * of an unbuffered round trip when read at every park, and fibers park by
 * the hundred per run. A `since` can then be early by at most the time the
 * thread has been running synchronously, as Go's own `waitsince` is
 * approximate.
 */
export const parkTime = (fiber: Fiber.Fiber<unknown, unknown>): number => {
  const clock = clockOf(fiber)
  if (clock !== liveClock) return clock.currentTimeMillisUnsafe()
  if (stamp < 0) {
    stamp = clock.currentTimeMillisUnsafe()
    queueMicrotask(expireStamp)
  }
  return stamp
}

// -----------------------------------------------------------------------------
// Parking
// -----------------------------------------------------------------------------

/**
 * Puts `node` where wakers find it, without parking (Go's `notifyListAdd`):
 * a waker that removes it before its fiber parks records the grant on it,
 * and {@link waitFor} takes that grant.
 */
export const register = <W extends Waiter<any, any>>(
  list: WaiterList<W>,
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>
): void => {
  node.fiber = fiber
  node.since = parkTime(fiber)
  node.site = list
  list.push(node)
}

/** Where a parking operation's node goes: a list, or several (a select's). */
export type Enlist<W extends Waiter<any, any>> =
  | WaiterList<W>
  | ((node: W, fiber: Fiber.Fiber<unknown, unknown>) => void)

/**
 * An operation's non-blocking try: takes what it waits for and returns it,
 * or undefined. It gets the node and the fiber so that an operation can pass
 * one function built once (a channel's receive) instead of a closure per park.
 */
export type Attempt<W, A, E> = (node: W, fiber: Fiber.Fiber<unknown, unknown>) => Exit.Exit<A, E> | undefined

/** What a primitive does for a waiter that leaves (interrupted) with `granted`, if it was granted anything. */
export type OnCancel<W, A, E> = ((node: W, granted: Exit.Exit<A, E> | undefined) => void) | undefined

const enlist = <W extends Waiter<any, any>>(where: Enlist<W>, node: W, fiber: Fiber.Fiber<unknown, unknown>): void => {
  if (typeof where === "function") where(node, fiber)
  else register(where, node, fiber)
}

/**
 * Parks the fiber until a waker grants `node`, and continues with the grant
 * (`node.deliver`). The one way every primitive blocks.
 *
 * - `attempt` is the operation's own non-blocking try (share it with the
 *   fast path): it runs again at the moment of parking, and if it succeeds
 *   the fiber does not wait (or, when {@link handsOver} says the grant could
 *   not reach its consumer now, it waits completed and resumes later). Effect's
 *   run loop may yield before evaluating any effect once a fiber's op budget
 *   is spent, so between the fast path and the park other fibers may have
 *   filled the buffer or freed the lock; nothing can come between this try
 *   and the registration.
 * - `where` is the list the node waits in (or a function that registers a
 *   select's nodes on several).
 * - `onCancel` runs once if the fiber is interrupted before it continues
 *   with a grant: it withdraws what the node left elsewhere and gives back
 *   the grant it never saw (a value, a lock, permits, a turn).
 *
 * Call it from the step that decided to park, having taken nothing there:
 * it resumes the waiters this fiber completed (see {@link flushPending}) in
 * that step, before the registration's step.
 *
 * Testing it: the gaps open only when the op budget runs out exactly there,
 * so sweep `Scheduler.MaxOpsBeforeYield` over a range (3 to 40) with a
 * contended workload. (A budget of 1 or 2 livelocks Effect itself, even on
 * pure synchronous code: do not test below 3.)
 */
export const park = <W extends Waiter<A, E>, A, E>(
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  attempt: Attempt<W, A, E>,
  where: Enlist<W>,
  onCancel: OnCancel<W, A, E>
): Effect.Effect<A, E> => {
  flushPending()
  return Effect.callback<A, E>((resume) => parkNow(node, fiber, attempt, where, onCancel, resume))
}

/**
 * The registration of {@link park}, for an operation that builds its own
 * `Effect.callback` once (a channel's receive allocates only its node per
 * park): call it with the callback's `resume` and return what it returns,
 * after calling {@link flushPending} in the step that decided to park.
 */
export const parkNow = <W extends Waiter<A, E>, A, E>(
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  attempt: Attempt<W, A, E>,
  where: Enlist<W>,
  onCancel: OnCancel<W, A, E>,
  resume: Resume
): Effect.Effect<void> | undefined => parkAfter(node, fiber, attempt(node, fiber), where, onCancel, resume)

/**
 * {@link parkNow} for a registration that made its try itself, before it
 * needed a node (`now`: what the try took, or undefined): a try that
 * succeeds and reaches its consumer allocates no node.
 */
export const parkAfter = <W extends Waiter<A, E>, A, E>(
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  now: Exit.Exit<A, E> | undefined,
  where: Enlist<W>,
  onCancel: OnCancel<W, A, E>,
  resume: Resume
): Effect.Effect<void> | undefined => {
  if (now !== undefined && handsOver(fiber)) {
    resume(node.deliver(now))
    return undefined
  }
  node.onCancel = onCancel
  if (now !== undefined) completeLater(node, now, fiber, resume)
  else {
    enlist(where, node, fiber)
    node.resume = resume
  }
  return node
}

/**
 * {@link park} built once, for a primitive whose parks differ only in their
 * node: its `Effect.callback` is made here, and each park allocates only the
 * node `newNode` makes for the parking fiber (no registration closure per
 * park). Return it from a step that called {@link flushPending}.
 */
export const reusablePark = <W extends Waiter<A, E>, A, E>(
  newNode: (fiber: Fiber.Fiber<unknown, unknown>) => W,
  attempt: Attempt<W, A, E>,
  where: Enlist<W>,
  onCancel: OnCancel<W, A, E>
): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const fiber = Fiber.getCurrent()!
    return parkNow(newNode(fiber), fiber, attempt, where, onCancel, resume)
  })

/**
 * Parks a node registered earlier ({@link register}: Go's `notifyListWait`
 * after `notifyListAdd`) until it is granted, taking at once a grant it got
 * in between. Cond registers before it unlocks its mutex, so that a signal
 * sent by the fiber that gets the mutex next is not missed. The caller must
 * withdraw the node itself (`cancel`) if it is interrupted before the park
 * (Cond's `wait` sees every end of it); once parked, `onCancel` runs once if
 * the fiber leaves without its grant.
 */
export const waitFor = <W extends Waiter<A, E>, A, E>(
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  onCancel: OnCancel<W, A, E>
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    flushPending()
    return Effect.callback<A, E>((resume) => {
      let granted = node.grant
      if (granted !== undefined) {
        node.grant = undefined
        granted = node.settle(granted)
      }
      if (granted !== undefined && handsOver(fiber)) return resume(node.deliver(granted) as Effect.Effect<A, E>)
      node.onCancel = onCancel
      if (granted !== undefined) completeLater(node, granted, fiber, resume)
      else node.resume = resume
      return node
    })
  })

/** {@link park} on one list: the common case. */
export const block = <W extends Waiter<A, E>, A, E>(
  list: WaiterList<W>,
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  onCancel: OnCancel<W, A, E>,
  attempt: Attempt<W, A, E>
): Effect.Effect<A, E> => park(node, fiber, attempt, list, onCancel)

/**
 * Withdraws an interrupted waiter, once: removes its node from whichever
 * list holds it (its primitive's, or the pending list) and passes what it
 * was granted and never saw to `onCancel`.
 */
export const cancel = <W extends Waiter<A, E>, A, E>(node: W, onCancel: OnCancel<W, A, E>): void => {
  if (node.onCancel === LEFT) return
  node.onCancel = LEFT
  const granted = node.grant
  node.grant = undefined
  node.list?.remove(node)
  node.resume = undefined
  node.fiber = undefined
  if (onCancel !== undefined) onCancel(node, granted)
}

/**
 * Fails a parked fiber with the defect `error` instead of ever granting it
 * (the deadlock detector's `"fail"` action): withdraws its node first, as an
 * interruption would, then resumes it with the defect. False when the node
 * is not parked (any more).
 */
export const abandon = (parker: Waiter<any, any>, error: unknown): boolean => {
  const resume = parker.resume
  if (resume === undefined || parker.left) return false
  cancel(parker, parker.onCancel)
  resume(Exit.die(error))
  return true
}

/**
 * Waiter lists: the one blocking mechanism every effect-go primitive shares.
 *
 * A blocked fiber is a node in an intrusive doubly linked list owned by the
 * primitive it waits on. Intrusive links make the two operations that matter
 * O(1): waking the head (FIFO hand-off) and withdrawing an interrupted waiter
 * from the middle of the list.
 *
 * Every node records what it waits on (the list's primitive kind and name),
 * which fiber waits, and since when (Clock time; approximate under the live
 * clock, see {@link parkTime}), so that a blocked-fiber dump or deadlock
 * report can be built from the lists alone.
 *
 * Two kinds of wake-up. {@link wake} is synchronous, as `Deferred` does it:
 * `resume` runs the woken fiber on the waker's stack until it blocks or
 * yields, with no scheduler hop. {@link wakeLater} completes the operation
 * now but resumes the fiber when some fiber parks, or at the next scheduler
 * turn: channels, Mutex turns and ErrGroup slots use it so that the running
 * fiber goes on (fills the buffer, locks again, starts the next task) instead
 * of switching per operation. A grant can still meet an interruption: Effect runs a parked fiber's
 * cancel handler as a step of its own after the interruption, and a waker
 * may take the node in between (its resume is then ignored). So nodes
 * remember what they were granted, and `cancel` hands it to the primitive's
 * `onCancel`, which gives it back (unlocks, returns the value). To keep chains
 * of wake-ups (fiber A wakes B which wakes C ...) from growing the stack
 * without bound, {@link tooDeep} tells a waker to yield first once the
 * nesting passes {@link MAX_WAKE_DEPTH}; it then grants from a fresh stack.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"

// Method syntax makes the parameter bivariant, so that a list can hold nodes
// of any result type (`WaiterList<Waiter<any, any>>`).
type Resume<A, E> = { bivariant(exit: Exit.Exit<A, E>): void }["bivariant"]

/**
 * A node of a {@link WaiterList}. Primitives subclass it with what they need
 * (the value to hand over, the permits asked for, ...).
 */
export class Waiter<A = void, E = never> {
  /** Previous node, towards the head. */
  prev: Waiter<any, any> | undefined = undefined
  /** Next node, towards the tail. */
  next: Waiter<any, any> | undefined = undefined
  /** The list this node is in, or undefined once it left it. */
  list: WaiterList<any> | undefined = undefined
  /** Resumes the blocked fiber; set when the fiber blocks. */
  resume: Resume<A, E> | undefined = undefined
  /** The blocked fiber (for dumps and deadlock reports). */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /**
   * Clock time, in milliseconds, at which the fiber blocked: exact under a
   * provided Clock (`TestClock`), approximate under the live one (see
   * {@link parkTime}).
   */
  since = 0
  /** What this fiber is doing on the primitive: "lock", "recv", "acquire(3)"… */
  op = ""
  /**
   * What the operation was granted (a value, a lock, a slot, a failure):
   * set by {@link wake} as it resumes the fiber, by {@link wakeLater} and
   * {@link completeLater} until the fiber is resumed. If the fiber is
   * interrupted before it sees it (Effect runs a parked fiber's cancel
   * handler as a step of its own, and ignores a resume that comes after the
   * interruption), {@link cancel} passes it to the primitive's `onCancel`,
   * which gives it back: once, since `cancel` clears it.
   */
  grant: Exit.Exit<A, E> | undefined = undefined

  /**
   * What a deferred wake-up resumes the fiber with, decided when it is
   * resumed (see {@link flushPending}): `exit` itself, or undefined when the
   * node went back to waiting instead. A primitive whose wake-up is only a
   * chance to compete (Mutex's turn) takes the lock here, for the fiber, so
   * that the fiber resumes holding it and no step of its own comes between
   * taking it and returning it to its caller.
   */
  settle(exit: Exit.Exit<A, E>): Exit.Exit<A, E> | undefined {
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
export class WaiterList<W extends Waiter<any, any>> implements WaitSite {
  head: W | undefined = undefined
  tail: W | undefined = undefined
  size = 0
  readonly primitive: string
  readonly name: string | undefined

  constructor(primitive: string, name: string | undefined) {
    this.primitive = primitive
    this.name = name
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
  }
}

/** How many wake-ups may nest on one stack before wakers yield first. */
export const MAX_WAKE_DEPTH = 48

let wakeDepth = 0

/**
 * Resumes a waiter synchronously. The caller must have removed the node from
 * its list and left its own state consistent: the woken fiber runs before
 * `wake` returns and may re-enter the primitive.
 *
 * Returns false, waking nobody, when the node's fiber has already gone
 * (interrupted after a batch of nodes was detached with `drain`, before its
 * turn to be woken): callers that drain a list must skip such nodes.
 */
export const wake = <A, E>(node: Waiter<A, E>, exit: Exit.Exit<A, E>): boolean => {
  const resume = node.resume
  if (resume === undefined) return false
  node.resume = undefined
  node.fiber = undefined
  node.grant = exit
  wakeDepth++
  try {
    resume(exit)
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
  Effect.suspend(() => (wakeDepth >= MAX_WAKE_DEPTH ? Effect.andThen(Effect.yieldNow, Effect.suspend(f)) : f()))

// -----------------------------------------------------------------------------
// Deferred wake-ups
// -----------------------------------------------------------------------------

/**
 * Waiters whose operation has completed but whose fiber has not been resumed
 * yet. Channels use this: a sender that fills the buffer keeps running
 * instead of switching to the receiver after every value; the receiver is
 * resumed when the sender parks (or at the next scheduler turn, whichever
 * comes first) and then drains the buffer without parking. On an unbuffered
 * channel the resumed fiber's reply often completes the parking fiber before
 * its callback has returned, which then does not suspend at all.
 */
const pending = new WaiterList<Waiter<any, any>>("pending", undefined)
let flushScheduled = false

const flushTask = (): void => {
  flushScheduled = false
  flushPending()
}

/** Resumes every pending waiter (stops early when nested too deeply). */
export const flushPending = (): void => {
  while (pending.head !== undefined && wakeDepth < MAX_WAKE_DEPTH) {
    const node = pending.shift()!
    const granted = node.grant!
    node.grant = undefined
    const exit = node.settle(granted)
    if (exit !== undefined) wake(node, exit)
  }
}

/**
 * Completes a waiter now but resumes its fiber later (at the next park or
 * scheduler turn). The caller removed the node from its list. If the fiber is
 * interrupted before it is resumed, its `block` cancel handler receives the
 * grant, so that the primitive can undo or keep what was completed.
 */
export const wakeLater = <A, E>(
  node: Waiter<A, E>,
  exit: Exit.Exit<A, E>,
  fiber: Fiber.Fiber<unknown, unknown>
): void => {
  node.grant = exit
  pending.push(node)
  if (!flushScheduled) {
    flushScheduled = true
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
 * Whether a value taken in the current step reaches the code that consumes
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
 * {@link HANDOVER_STEPS} more steps. Otherwise it takes it at registration
 * and resumes later ({@link completeLater}): a resumed fiber starts a fresh
 * budget, and an interruption before it resumes reaches the cancel handler,
 * which gives the value back.
 *
 * This costs a deferred resumption in about 3 receives of 2048 under the
 * default budget, and none when yields are prevented.
 */
export const handsOver = (fiber: Fiber.Fiber<unknown, unknown>): boolean => {
  const cache = fiber.cache
  return cache.preventYield || fiber.currentOpCount + HANDOVER_STEPS < cache.maxOpsBeforeYield
}

/**
 * Completes an operation at its registration (inside `Effect.callback`)
 * without resuming there: the fiber suspends and is resumed later, like a
 * waiter completed by {@link wakeLater}. Use it where the operation took a
 * value that {@link handsOver} says could not reach its consumer now. The
 * callback must return a cancel effect that calls {@link cancel} on
 * `node`: an interruption before the resumption passes the exit to
 * `onCancel` as completed.
 */
export const completeLater = <A, E>(
  node: Waiter<A, E>,
  exit: Exit.Exit<A, E>,
  fiber: Fiber.Fiber<unknown, unknown>,
  resume: (exit: Exit.Exit<A, E>) => void
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
  const clock = fiber.getRef(Clock.Clock)
  if (clock !== liveClock) return clock.currentTimeMillisUnsafe()
  if (stamp < 0) {
    stamp = clock.currentTimeMillisUnsafe()
    queueMicrotask(expireStamp)
  }
  return stamp
}

const flushStep: Effect.Effect<void> = Effect.sync(flushPending)

/**
 * `park`, after resuming the waiters this fiber completed while it ran (see
 * {@link wakeLater}): parking is when it has nothing else to do. The flush
 * is a step of its own, before the registration, for two reasons. A fiber
 * it resumes runs on this fiber's stack and may interrupt this fiber; Effect
 * acts on that interruption at the next step, which must come before the
 * registration takes anything (a value, a lock), not after. And a fiber it
 * resumes may complete this operation: done during the registration, that
 * would resume this fiber inside it, past the op-budget check of
 * {@link handsOver}. Done before, it makes the operation ready, and the
 * registration's own try takes it — as in a ping-pong, where the replying
 * fiber parks and the registration takes its reply without suspending.
 * Without pending waiters this is `park` itself.
 */
export const flushFirst = <A, E, R>(park: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  pending.head === undefined ? park : Effect.andThen(flushStep, park)

/**
 * Blocks the current fiber on `list` with `node` until a waker calls
 * {@link wake} or {@link wakeLater}. Interruption withdraws the node in O(1)
 * from whichever list holds it; `onCancel` then runs, with the grant
 * if the operation had already completed (see {@link wakeLater}), so that a
 * primitive can return a value it took or withdraw a select's other nodes.
 *
 * `attempt` is the operation's own non-blocking try (the same one its fast
 * path ran): it is tried again at the moment of parking, and if it succeeds
 * the fiber does not park (or, when {@link handsOver} says the grant could
 * not reach the caller now, parks completed and resumes later; `onCancel`
 * then gives the grant back if an interruption comes first). This is what makes "check, then park" atomic.
 * Effect's run loop may yield before evaluating any effect (once a fiber has
 * spent its `MaxOpsBeforeYield` budget), so between an operation's first
 * check and the evaluation of `block`'s callback other fibers may run — fill
 * the buffer, unlock the mutex — and a fiber that then parked without looking
 * again would wait for a wake-up that already happened. Registration itself
 * runs synchronously, so nothing can come between the second try and the
 * parking.
 *
 * Testing it: the gap opens only when the op budget runs out exactly there,
 * so sweep `Scheduler.MaxOpsBeforeYield` over a range (3 to 40) with a
 * contended workload; before this fix an unbuffered channel hung at 9. (A
 * budget of 1 or 2 livelocks Effect itself, even on pure synchronous code:
 * do not test below 3.)
 *
 * The waiters this fiber completed while it ran are resumed first, in a
 * step of its own (see {@link flushFirst}).
 */
export const block = <W extends Waiter<A, E>, A, E>(
  list: WaiterList<W>,
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  onCancel: ((node: W, completed: Exit.Exit<A, E> | undefined) => void) | undefined,
  attempt: () => Exit.Exit<A, E> | undefined
): Effect.Effect<A, E> =>
  flushFirst(
    Effect.callback<A, E>((resume) => {
      const now = attempt()
      if (now !== undefined && handsOver(fiber)) return resume(now)
      if (now !== undefined) completeLater(node, now, fiber, resume)
      else enqueue(list, node, fiber, resume)
      return Effect.sync(() => cancel(node, onCancel))
    })
  )

/**
 * The parking step of {@link block}, for an operation that builds its own
 * `Effect.callback` (a channel receive shares one per channel, which
 * allocates nothing but the node): call it from the callback's registration,
 * right after the operation's non-blocking try failed there, and return a
 * cancel effect that calls {@link cancel} on `node`. Run the callback
 * through {@link flushFirst}: nothing else may run on this fiber's stack
 * during its registration.
 */
export const enqueue = <W extends Waiter<A, E>, A, E>(
  list: WaiterList<W>,
  node: W,
  fiber: Fiber.Fiber<unknown, unknown>,
  resume: (exit: Exit.Exit<A, E>) => void
): void => {
  node.resume = resume
  node.fiber = fiber
  node.since = parkTime(fiber)
  list.push(node)
}

/** Withdraws an interrupted waiter; see {@link block}. */
export const cancel = <W extends Waiter<A, E>, A, E>(
  node: W,
  onCancel: ((node: W, completed: Exit.Exit<A, E> | undefined) => void) | undefined
): void => {
  // Completed but not resumed: deferred (pending), or woken in the moment
  // between this fiber's interruption and this handler (Effect runs the
  // handler as a later step, and wakers may take the node in between).
  const completed = node.grant
  node.grant = undefined
  node.list?.remove(node)
  node.resume = undefined
  node.fiber = undefined
  if (onCancel !== undefined) onCancel(node, completed)
}

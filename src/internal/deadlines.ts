/**
 * Deadline timers: one sleeping fiber per Clock serves a heap of deadlines,
 * instead of a fiber per deadline (Go's runtime keeps a timer heap for the
 * same reason). A context with a timeout then costs a heap insertion and a
 * removal instead of a fork, a sleep and an interruption: a request path
 * makes one per call it bounds.
 *
 * The sleeper sleeps on the Clock until the earliest deadline, expires every
 * deadline due, and sleeps again; it ends when the heap is empty, so nothing
 * is left sleeping (on a `TestClock` either) once every deadline is
 * disarmed. A deadline earlier than the one it sleeps to replaces it with a
 * new sleeper. Queues are kept per Clock and per fiber-runtime-metrics
 * service: the sleeper runs in the region of the fiber that started it, so
 * the deadlock detector's all-asleep rule counts it as alive there, as it
 * counted each timer fiber, while a deadline of that region is pending.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Scheduler from "effect/Scheduler"
import { CurrentTelemetry } from "./telemetry.ts"
import { clockOf, refReader } from "./refs.ts"

const runtimeMetricsOf = refReader(Metric.FiberRuntimeMetrics)

/**
 * Something with a deadline (a context, a select's timeout case): it is
 * armed in at most one queue at a time. An interface, so that a class with
 * a base of its own (a waiter) can be one: its fields start as
 * `at = 0`, `index = -1`, `queue = undefined`.
 */
export interface Deadline {
  /** Epoch milliseconds on the queue's Clock. */
  at: number
  /** The position in its queue's heap; -1 when not armed. */
  index: number
  /** When it was armed, among all deadlines: equal deadlines expire in this order. */
  seq: number
  /** The queue it is armed in; undefined when not armed. */
  queue: DeadlineQueue | undefined
  /** The deadline has come: called by the sleeper, after it is disarmed. */
  expire(): void
  /** The sleeper ended without expiring it (it was interrupted): called after it is disarmed. */
  lost(): void
}

/** The deadlines of one Clock (and region), and the fiber that serves them. */
export class DeadlineQueue {
  readonly heap: Array<Deadline> = []
  sleeper: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** The deadline the sleeper sleeps to. */
  until = Number.POSITIVE_INFINITY
  /** The sleeper is expiring deadlines: it looks at the heap again before it sleeps. */
  expiring = false
  readonly clock: Clock.Clock
  constructor(clock: Clock.Clock) {
    this.clock = clock
  }
}

interface QueuesOfClock {
  none: DeadlineQueue | undefined
  readonly byService: WeakMap<object, DeadlineQueue>
}

const queues = new WeakMap<Clock.Clock, QueuesOfClock>()

const queueFor = (fiber: Fiber.Fiber<unknown, unknown>): DeadlineQueue => {
  const clock = clockOf(fiber)
  let ofClock = queues.get(clock)
  if (ofClock === undefined) {
    ofClock = { none: undefined, byService: new WeakMap() }
    queues.set(clock, ofClock)
  }
  const service = runtimeMetricsOf(fiber)
  if (service === undefined) return (ofClock.none ??= new DeadlineQueue(clock))
  let queue = ofClock.byService.get(service)
  if (queue === undefined) {
    queue = new DeadlineQueue(clock)
    ofClock.byService.set(service, queue)
  }
  return queue
}

// -----------------------------------------------------------------------------
// The heap (a binary min-heap on `at`; each entry knows its index)
// -----------------------------------------------------------------------------

/** Earlier deadline first; of equal deadlines, the one armed first (so they expire in the order they were armed). */
const before = (a: Deadline, b: Deadline): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** Arming order, for ties. */
let armings = 0

const place = (heap: Array<Deadline>, d: Deadline, i: number): void => {
  heap[i] = d
  d.index = i
}

const up = (heap: Array<Deadline>, i: number): void => {
  const d = heap[i]!
  while (i > 0) {
    const parent = (i - 1) >> 1
    const p = heap[parent]!
    if (!before(d, p)) break
    place(heap, p, i)
    i = parent
  }
  place(heap, d, i)
}

const down = (heap: Array<Deadline>, i: number): void => {
  const d = heap[i]!
  const n = heap.length
  for (;;) {
    const left = 2 * i + 1
    if (left >= n) break
    const right = left + 1
    const child = right < n && before(heap[right]!, heap[left]!) ? right : left
    if (!before(heap[child]!, d)) break
    place(heap, heap[child]!, i)
    i = child
  }
  place(heap, d, i)
}

const removeAt = (heap: Array<Deadline>, i: number): void => {
  const removed = heap[i]!
  removed.index = -1
  removed.queue = undefined
  const last = heap.pop()!
  if (last === removed) return
  place(heap, last, i)
  if (i > 0 && before(last, heap[(i - 1) >> 1]!)) up(heap, i)
  else down(heap, i)
}

// -----------------------------------------------------------------------------
// The sleeper
// -----------------------------------------------------------------------------

/**
 * The sleeper's loop. It starts by sleeping (for no time when the earliest
 * deadline is due already), so a deadline is never expired inside the
 * `arm` that armed it: the caller may still be setting up what the expiry
 * acts on.
 */
const sleeperOf = (queue: DeadlineQueue): Effect.Effect<void> => {
  const heap = queue.heap
  const expireDue: Effect.Effect<void> = Effect.suspend(() => {
    const now = queue.clock.currentTimeMillisUnsafe()
    queue.expiring = true
    try {
      while (heap.length > 0 && heap[0]!.at <= now) {
        const due = heap[0]!
        removeAt(heap, 0)
        due.expire()
      }
    } finally {
      queue.expiring = false
    }
    if (heap.length === 0) {
      queue.until = Number.POSITIVE_INFINITY
      return Effect.void
    }
    return sleepToEarliest
  })
  const sleepToEarliest: Effect.Effect<void> = Effect.suspend(() => {
    queue.until = heap[0]!.at
    return Effect.andThen(Effect.sleep(Math.max(0, queue.until - queue.clock.currentTimeMillisUnsafe())), expireDue)
  })
  return sleepToEarliest
}

/**
 * What the sleeper runs with, taken from `fiber`: its Clock, its Scheduler,
 * its region (the fiber-runtime-metrics service) and its telemetry, and
 * nothing else. The
 * sleeper may serve its queue for as long as deadlines keep coming (a busy
 * server's never stop): the whole context of the fiber that happened to
 * start it (a request's services, its span) would be kept alive as long.
 */
const sleeperContext = (fiber: Fiber.Fiber<unknown, unknown>): Context.Context<never> => {
  let context = Context.make(Clock.Clock, fiber.getRef(Clock.Clock)).pipe(
    Context.add(Scheduler.Scheduler, fiber.getRef(Scheduler.Scheduler))
  )
  const region = fiber.getRef(Metric.FiberRuntimeMetrics)
  if (region !== undefined) context = Context.add(context, Metric.FiberRuntimeMetrics, region)
  // What an expiry records (a deadline's cancellation) goes to its telemetry.
  const telemetry = fiber.getRef(CurrentTelemetry)
  if (telemetry !== undefined) context = Context.add(context, CurrentTelemetry, telemetry)
  return context as Context.Context<never>
}

/** Starts a sleeper for `queue` with what `fiber` runs with (replacing the one it has, if any). */
const start = (queue: DeadlineQueue, fiber: Fiber.Fiber<unknown, unknown>): void => {
  const previous = queue.sleeper
  // It suspends in its first step (see `sleeperOf`).
  const sleeper = Effect.runForkWith(sleeperContext(fiber))(sleeperOf(queue))
  queue.sleeper = sleeper
  sleeper.addObserver(() => {
    if (queue.sleeper !== sleeper) return
    // Ended with nothing left to expire, or interrupted from outside: a
    // deadline it leaves armed has lost its timer, and is told so.
    queue.sleeper = undefined
    queue.until = Number.POSITIVE_INFINITY
    const heap = queue.heap
    while (heap.length > 0) {
      const d = heap[heap.length - 1]!
      removeAt(heap, heap.length - 1)
      d.lost()
    }
  })
  previous?.interruptUnsafe()
}

/**
 * Arms `d` at `at` in the queue of `fiber`'s Clock (and region). The caller
 * handles a deadline already past (it is never armed).
 */
export const arm = (d: Deadline, at: number, fiber: Fiber.Fiber<unknown, unknown>): void => {
  // Armed already (a caller that re-arms without disarming): moved, not doubled.
  if (d.queue !== undefined) disarm(d)
  const queue = queueFor(fiber)
  d.at = at
  d.seq = armings++
  d.queue = queue
  const heap = queue.heap
  place(heap, d, heap.length)
  up(heap, heap.length - 1)
  if (queue.expiring) return
  if (queue.sleeper === undefined || at < queue.until) start(queue, fiber)
}

/** Takes `d` out of its queue (nothing if it is not armed). The sleeper ends once its heap is empty. */
export const disarm = (d: Deadline): void => {
  const queue = d.queue
  if (queue === undefined) return
  removeAt(queue.heap, d.index)
  if (queue.heap.length === 0 && !queue.expiring) {
    const sleeper = queue.sleeper
    queue.sleeper = undefined
    queue.until = Number.POSITIVE_INFINITY
    sleeper?.interruptUnsafe()
  }
}

/** The deadlines armed in `fiber`'s queue and the fiber serving them (for tests). */
export const queueState = (
  fiber: Fiber.Fiber<unknown, unknown>
): { readonly armed: number; readonly sleeper: Fiber.Fiber<unknown, unknown> | undefined } => {
  const queue = queueFor(fiber)
  return { armed: queue.heap.length, sleeper: queue.sleeper }
}

/**
 * The registry of primitives that fibers have blocked on, for the
 * blocked-fiber dump, the deadlock detector and the collected-with-waiters
 * leak report (see `Diagnostics`).
 *
 * A primitive enrolls the first time a fiber parks on it (a primitive no
 * fiber ever waited on has nothing to show), so making one costs nothing
 * more, and the operations that do not park never touch the registry. The
 * registry holds it weakly: a `WeakRef`, dropped when the primitive is
 * garbage-collected.
 *
 * Collected with waiters. A primitive that is collected while fibers are
 * parked on it proves that those fibers can never be woken (nothing can
 * reach the lists that would wake them): a leak the garbage collector has
 * proved, as Go 1.26's goroutine-leak profile does. The `FinalizationRegistry`
 * that tells us keeps a small record per primitive, which must not reach the
 * primitive (it would never be collected): its kind, its name and how many
 * fibers wait in each role, counted by its waiter lists as nodes come and go.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type { Waiter, WaiterList } from "./waiters.ts"

/** Who can wake a waiter of a queue: what the deadlock analysis needs to know. */
export type Wakers =
  /** Anyone may (a channel's peers, a Cond's signaller, a `done` from any fiber). */
  | { readonly _tag: "Anyone" }
  /** Only these fibers, all of them (a lock's holders; a WaitGroup's tasks). */
  | { readonly _tag: "AllOf"; readonly fibers: ReadonlyArray<Fiber.Fiber<unknown, unknown>> }
  /** Any one of these fibers (an ErrGroup slot: the first task to finish). */
  | { readonly _tag: "OneOf"; readonly fibers: ReadonlyArray<Fiber.Fiber<unknown, unknown>> }
  /** The Clock (a deadline, a timer). */
  | { readonly _tag: "Time" }

/** The `Wakers` of a queue nobody in particular serves. */
export const anyone: Wakers = { _tag: "Anyone" }
/** The `Wakers` of a queue served by time. */
export const byTime: Wakers = { _tag: "Time" }

/** A fiber in the way of the waiters: it holds the lock, runs the initializer... */
export interface Holder {
  readonly fiber: Fiber.Fiber<unknown, unknown>
  /** What it does: "holds the lock", "reads", "holds 2 permits", "runs the initializer", "task". */
  readonly role: string
}

/** One waiter list of a primitive, and who can wake its waiters. */
export interface Queue {
  readonly list: WaiterList<Waiter<any, any>>
  readonly wakers: Wakers
}

/** What a primitive shows of itself to the dump and the deadlock analysis. */
export interface Diagnosis {
  /** The primitive's kind: "Chan", "Mutex", ... */
  readonly kind: string
  readonly name: string | undefined
  /** Its observable state (buffer length, closed, count...), as `toJSON` shows it. */
  readonly state: Readonly<Record<string, unknown>>
  readonly queues: ReadonlyArray<Queue>
  readonly holders: ReadonlyArray<Holder>
}

/** A primitive that fibers can block on. */
export interface Diagnosable {
  /** Its record once enrolled (set by {@link enroll}). */
  heldRecord: HeldRecord | undefined
  diagnose(): Diagnosis
}

/**
 * The record kept for an enrolled primitive. It never references the
 * primitive (only weakly) nor its lists: the `FinalizationRegistry` holds it
 * strongly, and a path from it to the primitive would keep the primitive
 * alive forever.
 */
export class HeldRecord {
  readonly kind: string
  readonly name: string | undefined
  readonly ref: WeakRef<Diagnosable>
  /** Fibers waiting, by role ("recv", "lock", ...): kept by the waiter lists. */
  readonly waiting: Record<string, number> = {}
  constructor(kind: string, name: string | undefined, primitive: Diagnosable) {
    this.kind = kind
    this.name = name
    this.ref = new WeakRef(primitive)
  }
}

/** A primitive that was garbage-collected while fibers were parked on it. */
export interface Collected {
  readonly kind: string
  readonly name: string | undefined
  /** Fibers that were parked on it, by role. */
  readonly waiting: Readonly<Record<string, number>>
  /** Wall-clock time at which the collection was noticed (ms since the epoch). */
  readonly at: number
}

const records = new Set<HeldRecord>()

/** At most this many collected-with-waiters reports are kept until read. */
const MAX_COLLECTED = 256
const collected: Array<Collected> = []
const listeners = new Set<(c: Collected) => void>()

const onCollected = (record: HeldRecord): void => {
  records.delete(record)
  let total = 0
  for (const role in record.waiting) total += record.waiting[role]!
  if (total === 0) return
  const report: Collected = { kind: record.kind, name: record.name, waiting: { ...record.waiting }, at: Date.now() }
  if (collected.length === MAX_COLLECTED) collected.shift()
  collected.push(report)
  for (const listener of listeners) listener(report)
}

const finalization: FinalizationRegistry<HeldRecord> | undefined =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry(onCollected) : undefined

/**
 * Enrolls `primitive` (once) and returns its record. Called by a waiter list
 * when the first fiber parks on it.
 */
export const enroll = (primitive: Diagnosable, kind: string, name: string | undefined): HeldRecord => {
  let record = primitive.heldRecord
  if (record !== undefined) return record
  record = new HeldRecord(kind, name, primitive)
  primitive.heldRecord = record
  records.add(record)
  finalization?.register(primitive, record)
  return record
}

/** The enrolled primitives still alive that have fibers waiting (no list is walked to find them). */
export const enrolled = (): Array<Diagnosable> => {
  const out: Array<Diagnosable> = []
  for (const record of records) {
    if (!hasWaiting(record)) continue
    const primitive = record.ref.deref()
    if (primitive !== undefined) out.push(primitive)
  }
  return out
}

const hasWaiting = (record: HeldRecord): boolean => {
  for (const role in record.waiting) if (record.waiting[role]! > 0) return true
  return false
}

/** The collected-with-waiters reports not read yet; reading them clears them. */
export const takeCollected = (): Array<Collected> => collected.splice(0, collected.length)

/** Calls `listener` for every primitive collected with waiters from now on; returns the unsubscribe. */
export const onCollectedWithWaiters = (listener: (c: Collected) => void): (() => void) => {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

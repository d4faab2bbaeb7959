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
  /** Its record, from the first park on it (set by {@link recordOf}). */
  heldRecord: HeldRecord | undefined
  diagnose(): Diagnosis
}

/** A record's primitive has had no waiter at the last sweep: not held anywhere. */
const IDLE = 0
/** In the pending array (held strongly) until the next sweep. */
const PENDING = 1
/** Held weakly in the registry, and watched by the `FinalizationRegistry`. */
const ENROLLED = 2

/**
 * What the registry keeps of a primitive. It never references the primitive
 * (only weakly, once enrolled) nor its lists: the `FinalizationRegistry`
 * holds it strongly, and a path from it to the primitive would keep the
 * primitive alive forever.
 */
export class HeldRecord {
  readonly kind: string
  readonly name: string | undefined
  ref: WeakRef<Diagnosable> | undefined = undefined
  state: typeof IDLE | typeof PENDING | typeof ENROLLED = IDLE
  /** Fibers waiting, in all roles. */
  total = 0
  /** The roles of the primitive's lists ("recv", "lock", ...), each with its slot in `counts`. */
  readonly roles: Array<string> = []
  /** Fibers waiting, by role slot: kept by the waiter lists. */
  readonly counts: Array<number> = []
  constructor(kind: string, name: string | undefined) {
    this.kind = kind
    this.name = name
  }
  /** The slot of `role` in `counts` (lists of one role share it). */
  slotOf(role: string): number {
    let slot = this.roles.indexOf(role)
    if (slot < 0) {
      slot = this.roles.push(role) - 1
      this.counts.push(0)
    }
    return slot
  }
  /** Fibers waiting, by role. */
  waiting(): Record<string, number> {
    const out: Record<string, number> = {}
    for (let i = 0; i < this.roles.length; i++) out[this.roles[i]!] = this.counts[i]!
    return out
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
  if (record.total === 0) return
  const report: Collected = { kind: record.kind, name: record.name, waiting: record.waiting(), at: Date.now() }
  if (collected.length === MAX_COLLECTED) collected.shift()
  collected.push(report)
  for (const listener of listeners) listener(report)
}

const finalization: FinalizationRegistry<HeldRecord> | undefined =
  typeof FinalizationRegistry === "function" ? new FinalizationRegistry(onCollected) : undefined

/**
 * Primitives a fiber parked on since the last sweep, held strongly until it.
 *
 * Enrolling costs a `WeakRef` and a `FinalizationRegistry` entry, about
 * 1 µs together, several times a whole park. Most parks are short (a
 * receiver waits for the next value), so enrolling at the first park would
 * make every short-lived primitive that ever blocked pay it. Instead a first
 * park only remembers the primitive here; the sweep (once a second, before
 * every dump or check, and whenever 1024 are pending) enrolls those that
 * still have fibers waiting, and forgets the others until they block again.
 * A primitive is so held strongly for at most a second.
 */
const pending: Array<Diagnosable> = []
const MAX_PENDING = 1024
const SWEEP_EVERY_MILLIS = 1000
let sweepTimer: ReturnType<typeof setTimeout> | undefined

const sweepTask = (): void => {
  sweepTimer = undefined
  sweep()
}

/** Enrolls the pending primitives that have fibers waiting; forgets the others. */
export const sweep = (): void => {
  for (let i = 0; i < pending.length; i++) {
    const primitive = pending[i]!
    const record = primitive.heldRecord!
    if (record.total > 0) {
      record.state = ENROLLED
      record.ref = new WeakRef(primitive)
      records.add(record)
      finalization?.register(primitive, record)
    } else {
      record.state = IDLE
    }
  }
  pending.length = 0
}

const remember = (primitive: Diagnosable, record: HeldRecord): void => {
  record.state = PENDING
  pending.push(primitive)
  if (pending.length >= MAX_PENDING) sweep()
  else if (sweepTimer === undefined) {
    sweepTimer = setTimeout(sweepTask, SWEEP_EVERY_MILLIS)
    // It must not keep a finished program alive.
    ;(sweepTimer as { unref?: () => void }).unref?.()
  }
}

/** The record of `primitive`, made at the first park on it. */
export const recordOf = (primitive: Diagnosable, kind: string, name: string | undefined): HeldRecord => {
  let record = primitive.heldRecord
  if (record === undefined) record = primitive.heldRecord = new HeldRecord(kind, name)
  return record
}

/**
 * Counts `delta` waiters in role `slot` (see `HeldRecord.slotOf`) on `primitive`'s record; a primitive that
 * gets a waiter while idle is remembered for the next sweep.
 */
export const count = (primitive: Diagnosable, record: HeldRecord, slot: number, delta: number): void => {
  record.counts[slot]! += delta
  record.total += delta
  if (delta > 0 && record.state === IDLE) remember(primitive, record)
}

/** The primitives that have fibers waiting now (no list is walked to find them). */
export const enrolled = (): Array<Diagnosable> => {
  sweep()
  const out: Array<Diagnosable> = []
  for (const record of records) {
    if (record.total === 0) continue
    const primitive = record.ref!.deref()
    if (primitive !== undefined) out.push(primitive)
  }
  return out
}

/** The collected-with-waiters reports not read yet; reading them clears them. */
export const takeCollected = (): Array<Collected> => {
  // What is pending now is enrolled, so that its collection can be seen.
  sweep()
  return collected.splice(0, collected.length)
}

/** Calls `listener` for every primitive collected with waiters from now on; returns the unsubscribe. */
export const onCollectedWithWaiters = (listener: (c: Collected) => void): (() => void) => {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

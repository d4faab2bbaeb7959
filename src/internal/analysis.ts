/**
 * What the registry's primitives show, taken in one synchronous pass: the
 * blocked fibers, who is in the way of each, and which fibers can provably
 * never be woken (deadlocked).
 *
 * The deadlock analysis. A fiber parked on a primitive waits for the
 * primitive's wakers (see `Wakers`): anyone (a channel's peers), all of
 * some fibers (a lock's holders, a WaitGroup's tasks), one of some fibers
 * (an ErrGroup's free slot), or the Clock. Starting from "every parked fiber
 * is stuck", it removes each fiber that a fiber not (yet) known to be stuck
 * could wake, until nothing changes: what remains can never be woken — the
 * fibers of every wait-for cycle, and those blocked behind one. A fiber that
 * anyone may wake is never stuck here: without knowing who "anyone" is,
 * only the all-asleep rule of a region (see {@link analyse}) can prove it.
 * Each step errs on the side of "can progress", so the analysis reports no
 * deadlock that is not one (a holder that ended, or one that is not parked
 * on a primitive, counts as able to release).
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import * as References from "effect/References"
import type { FiberInfo } from "../Diagnostics.ts"
import { type Diagnosis, enrolled, type Queue } from "./registry.ts"
import type { Waiter } from "./waiters.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** One parked waiter. */
export interface Blocked {
  readonly fiber: AnyFiber
  /** The node in the primitive's list. */
  readonly node: Waiter<any, any>
  /** The node whose fiber parks: the node itself, or its select. */
  readonly parker: Waiter<any, any>
  readonly queue: Queue
  readonly primitive: Seen
}

/** A primitive as seen in a snapshot. */
export interface Seen {
  readonly diagnosis: Diagnosis
  readonly blocked: Array<Blocked>
}

/** Every enrolled primitive with parked fibers, and every parked fiber's waits. */
export interface Snapshot {
  readonly primitives: ReadonlyArray<Seen>
  /** Each parked fiber, with what it waits on (several entries for a select). */
  readonly fibers: ReadonlyMap<AnyFiber, ReadonlyArray<Blocked>>
}

const isAlive = (fiber: AnyFiber): boolean => fiber.pollUnsafe() === undefined

/** Takes a snapshot of every parked fiber (synchronously: nothing moves meanwhile). */
export const snapshot = (): Snapshot => {
  const primitives: Array<Seen> = []
  const fibers = new Map<AnyFiber, Array<Blocked>>()
  for (const primitive of enrolled()) {
    const diagnosis = primitive.diagnose()
    const seen: Seen = { diagnosis, blocked: [] }
    for (const queue of diagnosis.queues) {
      for (let node = queue.list.head; node !== undefined; node = node.next) {
        const parker = node.parker()
        const fiber = node.fiber
        // A node registered whose fiber has not parked yet (or was just
        // granted) belongs to a running fiber.
        if (fiber === undefined || parker.resume === undefined || parker.left || !isAlive(fiber)) continue
        const blocked: Blocked = { fiber, node, parker, queue, primitive: seen }
        seen.blocked.push(blocked)
        const waits = fibers.get(fiber)
        if (waits === undefined) fibers.set(fiber, [blocked])
        else waits.push(blocked)
      }
    }
    if (seen.blocked.length > 0) primitives.push(seen)
  }
  return { primitives, fibers }
}

/**
 * Could `waits` (one fiber's) be granted, if every fiber outside `stuck`
 * may still act? `anyoneActs` says whether "anyone" may: always, for the
 * cycle search; under the all-asleep rule of a region, only once one of its
 * fibers has been found able to progress (it may then wake anyone).
 */
const canProgress = (
  waits: ReadonlyArray<Blocked>,
  stuck: ReadonlySet<AnyFiber>,
  anyoneActs: (stuck: ReadonlySet<AnyFiber>) => boolean
): boolean => {
  for (const w of waits) {
    if (w.parker.wakesByTime()) return true
    const wakers = w.queue.wakers
    switch (wakers._tag) {
      case "Anyone":
        if (anyoneActs(stuck)) return true
        break
      case "Time":
        return true
      case "AllOf":
        if (wakers.fibers.every((f) => !stuck.has(f))) return true
        break
      case "OneOf":
        if (wakers.fibers.some((f) => !stuck.has(f))) return true
        break
    }
  }
  return false
}

/**
 * The fibers of `candidates` that can never be woken: the greatest set in
 * which no fiber can be woken by one outside it (see the module doc).
 */
export const stuckAmong = (
  snap: Snapshot,
  candidates: Iterable<AnyFiber>,
  anyoneActs: (stuck: ReadonlySet<AnyFiber>) => boolean
): Set<AnyFiber> => {
  const stuck = new Set<AnyFiber>()
  for (const fiber of candidates) if (snap.fibers.has(fiber)) stuck.add(fiber)
  let changed = true
  while (changed) {
    changed = false
    for (const fiber of stuck) {
      if (canProgress(snap.fibers.get(fiber)!, stuck, anyoneActs)) {
        stuck.delete(fiber)
        changed = true
      }
    }
  }
  return stuck
}

/** An edge of the wait-for graph: `from` waits on `primitive`, where `to` is in the way. */
export interface Edge {
  readonly from: AnyFiber
  readonly to: AnyFiber
  readonly blocked: Blocked
}

/** The wait-for edges out of `fiber` (to the holders of what it waits on). */
export const edgesFrom = (snap: Snapshot, fiber: AnyFiber): Array<Edge> => {
  const out: Array<Edge> = []
  for (const blocked of snap.fibers.get(fiber) ?? []) {
    const wakers = blocked.queue.wakers
    if (wakers._tag !== "AllOf" && wakers._tag !== "OneOf") continue
    for (const to of wakers.fibers) out.push({ from: fiber, to, blocked })
  }
  return out
}

/**
 * A cycle of the wait-for graph within `among`, as its edges in order, or
 * undefined (the stuck set may hold only fibers blocked behind a cycle
 * that ended elsewhere, e.g. on a dead holder... in practice a stuck set
 * always contains a cycle).
 */
export const cycleIn = (snap: Snapshot, among: ReadonlySet<AnyFiber>): Array<Edge> | undefined => {
  const state = new Map<AnyFiber, "open" | "done">()
  const path: Array<Edge> = []
  const visit = (fiber: AnyFiber): Array<Edge> | undefined => {
    state.set(fiber, "open")
    for (const edge of edgesFrom(snap, fiber)) {
      if (!among.has(edge.to)) continue
      const s = state.get(edge.to)
      if (s === "open") {
        const start = path.findIndex((e) => e.from === edge.to)
        return [...(start < 0 ? [] : path.slice(start)), edge]
      }
      if (s === undefined) {
        path.push(edge)
        const found = visit(edge.to)
        if (found !== undefined) return found
        path.pop()
      }
    }
    state.set(fiber, "done")
    return undefined
  }
  for (const fiber of among) {
    if (state.has(fiber)) continue
    const found = visit(fiber)
    if (found !== undefined) return found
  }
  return undefined
}

/** A fiber as dumps show it: its id and current name (its span's, else its log annotation `fiber`). */
export const fiberInfo = (fiber: Fiber.Fiber<unknown, unknown>): FiberInfo => {
  const span = fiber.cache.span
  let name: string | undefined = span?._tag === "Span" ? span.name : undefined
  if (name === undefined) {
    const annotated = fiber.getRef(References.CurrentLogAnnotations).fiber
    if (annotated !== undefined) name = String(annotated)
  }
  return { id: fiber.id, name }
}

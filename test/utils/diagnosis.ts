/**
 * Reading a primitive's diagnosis and the deadlock analysis in tests,
 * through the internal API: what the dump and the detector are built on.
 */
import type * as Fiber from "effect/Fiber"
import { type Snapshot, snapshot, stuckAmong } from "../../src/internal/analysis.ts"
import type { Diagnosable, Diagnosis, Wakers } from "../../src/internal/registry.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

export const diagnosis = (primitive: object): Diagnosis => (primitive as unknown as Diagnosable).diagnose()

/** The holders of `primitive`, as fiber ids and roles. */
export const holders = (primitive: object) =>
  diagnosis(primitive).holders.map((h) => ({ fiber: h.fiber.id, role: h.role }))

/** The fibers parked on the primitive named `name` in `snap`, with their ops. */
export const parkedOn = (snap: Snapshot, name: string) =>
  (snap.primitives.find((p) => p.diagnosis.name === name)?.blocked ?? []).map((b) => ({
    fiber: b.fiber.id,
    op: b.node.describe()
  }))

/** Who can wake the waiters of each of the primitive's queues, with fiber ids. */
export const wakers = (primitive: object) =>
  diagnosis(primitive).queues.map((q): string => {
    const w: Wakers = q.wakers
    return w._tag === "AllOf" || w._tag === "OneOf" ? `${w._tag}(${w.fibers.map((f) => f.id).join(",")})` : w._tag
  })

/** The parked fibers that can provably never be woken. */
export const stuck = (): Set<AnyFiber> => {
  const snap = snapshot()
  return stuckAmong(snap, snap.fibers.keys(), () => true)
}

/** Fiber ids, sorted. */
export const ids = (fibers: Iterable<AnyFiber>): Array<number> => Array.from(fibers, (f) => f.id).sort((a, b) => a - b)

/**
 * Leak regions, for the testing kit's leak check and the schedule explorer:
 * a {@link Region} (the fibers started under it, counted while alive) that
 * also remembers the context each fiber was started with, so that the ones
 * still alive at the end can be named — by the span or the `fiber` log
 * annotation in force where they were forked, as goleak names a leaked
 * goroutine by the function that created it.
 *
 * Effect reports a fiber's start with the context it starts with (its
 * parent's at the fork) and its end with the context it ends with, which is
 * the same object unless the fiber replaced its context without restoring it
 * (a scoped annotation whose scope outlives it): such an end is counted as
 * unmatched, and the names are then those of the fibers alive *or* so ended.
 *
 * What a live fiber does now is known only when it is parked on an effect-go
 * primitive: {@link blockedDump} shows those, with their current names, as
 * the blocked-fiber dump does.

 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import type { Dump, FiberInfo, PrimitiveDump } from "../Diagnostics.ts"
import { fiberInfo, type Snapshot, snapshot } from "./analysis.ts"
import { Chained, countsFor, Region } from "./regions.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** Leaked fibers that share a name, and how many they are. */
export interface LeakedGroup {
  /** The span name or `fiber` log annotation in force where they were forked, or "unnamed". */
  readonly name: string
  readonly count: number
}

/** The name a context gives a fiber: its current span's name, else its log annotation `fiber`. */
export const nameIn = (context: Context.Context<never>): string | undefined => {
  const span = Context.getOrUndefined(context, Tracer.ParentSpan)
  if (span?._tag === "Span") return span.name
  const annotated = Context.get(context, References.CurrentLogAnnotations).fiber
  return annotated === undefined ? undefined : String(annotated)
}

/** A region that knows the start context of each of its live fibers (see the module doc). */
export class LeakRegion extends Region {
  /** Start contexts of the fibers not ended yet, with how many fibers started with each. */
  private readonly contexts = new Map<Context.Context<never>, number>()
  /** Ends whose context no start recorded. */
  unmatched = 0

  constructor(name: string | undefined) {
    super(name)
    // Region's recorders are instance fields: keep them and install wrappers
    // (a field of this class would be initialized before they could be kept).
    const countStart = this.recordFiberStart
    const countEnd = this.recordFiberEnd
    Object.assign(this, {
      recordFiberStart: (context: Context.Context<never>): void => {
        this.contexts.set(context, (this.contexts.get(context) ?? 0) + 1)
        countStart(context)
      },
      recordFiberEnd: (context: Context.Context<never>, exit: Exit.Exit<unknown, unknown>): void => {
        const n = this.contexts.get(context)
        if (n === undefined) this.unmatched++
        else if (n === 1) this.contexts.delete(context)
        else this.contexts.set(context, n - 1)
        countEnd(context, exit)
      }
    })
  }

  /** Whether the check is over (see {@link close}). */
  private closed = false

  /** Fibers started under the region and not ended. */
  leaked(): number {
    return this.started - this.ended
  }

  /**
   * Takes the region out of the deadlock detector's all-asleep rule (`live`
   * is NaN, which no count of parked fibers equals): its owner judges its
   * fibers itself. A leak check closes it when the check ends (the fibers
   * still alive are leaks, which it reports; code outside, which may still
   * wake them, goes on); the explorer from the start.
   */
  close(): void {
    this.closed = true
  }

  override live(): number {
    return this.closed ? Number.NaN : super.live()
  }

  /** The fibers not ended, grouped by the name they were started under, most numerous first. */
  names(): Array<LeakedGroup> {
    const counts = new Map<string, number>()
    for (const [context, n] of this.contexts) {
      const name = nameIn(context) ?? "unnamed"
      counts.set(name, (counts.get(name) ?? 0) + n)
    }
    return [...counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
}

/** The innermost region `service` counts for (the caller's region), if any. */
export const regionOf = (service: Metric.FiberRuntimeMetricsService | undefined): Region | undefined =>
  service instanceof Region ? service : service instanceof Chained ? service.region : undefined

/** Whether `fiber` runs under `region` (at any depth of nesting). */
export const belongsTo = (fiber: AnyFiber, region: Region): boolean =>
  countsFor(fiber.getRef(Metric.FiberRuntimeMetrics), region)

/**
 * The blocked-fiber dump (as `Diagnostics.dump` makes it) of the fibers of
 * `snap` that `include` accepts: each primitive one of them is parked on,
 * with its holders and only those fibers among its waiters. Undefined when
 * none is parked. It never takes the collected-with-waiters reports, which
 * belong to `Diagnostics.collected` and the layer.
 */
export const blockedDump = (
  include: (fiber: AnyFiber) => boolean,
  at: number,
  snap: Snapshot = snapshot()
): Dump | undefined => {
  const infos = new Map<AnyFiber, FiberInfo>()
  const info = (fiber: AnyFiber): FiberInfo => {
    let i = infos.get(fiber)
    if (i === undefined) infos.set(fiber, (i = fiberInfo(fiber)))
    return i
  }
  const included = new Set<AnyFiber>()
  const primitives: Array<PrimitiveDump> = []
  for (const seen of snap.primitives) {
    const blocked = seen.blocked.filter((b) => {
      if (!include(b.fiber)) return false
      included.add(b.fiber)
      return true
    })
    if (blocked.length === 0) continue
    const d = seen.diagnosis
    primitives.push({
      kind: d.kind,
      name: d.name,
      state: d.state,
      heldBy: d.holders.map((h) => ({ fiber: info(h.fiber), role: h.role })),
      blocked: blocked.map((b) => ({
        fiber: info(b.fiber),
        op: b.parker === b.node ? b.node.describe() : b.parker.describe(),
        since: b.node.since,
        waited: Math.max(0, at - b.node.since)
      }))
    })
  }
  if (included.size === 0) return undefined
  return { at, fibers: included.size, primitives, collected: [], deadlocked: [] }
}

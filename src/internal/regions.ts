/**
 * Tracked regions, for the deadlock detector's all-asleep rule: the fibers
 * run under a `FiberMonitor` (see `FiberMonitor.track` and the
 * `Diagnostics` layer), counted while alive.
 *
 * A region knows how many of its fibers are alive — the fibers started
 * under it (Effect reports each start and end to the `FiberRuntimeMetrics`
 * service of the fiber's context) plus its roots, the fibers that entered
 * it running — and which fiber belongs to it (the service in the fiber's
 * context is the region's, or one chained to it). When every live fiber of
 * a region is parked on effect-go primitives, none of them can wake another:
 * a fiber sleeping on the Clock, awaiting a Deferred, a join or a promise is
 * alive and not parked, so the region is not asleep.
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** A region's counts; `FiberMonitor`'s implementation extends it. */
export class Region implements Metric.FiberRuntimeMetricsService {
  readonly regionName: string | undefined
  started = 0
  ended = 0
  /** The fibers that entered the region running (see `enter`). */
  readonly roots = new Set<AnyFiber>()
  constructor(name: string | undefined) {
    this.regionName = name
  }
  readonly recordFiberStart = (_context: Context.Context<never>): void => {
    this.started++
    if (!active.has(this)) active.add(this)
  }
  readonly recordFiberEnd = (_context: Context.Context<never>, _exit: Exit.Exit<unknown, unknown>): void => {
    this.ended++
    this.settle()
  }
  /** Fibers of the region alive now. */
  live(): number {
    let roots = 0
    for (const fiber of this.roots) if (fiber.pollUnsafe() === undefined) roots++
    return this.started - this.ended + roots
  }
  /** Leaves the active set once nothing runs under it. */
  settle(): void {
    if (this.started === this.ended && this.roots.size === 0) active.delete(this)
  }
  /** `fiber` enters the region running (it was not started under it). */
  enter(fiber: AnyFiber): void {
    this.roots.add(fiber)
    active.add(this)
  }
  leave(fiber: AnyFiber): void {
    this.roots.delete(fiber)
    this.settle()
  }
}

/**
 * The service installed for a region entered from a fiber that already runs
 * under another one (a user's runtime metrics, or an enclosing region): it
 * counts for both, so that nested regions and Effect's runtime metrics keep
 * working.
 */
export class Chained implements Metric.FiberRuntimeMetricsService {
  readonly region: Region
  readonly parent: Metric.FiberRuntimeMetricsService
  constructor(region: Region, parent: Metric.FiberRuntimeMetricsService) {
    this.region = region
    this.parent = parent
  }
  readonly recordFiberStart = (context: Context.Context<never>): void => {
    this.region.recordFiberStart(context)
    this.parent.recordFiberStart(context)
  }
  readonly recordFiberEnd = (context: Context.Context<never>, exit: Exit.Exit<unknown, unknown>): void => {
    this.region.recordFiberEnd(context, exit)
    this.parent.recordFiberEnd(context, exit)
  }
}

/** Whether the service `service` counts for `region`. */
export const countsFor = (service: Metric.FiberRuntimeMetricsService | undefined, region: Region): boolean => {
  let s = service
  while (s !== undefined) {
    if (s === region) return true
    if (!(s instanceof Chained)) return false
    if (s.region === region) return true
    s = s.parent
  }
  return false
}

/** The service to install for `region` over `current` (the one the fiber runs under). */
export const serviceFor = (
  region: Region,
  current: Metric.FiberRuntimeMetricsService | undefined
): Metric.FiberRuntimeMetricsService => (current === undefined ? region : new Chained(region, current))

/**
 * Runs `effect` in `region`: the one way into a region. The running fiber
 * is one of its roots while `effect` runs (it was not started under it, yet
 * it runs in it), and every fiber `effect` starts is counted. A fiber already
 * in the region just runs `effect`. Providing the region as the
 * `FiberRuntimeMetrics` service directly would leave the running fiber
 * uncounted, and the region could look asleep while that fiber runs.
 */
export const within = <A, E, R>(region: Region, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const current = fiber.getRef(Metric.FiberRuntimeMetrics)
    if (countsFor(current, region)) return effect
    region.enter(fiber)
    return Effect.ensuring(
      Effect.provideService(effect, Metric.FiberRuntimeMetrics, serviceFor(region, current)),
      Effect.sync(() => region.leave(fiber))
    )
  })

/** Regions with fibers alive under them: the ones the detector looks at. */
const active = new Set<Region>()

export const activeRegions = (): Array<Region> => [...active]

/**
 * Counting live fibers: Go's `runtime.NumGoroutine()`, for goroutine-leak
 * checks and monitoring.
 *
 * Effect 4 has no fiber dump, but the runtime reports every fiber start and
 * end to the `Metric.FiberRuntimeMetrics` service found in the fiber's
 * context. A monitor is such a service that counts: run an effect under
 * {@link track} and every fiber it starts (and their children) is counted
 * while alive.
 *
 * A monitor is a value like Effect's own: `pipe`able, and `console.log(m)` /
 * `toJSON()` show `{ _id: "FiberMonitor", started, ended, live }`. Something
 * that is no monitor (a spread copy, `undefined` through a cast) is refused:
 * {@link track} dies with `CopiedPrimitiveError` / `InvalidArgumentError`,
 * {@link live} throws them.
 *
 * @example
 * ```ts
 * import { Console, Effect } from "effect"
 * import { FiberMonitor } from "effect-go"
 *
 * declare const work: Effect.Effect<void>
 *
 * const program = Effect.gen(function* () {
 *   const monitor = FiberMonitor.make()
 *   yield* FiberMonitor.track(monitor, work)
 *   // after `work` returned, anything still alive leaked:
 *   if (FiberMonitor.live(monitor) > 0) yield* Console.log("leak!")
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Inspectable from "effect/Inspectable"
import * as Metric from "effect/Metric"
import type { Pipeable } from "effect/Pipeable"
import { invalidArgument, unwrap } from "./internal/copied.ts"
import { effectLast, isEffect } from "./internal/function.ts"
import { PrimitiveBase } from "./internal/primitive.ts"
import { Chained, Region, within } from "./internal/regions.ts"

const TypeId = "~effect-go/FiberMonitor" as const

/**
 * Counts the fibers started under it (see {@link track}).
 *
 * A value like Effect's own: `pipe`able, and `toJSON()` (what `console.log`
 * shows) is `{ _id: "FiberMonitor", started, ended, live }`.
 *
 * @category models
 * @since 0.1.0
 */
export interface FiberMonitor extends Metric.FiberRuntimeMetricsService, Pipeable, Inspectable.Inspectable {
  readonly [TypeId]: typeof TypeId
  /** Fibers started so far. */
  readonly started: number
  /** Fibers ended so far. */
  readonly ended: number
  /** The name given at {@link make}: how deadlock reports name the region. */
  readonly name: string | undefined
}

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.1.0
 */
export interface FiberMonitorOptions {
  /** Names the monitored region in deadlock reports ("all fibers of region `requests` are asleep"). */
  readonly name?: string | undefined
}

class FiberMonitorImpl extends PrimitiveBase implements FiberMonitor {
  // An own key, so that a spread copy is recognised as one (see `unwrap`).
  readonly [TypeId] = TypeId
  /** What it counts; also a region for the deadlock detector's all-asleep rule. */
  readonly region: Region
  constructor(name: string | undefined) {
    super()
    this.region = new Region(name)
  }
  get name(): string | undefined {
    return this.region.regionName
  }
  get started(): number {
    return this.region.started
  }
  get ended(): number {
    return this.region.ended
  }
  readonly recordFiberStart = (context: Context.Context<never>): void => this.region.recordFiberStart(context)
  readonly recordFiberEnd = (context: Context.Context<never>, exit: Exit.Exit<unknown, unknown>): void =>
    this.region.recordFiberEnd(context, exit)
  toJSON(): unknown {
    const json: Record<string, unknown> = { _id: "FiberMonitor" }
    if (this.name !== undefined) json.name = this.name
    json.started = this.started
    json.ended = this.ended
    json.live = this.started - this.ended
    return json
  }
}

/** `self` as its implementation; throws `CopiedPrimitiveError` / `InvalidArgumentError` when it is not one. */
const impl = (self: FiberMonitor): FiberMonitorImpl => unwrap(self, FiberMonitorImpl, "FiberMonitor")

/**
 * Creates a monitor with zero counts. A plain value, not an Effect: making
 * one has no effect until it is installed with {@link track}.
 *
 * @example
 * ```ts
 * import { FiberMonitor } from "effect-go"
 *
 * const monitor = FiberMonitor.make()
 * FiberMonitor.live(monitor) // 0
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: FiberMonitorOptions): FiberMonitor => {
  if (options !== undefined && (typeof options !== "object" || options === null))
    throw invalidArgument("FiberMonitor.make", "an options object", options)
  const name = options?.name
  if (name !== undefined && typeof name !== "string")
    throw invalidArgument("FiberMonitor.make", "a string name (the `name` option)", name)
  return new FiberMonitorImpl(name)
}

/**
 * Fibers started under the monitor and still alive. Go:
 * `runtime.NumGoroutine()` (for the part of the program under `track`).
 * Throws `CopiedPrimitiveError` for a spread copy of a monitor (whose
 * counts would be frozen) and `InvalidArgumentError` for anything else that
 * is no monitor.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FiberMonitor } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const monitor = FiberMonitor.make()
 *   yield* FiberMonitor.track(monitor, Effect.forkChild(Effect.never))
 *   return FiberMonitor.live(monitor) // 1: the forked fiber is still alive
 * })
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const live = (self: FiberMonitor): number => {
  const monitor = impl(self)
  return monitor.started - monitor.ended
}

/**
 * Runs `effect` with the monitor installed: every fiber forked inside it,
 * at any depth, is counted. Something that is no monitor dies with
 * `InvalidArgumentError` (`CopiedPrimitiveError` for a spread copy), and
 * something that is no Effect with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FiberMonitor } from "effect-go"
 *
 * declare const work: Effect.Effect<void>
 *
 * const monitor = FiberMonitor.make()
 * const program = Effect.map(FiberMonitor.track(monitor, work), () => FiberMonitor.live(monitor))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const track: {
  /**
   * `effect.pipe(FiberMonitor.track(monitor))`: runs `effect` with the
   * monitor installed; every fiber forked inside it, at any depth, is
   * counted.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FiberMonitor } from "effect-go"
   *
   * declare const work: Effect.Effect<void>
   *
   * const monitor = FiberMonitor.make()
   * const program = work.pipe(FiberMonitor.track(monitor))
   * ```
   *
   * @since 0.1.0
   */
  (self: FiberMonitor): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs `effect` with the monitor installed: every fiber forked inside it,
   * at any depth, is counted.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FiberMonitor } from "effect-go"
   *
   * declare const work: Effect.Effect<void>
   *
   * const monitor = FiberMonitor.make()
   * const program = FiberMonitor.track(monitor, work)
   * ```
   *
   * @since 0.1.0
   */
  <A, E, R>(self: FiberMonitor, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
} = effectLast(2, (self: FiberMonitor, effect: Effect.Effect<any, any, any>) =>
  Effect.suspend(() => {
    // Refused here, not when the runtime reports the first fiber to it.
    const region = impl(self).region
    if (!isEffect(effect)) return Exit.die(invalidArgument("FiberMonitor.track", "an Effect", effect))
    // Another service found here (Effect's runtime metrics, an enclosing
    // monitor) keeps counting too (see `within`).
    return within(region, effect)
  })
)

/**
 * The live count of the monitor the current fiber runs under (0 when none).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FiberMonitor } from "effect-go"
 *
 * const program = FiberMonitor.track(
 *   FiberMonitor.make(),
 *   Effect.gen(function* () {
 *     yield* Effect.forkChild(Effect.never)
 *     return yield* FiberMonitor.numFibers // 1
 *   })
 * )
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const numFibers: Effect.Effect<number> = Effect.map(Effect.service(Metric.FiberRuntimeMetrics), (service) => {
  const region = service instanceof Region ? service : service instanceof Chained ? service.region : undefined
  return region === undefined ? 0 : region.started - region.ended
})

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
 * @example
 * ```ts
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
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { effectLast } from "./internal/function.ts"

const TypeId = "~effect-go/FiberMonitor" as const

/**
 * Counts the fibers started under it (see {@link track}).
 *
 * @since 0.1.0
 */
export interface FiberMonitor extends Metric.FiberRuntimeMetricsService {
  readonly [TypeId]: typeof TypeId
  /** Fibers started so far. */
  readonly started: number
  /** Fibers ended so far. */
  readonly ended: number
}

class FiberMonitorImpl implements FiberMonitor {
  readonly [TypeId] = TypeId
  started = 0
  ended = 0
  readonly recordFiberStart = (): void => {
    this.started++
  }
  readonly recordFiberEnd = (): void => {
    this.ended++
  }
}

/**
 * Creates a monitor with zero counts.
 *
 * @since 0.1.0
 */
export const make = (): FiberMonitor => new FiberMonitorImpl()

/**
 * Fibers started under the monitor and still alive. Go:
 * `runtime.NumGoroutine()` (for the part of the program under `track`).
 *
 * @since 0.1.0
 */
export const live = (self: FiberMonitor): number => self.started - self.ended

/**
 * Runs `effect` with the monitor installed: every fiber forked inside it,
 * at any depth, is counted.
 *
 * @since 0.1.0
 */
export const track: {
  (self: FiberMonitor): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: FiberMonitor, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
} = effectLast(2, (self: FiberMonitor, effect: Effect.Effect<any, any, any>) =>
  Effect.provideService(effect, Metric.FiberRuntimeMetrics, self)
)

/**
 * The live count of the monitor the current fiber runs under (0 when none).
 *
 * @since 0.1.0
 */
export const numFibers: Effect.Effect<number> = Effect.map(Effect.service(Metric.FiberRuntimeMetrics), (service) =>
  service !== undefined && TypeId in service ? live(service as FiberMonitor) : 0
)

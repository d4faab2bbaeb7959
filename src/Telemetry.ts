/**
 * Telemetry from effect-go's primitives through Effect's own `Metric` and
 * `Tracer`: how long fibers wait on each channel, lock, semaphore, group,
 * flight or pool, and, for waits longer than a threshold, a span in the
 * waiting fiber's trace. Go answers the first question with pprof's block
 * profile (`runtime.SetBlockProfileRate`); here it is a histogram that any
 * Effect metrics exporter (`@effect/opentelemetry`, a Prometheus text
 * endpoint over `Metric.snapshot`) exports, and the spans go wherever the
 * program's `Tracer` sends them.
 *
 * Off by default, and then free: the primitives check one counter per
 * wake-up. Turned on by {@link layer}, for the fibers under it: provide it
 * in `main`, leave it out of tests.
 *
 * What is recorded (names and attributes in OpenTelemetry's
 * semantic-convention style: lowercase, dot-namespaced, durations in
 * seconds):
 *
 * | instrument | type | unit | attributes |
 * | --- | --- | --- | --- |
 * | `effectgo.wait.duration` | histogram | s | `effectgo.primitive.kind`, `effectgo.primitive.name` (when named), `effectgo.operation` |
 *
 * One sample per operation that parked and was granted (a send, a receive,
 * a select, a lock, an rLock, an acquire, a Cond wait, a WaitGroup or
 * ErrGroup wait, a `go` waiting for a slot, a SingleFlight follower, a
 * WorkerPool submit waiting for room), measured on the waiting fiber's
 * `Clock` (exact under `TestClock`). An operation that did not park
 * records nothing; one interrupted while parked records nothing either.
 * The operation is the wait's role ("recv", "send", "lock", "acquire",
 * "wait", "go", "do", "select"...); every select is one series.
 *
 * A wait of at least `spanThreshold` becomes a span named
 * `<kind>.<operation>` (e.g. `Mutex.lock`), child of the waiting fiber's
 * current span, with the same attributes, its start and end being those of
 * the wait.
 *
 * Cardinality stays bounded by the names given: unnamed primitives
 * aggregate under their kind. Give names that are static ("jobs",
 * "db-pool"), never one per request: Effect's metric registry keeps every
 * series it was given.
 *
 * @example
 * ```ts
 * import { Console, Effect, Metric } from "effect"
 * import { Chan, Telemetry } from "effect-go"
 *
 * const program = Effect.gen(function* () {
 *   const jobs = yield* Chan.make<number>(0, { name: "jobs" })
 *   yield* Effect.forkChild(Effect.andThen(Effect.sleep("20 millis"), Chan.send(jobs, 1)))
 *   yield* Chan.recv(jobs) // parks about 20 ms: one sample, and a span "Chan.recv"
 *   const waits = (yield* Metric.snapshot).filter((m) => m.id === "effectgo.wait.duration")
 *   yield* Console.log(waits)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Telemetry.layer({ spanThreshold: "10 millis" }))))
 * ```
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { invalidArgument } from "./internal/copied.ts"
import { parseDuration } from "./internal/duration.ts"
import {
  ATTRIBUTE_KIND,
  ATTRIBUTE_NAME,
  ATTRIBUTE_OPERATION,
  CurrentTelemetry,
  layerAlive,
  type TelemetryConfig,
  WAIT_BOUNDARIES,
  WAIT_DURATION
} from "./internal/telemetry.ts"

/**
 * Options of {@link layer}.
 *
 * @category models
 * @since 0.1.0
 */
export interface LayerOptions {
  /**
   * A wait at least this long becomes a span (default 10 milliseconds);
   * `false`: no spans, only the histogram.
   */
  readonly spanThreshold?: Duration.Input | false | undefined
}

const DEFAULT_SPAN_THRESHOLD_MILLIS = 10

const configOf = (options: unknown): TelemetryConfig | Error => {
  if (options === undefined) return { spanThresholdMillis: DEFAULT_SPAN_THRESHOLD_MILLIS }
  if (typeof options !== "object" || options === null)
    return invalidArgument("Telemetry.layer", "an options object", options)
  const threshold = (options as LayerOptions).spanThreshold
  if (threshold === undefined) return { spanThresholdMillis: DEFAULT_SPAN_THRESHOLD_MILLIS }
  if (threshold === false) return { spanThresholdMillis: Number.POSITIVE_INFINITY }
  const d = parseDuration(threshold, true)
  if (!Duration.isDuration(d))
    return invalidArgument(
      "Telemetry.layer",
      `a duration of 0 or more, or false (the \`spanThreshold\` option; ${d.reason})`,
      threshold
    )
  return { spanThresholdMillis: Duration.toMillis(d) }
}

/**
 * Turns telemetry on for the fibers under it: every wait on an effect-go
 * primitive is recorded in `effectgo.wait.duration`, and a wait of at least
 * `spanThreshold` becomes a span (see the module doc). Provide it to the
 * program's main effect, beside the metrics exporter and tracer layers
 * (`@effect/opentelemetry`'s, for OpenTelemetry).
 *
 * Bad options are a defect of the layer (`InvalidArgumentError` naming the
 * option).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Telemetry } from "effect-go"
 *
 * declare const program: Effect.Effect<void>
 *
 * const main = program.pipe(Effect.provide(Telemetry.layer({ spanThreshold: "50 millis" })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: LayerOptions): Layer.Layer<never> =>
  Layer.unwrap(
    Effect.suspend(() => {
      const config = configOf(options)
      if (config instanceof Error) return Effect.die(config)
      return Effect.succeed(
        Layer.merge(
          Layer.succeed(CurrentTelemetry)(config),
          Layer.effectDiscard(
            Effect.acquireRelease(
              Effect.sync(() => layerAlive(1)),
              () => Effect.sync(() => layerAlive(-1))
            )
          )
        )
      )
    })
  )

/**
 * The name of the wait-time histogram: `"effectgo.wait.duration"`, in
 * seconds. Find its series in `Metric.snapshot` by this id.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { Telemetry } from "effect-go"
 *
 * const waits = Effect.map(Metric.snapshot, (all) => all.filter((m) => m.id === Telemetry.waitDuration))
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const waitDuration: string = WAIT_DURATION

/**
 * The histogram's bucket boundaries, in seconds: 10 µs to 60 s.
 *
 * @category metrics
 * @since 0.1.0
 */
export const waitBoundaries: ReadonlyArray<number> = WAIT_BOUNDARIES

/**
 * The attribute names on every series and span: the primitive's kind
 * (`"Chan"`, `"Mutex"`...), its `name` option (absent when unnamed) and the
 * operation (`"recv"`, `"lock"`, `"select"`...).
 *
 * @category metrics
 * @since 0.1.0
 */
export const attributes = {
  kind: ATTRIBUTE_KIND,
  name: ATTRIBUTE_NAME,
  operation: ATTRIBUTE_OPERATION
} as const

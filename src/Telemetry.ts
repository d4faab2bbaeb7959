/**
 * Telemetry from effect-go's primitives through Effect's own `Metric` and
 * `Tracer`: how long fibers wait on each channel, lock, semaphore, group,
 * flight or pool; how full a channel or a pool's queue is, who holds a lock,
 * how many permits and tasks are in use; how tasks end, how selects choose,
 * how often a Mutex starves, a SingleFlight shares and a GoContext is
 * cancelled. Go answers some of this with pprof's block and mutex profiles;
 * here they are metric series that any Effect metrics exporter
 * (`@effect/opentelemetry`, a Prometheus text endpoint over
 * `Metric.snapshot`) exports, and spans for slow waits and for tasks, sent
 * wherever the program's `Tracer` sends its spans.
 *
 * Off by default, and then free: the primitives check one counter per
 * wake-up or event. Turned on by {@link layer}, for the fibers under it:
 * provide it in `main`, leave it out of tests. Per primitive, the
 * `telemetry` option of `make` overrides it: `false` keeps a primitive out
 * even under the layer, `true` records it even outside one (default
 * settings, the fiber's metric registry).
 *
 * Instruments (names in OpenTelemetry's semantic-convention style:
 * lowercase, dot-namespaced, a unit of UCUM; every series carries
 * `effectgo.primitive.kind`, for a named primitive
 * `effectgo.primitive.name`, and `unit`, where Effect's OpenTelemetry
 * exporter reads a metric's unit from):
 *
 * | instrument | type | unit | more attributes | what |
 * | --- | --- | --- | --- | --- |
 * | `effectgo.wait.duration` | histogram | s | `effectgo.operation` | each parked operation that was granted: send, recv, select, lock, rLock, acquire, Cond wait, WaitGroup/ErrGroup wait, go waiting for a slot, a SingleFlight follower, a WorkerPool submit waiting for room |
 * | `effectgo.waiting` | gauge | {fiber} | `effectgo.operation` | fibers parked now |
 * | `effectgo.chan.length` | gauge | {value} | | values buffered now |
 * | `effectgo.chan.capacity` | gauge | {value} | | buffer capacity |
 * | `effectgo.lock.holders` | gauge | {fiber} | | Mutex/RWMutex holders now (writer or readers) |
 * | `effectgo.semaphore.permits.used` | gauge | {permit} | | permits held now |
 * | `effectgo.tasks.running` | gauge | {task} | | WaitGroup count, ErrGroup active tasks, WorkerPool busy workers |
 * | `effectgo.pool.queue.depth` | gauge | {job} | | jobs in a WorkerPool's queue |
 * | `effectgo.tasks` | counter | {task} | `effectgo.outcome`: success, failure, interrupted | WaitGroup/ErrGroup tasks and WorkerPool jobs that ended |
 * | `effectgo.task.duration` | histogram | s | `effectgo.outcome` | their run times |
 * | `effectgo.select.wins` | counter | {select} | `effectgo.outcome`: ready, parked, default, timeout | how selects chose |
 * | `effectgo.mutex.starvation.switches` | counter | {switch} | | Mutex entering starvation mode |
 * | `effectgo.singleflight.calls` | counter | {call} | `effectgo.outcome`: leader, shared | calls that ran a flight or joined one |
 * | `effectgo.context.cancellations` | counter | {cancellation} | `effectgo.outcome`: cancel, deadline, parent | GoContext cancellations by cause |
 * | `effectgo.chan.given_back` | counter | {value} | | values an interrupted receive had taken and gave back |
 *
 * Waits are measured on the waiting fiber's `Clock` (exact under
 * `TestClock`); an operation that did not park, or was interrupted while
 * parked, records no wait. Gauges are read from the primitives when the
 * metrics are read (a snapshot, an export), never pushed; they cover the
 * primitives made under the layer. Every select is one series (kind
 * "Select").
 *
 * Spans: a wait of at least `spanThreshold` becomes a span named
 * `<kind>.<operation>` (e.g. `Mutex.lock`), child of the waiting fiber's
 * current span, with the series' attributes and the wait's start and end.
 * Each ErrGroup task runs in a span `ErrGroup.task` (child of the span it
 * was started in), each WorkerPool job in a span `WorkerPool.job` (in its
 * worker, linked to the span it was submitted in).
 *
 * In Effect's DevTools (`effect/devtools`), with no other setup: the spans
 * arrive as `Span` messages and every series (gauges and histogram buckets
 * included) in the metrics snapshot DevTools asks for; span links and units
 * do not show there.
 *
 * Cardinality stays bounded by the names given: unnamed primitives
 * aggregate under their kind, and operations and outcomes come from fixed
 * sets. Give names that are static ("jobs", "db-pool"), never one per
 * request: Effect's metric registry keeps every series. (GoContext
 * cancellations carry no name: context labels hold their values.)
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
import * as Context from "effect/Context"
import { invalidArgument } from "./internal/copied.ts"
import { parseDuration } from "./internal/duration.ts"
import {
  ATTRIBUTE_KIND,
  ATTRIBUTE_NAME,
  ATTRIBUTE_OPERATION,
  ATTRIBUTE_OUTCOME,
  BOUNDARIES,
  CurrentTelemetry,
  DEFAULT_SPAN_THRESHOLD_MILLIS,
  INSTRUMENTS,
  layerAlive,
  Telemetry as TelemetryState
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

/** The span threshold in milliseconds (Infinity: no spans), or what is wrong with the options. */
const thresholdOf = (options: unknown): number | Error => {
  if (options === undefined) return DEFAULT_SPAN_THRESHOLD_MILLIS
  if (typeof options !== "object" || options === null)
    return invalidArgument("Telemetry.layer", "an options object", options)
  const threshold = (options as LayerOptions).spanThreshold
  if (threshold === undefined) return DEFAULT_SPAN_THRESHOLD_MILLIS
  if (threshold === false) return Number.POSITIVE_INFINITY
  const d = parseDuration(threshold, true)
  if (!Duration.isDuration(d))
    return invalidArgument(
      "Telemetry.layer",
      `a duration of 0 or more, or false (the \`spanThreshold\` option; ${d.reason})`,
      threshold
    )
  return Duration.toMillis(d)
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
  Layer.effectContext(
    Effect.flatMap(Effect.context<never>(), (context) => {
      const threshold = thresholdOf(options)
      if (threshold instanceof Error) return Effect.die(threshold)
      const telemetry = new TelemetryState(threshold, context)
      return Effect.as(
        Effect.acquireRelease(
          Effect.sync(() => layerAlive(1)),
          () => Effect.sync(() => layerAlive(-1))
        ),
        Context.make(CurrentTelemetry, telemetry)
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
export const waitDuration: string = INSTRUMENTS.waitDuration.id

/**
 * Every instrument effect-go records under {@link layer}: its metric id, its
 * type (`histogram`, `counter`, `gauge`), its unit (UCUM, as OpenTelemetry
 * writes them: `s`, `{task}`...) and what it measures. The module doc's
 * table lists them with their attributes.
 *
 * @example
 * ```ts
 * import { Telemetry } from "effect-go"
 *
 * const ids = Object.values(Telemetry.instruments).map((i) => `${i.id} (${i.type}, ${i.unit})`)
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const instruments: {
  readonly [K in keyof typeof INSTRUMENTS]: {
    readonly id: string
    readonly type: "histogram" | "counter" | "gauge"
    readonly unit: string
    readonly description: string
  }
} = INSTRUMENTS

/**
 * The histograms' bucket boundaries, in seconds: 10 µs to 60 s.
 *
 * @category metrics
 * @since 0.1.0
 */
export const boundaries: ReadonlyArray<number> = BOUNDARIES

/**
 * The attribute names on series and spans: the primitive's kind
 * (`"Chan"`, `"Mutex"`...), its `name` option (absent when unnamed), the
 * operation (`"recv"`, `"lock"`, `"select"`...) and the outcome of an event
 * (`"success"`, `"timeout"`, `"deadline"`...).
 *
 * @category metrics
 * @since 0.1.0
 */
export const attributes = {
  kind: ATTRIBUTE_KIND,
  name: ATTRIBUTE_NAME,
  operation: ATTRIBUTE_OPERATION,
  outcome: ATTRIBUTE_OUTCOME
} as const

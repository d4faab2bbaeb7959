/**
 * The telemetry hook of the shared park protocol: when a parked fiber is
 * granted what it waited for ({@link waits} is called by `wake` in
 * waiters.ts, the one place every blocking operation resumes through), its
 * wait is recorded in the `effectgo.wait.duration` histogram, labelled by
 * the primitive's kind, its `name` and the operation, and a wait longer than
 * the configured threshold becomes a span, child of the waiting fiber's
 * span.
 *
 * Off, it costs one comparison per wake-up: {@link activeLayers} counts the
 * live `Telemetry.layer`s, and only while one is alive is the waiting
 * fiber's {@link CurrentTelemetry} read (telemetry is on for the fibers
 * under a layer, not for the whole process).
 *
 * Cardinality: one series per (kind, name, operation). Unnamed primitives
 * aggregate under their kind; a name should therefore be static (a role:
 * "jobs", "db-pool"), never per request. The operation is the waiter list's
 * role ("recv", "lock", "acquire"), not its text ("acquire(3)"), so weights
 * add no series. Every select is one series (kind "Select", operation
 * "select").
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** What a `Telemetry.layer` turned on, for the fibers under it. */
export interface TelemetryConfig {
  /** A wait at least this long (Clock milliseconds) becomes a span; Infinity: no spans. */
  readonly spanThresholdMillis: number
}

/** The telemetry in force for a fiber: undefined (off) unless a `Telemetry.layer` provides it. */
export const CurrentTelemetry = Context.Reference<TelemetryConfig | undefined>("effect-go/Telemetry", {
  defaultValue: () => undefined
})

/** How many `Telemetry.layer`s are alive: while none is, {@link waits} is never called. */
export let activeLayers = 0

/** A layer started (`1`) or ended (`-1`). */
export const layerAlive = (delta: 1 | -1): void => {
  activeLayers += delta
}

/** The attribute names, in OpenTelemetry's semantic-convention style (lowercase, dot-namespaced). */
export const ATTRIBUTE_KIND = "effectgo.primitive.kind"
export const ATTRIBUTE_NAME = "effectgo.primitive.name"
export const ATTRIBUTE_OPERATION = "effectgo.operation"

/** The wait-time histogram's name; its unit is the second, as OpenTelemetry's durations. */
export const WAIT_DURATION = "effectgo.wait.duration"

/**
 * Bucket boundaries in seconds: 10 µs to 60 s, about three per decade (a
 * channel hand-off waits microseconds; a starved lock or a full pool,
 * seconds).
 */
export const WAIT_BOUNDARIES: ReadonlyArray<number> = [
  0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
]

/** Where a wait happened: a waiter list (its primitive kind, name and role). */
export interface TelemetrySite {
  readonly primitive: string
  readonly name: string | undefined
  readonly role: string
  /** The histogram series of this site, made at its first recorded wait. */
  waitMetric: Metric.Metric<number, Metric.HistogramState> | undefined
}

/** The site of every select: one series (kind "Select", operation "select"). */
export const SELECT_SITE: TelemetrySite = {
  primitive: "Select",
  name: undefined,
  role: "select",
  waitMetric: undefined
}

const metricOf = (site: TelemetrySite): Metric.Metric<number, Metric.HistogramState> => {
  let metric = site.waitMetric
  if (metric === undefined) {
    const attributes: Record<string, string> = {
      [ATTRIBUTE_KIND]: site.primitive,
      [ATTRIBUTE_OPERATION]: site.role
    }
    if (site.name !== undefined) attributes[ATTRIBUTE_NAME] = site.name
    metric = site.waitMetric = Metric.histogram(WAIT_DURATION, {
      description: "How long fibers waited on an effect-go primitive before they were granted what they waited for",
      boundaries: WAIT_BOUNDARIES,
      attributes
    })
  }
  return metric
}

/**
 * Records the wait of `fiber`, parked since `since` (Clock milliseconds) at
 * `where`, now that it is granted. Called only while a layer is alive; does
 * nothing for a fiber outside every layer.
 */
export const waits = (fiber: Fiber.Fiber<unknown, unknown>, where: TelemetrySite, since: number): void => {
  const config = fiber.getRef(CurrentTelemetry)
  if (config === undefined) return
  const clock = fiber.getRef(Clock.Clock)
  const now = clock.currentTimeMillisUnsafe()
  const waited = Math.max(0, now - since)
  metricOf(where).updateUnsafe(waited / 1000, fiber.context)
  if (waited >= config.spanThresholdMillis) waitSpan(fiber, where, since, now)
}

/** The wait as a finished span, child of the fiber's current span. */
const waitSpan = (fiber: Fiber.Fiber<unknown, unknown>, site: TelemetrySite, since: number, now: number): void => {
  const tracer = fiber.getRef(Tracer.Tracer)
  const parent = fiber.cache.span
  const span = tracer.span({
    name: `${site.primitive}.${site.role}`,
    parent: parent === undefined ? Option.none() : Option.some(parent),
    annotations: Context.empty(),
    links: [],
    startTime: BigInt(Math.round(since * 1_000_000)),
    kind: "internal",
    root: false,
    sampled: parent === undefined ? true : parent.sampled
  })
  span.attribute(ATTRIBUTE_KIND, site.primitive)
  if (site.name !== undefined) span.attribute(ATTRIBUTE_NAME, site.name)
  span.attribute(ATTRIBUTE_OPERATION, site.role)
  span.end(BigInt(Math.round(now * 1_000_000)), Exit.void)
}

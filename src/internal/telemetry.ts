/**
 * Telemetry: effect-go's primitives answer "how long do fibers wait here,
 * how full is it, how many tasks ended how" through Effect's own `Metric`
 * and `Tracer`, when a `Telemetry.layer` is alive.
 *
 * - Waits: `wake` in waiters.ts (where every granted wait ends) calls
 *   {@link waits}, which records the wait in `effectgo.wait.duration` and,
 *   past the threshold, as a span under the waiting fiber's span.
 * - Events (task outcomes, select wins, starvation switches...): the
 *   primitive calls {@link event} where it happens.
 * - Gauges (channel length, holders, permits in use...): read from each
 *   primitive's `diagnose()` when metrics are read, never pushed; a
 *   primitive made under a layer is tracked weakly ({@link made}).
 *
 * The series are Effect metric series registered with
 * `Metric.registerUnsafe`, backed by plain fields here: recording a wait is
 * a few arithmetic operations, not a metric-registry lookup per update
 * (what `Metric.update` does), and reading them (`Metric.snapshot`, an
 * exporter) sees the same state.
 *
 * Off, it costs one comparison per wake-up and per event: {@link activeLayers}
 * counts the live layers, and only while one is alive is a fiber's
 * {@link CurrentTelemetry} read (telemetry is on for the fibers under a
 * layer, not for the whole process).
 *
 * Cardinality: one series per (metric, kind, name, and an operation or
 * outcome from a fixed set). Unnamed primitives aggregate under their kind;
 * a name should therefore be static (a role: "jobs", "db-pool"), never one
 * per request. The operation is the waiter list's role ("recv", "lock",
 * "acquire"), not its text ("acquire(3)"): weights add no series. Every
 * select is one series (kind "Select", operation "select").
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { Diagnosis } from "./registry.ts"

// -----------------------------------------------------------------------------
// Names (OpenTelemetry's semantic-convention style: lowercase, dot-namespaced)
// -----------------------------------------------------------------------------

export const ATTRIBUTE_KIND = "effectgo.primitive.kind"
export const ATTRIBUTE_NAME = "effectgo.primitive.name"
export const ATTRIBUTE_OPERATION = "effectgo.operation"
export const ATTRIBUTE_OUTCOME = "effectgo.outcome"

/** Every instrument: its id, type, unit and what it counts. The README's table is this one. */
export const INSTRUMENTS = {
  waitDuration: {
    id: "effectgo.wait.duration",
    type: "histogram",
    unit: "s",
    description: "How long fibers waited on an effect-go primitive before they were granted what they waited for"
  },
  taskDuration: {
    id: "effectgo.task.duration",
    type: "histogram",
    unit: "s",
    description: "How long the tasks of a WaitGroup, ErrGroup or WorkerPool ran, by outcome"
  },
  tasks: {
    id: "effectgo.tasks",
    type: "counter",
    unit: "{task}",
    description: "Tasks of a WaitGroup, ErrGroup or WorkerPool that ended, by outcome (success, failure, interrupted)"
  },
  selects: {
    id: "effectgo.select.wins",
    type: "counter",
    unit: "{select}",
    description: "Selects that chose, by how: ready (a case was ready), parked (woken by a peer), default, timeout"
  },
  starvation: {
    id: "effectgo.mutex.starvation.switches",
    type: "counter",
    unit: "{switch}",
    description: "Times a Mutex entered starvation mode (a waiter waited over 1 ms)"
  },
  flights: {
    id: "effectgo.singleflight.calls",
    type: "counter",
    unit: "{call}",
    description: "SingleFlight calls, by outcome: leader (ran the flight), shared (joined a flight in progress)"
  },
  cancellations: {
    id: "effectgo.context.cancellations",
    type: "counter",
    unit: "{cancellation}",
    description: "GoContext cancellations, by cause: cancel, deadline, parent"
  },
  givenBack: {
    id: "effectgo.chan.given_back",
    type: "counter",
    unit: "{value}",
    description: "Values a receive had taken and gave back to its channel because it was interrupted"
  },
  waiting: {
    id: "effectgo.waiting",
    type: "gauge",
    unit: "{fiber}",
    description: "Fibers parked on an effect-go primitive now, by operation"
  },
  chanLength: {
    id: "effectgo.chan.length",
    type: "gauge",
    unit: "{value}",
    description: "Values buffered in channels now"
  },
  chanCapacity: {
    id: "effectgo.chan.capacity",
    type: "gauge",
    unit: "{value}",
    description: "Buffer capacity of the channels"
  },
  holders: {
    id: "effectgo.lock.holders",
    type: "gauge",
    unit: "{fiber}",
    description: "Fibers holding a Mutex or an RWMutex now (a writer, or readers)"
  },
  permitsUsed: {
    id: "effectgo.semaphore.permits.used",
    type: "gauge",
    unit: "{permit}",
    description: "Semaphore permits held now"
  },
  running: {
    id: "effectgo.tasks.running",
    type: "gauge",
    unit: "{task}",
    description: "Tasks running now: WaitGroup count, ErrGroup active tasks, WorkerPool busy workers"
  },
  queued: {
    id: "effectgo.pool.queue.depth",
    type: "gauge",
    unit: "{job}",
    description: "Jobs waiting in a WorkerPool's queue now"
  }
} as const

type InstrumentKey = keyof typeof INSTRUMENTS

/**
 * Bucket boundaries in seconds: 10 µs to 60 s, about three per decade (a
 * channel hand-off waits microseconds; a starved lock or a full pool,
 * seconds).
 */
export const BOUNDARIES: ReadonlyArray<number> = [
  0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
]

// -----------------------------------------------------------------------------
// Series backed by plain fields
// -----------------------------------------------------------------------------

/** A histogram series: what `Metric.histogram` keeps, in fields of our own. */
export class HistogramSeries {
  readonly counts = new Float64Array(BOUNDARIES.length + 1)
  count = 0
  sum = 0
  min = Number.MAX_VALUE
  max = -Number.MAX_VALUE

  record(value: number): void {
    let i = 0
    while (i < BOUNDARIES.length && value > BOUNDARIES[i]!) i++
    this.counts[i]!++
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
  }

  state(): Metric.HistogramState {
    const buckets: Array<[number, number]> = new Array(BOUNDARIES.length)
    let cumulated = 0
    for (let i = 0; i < BOUNDARIES.length; i++) {
      cumulated += this.counts[i]!
      buckets[i] = [BOUNDARIES[i]!, cumulated]
    }
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max }
  }
}

/** A counter series. */
export class CounterSeries {
  count = 0
}

/** A gauge series: the sum, over the primitives that feed it and are alive, of what each reads now. */
class GaugeSeries {
  readonly sources: Array<{ readonly ref: WeakRef<Tracked>; readonly read: (d: Diagnosis) => number }> = []

  value(): number {
    let total = 0
    let live = 0
    const sources = this.sources
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i]!
      const primitive = source.ref.deref()
      if (primitive === undefined) continue
      sources[live++] = source
      total += source.read(primitive.diagnose())
    }
    sources.length = live
    return total
  }
}

/** A primitive telemetry can read gauges from. */
export interface Tracked {
  diagnose(): Diagnosis
}

const noop = (): void => {}

// -----------------------------------------------------------------------------
// One layer's telemetry
// -----------------------------------------------------------------------------

/** Where a wait happened: a waiter list (its primitive kind, name and role). */
export interface TelemetrySite {
  /** The primitive the waits are on, for its `telemetry` option (none for a select). */
  readonly owner?: unknown
  readonly primitive: string
  readonly name: string | undefined
  readonly role: string
  /** This site's wait series under {@link waitSeriesOf} (cached), and whose it is. */
  waitSeries: HistogramSeries | undefined
  waitSeriesOf: Telemetry | undefined
}

/** The site of every select: one series (kind "Select", operation "select"). */
export const SELECT_SITE: TelemetrySite = {
  primitive: "Select",
  name: undefined,
  role: "select",
  waitSeries: undefined,
  waitSeriesOf: undefined
}

const attributesOf = (
  kind: string,
  name: string | undefined,
  extra?: string,
  extraValue?: string
): Record<string, string> => {
  const attributes: Record<string, string> = { [ATTRIBUTE_KIND]: kind }
  if (name !== undefined) attributes[ATTRIBUTE_NAME] = name
  if (extra !== undefined && extraValue !== undefined) attributes[extra] = extraValue
  return attributes
}

/** What one `Telemetry.layer` records: its settings, and the series it registered. */
export class Telemetry {
  private readonly series = new Map<string, HistogramSeries | CounterSeries | GaugeSeries>()

  /** A wait at least this long (Clock milliseconds) becomes a span; Infinity: none. */
  readonly spanThresholdMillis: number
  /** Where its series are registered: the layer's context (its `MetricRegistry`, its metric attributes). */
  readonly context: Context.Context<never>

  constructor(spanThresholdMillis: number, context: Context.Context<never>) {
    this.spanThresholdMillis = spanThresholdMillis
    this.context = context
  }

  private seriesFor<S extends HistogramSeries | CounterSeries | GaugeSeries>(
    key: InstrumentKey,
    attributes: Record<string, string>,
    make: () => S
  ): S {
    const instrument = INSTRUMENTS[key]
    let id = instrument.id
    for (const k in attributes) id += `\u0000${k}=${attributes[k]}`
    const existing = this.series.get(id)
    if (existing !== undefined) return existing as S
    const series = make()
    this.series.set(id, series)
    // `unit` is where Effect's OpenTelemetry exporter reads a metric's unit from.
    const options = { description: instrument.description, attributes: { ...attributes, unit: instrument.unit } }
    if (series instanceof HistogramSeries) {
      Metric.registerUnsafe(Metric.histogram(instrument.id, { ...options, boundaries: BOUNDARIES }), this.context, {
        get: () => series.state(),
        update: noop,
        modify: noop
      })
    } else if (series instanceof CounterSeries) {
      Metric.registerUnsafe(Metric.counter(instrument.id, { ...options, incremental: true }), this.context, {
        get: () => ({ count: series.count, incremental: true }),
        update: noop,
        modify: noop
      })
    } else {
      Metric.registerUnsafe(Metric.gauge(instrument.id, options), this.context, {
        get: () => ({ value: series.value() }),
        update: noop,
        modify: noop
      })
    }
    return series
  }

  /** The wait series of `site` (kind, name, operation). */
  waitSeries(site: TelemetrySite): HistogramSeries {
    if (site.waitSeriesOf !== this || site.waitSeries === undefined) {
      site.waitSeries = this.seriesFor(
        "waitDuration",
        attributesOf(site.primitive, site.name, ATTRIBUTE_OPERATION, site.role),
        () => new HistogramSeries()
      )
      site.waitSeriesOf = this
    }
    return site.waitSeries
  }

  /** The counter `key` of a primitive, for one outcome. */
  counter(key: InstrumentKey, kind: string, name: string | undefined, outcome?: string): CounterSeries {
    return this.seriesFor(key, attributesOf(kind, name, ATTRIBUTE_OUTCOME, outcome), () => new CounterSeries())
  }

  /** The histogram `key` of a primitive, for one outcome. */
  histogram(key: InstrumentKey, kind: string, name: string | undefined, outcome?: string): HistogramSeries {
    return this.seriesFor(key, attributesOf(kind, name, ATTRIBUTE_OUTCOME, outcome), () => new HistogramSeries())
  }

  /** Sets up the gauges a fully built primitive feeds (see {@link gaugesOf}); it is held weakly. */
  track(primitive: Tracked): void {
    // Handles and views made through the same constructor have no diagnosis of their own.
    if (typeof primitive.diagnose !== "function") return
    const d = primitive.diagnose()
    const ref = new WeakRef(primitive)
    for (const [key, extra, extraValue, read] of gaugesOf(d)) {
      const series = this.seriesFor(key, attributesOf(d.kind, d.name, extra, extraValue), () => new GaugeSeries())
      series.sources.push({ ref, read })
    }
  }
}

type GaugeSpec = readonly [InstrumentKey, string | undefined, string | undefined, (d: Diagnosis) => number]

const num = (v: unknown): number => (typeof v === "number" ? v : 0)

/** The gauges a primitive feeds, read from its diagnosis: waiters by operation, and its kind's own. */
const gaugesOf = (d: Diagnosis): Array<GaugeSpec> => {
  const out: Array<GaugeSpec> = []
  const roles = new Set(d.queues.map((q) => q.list.role))
  for (const role of roles) {
    out.push([
      "waiting",
      ATTRIBUTE_OPERATION,
      role,
      (now) => {
        let n = 0
        for (const q of now.queues) if (q.list.role === role) n += q.list.size
        return n
      }
    ])
  }
  switch (d.kind) {
    case "Chan":
      out.push(["chanLength", undefined, undefined, (now) => num(now.state.len)])
      out.push(["chanCapacity", undefined, undefined, (now) => num(now.state.capacity)])
      break
    case "Mutex":
    case "RWMutex":
      out.push(["holders", undefined, undefined, (now) => now.holders.length])
      break
    case "Semaphore":
      out.push(["permitsUsed", undefined, undefined, (now) => num(now.state.size) - num(now.state.available)])
      break
    case "WaitGroup":
      out.push(["running", undefined, undefined, (now) => num(now.state.count)])
      break
    case "ErrGroup":
      out.push(["running", undefined, undefined, (now) => num(now.state.active)])
      break
    case "WorkerPool":
      out.push(["running", undefined, undefined, (now) => num(now.state.running)])
      out.push(["queued", undefined, undefined, (now) => num(now.state.queued)])
      break
  }
  return out
}

// -----------------------------------------------------------------------------
// The hooks the primitives call
// -----------------------------------------------------------------------------

/** The telemetry in force for a fiber: undefined (off) unless a `Telemetry.layer` provides it. */
export const CurrentTelemetry = Context.Reference<Telemetry | undefined>("effect-go/Telemetry", {
  defaultValue: () => undefined
})

/**
 * How many `Telemetry.layer`s are alive, plus one once a primitive opted in
 * with `telemetry: true`: while it is 0, no hook reads anything.
 */
export let activeLayers = 0

/** A layer started (`1`) or ended (`-1`). */
export const layerAlive = (delta: 1 | -1): void => {
  activeLayers += delta
}

/**
 * Applies a primitive's `telemetry` option (validated by its module): the
 * field the hooks read, and, for `true`, the gate opened for good (a
 * primitive that records outside any layer must be seen by the hooks).
 */
export const setTelemetry = (primitive: Tracked & Optioned, option: boolean | undefined): void => {
  primitive.telemetry = option
  if (option === true && !optedIn) {
    optedIn = true
    const wasClosed = activeLayers === 0
    activeLayers++
    // Made while the gate was closed, it was not queued for its gauges.
    if (wasClosed) made(primitive)
  }
}

/** Whether a primitive opted in (see {@link setTelemetry}): the gate then stays open. */
let optedIn = false

/** A primitive, as far as its `telemetry` option goes. */
export interface Optioned {
  telemetry: boolean | undefined
}

/** What records for primitives that opted in outside any layer: the fiber's metric registry, default settings. */
let fallback: Telemetry | undefined

/**
 * The telemetry that records for a primitive with `option` on `fiber`:
 * none if it opted out; the fiber's layer's; else, if it opted in, the
 * fallback (default settings, the default metric registry).
 */
const resolve = (
  fiber: Fiber.Fiber<unknown, unknown> | undefined,
  option: boolean | undefined
): Telemetry | undefined => {
  if (option === false) return undefined
  const telemetry = fiber === undefined ? undefined : inContext(fiber.context).telemetry
  if (telemetry !== undefined || option !== true) return telemetry
  return (fallback ??= new Telemetry(DEFAULT_SPAN_THRESHOLD_MILLIS, Context.empty()))
}

/**
 * The telemetry and Clock of the last fiber context looked at. Fibers
 * share their parent's context object unless they provide something, so
 * the hooks of a busy program meet the same context again and again: two
 * `Context` lookups per wait become one comparison.
 */
const lastSeen = {
  context: undefined as Context.Context<never> | undefined,
  telemetry: undefined as Telemetry | undefined,
  clock: undefined as unknown as Clock.Clock
}

const inContext = (context: Context.Context<never>): typeof lastSeen => {
  if (lastSeen.context !== context) {
    lastSeen.context = context
    lastSeen.telemetry = Context.get(context, CurrentTelemetry)
    lastSeen.clock = Context.get(context, Clock.Clock)
  }
  return lastSeen
}

/** The default span threshold, in milliseconds. */
export const DEFAULT_SPAN_THRESHOLD_MILLIS = 10

/** Whether anything records for `primitive` on `fiber` (its option, the fiber's layer). Callers check {@link activeLayers} first. */
export const recordsFor = (fiber: Fiber.Fiber<unknown, unknown>, primitive: Optioned): boolean =>
  resolve(fiber, primitive.telemetry) !== undefined

/** The telemetry in force for `fiber`, if any. Callers check {@link activeLayers} first. */
export const telemetryOf = (fiber: Fiber.Fiber<unknown, unknown> | undefined): Telemetry | undefined =>
  fiber === undefined ? undefined : fiber.getRef(CurrentTelemetry)

/** Primitives made while the gate was open, with the telemetry of the fiber that made them, not yet resolved. */
let madePending: Array<readonly [Tracked & Optioned, Telemetry | undefined]> = []

const settleMade = (): void => {
  const pending = madePending
  madePending = []
  for (const [primitive, telemetry] of pending) {
    // Its options are set now (it was still being built when it was made).
    const option = primitive.telemetry
    const t = option === false ? undefined : (telemetry ?? (option === true ? resolve(undefined, true) : undefined))
    t?.track(primitive)
  }
}

/**
 * A primitive was made: under a layer (or if it opts in), its gauges are
 * set up once the current synchronous run is over (it is still being built:
 * its options are not set yet).
 */
export const made = (primitive: Tracked & Optioned): void => {
  if (activeLayers === 0) return
  if (madePending.length === 0) queueMicrotask(settleMade)
  madePending.push([primitive, telemetryOf(Fiber.getCurrent())])
}

/**
 * Counts an event of a primitive (`outcome` from a fixed set), in the
 * telemetry of `fiber` (the current fiber when omitted).
 */
export const event = (
  key: InstrumentKey,
  kind: string,
  name: string | undefined,
  outcome?: string,
  fiber?: Fiber.Fiber<unknown, unknown>,
  primitive?: Optioned
): void => {
  if (activeLayers === 0) return
  const telemetry = resolve(fiber ?? Fiber.getCurrent(), primitive?.telemetry)
  if (telemetry !== undefined) telemetry.counter(key, kind, name, outcome).count++
}

/** A task of a group or pool ended after `millis`: counted and timed by outcome. */
export const taskOutcome = (
  kind: string,
  name: string | undefined,
  exit: Exit.Exit<unknown, unknown>,
  millis: number,
  fiber: Fiber.Fiber<unknown, unknown> | undefined,
  primitive?: Optioned
): void => {
  if (activeLayers === 0) return
  const telemetry = resolve(fiber ?? Fiber.getCurrent(), primitive?.telemetry)
  if (telemetry === undefined) return
  const outcome = Exit.isSuccess(exit) ? "success" : Exit.hasInterrupts(exit) ? "interrupted" : "failure"
  telemetry.counter("tasks", kind, name, outcome).count++
  telemetry.histogram("taskDuration", kind, name, outcome).record(Math.max(0, millis) / 1000)
}

/** The attributes of a task's span: its group's kind and name. */
export const taskAttributes = (kind: string, name: string | undefined): Record<string, string> =>
  attributesOf(kind, name)

/** Clock milliseconds on `fiber`'s Clock, for durations (only called under a layer). */
export const nowOn = (fiber: Fiber.Fiber<unknown, unknown>): number =>
  fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()

/**
 * Records the wait of `fiber`, parked since `since` (Clock milliseconds) at
 * `where`, now that it is granted. Called only while a layer is alive; does
 * nothing for a fiber outside every layer.
 */
export const waits = (fiber: Fiber.Fiber<unknown, unknown>, where: TelemetrySite, since: number): void => {
  const telemetry = resolve(fiber, (where.owner as Optioned | undefined)?.telemetry)
  if (telemetry === undefined) return
  const now = inContext(fiber.context).clock.currentTimeMillisUnsafe()
  const waited = now > since ? now - since : 0
  telemetry.waitSeries(where).record(waited / 1000)
  if (waited >= telemetry.spanThresholdMillis) waitSpan(fiber, where, since, now)
}

/**
 * Clock milliseconds as span nanoseconds, exactly: the start and end of a
 * wait span are the times its histogram sample was taken from (through
 * microseconds, which stay below 2^53).
 */
const nanos = (millis: number): bigint => BigInt(Math.round(millis * 1000)) * 1000n

/**
 * The wait as a finished span, child of the fiber's current span; a root
 * span when the fiber has none (it runs on the waker's stack: a tracer that
 * reads an ambient context must not take the waker's span for its parent).
 */
const waitSpan = (fiber: Fiber.Fiber<unknown, unknown>, site: TelemetrySite, since: number, now: number): void => {
  const tracer = fiber.getRef(Tracer.Tracer)
  const parent = fiber.cache.span
  const span = tracer.span({
    name: `${site.primitive}.${site.role}`,
    parent: parent === undefined ? Option.none() : Option.some(parent),
    annotations: Context.empty(),
    links: [],
    startTime: nanos(since),
    kind: "internal",
    root: parent === undefined,
    sampled: parent === undefined ? true : parent.sampled
  })
  span.attribute(ATTRIBUTE_KIND, site.primitive)
  if (site.name !== undefined) span.attribute(ATTRIBUTE_NAME, site.name)
  span.attribute(ATTRIBUTE_OPERATION, site.role)
  span.end(nanos(now), Exit.void)
}

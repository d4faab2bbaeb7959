/**
 * Go Concurrency · Synchronization · Mutexes — exporting where goroutines
 * wait. A Go service exports its block profile over `net/http/pprof` and its
 * metrics through a Prometheus client; an effect-go service provides
 * `Telemetry.layer` beside `@effect/opentelemetry`'s `NodeSdk.layer`, and
 * the waits come out as OpenTelemetry spans and as a histogram that any
 * OpenTelemetry metric reader exports.
 *
 * Here a small inventory service: six orders reserve stock under one
 * `inventory` lock (4 ms each), then queue a shipping job on a `jobs`
 * channel of capacity 2 that one shipping worker drains (25 ms a job). The
 * spans go to the OpenTelemetry SDK's `ConsoleSpanExporter` (only the first
 * wait span of each name), the metrics to its `PrometheusExporter`, served
 * on 127.0.0.1 at a port the system picks; the program scrapes that
 * endpoint once and prints the `effectgo_wait_duration` series without
 * their buckets.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus"
import {
  ConsoleSpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter
} from "@opentelemetry/sdk-trace-base"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Telemetry from "../src/Telemetry.ts"
import * as Example from "./Example.ts"

const SERVICE = "inventory-service"

/** Six orders: each reserves stock under the lock, then queues a shipping job; one worker ships them. */
const service = Effect.gen(function* () {
  const inventory = yield* Mutex.make({ name: "inventory" })
  const jobs = yield* Chan.make<number>(2, { name: "jobs" })
  const worker = yield* Effect.forkChild(
    Chan.forEach(jobs, () => Effect.sleep("25 millis")).pipe(Effect.withSpan("shipping worker"))
  )
  // The worker is up and waiting for jobs before the orders come in.
  yield* Effect.yieldNow
  yield* Effect.forEach(
    [1, 2, 3, 4, 5, 6],
    (order) =>
      Effect.andThen(Mutex.withLock(inventory)(Effect.sleep("4 millis")), Chan.send(jobs, order)).pipe(
        Effect.withSpan("reserve", { attributes: { "order.id": order } })
      ),
    { concurrency: "unbounded", discard: true }
  )
  yield* Chan.close(jobs)
  yield* Fiber.join(worker)
})

/**
 * Passes `next` only the first wait span of each name (`Mutex.lock`,
 * `Chan.send`...): effect-go's wait spans carry its attributes. The rest of
 * the trace (the orders' and the worker's spans) is left out of the console.
 */
const firstWaitSpans = (next: SpanExporter): SpanExporter => {
  const seen = new Set<string>()
  const first = (span: ReadableSpan): boolean => {
    if (span.attributes[Telemetry.attributes.kind] === undefined || seen.has(span.name)) return false
    seen.add(span.name)
    return true
  }
  return {
    export: (spans, done) => next.export(spans.filter(first), done),
    shutdown: () => next.shutdown(),
    forceFlush: () => next.forceFlush?.() ?? Promise.resolve()
  }
}

/** The Prometheus exporter's text, served on 127.0.0.1 at a port the system picks, for the scope. */
const prometheusEndpoint = (exporter: PrometheusExporter) =>
  Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((request, response) => exporter.getMetricsRequestHandler(request, response))
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`))

/** The `effectgo_wait_duration` lines of a scrape, without the buckets. */
const waitLines = (text: string): Array<string> =>
  text
    .split("\n")
    .filter((line) => /^# \w+ effectgo_wait_duration /.test(line) || /^effectgo_wait_duration_(count|sum)\{/.test(line))

const program = Effect.gen(function* () {
  // The metric reader: the exporter's own server stays off, the endpoint below serves its text.
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
  const otel = NodeSdk.layer(() => ({
    resource: { serviceName: SERVICE },
    spanProcessor: new SimpleSpanProcessor(firstWaitSpans(new ConsoleSpanExporter())),
    metricReader: prometheus
  }))
  yield* Effect.gen(function* () {
    yield* service
    const url = yield* prometheusEndpoint(prometheus)
    const text = yield* Effect.promise(() => fetch(url).then((response) => response.text()))
    yield* Console.log(`GET ${url} (effectgo_wait_duration, buckets left out):`)
    for (const line of waitLines(text)) yield* Console.log(`  ${line}`)
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(Telemetry.layer({ spanThreshold: "10 millis" }), otel)))
  yield* Console.log("endpoint closed, telemetry shut down")
}).pipe(
  // A registry of its own: the tour's other examples' series stay out of this endpoint.
  Effect.provideService(Metric.MetricRegistry, new Map())
)

export const example = Example.make({
  name: "telemetry-otel",
  section: "Go Concurrency · Synchronization · Mutexes (exporting where goroutines wait: OpenTelemetry, Prometheus)",
  title:
    "Telemetry.layer beside @effect/opentelemetry's NodeSdk.layer: slow waits as OpenTelemetry spans (ConsoleSpanExporter), effectgo.wait.duration scraped from a Prometheus endpoint",
  uses: ["Telemetry", "Mutex", "Chan"],
  program,
  expected: [
    /^GET http:\/\/127\.0\.0\.1:\d+\/metrics \(effectgo_wait_duration, buckets left out\):$/,
    "# TYPE effectgo_wait_duration histogram",
    /^ {2}effectgo_wait_duration_count\{(?=.*effectgo_primitive_kind="Mutex")(?=.*effectgo_primitive_name="inventory")(?=.*effectgo_operation="lock").*\} 5$/,
    /^ {2}effectgo_wait_duration_count\{(?=.*effectgo_primitive_kind="Chan")(?=.*effectgo_primitive_name="jobs")(?=.*effectgo_operation="send").*\} 3$/,
    "endpoint closed, telemetry shut down"
  ]
})

if (import.meta.main) Example.runMain(example)

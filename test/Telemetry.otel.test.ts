/**
 * Telemetry through OpenTelemetry: the wait spans and the wait-time
 * histogram, exported by `@effect/opentelemetry` to the OpenTelemetry SDK's
 * in-memory exporters (and rendered as Prometheus text), as a program wired
 * for OpenTelemetry would see them.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { describe, expect } from "@effect/vitest"
import { SpanKind } from "@opentelemetry/api"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Telemetry from "../src/Telemetry.ts"
import { it } from "./utils/leak.ts"
import { parkedReceives } from "./utils/telemetry.ts"

/**
 * Runs `self` under `layer` with a metric registry of its own, so that the
 * series of other tests in this process stay out of what is exported (the
 * registry is outermost: `@effect/opentelemetry`'s metric producer reads the
 * registry of the context it is built in).
 */
const isolated = <A, E, L>(self: Effect.Effect<A, E>, layer: Layer.Layer<L>) =>
  self.pipe(Effect.provide(layer), Effect.provideService(Metric.MetricRegistry, new Map()))

describe("Telemetry through @effect/opentelemetry: spans", () => {
  it.effect(
    "a slow wait is an exported span `Chan.recv`, child of the waiting handler's span, in its trace, with the wait's times",
    () => {
      const exporter = new InMemorySpanExporter()
      const processor = new SimpleSpanProcessor(exporter)
      const tracing = NodeSdk.layer(() => ({ resource: { serviceName: "effect-go-test" }, spanProcessor: processor }))
      return isolated(
        Effect.gen(function* () {
          const replies = yield* Chan.make<string>(0, { name: "replies" })
          yield* TestClock.adjust("2 millis")
          const fast = yield* Effect.forkChild(Chan.recv(replies).pipe(Effect.withSpan("fast handler")))
          const slow = yield* Effect.forkChild(Chan.recv(replies).pipe(Effect.withSpan("slow handler")))
          yield* TestClock.adjust("4 millis")
          yield* Chan.send(replies, "early") // "fast handler": waited 4 ms, under the threshold
          yield* TestClock.adjust("26 millis")
          yield* Chan.send(replies, "late") // "slow handler": waited 30 ms, from 2 ms to 32 ms
          yield* Fiber.join(fast)
          yield* Fiber.join(slow)
          // Export is asynchronous; the exporter forgets its spans at shutdown.
          yield* Effect.promise(() => processor.forceFlush())
          const spans = exporter.getFinishedSpans()

          const waits = spans.filter((s) => s.name === "Chan.recv")
          expect(waits).toHaveLength(1)
          const wait = waits[0]!
          const handler = spans.find((s) => s.name === "slow handler")
          expect(handler).toBeDefined()
          expect(wait.parentSpanContext?.spanId).toBe(handler!.spanContext().spanId)
          expect(wait.spanContext().traceId).toBe(handler!.spanContext().traceId)
          expect(wait.kind).toBe(SpanKind.INTERNAL)
          expect(wait.attributes).toStrictEqual({
            [Telemetry.attributes.kind]: "Chan",
            [Telemetry.attributes.name]: "replies",
            [Telemetry.attributes.operation]: "recv"
          })
          // The wait's own start and length, on the waiting fiber's Clock.
          expect(wait.startTime).toStrictEqual([0, 2_000_000])
          expect(wait.duration).toStrictEqual([0, 30_000_000])
          expect(wait.resource.attributes["service.name"]).toBe("effect-go-test")
        }),
        Layer.merge(Telemetry.layer({ spanThreshold: "10 millis" }), tracing)
      )
    }
  )
})

describe("Telemetry through @effect/opentelemetry: metrics", () => {
  it.effect(
    "the exported `effectgo.wait.duration` histogram counts exactly the parked receives of the named channel",
    () => {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      // Exported on demand (forceFlush), never by its timer.
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
      const metrics = NodeSdk.layer(() => ({ resource: { serviceName: "effect-go-test" }, metricReader: reader }))
      return isolated(
        Effect.gen(function* () {
          yield* parkedReceives("orders", 250)
          yield* parkedReceives("invoices", 40)
          yield* Effect.promise(() => reader.forceFlush())
          const exported = exporter
            .getMetrics()
            .at(-1)
            ?.scopeMetrics.flatMap((s) => s.metrics)
            .filter((m) => m.descriptor.name === Telemetry.waitDuration)
          expect(exported).toHaveLength(1)
          const histogram = exported![0]!
          expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM)
          expect(histogram.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE)
          const byName = (name: string) =>
            histogram.dataPoints.filter((p) => p.attributes[Telemetry.attributes.name] === name)
          const orders = byName("orders")
          expect(orders).toHaveLength(1)
          expect(orders[0]!.attributes).toStrictEqual({
            [Telemetry.attributes.kind]: "Chan",
            [Telemetry.attributes.name]: "orders",
            [Telemetry.attributes.operation]: "recv",
            unit: "s"
          })
          // The unit reaches the exported descriptor (Effect's exporter reads it from the `unit` attribute).
          expect(histogram.descriptor.unit).toBe("s")
          const value = orders[0]!.value as Histogram
          expect(value.count).toBe(250)
          expect(value.sum).toBeCloseTo(0.25, 9)
          expect(value.min).toBeCloseTo(0.001, 12)
          expect(value.max).toBeCloseTo(0.001, 12)
          // Per-bucket counts, OpenTelemetry style (not cumulative): every
          // 1 ms wait falls in the bucket whose upper bound is 1 ms.
          const at = value.buckets.boundaries.indexOf(0.001)
          expect(at).toBeGreaterThan(0)
          expect(value.buckets.counts[at]).toBe(250)
          expect(value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(250)
          expect((byName("invoices")[0]?.value as Histogram | undefined)?.count).toBe(40)
          // The senders never parked (their receiver was always waiting).
          expect(
            histogram.dataPoints.filter((p) => p.attributes[Telemetry.attributes.operation] === "send")
          ).toHaveLength(0)
        }),
        Layer.merge(Telemetry.layer({ spanThreshold: false }), metrics)
      )
    }
  )

  it.effect("rendered as Prometheus text: `effectgo_wait_duration` with the attributes as labels", () => {
    const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
    const metrics = NodeSdk.layer(() => ({ resource: { serviceName: "effect-go-test" }, metricReader: reader }))
    return isolated(
      Effect.gen(function* () {
        yield* parkedReceives("orders", 12)
        const { resourceMetrics } = yield* Effect.promise(() => reader.collect())
        const text = new PrometheusSerializer(undefined, false, undefined, true, true).serialize(resourceMetrics)
        const lines = text.split("\n").filter((l) => l.includes("effectgo_wait_duration"))
        expect(lines).toContain("# TYPE effectgo_wait_duration histogram")
        expect(lines).toContain("# UNIT effectgo_wait_duration s")
        // The series of the channel: its sample lines, by suffix and `le`, whatever the label order.
        const orders = new Map<string, string>()
        for (const line of lines) {
          const sample = /^effectgo_wait_duration_(\w+)\{(.*)\} (\S+)$/.exec(line)
          if (sample === null) continue
          const labels = Object.fromEntries([...sample[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
          const { le, ...series } = labels
          expect(series).toStrictEqual({
            effectgo_primitive_kind: "Chan",
            effectgo_primitive_name: "orders",
            effectgo_operation: "recv",
            unit: "s"
          })
          orders.set(le === undefined ? sample[1]! : `${sample[1]} le=${le}`, sample[3]!)
        }
        expect(orders.get("count")).toBe("12")
        expect(Number(orders.get("sum"))).toBeCloseTo(0.012, 9)
        // Cumulative, Prometheus style.
        expect(orders.get("bucket le=0.0005")).toBe("0")
        expect(orders.get("bucket le=0.001")).toBe("12")
        expect(orders.get("bucket le=+Inf")).toBe("12")
      }),
      Layer.merge(Telemetry.layer({ spanThreshold: false }), metrics)
    )
  })
})

/**
 * Telemetry in Effect's own DevTools: a program under `Telemetry.layer` and
 * a DevTools client layer streams its wait spans and, when the DevTools
 * server asks, its metric series to a DevTools server (`DevToolsServer.run`)
 * on a local port, with no other setup. The assertions are on what the
 * server decodes, as a DevTools UI sees it. Two transports: the WebSocket of
 * `DevTools.layer(url)` (what an application provides; the DevTools
 * extension listens on a WebSocket), and a TCP socket under
 * `DevTools.layerSocket`.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as DevTools from "effect/devtools/DevTools"
import type * as DevToolsSchema from "effect/devtools/DevToolsSchema"
import * as DevToolsServer from "effect/devtools/DevToolsServer"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import type * as NetAddress from "effect/net/NetAddress"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as SocketServer from "effect/socket/SocketServer"
import * as Stream from "effect/Stream"
import * as Chan from "../src/Chan.ts"
import * as Telemetry from "../src/Telemetry.ts"
import { it } from "./utils/leak.ts"

type Message = DevToolsSchema.Request.WithoutPing

const HOST = "127.0.0.1"

/** The ended `Span` message named `name` (a span is sent when it starts, and again when it ends). */
const endedSpan =
  (name: string) =>
  (m: Message): m is DevToolsSchema.Span =>
    m._tag === "Span" && m.name === name && m.status._tag === "Ended"

const isSnapshot = (m: Message): m is DevToolsSchema.MetricsSnapshot => m._tag === "MetricsSnapshot"

/** The series of `snapshot` with this id for the channel `name`, with the `extra` attributes. */
const seriesOf = (
  snapshot: DevToolsSchema.MetricsSnapshot,
  id: string,
  name: string,
  extra: Record<string, string> = {}
): ReadonlyArray<DevToolsSchema.Metric> =>
  snapshot.metrics.filter(
    (m) =>
      m.id === id &&
      m.attributes?.[Telemetry.attributes.kind] === "Chan" &&
      m.attributes?.[Telemetry.attributes.name] === name &&
      Object.entries(extra).every(([k, v]) => m.attributes?.[k] === v)
  )

/**
 * A DevTools server made by `server` on a free local port, and a program
 * under `Telemetry.layer` and the DevTools client layer `client(port)`, in
 * which the `handler` span waits about 30 ms to receive on the channel
 * "jobs". Then the server asks for metrics, as the DevTools UI does. Yields
 * what the server received: the ended spans `Chan.recv` (if any) and
 * `handler`, and the metrics snapshot.
 */
const scenario = (
  server: Effect.Effect<SocketServer.SocketServer["Service"], SocketServer.SocketServerError, Scope.Scope>,
  client: (port: number) => Layer.Layer<never, unknown>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      // Every message a client sends lands in `inbox`.
      const inbox = yield* Queue.unbounded<Message>()
      const connected = yield* Deferred.make<DevToolsServer.Client>()
      const listening = yield* server
      yield* DevToolsServer.run((c) =>
        Effect.andThen(
          Deferred.succeed(connected, c),
          Stream.runForEach(Stream.fromQueue(c.queue), (m) => Queue.offer(inbox, m))
        )
      ).pipe(Effect.provideService(SocketServer.SocketServer, listening), Effect.forkScoped)
      const port = (listening.address as NetAddress.InetAddress).port

      // The first message received so far, or still to come, that `refine` accepts.
      const received: Array<Message> = []
      const next = <M extends Message>(refine: (m: Message) => m is M): Effect.Effect<M> =>
        Effect.suspend(() => {
          const found = received.find(refine)
          if (found !== undefined) return Effect.succeed(found)
          return Effect.flatMap(Queue.take(inbox), (m) => {
            received.push(m)
            return next(refine)
          })
        })

      return yield* Effect.gen(function* () {
        const jobs = yield* Chan.make<number>(0, { name: "jobs" })
        const sender = yield* Effect.forkChild(Effect.andThen(Effect.sleep("30 millis"), Chan.send(jobs, 1)))
        yield* Chan.recv(jobs).pipe(Effect.withSpan("handler"))
        yield* Fiber.join(sender)
        // One connection carries the spans in the order they start and end:
        // once the handler's end is in, so is its wait's.
        const handler = yield* next(endedSpan("handler"))
        const wait = received.find(endedSpan("Chan.recv"))
        const c = yield* Deferred.await(connected)
        yield* c.send({ _tag: "MetricsRequest" })
        const snapshot = yield* next(isSnapshot)
        return { wait, handler, snapshot }
      }).pipe(
        Effect.timeout("1500 millis"),
        Effect.provide(Layer.merge(Telemetry.layer({ spanThreshold: "10 millis" }), client(port))),
        // A registry of this test's own: what the client snapshots is what this program recorded.
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
    })
  )

/** What the DevTools server must have seen of the scenario's wait: its span, and its series on request. */
const expectVisible = ({
  handler,
  snapshot,
  wait
}: {
  readonly handler: DevToolsSchema.Span
  readonly snapshot: DevToolsSchema.MetricsSnapshot
  readonly wait: DevToolsSchema.Span | undefined
}): void => {
  // (a) The wait span, with the series' attributes, child of the waiting fiber's span.
  if (wait === undefined) expect.fail("no ended span `Chan.recv` reached the DevTools server")
  expect(Object.fromEntries(wait.attributes)).toStrictEqual({
    [Telemetry.attributes.kind]: "Chan",
    [Telemetry.attributes.name]: "jobs",
    [Telemetry.attributes.operation]: "recv"
  })
  expect(wait.traceId).toBe(handler.traceId)
  const parent = Option.getOrUndefined(wait.parent)
  expect(parent?._tag).toBe("Span")
  expect(parent?.spanId).toBe(handler.spanId)
  expect(parent?._tag === "Span" && parent.name).toBe("handler")
  if (wait.status._tag !== "Ended") expect.fail("the wait span has not ended")
  const waitedSeconds = Number(wait.status.endTime - wait.status.startTime) / 1e9
  expect(waitedSeconds).toBeGreaterThanOrEqual(0.01)

  // (b) The wait histogram's series for the channel, with every field of Effect's histogram state.
  const waits = seriesOf(snapshot, Telemetry.waitDuration, "jobs", { [Telemetry.attributes.operation]: "recv" })
  expect(waits).toHaveLength(1)
  const series = waits[0]!
  if (series.type !== "Histogram") expect.fail(`${Telemetry.waitDuration} is a ${series.type}`)
  expect(series.attributes).toStrictEqual({
    [Telemetry.attributes.kind]: "Chan",
    [Telemetry.attributes.name]: "jobs",
    [Telemetry.attributes.operation]: "recv",
    unit: "s"
  })
  expect(series.description).toBe(Telemetry.instruments.waitDuration.description)
  const { buckets, count, max, min, sum } = series.state
  expect(count).toBe(1)
  expect(min).toBe(sum)
  expect(max).toBe(sum)
  // The series counts whole Clock milliseconds; the span has nanoseconds.
  expect(sum).toBeCloseTo(waitedSeconds, 2)
  // The buckets survive the wire: cumulative counts per upper bound.
  expect(buckets.map(([bound]) => bound)).toStrictEqual(Telemetry.boundaries)
  for (const [bound, n] of buckets) expect(n).toBe(bound >= sum ? 1 : 0)
  // Gauges are read when the snapshot is taken: the channel's capacity and its parked receivers.
  const capacity = seriesOf(snapshot, Telemetry.instruments.chanCapacity.id, "jobs")
  expect(capacity.map((m) => [m.type, m.state])).toStrictEqual([["Gauge", { value: 0 }]])
  const waiting = seriesOf(snapshot, Telemetry.instruments.waiting.id, "jobs", {
    [Telemetry.attributes.operation]: "recv"
  })
  expect(waiting.map((m) => [m.type, m.state])).toStrictEqual([["Gauge", { value: 0 }]])
}

describe("Telemetry in Effect's DevTools", () => {
  it.live(
    "DevTools.layer(url): the server receives the wait span `Chan.recv` (child of `handler`, with our attributes) and, on request, the wait histogram",
    () =>
      Effect.map(
        scenario(NodeSocketServer.makeWebSocket({ host: HOST, port: 0 }), (port) =>
          DevTools.layer(`ws://${HOST}:${port}`)
        ),
        expectVisible
      )
  )

  it.live("DevTools.layerSocket over TCP: the same span and series", () =>
    Effect.map(
      scenario(NodeSocketServer.make({ host: HOST, port: 0 }), (port) =>
        DevTools.layerSocket.pipe(Layer.provide(NodeSocket.layerNet({ host: HOST, port })))
      ),
      expectVisible
    )
  )
})

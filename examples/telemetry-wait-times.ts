/**
 * Go Concurrency · Synchronization · Mutexes — and how long goroutines wait
 * for them: Go's answer is pprof's block and mutex profiles
 * (`runtime.SetBlockProfileRate(1)`, then `go tool pprof`), read after the
 * fact.
 *
 * effect-go records every wait on every primitive in Effect's own `Metric`
 * (the `effectgo.wait.duration` histogram, by kind, name and operation)
 * once `Telemetry.layer` is provided, and turns a wait longer than a
 * threshold into a span in the waiting fiber's trace. Here eight request
 * fibers share one account lock whose holder does 10 ms of work while main
 * waits for them on a WaitGroup: the snapshot shows where the time went
 * (seven waits for the lock, about 280 ms in all; main's one wait, about
 * 80 ms), and the tracer shows the slow lock waits as spans under each
 * request's span.
 * An exporter (`@effect/opentelemetry`, a Prometheus text endpoint over
 * `Metric.snapshot`) ships the same series.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Tracer from "effect/Tracer"
import * as Mutex from "../src/Mutex.ts"
import * as Telemetry from "../src/Telemetry.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

/** Eight requests, each taking the account lock for 10 ms of work; main waits for them all. */
const workload = Effect.gen(function* () {
  const account = yield* Mutex.make({ name: "account" })
  const requests = yield* WaitGroup.make({ name: "requests" })
  for (let i = 0; i < 8; i++) {
    yield* WaitGroup.go(
      requests,
      Mutex.withLock(account)(Effect.sleep("10 millis")).pipe(Effect.withSpan(`request ${i}`))
    )
  }
  yield* WaitGroup.wait(requests)
})

/** The wait-time series as a table: count, total and largest wait, in milliseconds. */
const table = Effect.map(Metric.snapshot, (all) =>
  all
    .filter((m) => m.id === Telemetry.waitDuration && m.type === "Histogram")
    .map((m) => {
      const a = m.attributes ?? {}
      const s = m.state as Metric.HistogramState
      const where = `${a[Telemetry.attributes.kind]} ${JSON.stringify(a[Telemetry.attributes.name])} ${a[Telemetry.attributes.operation]}`
      return `${where.padEnd(26)} waits ${String(s.count).padStart(2)}, total ${(s.sum * 1000).toFixed(0).padStart(3)} ms, max ${(s.max * 1000).toFixed(0).padStart(2)} ms`
    })
    .sort()
)

const program = Effect.gen(function* () {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  yield* Effect.scoped(workload).pipe(Effect.provideService(Tracer.Tracer, tracer))
  yield* Console.log("effectgo.wait.duration (from Metric.snapshot):")
  for (const line of yield* table) yield* Console.log(`  ${line}`)
  const slow = spans.filter((s) => s.name === "Mutex.lock")
  const parents = new Set(
    slow.map((s) => (s.parent._tag === "Some" && s.parent.value._tag === "Span" ? s.parent.value.name : ""))
  )
  yield* Console.log(
    `spans over 25 ms: ${slow.length} "Mutex.lock", each a child of its request's span (${parents.size} requests)`
  )
}).pipe(Effect.provide(Telemetry.layer({ spanThreshold: "25 millis" })))

export const example = Example.make({
  name: "telemetry-wait-times",
  section: "Go Concurrency · Synchronization · Mutexes (where goroutines wait: pprof's block profile)",
  title:
    "Telemetry.layer records every wait in Effect's Metric (effectgo.wait.duration by kind, name, operation) and turns slow waits into spans under the waiting request's span",
  uses: ["Telemetry", "Mutex", "WaitGroup"],
  program,
  expected: [
    "effectgo.wait.duration (from Metric.snapshot):",
    /^ {2}Mutex "account" lock +waits {2}7, total +\d+ ms, max +\d+ ms$/,
    /^ {2}WaitGroup "requests" wait +waits {2}1, total +\d+ ms, max +\d+ ms$/,
    /^spans over 25 ms: \d "Mutex\.lock", each a child of its request's span \(\d requests\)$/
  ]
})

if (import.meta.main) Example.runMain(example)

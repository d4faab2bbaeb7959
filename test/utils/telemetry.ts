/**
 * Workloads and recorders the telemetry tests share.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as Tracer from "effect/Tracer"
import * as Chan from "../../src/Chan.ts"

/**
 * `n` receives that each park 1 ms (TestClock) on an unbuffered channel
 * made with `options` (a name, or the channel's options); returns the
 * channel. The sender never parks: its receiver is always waiting.
 */
export const parkedReceives = (options: string | Chan.ChanOptions, n: number) =>
  Effect.gen(function* () {
    const ch = yield* Chan.make<number>(0, typeof options === "string" ? { name: options } : options)
    const sender = yield* Effect.forkChild(
      Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) => Effect.andThen(Effect.sleep("1 millis"), Chan.send(ch, i))
      )
    )
    const receiver = yield* Effect.forkChild(Effect.forEach(Array.from({ length: n }), () => Chan.recv(ch)))
    for (let i = 0; i < n; i++) yield* TestClock.adjust("1 millis")
    yield* Fiber.join(receiver)
    yield* Fiber.join(sender)
    return ch
  })

/** A tracer that keeps every span it makes, and those spans. */
export const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

/**
 * Go Concurrency · "Stop + Done Pattern (Alternative)": a ticking worker
 * stopped by closing a `stop` channel, joined by waiting for its `done`
 * channel.
 *
 * Go:
 *   stop := make(chan struct{}); done := make(chan struct{})
 *   go func() {
 *     defer close(done)
 *     ticker := time.NewTicker(interval)
 *     defer ticker.Stop()
 *     for {
 *       select {
 *       case <-ticker.C: flush()
 *       case <-stop:     return
 *       }
 *     }
 *   }()
 *   close(stop)   // later: signal stop
 *   <-done        // and wait
 *
 * `Effect.ensuring(close(done))` is `defer close(done)`, and the ticker
 * lives in the worker's own scope, so it stops when the worker returns
 * (`defer ticker.Stop()`). The second half is the Effect way of saying the
 * same thing: the worker's fiber is its handle, and `Fiber.interrupt` both
 * signals stop and waits for the worker to finish — no channels needed, and
 * interruption reaches the worker wherever it is blocked.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as Ticker from "../src/Ticker.ts"
import * as Example from "./Example.ts"

const withChannels = Effect.gen(function* () {
  const stop = yield* Chan.make<void>()
  const done = yield* Chan.make<void>()
  let flushes = 0
  const flush = Effect.suspend(() => Console.log(`  flush ${++flushes}`))

  yield* Effect.forkScoped(
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("10 millis") // stopped when this scope closes
      let running = true
      while (running) {
        running = yield* Select.select(
          Select.recv(ticker.c, () => Effect.as(flush, true)),
          Select.recv(stop, () => Effect.succeed(false))
        )
      }
    }).pipe(Effect.scoped, Effect.ensuring(Effect.ignore(Chan.close(done)))) // defer close(done)
  )

  yield* Effect.sleep("35 millis")
  yield* Chan.close(stop) // signal stop
  yield* Chan.recv(done) // and wait
  yield* Console.log(`stop/done channels: worker stopped after ${flushes} flushes`)
}).pipe(Effect.scoped)

const withInterrupt = Effect.gen(function* () {
  let flushes = 0
  const worker = Effect.gen(function* () {
    const ticker = yield* Ticker.make("10 millis")
    yield* Chan.forEach(ticker.c, () => Console.log(`  flush ${++flushes}`))
  }).pipe(
    Effect.scoped,
    Effect.onInterrupt(() => Console.log("  worker: interrupted, ticker stopped"))
  )
  const fiber = yield* Effect.forkChild(worker)
  yield* Effect.sleep("35 millis")
  yield* Fiber.interrupt(fiber) // close(stop) + <-done in one call
  yield* Console.log(`Fiber.interrupt: worker stopped after ${flushes} flushes`)
})

const program = Effect.andThen(withChannels, withInterrupt)

export const example = Example.make({
  name: "stop-done-channels",
  section: "Go Concurrency · Stop + Done Pattern",
  title: "stop a ticking worker by closing a stop channel and wait on its done channel; or Fiber.interrupt",
  uses: ["Chan", "Select", "Ticker"],
  program,
  expected: [
    "flush 1",
    "flush 2",
    "flush 3",
    "stop/done channels: worker stopped after 3 flushes",
    "flush 1",
    "flush 2",
    "flush 3",
    "worker: interrupted, ticker stopped",
    "Fiber.interrupt: worker stopped after 3 flushes"
  ]
})

if (import.meta.main) Example.runMain(example)

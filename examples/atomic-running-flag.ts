/**
 * Go Concurrency · "Atomics": a `running` flag that makes `Start` idempotent.
 *
 * Go:
 *   type Server struct { running atomic.Bool }
 *   func (s *Server) Start() {
 *     if s.running.Swap(true) {
 *       return // already running
 *     }
 *     // ...
 *   }
 *
 * Go needs an atomic because two goroutines may run `Start` at the same
 * instant on two cores. A JavaScript runtime runs one fiber at a time, and
 * Effect switches fibers only at a yield point (a suspension, or the
 * scheduler's periodic yield between operations), never in the middle of a
 * synchronous function. So a check-and-set written in one `Effect.sync` is
 * already atomic, and a plain boolean field is safe — as long as nothing
 * that can suspend sits between the check and the set (see the
 * mistakes-data-race example for what happens then).
 *
 * An Effect `Ref` states the intent and stays correct however the code is
 * refactored: `Ref.getAndSet(running, true)` is `running.Swap(true)`.
 * Both servers below get five concurrent `start` calls; each starts once.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

// A plain boolean: the check and the set happen in one synchronous step.
class Server {
  private running = false
  readonly start: Effect.Effect<void> = Effect.suspend(() => {
    if (this.running) return Console.log("  plain boolean: already running")
    this.running = true // no yield between the check and the set
    return Console.log("  plain boolean: server started")
  })
}

// A Ref: getAndSet is Go's Swap.
class RefServer {
  readonly running = Ref.makeUnsafe(false)
  readonly start: Effect.Effect<void> = Effect.flatMap(Ref.getAndSet(this.running, true), (wasRunning) =>
    wasRunning ? Console.log("  Ref: already running") : Console.log("  Ref: server started")
  )
}

const fiveConcurrent = (start: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    for (let i = 0; i < 5; i++) yield* WaitGroup.go(wg, start)
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* Console.log("five concurrent Start calls:")
  yield* fiveConcurrent(new Server().start)
  yield* fiveConcurrent(new RefServer().start)
})

export const example = Example.make({
  name: "atomic-running-flag",
  section: "Go Concurrency · Synchronization · Atomics",
  title: "an idempotent Start: a plain boolean is atomic between yields; Ref.getAndSet is Swap",
  uses: ["WaitGroup"],
  program,
  expected: [
    "plain boolean: server started",
    "plain boolean: already running",
    "plain boolean: already running",
    "plain boolean: already running",
    "plain boolean: already running",
    "Ref: server started",
    "Ref: already running",
    "Ref: already running",
    "Ref: already running",
    "Ref: already running"
  ]
})

if (import.meta.main) Example.runMain(example)

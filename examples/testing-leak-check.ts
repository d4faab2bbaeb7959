/**
 * Go Concurrency · "Rules" · 2. "No fire-and-forget goroutines. Every
 * goroutine must be joinable." — and in tests, Go's goleak checks it:
 *
 *   func TestHandleRequest(t *testing.T) {
 *       defer goleak.VerifyNone(t) // "found unexpected goroutines: ... created by startShipper"
 *       handleRequest(...)
 *   }
 *
 * `Testing.leakCheck(effect)` is `goleak.VerifyNone` for one effect: it runs
 * the effect, closes its scope, and fails with `FiberLeakError` if a fiber
 * the effect started is still alive. The request handler here starts a log
 * shipper with `forkDetach` that ranges over a channel nobody closes: the
 * shipper ships the request's lines, then waits for more forever. The error
 * names the leaked fiber by the span it was forked under (goleak's
 * "created by"), and, because it is parked on an effect-go channel, shows
 * its entry of the blocked-fiber dump: what it waits on, and since when.
 *
 * Two fixes pass the same check. `forkScoped`: the handler's scope
 * interrupts the shipper when it closes — no leak, but the lines still
 * buffered are dropped (here all three: the shipper had not run yet). Go's
 * own fix, closing the channel from the sender's side and joining the
 * shipper, ships every line before the handler returns. Under
 * `effect-go/vitest`, every `it.effect` runs under this check.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Chan from "../src/Chan.ts"
import * as Testing from "../src/Testing.ts"
import * as Example from "./Example.ts"

const lines = ["GET /orders 200", "cache miss: orders", "db: 3 rows"]

/** Ships each line it receives until `logs` is closed: Go's `for line := range logs { ship(line) }`. */
const shipper = (logs: Chan.Chan<string>, shipped: Array<string>) =>
  Chan.forEach(logs, (line) => Effect.sync(() => shipped.push(line)))

/** A request handler that logs to `logs`; `shipped` is what reached the log store. */
type Handler = (
  logs: Chan.Chan<string>,
  shipped: Array<string>
) => Effect.Effect<void, Chan.ChanClosedError, Scope.Scope>

/** ❌ The handler starts a shipper that outlives it: `logs` is never closed. */
const handleRequestLeaky: Handler = (logs, shipped) =>
  Effect.gen(function* () {
    yield* Effect.forkDetach(shipper(logs, shipped).pipe(Effect.withSpan("shipper"))).pipe(
      Effect.withSpan("startShipper")
    )
    for (const line of lines) yield* Chan.send(logs, line)
  })

/** ✅ Fix 1: the shipper belongs to the handler's scope, which interrupts it when it closes. */
const handleRequestScoped: Handler = (logs, shipped) =>
  Effect.gen(function* () {
    yield* Effect.forkScoped(shipper(logs, shipped))
    for (const line of lines) yield* Chan.send(logs, line)
  })

/** ✅ Fix 2 (Go's): the sender closes the channel; the shipper drains it and ends, and the handler joins it. */
const handleRequestClosed: Handler = (logs, shipped) =>
  Effect.gen(function* () {
    const worker = yield* Effect.forkDetach(shipper(logs, shipped))
    for (const line of lines) yield* Chan.send(logs, line)
    yield* Chan.close(logs)
    yield* Fiber.join(worker)
  })

/**
 * The test: `defer goleak.VerifyNone(t); handleRequest(...)`, and how many
 * lines were shipped when it returned.
 */
const testHandleRequest = (handleRequest: Handler) =>
  Effect.gen(function* () {
    const logs = yield* Chan.make<string>(8, { name: "logs" })
    const shipped: Array<string> = []
    const verdict = yield* Testing.leakCheck(handleRequest(logs, shipped), {
      name: "handleRequest ships its logs"
    }).pipe(
      Effect.as("leak check passed"),
      Effect.catchTag("FiberLeakError", (leak) =>
        // The leaked shipper is still waiting: closing its channel lets it end.
        Effect.as(Chan.close(logs), `${leak._tag} (${leak.leaked} leaked):\n${leak.message}`)
      )
    )
    return `${verdict}\n${shipped.length} of ${lines.length} lines shipped when it returned`
  })

const program = Effect.gen(function* () {
  yield* Console.log(`forkDetach, logs never closed: ${yield* testHandleRequest(handleRequestLeaky)}`)
  yield* Console.log(`\nforkScoped: ${yield* testHandleRequest(handleRequestScoped)}`)
  yield* Console.log(`\nclose(logs) + join: ${yield* testHandleRequest(handleRequestClosed)}`)
})

export const example = Example.make({
  name: "testing-leak-check",
  section: "Go Concurrency · Rules · 2. No fire-and-forget goroutines (goleak.VerifyNone in tests)",
  title:
    "Testing.leakCheck (goleak) fails a handler whose forkDetach'ed log shipper waits on a channel nobody closes, naming it and where it waits; forkScoped or close + join pass",
  uses: ["Testing", "Chan"],
  program,
  expected: [
    "forkDetach, logs never closed: FiberLeakError (1 leaked):",
    '1 fiber forked by "handleRequest ships its logs" is still alive after it ended:',
    '1 × "startShipper" (named by the span or `fiber` log annotation in force at the fork)',
    "effect-go: 1 fiber blocked on 1 primitive",
    'Chan "logs" (capacity 8, len 0)',
    /^ {2}fiber #\d+ "shipper": recv, blocked \d+ms$/,
    "3 of 3 lines shipped when it returned",
    "forkScoped: leak check passed",
    "0 of 3 lines shipped when it returned",
    "close(logs) + join: leak check passed",
    "3 of 3 lines shipped when it returned"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * sync.WaitGroup · "Real-World Failure: Goroutine Leak from Unclosed Channel":
 * workers send to an unbuffered results channel that nobody reads; every
 * request leaves goroutines blocked forever and memory grows until OOM.
 *
 * Go (WRONG):
 *   func processOrders(orders []Order) {
 *       var wg sync.WaitGroup
 *       results := make(chan Result) // Unbuffered!
 *       for _, order := range orders {
 *           wg.Add(1)
 *           go func(o Order) { defer wg.Done(); results <- processOrder(o) }(order) // Blocks if no receiver
 *       }
 *       wg.Wait() // Waits, but results not consumed
 *   }
 * Fix 1: results := make(chan Result, len(orders))
 * Fix 2: go func() { wg.Wait(); close(results) }(); for result := range results { handleResult(result) }
 *
 * Reproduced as written: `Done` is deferred, so it never runs while the send
 * is blocked, and `wg.Wait()` blocks too — each request leaks its handler
 * and one fiber per order. (The document's prose says Wait completes; that is
 * the variant where Done runs before the send: exercise-leak-detection.)
 * Caught by the leak check: a `FiberMonitor` counts the live fibers the
 * requests started, and the count grows with every request; and proved by
 * the deadlock detector, for which the monitor is a region: every fiber in
 * it is parked on an effect-go primitive, so none can ever be woken. Both
 * fixes end with 0.
 *
 * Where effect-go differs: the leaked fibers still belong to a scope. Here
 * they are interrupted when the server's scope closes; with a timeout on a
 * request, the request's own scope interrupts its blocked senders. In Go
 * nothing can stop a goroutine blocked on a send.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Diagnostics from "../src/Diagnostics.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Result {
  readonly order: number
  readonly total: number
}

const orders = [1, 2, 3, 4, 5]
const processOrder = (order: number): Effect.Effect<Result> =>
  Effect.sleep("1 millis").pipe(Effect.as({ order, total: order * 10 }))

/** The leaky original: an unbuffered results channel that nobody reads. */
const processOrders = (orders: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const results = yield* Chan.make<Result>() // Unbuffered!
    for (const order of orders) {
      yield* WaitGroup.go(
        wg,
        processOrder(order).pipe(
          Effect.flatMap((r) => Chan.send(results, r)),
          Effect.orDie
        )
      )
    }
    yield* WaitGroup.wait(wg) // Waits, but results are never consumed
  }).pipe(Effect.scoped)

/** Fix 1: a buffer with room for every result; no send ever blocks. */
const processOrdersBuffered = (orders: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const results = yield* Chan.make<Result>(orders.length)
    for (const order of orders) {
      yield* WaitGroup.go(
        wg,
        processOrder(order).pipe(
          Effect.flatMap((r) => Chan.send(results, r)),
          Effect.orDie
        )
      )
    }
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

/** Fix 2: close results after the wait, and consume them. */
const processOrdersConsumed = (orders: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const results = yield* Chan.make<Result>()
    for (const order of orders) {
      yield* WaitGroup.go(
        wg,
        processOrder(order).pipe(
          Effect.flatMap((r) => Chan.send(results, r)),
          Effect.orDie
        )
      )
    }
    yield* Effect.forkScoped(WaitGroup.wait(wg).pipe(Effect.andThen(Chan.close(results))))
    let handled = 0
    yield* Chan.forEach(results, () => Effect.sync(() => handled++))
    return handled
  }).pipe(Effect.scoped)

const leaky = Effect.gen(function* () {
  yield* Console.log("processOrders as written (unbuffered results, never read), one request after another:")
  const monitor = FiberMonitor.make({ name: "requests" })
  for (let request = 1; request <= 3; request++) {
    yield* Effect.forkScoped(processOrders(orders)).pipe(FiberMonitor.track(monitor))
    yield* Effect.sleep("20 millis")
    yield* Console.log(`  after request ${request}: live fibers = ${FiberMonitor.live(monitor)}`)
  }
  yield* Console.log(
    `leak check: ${FiberMonitor.live(monitor)} fibers alive after 3 requests (3 handlers blocked in wait, 15 senders blocked on results <-)`
  )
  // The deadlock detector proves more than a count: every fiber of the
  // region is parked on an effect-go primitive, so none can ever be woken.
  const found = (yield* Diagnostics.findDeadlocks).filter((d) => d.region === "requests")
  for (const deadlock of found) {
    yield* Console.log(`deadlock check: ${Diagnostics.formatDeadlock(deadlock).split("\n")[0]}`)
    const ops = new Map<string, number>()
    for (const f of deadlock.fibers) {
      for (const w of f.waitsOn) {
        const key = `${w.op} on ${w.kind}`
        ops.set(key, (ops.get(key) ?? 0) + 1)
      }
    }
    for (const [op, n] of ops) yield* Console.log(`  ${n} × ${op}`)
  }
  return monitor
}).pipe(
  Effect.scoped, // the "server" scope: closing it interrupts what leaked
  Effect.tap((monitor) =>
    Console.log(`server scope closed: live fibers = ${FiberMonitor.live(monitor)} (the scope interrupted them)`)
  )
)

const fixed = Effect.gen(function* () {
  const monitor0 = FiberMonitor.make()
  yield* processOrders(orders).pipe(Effect.timeoutOption("20 millis"), FiberMonitor.track(monitor0))
  yield* Console.log(
    `unfixed, with a 20 ms request timeout: timed out; live fibers = ${FiberMonitor.live(monitor0)} (its scope interrupted the senders)`
  )

  const monitor1 = FiberMonitor.make()
  yield* processOrdersBuffered(orders).pipe(FiberMonitor.track(monitor1))
  yield* Console.log(
    `Fix 1 (buffer of len(orders)): processOrders returned; live fibers = ${FiberMonitor.live(monitor1)}`
  )

  const monitor2 = FiberMonitor.make()
  const handled = yield* processOrdersConsumed(orders).pipe(FiberMonitor.track(monitor2))
  yield* Console.log(
    `Fix 2 (close after wait, range over results): handled ${handled} results; live fibers = ${FiberMonitor.live(monitor2)}`
  )
})

const program = Effect.andThen(leaky, fixed)

export const example = Example.make({
  name: "goroutine-leak-unclosed-channel",
  section: "sync.WaitGroup · Real-World Failure: Goroutine Leak from Unclosed Channel",
  title: "every request leaks fibers blocked on an unread channel (the FiberMonitor count grows); both fixes end at 0",
  uses: ["WaitGroup", "Chan", "FiberMonitor", "Diagnostics"],
  program,
  expected: [
    "after request 1: live fibers = 6",
    "after request 2: live fibers = 12",
    "after request 3: live fibers = 18",
    "leak check: 18 fibers alive after 3 requests (3 handlers blocked in wait, 15 senders blocked on results <-)",
    'deadlock check: effect-go: deadlock! 18 fibers can never be woken (all fibers of region "requests" are asleep)',
    "3 × wait on WaitGroup",
    "15 × send on Chan",
    "server scope closed: live fibers = 0 (the scope interrupted them)",
    "unfixed, with a 20 ms request timeout: timed out; live fibers = 0 (its scope interrupted the senders)",
    "Fix 1 (buffer of len(orders)): processOrders returned; live fibers = 0",
    "Fix 2 (close after wait, range over results): handled 5 results; live fibers = 0"
  ]
})

if (import.meta.main) Example.runMain(example)

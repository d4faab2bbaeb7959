/**
 * Coordination Guide · "sync.Cond (Condition Variables) and Signaling": a
 * waiter blocks until a notifier sets `ready` and signals.
 *
 * Go:
 *   mu := &sync.Mutex{}; cond := sync.NewCond(mu); ready := false
 *   go func() {                       // waiter
 *     defer wg.Done()
 *     cond.L.Lock()
 *     for !ready { cond.Wait() }      // loop: re-check after every wake-up
 *     fmt.Println("proceed")
 *     cond.L.Unlock()
 *   }()
 *   cond.L.Lock(); ready = true; cond.Signal(); cond.L.Unlock()   // notifier
 *   wg.Wait()
 *
 * `Cond.waitUntil(c, () => ready)` is the `for !ready { cond.Wait() }` loop,
 * and `Mutex.withLock` is `Lock` + `defer Unlock`: the lock is released
 * however the block ends, even when the waiter is interrupted. The second
 * part wakes three waiters at once with `Cond.broadcast`.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Cond from "../src/Cond.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const signalOne = Effect.gen(function* () {
  const mu = yield* Mutex.make()
  const cond = yield* Cond.make(mu, { name: "ready" })
  let ready = false

  const wg = yield* WaitGroup.make()
  // Waiter
  yield* WaitGroup.go(
    wg,
    Effect.gen(function* () {
      yield* Console.log("waiter: waiting for ready")
      yield* Cond.waitUntil(cond, () => ready) // for !ready { cond.Wait() }
      yield* Console.log("proceed")
    }).pipe(Mutex.withLock(mu))
  )

  // Notifier (after some work of its own, so that the waiter is waiting)
  yield* Effect.sleep("10 millis")
  yield* Effect.gen(function* () {
    ready = true
    yield* Console.log("notifier: ready = true, Signal")
    yield* Cond.signal(cond) // wake one waiter (broadcast wakes all)
  }).pipe(Mutex.withLock(mu))

  yield* WaitGroup.wait(wg)
}).pipe(Effect.scoped)

const broadcastAll = Effect.gen(function* () {
  const mu = yield* Mutex.make()
  const cond = yield* Cond.make(mu, { name: "start" })
  let started = false
  const wg = yield* WaitGroup.make()
  for (let i = 1; i <= 3; i++) {
    yield* WaitGroup.go(
      wg,
      Cond.waitUntil(cond, () => started).pipe(Effect.andThen(Console.log(`runner ${i}: go`)), Mutex.withLock(mu))
    )
  }
  yield* Effect.sleep("10 millis")
  yield* Console.log(`${(yield* Cond.blocked(cond)).length} runners waiting; Broadcast`)
  yield* Mutex.withLock(mu)(Effect.sync(() => (started = true)))
  yield* Cond.broadcast(cond)
  yield* WaitGroup.wait(wg)
}).pipe(Effect.scoped)

const program = Effect.andThen(signalOne, broadcastAll)

export const example = Example.make({
  name: "cond-ready",
  section: "Coordination Guide · sync.Cond (Condition Variables) and Signaling",
  title: "wait for a condition under a mutex; Signal wakes one waiter, Broadcast all",
  uses: ["Cond", "Mutex", "WaitGroup"],
  program,
  expected: [
    "waiter: waiting for ready",
    "notifier: ready = true, Signal",
    "proceed",
    "3 runners waiting; Broadcast",
    "runner 1: go",
    "runner 2: go",
    "runner 3: go"
  ]
})

if (import.meta.main) Example.runMain(example)

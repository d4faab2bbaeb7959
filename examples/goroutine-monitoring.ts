/**
 * WaitGroup Deep Dive · "Performance Considerations — 3. Monitoring": print
 * the number of live goroutines on every tick of a ticker.
 *
 * Go:
 *   func monitorGoroutines() {
 *       ticker := time.NewTicker(time.Second)
 *       for range ticker.C {
 *           fmt.Printf("Number of goroutines: %d\n", runtime.NumGoroutine())
 *       }
 *   }
 *
 * Effect has no global fiber count, so `runtime.NumGoroutine()` is a
 * `FiberMonitor`: the work runs under `FiberMonitor.track(monitor, ...)` and
 * `FiberMonitor.live(monitor)` counts the fibers it started that are still
 * alive. The monitor loop itself runs outside the tracked part, so it does
 * not count itself. Ticks every 10 ms here (Go: every second), and the loop
 * ends when the count reaches zero instead of running forever; the ticker
 * is stopped when its scope closes (Go's `defer ticker.Stop()`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as Ticker from "../src/Ticker.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

/** Prints the live count on every tick until it drops to zero. */
const monitorFibers = (monitor: FiberMonitor.FiberMonitor) =>
  Effect.gen(function* () {
    const ticker = yield* Ticker.make("10 millis")
    let live = FiberMonitor.live(monitor)
    while (live > 0) {
      yield* Chan.recv(ticker.c)
      live = FiberMonitor.live(monitor)
      yield* Console.log(`Number of fibers: ${live}`)
    }
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const monitor = FiberMonitor.make()
  const wg = yield* WaitGroup.make()
  // Five workers that end at 15, 25, 35, 45 and 55 ms.
  yield* FiberMonitor.track(
    monitor,
    Effect.forEach([15, 25, 35, 45, 55], (millis) => WaitGroup.go(wg, Effect.sleep(`${millis} millis`)))
  )
  yield* Console.log(`started ${monitor.started} worker fibers`)
  yield* monitorFibers(monitor)
  yield* WaitGroup.wait(wg)
  yield* Console.log(`fibers started: ${monitor.started}, ended: ${monitor.ended}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "goroutine-monitoring",
  section: "WaitGroup Deep Dive · Performance Considerations · 3. Monitoring",
  title: "a Ticker loop printing the live fiber count (runtime.NumGoroutine) as workers finish",
  uses: ["FiberMonitor", "Ticker", "WaitGroup", "Chan"],
  program,
  expected: [
    "started 5 worker fibers",
    "Number of fibers: 5",
    "Number of fibers: 4",
    "Number of fibers: 3",
    "Number of fibers: 2",
    "Number of fibers: 1",
    "Number of fibers: 0",
    "fibers started: 5, ended: 5"
  ]
})

if (import.meta.main) Example.runMain(example)

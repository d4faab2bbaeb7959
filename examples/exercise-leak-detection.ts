/**
 * sync.WaitGroup · "Exercises — 4. Create a goroutine leak: use WaitGroup but
 * have goroutines block on unbuffered channel after Done(). Detect with
 * runtime.NumGoroutine()."
 *
 * Go:
 *   before := runtime.NumGoroutine()
 *   results := make(chan int) // unbuffered, never read
 *   for i := 0; i < 10; i++ {
 *       wg.Add(1)
 *       go func(i int) { wg.Done(); results <- i }(i) // Done, then block forever
 *   }
 *   wg.Wait() // returns: every Done was called
 *   fmt.Println(runtime.NumGoroutine() - before) // 10 leaked
 *
 * "WaitGroup tracks logical completion, not goroutine lifecycle": `wait`
 * returns while all ten are still alive. `runtime.NumGoroutine()` is
 * `FiberMonitor.numFibers` (the live count of the monitor the code runs
 * under). The fix: a buffer of 10, or a reader — the count goes back to 0.
 * `WaitGroup.go` cannot express "Done, then keep running" (its task counts
 * done when it ends), so the leak needs the low-level add/done.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

/** Starts 10 fibers that call done, then send on `results`; returns once wait returns. */
const spawn = (results: Chan.SendChan<number>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    for (let i = 0; i < 10; i++) {
      yield* WaitGroup.add(wg, 1)
      yield* Effect.forkScoped(WaitGroup.done(wg).pipe(Effect.andThen(Chan.send(results, i))))
    }
    yield* WaitGroup.wait(wg)
  })

const program = Effect.gen(function* () {
  const monitor = FiberMonitor.make()
  yield* FiberMonitor.track(
    monitor,
    Effect.gen(function* () {
      const before = yield* FiberMonitor.numFibers
      const results = yield* Chan.make<number>() // unbuffered, never read
      yield* spawn(results)
      yield* Effect.yieldNow // the last done woke us before its fiber reached its send: let it get there
      const after = yield* FiberMonitor.numFibers
      const blocked = yield* Chan.blocked(results)
      yield* Console.log(
        `leaky: wait returned, yet ${after - before} fibers leaked (${blocked.length} blocked in send)`
      )
    }).pipe(Effect.scoped) // closing the scope interrupts the leaked senders
  )
  yield* Console.log(`after the scope closed: live fibers = ${FiberMonitor.live(monitor)}`)

  const fixedMonitor = FiberMonitor.make()
  yield* FiberMonitor.track(
    fixedMonitor,
    Effect.gen(function* () {
      const before = yield* FiberMonitor.numFibers
      const results = yield* Chan.make<number>(10) // fix: room for every result
      yield* spawn(results)
      yield* Effect.sleep("1 millis") // let the senders finish their (non-blocking) sends
      const after = yield* FiberMonitor.numFibers
      yield* Console.log(
        `fixed (buffer of 10): ${after - before} fibers leaked, ${yield* Chan.len(results)} results buffered`
      )
    }).pipe(Effect.scoped)
  )
})

export const example = Example.make({
  name: "exercise-leak-detection",
  section: "sync.WaitGroup · Exercises · 4. Goroutine leak after Done(), detected with NumGoroutine",
  title: "done, then a blocked send: wait returns but 10 fibers leak (FiberMonitor.numFibers); buffered: 0",
  uses: ["WaitGroup", "Chan", "FiberMonitor"],
  program,
  expected: [
    "leaky: wait returned, yet 10 fibers leaked (10 blocked in send)",
    "after the scope closed: live fibers = 0",
    "fixed (buffer of 10): 0 fibers leaked, 10 results buffered"
  ]
})

if (import.meta.main) Example.runMain(example)

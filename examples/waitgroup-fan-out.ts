/**
 * Coordination Guide · "sync.WaitGroup Deep Dive" (and Go Concurrency ·
 * "WaitGroup Pattern (Joining)"): start n workers, wait for all of them.
 *
 * Go:
 *   func worker(id int, wg *sync.WaitGroup) {
 *     defer wg.Done()
 *     time.Sleep(50 * time.Millisecond)
 *     fmt.Println("done:", id)
 *   }
 *   var wg sync.WaitGroup
 *   wg.Add(n)               // Add BEFORE launching
 *   for i := 0; i < n; i++ { go worker(i, &wg) }
 *   wg.Wait()
 *
 * `WaitGroup.go(wg, task)` is Go 1.25's `wg.Go(f)`: it counts the task and
 * forks it in one step, and counts it done however it ends. The two rules
 * the guide spells out — "Add before go" and "defer Done" — are not rules any
 * more: there is no separate Add to misplace and no Done to forget. The
 * explicit `add` / `done` pair still exists for code that needs it; the
 * second half shows it written the Go way, with `Effect.ensuring` as `defer`.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const worker = (id: number, millis = 50) => Effect.sleep(millis).pipe(Effect.andThen(Console.log(`done: ${id}`)))

const n = 3

// Go 1.25 style: wg.Go(func() { worker(i) })
const withGo = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  for (let i = 0; i < n; i++) yield* WaitGroup.go(wg, worker(i))
  yield* WaitGroup.wait(wg)
  yield* Console.log("all workers done (WaitGroup.go)")
}).pipe(Effect.scoped)

// The guide's style: wg.Add(n) before launching, `defer wg.Done()` in each worker.
const withAddDone = Effect.gen(function* () {
  const wg = yield* WaitGroup.make()
  yield* WaitGroup.add(wg, n) // Add BEFORE launching
  for (let i = 0; i < n; i++) {
    yield* Effect.forkScoped(worker(i, 10).pipe(Effect.ensuring(WaitGroup.done(wg)))) // defer wg.Done()
  }
  yield* WaitGroup.wait(wg)
  yield* Console.log("all workers done (add / done)")
}).pipe(Effect.scoped)

const program = Effect.andThen(withGo, withAddDone)

export const example = Example.make({
  name: "waitgroup-fan-out",
  section: "Coordination Guide · sync.WaitGroup Deep Dive",
  title: "start n workers and wait for all of them: WaitGroup.go, or add / done",
  uses: ["WaitGroup"],
  program,
  expected: [
    "done: 0",
    "done: 1",
    "done: 2",
    "all workers done (WaitGroup.go)",
    "done: 0",
    "done: 1",
    "done: 2",
    "all workers done (add / done)"
  ]
})

if (import.meta.main) Example.runMain(example)

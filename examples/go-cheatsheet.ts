/**
 * The Go → effect-go cheat sheet (docs/cheatsheet.md), as one program: the
 * ten Go concurrency patterns that come up most in the WaitGroup and
 * trade-offs documents, each in the effect-go form the cheat sheet shows.
 * Every `#region` below is copied verbatim into docs/cheatsheet.md, and
 * test/examples-types-waitgroup-trade-offs.test.ts checks that every effect-go block of the cheat sheet still appears here —
 * so the cheat sheet only shows code that compiles and runs.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Chan from "../src/Chan.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import * as Example from "./Example.ts"

const work = (id: number) => Effect.sleep(`${id} millis`)

// 1. goroutine + WaitGroup
const goroutines = Effect.gen(function* () {
  // #region waitgroup
  const wg = yield* WaitGroup.make() // lives in the current Scope
  for (let i = 1; i <= 3; i++) {
    yield* WaitGroup.go(wg, work(i)) // Add(1) + go + defer Done(), in one step
  }
  yield* WaitGroup.wait(wg)
  // #endregion
  yield* Console.log("1. WaitGroup: 3 tasks done")
}).pipe(Effect.scoped)

// 2. channel send / recv / range / close
const channels = Effect.gen(function* () {
  // #region channels
  const ch = yield* Chan.make<number>(2) // make(chan int, 2); Chan.make<number>() is unbuffered
  yield* Effect.forkScoped(
    Effect.forEach([1, 2, 3], (i) => Chan.send(ch, i)).pipe(
      Effect.ensuring(Effect.ignore(Chan.close(ch))) // defer close(ch)
    )
  )
  const first = yield* Chan.recv(ch) // v, ok := <-ch  →  Option.some(1), Option.none() once closed
  yield* Chan.forEach(ch, (v) => Console.log(v)) // for v := range ch
  // #endregion
  yield* Console.log(`2. channels: first = ${Option.getOrThrow(first)}, then ranged until closed`)
}).pipe(Effect.scoped)

// 3. select with timeout
const selectTimeout = (results: Chan.RecvChan<string>) =>
  Effect.gen(function* () {
    // #region select
    const msg = yield* Select.select(
      Select.recv(results, (v) => Effect.succeed(`got ${Option.getOrElse(v, () => "nothing: closed")}`)),
      Select.after("100 millis", () => Effect.succeed("timeout"))
    )
    // #endregion
    return msg
  })

// 4. mutex-protected counter
const mutexCounter = Effect.gen(function* () {
  // #region mutex
  const mu = yield* Mutex.make()
  let count = 0
  const increment = Effect.sync(() => count++).pipe(Mutex.withLock(mu)) // Lock(); defer Unlock()
  yield* Effect.all(
    Array.from({ length: 100 }, () => increment),
    { concurrency: "unbounded" }
  )
  // #endregion
  yield* Console.log(`4. mutex: count = ${count}`)
})

// 5. Once init
class ConfigError extends Data.TaggedError("ConfigError")<{}> {}
interface Config {
  readonly port: number
}
let reads = 0
const readConfig: Effect.Effect<Config, ConfigError> = Effect.sync(() => {
  reads++
  return { port: 8080 }
})
const onceInit = Effect.gen(function* () {
  // #region once
  const loadConfig = Once.value(readConfig) // sync.OnceValues: Effect<Config, ConfigError>
  const [a, b] = yield* Effect.all([loadConfig, loadConfig], { concurrency: 2 }) // readConfig ran once

  const once = yield* Once.make() // var once sync.Once
  yield* Once.do(once, Console.log("initialized")) // once.Do(f)
  yield* Once.do(once, Console.log("initialized")) // does nothing
  // #endregion
  yield* Console.log(`5. once: readConfig ran ${reads} time(s), port ${a.port} = ${b.port}`)
})

// 6. errgroup with first-error cancellation
class FetchError extends Data.TaggedError("FetchError")<{ readonly url: string }> {}
const fetch = (url: string): Effect.Effect<void, FetchError> =>
  url.endsWith("/bad")
    ? Effect.sleep("5 millis").pipe(Effect.andThen(Effect.fail(new FetchError({ url }))))
    : Effect.sleep("50 millis").pipe(Effect.onInterrupt(() => Console.log(`${url}: interrupted`)))
const errgroup = Effect.gen(function* () {
  const urls = ["https://a.example", "https://b.example/bad", "https://c.example"]
  // #region errgroup
  const g = yield* ErrGroup.make<FetchError>() // errgroup.WithContext; tasks live in the Scope
  for (const url of urls) yield* ErrGroup.go(g, fetch(url))
  yield* ErrGroup.wait(g).pipe(
    Effect.catchTag("FetchError", (e) => Console.log(`first error: ${e.url}`)) // the others were interrupted
  )
  // #endregion
  yield* Console.log("6. errgroup: wait returned the first error")
}).pipe(Effect.scoped)

// 7. context timeout
const slowQuery = Effect.sleep("200 millis").pipe(Effect.as("rows"))
const contextTimeout = Effect.gen(function* () {
  // #region context
  const [ctx] = yield* GoContext.withTimeout(GoContext.background, "50 millis") // scoped: defer cancel()
  const rows = yield* GoContext.run(ctx, slowQuery).pipe(
    Effect.catchTag("DeadlineExceededError", (e) => Effect.succeed(e.message)) // "context deadline exceeded"
  )
  // or, without a Go-style context: slowQuery.pipe(Effect.timeout("50 millis"))
  // #endregion
  yield* Console.log(`7. context: ${rows}`)
}).pipe(Effect.scoped)

// 8. worker pool
const workerPool = Effect.gen(function* () {
  // #region worker-pool
  const jobs = yield* Chan.make<number>(100)
  const results = yield* Chan.make<number>(100)
  const wg = yield* WaitGroup.make()
  for (let w = 1; w <= 3; w++) {
    yield* WaitGroup.go(
      wg,
      Chan.forEach(jobs, (j) => Chan.send(results, j * 2)).pipe(Effect.orDie) // for j := range jobs
    )
  }
  for (let j = 1; j <= 5; j++) yield* Chan.send(jobs, j)
  yield* Chan.close(jobs)
  yield* Effect.forkScoped(WaitGroup.wait(wg).pipe(Effect.andThen(Chan.close(results))))
  yield* Chan.forEach(results, (r) => Console.log(`Result: ${r}`))
  // #endregion

  // #region worker-pool-module
  const pool = yield* WorkerPool.make({ workers: 3, queue: 100, process: (j: number) => Effect.succeed(j * 2) })
  const handles = yield* Effect.forEach([1, 2, 3, 4, 5], (j) => WorkerPool.submit(pool, j))
  yield* WorkerPool.shutdown(pool) // close(jobs); wg.Wait()
  const doubled = yield* Effect.forEach(handles, WorkerPool.join) // [2, 4, 6, 8, 10]
  // #endregion
  yield* Console.log(`8. worker pool: 5 results; WorkerPool: [${doubled.join(", ")}]`)
}).pipe(Effect.scoped)

// 9. pipeline
const pipeline = Effect.gen(function* () {
  // #region pipeline
  const sq = Pipeline.map((n: number) => Effect.succeed(n * n)) // a stage: one fiber, closes its output
  const out = yield* Pipeline.gen(2, 3).pipe(Effect.flatMap(sq), Effect.flatMap(sq)) // sq(sq(gen(2, 3)))
  yield* Pipeline.forEach(out, (n) => Console.log(n)) // 16, 81
  // #endregion
  yield* Console.log("9. pipeline: done")
}).pipe(Effect.scoped)

// 10. bounded parallelism
const process = (item: number) => Effect.sleep(`${item % 3} millis`)
const bounded = Effect.gen(function* () {
  const items = Array.from({ length: 20 }, (_, i) => i)
  // #region bounded
  const sem = yield* Semaphore.make(5) // sem := make(chan struct{}, 5)
  const wg = yield* WaitGroup.make()
  for (const item of items) {
    yield* WaitGroup.go(wg, process(item).pipe(Semaphore.withPermits(sem, 1))) // acquire; defer release
  }
  yield* WaitGroup.wait(wg)
  // or, without the Go shape: Effect.forEach(items, process, { concurrency: 5 })
  // #endregion
  yield* Console.log(`10. bounded: ${items.length} items, 5 permits`)
}).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* goroutines
  yield* channels
  const results = yield* Chan.make<string>(1)
  yield* Chan.send(results, "a result")
  yield* Console.log(`3. select: ${yield* selectTimeout(results)}, then ${yield* selectTimeout(results)}`)
  yield* mutexCounter
  yield* onceInit
  yield* errgroup
  yield* contextTimeout
  yield* workerPool
  yield* pipeline
  yield* bounded
})

export const example = Example.make({
  name: "go-cheatsheet",
  section: "Cheat sheet · the ten most common patterns (docs/cheatsheet.md)",
  title: "the Go → effect-go cheat sheet, run: every effect-go snippet of docs/cheatsheet.md",
  uses: [
    "WaitGroup",
    "Chan",
    "Select",
    "Mutex",
    "Once",
    "ErrGroup",
    "GoContext",
    "Pipeline",
    "Semaphore",
    "WorkerPool"
  ],
  program,
  expected: [
    "1. WaitGroup: 3 tasks done",
    "2. channels: first = 1, then ranged until closed",
    "3. select: got a result, then timeout",
    "4. mutex: count = 100",
    "initialized",
    "5. once: readConfig ran 1 time(s), port 8080 = 8080",
    "https://a.example: interrupted",
    "https://c.example: interrupted",
    "first error: https://b.example/bad",
    "6. errgroup: wait returned the first error",
    "7. context: context deadline exceeded",
    "Result: 10",
    "8. worker pool: 5 results; WorkerPool: [2, 4, 6, 8, 10]",
    "16",
    "81",
    "9. pipeline: done",
    "10. bounded: 20 items, 5 permits"
  ]
})

if (import.meta.main) Example.runMain(example)

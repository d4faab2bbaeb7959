/**
 * Coordination Guide · "sync.Once and Idempotent Initialization": five fibers
 * race to initialize; the initializer runs once and all of them see its
 * result.
 *
 * Go:
 *   var once sync.Once
 *   var initVal int
 *   func initHeavy() { initVal = 42 }
 *   for i := 0; i < 5; i++ {
 *     wg.Add(1)
 *     go func() { defer wg.Done(); once.Do(initHeavy) }()
 *   }
 *   wg.Wait()
 *   fmt.Println(initVal) // 42
 *
 * A correction to the guide. It says "if the function panics, it is
 * considered not done, and a later call may run it again". Go's
 * documentation says the opposite ("if f panics, Do considers it to have
 * returned; future calls of Do return without calling f") and Go's
 * TestOncePanic checks it. effect-go follows Go: a failing (or dying)
 * initializer is done, and — going one step further than `Once.Do`, as Go's
 * `sync.OnceValue` does — every later call replays the recorded failure, so
 * nobody mistakes a failed initialization for a successful one. Only
 * interruption is not an outcome: an interrupted initializer runs again.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Once from "../src/Once.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

// The guide's program: once.Do from five fibers.
const racingInit = Effect.gen(function* () {
  const once = yield* Once.make()
  let initVal = 0
  let runs = 0
  const initHeavy = Effect.sleep("10 millis").pipe(
    Effect.andThen(
      Effect.sync(() => {
        runs++
        initVal = 42
      })
    )
  )
  const wg = yield* WaitGroup.make()
  for (let i = 0; i < 5; i++) yield* WaitGroup.go(wg, Once.do(once, initHeavy))
  yield* WaitGroup.wait(wg)
  yield* Console.log(initVal)
  yield* Console.log(`initHeavy ran ${runs} time(s) for 5 callers`)
}).pipe(Effect.scoped)

class ConfigError extends Data.TaggedError("ConfigError")<{ readonly reason: string }> {}

// A failing initializer: done after the first call, its failure replayed.
const failingInit = Effect.gen(function* () {
  let attempts = 0
  // Go: var loadConfig = sync.OnceValues(func() (Config, error) { ... })
  const loadConfig = Once.value(
    Effect.suspend(() => {
      attempts++
      return Effect.fail(new ConfigError({ reason: "config.json not found" }))
    })
  )
  for (let call = 1; call <= 3; call++) {
    const outcome = yield* Effect.result(loadConfig)
    yield* Console.log(
      `call ${call}: ${outcome._tag === "Failure" ? `failed (${outcome.failure.reason})` : "ok"}, initializer ran ${attempts} time(s)`
    )
  }
  // The same with Once.make + Once.do: the Once carries its error type.
  const once = yield* Once.make<ConfigError>()
  const first = yield* Effect.result(Once.do(once, Effect.fail(new ConfigError({ reason: "boom" }))))
  const second = yield* Effect.result(Once.do(once, Console.log("never printed: the Once is done")))
  yield* Console.log(
    `Once.do: first ${first._tag}, second ${second._tag} (replayed), done: ${yield* Once.isDone(once)}`
  )
})

// Interruption is not an outcome: an initializer cut short runs again.
const interruptedInit = Effect.gen(function* () {
  let runs = 0
  const connect = Once.value(
    Effect.suspend(() => {
      runs++
      return Effect.as(Effect.sleep("20 millis"), "connected")
    })
  )
  const first = yield* Effect.timeoutOption(connect, "5 millis") // the caller gives up: the run is interrupted
  const second = yield* connect
  yield* Console.log(`interrupted first run: ${first._tag}; next call: ${second}; initializer ran ${runs} times`)
})

const program = Effect.gen(function* () {
  yield* racingInit
  yield* failingInit
  yield* interruptedInit
})

export const example = Example.make({
  name: "once-init",
  section: "Coordination Guide · sync.Once and Idempotent Initialization",
  title: "one initialization for many callers; a failed initializer is done and its failure replayed",
  uses: ["Once", "WaitGroup"],
  program,
  expected: [
    "42",
    "initHeavy ran 1 time(s) for 5 callers",
    "call 1: failed (config.json not found), initializer ran 1 time(s)",
    "call 2: failed (config.json not found), initializer ran 1 time(s)",
    "call 3: failed (config.json not found), initializer ran 1 time(s)",
    "Once.do: first Failure, second Failure (replayed), done: true",
    "interrupted first run: None; next call: connected; initializer ran 2 times"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Go Concurrency · "Mutexes": a map guarded by a mutex held in a named field.
 *
 * Go:
 *   type SafeMap struct {
 *     mu   sync.Mutex
 *     data map[string]string
 *   }
 *   func (m *SafeMap) Get(key string) string {
 *     m.mu.Lock()
 *     defer m.mu.Unlock()
 *     return m.data[key]
 *   }
 *
 * `Mutex.withLock(mu)(effect)` is `Lock` + `defer Unlock`: the lock is
 * released however the effect ends — success, typed failure, defect or
 * interruption. The example has eight fibers write concurrently, then shows
 * a `set` that fails validation inside the critical section and leaves the
 * mutex unlocked. The document's other rules hold by construction: a Mutex is
 * made with `Mutex.make()` and kept in a field (there is no embedding), and
 * it is shared by reference, never copied.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

class EmptyKeyError extends Data.TaggedError("EmptyKeyError")<{}> {}

class SafeMap {
  readonly mu: Mutex.Mutex
  private readonly data = new Map<string, string>()
  private constructor(mu: Mutex.Mutex) {
    this.mu = mu
  }
  static readonly make = Effect.map(Mutex.make({ name: "SafeMap" }), (mu) => new SafeMap(mu))

  get(key: string): Effect.Effect<string | undefined> {
    return Mutex.withLock(this.mu)(Effect.sync(() => this.data.get(key)))
  }
  set(key: string, value: string): Effect.Effect<void, EmptyKeyError> {
    return Mutex.withLock(this.mu)(
      Effect.suspend(() => {
        if (key === "") return Effect.fail(new EmptyKeyError())
        this.data.set(key, value)
        return Effect.void
      })
    )
  }
  get size(): Effect.Effect<number> {
    return Mutex.withLock(this.mu)(Effect.sync(() => this.data.size))
  }
}

const program = Effect.gen(function* () {
  const m = yield* SafeMap.make
  const wg = yield* WaitGroup.make()
  for (let i = 0; i < 8; i++) {
    yield* WaitGroup.go(wg, Effect.orDie(Effect.andThen(Effect.sleep(i % 3), m.set(`user:${i}`, `name-${i}`))))
  }
  yield* WaitGroup.wait(wg)
  yield* Console.log(`size after 8 concurrent sets: ${yield* m.size}`)
  yield* Console.log(`get("user:5") = ${yield* m.get("user:5")}`)

  const failed = yield* Effect.result(m.set("", "nobody"))
  yield* Console.log(`set("") failed: ${failed._tag === "Failure" ? failed.failure._tag : "no"}`)
  yield* Console.log(`mutex still locked after the failure: ${yield* Mutex.isLocked(m.mu)}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "safe-map-mutex",
  section: "Go Concurrency · Synchronization · Mutexes",
  title: "SafeMap: a map guarded by a Mutex field; withLock unlocks on every exit path",
  uses: ["Mutex", "WaitGroup"],
  program,
  expected: [
    "size after 8 concurrent sets: 8",
    'get("user:5") = name-5',
    'set("") failed: EmptyKeyError',
    "mutex still locked after the failure: false"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Coordination Guide · "Common Mistakes and Gotchas" #5: data races on shared
 * variables.
 *
 * Go:
 *   // ❌ counter++ from many goroutines: a data race, lost updates
 *   for i := 0; i < 100; i++ { go func() { counter++ }() }
 *   // ✅ Guard with sync.Mutex/RWMutex or use channel ownership
 *   go func() { mu.Lock(); counter++; mu.Unlock() }()
 *
 * JavaScript runs one fiber at a time, so `counter++` in one synchronous
 * step cannot be torn: Go's memory-level data race does not exist here.
 * What does exist is the same bug one level up: a read-modify-write that
 * yields in the middle (an `await`, a `yield*` of anything that may
 * suspend) lets other fibers run between the read and the write, and their
 * updates are lost. The example does exactly that, then fixes it three ways:
 * `Mutex.withLock` around the critical section, an Effect `Ref` (whose
 * `update` is one indivisible step), and channel ownership (one fiber owns
 * the counter, the others send it increments).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const N = 100

const hundredTimes = (task: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    for (let i = 0; i < N; i++) yield* WaitGroup.go(wg, task)
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

// ❌ read, yield, write
const racy = Effect.gen(function* () {
  let counter = 0
  yield* hundredTimes(
    Effect.gen(function* () {
      const read = counter
      yield* Effect.yieldNow // any suspension: an I/O call, a sleep, a lock elsewhere
      counter = read + 1
    })
  )
  yield* Console.log(`unguarded read-yield-write: counter = ${counter} (expected ${N})`)
})

// ✅ the same critical section under a Mutex
const withMutex = Effect.gen(function* () {
  const mu = yield* Mutex.make()
  let counter = 0
  yield* hundredTimes(
    Effect.gen(function* () {
      const read = counter
      yield* Effect.yieldNow
      counter = read + 1
    }).pipe(Mutex.withLock(mu))
  )
  yield* Console.log(`Mutex.withLock: counter = ${counter}`)
})

// ✅ an Effect Ref: update is atomic
const withRef = Effect.gen(function* () {
  const counter = yield* Ref.make(0)
  yield* hundredTimes(Ref.update(counter, (n) => n + 1))
  yield* Console.log(`Ref.update: counter = ${yield* Ref.get(counter)}`)
})

// ✅ channel ownership: one fiber owns the counter
const withOwner = Effect.gen(function* () {
  const increments = yield* Chan.make<number>()
  let counter = 0
  const owner = yield* Effect.forkScoped(Chan.forEach(increments, (d) => Effect.sync(() => (counter += d))))
  yield* hundredTimes(Effect.orDie(Chan.send(increments, 1)))
  yield* Chan.close(increments)
  yield* Fiber.join(owner)
  yield* Console.log(`channel ownership: counter = ${counter}`)
}).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  yield* racy
  yield* withMutex
  yield* withRef
  yield* withOwner
})

export const example = Example.make({
  name: "mistakes-data-race",
  section: "Coordination Guide · Common Mistakes #5 (data races on shared variables)",
  title: "a read-modify-write across a yield loses updates; Mutex, Ref or an owning fiber fix it",
  uses: ["Mutex", "Chan", "WaitGroup"],
  program,
  expected: [
    /unguarded read-yield-write: counter = (\d|[1-9]\d) \(expected 100\)/,
    "Mutex.withLock: counter = 100",
    "Ref.update: counter = 100",
    "channel ownership: counter = 100"
  ]
})

if (import.meta.main) Example.runMain(example)

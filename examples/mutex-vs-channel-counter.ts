/**
 * Correctness & Trade-offs · "Interview Questions — Q1: Mutex vs Channel for a
 * Metrics Counter?" Answer: a Mutex (or an atomic). A counter is shared state;
 * channels are for passing ownership and coordinating flow.
 *
 * Go:
 *   var mu sync.Mutex; var n int
 *   mu.Lock(); n++; mu.Unlock()                 // mutex: protect the state
 *
 *   incs := make(chan struct{})                  // channel: one goroutine owns n
 *   go func() { for range incs { n++ } }()
 *   incs <- struct{}{}
 *
 *   atomic.AddInt64(&n, 1)                       // atomic
 *
 * Ten fibers add 100 each, four ways. JavaScript runs one fiber at a time,
 * so `n++` alone cannot race; but a read-modify-write that yields in the
 * middle (an `await`, a `yield*` of something that may suspend) loses
 * updates exactly as Go's data race does — the first line shows it. The
 * Mutex, the owning fiber and `Ref.update` (Effect's atomic) all count 1000.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

const FIBERS = 10
const EACH = 100

/** Runs `increment` EACH times in each of FIBERS fibers and waits for them. */
const hammer = (increment: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    for (let f = 0; f < FIBERS; f++) yield* WaitGroup.go(wg, Effect.repeat(increment, { times: EACH - 1 }))
    yield* WaitGroup.wait(wg)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  // Unsynchronized: read, let others run, write back (a lost update each time another fiber ran in between).
  let racy = 0
  yield* hammer(
    Effect.gen(function* () {
      const n = racy
      yield* Effect.yieldNow
      racy = n + 1
    })
  )
  yield* Console.log(`unsynchronized read-yield-write: ${racy} of 1000 (lost updates)`)

  // Mutex: the same read-yield-write, now a critical section.
  const mu = yield* Mutex.make()
  let guarded = 0
  yield* hammer(
    Effect.gen(function* () {
      const n = guarded
      yield* Effect.yieldNow
      guarded = n + 1
    }).pipe(Mutex.withLock(mu))
  )
  yield* Console.log(`mutex: ${guarded}`)

  // Channel: one fiber owns the counter; the others send it increments.
  const incs = yield* Chan.make<void>()
  let owned = 0
  const owner = yield* Effect.forkChild(Chan.forEach(incs, () => Effect.sync(() => owned++)))
  yield* hammer(Effect.orDie(Chan.send(incs, undefined)))
  yield* Chan.close(incs)
  yield* Fiber.join(owner)
  yield* Console.log(`channel (one owner fiber): ${owned}`)

  // Atomic: Ref.update is a single atomic step.
  const ref = yield* Ref.make(0)
  yield* hammer(Ref.update(ref, (n) => n + 1))
  yield* Console.log(`Ref.update (atomic): ${yield* Ref.get(ref)}`)

  yield* Console.log("Answer: a counter is state → Mutex or an atomic Ref; channels are for flow")
})

export const example = Example.make({
  name: "mutex-vs-channel-counter",
  section: "Correctness & Trade-offs · Interview Questions · Q1 Mutex vs Channel for a Metrics Counter",
  title: "one counter, 10 × 100 increments: unsynchronized loses updates; Mutex, owner fiber and Ref count 1000",
  uses: ["Mutex", "Chan", "WaitGroup"],
  program,
  expected: [
    /^unsynchronized read-yield-write: \d+ of 1000 \(lost updates\)$/,
    "mutex: 1000",
    "channel (one owner fiber): 1000",
    "Ref.update (atomic): 1000",
    "Answer: a counter is state → Mutex or an atomic Ref; channels are for flow"
  ]
})

if (import.meta.main) Example.runMain(example)

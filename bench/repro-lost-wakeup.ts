/**
 * Reproduces a lost wake-up found by the benchmarks (not a benchmark).
 *
 * effect-go's blocking operations check readiness in `Effect.withFiber` and,
 * when not ready, return `block(...)` (an `Effect.callback`) that parks the
 * fiber. Effect's run loop may insert a `yieldNow` before evaluating *any*
 * effect once the fiber's op budget (`Scheduler.MaxOpsBeforeYield`, 2048 by
 * default) is spent, so it can yield between the check and the parking. The
 * other fiber then runs against a state in which this one is not registered
 * yet (it fills the buffer and parks, or unlocks a mutex nobody waits on);
 * the first then parks without re-checking, and both wait forever.
 *
 * With the default budget it is rare but real: the select-4 workload hangs
 * at item 8,133 with n ≥ 20k. A small budget makes it deterministic:
 *
 *   npx node --experimental-strip-types --no-warnings bench/repro-lost-wakeup.ts 64 2     # Chan(64) SPSC
 *   npx node --experimental-strip-types --no-warnings bench/repro-lost-wakeup.ts mutex 2  # Mutex, 4 fibers
 *
 * Arguments: workload (a channel capacity, or "mutex"), MaxOpsBeforeYield.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import { times } from "./harness.ts"

const which = process.argv[2] ?? "64"
const ops = Number(process.argv[3] ?? 2)
const n = 2000

const spsc = (capacity: number) =>
  Effect.suspend(() => {
    const ch = Chan.makeUnsafe<number>(capacity)
    const drain: Effect.Effect<void> = Effect.flatMap(Chan.recv(ch), (o) => (Option.isSome(o) ? drain : Effect.void))
    const producer = Effect.andThen(
      times(n, (i) => Chan.send(ch, i)),
      Chan.close(ch)
    )
    return Effect.flatMap(Effect.forkChild(producer), (p) => Effect.andThen(drain, Fiber.join(p)))
  })

const mutex = Effect.suspend(() => {
  const mu = Mutex.makeUnsafe()
  const step = Effect.andThen(Mutex.lock(mu), Mutex.unlock(mu))
  return Effect.flatMap(Effect.all(Array.from({ length: 4 }, () => Effect.forkChild(times(n, () => step)))), (fs) =>
    Effect.asVoid(Fiber.joinAll(fs))
  )
})

const program = which === "mutex" ? mutex : spsc(Number(which))
const timer = setTimeout(() => {
  console.log(`HANG: ${which} with MaxOpsBeforeYield=${ops} (both fibers parked, nobody left to wake them)`)
  process.exit(3)
}, 3000)
await Effect.runPromise(Effect.provideService(program, Scheduler.MaxOpsBeforeYield, ops))
clearTimeout(timer)
console.log(`ok: ${which} with MaxOpsBeforeYield=${ops}`)

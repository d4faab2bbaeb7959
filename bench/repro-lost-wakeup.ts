/**
 * Regression check for a lost wake-up the benchmarks found (not a benchmark).
 *
 * effect-go's blocking operations used to check readiness in
 * `Effect.withFiber` and, when not ready, return `block(...)` (an
 * `Effect.callback`) that parked the fiber. Effect's run loop may insert a
 * `yieldNow` before evaluating *any* effect once the fiber's op budget
 * (`Scheduler.MaxOpsBeforeYield`, 2048 by default) is spent, so it could yield
 * between the check and the parking: the other fiber then ran against a state
 * in which this one was not registered yet (it filled the buffer and parked,
 * or unlocked a mutex nobody waited on), the first parked without re-checking,
 * and both waited forever. With the default budget the select-4 workload hung
 * at item 8,133 of every run of 20k items or more. Fixed in 1779d6f (`block`
 * re-tries the operation at the moment of parking).
 *
 * This runs Chan(0), Chan(1), Chan(64) SPSC and a 4-fiber Mutex under every
 * op budget from 3 to 40 (below 3, Effect's own Queue stalls too):
 *
 *   npx node --experimental-strip-types --no-warnings bench/repro-lost-wakeup.ts
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import { guard, times } from "./harness.ts"

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

const workloads: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
  ["Chan(0)", spsc(0)],
  ["Chan(1)", spsc(1)],
  ["Chan(64)", spsc(64)],
  ["Mutex ×4", mutex]
]

let hung = 0
for (const [name, program] of workloads) {
  const failed: Array<number> = []
  for (let ops = 3; ops <= 40; ops++) {
    try {
      await guard(Effect.runPromise(Effect.provideService(program, Scheduler.MaxOpsBeforeYield, ops)), name, 3000)
    } catch {
      failed.push(ops)
    }
  }
  hung += failed.length
  console.log(`${name}: ${failed.length === 0 ? "ok under every op budget 3–40" : `HUNG at op budgets ${failed.join(", ")}`}`)
}
process.exit(hung === 0 ? 0 : 1)

/**
 * Lost wake-ups: Effect's run loop may yield before evaluating any effect
 * once a fiber's op budget (`MaxOpsBeforeYield`) is spent, which can fall
 * between an operation's readiness check and its parking. Each workload runs
 * under every budget from 3 to 40 (1 and 2 livelock Effect itself), so that
 * the yield lands at every point of the operations; a regression hangs, and
 * the timeout turns the hang into a failure. Before the fix, the unbuffered
 * channel hung at a budget of 9.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as Chan from "../src/Chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Select from "../src/Select.ts"
import { it } from "./utils/leak.ts"

const budgets = Array.from({ length: 38 }, (_, i) => i + 3)
const N = 300

/** Runs `workload` under each budget; fails naming the budget that hung. */
const underEveryBudget = (workload: () => Effect.Effect<void>) =>
  Effect.forEach(budgets, (budget) =>
    workload().pipe(
      Effect.provideService(Scheduler.MaxOpsBeforeYield, budget),
      Effect.timeoutOrElse({ duration: "2 seconds", orElse: () => Effect.die(`hung with MaxOpsBeforeYield=${budget}`) })
    ),
    { discard: true }
  )

const loop = <E>(n: number, body: Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i++ < n, body: () => body, step: () => {} })
  })

const spsc = (capacity: number) => () =>
  Effect.gen(function* () {
    const ch = yield* Chan.make<number>(capacity)
    const producer = yield* Effect.forkChild(loop(N, Chan.send(ch, 1)).pipe(Effect.andThen(Chan.close(ch))))
    let received = 0
    yield* Chan.forEach(ch, () => Effect.sync(() => received++))
    yield* Fiber.join(producer)
    expect(received).toBe(N)
  }).pipe(Effect.orDie)

describe("no lost wake-ups under any op budget", () => {
  it.live("unbuffered channel, one sender and one receiver", () => underEveryBudget(spsc(0)))
  it.live("buffered channel of 1", () => underEveryBudget(spsc(1)))
  it.live("buffered channel of 64", () => underEveryBudget(spsc(64)))

  it.live("mutex with 4 contending fibers", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make()
        let inside = 0
        const step = Mutex.withLock(mu)(Effect.sync(() => inside++))
        const fibers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(loop(N, step)))
        yield* Fiber.joinAll(fibers)
        expect(inside).toBe(4 * N)
      })
    ))

  it.live("select over 4 channels fed by 4 senders", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const chans = yield* Effect.forEach([0, 4, 0, 16], (capacity) => Chan.make<number>(capacity))
        yield* Effect.forEach(chans, (ch) => Effect.forkChild(loop(N / 4, Chan.send(ch, 1))), { discard: true })
        const cases = chans.map((ch) => Select.recv(ch))
        let received = 0
        yield* loop(
          N,
          Effect.flatMap(Select.select(...cases), (o) => Effect.sync(() => Option.isSome(o) && received++))
        )
        expect(received).toBe(N)
      }).pipe(Effect.orDie)
    ))
})

/**
 * The chaos suite's fixed-seed slice: each model of test/chaos/ run under
 * many seeded schedules (op budgets 3 to 2048, the default and the
 * synchronous scheduler, seeded Random, seeded interruptions; see
 * src/internal/explore.ts), at least 10^6 channel operations in all.
 *
 * A failure prints its seed and a replay line. To replay one seed here:
 *
 *   CHAOS_MODEL=chan CHAOS_SEED=123456 npx vitest run test/chaos.test.ts
 *
 * (CHAOS_SEED alone replays that seed in every model.) Longer explorations
 * from random seeds: `npm run chaos -- --minutes M`.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Explore from "../src/internal/explore.ts"
import { type ModelName, models, replayCommand } from "./chaos/models.ts"
import { it } from "./utils/leak.ts"

const replaySeed = process.env.CHAOS_SEED === undefined ? undefined : Number(process.env.CHAOS_SEED)
const replayModel = process.env.CHAOS_MODEL

/**
 * Explores `model` from `seed` until `maxOps` operations (or only the seed
 * given in CHAOS_SEED), failing with the first failure and its replay lines.
 */
const slice = (model: ModelName, seed: number, maxOps: number) =>
  Effect.gen(function* () {
    const replaying = replaySeed !== undefined && (replayModel === undefined || replayModel === model)
    if (replaySeed !== undefined && !replaying) return
    const replay = (s: number) =>
      `${replayCommand(model, s)}  (or: CHAOS_MODEL=${model} CHAOS_SEED=${s} npx vitest run test/chaos.test.ts)`
    const report = yield* Explore.explore(
      models[model],
      replaying ? { seed: replaySeed, runs: 1, replay } : { seed, maxOps, replay }
    )
    console.log(`chaos ${model}: ${Explore.formatReport(report)}`)
    if (report.failure !== undefined) expect.fail(Explore.formatFailure(report.failure))
    if (!replaying) expect(report.ops).toBeGreaterThanOrEqual(maxOps)
  })

describe("chaos", () => {
  it.live(
    "chan: at least 10^6 channel operations under seeded schedules lose, duplicate and invent nothing",
    () => slice("chan", 20_240_601, 1_000_000),
    180_000
  )

  it.live(
    "locks: Mutex, RWMutex, Semaphore and Cond keep exclusion and leak nothing under seeded schedules",
    () => slice("locks", 7_000_000, 60_000),
    120_000
  )

  it.live(
    "groups: WaitGroup, ErrGroup, WorkerPool and SingleFlight run each job at most once and account for it",
    () => slice("groups", 9_100_000, 40_000),
    120_000
  )

  it.live(
    "pipeline: stages and their readers lose, duplicate, reorder and invent nothing under seeded schedules",
    () => slice("pipeline", 4_400_000, 100_000),
    120_000
  )
})

describe("explorer", () => {
  it.live("one seed twice gives the same interleaving and result (same trace fingerprint), under both schedulers", () =>
    Effect.promise(async () => {
      const seen = new Set<string>()
      const kinds = new Set<string>()
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const first = await Explore.runSeed(seed, models.chan)
        const second = await Explore.runSeed(seed, models.chan)
        expect(second.fingerprint, `seed ${seed}`).toBe(first.fingerprint)
        expect(second.ops, `seed ${seed}`).toBe(first.ops)
        expect(second.tasks, `seed ${seed}`).toBe(first.tasks)
        seen.add(first.fingerprint)
        kinds.add(first.scheduler)
      }
      // The fingerprint tells runs apart, and both schedulers were used.
      expect(seen.size).toBe(8)
      expect([...kinds].sort()).toEqual(["default", "sync"])
    })
  )

  it.live("a model's failure is reported with its seed, its replay line, and whether it reproduces", () =>
    Effect.gen(function* () {
      const report = yield* Explore.explore(
        (chaos) =>
          Effect.gen(function* () {
            const n = chaos.int(10)
            chaos.trace(n)
            if (n === 7) return yield* chaos.fail(`drew ${n}`)
          }),
        { seed: 100, runs: 50, replay: (s) => `replay ${s}` }
      )
      const failure = report.failure!
      expect(failure.kind).toBe("failed")
      expect(failure.message).toBe("drew 7")
      expect(failure.replay).toBe(`replay ${failure.seed}`)
      expect(failure.reproduced).toBe(true)
      expect(report.lastSeed).toBe(failure.seed)
      // Replaying that seed alone fails the same way.
      const again = yield* Explore.explore((chaos) => (chaos.int(10) === 7 ? chaos.fail("drew 7") : Effect.void), {
        seed: failure.seed,
        runs: 1
      })
      expect(again.failure?.message).toBe("drew 7")
    })
  )

  it.live("a deadlock is detected without a timeout, and a fiber left alive is a leak", () =>
    Effect.gen(function* () {
      const deadlock = yield* Explore.explore(() => Effect.flatMap(Effect.forkChild(Effect.never), Fiber.join), {
        seed: 1,
        runs: 3
      })
      expect(deadlock.failure?.kind).toBe("deadlock")
      expect(deadlock.runs).toBe(1)
      const leak = yield* Explore.explore(() => Effect.asVoid(Effect.forkDetach(Effect.never)), { seed: 1, runs: 3 })
      expect(leak.failure?.kind).toBe("leak")
      const livelock = yield* Explore.explore(() => Effect.forever(Effect.yieldNow), {
        seed: 1,
        runs: 1,
        runTimeoutMillis: 200
      })
      expect(livelock.failure?.kind).toBe("timeout")
    })
  )

  it.live("interruptLater interrupts at a seeded point; time is a TestClock", () =>
    Effect.gen(function* () {
      const points: Array<number> = []
      const report = yield* Explore.explore(
        (chaos) =>
          Effect.gen(function* () {
            let steps = 0
            const fiber = yield* Effect.forkChild(
              Effect.forever(Effect.sync(() => steps++).pipe(Effect.andThen(Effect.yieldNow)))
            )
            yield* chaos.interruptLater(fiber, 8)
            yield* Fiber.await(fiber)
            points.push(steps)
            yield* Effect.sleep("1 hour").pipe(Effect.forkChild, Effect.flatMap(Fiber.interrupt))
          }),
        { seed: 5, runs: 20 }
      )
      expect(report.failure).toBeUndefined()
      expect(new Set(points).size).toBeGreaterThan(1)
    })
  )
})

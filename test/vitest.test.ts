import { describe, expect, expectTypeOf, it as base, layer as baseLayer, test } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import { exploreForTest, seedFromEnv, seedFromName, vitestReplay } from "../src/internal/explore.ts"
import { LeakRegion, regionOf } from "../src/internal/leaks.ts"
import type * as Testing from "../src/Testing.ts"
import { it, layer, makeMethods } from "../src/vitest.ts"
import { booking } from "./utils/shapes.ts"

/** The name of the leak check the calling test runs under (undefined: none). */
const leakCheckName = Effect.withFiber((fiber) => {
  const region = regionOf(fiber.getRef(Metric.FiberRuntimeMetrics))
  return Effect.succeed(region instanceof LeakRegion ? (region.regionName ?? "(unnamed)") : undefined)
})

/** A test API with a vitest fixture (fixtures of file scope are defined at the top level). */
const withPort = makeMethods(test.extend("port", { scope: "file" }, () => 3000))

class Greeting extends Context.Service<Greeting, string>()("test/vitest/Greeting") {}

describe("effect-go/vitest it", () => {
  it.effect("it.effect runs the test under a leak check named after the test", (ctx) =>
    Effect.gen(function* () {
      expect(yield* leakCheckName).toBe(ctx.task.fullTestName)
    })
  )

  it.live("it.live too", () =>
    Effect.gen(function* () {
      expect(yield* leakCheckName).toBe("effect-go/vitest it > it.live too")
    })
  )

  it.effect.each([1, 2])("each case too (%s)", (n) =>
    Effect.gen(function* () {
      expect(yield* leakCheckName).toBe(`effect-go/vitest it > each case too (${n})`)
    })
  )

  it.effect.prop("property runs too", [Schema.Number], () =>
    Effect.map(leakCheckName, (name) => name === "effect-go/vitest it > property runs too")
  )

  // Expected failures: vitest's `fails` passes only when the test fails.
  it.effect.fails("a fiber that outlives its test fails it", () => Effect.forkDetach(Effect.never))
  it.live.fails("in it.live too", () => Effect.forkDetach(Effect.never))

  // The plain @effect/vitest `it` checks nothing: the reference point.
  base.effect("(@effect/vitest's own it.effect runs under no leak check)", () =>
    Effect.gen(function* () {
      expect(yield* leakCheckName).toBeUndefined()
    })
  )

  it("plain vitest tests are vitest's", () => {
    expect(typeof it.skip).toBe("function")
    expect(it.effect).toBe(it.effect)
  })

  it.layer(Layer.succeed(Greeting, "hello"))("the tests of it.layer blocks", (it) => {
    it.effect("are leak-checked, with the layer's services", () =>
      Effect.gen(function* () {
        expect(yield* Greeting).toBe("hello")
        expect(yield* leakCheckName).toBe(
          "effect-go/vitest it > the tests of it.layer blocks > are leak-checked, with the layer's services"
        )
      })
    )
    it.effect.fails("and fail when they leak", () => Effect.forkDetach(Effect.never))
  })

  layer(Layer.succeed(Greeting, "hi"))((it) => {
    it.effect("so are those of the standalone layer", () =>
      Effect.gen(function* () {
        expect(yield* Greeting).toBe("hi")
        expect(yield* leakCheckName).toBe("effect-go/vitest it > so are those of the standalone layer")
      })
    )
  })

  // (The reference point for layers: @effect/vitest's own layer checks nothing.)
  baseLayer(Layer.succeed(Greeting, "hey"))((it) => {
    it.effect("(@effect/vitest's layer runs under no leak check)", () =>
      Effect.map(leakCheckName, (name) => expect(name).toBeUndefined())
    )
  })

  withPort.effect("makeMethods keeps vitest's fixtures and leak-checks", ({ port }) =>
    Effect.gen(function* () {
      expect(port).toBe(3000)
      expect(yield* leakCheckName).toBe("effect-go/vitest it > makeMethods keeps vitest's fixtures and leak-checks")
    })
  )
})

describe("effect-go/vitest it.explore", () => {
  it.explore("a correct model passes its schedules", booking(true), { runs: 100 })

  it.explore.fails("a racy model fails the test", booking(false), { runs: 300 })

  it.explore.skip("skip registers a skipped test", () => Effect.die("never run"))

  it.live("a failure reads as the formatted failure with the command that replays it", () =>
    Effect.gen(function* () {
      const fullTestName = "booking > books the last seat once"
      const test = { file: "test/booking.test.ts", fullTestName, envSeed: undefined, signal: undefined }
      const error = yield* Effect.promise(() =>
        exploreForTest(booking(false), { runs: 300 }, test).then(
          () => undefined,
          (e: unknown) => e as Error
        )
      )
      expect(error).toBeInstanceOf(Error)
      const seed = Number(/failed at seed (\d+)/.exec(error!.message)?.[1])
      expect(error!.message).toContain("the schedule explorer found a failing run after")
      expect(error!.message).toContain("oversold: -1 seats left")
      expect(error!.message).toContain(
        `replay: EFFECT_GO_SEED=${seed} npx vitest run test/booking.test.ts -t '^booking > books the last seat once$'`
      )
      // The default first seed is the test name's: the same schedules on every run.
      expect(seed).toBeGreaterThanOrEqual(seedFromName(fullTestName))
      expect(seed).toBeLessThan(seedFromName(fullTestName) + 300)
      // EFFECT_GO_SEED runs that seed only, and fails the same way.
      const again = yield* Effect.promise(() =>
        exploreForTest(booking(false), { runs: 300 }, { ...test, envSeed: String(seed) }).then(
          () => undefined,
          (e: unknown) => e as Error
        )
      )
      expect(again!.message).toContain("the schedule explorer found a failing run after 1 run:")
      expect(again!.message).toContain(`failed at seed ${seed} `)
      // A passing seed passes alone.
      const passing = yield* Effect.promise(() =>
        exploreForTest(booking(true), { runs: 300, seed: 5 }, { ...test, envSeed: String(seed) })
      )
      expect(passing).toMatchObject({ runs: 1, firstSeed: seed, failure: undefined })
      // A seed given in the options is where the exploration starts.
      const fromOptions = yield* Effect.promise(() => exploreForTest(booking(true), { runs: 3, seed: 77 }, test))
      expect(fromOptions).toMatchObject({ runs: 3, firstSeed: 77, lastSeed: 79 })
    })
  )

  it.live("bad options and a bad EFFECT_GO_SEED fail the test with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const test = { file: undefined, fullTestName: "t", envSeed: undefined, signal: undefined }
      const rejection = (options: unknown, envSeed: string | undefined) =>
        Effect.promise(() =>
          exploreForTest(booking(true), options, { ...test, envSeed }).then(
            () => undefined,
            (e: unknown) => e
          )
        )
      const badRuns = yield* rejection({ runs: "10" }, undefined)
      expect(badRuns).toBeInstanceOf(InvalidArgumentError)
      expect((badRuns as Error).message).toBe(
        'it.explore: expected a non-negative integer (the `runs` option), got the string "10"'
      )
      const badSeed = yield* rejection(undefined, "12abc")
      expect((badSeed as Error).message).toBe(
        'EFFECT_GO_SEED: expected a non-negative integer seed, got the string "12abc"'
      )
      expect(seedFromEnv(undefined)).toBeUndefined()
      expect(seedFromEnv(" ")).toBeUndefined()
      expect(seedFromEnv("42")).toBe(42)
      expect(seedFromEnv("-1")).toBeInstanceOf(InvalidArgumentError)
    })
  )

  it.effect("the replay command quotes the test name for the shell and for -t's pattern", () =>
    Effect.sync(() => {
      expect(vitestReplay(7, "test/a b.test.ts", `it's (a) "race" > 1.5$`)).toBe(
        `EFFECT_GO_SEED=7 npx vitest run 'test/a b.test.ts' -t '^it'\\''s \\(a\\) "race" > 1\\.5\\$$'`
      )
      expect(vitestReplay(7, undefined, undefined)).toBe("EFFECT_GO_SEED=7 npx vitest run")
      expect(new RegExp(`^${"x (1)".replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`).test("x (1)")).toBe(true)
    })
  )
})

describe("effect-go/vitest types", () => {
  it.effect("the API is @effect/vitest's, with explore", () =>
    Effect.sync(() => {
      expectTypeOf(it.effect).toEqualTypeOf(base.effect)
      expectTypeOf(it.live).toEqualTypeOf(base.live)
      expectTypeOf(it.explore).toBeCallableWith("name", booking(true))
      expectTypeOf(it.explore).toBeCallableWith("name", booking(true), { runs: 10, seed: 1 }, 60_000)
      expectTypeOf(it.explore.fails).toBeCallableWith("name", (_chaos: Testing.Chaos) => Effect.void)
      expectTypeOf(it.explore.skipIf(true)).toBeCallableWith("name", booking(true))
      expectTypeOf<Parameters<typeof it.explore>[1]>().toEqualTypeOf<Testing.Model>()
      // Type checks only: registering a test inside a test is not allowed.
      const _typeOnly = () => {
        // @ts-expect-error a model is a function of the run's Chaos
        it.explore("not a model", Effect.void)
        // @ts-expect-error a model needs nothing but a Scope
        it.explore("needs a service", () => Effect.void as Effect.Effect<void, never, Greeting | Scope.Scope>)
      }
      expectTypeOf(_typeOnly).toBeFunction()
    })
  )
})

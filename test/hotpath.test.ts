/**
 * The shortcuts the hot paths take past Effect's own helpers: each answers
 * what the helper it replaces answers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as TestClock from "effect/testing/TestClock"
import { isEffect } from "../src/internal/function.ts"
import { clockOf, refReader } from "../src/internal/refs.ts"
import * as Chan from "../src/Chan.ts"

class Port extends Context.Service<Port, number>()("test/hotpath/Port") {}

describe("isEffect", () => {
  it("answers as Effect.isEffect on effects, exits, service keys and everything else", () => {
    const values: ReadonlyArray<unknown> = [
      Effect.void,
      Effect.succeed(1),
      Effect.sync(() => 1),
      Effect.fail("e"),
      Effect.flatMap(Effect.void, () => Effect.void),
      Effect.never,
      Exit.succeed(1),
      Exit.fail("e"),
      Port,
      Option.some(1),
      Option.none(),
      Chan.makeUnsafe<number>(0),
      Chan.recv(Chan.makeUnsafe<number>(1)),
      Promise.resolve(1),
      () => Effect.void,
      { [Effect.TypeId]: undefined },
      {},
      [],
      null,
      undefined,
      0,
      "Effect",
      Symbol("x"),
      10n
    ]
    for (const u of values) expect(isEffect(u)).toBe(Effect.isEffect(u))
    // The list has both answers.
    expect(values.filter(isEffect).length).toBeGreaterThan(5)
    expect(values.filter((u) => !isEffect(u)).length).toBeGreaterThan(5)
  })
})

describe("refReader", () => {
  it.effect("reads a reference again when the fiber's context changes, as getRef does", () =>
    Effect.gen(function* () {
      const randomOf = refReader(Random.Random)
      const read = Effect.withFiber((fiber) => Effect.succeed([randomOf(fiber), fiber.getRef(Random.Random)] as const))
      const plain = yield* read
      const seeded = yield* read.pipe(Random.withSeed(7))
      const again = yield* read
      for (const [cached, looked] of [plain, seeded, again]) expect(cached).toBe(looked)
      expect(seeded[0]).not.toBe(plain[0])
      expect(again[0]).toBe(plain[0])
    })
  )

  it.effect("clockOf follows a Clock provided inside, and reads the outer one again outside it", () =>
    Effect.gen(function* () {
      const read = Effect.withFiber((fiber) => Effect.succeed(clockOf(fiber)))
      const outer = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Clock.Clock)))
      expect(yield* read).toBe(outer)
      const inner = yield* Effect.provide(
        Effect.withFiber((fiber) => Effect.succeed([clockOf(fiber), fiber.getRef(Clock.Clock)] as const)),
        TestClock.layer()
      )
      expect(inner[0]).toBe(inner[1])
      expect(inner[0]).not.toBe(outer)
      expect(yield* read).toBe(outer)
      // A forked fiber, in the same context, reads the same clock.
      const child = yield* Effect.forkChild(read)
      expect(yield* Fiber.join(child)).toBe(outer)
    })
  )
})

import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as TestConsole from "effect/testing/TestConsole"
import { examples } from "../examples/index.ts"
import { it } from "./utils/leak.ts"

/**
 * Runs a program on TestClock, moving the clock forward in small steps
 * until it ends, so examples that sleep or time out run instantly.
 */
const runOnTestClock = <A, E>(program: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(program)
    for (let step = 0; step < 100_000 && fiber.pollUnsafe() === undefined; step++) {
      yield* TestClock.adjust("1 millis")
    }
    return yield* Fiber.join(fiber)
  })

describe("examples", () => {
  it.effect("every example has a unique name", () =>
    Effect.sync(() => {
      const names = examples.map((e) => e.name)
      expect(new Set(names).size).toBe(names.length)
    }))

  for (const example of examples) {
    it.effect(`${example.name} prints what it should`, () =>
      Effect.gen(function* () {
        yield* runOnTestClock(example.program)
        const lines = (yield* TestConsole.logLines).flatMap((line) => String(line).split("\n"))
        let at = 0
        for (const pattern of example.expected) {
          const found = lines.findIndex(
            (line, i) => i >= at && (typeof pattern === "string" ? line.trim() === pattern : pattern.test(line))
          )
          expect(found, `expected ${String(pattern)} after line ${at} in:\n${lines.join("\n")}`).toBeGreaterThanOrEqual(0)
          at = found + 1
        }
      }))
  }
})

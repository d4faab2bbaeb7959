import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as TestConsole from "effect/testing/TestConsole"
import { deadlocksOnPurpose, documentOf, documents } from "../examples/Example.ts"
import { examples } from "../examples/index.ts"
import { expectDeadlocks } from "./utils/detector.ts"
import { it } from "./utils/leak.ts"

/**
 * Runs a program on TestClock, moving the clock forward in small steps
 * until it ends, so examples that sleep or time out run instantly. The
 * steps go on as long as the program runs (the test's timeout bounds it):
 * a program that also waits for real time (a thread's job, a file) may
 * need the clock again after that, however long it took.
 */
const runOnTestClock = <A, E>(program: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(program)
    while (fiber.pollUnsafe() === undefined) yield* TestClock.adjust("1 millis")
    return yield* Fiber.join(fiber)
  })

describe("examples", () => {
  it.effect("every example has a unique name", () =>
    Effect.sync(() => {
      const names = examples.map((e) => e.name)
      expect(new Set(names).size).toBe(names.length)
    })
  )

  it.effect("every example names a section of one of the documents, and the tour follows their order", () =>
    Effect.sync(() => {
      const names = documents.map((d) => d.name)
      for (const e of examples) expect(names, `${e.name}: ${e.section}`).toContain(documentOf(e))
      const order = [...new Set(examples.map(documentOf))]
      expect(order).toEqual(names)
    })
  )

  for (const example of examples) {
    it.effect(`${example.name} prints what it should`, () =>
      Effect.gen(function* () {
        expect(example.expected.length, "an example with no expected output checks nothing").toBeGreaterThan(0)
        // An example that strands fibers on purpose (every example of the
        // diagnostics does) may be reported; every other one runs under the
        // deadlock detector (see detector.ts).
        if (deadlocksOnPurpose(example)) expectDeadlocks()
        yield* runOnTestClock(example.program)
        const lines = (yield* TestConsole.logLines).flatMap((line) => String(line).split("\n"))
        let at = 0
        for (const pattern of example.expected) {
          const found = lines.findIndex(
            (line, i) => i >= at && (typeof pattern === "string" ? line.trim() === pattern : pattern.test(line))
          )
          const where = `expected ${String(pattern)} after line ${at} in:\n${lines.join("\n")}`
          expect(found, where).toBeGreaterThanOrEqual(0)
          at = found + 1
        }
      })
    )
  }
})

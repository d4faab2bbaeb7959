/**
 * README's "A short example", verbatim (imports adjusted to the sources):
 * if it stops compiling or printing 30, README is wrong.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Chan, Select } from "../src/index.ts"
import { it } from "./utils/leak.ts"

const program = Effect.gen(function* () {
  const jobs = yield* Chan.make<number>(16)
  const results = yield* Chan.make<number>(16)

  // Three workers: `for j := range jobs { results <- j * 2 }`
  for (let w = 0; w < 3; w++) {
    yield* Effect.forkScoped(Chan.forEach(jobs, (j) => Chan.send(results, j * 2)))
  }
  for (let j = 1; j <= 5; j++) yield* Chan.send(jobs, j)
  yield* Chan.close(jobs)

  let sum = 0
  for (let i = 0; i < 5; i++) {
    sum += yield* Select.select(
      Select.recv(results, (r) => Effect.succeed(Option.getOrElse(r, () => 0))),
      Select.after("1 second", () => Effect.die("timed out"))
    )
  }
  return sum // 30
}).pipe(Effect.scoped) // closing the scope stops the workers

describe("README", () => {
  it.effect("the short example computes 30", () =>
    Effect.gen(function* () {
      expect(yield* program).toBe(30)
    }))
})

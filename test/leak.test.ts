import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { FiberLeakError, it, leakCheck } from "./utils/leak.ts"

describe("leak check", () => {
  it.effect("reports a fiber that outlives the test", () =>
    Effect.gen(function* () {
      let leaked: Fiber.Fiber<never> | undefined
      const exit = yield* Effect.exit(
        leakCheck(
          Effect.gen(function* () {
            leaked = yield* Effect.forkDetach(Effect.never)
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      expect(error?._tag).toBe("Fail")
      const leak = error?._tag === "Fail" ? error.error : undefined
      expect(leak).toBeInstanceOf(FiberLeakError)
      expect(leak).toMatchObject({ leaked: 1, started: 2, fibers: [{ name: "unnamed", count: 1 }] })
      yield* Fiber.interrupt(leaked!)
    })
  )

  it.effect("accepts children that are interrupted with their parent", () =>
    leakCheck(Effect.forkChild(Effect.never)).pipe(Effect.asVoid)
  )

  it.effect("accepts scoped fibers, interrupted when the scope closes", () =>
    leakCheck(Effect.forkScoped(Effect.never)).pipe(Effect.asVoid)
  )

  it.effect("keeps the body's own failure", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(leakCheck(Effect.fail("boom")))
      expect(exit).toEqual(Exit.fail("boom"))
    })
  )

  // A test registered through the wrapper fails when its body leaks: vitest's
  // \`fails\` turns that expected failure into a pass. The detached fiber holds
  // no resource, so leaving it blocked costs nothing.
  it.effect.fails("the it.effect wrapper fails a leaking test", () => Effect.forkDetach(Effect.never))
})

import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

describe("FiberMonitor", () => {
  it.effect("counts the fibers started under track while they are alive, at any depth", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const fibers = yield* FiberMonitor.track(
        monitor,
        Effect.forEach([1, 2, 3], () => Effect.forkChild(Effect.forkChild(Effect.never).pipe(Effect.andThen(Effect.never))))
      )
      yield* settle
      expect(FiberMonitor.live(monitor)).toBe(6)
      yield* Fiber.interruptAll(fibers)
      expect(FiberMonitor.live(monitor)).toBe(0)
      expect(monitor.started).toBe(6)
      expect(monitor.ended).toBe(6)
    }))

  it.effect("numFibers reads the monitor the current fiber runs under (runtime.NumGoroutine)", () =>
    Effect.gen(function* () {
      // (This test body itself runs under the leak check's monitor, so the
      // count outside `track` below is that monitor's, not zero.)
      const monitor = FiberMonitor.make()
      const seen = yield* FiberMonitor.track(
        monitor,
        Effect.gen(function* () {
          const f = yield* Effect.forkChild(Effect.never)
          yield* settle
          const n = yield* FiberMonitor.numFibers
          yield* Fiber.interrupt(f)
          return [n, yield* FiberMonitor.numFibers]
        })
      )
      expect(seen).toEqual([1, 0])
    }))

  it.effect("fibers started outside track are not counted", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const outside = yield* Effect.forkChild(Effect.never)
      yield* settle
      expect(FiberMonitor.live(monitor)).toBe(0)
      yield* Fiber.interrupt(outside)
    }))
})

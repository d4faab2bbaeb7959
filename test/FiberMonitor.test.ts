import { inspect } from "node:util"
import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import { CopiedPrimitiveError, InvalidArgumentError } from "../src/internal/copied.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

describe("FiberMonitor", () => {
  it.effect("counts the fibers started under track while they are alive, at any depth", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const fibers = yield* FiberMonitor.track(
        monitor,
        Effect.forEach([1, 2, 3], () =>
          Effect.forkChild(Effect.forkChild(Effect.never).pipe(Effect.andThen(Effect.never)))
        )
      )
      yield* settle
      expect(FiberMonitor.live(monitor)).toBe(6)
      yield* Fiber.interruptAll(fibers)
      expect(FiberMonitor.live(monitor)).toBe(0)
      expect(monitor.started).toBe(6)
      expect(monitor.ended).toBe(6)
    })
  )

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
    })
  )

  it.effect("fibers started outside track are not counted", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const outside = yield* Effect.forkChild(Effect.never)
      yield* settle
      expect(FiberMonitor.live(monitor)).toBe(0)
      yield* Fiber.interrupt(outside)
    })
  )
})

describe("FiberMonitor as a value", () => {
  it.effect("toJSON shows the counts; String and Node's inspect format it; pipe works", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      expect(monitor.toJSON()).toStrictEqual({ _id: "FiberMonitor", started: 0, ended: 0, live: 0 })
      const fiber = yield* Effect.forkChild(Effect.never).pipe(FiberMonitor.track(monitor))
      yield* settle
      expect(monitor.toJSON()).toStrictEqual({ _id: "FiberMonitor", started: 1, ended: 0, live: 1 })
      expect(String(monitor)).toBe('{"_id":"FiberMonitor","started":1,"ended":0,"live":1}')
      expect(inspect(monitor)).toBe("{ _id: 'FiberMonitor', started: 1, ended: 0, live: 1 }")
      expect(monitor.pipe((m) => FiberMonitor.live(m))).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(monitor.toJSON()).toStrictEqual({ _id: "FiberMonitor", started: 1, ended: 1, live: 0 })
    })
  )
})

describe("FiberMonitor: bad arguments", () => {
  const any = (u: unknown): any => u

  it.effect("track with something that is no monitor dies at the call, before any fiber reports to it", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      for (const [bad, tag, message] of [
        [undefined, "InvalidArgumentError", "expected a FiberMonitor, got undefined"],
        [{}, "InvalidArgumentError", "expected a FiberMonitor, got an empty object"],
        [{ ...monitor }, "CopiedPrimitiveError", "FiberMonitor is copied"]
      ] as const) {
        let built: Array<Effect.Effect<unknown>> = []
        expect(() => {
          built = [
            FiberMonitor.track(any(bad), Effect.forkChild(Effect.void)),
            FiberMonitor.track(any(bad))(Effect.forkChild(Effect.void))
          ]
        }).not.toThrow()
        for (const effect of built) {
          const exit = yield* Effect.exit(effect)
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause), String(exit)).toBe(true)
          const defect = Exit.isFailure(exit) ? (Cause.squash(exit.cause) as Error & { _tag: string }) : undefined
          expect(defect?._tag).toBe(tag)
          expect(defect?.message.startsWith(message), defect?.message).toBe(true)
        }
      }
      const exit = yield* Effect.exit(FiberMonitor.track(monitor, any(5) as Effect.Effect<void>))
      expect(Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined).toMatchObject({
        _tag: "InvalidArgumentError",
        message: "FiberMonitor.track: expected an Effect, got the number 5"
      })
      expect(monitor.started).toBe(0)
    })
  )

  it.effect("live refuses a spread copy, whose counts would be frozen, and anything that is no monitor", () =>
    Effect.gen(function* () {
      const monitor = FiberMonitor.make()
      const copy = { ...monitor }
      const fiber = yield* FiberMonitor.track(monitor, Effect.forkChild(Effect.never))
      yield* settle
      expect(() => FiberMonitor.live(copy)).toThrow(CopiedPrimitiveError)
      expect(() => FiberMonitor.live(any(undefined))).toThrow(InvalidArgumentError)
      expect(FiberMonitor.live(monitor)).toBe(1)
      yield* Fiber.interrupt(fiber)
    })
  )

  it("types: make is a plain value; track adds nothing to the effect's type", () => {
    expectTypeOf(FiberMonitor.make).toEqualTypeOf<
      (options?: FiberMonitor.FiberMonitorOptions) => FiberMonitor.FiberMonitor
    >()
    const monitor = FiberMonitor.make()
    const work: Effect.Effect<number, Error, Scope.Scope> = Effect.succeed(1)
    expectTypeOf(FiberMonitor.track(monitor, work)).toEqualTypeOf<Effect.Effect<number, Error, Scope.Scope>>()
    expectTypeOf(work.pipe(FiberMonitor.track(monitor))).toEqualTypeOf<Effect.Effect<number, Error, Scope.Scope>>()
    expectTypeOf(FiberMonitor.live).toEqualTypeOf<(self: FiberMonitor.FiberMonitor) => number>()
    expectTypeOf(FiberMonitor.numFibers).toEqualTypeOf<Effect.Effect<number>>()
  })
})

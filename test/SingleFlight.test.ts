import { inspect } from "node:util"
import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import type * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Option from "effect/Option"
import * as GoContext from "../src/GoContext.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import { advance, settle } from "./utils/fibers.ts"
import { budgets, loop, underEveryBudget } from "./utils/budgets.ts"
import { expectDeadlocks } from "./utils/detector.ts"
import { it } from "./utils/leak.ts"

class SomeErr extends Data.TaggedError("SomeErr")<{}> {}
class Other extends Data.TaggedError("Other")<{}> {}

/** The error or defect an Exit failed with (undefined on success). */
const squashed = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

const interruptedOnly = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)

/** An effect that counts its runs and waits for `gate` before returning `value`. */
const counted = <A>(gate: Deferred.Deferred<void>, value: A) => {
  const state = { calls: 0, interrupted: 0 }
  const effect = Effect.suspend(() => {
    state.calls++
    return Effect.as(Deferred.await(gate), value)
  }).pipe(
    Effect.onInterrupt(() =>
      Effect.sync(() => {
        state.interrupted++
      })
    )
  )
  return { state, effect }
}

/** Lets other fibers run until `n` callers wait on `g` (live clock: yields, no sleeping). */
const untilBlocked = <A, E, K>(g: SingleFlight.SingleFlight<A, E, K>, n: number): Effect.Effect<void> =>
  Effect.suspend(function check(): Effect.Effect<void> {
    return Effect.flatMap(SingleFlight.blocked(g), (b) =>
      b.length >= n ? Effect.void : Effect.andThen(Effect.yieldNow, Effect.suspend(check))
    )
  })

describe("SingleFlight", () => {
  describe("Go's singleflight_test.go", () => {
    it.effect("TestDo: a lone call runs the effect and is not shared", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const result = yield* SingleFlight.do(g, "key", Effect.succeed("bar"))
        expect(result).toEqual({ value: "bar", shared: false })
        expect(yield* SingleFlight.keys(g)).toEqual([])
      })
    )

    it.effect("TestDoErr: a failure reaches the caller", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string, SomeErr>()
        const someErr = new SomeErr()
        const error = yield* Effect.flip(SingleFlight.do(g, "key", Effect.fail(someErr)))
        expect(error).toBe(someErr)
      })
    )

    it.effect("TestDoDupSuppress: concurrent duplicates run the effect once and all get its value", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>({ name: "dup" })
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "bar")
        const n = 10
        const callers = yield* Effect.forEach(Array.from({ length: n }), () =>
          Effect.forkChild(SingleFlight.do(g, "key", effect))
        )
        yield* settle
        const blocked = yield* SingleFlight.blocked(g)
        expect(blocked.map((b) => [b.primitive, b.name, b.op])).toEqual(
          Array.from({ length: n }, () => ["SingleFlight", "dup", "do(key)"])
        )
        expect(yield* SingleFlight.keys(g)).toEqual(["key"])
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.joinAll(callers)
        expect(results).toEqual(Array.from({ length: n }, () => ({ value: "bar", shared: true })))
        expect(state.calls).toBe(1)
        expect(yield* SingleFlight.blocked(g)).toEqual([])
        expect(yield* SingleFlight.keys(g)).toEqual([])
      })
    )

    it.effect("TestForget: after forget the next call starts a new flight, and a third call joins the new one", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>()
        const firstStarted = yield* Deferred.make<void>()
        const unblockFirst = yield* Deferred.make<void>()
        const firstFinished = yield* Deferred.make<void>()
        const first = yield* Effect.forkChild(
          SingleFlight.do(
            g,
            "key",
            Effect.gen(function* () {
              yield* Deferred.succeed(firstStarted, undefined)
              yield* Deferred.await(unblockFirst)
              yield* Deferred.succeed(firstFinished, undefined)
              return 1
            })
          )
        )
        yield* Deferred.await(firstStarted)
        yield* SingleFlight.forget(g, "key")

        const unblockSecond = yield* Deferred.make<void>()
        const second = yield* SingleFlight.doFork(g, "key", Effect.as(Deferred.await(unblockSecond), 2))
        yield* settle

        yield* Deferred.succeed(unblockFirst, undefined)
        yield* Deferred.await(firstFinished)
        expect(yield* Fiber.join(first)).toEqual({ value: 1, shared: false })
        // The first flight ending did not unmap the second one.
        expect(yield* SingleFlight.keys(g)).toEqual(["key"])

        const third = yield* SingleFlight.doFork(g, "key", Effect.succeed(3))
        yield* settle
        yield* Deferred.succeed(unblockSecond, undefined)
        expect(yield* Fiber.join(second)).toEqual({ value: 2, shared: true })
        expect(yield* Fiber.join(third)).toEqual({ value: 2, shared: true })
      })
    )

    it.effect("TestPanicDo: a defect reaches every caller as that defect, and the key is freed", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const defect = new Error("invalid memory address or nil pointer dereference")
        let calls = 0
        const fn = Effect.andThen(
          Effect.sync(() => calls++),
          Effect.andThen(Effect.yieldNow, Effect.die(defect))
        )
        const n = 5
        const callers = yield* Effect.forEach(Array.from({ length: n }), () =>
          Effect.forkChild(SingleFlight.do(g, "key", fn))
        )
        const exits = yield* Effect.forEach(callers, Fiber.await)
        expect(exits.every((exit) => Exit.isFailure(exit) && Cause.hasDies(exit.cause))).toBe(true)
        expect(exits.map(squashed)).toEqual(Array.from({ length: n }, () => defect))
        expect(calls).toBe(1)
        expect(yield* SingleFlight.keys(g)).toEqual([])
        // No caching: the next call runs again.
        expect(yield* SingleFlight.do(g, "key", Effect.succeed("ok"))).toEqual({ value: "ok", shared: false })
      })
    )

    it.effect("TestGoexitDo: a flight that interrupts itself interrupts every caller", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        let calls = 0
        const fn = Effect.andThen(
          Effect.sync(() => calls++),
          Effect.andThen(Effect.yieldNow, Effect.interrupt)
        )
        const callers = yield* Effect.forEach(Array.from({ length: 5 }), () =>
          Effect.forkChild(SingleFlight.do(g, "key", fn))
        )
        const exits = yield* Effect.forEach(callers, Fiber.await)
        expect(exits.every(interruptedOnly)).toBe(true)
        expect(calls).toBe(1)
        expect(yield* SingleFlight.keys(g)).toEqual([])
        expect(yield* SingleFlight.blocked(g)).toEqual([])
        expect(yield* SingleFlight.do(g, "key", Effect.succeed("again"))).toEqual({ value: "again", shared: false })
      })
    )

    it.effect("TestDoChan: doFork delivers the outcome to a fiber whether or not anyone joins it yet", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string, SomeErr>()
        const ok = yield* SingleFlight.doFork(g, "a", Effect.succeed("bar"))
        const bad = yield* SingleFlight.doFork(g, "b", Effect.fail(new SomeErr()))
        yield* settle
        expect(ok.pollUnsafe()).toBeDefined()
        expect(yield* Fiber.join(ok)).toEqual({ value: "bar", shared: false })
        expect(yield* Effect.flip(Fiber.join(bad))).toEqual(new SomeErr())
      })
    )
  })

  describe("callers leaving (beyond Go)", () => {
    it.effect("a caller leaving does not cancel the flight for the others", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "v")
        const callers = yield* Effect.forEach([0, 1, 2], () => Effect.forkChild(SingleFlight.do(g, "k", effect)))
        yield* settle
        yield* Fiber.interrupt(callers[0]!)
        yield* Fiber.interrupt(callers[2]!)
        expect((yield* SingleFlight.blocked(g)).length).toBe(1)
        expect(state.interrupted).toBe(0)
        yield* Deferred.succeed(gate, undefined)
        // Three callers joined it: the value was shared.
        expect(yield* Fiber.join(callers[1]!)).toEqual({ value: "v", shared: true })
        expect(state).toEqual({ calls: 1, interrupted: 0 })
      })
    )

    it.effect("when every caller has left, the flight is interrupted and a later call starts afresh", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const gate = yield* Deferred.make<void>()
        let cleaned = false
        let calls = 0
        const effect = Effect.suspend(() => {
          calls++
          return Effect.as(Deferred.await(gate), `v${calls}`)
        }).pipe(
          // A finalizer that takes a few steps: the last caller out waits for it.
          Effect.onInterrupt(() =>
            Effect.andThen(
              Effect.yieldNow,
              Effect.sync(() => {
                cleaned = true
              })
            )
          )
        )
        const callers = yield* Effect.forEach([0, 1], () => Effect.forkChild(SingleFlight.do(g, "k", effect)))
        yield* settle
        yield* Fiber.interrupt(callers[0]!)
        expect(cleaned).toBe(false)
        yield* Fiber.interrupt(callers[1]!)
        expect(cleaned).toBe(true)
        expect(yield* SingleFlight.keys(g)).toEqual([])
        expect(yield* SingleFlight.blocked(g)).toEqual([])
        yield* Deferred.succeed(gate, undefined)
        expect(yield* SingleFlight.do(g, "k", effect)).toEqual({ value: "v2", shared: false })
        expect(calls).toBe(2)
      })
    )

    it.effect("a call arriving while an abandoned flight is still stopping starts a new flight", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const finalizerGate = yield* Deferred.make<void>()
        let calls = 0
        const slow = Effect.suspend(() => {
          calls++
          return Effect.never
        }).pipe(Effect.onInterrupt(() => Deferred.await(finalizerGate)))
        const caller = yield* Effect.forkChild(SingleFlight.do(g, "k", slow))
        yield* settle
        // The last caller leaves and waits for the flight's finalizer.
        const leaving = yield* Effect.forkChild(Fiber.interrupt(caller))
        yield* settle
        expect(leaving.pollUnsafe()).toBeUndefined()
        expect(yield* SingleFlight.keys(g)).toEqual([])
        expect(yield* SingleFlight.do(g, "k", Effect.succeed("fresh"))).toEqual({ value: "fresh", shared: false })
        expect(calls).toBe(1)
        yield* Deferred.succeed(finalizerGate, undefined)
        yield* Fiber.join(leaving)
        expect(interruptedOnly(yield* Fiber.await(caller))).toBe(true)
      })
    )

    it.effect("interrupting the fiber from doFork is how its caller leaves", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "v")
        const fiber = yield* SingleFlight.doFork(g, "k", effect)
        yield* settle
        expect(yield* SingleFlight.keys(g)).toEqual(["k"])
        yield* Fiber.interrupt(fiber)
        expect(state).toEqual({ calls: 1, interrupted: 1 })
        expect(yield* SingleFlight.keys(g)).toEqual([])
      })
    )

    it.effect.prop(
      "any subset of callers leaving: the flight runs once; it is interrupted iff all left; the rest get its outcome",
      [Schema.Array(Schema.Boolean), Schema.Boolean],
      ([leaves, fails]) =>
        Effect.gen(function* () {
          const g = yield* SingleFlight.make<string, SomeErr>()
          const gate = yield* Deferred.make<void>()
          let calls = 0
          let interrupted = 0
          const effect = Effect.suspend(() => {
            calls++
            return Effect.andThen(Deferred.await(gate), fails ? Effect.fail(new SomeErr()) : Effect.succeed("v"))
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted++)))
          const callers = yield* Effect.forEach(leaves, () => Effect.forkChild(SingleFlight.do(g, "k", effect)))
          yield* settle
          yield* Effect.forEach(callers, (fiber, i) => (leaves[i] ? Fiber.interrupt(fiber) : Effect.void))
          const stayed = leaves.filter((leave) => !leave).length
          expect((yield* SingleFlight.blocked(g)).length).toBe(stayed)
          yield* Deferred.succeed(gate, undefined)
          const exits = yield* Effect.forEach(callers, Fiber.await)
          expect(calls).toBe(leaves.length === 0 ? 0 : 1)
          expect(interrupted).toBe(leaves.length > 0 && stayed === 0 ? 1 : 0)
          for (const [i, exit] of exits.entries()) {
            if (leaves[i]) expect(interruptedOnly(exit)).toBe(true)
            else if (fails) expect(squashed(exit)).toEqual(new SomeErr())
            else expect(exit).toEqual(Exit.succeed({ value: "v", shared: leaves.length > 1 }))
          }
          expect(yield* SingleFlight.keys(g)).toEqual([])
          expect(yield* SingleFlight.blocked(g)).toEqual([])
        })
    )
  })

  describe("a flight belongs to no caller", () => {
    it.effect("the leader's GoContext deadline does not abort the flight a follower waits for", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string, GoContext.ContextError>()
        const user = GoContext.key<string>("user")
        let runs = 0
        let seen: unknown
        // Honours its context, as Go code honours ctx.Done().
        const flight = Effect.scoped(
          Effect.gen(function* () {
            runs++
            const ctx = yield* GoContext.current
            seen = [GoContext.value(ctx, user), GoContext.deadline(ctx)]
            yield* GoContext.run(ctx, Effect.sleep("200 millis"))
            return "v"
          })
        )
        const call = (name: string, timeout: Duration.Input) =>
          Effect.scoped(
            Effect.gen(function* () {
              const [ctx] = yield* GoContext.withTimeout(GoContext.withValue(GoContext.background, user, name), timeout)
              return yield* GoContext.run(ctx, SingleFlight.do(g, "k", flight))
            })
          )
        const leader = yield* Effect.forkChild(call("leader", "50 millis"))
        yield* settle
        const follower = yield* Effect.forkChild(call("follower", "1 second"))
        yield* advance("50 millis")
        // The leader fails with its own deadline...
        expect(squashed(yield* Fiber.await(leader))).toBeInstanceOf(GoContext.DeadlineExceededError)
        // ...and the flight goes on for the follower.
        yield* settle
        expect(follower.pollUnsafe()).toBeUndefined()
        expect(yield* SingleFlight.keys(g)).toEqual(["k"])
        yield* advance("150 millis")
        expect(yield* Fiber.join(follower)).toEqual({ value: "v", shared: true })
        expect(runs).toBe(1)
        // Go's WithoutCancel: the leader's values are kept, its deadline is not.
        expect(seen).toEqual([Option.some("leader"), Option.none()])
      })
    )

    it.effect(
      "the flight has a scope of its own: the leader's scope closing stops nothing; it closes when the flight ends",
      () =>
        Effect.gen(function* () {
          const g = yield* SingleFlight.make<string, GoContext.ContextError>()
          const gate = yield* Deferred.make<void>()
          let released = 0
          let releasedBeforeCallers: number | undefined
          // Needs a Scope (addFinalizer, GoContext.current): the flight's own.
          const flight = Effect.gen(function* () {
            yield* Effect.addFinalizer(() => Effect.sync(() => released++))
            const ctx = yield* GoContext.current
            yield* GoContext.run(ctx, Deferred.await(gate))
            return "v"
          })
          const leader = yield* Effect.forkChild(Effect.scoped(SingleFlight.do(g, "k", flight)))
          yield* settle
          const follower = yield* Effect.forkChild(
            Effect.tap(SingleFlight.do(g, "k", flight), () =>
              Effect.sync(() => {
                releasedBeforeCallers = released
              })
            )
          )
          yield* settle
          yield* Fiber.interrupt(leader)
          yield* settle
          expect(released).toBe(0)
          expect(follower.pollUnsafe()).toBeUndefined()
          yield* Deferred.succeed(gate, undefined)
          expect(yield* Fiber.join(follower)).toEqual({ value: "v", shared: true })
          expect(released).toBe(1)
          expect(releasedBeforeCallers).toBe(1)
        })
    )

    it.effect("the flight is interruptible though its leader is not: closing the group's scope stops it", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* SingleFlight.make<string>().pipe(Scope.provide(scope))
        let interrupted = 0
        const flight = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted++)))
        const leader = yield* Effect.forkChild(Effect.uninterruptible(SingleFlight.do(g, "k", flight)))
        yield* settle
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* settle
        expect(closing.pollUnsafe()).toBeDefined()
        expect(interrupted).toBe(1)
        expect(interruptedOnly(yield* Fiber.await(leader))).toBe(true)
      })
    )
  })

  describe("recursion", () => {
    it.effect("a flight calling do for its own key dies with SingleFlightRecursiveError, which names the key", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string, never, unknown>({ name: "users" })
        let runs = 0
        const recursive = (key: unknown): Effect.Effect<string> =>
          Effect.suspend(() => {
            runs++
            // Still the flight's own fiber, a few frames down (inside a scope of its own).
            return Effect.scoped(Effect.map(SingleFlight.do(g, key, recursive(key)), (r) => r.value))
          })
        for (const key of ["user:1", ["user", 2]]) {
          runs = 0
          const caller = yield* Effect.forkChild(SingleFlight.do(g, key, recursive(key)))
          yield* settle
          const exit = caller.pollUnsafe()
          expect(exit).toBeDefined()
          expect(Exit.isFailure(exit!) && Cause.hasDies(exit!.cause)).toBe(true)
          const defect = squashed(exit!)
          expect(defect).toBeInstanceOf(SingleFlight.SingleFlightRecursiveError)
          expect(defect).toMatchObject({ _tag: "SingleFlightRecursiveError", key, groupName: "users" })
          expect((defect as Error).message).toBe(
            `singleflight: do(${key === "user:1" ? '"user:1"' : '["user",2]'}) of group users called from its own flight, which would wait for itself forever`
          )
          expect(runs).toBe(1)
          expect(yield* SingleFlight.keys(g)).toEqual([])
          expect(yield* SingleFlight.blocked(g)).toEqual([])
          // The key works afterwards.
          yield* SingleFlight.forget(g, key)
          expect(yield* SingleFlight.do(g, key, Effect.succeed("ok"))).toEqual({ value: "ok", shared: false })
        }
      })
    )

    it.effect("a fiber of an abandoned flight calling do for its key is interrupted and does not start it again", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const stopping = yield* Deferred.make<void>()
        let restarted = 0
        let zombie: Exit.Exit<unknown, unknown> | undefined
        const again = Effect.sync(() => {
          restarted++
          return "again"
        })
        // The flight's child calls do for the flight's key once the flight is
        // being interrupted (its finalizer lets it run before the
        // interruption reaches it).
        const flight = Effect.andThen(
          Effect.forkChild(
            Effect.andThen(Deferred.await(stopping), SingleFlight.do(g, "k", again)).pipe(
              Effect.onExit((exit) =>
                Effect.sync(() => {
                  zombie = exit
                })
              )
            )
          ),
          Effect.never
        ).pipe(Effect.onInterrupt(() => Effect.andThen(Deferred.succeed(stopping, undefined), settle)))
        const caller = yield* Effect.forkChild(SingleFlight.do(g, "k", flight))
        yield* settle
        yield* Fiber.interrupt(caller)
        expect(zombie !== undefined && interruptedOnly(zombie)).toBe(true)
        expect(restarted).toBe(0)
        expect(yield* SingleFlight.keys(g)).toEqual([])
        expect(yield* SingleFlight.blocked(g)).toEqual([])
        // Calls from outside the flight are not affected.
        expect(yield* SingleFlight.do(g, "k", again)).toEqual({ value: "again", shared: false })
      })
    )

    const throughForks: ReadonlyArray<
      readonly [string, (g: SingleFlight.SingleFlight<string>, again: Effect.Effect<string>) => Effect.Effect<string>]
    > = [
      [
        "a forkChild child",
        (g, again) =>
          Effect.flatMap(Effect.forkChild(SingleFlight.do(g, "k", again)), (f) =>
            Effect.map(Fiber.join(f), (r) => r.value)
          )
      ],
      [
        "doFork",
        (g, again) =>
          Effect.flatMap(SingleFlight.doFork(g, "k", again), (f) => Effect.map(Fiber.join(f), (r) => r.value))
      ],
      [
        "Effect.all",
        (g, again) =>
          Effect.map(
            Effect.all([SingleFlight.do(g, "k", again), Effect.never], { concurrency: "unbounded" }),
            ([r]) => r.value
          )
      ],
      [
        "the flight of another key",
        (g, again) =>
          Effect.map(
            SingleFlight.do(
              g,
              "other",
              Effect.map(SingleFlight.do(g, "k", again), (r) => r.value)
            ),
            (r) => r.value
          )
      ]
    ]

    for (const [via, recurse] of throughForks) {
      it.effect(
        `recursion through ${via}: interrupting the caller stops the flight, returns and leaves nothing alive`,
        () =>
          Effect.gen(function* () {
            // The flight waits for itself through `via`: a wait-for cycle (Go's
            // singleflight would hang there for good) until the caller leaves.
            expectDeadlocks()
            const scope = yield* Scope.make()
            const g = yield* SingleFlight.make<string>().pipe(Scope.provide(scope))
            let runs = 0
            let interrupted = 0
            const recursive: Effect.Effect<string> = Effect.suspend(() => {
              runs++
              return recurse(g, recursive)
            }).pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted++)))
            const caller = yield* Effect.forkChild(SingleFlight.do(g, "k", recursive))
            yield* settle
            expect((yield* SingleFlight.blocked(g)).length).toBeGreaterThanOrEqual(2)
            const leaving = yield* Effect.forkChild(Fiber.interrupt(caller))
            yield* settle
            expect(leaving.pollUnsafe()).toBeDefined()
            expect(runs).toBe(1)
            expect(interrupted).toBe(1)
            expect(yield* SingleFlight.blocked(g)).toEqual([])
            expect(yield* SingleFlight.keys(g)).toEqual([])
            // The key works afterwards, forgotten or not.
            expect(yield* SingleFlight.do(g, "k", Effect.succeed("ok"))).toEqual({ value: "ok", shared: false })
            yield* SingleFlight.forget(g, "k")
            expect(yield* SingleFlight.do(g, "k", Effect.succeed("ok"))).toEqual({ value: "ok", shared: false })
            // Nothing of the flight is left for the scope to stop.
            const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
            yield* settle
            expect(closing.pollUnsafe()).toBeDefined()
          })
      )

      it.effect(`recursion through ${via}: closing the group's scope returns, with or without callers left`, () =>
        Effect.gen(function* () {
          // A wait-for cycle on purpose, until the scope closes (see above).
          expectDeadlocks()
          for (const callerLeavesFirst of [false, true]) {
            const scope = yield* Scope.make()
            const g = yield* SingleFlight.make<string>().pipe(Scope.provide(scope))
            let interrupted = 0
            const recursive: Effect.Effect<string> = Effect.suspend(() => recurse(g, recursive)).pipe(
              Effect.onInterrupt(() => Effect.sync(() => interrupted++))
            )
            const caller = yield* Effect.forkChild(SingleFlight.do(g, "k", recursive))
            yield* settle
            if (callerLeavesFirst) yield* Fiber.interrupt(caller)
            const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
            yield* settle
            expect(closing.pollUnsafe()).toBeDefined()
            expect(interrupted).toBe(1)
            expect(interruptedOnly(yield* Fiber.await(caller))).toBe(true)
            expect(yield* SingleFlight.blocked(g)).toEqual([])
            expect(yield* SingleFlight.keys(g)).toEqual([])
          }
        })
      )
    }
  })

  describe("bad arguments", () => {
    const notAnEffect = 5 as unknown as Effect.Effect<number>

    it.effect("do and doFork with something that is not an Effect die with InvalidArgumentError at the call", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>()
        for (const [effect, op] of [
          [SingleFlight.do(g, "k", notAnEffect), "do"],
          [SingleFlight.do(g, "k")(notAnEffect), "do"],
          [SingleFlight.doFork(g, "k", notAnEffect), "doFork"]
        ] as ReadonlyArray<readonly [Effect.Effect<unknown>, string]>) {
          const exit = yield* Effect.exit(effect)
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
          expect(Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined).toMatchObject({
            _tag: "InvalidArgumentError",
            message: `SingleFlight.${op}: expected an Effect, got the number 5`
          })
        }
        // No flight was started.
        expect(yield* SingleFlight.keys(g)).toEqual([])
        // Nor does a bad call join a flight in progress.
        const gate = yield* Deferred.make<void>()
        const first = yield* Effect.forkChild(SingleFlight.do(g, "k", Effect.as(Deferred.await(gate), 1)))
        yield* settle
        const bad = yield* Effect.exit(SingleFlight.do(g, "k", undefined as unknown as Effect.Effect<number>))
        expect(Exit.isFailure(bad) ? Cause.squash(bad.cause) : undefined).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "SingleFlight.do: expected an Effect, got undefined"
        })
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(first)).toEqual({ value: 1, shared: false })
      })
    )
  })

  describe("as a value: Pipeable and Inspectable", () => {
    it.effect("toJSON counts the flights and the callers waiting for them; never keys nor fibers", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number, never, unknown>({ name: "users" })
        expect(g.toJSON()).toStrictEqual({ _id: "SingleFlight", name: "users", flights: 0, waiters: 0 })
        const gate = yield* Deferred.make<void>()
        const secret = { token: "s3cr3t" }
        const callers = yield* Effect.forEach([secret, secret, "b"], (key) =>
          Effect.forkChild(SingleFlight.do(g, key, Effect.as(Deferred.await(gate), 1)))
        )
        yield* settle
        expect(g.toJSON()).toStrictEqual({ _id: "SingleFlight", name: "users", flights: 2, waiters: 3 })
        expect(JSON.stringify(g)).not.toContain("s3cr3t")
        // A forgotten flight still runs for its callers, and is still counted.
        yield* SingleFlight.forget(g, "b")
        expect(g.toJSON()).toMatchObject({ flights: 2, waiters: 3 })
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.joinAll(callers)
        expect(g.toJSON()).toStrictEqual({ _id: "SingleFlight", name: "users", flights: 0, waiters: 0 })
        expect((yield* SingleFlight.make()).toJSON()).toStrictEqual({
          _id: "SingleFlight",
          name: undefined,
          flights: 0,
          waiters: 0
        })
      })
    )

    it.effect("String and Node's inspect format toJSON; pipe works", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>({ name: "users" })
        expect(String(g)).toBe('{"_id":"SingleFlight","name":"users","flights":0,"waiters":0}')
        expect(inspect(g)).toBe("{ _id: 'SingleFlight', name: 'users', flights: 0, waiters: 0 }")
        expect(yield* g.pipe((self) => SingleFlight.do(self, "k", Effect.succeed(1)))).toEqual({
          value: 1,
          shared: false
        })
        expect(yield* g.pipe(SingleFlight.keys)).toEqual([])
      })
    )
  })

  describe("keys", () => {
    it.effect("different keys fly independently; keys compare by value and structure (Effect's Equal)", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string, never, unknown>()
        const gate = yield* Deferred.make<void>()
        const runs: Array<string> = []
        const run = (label: string) =>
          Effect.andThen(
            Effect.sync(() => runs.push(label)),
            Effect.as(Deferred.await(gate), label)
          )
        class UserKey extends Data.Class<{ readonly id: number }> {}
        const pairs: ReadonlyArray<readonly [unknown, unknown]> = [
          ["a", "a"],
          [1, 1],
          [
            ["user", 1],
            ["user", 1]
          ],
          [{ id: 1 }, { id: 1 }],
          [new UserKey({ id: 1 }), new UserKey({ id: 1 })],
          [Number.NaN, Number.NaN],
          [0, -0],
          [10n, 10n],
          [null, null],
          [undefined, undefined]
        ]
        const fibers = yield* Effect.forEach(pairs, ([k1, k2], i) =>
          Effect.all([
            Effect.forkChild(SingleFlight.do(g, k1, run(`first ${i}`))),
            Effect.forkChild(SingleFlight.do(g, k2, run(`second ${i}`)))
          ])
        )
        // Distinct values are distinct keys: "1" and 1, ["user", 2], a by-reference object.
        const distinct = yield* Effect.forEach(["1", ["user", 2], Equal.byReference({ id: 1 })], (k, i) =>
          Effect.forkChild(SingleFlight.do(g, k, run(`distinct ${i}`)))
        )
        yield* settle
        expect(runs).toEqual([...pairs.map((_, i) => `first ${i}`), "distinct 0", "distinct 1", "distinct 2"])
        yield* Deferred.succeed(gate, undefined)
        for (const [i, [a, b]] of fibers.entries()) {
          expect(yield* Fiber.join(a)).toEqual({ value: `first ${i}`, shared: true })
          expect(yield* Fiber.join(b)).toEqual({ value: `first ${i}`, shared: true })
        }
        expect((yield* Fiber.joinAll(distinct)).map((r) => r.shared)).toEqual([false, false, false])
      })
    )

    it.effect("forget on a key not in flight does nothing; forget leaves the flight to its callers", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        yield* SingleFlight.forget(g, "nothing")
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "v")
        const a = yield* Effect.forkChild(SingleFlight.do(g, "k", effect))
        yield* settle
        yield* SingleFlight.forget(g, "k")
        expect(yield* SingleFlight.keys(g)).toEqual([])
        // Still dumped while its caller waits.
        expect((yield* SingleFlight.blocked(g)).map((b) => b.op)).toEqual(["do(k)"])
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(a)).toEqual({ value: "v", shared: false })
        expect(state).toEqual({ calls: 1, interrupted: 0 })
      })
    )
  })

  describe("scope", () => {
    it.effect("closing the group's scope interrupts every flight and its callers; later calls are interrupted", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* SingleFlight.make<string>().pipe(Scope.provide(scope))
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "v")
        const callers = yield* Effect.forEach(["a", "a", "b"], (k) => Effect.forkChild(SingleFlight.do(g, k, effect)))
        const forked = yield* SingleFlight.doFork(g, "c", effect)
        yield* settle
        expect(state.calls).toBe(3)
        yield* Scope.close(scope, Exit.void)
        expect(state.interrupted).toBe(3)
        const exits = yield* Effect.forEach([...callers, forked], Fiber.await)
        expect(exits.every(interruptedOnly)).toBe(true)
        let ran = false
        const late = yield* Effect.exit(
          SingleFlight.do(
            g,
            "a",
            Effect.sync(() => {
              ran = true
              return "late"
            })
          )
        )
        expect(interruptedOnly(late)).toBe(true)
        expect(ran).toBe(false)
        expect(yield* SingleFlight.keys(g)).toEqual([])
        expect(yield* SingleFlight.blocked(g)).toEqual([])
      })
    )

    it.effect("the flight outlives the caller that started it, as long as another caller waits", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, "v")
        // The first caller runs in a scope of its own that closes under it.
        const first = yield* Effect.forkChild(Effect.scoped(SingleFlight.do(g, "k", effect)))
        yield* settle
        const second = yield* Effect.forkChild(SingleFlight.do(g, "k", effect))
        yield* settle
        yield* Fiber.interrupt(first)
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(second)).toEqual({ value: "v", shared: true })
        expect(state).toEqual({ calls: 1, interrupted: 0 })
      })
    )

    it.effect("ten thousand callers share one flight", () =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>()
        const gate = yield* Deferred.make<void>()
        const { state, effect } = counted(gate, 42)
        const callers = yield* Effect.forEach(Array.from({ length: 10_000 }), () =>
          Effect.forkChild(SingleFlight.do(g, "k", effect))
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Fiber.joinAll(callers)
        expect(results.every((r) => r.value === 42 && r.shared)).toBe(true)
        expect(state.calls).toBe(1)
      })
    )
  })

  it("types: a group fixes the value, error and key types of its calls", () => {
    class User extends Data.Class<{ readonly id: number }> {}
    class Db extends Context.Service<Db, { readonly user: User }>()("Db") {}
    // Built for its types only, never run.
    Effect.gen(function* () {
      const g = yield* SingleFlight.make<User, SomeErr>()
      expectTypeOf(g).toEqualTypeOf<SingleFlight.SingleFlight<User, SomeErr, string>>()
      expectTypeOf(SingleFlight.do(g, "1", Effect.succeed(new User({ id: 1 })))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr>
      >()
      expectTypeOf(
        SingleFlight.do(
          g,
          "1",
          Db.useSync((db) => db.user)
        )
      ).toEqualTypeOf<Effect.Effect<SingleFlight.Result<User>, SomeErr, Db>>()
      // The flight has a Scope of its own: the caller provides none.
      const scoped = Effect.as(Effect.scope, new User({ id: 1 }))
      expectTypeOf(SingleFlight.do(g, "1", scoped)).toEqualTypeOf<Effect.Effect<SingleFlight.Result<User>, SomeErr>>()
      expectTypeOf(scoped.pipe(SingleFlight.do(g, "1"))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr>
      >()
      expectTypeOf(SingleFlight.doFork(g, "1", scoped)).toEqualTypeOf<
        Effect.Effect<Fiber.Fiber<SingleFlight.Result<User>, SomeErr>>
      >()
      expectTypeOf(Effect.fail(new SomeErr()).pipe(SingleFlight.do(g, "1"))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr>
      >()
      expectTypeOf(SingleFlight.doFork(g, "1", Effect.fail(new SomeErr()))).toEqualTypeOf<
        Effect.Effect<Fiber.Fiber<SingleFlight.Result<User>, SomeErr>>
      >()
      // @ts-expect-error the value type is the group's
      yield* SingleFlight.do(g, "1", Effect.succeed("not a user"))
      // @ts-expect-error the error type is the group's
      yield* SingleFlight.do(g, "1", Effect.fail(new Other()))
      // @ts-expect-error keys are strings unless the group says otherwise
      yield* SingleFlight.do(g, 1, Effect.succeed(new User({ id: 1 })))
      // @ts-expect-error the pipeable form checks too
      yield* Effect.succeed("not a user").pipe(SingleFlight.do(g, "1"))
      // @ts-expect-error invariant in the value type: callers share one value
      const widened: SingleFlight.SingleFlight<User | string, SomeErr> = g
      const byTuple = yield* SingleFlight.make<string, never, readonly [string, number]>()
      yield* SingleFlight.do(byTuple, ["user", 1], Effect.succeed("x"))
      // @ts-expect-error wrong key shape
      yield* SingleFlight.forget(byTuple, "user")
      expectTypeOf(SingleFlight.keys(byTuple)).toEqualTypeOf<Effect.Effect<ReadonlyArray<readonly [string, number]>>>()
      return widened
    })
    expectTypeOf(SingleFlight.make<User>()).toEqualTypeOf<
      Effect.Effect<SingleFlight.SingleFlight<User, never, string>, never, Scope.Scope>
    >()
    expectTypeOf(SingleFlight.make<User, SomeErr, number>({ name: "users" })).toEqualTypeOf<
      Effect.Effect<SingleFlight.SingleFlight<User, SomeErr, number>, never, Scope.Scope>
    >()
  })

  it("types: a flight is accepted with exactly the errors it can have, whatever E is", () => {
    class User extends Data.Class<{ readonly id: number }> {}
    const fetchUser = (id: number): Effect.Effect<User, SomeErr> => Effect.succeed(new User({ id }))
    // Built for its types only, never run.
    Effect.gen(function* () {
      // A flight under a timeout context fails with its own error or the
      // context's: bad durations are defects, not part of E.
      const g = yield* SingleFlight.make<User, SomeErr | GoContext.ContextError>()
      const underTimeout = Effect.flatMap(GoContext.withTimeout(GoContext.background, "300 millis"), ([ctx]) =>
        GoContext.run(ctx, fetchUser(1))
      )
      expectTypeOf(SingleFlight.do(g, "1", underTimeout)).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr | GoContext.ContextError>
      >()
      expectTypeOf(underTimeout.pipe(SingleFlight.do(g, "1"))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr | GoContext.ContextError>
      >()
      // An effect that can fail with less than the group's E is accepted.
      expectTypeOf(SingleFlight.do(g, "1", fetchUser(1))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr | GoContext.ContextError>
      >()
      // A pipeline's bad options are defects: parallel fails with fetchUser's errors only.
      const all = yield* SingleFlight.make<Array<User>, SomeErr>()
      const both = Pipeline.parallel([1, 2], fetchUser, { workers: 2 })
      expectTypeOf(SingleFlight.doFork(all, "all", both)).toEqualTypeOf<
        Effect.Effect<Fiber.Fiber<SingleFlight.Result<Array<User>>, SomeErr>>
      >()
      expectTypeOf(both.pipe(SingleFlight.do(all, "all"))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<Array<User>>, SomeErr>
      >()
      // Generic code over any group.
      const cached = <A, E, R>(group: SingleFlight.SingleFlight<A, E>, key: string, effect: Effect.Effect<A, E, R>) =>
        SingleFlight.do(group, key, effect)
      expectTypeOf(cached(g, "1", fetchUser(1))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<User>, SomeErr | GoContext.ContextError>
      >()
      const anyError = yield* SingleFlight.make<number, unknown>()
      expectTypeOf(SingleFlight.do(anyError, "x", Effect.fail("boom"))).toEqualTypeOf<
        Effect.Effect<SingleFlight.Result<number>, unknown>
      >()
    })
  })
})

/**
 * Lost wake-ups: Effect's run loop may yield before evaluating any effect once
 * a fiber's op budget (`MaxOpsBeforeYield`) is spent, which can fall between
 * a caller's check that the flight has not ended and its parking; the flight
 * then ends with nobody to wake. Every budget from 3 to 40 (1 and 2 livelock
 * Effect itself) puts that yield at every point of the operations; a hang
 * becomes a failure through the timeout.
 */
describe("SingleFlight: no lost wake-ups under any op budget", () => {
  it.live("4 callers of 2 keys, in rounds: every caller gets its flight's value", () =>
    Effect.forEach(
      budgets,
      (budget) =>
        Effect.scoped(
          Effect.gen(function* () {
            const g = yield* SingleFlight.make<number, never, string>()
            let flights = 0
            for (let round = 0; round < 20; round++) {
              const call = (key: string) =>
                Effect.map(
                  SingleFlight.do(
                    g,
                    key,
                    Effect.andThen(
                      loop(round % 4, Effect.yieldNow),
                      Effect.sync(() => ++flights)
                    )
                  ),
                  (r) => r.value
                )
              const before = flights
              const callers = yield* Effect.forEach(["a", "b", "a", "b"], (key) => Effect.forkChild(call(key)))
              // Each caller gets the value of a flight of this round (the
              // second caller of a key joins the first's flight, or starts
              // its own if that one ended already).
              for (const value of yield* Fiber.joinAll(callers)) {
                expect(value > before && value <= flights).toBe(true)
              }
              expect(flights - before).toBeLessThanOrEqual(4)
            }
            expect(yield* SingleFlight.blocked(g)).toEqual([])
          })
        ).pipe(
          Effect.provideService(Scheduler.MaxOpsBeforeYield, budget),
          Effect.timeoutOrElse({
            duration: "2 seconds",
            orElse: () => Effect.die(`hung with MaxOpsBeforeYield=${budget}`)
          })
        ),
      { discard: true }
    )
  )
})

/**
 * Interruption at every blocking point, under every op budget: the yield the
 * budget forces lands at every step of a caller leaving, the flight ending,
 * and a caller arriving meanwhile.
 */
describe("SingleFlight: interruption at every blocking point, under any op budget", () => {
  it.live("a follower interrupted as the flight ends: the other caller gets the value, nothing is left behind", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>()
        for (let round = 0; round < 16; round++) {
          const gate = yield* Deferred.make<void>()
          let runs = 0
          let interrupted = 0
          const flight = Effect.suspend(() => {
            runs++
            return Effect.as(Deferred.await(gate), round)
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted++)))
          const stays = yield* Effect.forkChild(SingleFlight.do(g, "k", flight))
          const leaves = yield* Effect.forkChild(SingleFlight.do(g, "k", flight))
          yield* untilBlocked(g, 2)
          // The interruption and the flight's end race; the yields shift one against the other.
          const interrupting = yield* Effect.forkChild(
            Effect.andThen(loop(round % 4, Effect.yieldNow), Fiber.interrupt(leaves))
          )
          yield* loop(Math.floor(round / 4), Effect.yieldNow)
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(interrupting)
          expect(yield* Fiber.join(stays)).toEqual({ value: round, shared: true })
          const exit = yield* Fiber.await(leaves)
          if (Exit.isSuccess(exit)) expect(exit.value).toEqual({ value: round, shared: true })
          else expect(interruptedOnly(exit)).toBe(true)
          expect([runs, interrupted]).toEqual([1, 0])
          expect(yield* SingleFlight.blocked(g)).toEqual([])
          expect(yield* SingleFlight.keys(g)).toEqual([])
        }
      })
    )
  )

  it.live("every caller leaving at once: the flight is interrupted, and stopped when the last one returns", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<number>()
        for (let round = 0; round < 16; round++) {
          let runs = 0
          let stopped = 0
          const flight = Effect.suspend(() => {
            runs++
            return Effect.never
          }).pipe(
            // A finalizer taking a few steps: the last caller out waits for it.
            Effect.onInterrupt(() =>
              Effect.andThen(
                loop(round % 3, Effect.yieldNow),
                Effect.sync(() => stopped++)
              )
            )
          )
          const callers = yield* Effect.forEach([0, 1], () => Effect.forkChild(SingleFlight.do(g, "k", flight)))
          if (round % 2 === 0) yield* untilBlocked(g, 2)
          const interrupting = yield* Effect.forEach([round % 4, Math.floor(round / 4)], (shift, i) =>
            Effect.forkChild(Effect.andThen(loop(shift, Effect.yieldNow), Fiber.interrupt(callers[i]!)))
          )
          yield* Fiber.joinAll(interrupting)
          // Both interruptions returned: every flight that started (a second
          // one if a caller came only after the first had been abandoned) is
          // stopped.
          expect(stopped).toBe(runs)
          for (const caller of callers) expect(interruptedOnly(yield* Fiber.await(caller))).toBe(true)
          expect(yield* SingleFlight.blocked(g)).toEqual([])
          expect(yield* SingleFlight.keys(g)).toEqual([])
        }
      })
    )
  )

  it.live("a caller arriving while the flight is being interrupted joins it before, or starts afresh after", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const g = yield* SingleFlight.make<string>()
        for (let round = 0; round < 16; round++) {
          let stopped = 0
          const flight = Effect.as(loop(40, Effect.yieldNow), "old").pipe(
            Effect.onInterrupt(() =>
              Effect.andThen(
                loop(round % 3, Effect.yieldNow),
                Effect.sync(() => stopped++)
              )
            )
          )
          const leaving = yield* Effect.forkChild(SingleFlight.do(g, "k", flight))
          yield* untilBlocked(g, 1)
          const interrupting = yield* Effect.forkChild(Fiber.interrupt(leaving))
          yield* loop(round % 5, Effect.yieldNow)
          const late = yield* Effect.forkChild(SingleFlight.do(g, "k", Effect.succeed("new")))
          yield* Fiber.join(interrupting)
          const result = yield* Fiber.join(late)
          if (result.value === "old") {
            // Joined before the first caller left: the flight went on for it.
            expect(result.shared).toBe(true)
            expect(stopped).toBe(0)
          } else {
            expect(result).toEqual({ value: "new", shared: false })
            // Stopped by its caller leaving, unless it had ended first.
            expect(stopped).toBe(interruptedOnly(yield* Fiber.await(leaving)) ? 1 : 0)
          }
          expect(yield* SingleFlight.blocked(g)).toEqual([])
          expect(yield* SingleFlight.keys(g)).toEqual([])
        }
      })
    )
  )

  it.live(
    "a flight waiting for a forked child that calls do on its key: interrupting the caller or closing the scope returns",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          for (let round = 0; round < 16; round++) {
            const scope = yield* Scope.make()
            const g = yield* SingleFlight.make<string>().pipe(Scope.provide(scope))
            const recursive: Effect.Effect<string> = Effect.andThen(
              loop(round % 3, Effect.yieldNow),
              Effect.suspend(() =>
                Effect.flatMap(Effect.forkChild(SingleFlight.do(g, "k", recursive)), (f) =>
                  Effect.map(Fiber.join(f), (r) => r.value)
                )
              )
            )
            const caller = yield* Effect.forkChild(SingleFlight.do(g, "k", recursive))
            yield* loop(Math.floor(round / 2), Effect.yieldNow)
            // Even rounds interrupt the caller, odd rounds close the group's scope under it.
            yield* round % 2 === 0 ? Fiber.interrupt(caller) : Scope.close(scope, Exit.void)
            expect(interruptedOnly(yield* Fiber.await(caller))).toBe(true)
            yield* Scope.close(scope, Exit.void)
            expect(yield* SingleFlight.blocked(g)).toEqual([])
            expect(yield* SingleFlight.keys(g)).toEqual([])
          }
        })
      )
  )
})

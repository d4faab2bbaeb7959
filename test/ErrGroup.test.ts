import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import * as ErrGroup from "../src/ErrGroup.ts"
import { advance, settle } from "./utils/fibers.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { closeFromTheFirstTask, goRacingTheClose, startsUnderYieldEveryStep, YieldEveryStep } from "./utils/groups.ts"
import { it } from "./utils/leak.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}
class Other extends Data.TaggedError("Other")<{}> {}

/** The error or defect an Exit failed with (undefined on success). */
const squashed = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

const ops = <E, W>(g: ErrGroup.ErrGroup<E, W>) => Effect.map(ErrGroup.blocked(g), (blocked) => blocked.map((b) => b.op))

/** The InvalidLimitError an effect died with (it fails the test if it did anything else). */
const limitDefect = (effect: Effect.Effect<unknown, unknown, Scope.Scope>) =>
  Effect.map(Effect.exit(Effect.scoped(effect)), (exit) => {
    const defect = defectOf(exit)
    expect(defect).toBeInstanceOf(ErrGroup.InvalidLimitError)
    return defect as ErrGroup.InvalidLimitError
  })

/** A task that blocks until interrupted, counting its interruption. */
const blockForever = (onInterrupt: () => void): Effect.Effect<void> =>
  Effect.onInterrupt(Effect.never, () => Effect.sync(onInterrupt))

describe("ErrGroup", () => {
  describe("Go's errgroup_test.go", () => {
    it.effect("TestZeroGroup: wait returns the first failure and keeps it across later go/wait rounds", () =>
      Effect.gen(function* () {
        const err1 = new Boom({ n: 1 })
        const err2 = new Boom({ n: 2 })
        const cases: ReadonlyArray<ReadonlyArray<Boom | undefined>> = [
          [],
          [undefined],
          [err1],
          [err1, undefined],
          [err1, undefined, err2]
        ]
        for (const errs of cases) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const g = yield* ErrGroup.make<Boom>()
              expect(Exit.isSuccess(yield* Effect.exit(ErrGroup.wait(g)))).toBe(true)
              let firstErr: Boom | undefined
              for (const err of errs) {
                yield* ErrGroup.go(g, err === undefined ? Effect.void : Effect.fail(err))
                if (firstErr === undefined && err !== undefined) firstErr = err
                const exit = yield* Effect.exit(ErrGroup.wait(g))
                if (firstErr === undefined) expect(Exit.isSuccess(exit)).toBe(true)
                else expect(squashed(exit)).toBe(firstErr)
              }
            })
          )
        }
      })
    )

    it.effect("TestWithContext: the first failure cancels the group (siblings are interrupted)", () =>
      Effect.gen(function* () {
        const doom = new Boom({ n: 0 })
        const cases: ReadonlyArray<{ errs: ReadonlyArray<Boom | undefined>; want: Boom | undefined }> = [
          { errs: [], want: undefined },
          { errs: [undefined], want: undefined },
          { errs: [doom], want: doom },
          { errs: [doom, undefined], want: doom }
        ]
        for (const { errs, want } of cases) {
          let cancelled = 0
          yield* Effect.scoped(
            Effect.gen(function* () {
              const g = yield* ErrGroup.make<Boom>()
              // The sibling plays `<-ctx.Done()`: it only stops when the group is cancelled.
              if (want !== undefined)
                yield* ErrGroup.go(
                  g,
                  blockForever(() => cancelled++)
                )
              for (const err of errs) yield* ErrGroup.go(g, err === undefined ? Effect.void : Effect.fail(err))
              const exit = yield* Effect.exit(ErrGroup.wait(g))
              if (want === undefined) {
                expect(Exit.isSuccess(exit)).toBe(true)
                // Go cancels ctx when Wait returns; here the group's scope does it.
                yield* ErrGroup.go(
                  g,
                  blockForever(() => cancelled++)
                )
                yield* settle
              } else {
                expect(squashed(exit)).toBe(want)
                expect(cancelled).toBe(1)
              }
              expect(yield* ErrGroup.active(g)).toBe(want === undefined ? 1 : 0)
            })
          )
          expect(cancelled).toBe(1)
        }
      })
    )

    it.effect("TestCancelCause: cause(g) is the first failure, and interrupted siblings can read it", () =>
      Effect.gen(function* () {
        const doom = new Boom({ n: 0 })
        const cases: ReadonlyArray<{ errs: ReadonlyArray<Boom | undefined>; want: Boom | undefined }> = [
          { errs: [], want: undefined },
          { errs: [undefined], want: undefined },
          { errs: [doom], want: doom },
          { errs: [doom, undefined], want: doom }
        ]
        for (const { errs, want } of cases) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const g = yield* ErrGroup.make<Boom>()
              for (const err of errs) {
                expect(yield* ErrGroup.tryGo(g, err === undefined ? Effect.void : Effect.fail(err))).toBe(true)
              }
              const exit = yield* Effect.exit(ErrGroup.wait(g))
              expect(squashed(exit)).toBe(want)
              const cause = yield* ErrGroup.cause(g)
              expect(Option.map(cause, Cause.squash)).toEqual(want === undefined ? Option.none() : Option.some(want))
            })
          )
        }

        // What an interrupted sibling sees from its finalizer.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const g = yield* ErrGroup.make<Boom>()
            let seen: Option.Option<Cause.Cause<Boom>> = Option.none()
            let interruptors: ReadonlySet<number> = new Set()
            let failingFiber = -1
            yield* ErrGroup.go(
              g,
              Effect.onInterrupt(Effect.never, (ids) =>
                Effect.map(ErrGroup.cause(g), (cause) => {
                  seen = cause
                  interruptors = ids
                })
              )
            )
            yield* settle
            yield* ErrGroup.go(
              g,
              Effect.withFiber((fiber) => {
                failingFiber = fiber.id
                return Effect.fail(doom)
              })
            )
            expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toBe(doom)
            expect(Option.map(seen, Cause.squash)).toEqual(Option.some(doom))
            expect([...interruptors]).toEqual([failingFiber])
          })
        )
      })
    )

    it.effect("TestTryGo: at limit 42, 42 tryGo succeed and the 43rd fails; it succeeds again after wait", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make()
        const n = 42
        yield* ErrGroup.setLimit(g, n)
        let gate = yield* Deferred.make<void>()
        const fn = Effect.suspend(() => Deferred.await(gate))
        for (let i = 0; i < n; i++) {
          expect(yield* ErrGroup.tryGo(g, fn)).toBe(true)
        }
        expect(yield* ErrGroup.tryGo(g, fn)).toBe(false)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)

        gate = yield* Deferred.make<void>()
        expect(yield* ErrGroup.tryGo(g, fn)).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)

        // Switch limit.
        yield* ErrGroup.setLimit(g, 1)
        gate = yield* Deferred.make<void>()
        expect(yield* ErrGroup.tryGo(g, fn)).toBe(true)
        expect(yield* ErrGroup.tryGo(g, fn)).toBe(false)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)

        // Block all calls.
        yield* ErrGroup.setLimit(g, 0)
        for (let i = 0; i < 1 << 10; i++) {
          expect(yield* ErrGroup.tryGo(g, fn)).toBe(false)
        }
        yield* ErrGroup.wait(g)
        expect(yield* ErrGroup.active(g)).toBe(0)
      })
    )

    it.effect("TestGoLimit: at most `limit` tasks run at once, and the limit is reached", () =>
      Effect.gen(function* () {
        const limit = 10
        const g = yield* ErrGroup.make<string>({ limit })
        let active = 0
        let max = 0
        for (let i = 0; i <= 1 << 10; i++) {
          yield* ErrGroup.go(
            g,
            Effect.suspend(() => {
              const n = ++active
              max = Math.max(max, n)
              if (n > limit) return Effect.fail(`saw ${n} active tasks; want ≤ ${limit}`)
              // Give the other tasks a chance to increment active.
              return Effect.andThen(
                Effect.yieldNow,
                Effect.sync(() => {
                  active--
                })
              )
            })
          )
        }
        yield* ErrGroup.wait(g)
        expect(max).toBe(limit)
      })
    )
  })

  describe("cancellation", () => {
    it.effect("the first failure interrupts the siblings, and wait returns only after they stopped", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        const boom = new Boom({ n: 1 })
        let cleaned = false
        yield* ErrGroup.go(
          g,
          Effect.onInterrupt(Effect.never, () =>
            Effect.andThen(
              Effect.sleep("1 second"),
              Effect.sync(() => {
                cleaned = true
              })
            )
          )
        )
        yield* ErrGroup.go(g, Effect.andThen(Effect.sleep("10 millis"), Effect.fail(boom)))
        const waiter = yield* Effect.forkChild(Effect.exit(ErrGroup.wait(g)))
        yield* advance("10 millis")
        yield* settle
        // The failure is in, the sibling is still cleaning up: wait has not returned.
        expect(waiter.pollUnsafe()).toBeUndefined()
        expect(yield* ErrGroup.active(g)).toBe(1)
        expect(yield* ops(g)).toEqual(["wait"])
        yield* advance("1 second")
        const exit = yield* Fiber.join(waiter)
        expect(cleaned).toBe(true)
        // Only the failure: the sibling's interruption is not reported.
        expect(Exit.isFailure(exit) && exit.cause.reasons.length).toBe(1)
        expect(squashed(exit)).toBe(boom)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
      })
    )

    it.effect("a defect in a task cancels the group and reaches wait as a defect", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        const defect = new Error("nil pointer dereference")
        let interrupted = 0
        yield* ErrGroup.go(
          g,
          blockForever(() => interrupted++)
        )
        yield* ErrGroup.go(g, Effect.die(defect))
        const exit = yield* Effect.exit(ErrGroup.wait(g))
        expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
        expect(Exit.isFailure(exit) && Cause.hasFails(exit.cause)).toBe(false)
        expect(squashed(exit)).toBe(defect)
        expect(interrupted).toBe(1)
        // It stays the result, as a failure does.
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toBe(defect)
      })
    )

    it.effect("a failure is reported without the task's own interrupted parts", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        // As a task whose own parallel part was interrupted when another part failed.
        yield* ErrGroup.go(
          g,
          Effect.failCause(
            Cause.fromReasons([Cause.makeInterruptReason(123), Cause.makeFailReason(new Boom({ n: 1 }))])
          )
        )
        const exit = yield* Effect.exit(ErrGroup.wait(g))
        expect(Exit.isFailure(exit) && exit.cause.reasons.map((r) => r._tag)).toEqual(["Fail"])
        expect(squashed(exit)).toEqual(new Boom({ n: 1 }))
      })
    )

    it.effect("a task ending by interruption alone is not a failure (Go: runtime.Goexit records no error)", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        let finished = false
        yield* ErrGroup.go(g, Effect.interrupt)
        yield* ErrGroup.go(
          g,
          Effect.andThen(
            Effect.sleep("1 second"),
            Effect.sync(() => {
              finished = true
            })
          )
        )
        const waiter = yield* Effect.forkChild(ErrGroup.wait(g))
        yield* advance("1 second")
        yield* Fiber.join(waiter)
        expect(finished).toBe(true)
        expect(yield* ErrGroup.cause(g)).toEqual(Option.none())
      })
    )

    it.effect("no task starts after the group is cancelled: queued, later and tryGo tasks are dropped", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>({ limit: 1 })
        const ran: Array<string> = []
        yield* ErrGroup.go(g, Effect.andThen(Effect.sleep("10 millis"), Effect.fail(new Boom({ n: 1 }))))
        const queued = yield* Effect.forEach(["q1", "q2"], (name) =>
          Effect.forkChild(
            ErrGroup.go(
              g,
              Effect.sync(() => ran.push(name))
            )
          )
        )
        yield* settle
        expect(yield* ops(g)).toEqual(["go", "go"])
        yield* advance("10 millis")
        // The queued go calls return: their tasks were dropped.
        yield* Fiber.joinAll(queued)
        yield* ErrGroup.go(
          g,
          Effect.sync(() => ran.push("later"))
        )
        expect(
          yield* ErrGroup.tryGo(
            g,
            Effect.sync(() => ran.push("tryGo"))
          )
        ).toBe(true)
        yield* settle
        expect(ran).toEqual([])
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toEqual(new Boom({ n: 1 }))
      })
    )

    it.effect("a task forked but not yet started when the group fails never runs", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        let ran = false
        // Both are forked before either starts; the first one fails at its first step.
        yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 1 })))
        yield* ErrGroup.go(
          g,
          Effect.sync(() => {
            ran = true
          })
        )
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toEqual(new Boom({ n: 1 }))
        expect(ran).toBe(false)
      })
    )

    it.effect("every waiter gets the result", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        const gate = yield* Deferred.make<void>()
        const boom = new Boom({ n: 7 })
        yield* ErrGroup.go(g, Effect.andThen(Deferred.await(gate), Effect.fail(boom)))
        const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(Effect.exit(ErrGroup.wait(g))))
        yield* settle
        expect(yield* ops(g)).toEqual(["wait", "wait", "wait"])
        yield* Deferred.succeed(gate, undefined)
        const exits = yield* Fiber.joinAll(waiters)
        expect(exits.map(squashed)).toEqual([boom, boom, boom])
      })
    )
  })

  describe("limit", () => {
    it.effect("go waits for a slot, and slots are handed over in FIFO order", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 2, name: "crawler" })
        const gates = yield* Effect.forEach([0, 1], () => Deferred.make<void>())
        const order: Array<number> = []
        yield* Effect.forEach(gates, (gate) => ErrGroup.go(g, Deferred.await(gate)))
        const callers = yield* Effect.forEach([1, 2, 3], (i) =>
          Effect.forkChild(
            ErrGroup.go(
              g,
              Effect.sync(() => order.push(i))
            )
          )
        )
        yield* settle
        const blocked = yield* ErrGroup.blocked(g)
        expect(blocked.map((b) => [b.primitive, b.name, b.op])).toEqual([
          ["ErrGroup", "crawler", "go"],
          ["ErrGroup", "crawler", "go"],
          ["ErrGroup", "crawler", "go"]
        ])
        expect(yield* ErrGroup.active(g)).toBe(2)
        yield* Deferred.succeed(gates[0]!, undefined)
        yield* settle
        yield* Deferred.succeed(gates[1]!, undefined)
        yield* Fiber.joinAll(callers)
        yield* ErrGroup.wait(g)
        expect(order).toEqual([1, 2, 3])
        expect(yield* ErrGroup.active(g)).toBe(0)
      })
    )

    it.effect("an interrupted go leaves the queue: nothing starts, no slot is taken, the next caller gets it", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const gate = yield* Deferred.make<void>()
        const ran: Array<string> = []
        yield* ErrGroup.go(g, Deferred.await(gate))
        const a = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("a"))
          )
        )
        const b = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("b"))
          )
        )
        yield* settle
        expect(yield* ops(g)).toEqual(["go", "go"])
        yield* Fiber.interrupt(a)
        expect(yield* ops(g)).toEqual(["go"])
        expect(yield* ErrGroup.active(g)).toBe(1)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(b)
        yield* ErrGroup.wait(g)
        expect(ran).toEqual(["b"])
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
        expect(yield* ErrGroup.tryGo(g, Effect.void)).toBe(true)
        yield* ErrGroup.wait(g)
      })
    )

    it.effect("a go call handed a slot but interrupted before it resumed gives the slot back", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const ran: Array<string> = []
        const gate = yield* Deferred.make<void>()
        yield* ErrGroup.go(g, Deferred.await(gate))
        const a = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("a"))
          )
        )
        const b = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("b"))
          )
        )
        yield* settle
        expect(yield* ops(g)).toEqual(["go", "go"])
        // Completing the gate runs the task to its end on this stack: its
        // slot goes to a (resumed later), and b still waits.
        yield* Deferred.succeed(gate, undefined)
        expect(yield* ops(g)).toEqual(["go"])
        expect(yield* ErrGroup.active(g)).toBe(1)
        expect(ran).toEqual([]) // a holds the slot but has not resumed
        yield* Fiber.interrupt(a)
        yield* Fiber.join(b)
        yield* ErrGroup.wait(g)
        expect(ran).toEqual(["b"])
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
      })
    )

    it.effect.prop(
      "interrupting any subset of queued go calls: the others run in order, every slot comes back",
      [Schema.Array(Schema.Boolean)],
      ([interruptMask]) =>
        Effect.gen(function* () {
          const g = yield* ErrGroup.make({ limit: 1 })
          const gate = yield* Deferred.make<void>()
          const ran: Array<number> = []
          yield* ErrGroup.go(g, Deferred.await(gate))
          const callers = yield* Effect.forEach(interruptMask, (_, i) =>
            Effect.forkChild(
              ErrGroup.go(
                g,
                Effect.sync(() => ran.push(i))
              )
            )
          )
          yield* settle
          yield* Effect.forEach(callers, (f, i) => (interruptMask[i] ? Fiber.interrupt(f) : Effect.void))
          expect((yield* ErrGroup.blocked(g)).length).toBe(interruptMask.filter((x) => !x).length)
          yield* Deferred.succeed(gate, undefined)
          yield* Effect.forEach(callers, Fiber.await)
          yield* ErrGroup.wait(g)
          expect(ran).toEqual(interruptMask.flatMap((interrupted, i) => (interrupted ? [] : [i])))
          expect(yield* ErrGroup.active(g)).toBe(0)
          expect(yield* ErrGroup.blocked(g)).toEqual([])
        })
    )

    it.effect("raising the limit admits waiting go calls at once; lowering it applies as tasks finish", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const gates = yield* Effect.forEach([0, 1, 2, 3], () => Deferred.make<void>())
        const started: Array<number> = []
        const task = (i: number) =>
          Effect.andThen(
            Effect.sync(() => started.push(i)),
            Deferred.await(gates[i]!)
          )
        yield* ErrGroup.go(g, task(0))
        const callers = yield* Effect.forEach([1, 2, 3], (i) => Effect.forkChild(ErrGroup.go(g, task(i))))
        yield* settle
        expect(started).toEqual([0])
        expect(yield* ops(g)).toEqual(["go", "go", "go"])

        yield* ErrGroup.setLimit(g, 3)
        yield* settle
        expect(started).toEqual([0, 1, 2])
        expect(yield* ErrGroup.active(g)).toBe(3)
        expect(yield* ops(g)).toEqual(["go"])

        // Lowering interrupts nobody: the three keep running; 3 starts only below the new limit.
        yield* ErrGroup.setLimit(g, 1)
        yield* Deferred.succeed(gates[0]!, undefined)
        yield* Deferred.succeed(gates[1]!, undefined)
        yield* settle
        expect(started).toEqual([0, 1, 2])
        expect(yield* ErrGroup.active(g)).toBe(1)
        expect(yield* ops(g)).toEqual(["go"])
        expect(yield* ErrGroup.tryGo(g, Effect.void)).toBe(false)
        yield* Deferred.succeed(gates[2]!, undefined)
        yield* settle
        expect(started).toEqual([0, 1, 2, 3])
        expect(yield* ErrGroup.active(g)).toBe(1)
        yield* Deferred.succeed(gates[3]!, undefined)
        yield* Fiber.joinAll(callers)
        yield* ErrGroup.wait(g)
        expect(yield* ErrGroup.cause(g)).toEqual(Option.none())
      })
    )

    it.effect("raising the limit: a go call interrupted by one admitted before it gives its slot back", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const gate = yield* Deferred.make<void>()
        const ran: Array<string> = []
        yield* ErrGroup.go(g, Deferred.await(gate))
        let b: Fiber.Fiber<unknown> | undefined
        // a's caller, resumed on setLimit's stack, interrupts b (parked, given
        // a slot by the same setLimit but not woken yet).
        const a = yield* Effect.forkChild(
          Effect.andThen(
            ErrGroup.go(
              g,
              Effect.sync(() => ran.push("a"))
            ),
            Effect.sync(() => b!.interruptUnsafe())
          )
        )
        b = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("b"))
          )
        )
        const c = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("c"))
          )
        )
        yield* settle
        expect(yield* ops(g)).toEqual(["go", "go", "go"])
        // Two slots free: a and b are admitted, c still waits.
        yield* ErrGroup.setLimit(g, 3)
        expect(yield* Fiber.await(b)).toMatchObject({ _tag: "Failure" })
        yield* settle
        // b's slot came back and went to c.
        expect(ran).toEqual(["a", "c"])
        yield* Fiber.join(a)
        yield* Fiber.join(c)
        expect(yield* ErrGroup.active(g)).toBe(1)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
      })
    )

    it.effect("a negative limit means no limit; it admits every waiting go call", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const gate = yield* Deferred.make<void>()
        yield* ErrGroup.go(g, Deferred.await(gate))
        const callers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(ErrGroup.go(g, Deferred.await(gate))))
        yield* settle
        yield* ErrGroup.setLimit(g, -1)
        yield* Fiber.joinAll(callers)
        expect(yield* ErrGroup.active(g)).toBe(4)
        for (let i = 0; i < 100; i++) expect(yield* ErrGroup.tryGo(g, Deferred.await(gate))).toBe(true)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)

        const unlimited = yield* ErrGroup.make({ limit: -5 })
        for (let i = 0; i < 100; i++) expect(yield* ErrGroup.tryGo(unlimited, Effect.never)).toBe(true)
        const infinite = yield* ErrGroup.make({ limit: Infinity })
        expect(yield* ErrGroup.tryGo(infinite, Effect.void)).toBe(true)
      })
    )

    it.effect("limit 0 pauses the group: go waits (interruptibly) until the limit is raised", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 0 })
        const ran: Array<string> = []
        expect(
          yield* ErrGroup.tryGo(
            g,
            Effect.sync(() => ran.push("try"))
          )
        ).toBe(false)
        const a = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("a"))
          )
        )
        const b = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("b"))
          )
        )
        yield* settle
        // Nothing runs, so wait does not wait for the paused calls (as in Go).
        yield* ErrGroup.wait(g)
        yield* Fiber.interrupt(a)
        expect(yield* ops(g)).toEqual(["go"])
        yield* ErrGroup.setLimit(g, 1)
        yield* Fiber.join(b)
        yield* ErrGroup.wait(g)
        expect(ran).toEqual(["b"])
      })
    )

    it.effect("bad limits are a defect (InvalidLimitError) and change nothing", () =>
      Effect.gen(function* () {
        for (const limit of [Number.NaN, 1.5, -0.5]) {
          const error = yield* limitDefect(ErrGroup.make({ limit }))
          expect(error.limit).toBe(limit)
          expect(error.message).toContain(String(limit))
        }
        const g = yield* ErrGroup.make({ limit: 1 })
        const error = yield* limitDefect(ErrGroup.setLimit(g, Number.NaN))
        expect(error._tag).toBe("InvalidLimitError")
        yield* limitDefect(ErrGroup.setLimit(g, 2.5))
        // Still limit 1.
        expect(yield* ErrGroup.tryGo(g, Effect.never)).toBe(true)
        expect(yield* ErrGroup.tryGo(g, Effect.never)).toBe(false)
      })
    )

    it.effect("bad limits are reported inside the effect, with what was given and what is wanted", () =>
      Effect.gen(function* () {
        const want =
          "want an integer: positive, 0 to pause the group (not in forEach), or negative or undefined for no limit"
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [Number.NaN, "NaN"],
          [1.5, "1.5"],
          [-0.5, "-0.5"],
          ["3", '"3"'],
          [null, "null"],
          [true, "true"],
          [2n, "2n"]
        ]
        const g = yield* ErrGroup.make({ limit: 1 })
        for (const [bad, shown] of cases) {
          const message = `errgroup: invalid limit ${shown}: ${want}`
          // Built without running: nothing is thrown until the effect runs.
          const made = ErrGroup.make({ limit: bad as number })
          const set = ErrGroup.setLimit(g, bad as number)
          const each = ErrGroup.forEach([1], (n) => Effect.succeed(n), { limit: bad as number })
          for (const effect of [made, set, each] as ReadonlyArray<Effect.Effect<unknown, unknown, Scope.Scope>>) {
            const error = yield* limitDefect(effect)
            expect(Object.is(error.limit, bad)).toBe(true)
            expect(error.message).toBe(message)
          }
        }
        // 0 is valid for make and setLimit (it pauses the group), not for forEach.
        const zero = yield* limitDefect(ErrGroup.forEach([1], (n) => Effect.succeed(n), { limit: 0 }))
        expect(zero.message).toBe(
          "errgroup: invalid limit 0 for forEach: want a positive integer, or a negative one or undefined for no limit (0 would never start an item)"
        )
        yield* ErrGroup.setLimit(g, 0)
        expect(Exit.isSuccess(yield* Effect.exit(Effect.scoped(ErrGroup.make({ limit: 0 }))))).toBe(true)
        // Still limit 0: nothing starts.
        expect(yield* ErrGroup.tryGo(g, Effect.void)).toBe(false)
      })
    )

    it.effect("a long chain of tasks each ending the wait of the next does not overflow the stack", () =>
      Effect.gen(function* () {
        const groups = yield* Effect.forEach(Array.from({ length: 10_001 }), () => ErrGroup.make())
        const gate = yield* Deferred.make<void>()
        yield* ErrGroup.go(groups[0]!, Deferred.await(gate))
        // Task i, in group i + 1, waits for group i: its end releases task i + 1.
        for (let i = 0; i < 10_000; i++) yield* ErrGroup.go(groups[i + 1]!, ErrGroup.wait(groups[i]!))
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(groups[10_000]!)
        expect(yield* ErrGroup.active(groups[5_000]!)).toBe(0)
      })
    )

    it.effect(
      "a long chain of slot hand-offs through a limit of 1 from tasks to go calls does not overflow the stack",
      () =>
        Effect.gen(function* () {
          const groups = yield* Effect.forEach(Array.from({ length: 10_001 }), () => ErrGroup.make({ limit: 1 }))
          const gates = yield* Effect.forEach(groups, () => Deferred.make<void>())
          // Group i is full with a task waiting for gate i; caller i waits for
          // a slot in group i, then opens gate i + 1: the end of the task in
          // group i lets caller i go, which ends the task of group i + 1, ...
          for (let i = 0; i <= 10_000; i++) yield* ErrGroup.go(groups[i]!, Deferred.await(gates[i]!))
          const callers = yield* Effect.forEach(Array.from({ length: 10_000 }), (_, i) =>
            Effect.forkChild(
              Effect.andThen(ErrGroup.go(groups[i]!, Effect.void), Deferred.succeed(gates[i + 1]!, undefined))
            )
          )
          yield* settle
          yield* Deferred.succeed(gates[0]!, undefined)
          yield* Fiber.joinAll(callers)
          yield* ErrGroup.wait(groups[10_000]!)
        })
    )

    it.effect("a long chain of slot hand-offs does not overflow the stack", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        const gate = yield* Deferred.make<void>()
        let done = 0
        yield* ErrGroup.go(g, Deferred.await(gate))
        const callers = yield* Effect.forEach(Array.from({ length: 5_000 }), () =>
          Effect.forkChild(
            ErrGroup.go(
              g,
              Effect.sync(() => done++)
            )
          )
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.joinAll(callers)
        yield* ErrGroup.wait(g)
        expect(done).toBe(5_000)
      })
    )
  })

  describe("interrupting wait, the owner, the scope", () => {
    it.effect("a task that closes its group's scope stops the other tasks and is not waited for by the close", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make().pipe(Scope.provide(scope))
        let interrupted = 0
        for (let i = 0; i < 3; i++) {
          yield* ErrGroup.go(
            g,
            Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
          )
        }
        let closed = false
        yield* ErrGroup.go(
          g,
          Effect.andThen(
            Scope.close(scope, Exit.void),
            Effect.sync(() => {
              closed = true
            })
          )
        )
        yield* Effect.exit(ErrGroup.wait(g))
        expect(interrupted).toBe(3)
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(closed).toBe(false) // the closing task was interrupted once the close returned
      })
    )

    it.effect("a failure after tasks ended in scattered order interrupts exactly those still running", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<string>()
        let interrupted = 0
        let running = 0
        const start = (task: Effect.Effect<void>) =>
          ErrGroup.go(
            g,
            Effect.acquireUseRelease(
              Effect.sync(() => running++),
              () => Effect.onInterrupt(task, () => Effect.sync(() => interrupted++)),
              () => Effect.sync(() => running--)
            )
          )
        for (let i = 0; i < 60; i++) {
          const duration = (i * 7) % 13
          yield* start(i % 3 === 0 ? Effect.never : Effect.sleep(`${duration} millis`))
        }
        yield* advance("6 millis")
        // More tasks, started after some of the first ones (the last among them) ended.
        for (let i = 0; i < 5; i++) yield* start(Effect.never)
        yield* settle
        const before = running
        expect(before).toBeGreaterThan(20)
        expect(before).toBeLessThan(60)
        yield* ErrGroup.go(g, Effect.fail("boom"))
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toBe("boom")
        expect(interrupted).toBe(before)
        expect(running).toBe(0)
      })
    )

    it.effect("closing the scope right after go interrupts the task at its first suspension and waits for it", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make().pipe(Scope.provide(scope))
        let started = false
        let finished = false
        // The task starts at once and suspends; the scope closes with no
        // yield in between.
        yield* Effect.andThen(
          ErrGroup.go(
            g,
            Effect.sync(() => {
              started = true
            }).pipe(
              Effect.andThen(Effect.yieldNow),
              Effect.andThen(
                Effect.sync(() => {
                  finished = true
                })
              )
            )
          ),
          Scope.close(scope, Exit.void)
        )
        expect(started).toBe(true)
        expect(finished).toBe(false)
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
      })
    )

    it.effect("a chain of 10,000 tasks, each started by the one before, runs without exhausting the stack", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make()
        let ran = 0
        const link = (n: number): Effect.Effect<void> =>
          Effect.suspend(() => {
            ran++
            return n === 0 ? Effect.void : Effect.asVoid(ErrGroup.go(g, link(n - 1)))
          })
        yield* ErrGroup.go(g, link(10_000))
        yield* ErrGroup.wait(g)
        expect(ran).toBe(10_001)
      })
    )

    it.effect("an interrupted wait leaves the waiter list; the tasks keep running", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make()
        const gate = yield* Deferred.make<void>()
        let done = false
        yield* ErrGroup.go(
          g,
          Effect.andThen(
            Deferred.await(gate),
            Effect.sync(() => {
              done = true
            })
          )
        )
        const waiter = yield* Effect.forkChild(ErrGroup.wait(g))
        yield* settle
        expect(yield* ops(g)).toEqual(["wait"])
        yield* Fiber.interrupt(waiter)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
        expect(yield* ErrGroup.active(g)).toBe(1)
        yield* Deferred.succeed(gate, undefined)
        yield* ErrGroup.wait(g)
        expect(done).toBe(true)
      })
    )

    it.effect("interrupting the fiber that owns the group interrupts every task", () =>
      Effect.gen(function* () {
        let interrupted = 0
        let started = 0
        const owner = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              const g = yield* ErrGroup.make({ limit: 3 })
              for (let i = 0; i < 5; i++) {
                yield* ErrGroup.go(
                  g,
                  Effect.andThen(
                    Effect.sync(() => started++),
                    blockForever(() => interrupted++)
                  )
                )
              }
              yield* ErrGroup.wait(g)
            })
          )
        )
        yield* settle
        // Three run; the owner waits for a slot for the fourth.
        expect(started).toBe(3)
        yield* Fiber.interrupt(owner)
        expect(interrupted).toBe(3)
        expect(started).toBe(3)
      })
    )

    it.effect("closing the scope interrupts the tasks, releases blocked go and wait calls, refuses later tasks", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make<Boom>({ limit: 2 }).pipe(Scope.provide(scope))
        let interrupted = 0
        const ran: Array<string> = []
        yield* ErrGroup.go(
          g,
          blockForever(() => interrupted++)
        )
        yield* ErrGroup.go(
          g,
          blockForever(() => interrupted++)
        )
        const queued = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("queued"))
          )
        )
        const waiter = yield* Effect.forkChild(Effect.exit(ErrGroup.wait(g)))
        yield* settle
        expect(yield* ops(g)).toEqual(["go", "wait"])
        yield* Scope.close(scope, Exit.void)
        expect(interrupted).toBe(2)
        yield* Fiber.join(queued)
        // The tasks did not complete: the waiter is told so by an interruption.
        const exit = yield* Fiber.join(waiter)
        expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
        // Later tasks are refused at the call: a defect, nothing started.
        const later = yield* Effect.exit(
          ErrGroup.go(
            g,
            Effect.sync(() => ran.push("later"))
          )
        )
        expect(Cause.squash((later as Exit.Failure<unknown, unknown>).cause)).toEqual(
          new ErrGroup.ErrGroupClosedError({ groupName: undefined, op: "go" })
        )
        const tried = yield* Effect.exit(
          ErrGroup.tryGo(
            g,
            Effect.sync(() => ran.push("tryGo"))
          )
        )
        expect(Exit.isFailure(tried) && Cause.hasDies(tried.cause)).toBe(true)
        expect(Cause.squash((tried as Exit.Failure<unknown, unknown>).cause)).toEqual(
          new ErrGroup.ErrGroupClosedError({ groupName: undefined, op: "tryGo" })
        )
        yield* settle
        expect(ran).toEqual([])
        expect(yield* ErrGroup.active(g)).toBe(0)
        expect(yield* ErrGroup.blocked(g)).toEqual([])
      })
    )

    it.effect("go and tryGo after the scope closed are refused with a defect, in every form; nothing starts", () =>
      Effect.gen(function* () {
        const ran: Array<string> = []
        const task = (name: string) => Effect.sync(() => ran.push(name))
        for (const options of [{ name: "crawl" }, { name: "crawl", limit: 1 }, { name: "crawl", collectAll: true }]) {
          const scope = yield* Scope.make()
          const g = yield* ErrGroup.make<Boom>(options).pipe(Scope.provide(scope))
          yield* ErrGroup.go(g, Effect.void)
          yield* ErrGroup.wait(g)
          yield* Scope.close(scope, Exit.void)
          const refused: ReadonlyArray<readonly [Exit.Exit<unknown, unknown>, "go" | "tryGo"]> = [
            [yield* Effect.exit(ErrGroup.go(g, task("go"))), "go"],
            [yield* Effect.exit(task("go, data-last").pipe(ErrGroup.go(g))), "go"],
            [yield* Effect.exit(ErrGroup.tryGo(g, task("tryGo"))), "tryGo"],
            [yield* Effect.exit(task("tryGo, data-last").pipe(ErrGroup.tryGo(g))), "tryGo"],
            // A forEach-like loop of go calls: the first one dies.
            [yield* Effect.exit(Effect.forEach([1, 2, 3], (n) => ErrGroup.go(g, task(`item ${n}`)))), "go"]
          ]
          for (const [exit, op] of refused) {
            expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
            const defect = squashed(exit)
            expect(defect).toEqual(new ErrGroup.ErrGroupClosedError({ groupName: "crawl", op }))
            expect((defect as Error).message).toBe(
              `errgroup: ${op === "go" ? "Go" : "TryGo"} on "crawl" after the group's scope closed: the task was not started (start tasks while the scope is open)`
            )
          }
          yield* settle
          expect(ran).toEqual([])
          expect(yield* ErrGroup.active(g)).toBe(0)
          expect(yield* ErrGroup.blocked(g)).toEqual([])
          // The rest keeps working: no failure, so wait says the group was stopped.
          expect(Exit.isSuccess(yield* Effect.exit(ErrGroup.setLimit(g, 3)))).toBe(true)
          expect(Option.isNone(yield* ErrGroup.cause(g))).toBe(true)
        }
        expect(new ErrGroup.ErrGroupClosedError({ groupName: undefined, op: "go" }).message).toBe(
          "errgroup: Go after the group's scope closed: the task was not started (start tasks while the scope is open)"
        )
      })
    )

    it.effect("a task calling go on its own group after the scope closed: the refusal reaches wait", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make().pipe(Scope.provide(scope))
        const gate = yield* Deferred.make<void>()
        let ran = false
        // An uninterruptible task outlives the close's interruption and then
        // starts a subtask on the closed group: a defect, not a lost task.
        yield* ErrGroup.go(
          g,
          Effect.uninterruptible(
            Effect.andThen(
              Deferred.await(gate),
              ErrGroup.go(
                g,
                Effect.sync(() => {
                  ran = true
                })
              )
            )
          )
        )
        yield* settle
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(closing)
        expect(ran).toBe(false)
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toBeInstanceOf(ErrGroup.ErrGroupClosedError)
      })
    )

    it.effect("closing the scope after a failure keeps the failure as wait's result", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make<Boom>().pipe(Scope.provide(scope))
        yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 3 })))
        yield* settle
        yield* Scope.close(scope, Exit.void)
        expect(squashed(yield* Effect.exit(ErrGroup.wait(g)))).toEqual(new Boom({ n: 3 }))
      })
    )
  })

  describe("collectAll (conc's pool.WithErrors)", () => {
    it.effect("waits for every task and fails with every failure in order; defects come along", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>({ collectAll: true })
        const defect = new Error("d")
        let finished = false
        yield* ErrGroup.go(g, Effect.andThen(Effect.sleep("20 millis"), Effect.fail(new Boom({ n: 1 }))))
        yield* ErrGroup.go(g, Effect.andThen(Effect.sleep("10 millis"), Effect.fail(new Boom({ n: 2 }))))
        yield* ErrGroup.go(g, Effect.andThen(Effect.sleep("5 millis"), Effect.die(defect)))
        yield* ErrGroup.go(
          g,
          Effect.andThen(
            Effect.sleep("30 millis"),
            Effect.sync(() => {
              finished = true
            })
          )
        )
        const waiter = yield* Effect.forkChild(Effect.exit(ErrGroup.wait(g)))
        yield* advance("20 millis")
        expect(waiter.pollUnsafe()).toBeUndefined()
        // Failures do not cancel: tasks still start.
        expect(yield* ErrGroup.tryGo(g, Effect.fail(new Boom({ n: 3 })))).toBe(true)
        yield* advance("10 millis")
        const exit = yield* Fiber.join(waiter)
        expect(finished).toBe(true)
        if (Exit.isSuccess(exit)) return expect.unreachable()
        const reasons = exit.cause.reasons
        expect(reasons.length).toBe(2)
        const [fail, die] = reasons
        expect(fail !== undefined && Cause.isFailReason(fail) && fail.error).toEqual(
          new ErrGroup.ErrGroupErrors({ errors: [new Boom({ n: 2 }), new Boom({ n: 1 }), new Boom({ n: 3 })] })
        )
        expect(die !== undefined && Cause.isDieReason(die) && die.defect).toBe(defect)
        // With a defect among them the failures are not recoverable: catchTag lets the cause through.
        const again = yield* Effect.exit(ErrGroup.wait(g).pipe(Effect.catchTag("ErrGroupErrors", () => Effect.void)))
        expect(Exit.isFailure(again) && Cause.hasDies(again.cause)).toBe(true)
      })
    )

    it.effect("with no failure, wait succeeds; failures accumulate across rounds", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>({ collectAll: true, limit: 2 })
        yield* ErrGroup.go(g, Effect.void)
        yield* ErrGroup.wait(g)
        expect(yield* ErrGroup.cause(g)).toEqual(Option.none())
        yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 1 })))
        expect((yield* Effect.flip(ErrGroup.wait(g))).errors).toEqual([new Boom({ n: 1 })])
        yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 2 })))
        const error = yield* Effect.flip(ErrGroup.wait(g))
        expect(error.errors).toEqual([new Boom({ n: 1 }), new Boom({ n: 2 })])
        expect(error.message).toBe("errgroup: 2 task(s) failed")
        const ns = yield* ErrGroup.wait(g).pipe(
          Effect.as([] as Array<number>),
          Effect.catchTag("ErrGroupErrors", (e) => Effect.succeed(e.errors.map((b) => b.n)))
        )
        expect(ns).toEqual([1, 2])
      })
    )
  })

  describe("bad arguments", () => {
    const any = (u: unknown): any => u
    const notAnEffect = 5 as unknown as Effect.Effect<void>

    it.effect("go and tryGo with something that is not an Effect die at the call, taking no slot", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make({ limit: 1 })
        for (const [effect, op] of [
          [ErrGroup.go(g, notAnEffect), "go"],
          [ErrGroup.go(g)(notAnEffect), "go"],
          [ErrGroup.tryGo(g, notAnEffect), "tryGo"],
          [ErrGroup.tryGo(g)(notAnEffect), "tryGo"]
        ] as ReadonlyArray<readonly [Effect.Effect<unknown>, string]>) {
          expect(squashed(yield* Effect.exit(effect))).toMatchObject({
            _tag: "InvalidArgumentError",
            message: `ErrGroup.${op}: expected an Effect, got the number 5`
          })
        }
        expect(yield* ErrGroup.active(g)).toBe(0)
        // The slot is still free, and the group did not fail.
        expect(yield* ErrGroup.tryGo(g, Effect.void)).toBe(true)
        yield* ErrGroup.wait(g)
      })
    )

    it.effect("forEach refuses items that are not iterable and an f that is no function or returns no Effect", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [Effect.Effect<unknown, unknown>, string]> = [
          [
            ErrGroup.forEach(any(5) as Array<number>, (n) => Effect.succeed(n)),
            "ErrGroup.forEach: expected an iterable, got the number 5"
          ],
          [
            ErrGroup.forEach(any(undefined) as Array<number>, (n) => Effect.succeed(n)),
            "ErrGroup.forEach: expected an iterable, got undefined"
          ],
          [
            ErrGroup.forEach([1], any(5) as () => Effect.Effect<void>),
            "ErrGroup.forEach: expected a function, got the number 5"
          ],
          [
            ErrGroup.forEach([1, 2], any(() => 5) as () => Effect.Effect<void>),
            "ErrGroup.forEach: expected f to return an Effect, got the number 5"
          ]
        ]
        for (const [effect, message] of cases) {
          const exit = yield* Effect.exit(effect)
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause), message).toBe(true)
          expect(squashed(exit)).toMatchObject({ _tag: "InvalidArgumentError", message })
        }
      })
    )
  })

  describe("forEach (conc's ResultPool)", () => {
    it.effect("returns the results in input order, whatever order they complete in", () =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          ErrGroup.forEach([30, 10, 20, 0], (ms, i) => Effect.as(Effect.sleep(ms), `${i}:${ms}`), { limit: 2 })
        )
        yield* advance("1 second")
        expect(yield* Fiber.join(fiber)).toEqual(["0:30", "1:10", "2:20", "3:0"])
        expect(yield* ErrGroup.forEach([], () => Effect.succeed(1))).toEqual([])
      })
    )

    it.effect("fails fast: the first failure interrupts the running items and no item starts after it", () =>
      Effect.gen(function* () {
        const started: Array<number> = []
        const interrupted: Array<number> = []
        const fiber = yield* Effect.forkChild(
          Effect.exit(
            ErrGroup.forEach(
              Array.from({ length: 10 }, (_, i) => i),
              (i) =>
                Effect.andThen(
                  Effect.sync(() => started.push(i)),
                  i === 3
                    ? Effect.fail(new Boom({ n: i }))
                    : Effect.onInterrupt(Effect.sleep("10 millis"), () => Effect.sync(() => interrupted.push(i)))
                ),
              { limit: 2 }
            )
          )
        )
        yield* advance("1 second")
        const exit = yield* Fiber.join(fiber)
        expect(squashed(exit)).toEqual(new Boom({ n: 3 }))
        expect(started).toEqual([0, 1, 2, 3])
        expect(interrupted).toEqual([2])
      })
    )

    it.effect("an item that fails in its first steps stops the items after it, even with slots free", () =>
      Effect.gen(function* () {
        // Items that have a free slot start in one step; a failure among
        // them cancels the group before the next one starts.
        const called: Array<number> = []
        const started: Array<number> = []
        const interrupted: Array<number> = []
        const exit = yield* Effect.exit(
          ErrGroup.forEach(
            Array.from({ length: 10 }, (_, i) => i),
            (i) => {
              called.push(i)
              return Effect.andThen(
                Effect.sync(() => started.push(i)),
                i === 3
                  ? Effect.fail(new Boom({ n: i }))
                  : Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted.push(i)))
              )
            }
          )
        )
        expect(squashed(exit)).toEqual(new Boom({ n: 3 }))
        expect(called).toEqual([0, 1, 2, 3])
        expect(started).toEqual([0, 1, 2, 3])
        expect(interrupted.sort()).toEqual([0, 1, 2])
      })
    )

    it.effect("respects the limit", () =>
      Effect.gen(function* () {
        let active = 0
        let max = 0
        const out = yield* ErrGroup.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            Effect.andThen(
              Effect.sync(() => {
                max = Math.max(max, ++active)
              }),
              Effect.andThen(
                Effect.yieldNow,
                Effect.sync(() => {
                  active--
                  return i * 2
                })
              )
            ),
          { limit: 4 }
        )
        expect(max).toBe(4)
        expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2))
      })
    )

    it.effect("collectAll runs every item and fails with every failure", () =>
      Effect.gen(function* () {
        const ran: Array<number> = []
        const error = yield* Effect.flip(
          ErrGroup.forEach(
            [1, 2, 3, 4],
            (i) =>
              Effect.andThen(
                Effect.sync(() => ran.push(i)),
                i % 2 === 0 ? Effect.fail(new Boom({ n: i })) : Effect.void
              ),
            { collectAll: true, limit: 1 }
          )
        )
        expect(ran).toEqual([1, 2, 3, 4])
        expect(error).toEqual(new ErrGroup.ErrGroupErrors({ errors: [new Boom({ n: 2 }), new Boom({ n: 4 })] }))
      })
    )

    it.effect("a limit of 0, NaN or a fraction is a defect (InvalidLimitError) before any item starts", () =>
      Effect.gen(function* () {
        let ran = 0
        for (const limit of [0, Number.NaN, 2.5]) {
          const error = yield* limitDefect(ErrGroup.forEach([1], () => Effect.sync(() => ran++), { limit }))
          expect(error).toEqual(new ErrGroup.InvalidLimitError({ limit }))
        }
        expect(ran).toBe(0)
        expect(yield* ErrGroup.forEach([1, 2], (n) => Effect.succeed(n), { limit: -1 })).toEqual([1, 2])
      })
    )

    it.effect(
      "an item waits on no caller: a task's end starts the next item, 10,000 items ending at once or after a yield",
      () =>
        Effect.gen(function* () {
          // Items that end in their first steps give their slot back to the
          // starting loop, which goes on (no deeper stack per item); items that
          // end later start the next one from their end.
          for (const limit of [1, 4, -1]) {
            const out = yield* ErrGroup.forEach(
              Array.from({ length: 10_000 }, (_, i) => i),
              (i) => (i % 3 === 0 ? Effect.as(Effect.yieldNow, i) : Effect.succeed(i)),
              { limit }
            )
            expect(out).toEqual(Array.from({ length: 10_000 }, (_, i) => i))
          }
        })
    )

    it.effect("every item runs in the caller's context, also one started when an earlier item ends", () =>
      Effect.gen(function* () {
        class Tenant extends Context.Service<Tenant, string>()("test/Tenant") {}
        const seen = yield* ErrGroup.forEach(
          [0, 1, 2, 3, 4],
          (i) =>
            // Each item changes its own context while it runs; the next item,
            // started from its end, must not see that.
            Effect.andThen(
              Effect.provideService(Effect.yieldNow, Tenant, `item ${i}`),
              Effect.map(Effect.service(Tenant), (tenant) => `${i}:${tenant}`)
            ),
          { limit: 1 }
        ).pipe(Effect.provideService(Tenant, "acme"))
        expect(seen).toEqual(["0:acme", "1:acme", "2:acme", "3:acme", "4:acme"])
      })
    )

    it.effect(
      "an item that needs a Scope gets the caller's, as with Effect.forEach: its finalizer runs when that scope closes",
      () =>
        Effect.gen(function* () {
          const closed: Array<number> = []
          const out = yield* Effect.scoped(
            Effect.gen(function* () {
              const out = yield* ErrGroup.forEach(
                [1, 2, 3],
                (i) =>
                  Effect.as(
                    Effect.addFinalizer(() => Effect.sync(() => closed.push(i))),
                    i
                  ),
                { limit: 2 }
              )
              // forEach has returned; the caller's scope is still open.
              expect(closed).toEqual([])
              return out
            })
          )
          expect(out).toEqual([1, 2, 3])
          expect(closed.sort()).toEqual([1, 2, 3])
        })
    )

    it.effect(
      "items whose first step runs at a later turn (a scheduler that yields before every step) each run once, in order",
      () =>
        Effect.gen(function* () {
          for (const limit of [-1, 1, 4]) {
            let ran = 0
            const out = yield* ErrGroup.forEach(
              Array.from({ length: 60 }, (_, i) => i),
              (i) =>
                Effect.suspend(() => {
                  ran++
                  return i % 2 === 0 ? Effect.succeed(i) : Effect.as(Effect.yieldNow, i)
                }),
              { limit }
            ).pipe(Effect.provideService(Scheduler.Scheduler, new YieldEveryStep()))
            expect(ran).toBe(60)
            expect(out).toEqual(Array.from({ length: 60 }, (_, i) => i))
          }
        })
    )

    it.effect("forEach nested 200 deep in its items' first steps: past the nesting limit they start a turn later", () =>
      Effect.gen(function* () {
        const nested = (depth: number): Effect.Effect<number> =>
          depth === 200
            ? Effect.succeed(depth)
            : Effect.map(ErrGroup.forEach([depth + 1], nested, { limit: 1 }), ([deepest]) => deepest!)
        expect(yield* nested(0)).toBe(200)
      })
    )

    it.effect("interrupting forEach interrupts every running item", () =>
      Effect.gen(function* () {
        let interrupted = 0
        const fiber = yield* Effect.forkChild(
          ErrGroup.forEach([1, 2, 3, 4, 5], () => blockForever(() => interrupted++), { limit: 3 })
        )
        yield* settle
        yield* Fiber.interrupt(fiber)
        expect(interrupted).toBe(3)
      })
    )
  })

  describe("go returns the task's fiber", () => {
    it.effect(
      "tasks whose first step runs at a later turn (a scheduler that yields before every step) each run once",
      () =>
        Effect.gen(function* () {
          // 60 tasks, 20 of which start one more: 80 runs, limited or not.
          for (const limit of [-1, 4]) {
            const ran = yield* startsUnderYieldEveryStep(
              ErrGroup.make({ limit }),
              (g, task) => ErrGroup.go(g, task),
              ErrGroup.wait,
              60
            )
            expect(ran).toBe(80)
          }
        })
    )

    it.effect(
      "tasks whose first steps start the next task, 200 deep: past the nesting limit they start a turn later, each once",
      () =>
        Effect.gen(function* () {
          // A task starts on the stack of the `go` that made it; past 32 nested
          // starts the next one is forked to start at the next turn instead.
          for (const limit of [-1, 150]) {
            const g = yield* ErrGroup.make({ limit })
            const ran: Array<number> = []
            const chain = (i: number): Effect.Effect<void> =>
              Effect.suspend(() => {
                ran.push(i)
                return i === 200 ? Effect.void : Effect.asVoid(ErrGroup.go(g, chain(i + 1)))
              })
            const first = yield* ErrGroup.go(g, chain(1))
            expect(ran.length).toBeGreaterThan(30)
            expect(ran.length).toBeLessThan(200)
            yield* ErrGroup.wait(g)
            yield* Fiber.join(first)
            expect(ran).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
          }
        }).pipe(Effect.scoped)
    )

    it.effect("join it for the task's own result or failure; interrupting it stops that task alone", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>()
        const gate = yield* Deferred.make<void>()
        const ok = yield* ErrGroup.go(g, Effect.as(Deferred.await(gate), "page"))
        const stuck = yield* Effect.never.pipe(ErrGroup.go(g)) // data-last
        yield* settle
        yield* Fiber.interrupt(stuck) // an interruption is no failure: the group goes on
        expect(ok.pollUnsafe()).toBeUndefined()
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(ok)).toBe("page")
        yield* ErrGroup.wait(g)
        const failing = yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 1 })))
        expect(yield* Effect.flip(Fiber.join(failing))).toEqual(new Boom({ n: 1 }))
        expect(yield* Effect.flip(ErrGroup.wait(g))).toEqual(new Boom({ n: 1 }))
      })
    )

    it.effect("a task dropped because a first failure cancelled the group: an already-interrupted fiber", () =>
      Effect.gen(function* () {
        const g = yield* ErrGroup.make<Boom>({ limit: 1 })
        const gate = yield* Deferred.make<void>()
        yield* ErrGroup.go(g, Effect.andThen(Deferred.await(gate), Effect.fail(new Boom({ n: 1 }))))
        let ran = 0
        // Waits for the slot the failing task holds, and is dropped when it fails.
        const queued = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => ran++)
          )
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        const dropped = yield* Fiber.join(queued)
        const late = yield* ErrGroup.go(
          g,
          Effect.sync(() => ran++)
        )
        for (const fiber of [dropped, late]) {
          expect(isInterruptedOnly(yield* Fiber.await(fiber))).toBe(true)
          expect(isInterruptedOnly(yield* Effect.exit(Fiber.join(fiber)))).toBe(true)
        }
        yield* settle
        expect(ran).toBe(0)
        expect(yield* Effect.flip(ErrGroup.wait(g))).toEqual(new Boom({ n: 1 }))
      })
    )

    it.effect("a go waiting for a slot when the scope closes returns an already-interrupted fiber", () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const g = yield* ErrGroup.make({ limit: 1 }).pipe(Scope.provide(scope))
        const running = yield* ErrGroup.go(g, Effect.never)
        let ran = false
        const queued = yield* Effect.forkChild(
          ErrGroup.go(
            g,
            Effect.sync(() => (ran = true))
          )
        )
        yield* settle
        yield* Scope.close(scope, Exit.void)
        expect(isInterruptedOnly(yield* Fiber.await(yield* Fiber.join(queued)))).toBe(true)
        expect(isInterruptedOnly(yield* Fiber.await(running))).toBe(true)
        expect(ran).toBe(false)
      })
    )
  })

  it.effect("an ErrGroup is Pipeable and Inspectable, showing its limit, slots, queue, waiters and state", () =>
    Effect.gen(function* () {
      const g = yield* ErrGroup.make<Boom>({ name: "crawl", limit: 1 })
      const gate = yield* Deferred.make<void>()
      expect(g.toJSON()).toEqual({
        _id: "ErrGroup",
        name: "crawl",
        limit: 1,
        active: 0,
        queued: 0,
        waiters: 0,
        cancelled: false,
        closed: false,
        collectAll: false
      })
      yield* ErrGroup.go(g, Effect.andThen(Deferred.await(gate), Effect.fail(new Boom({ n: 1 }))))
      const queued = yield* Effect.forkChild(ErrGroup.go(g, Effect.void))
      const waiter = yield* Effect.forkChild(Effect.exit(ErrGroup.wait(g)))
      yield* settle
      expect(g.toJSON()).toMatchObject({ limit: 1, active: 1, queued: 1, waiters: 1, cancelled: false })
      expect(String(g)).toBe(
        '{"_id":"ErrGroup","name":"crawl","limit":1,"active":1,"queued":1,"waiters":1,"cancelled":false,"closed":false,"collectAll":false}'
      )
      expect(yield* g.pipe(ErrGroup.active)).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(queued)
      yield* Fiber.join(waiter)
      expect(g.toJSON()).toMatchObject({ active: 0, queued: 0, waiters: 0, cancelled: true })
      yield* ErrGroup.setLimit(g, -1)
      expect(g.toJSON()).toMatchObject({ limit: -1 })
      const all = yield* ErrGroup.make({ collectAll: true })
      expect(all.toJSON()).toMatchObject({ name: undefined, limit: -1, collectAll: true })
    })
  )

  it.effect("options of the wrong kind are a defect at make and forEach, saying what is wrong", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ name: 5 }, "expected a string (the group's name) as the name option, got the number 5"],
        [{ collectAll: "yes" }, 'expected a boolean as the collectAll option, got the string "yes"'],
        [4, "expected an options object ({ limit?: number, collectAll?: boolean, name?: string }), got the number 4"]
      ]
      for (const [options, message] of cases) {
        const made = defectOf(yield* Effect.exit(Effect.scoped(ErrGroup.make(options as ErrGroup.ErrGroupOptions))))
        expect(made).toMatchObject({ _tag: "InvalidArgumentError", message: `ErrGroup.make: ${message}` })
        const each = defectOf(
          yield* Effect.exit(ErrGroup.forEach([1], Effect.succeed, options as ErrGroup.ForEachOptions))
        )
        expect(each).toMatchObject({ _tag: "InvalidArgumentError", message: `ErrGroup.forEach: ${message}` })
      }
    })
  )

  it.effect.prop(
    "random failures: wait returns the first failure, no task starts after it, every started task ends once",
    [
      Schema.Array(
        Schema.Struct({
          delay: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 20 }))),
          fails: Schema.Boolean
        })
      ).pipe(Schema.check(Schema.isMaxLength(12))),
      Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: -1, maximum: 4 })))
    ],
    ([tasks, limit]) =>
      Effect.gen(function* () {
        type Event = { readonly kind: "start" | "ok" | "fail" | "interrupted"; readonly i: number }
        const log: Array<Event> = []
        const driver = yield* Effect.forkChild(
          Effect.scoped(
            Effect.gen(function* () {
              // limit 0 would pause forever: read it as "no limit".
              const g = yield* ErrGroup.make<Boom>({ limit: limit === 0 ? -1 : limit })
              for (const [i, task] of tasks.entries()) {
                yield* ErrGroup.go(
                  g,
                  Effect.sync(() => log.push({ kind: "start", i })).pipe(
                    Effect.andThen(Effect.sleep(task.delay)),
                    Effect.andThen(task.fails ? Effect.fail(new Boom({ n: i })) : Effect.void),
                    Effect.onExit((exit) =>
                      Effect.sync(() =>
                        log.push({
                          kind: Exit.isSuccess(exit) ? "ok" : Exit.hasInterrupts(exit) ? "interrupted" : "fail",
                          i
                        })
                      )
                    )
                  )
                )
              }
              const exit = yield* Effect.exit(ErrGroup.wait(g))
              expect(yield* ErrGroup.active(g)).toBe(0)
              return exit
            })
          )
        )
        yield* advance("1 minute")
        const exit = yield* Fiber.join(driver)
        const firstFail = log.findIndex((e) => e.kind === "fail")
        const starts = log.filter((e) => e.kind === "start").map((e) => e.i)
        const ends = log.filter((e) => e.kind !== "start").map((e) => e.i)
        expect([...ends].sort((a, b) => a - b)).toEqual([...starts].sort((a, b) => a - b))
        if (firstFail === -1) {
          expect(Exit.isSuccess(exit)).toBe(true)
          expect(starts.length).toBe(tasks.length)
        } else {
          expect(squashed(exit)).toEqual(new Boom({ n: log[firstFail]!.i }))
          const after = log.slice(firstFail + 1)
          expect(after.every((e) => e.kind === "interrupted")).toBe(true)
        }
      })
  )

  it("types: wait fails with the group's error type; go only takes tasks that fail with it", () => {
    class Db extends Context.Service<Db, { readonly n: number }>()("Db") {}
    const program = Effect.gen(function* () {
      const g = yield* ErrGroup.make<Boom>()
      expectTypeOf(g).toEqualTypeOf<ErrGroup.ErrGroup<Boom>>()
      expectTypeOf(ErrGroup.wait(g)).toEqualTypeOf<Effect.Effect<void, Boom>>()
      yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 1 })))
      yield* ErrGroup.go(g, Effect.succeed("any result"))
      yield* Effect.fail(new Boom({ n: 1 })).pipe(ErrGroup.go(g))
      // @ts-expect-error Other is not an error of this group
      yield* ErrGroup.go(g, Effect.fail(new Other()))
      // @ts-expect-error Other is not an error of this group
      yield* ErrGroup.tryGo(g, Effect.fail(new Other()))
      // @ts-expect-error the pipeable form checks too
      yield* Effect.fail(new Other()).pipe(ErrGroup.go(g))

      const both = yield* ErrGroup.make<Boom | Other>()
      yield* ErrGroup.go(both, Effect.fail(new Other()))
      yield* ErrGroup.go(both, Effect.fail(new Boom({ n: 1 })))
      expectTypeOf(ErrGroup.wait(both)).toEqualTypeOf<Effect.Effect<void, Boom | Other>>()
      // @ts-expect-error invariant: a Boom group is not a Boom | Other group (it would let Other reach wait)
      const widened: ErrGroup.ErrGroup<Boom | Other> = g
      // @ts-expect-error invariant the other way too
      const narrowed: ErrGroup.ErrGroup<Boom> = both

      const none = yield* ErrGroup.make()
      // @ts-expect-error make() without a type argument only takes tasks that cannot fail
      yield* ErrGroup.go(none, Effect.fail(new Boom({ n: 1 })))
      expectTypeOf(ErrGroup.wait(none)).toEqualTypeOf<Effect.Effect<void>>()

      const all = yield* ErrGroup.make<Boom>({ collectAll: true })
      expectTypeOf(ErrGroup.wait(all)).toEqualTypeOf<Effect.Effect<void, ErrGroup.ErrGroupErrors<Boom>>>()
      expectTypeOf(ErrGroup.cause(all)).toEqualTypeOf<
        Effect.Effect<Option.Option<Cause.Cause<ErrGroup.ErrGroupErrors<Boom>>>>
      >()

      // Requirements flow from the task to go; go itself never fails, and returns the task's fiber.
      expectTypeOf(
        ErrGroup.go(
          g,
          Db.useSync((db) => db.n)
        )
      ).toEqualTypeOf<Effect.Effect<Fiber.Fiber<number, Boom>, never, Db>>()
      expectTypeOf(Effect.succeed("s").pipe(ErrGroup.go(g))).toEqualTypeOf<Effect.Effect<Fiber.Fiber<string, Boom>>>()
      expectTypeOf(Effect.succeed("s").pipe(ErrGroup.tryGo(g))).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(ErrGroup.setLimit(g, 2)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(
        ErrGroup.tryGo(
          g,
          Db.useSync((db) => db.n)
        )
      ).toEqualTypeOf<Effect.Effect<boolean, never, Db>>()
      return [widened, narrowed]
    })
    // Constructors and wrappers cannot fail: a bad limit is a defect.
    expectTypeOf(ErrGroup.make<Boom>()).toEqualTypeOf<Effect.Effect<ErrGroup.ErrGroup<Boom>, never, Scope.Scope>>()
    expectTypeOf(ErrGroup.make<Boom>({ limit: 3 })).toEqualTypeOf<
      Effect.Effect<ErrGroup.ErrGroup<Boom>, never, Scope.Scope>
    >()
    expectTypeOf(ErrGroup.make<Boom>({ limit: 3, collectAll: true })).toEqualTypeOf<
      Effect.Effect<ErrGroup.ErrGroup<Boom, ErrGroup.ErrGroupErrors<Boom>>, never, Scope.Scope>
    >()
    expectTypeOf(ErrGroup.make<Boom>({ collectAll: Math.random() > 0.5 })).toEqualTypeOf<
      Effect.Effect<ErrGroup.ErrGroup<Boom, Boom | ErrGroup.ErrGroupErrors<Boom>>, never, Scope.Scope>
    >()
    expectTypeOf(
      ErrGroup.forEach([1, 2], (n) => (n > 1 ? Effect.fail(new Boom({ n })) : Effect.succeed(String(n))), { limit: 1 })
    ).toEqualTypeOf<Effect.Effect<Array<string>, Boom>>()
    expectTypeOf(ErrGroup.forEach([1], (n) => Effect.fail(new Boom({ n })), { collectAll: true })).toEqualTypeOf<
      Effect.Effect<Array<never>, ErrGroup.ErrGroupErrors<Boom>>
    >()
    expectTypeOf(
      ErrGroup.forEach([1], (n) => Effect.fail(new Boom({ n })), { collectAll: Math.random() > 0.5 })
    ).toEqualTypeOf<Effect.Effect<Array<never>, Boom | ErrGroup.ErrGroupErrors<Boom>>>()
    expect(Effect.isEffect(program)).toBe(true)
  })
})

/**
 * Lost wake-ups and lost slots. Effect's run loop may yield before evaluating
 * any effect once a fiber's op budget (`MaxOpsBeforeYield`) is spent: between
 * a `go`'s or a `wait`'s check and its parking (it would wait for a slot or
 * an end that came meanwhile), or around the hand-over of a slot to a waiting
 * `go` (an interruption delivered then must not keep the slot). Every budget
 * from 3 to 40 (1 and 2 livelock Effect itself) puts that yield at every
 * point of the operations; a hang becomes a failure through the timeout.
 */
describe("ErrGroup under any op budget", () => {
  it.live("3 fibers start tasks in a group limited to 2, waited for by 2 waiters: no lost wake-up", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let round = 0; round < 10; round++) {
          const g = yield* ErrGroup.make({ limit: 2 })
          let done = 0
          const task = Effect.andThen(
            loop(round % 3, Effect.yieldNow),
            Effect.sync(() => done++)
          )
          const starters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(loop(10, ErrGroup.go(g, task))))
          const waiters = yield* Effect.forEach([1, 2], () =>
            Effect.forkChild(Effect.andThen(Fiber.joinAll(starters), ErrGroup.wait(g)))
          )
          yield* Fiber.joinAll(starters)
          yield* ErrGroup.wait(g)
          yield* Fiber.joinAll(waiters)
          expect(done).toBe(30)
          expect(yield* ErrGroup.active(g)).toBe(0)
        }
      }).pipe(Effect.orDie)
    )
  )

  it.live("a task that has the scope closed at once, from its first step: the close stops it", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let shift = 0; shift < 4; shift++) {
          const {
            alive,
            looping,
            group: g
          } = yield* closeFromTheFirstTask(ErrGroup.make({ limit: 2 }), (g, task) => ErrGroup.go(g, task), shift)
          expect(alive).toBe(0)
          // The loop's first go after the close is refused.
          expect(squashed(looping)).toBeInstanceOf(ErrGroup.ErrGroupClosedError)
          expect(yield* ErrGroup.active(g)).toBe(0)
        }
      })
    )
  )

  it.live("a go racing the close is either accepted (its task stopped by the close) or refused", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let shift = 0; shift < 6; shift++) {
          for (const limit of [undefined, 2]) {
            const race = yield* goRacingTheClose(ErrGroup.make({ limit }), (g, task) => ErrGroup.go(g, task), shift)
            expect(squashed(race.looping)).toBeInstanceOf(ErrGroup.ErrGroupClosedError)
            expect(Cause.hasDies((race.looping as Exit.Failure<unknown, unknown>).cause)).toBe(true)
            expect(race.alive).toBe(0)
            expect(race.startedAfterClose).toBe(0)
            expect(race.started).toBeLessThanOrEqual(race.accepted)
            if (limit !== undefined) expect(race.started).toBeLessThanOrEqual(limit)
            expect(yield* ErrGroup.active(race.group)).toBe(0)
            expect(yield* ErrGroup.blocked(race.group)).toEqual([])
          }
        }
      }).pipe(Effect.orDie)
    )
  )

  it.live("tryGo racing the close is either accepted or refused", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let shift = 0; shift < 6; shift++) {
          const race = yield* goRacingTheClose(ErrGroup.make({ limit: 2 }), (g, task) => ErrGroup.tryGo(g, task), shift)
          expect(squashed(race.looping)).toBeInstanceOf(ErrGroup.ErrGroupClosedError)
          expect(race.alive).toBe(0)
          expect(race.startedAfterClose).toBe(0)
          expect(race.started).toBeLessThanOrEqual(2)
          expect(yield* ErrGroup.active(race.group)).toBe(0)
        }
      }).pipe(Effect.orDie)
    )
  )

  it.live("forEach: every item once, each result in its place; interrupted at any point, no item left running", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const items = Array.from({ length: 9 }, (_, i) => i)
        for (let round = 0; round < 8; round++) {
          let running = 0
          let ran = 0
          const f = (i: number) =>
            Effect.uninterruptibleMask((restore) =>
              Effect.suspend(() => {
                running++
                ran++
                return Effect.ensuring(
                  restore(Effect.as(loop((i + round) % 3, Effect.yieldNow), i * 2)),
                  Effect.sync(() => running--)
                )
              })
            )
          expect(yield* ErrGroup.forEach(items, f, { limit: 2 })).toEqual(items.map((i) => i * 2))
          expect(ran).toBe(9)
          ran = 0
          const fiber = yield* Effect.forkChild(ErrGroup.forEach(items, f, { limit: 2 }))
          yield* loop(round, Effect.yieldNow)
          yield* Fiber.interrupt(fiber)
          expect(running).toBe(0)
          expect(ran).toBeLessThanOrEqual(9)
        }
      })
    )
  )

  it.live("go interrupted while a slot is handed to it releases the slot", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let round = 0; round < 20; round++) {
          const g = yield* ErrGroup.make({ limit: 1 })
          const task = loop(3, Effect.yieldNow)
          yield* ErrGroup.go(g, task)
          const waiting = yield* Effect.forEach([1, 2], () => Effect.forkChild(ErrGroup.go(g, task)))
          yield* loop(round % 5, Effect.yieldNow)
          yield* Effect.sync(() => {
            for (const fiber of waiting) fiber.interruptUnsafe()
          })
          yield* ErrGroup.wait(g)
          expect(yield* ErrGroup.active(g)).toBe(0)
          expect(yield* ErrGroup.blocked(g)).toEqual([])
        }
      }).pipe(Effect.orDie)
    )
  )
})

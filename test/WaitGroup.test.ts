import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as WaitGroup from "../src/WaitGroup.ts"
import { advance, settle } from "./utils/fibers.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { closeFromTheFirstTask, goRacingTheClose, startsUnderYieldEveryStep } from "./utils/groups.ts"
import { it } from "./utils/leak.ts"

/** What a logger saw: level, message, cause, and the log annotations of the fiber that logged. */
interface Logged {
  readonly level: string
  readonly message: unknown
  readonly cause: Cause.Cause<unknown>
  readonly annotations: Readonly<Record<string, unknown>>
}

/** A logger that records every log, instead of Effect's default ones, for the effect it is provided to. */
const capturingLogs = () => {
  const logs: Array<Logged> = []
  const logger = Logger.make((options) => {
    logs.push({
      level: options.logLevel,
      message: options.message,
      cause: options.cause,
      annotations: options.fiber.getRef(References.CurrentLogAnnotations)
    })
  })
  return { logs, provide: Effect.provide(Logger.layer([logger])) }
}

/** For the tests of a defect's delivery to wait: no log of it at once (see the onDefect tests for that). */
const quiet: WaitGroup.WaitGroupOptions = { onDefect: "wait" }

describe("WaitGroup", () => {
  it.effect(
    "tasks whose first steps start the next task, 200 deep: past the nesting limit they start a turn later, each counted once",
    () =>
      Effect.gen(function* () {
        // A task starts on the stack of the `go` that made it; past 32 nested
        // starts the next one is forked to start at the next turn instead.
        const wg = yield* WaitGroup.make()
        const ran: Array<number> = []
        const chain = (i: number): Effect.Effect<void> =>
          Effect.suspend(() => {
            ran.push(i)
            return i === 200 ? Effect.void : Effect.asVoid(WaitGroup.go(wg, chain(i + 1)))
          })
        yield* WaitGroup.go(wg, chain(1))
        expect(ran.length).toBeGreaterThan(30)
        expect(ran.length).toBeLessThan(200)
        yield* WaitGroup.wait(wg)
        expect(ran).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      }).pipe(Effect.scoped)
  )

  it.effect(
    "tasks whose first step runs at a later turn (a scheduler that yields before every step) each run once",
    () =>
      Effect.gen(function* () {
        // 60 tasks, 20 of which start one more: 80 runs.
        const ran = yield* startsUnderYieldEveryStep(
          WaitGroup.make(),
          (wg, task) => WaitGroup.go(wg, task),
          WaitGroup.wait,
          60
        )
        expect(ran).toBe(80)
      })
  )

  it.effect("Go's TestWaitGroup: two groups as barriers, reused 8 times", () =>
    Effect.gen(function* () {
      const wg1 = yield* WaitGroup.make()
      const wg2 = yield* WaitGroup.make()
      const n = 16
      for (let round = 0; round < 8; round++) {
        yield* WaitGroup.add(wg1, n)
        yield* WaitGroup.add(wg2, n)
        let exited = 0
        const fibers = yield* Effect.forEach(Array.from({ length: n }), () =>
          Effect.forkChild(
            Effect.gen(function* () {
              yield* WaitGroup.done(wg1)
              yield* WaitGroup.wait(wg2)
              exited++
            })
          )
        )
        yield* WaitGroup.wait(wg1)
        for (let i = 0; i < n; i++) {
          yield* settle
          expect(exited, "WaitGroup released group too soon").toBe(0)
          yield* WaitGroup.done(wg2)
        }
        yield* Fiber.joinAll(fibers) // would block if the barrier failed to release someone
        expect(exited).toBe(n)
        expect(yield* WaitGroup.blocked(wg2)).toEqual([])
      }
    })
  )

  it.effect("Go's TestWaitGroupMisuse: a negative counter is a defect with Go's message", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "jobs" })
      yield* WaitGroup.add(wg, 1)
      yield* WaitGroup.done(wg)
      const defect = defectOf(yield* Effect.exit(WaitGroup.done(wg)))
      expect(defect).toBeInstanceOf(WaitGroup.NegativeWaitGroupCounterError)
      expect((defect as Error).message).toBe("sync: negative WaitGroup counter")
      expect(defect).toMatchObject({ waitGroupName: "jobs", counter: 0, delta: -1 })
      // The counter is unchanged and the group still works.
      expect(yield* WaitGroup.count(wg)).toBe(0)
      yield* WaitGroup.add(wg, 2)
      expect(defectOf(yield* Effect.exit(WaitGroup.add(wg, -3)))).toBeInstanceOf(
        WaitGroup.NegativeWaitGroupCounterError
      )
      expect(yield* WaitGroup.count(wg)).toBe(2)
      yield* WaitGroup.add(wg, -2)
      yield* WaitGroup.wait(wg)
    })
  )

  it.effect("Go's TestWaitGroupRace: no spurious wake-up from wait", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 200; i++) {
        const wg = yield* WaitGroup.make()
        let n = 0
        const task = Effect.andThen(
          Effect.yieldNow,
          Effect.sync(() => n++)
        )
        yield* WaitGroup.add(wg, 1)
        yield* Effect.forkChild(Effect.andThen(task, WaitGroup.done(wg)))
        yield* WaitGroup.add(wg, 1)
        yield* Effect.forkChild(Effect.andThen(task, WaitGroup.done(wg)))
        yield* WaitGroup.wait(wg)
        expect(n, "Spurious wakeup from Wait").toBe(2)
      }
    })
  )

  it.effect("Go's TestWaitGroupGo", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      let i = 0
      yield* WaitGroup.go(
        wg,
        Effect.sync(() => i++)
      )
      yield* WaitGroup.wait(wg)
      expect(i).toBe(1)
    })
  )

  it.effect("waiters are released only at zero, all at once", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make({ name: "batch" })
      yield* WaitGroup.add(wg, 3)
      const waiters = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.forkChild(WaitGroup.wait(wg)))
      yield* settle
      const blocked = yield* WaitGroup.blocked(wg)
      expect(blocked.map((b) => [b.primitive, b.name, b.op])).toEqual(Array(3).fill(["WaitGroup", "batch", "wait"]))
      yield* WaitGroup.done(wg)
      yield* WaitGroup.add(wg, 0)
      yield* WaitGroup.add(wg, -1)
      yield* settle
      expect(waiters.map((w) => w.pollUnsafe())).toEqual([undefined, undefined, undefined])
      expect((yield* WaitGroup.blocked(wg)).length).toBe(3)
      yield* WaitGroup.done(wg)
      // Released synchronously by the last done.
      expect(waiters.every((w) => w.pollUnsafe() !== undefined)).toBe(true)
      yield* Fiber.joinAll(waiters)
      expect(yield* WaitGroup.blocked(wg)).toEqual([])
      yield* WaitGroup.wait(wg) // zero: returns at once
    })
  )

  it.effect("bad input: a delta that is not an integer is a defect and changes nothing", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      yield* WaitGroup.add(wg, 2)
      for (const bad of [0.5, -1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53]) {
        const defect = defectOf(yield* Effect.exit(WaitGroup.add(wg, bad)))
        expect(defect).toBeInstanceOf(WaitGroup.InvalidWaitGroupDeltaError)
        expect(defect).toMatchObject({ delta: bad })
      }
      expect(new WaitGroup.InvalidWaitGroupDeltaError({ waitGroupName: undefined, delta: 0.5 }).message).toBe(
        "sync: WaitGroup.Add(0.5): the delta must be an integer"
      )
      expect(yield* WaitGroup.count(wg)).toBe(2)
      yield* WaitGroup.add(-2)(wg) // data-last
      expect(yield* WaitGroup.count(wg)).toBe(0)
    })
  )

  it.effect(
    "bad input: every rejected delta is reported inside the effect, with what was given and what is wanted",
    () =>
      Effect.gen(function* () {
        const wg = yield* WaitGroup.make({ name: "jobs" })
        yield* WaitGroup.add(wg, 1)
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [0.5, "sync: WaitGroup.Add(0.5): the delta must be an integer"],
          [Number.NaN, "sync: WaitGroup.Add(NaN): the delta must be an integer"],
          [Number.POSITIVE_INFINITY, "sync: WaitGroup.Add(Infinity): the delta must be an integer"],
          [Number.NEGATIVE_INFINITY, "sync: WaitGroup.Add(-Infinity): the delta must be an integer"],
          [
            2 ** 53,
            "sync: WaitGroup.Add(9007199254740992): the delta must be a safe integer, between -(2^53 - 1) and 2^53 - 1"
          ],
          [
            -(2 ** 53),
            "sync: WaitGroup.Add(-9007199254740992): the delta must be a safe integer, between -(2^53 - 1) and 2^53 - 1"
          ],
          ["3", 'sync: WaitGroup.Add("3"): the delta must be a safe integer, not a string'],
          [3n, "sync: WaitGroup.Add(3n): the delta must be a safe integer, not a bigint"],
          [undefined, "sync: WaitGroup.Add(undefined): the delta must be a safe integer, not undefined"],
          [null, "sync: WaitGroup.Add(null): the delta must be a safe integer, not null"]
        ]
        for (const [bad, message] of cases) {
          // Built without running: nothing is thrown until the effect runs.
          const add = WaitGroup.add(wg, bad as number)
          const defect = defectOf(yield* Effect.exit(add))
          expect(defect).toBeInstanceOf(WaitGroup.InvalidWaitGroupDeltaError)
          expect(defect).toMatchObject({ waitGroupName: "jobs", delta: bad })
          expect((defect as Error).message).toBe(message)
        }
        // A counter that would pass 2^53 - 1: the delta is fine, the sum is not.
        const overflow = defectOf(yield* Effect.exit(WaitGroup.add(wg, Number.MAX_SAFE_INTEGER)))
        expect(overflow).toBeInstanceOf(WaitGroup.InvalidWaitGroupDeltaError)
        expect(overflow).toMatchObject({ counter: 1, delta: Number.MAX_SAFE_INTEGER })
        expect((overflow as Error).message).toBe(
          "sync: WaitGroup.Add(9007199254740991): the counter would go from 1 past 2^53 - 1"
        )
        expect(yield* WaitGroup.count(wg)).toBe(1)
        yield* WaitGroup.add(wg, Number.MAX_SAFE_INTEGER - 1) // exactly the maximum
        expect(yield* WaitGroup.count(wg)).toBe(Number.MAX_SAFE_INTEGER)
        yield* WaitGroup.add(wg, -Number.MAX_SAFE_INTEGER)
        expect(yield* WaitGroup.count(wg)).toBe(0)
      })
  )

  it.effect("go with something that is not an Effect dies at the call, counting and starting nothing", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      const notAnEffect = 5 as unknown as Effect.Effect<void>
      for (const go of [WaitGroup.go(wg, notAnEffect), WaitGroup.go(wg)(notAnEffect)]) {
        const defect = defectOf(yield* Effect.exit(go))
        expect(defect).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "WaitGroup.go: expected an Effect, got the number 5"
        })
      }
      expect(yield* WaitGroup.count(wg)).toBe(0)
      yield* WaitGroup.wait(wg) // nothing to wait for, nothing failed
    })
  )

  it.effect("an interrupted wait leaves the list; the others are still released", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      yield* WaitGroup.add(wg, 1)
      const a = yield* Effect.forkChild(WaitGroup.wait(wg))
      const b = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      yield* Fiber.interrupt(a)
      expect((yield* WaitGroup.blocked(wg)).length).toBe(1)
      expect(yield* WaitGroup.count(wg)).toBe(1)
      yield* WaitGroup.done(wg)
      yield* Fiber.join(b)
      expect(isInterruptedOnly(yield* Fiber.await(a))).toBe(true)
      expect(yield* WaitGroup.blocked(wg)).toEqual([])
    })
  )

  it.effect("a released waiter that interrupts another released waiter breaks nothing", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      yield* WaitGroup.add(wg, 1)
      const victim = yield* Deferred.make<Fiber.Fiber<void>>()
      const killer = yield* Effect.forkChild(
        Effect.andThen(WaitGroup.wait(wg), Effect.flatMap(Deferred.await(victim), Fiber.interrupt))
      )
      yield* settle
      const target = yield* Effect.forkChild(WaitGroup.wait(wg))
      const last = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* Deferred.succeed(victim, target)
      yield* settle
      yield* WaitGroup.done(wg)
      yield* Fiber.join(killer)
      yield* Fiber.join(last)
      expect(isInterruptedOnly(yield* Fiber.await(target))).toBe(true)
      expect(yield* WaitGroup.blocked(wg)).toEqual([])
    })
  )

  it.effect("go counts and forks in one step, returns the task's fiber, and counts it done however it ends", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      const gate = yield* Deferred.make<void>()
      const ok = yield* WaitGroup.go(wg, Effect.as(Deferred.await(gate), "result"))
      const stuck = yield* Effect.never.pipe(WaitGroup.go(wg)) // data-last
      expect(yield* WaitGroup.count(wg)).toBe(2) // counted before it ran
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(ok)).toBe("result")
      expect(yield* WaitGroup.count(wg)).toBe(1)
      yield* Fiber.interrupt(stuck) // interrupted through its fiber: still counted done
      yield* Fiber.join(waiter)
      expect(yield* WaitGroup.count(wg)).toBe(0)
      // Reuse after wait returned, with go.
      let ran = 0
      yield* Effect.forEach(Array.from({ length: 5 }), () =>
        WaitGroup.go(
          wg,
          Effect.sync(() => ran++)
        )
      )
      yield* WaitGroup.wait(wg)
      expect(ran).toBe(5)
    })
  )

  it.effect("a task started with go may itself call go (Go's WaitGroup.Go doc)", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      const visited: Array<number> = []
      const visit = (depth: number): Effect.Effect<void> =>
        Effect.gen(function* () {
          yield* Effect.sleep("1 millis")
          visited.push(depth)
          if (depth < 3) {
            yield* WaitGroup.go(wg, visit(depth + 1))
            yield* WaitGroup.go(wg, visit(depth + 1))
          }
        })
      yield* WaitGroup.go(wg, visit(0))
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 millis")
        expect(waiter.pollUnsafe()).toBeUndefined()
      }
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(waiter)
      expect(visited.length).toBe(1 + 2 + 4 + 8)
    })
  )

  it.effect("closing the group's scope interrupts the tasks still running and releases the waiters", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const wg = yield* WaitGroup.make({ name: "scoped" }).pipe(Scope.provide(scope))
      let cleaned = 0
      const tasks = yield* Effect.forEach(Array.from({ length: 3 }), () =>
        WaitGroup.go(wg, Effect.never.pipe(Effect.ensuring(Effect.sync(() => cleaned++))))
      )
      const finished = yield* WaitGroup.go(wg, Effect.void)
      yield* WaitGroup.add(wg, 1) // a manual count: the scope does not touch it
      yield* settle
      expect(yield* WaitGroup.count(wg)).toBe(4)
      const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
      yield* settle
      yield* Scope.close(scope, Exit.void)
      expect(cleaned).toBe(3)
      for (const task of tasks) expect(isInterruptedOnly(yield* Fiber.await(task))).toBe(true)
      expect(Exit.isSuccess(yield* Fiber.await(finished))).toBe(true)
      expect(yield* WaitGroup.count(wg)).toBe(1)
      expect(waiter.pollUnsafe()).toBeUndefined()
      yield* WaitGroup.done(wg)
      yield* Fiber.join(waiter)
      // go after the scope closed is refused: the task never runs and counts for nothing.
      let ran = false
      const late = yield* Effect.exit(
        WaitGroup.go(
          wg,
          Effect.sync(() => (ran = true))
        )
      )
      expect(defectOf(late)).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
      expect(defectOf(late)).toMatchObject({ waitGroupName: "scoped" })
      yield* settle
      expect(ran).toBe(false)
      expect(yield* WaitGroup.count(wg)).toBe(0)
      yield* WaitGroup.wait(wg)
    })
  )

  it.effect("closing the scope after tasks ended in any order interrupts exactly those still running", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const wg = yield* WaitGroup.make().pipe(Scope.provide(scope))
      let interrupted = 0
      const tasks: Array<Fiber.Fiber<void>> = []
      for (let i = 0; i < 60; i++) {
        // Tasks end at scattered times (first, last and middle ones of the
        // group's list of running tasks); every third never ends.
        const duration = (i * 7) % 13
        const task = i % 3 === 0 ? Effect.never : Effect.sleep(`${duration} millis`)
        tasks.push(
          yield* WaitGroup.go(
            wg,
            Effect.onInterrupt(task, () => Effect.sync(() => interrupted++))
          )
        )
      }
      yield* advance("6 millis")
      const running = tasks.filter((task) => task.pollUnsafe() === undefined).length
      expect(running).toBeGreaterThan(20)
      expect(running).toBeLessThan(60)
      expect(yield* WaitGroup.count(wg)).toBe(running)
      yield* Scope.close(scope, Exit.void)
      expect(interrupted).toBe(running)
      for (const task of tasks) expect(task.pollUnsafe()).toBeDefined()
      expect(yield* WaitGroup.count(wg)).toBe(0)
    })
  )

  it.effect("a task that closes its group's scope stops the other tasks and is not waited for by the close", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const wg = yield* WaitGroup.make().pipe(Scope.provide(scope))
      let interrupted = 0
      for (let i = 0; i < 3; i++) {
        yield* WaitGroup.go(
          wg,
          Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
        )
      }
      let closed = false
      const closer = yield* WaitGroup.go(
        wg,
        Effect.andThen(
          Scope.close(scope, Exit.void),
          Effect.sync(() => {
            closed = true
          })
        )
      )
      yield* Fiber.await(closer)
      expect(closed).toBe(true)
      expect(interrupted).toBe(3)
      yield* WaitGroup.wait(wg)
    })
  )

  it.effect(
    "go after the group's scope closed is refused with a defect, in every form; add, done and wait still work",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const wg = yield* WaitGroup.make({ name: "crawl" }).pipe(Scope.provide(scope))
        yield* WaitGroup.go(wg, Effect.void)
        yield* WaitGroup.wait(wg)
        yield* Scope.close(scope, Exit.void)
        let ran = 0
        const task = Effect.sync(() => ran++)
        const refused = [
          yield* Effect.exit(WaitGroup.go(wg, task)),
          yield* Effect.exit(task.pipe(WaitGroup.go(wg))), // data-last
          yield* Effect.exit(Effect.forEach([1, 2, 3], () => WaitGroup.go(wg, task))) // the first one dies
        ]
        for (const exit of refused) {
          const defect = defectOf(exit)
          expect(defect).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
          expect(defect).toMatchObject({ waitGroupName: "crawl" })
          expect((defect as Error).message).toBe(
            'sync: WaitGroup.Go on "crawl" after the group\'s scope closed: the task was not started (start tasks while the scope is open)'
          )
        }
        expect(new WaitGroup.WaitGroupClosedError({ waitGroupName: undefined }).message).toBe(
          "sync: WaitGroup.Go after the group's scope closed: the task was not started (start tasks while the scope is open)"
        )
        yield* settle
        expect(ran).toBe(0)
        expect(yield* WaitGroup.count(wg)).toBe(0)
        // The counter is not the scope's: manual counting goes on.
        yield* WaitGroup.add(wg, 1)
        const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
        yield* settle
        yield* WaitGroup.done(wg)
        yield* Fiber.join(waiter)
      })
  )

  it.effect("a task calling go on its own group after the scope closed: the refusal reaches wait", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const wg = yield* WaitGroup.make(quiet).pipe(Scope.provide(scope))
      const gate = yield* Deferred.make<void>()
      let ran = false
      // An uninterruptible task outlives the close's interruption and then
      // starts a subtask on the closed group: a defect, not a lost task.
      yield* WaitGroup.go(
        wg,
        Effect.uninterruptible(
          Effect.andThen(
            Deferred.await(gate),
            WaitGroup.go(
              wg,
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
      expect(yield* WaitGroup.count(wg)).toBe(0)
      expect(defectOf(yield* Effect.exit(WaitGroup.wait(wg)))).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
    })
  )

  it.effect("makeUnsafe: the given scope owns the go tasks, also when it is closed already", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const wg = WaitGroup.makeUnsafe(scope)
      let cleaned = 0
      const task = yield* WaitGroup.go(wg, Effect.never.pipe(Effect.ensuring(Effect.sync(() => cleaned++))))
      yield* settle
      expect(yield* WaitGroup.count(wg)).toBe(1)
      yield* Scope.close(scope, Exit.void)
      expect(cleaned).toBe(1)
      expect(isInterruptedOnly(yield* Fiber.await(task))).toBe(true)
      expect(yield* WaitGroup.count(wg)).toBe(0)
      // A group made on a closed scope starts nothing: go is refused.
      const closedGroup = WaitGroup.makeUnsafe(scope)
      let ran = false
      const late = yield* Effect.exit(
        WaitGroup.go(
          closedGroup,
          Effect.sync(() => (ran = true))
        )
      )
      expect(defectOf(late)).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
      yield* settle
      expect(ran).toBe(false)
      expect(yield* WaitGroup.count(closedGroup)).toBe(0)
      yield* WaitGroup.wait(closedGroup)
    })
  )

  it.effect("a dying task is not swallowed: it counts as done and the wait it releases dies with its defect", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make(quiet)
      const gate = yield* Deferred.make<void>()
      yield* WaitGroup.go(wg, Effect.andThen(Deferred.await(gate), Effect.die("boom")))
      yield* WaitGroup.go(wg, Deferred.await(gate))
      const waiters = yield* Effect.forEach(Array.from({ length: 2 }), () =>
        Effect.forkChild(Effect.exit(WaitGroup.wait(wg)))
      )
      yield* settle
      yield* Deferred.succeed(gate, undefined)
      for (const w of waiters) expect(defectOf(yield* Fiber.join(w))).toBe("boom")
      expect(yield* WaitGroup.count(wg)).toBe(0)
      // Delivered once: the next round is clean.
      const next = yield* Effect.exit(WaitGroup.wait(wg))
      expect(Exit.isSuccess(next)).toBe(true)

      // Nobody waiting when it died: the next wait gets it; two defects are combined.
      yield* WaitGroup.go(wg, Effect.die("first"))
      yield* WaitGroup.go(
        wg,
        Effect.sync(() => {
          throw new Error("second")
        })
      )
      yield* settle
      expect(yield* WaitGroup.count(wg)).toBe(0)
      const late = yield* Effect.exit(WaitGroup.wait(wg))
      expect(Exit.isFailure(late) && late.cause.reasons.filter(Cause.isDieReason).map((r) => r.defect)).toEqual([
        "first",
        new Error("second")
      ])
      expect(Exit.isSuccess(yield* Effect.exit(WaitGroup.wait(wg)))).toBe(true)
    })
  )

  it.effect("done called for a go task as well: the task's own done is a misuse delivered to wait", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make(quiet)
      const gate = yield* Deferred.make<void>()
      yield* WaitGroup.go(wg, Deferred.await(gate))
      yield* WaitGroup.done(wg) // wrong: go counts the task done itself
      yield* Deferred.succeed(gate, undefined)
      yield* settle
      expect(yield* WaitGroup.count(wg)).toBe(0)
      expect(defectOf(yield* Effect.exit(WaitGroup.wait(wg)))).toBeInstanceOf(WaitGroup.NegativeWaitGroupCounterError)
    })
  )

  it.effect("a chain of 10,000 tasks, each started by the one before, runs without exhausting the stack", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      let ran = 0
      const link = (n: number): Effect.Effect<void> =>
        Effect.suspend(() => {
          ran++
          return n === 0 ? Effect.void : Effect.asVoid(WaitGroup.go(wg, link(n - 1)))
        })
      yield* WaitGroup.go(wg, link(10_000))
      yield* WaitGroup.wait(wg)
      expect(ran).toBe(10_001)
    })
  )

  it.effect("go starts the task at once: it runs until it first suspends before go returns", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      const steps: Array<string> = []
      yield* WaitGroup.go(
        wg,
        Effect.sync(() => steps.push("task starts")).pipe(
          Effect.andThen(Effect.yieldNow),
          Effect.andThen(Effect.sync(() => steps.push("task resumes")))
        )
      )
      steps.push("go returned")
      yield* WaitGroup.wait(wg)
      expect(steps).toEqual(["task starts", "go returned", "task resumes"])
    })
  )

  describe("a task's defect is surfaced at once (onDefect)", () => {
    it.effect("default (log): logged at once, from the task's context, and still delivered to wait", () => {
      const { logs, provide } = capturingLogs()
      return Effect.gen(function* () {
        const wg = yield* WaitGroup.make({ name: "jobs" })
        const gate = yield* Deferred.make<void>()
        // A sibling stuck until the gate opens: without the log, nothing would say why wait hangs.
        const sibling = yield* WaitGroup.go(wg, Deferred.await(gate))
        const dying = yield* WaitGroup.go(wg, Effect.die(new Error("boom"))).pipe(
          Effect.annotateLogs({ request: "r-17" })
        )
        yield* settle
        expect(logs.length).toBe(1)
        expect(logs[0]!.level).toBe("Error")
        expect(logs[0]!.message).toEqual([
          `WaitGroup "jobs": a task started with go died (fiber #${dying.id}); the defect is delivered to the next wait`
        ])
        expect(Cause.squash(logs[0]!.cause)).toEqual(new Error("boom"))
        expect(logs[0]!.annotations).toEqual({ request: "r-17" })
        // Logging stops nothing: the sibling still runs, and wait gets the defect once it ends.
        expect(sibling.pollUnsafe()).toBeUndefined()
        expect(yield* WaitGroup.count(wg)).toBe(1)
        yield* Deferred.succeed(gate, undefined)
        expect(defectOf(yield* Effect.exit(WaitGroup.wait(wg)))).toEqual(new Error("boom"))
        expect(logs.length).toBe(1)
        // A done called for a go task too is such a defect: logged when the
        // task ends (here after the done: it suspends once first).
        yield* WaitGroup.go(wg, Effect.yieldNow)
        yield* WaitGroup.done(wg)
        yield* settle
        expect(logs.length).toBe(2)
        expect(logs[1]!.message).toEqual([
          expect.stringMatching(
            /^WaitGroup "jobs": a task started with go was also counted done by hand \(fiber #\d+\); the defect is delivered to the next wait$/
          )
        ])
        expect(Cause.squash(logs[1]!.cause)).toBeInstanceOf(WaitGroup.NegativeWaitGroupCounterError)
        expect(defectOf(yield* Effect.exit(WaitGroup.wait(wg)))).toBeInstanceOf(WaitGroup.NegativeWaitGroupCounterError)
      }).pipe(provide)
    })

    it.effect("log: the task's minimum log level applies", () => {
      const { logs, provide } = capturingLogs()
      return Effect.gen(function* () {
        const wg = yield* WaitGroup.make()
        yield* WaitGroup.go(wg, Effect.die("quiet")).pipe(Effect.provideService(References.MinimumLogLevel, "None"))
        yield* WaitGroup.go(wg, Effect.die("loud"))
        yield* settle
        expect(logs.map((log) => Cause.squash(log.cause))).toEqual(["loud"])
        expect(logs[0]!.message).toEqual([
          expect.stringMatching(/^WaitGroup: a task started with go died \(fiber #\d+\)/)
        ])
        yield* Effect.exit(WaitGroup.wait(wg))
      }).pipe(provide)
    })

    it.effect("wait: nothing is logged; the defect only reaches wait", () => {
      const { logs, provide } = capturingLogs()
      return Effect.gen(function* () {
        const wg = yield* WaitGroup.make({ onDefect: "wait" })
        const gate = yield* Deferred.make<void>()
        const sibling = yield* WaitGroup.go(wg, Deferred.await(gate))
        yield* WaitGroup.go(wg, Effect.die("boom"))
        yield* settle
        expect(logs).toEqual([])
        expect(sibling.pollUnsafe()).toBeUndefined()
        yield* Deferred.succeed(gate, undefined)
        expect(defectOf(yield* Effect.exit(WaitGroup.wait(wg)))).toBe("boom")
        expect(logs).toEqual([])
      }).pipe(provide)
    })

    it.effect("interrupt: logged, the other tasks are interrupted, and wait returns with the defect at once", () => {
      const { logs, provide } = capturingLogs()
      return Effect.gen(function* () {
        const wg = yield* WaitGroup.make({ name: "req", onDefect: "interrupt" })
        let interrupted = 0
        const stuck = yield* Effect.forEach(Array.from({ length: 3 }), () =>
          WaitGroup.go(
            wg,
            Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
          )
        )
        const waiter = yield* Effect.forkChild(Effect.exit(WaitGroup.wait(wg)))
        yield* settle
        const dying = yield* WaitGroup.go(wg, Effect.die("boom"))
        yield* settle
        expect(interrupted).toBe(3)
        for (const fiber of stuck) expect(isInterruptedOnly(yield* Fiber.await(fiber))).toBe(true)
        expect(defectOf(yield* Fiber.join(waiter))).toBe("boom")
        expect(logs.map((log) => log.message)).toEqual([
          [
            `WaitGroup "req": a task started with go died (fiber #${dying.id}); the defect is delivered to the next wait; interrupting the group's other tasks`
          ]
        ])
        // Counts added by hand are not tasks: wait still waits for them.
        yield* WaitGroup.add(wg, 1)
        yield* WaitGroup.go(wg, Effect.die("again"))
        const manual = yield* Effect.forkChild(Effect.exit(WaitGroup.wait(wg)))
        yield* settle
        expect(manual.pollUnsafe()).toBeUndefined()
        yield* WaitGroup.done(wg)
        expect(defectOf(yield* Fiber.join(manual))).toBe("again")
        // The group stays usable: a task started afterwards runs to its end.
        const later = yield* WaitGroup.go(wg, Effect.succeed("ran"))
        yield* WaitGroup.wait(wg)
        expect(yield* Fiber.join(later)).toBe("ran")
      }).pipe(provide)
    })

    it.effect("interrupt: a task's interruption is no defect; it stops nothing", () => {
      const { logs, provide } = capturingLogs()
      return Effect.gen(function* () {
        const wg = yield* WaitGroup.make({ onDefect: "interrupt" })
        const gate = yield* Deferred.make<void>()
        const sibling = yield* WaitGroup.go(wg, Deferred.await(gate))
        yield* WaitGroup.go(wg, Effect.interrupt)
        const cancelled = yield* WaitGroup.go(wg, Effect.never)
        yield* settle
        yield* Fiber.interrupt(cancelled)
        expect(sibling.pollUnsafe()).toBeUndefined()
        yield* Deferred.succeed(gate, undefined)
        yield* WaitGroup.wait(wg)
        expect(logs).toEqual([])
      }).pipe(provide)
    })

    it.effect(
      "bad options are a defect at make (an InvalidArgumentError saying what is wrong); makeUnsafe throws it",
      () =>
        Effect.gen(function* () {
          const scope = yield* Effect.scope
          const cases: ReadonlyArray<readonly [unknown, string]> = [
            [{ onDefect: "crash" }, 'expected onDefect to be "log", "interrupt" or "wait", got the string "crash"'],
            [{ onDefect: true }, 'expected onDefect to be "log", "interrupt" or "wait", got the boolean true'],
            [{ name: 5 }, "expected a string (the group's name) as the name option, got the number 5"],
            ["jobs", 'expected an options object ({ name?: string, onDefect?: ... }), got the string "jobs"']
          ]
          for (const [options, message] of cases) {
            // Built without running: nothing is thrown until the effect runs.
            const made = WaitGroup.make(options as WaitGroup.WaitGroupOptions)
            const defect = defectOf(yield* Effect.exit(made))
            expect(defect).toMatchObject({ _tag: "InvalidArgumentError", message: `WaitGroup.make: ${message}` })
            expect(() => WaitGroup.makeUnsafe(scope, options as WaitGroup.WaitGroupOptions)).toThrow(
              `WaitGroup.makeUnsafe: ${message}`
            )
          }
        })
    )
  })

  it.effect(
    "a WaitGroup is Pipeable and Inspectable, showing its counter, tasks, waiters and whether it is closed",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const wg = yield* WaitGroup.make({ name: "batch" }).pipe(Scope.provide(scope))
        expect(wg.toJSON()).toEqual({
          _id: "WaitGroup",
          name: "batch",
          counter: 0,
          tasks: 0,
          waiters: 0,
          closed: false
        })
        yield* WaitGroup.go(wg, Effect.never)
        yield* WaitGroup.go(wg, Effect.never)
        yield* WaitGroup.add(wg, 1)
        const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
        yield* settle
        expect(wg.toJSON()).toEqual({
          _id: "WaitGroup",
          name: "batch",
          counter: 3,
          tasks: 2,
          waiters: 1,
          closed: false
        })
        expect(String(wg)).toBe('{"_id":"WaitGroup","name":"batch","counter":3,"tasks":2,"waiters":1,"closed":false}')
        expect(
          yield* wg.pipe(
            WaitGroup.count,
            Effect.map((n) => n * 2)
          )
        ).toBe(6)
        yield* Scope.close(scope, Exit.void)
        yield* WaitGroup.done(wg)
        yield* Fiber.join(waiter)
        expect(wg.toJSON()).toEqual({ _id: "WaitGroup", name: "batch", counter: 0, tasks: 0, waiters: 0, closed: true })
      })
  )

  it.effect("types: go accepts only tasks that cannot fail, and returns their fiber", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      expectTypeOf(WaitGroup.go(wg, Effect.succeed(1))).toEqualTypeOf<Effect.Effect<Fiber.Fiber<number>>>()
      // @ts-expect-error a fallible task: handle its errors, or use ErrGroup
      WaitGroup.go(wg, Effect.fail("e"))
      // @ts-expect-error the same, data-last
      Effect.fail("e").pipe(WaitGroup.go(wg))
      expectTypeOf(WaitGroup.make()).toEqualTypeOf<Effect.Effect<WaitGroup.WaitGroup, never, Scope.Scope>>()
      // Every constructor and operation: programmer errors are defects, never in the error channel.
      expectTypeOf(WaitGroup.make({ name: "jobs", onDefect: "interrupt" })).toEqualTypeOf<
        Effect.Effect<WaitGroup.WaitGroup, never, Scope.Scope>
      >()
      expectTypeOf(WaitGroup.makeUnsafe).returns.toEqualTypeOf<WaitGroup.WaitGroup>()
      expectTypeOf(WaitGroup.add(wg, 1)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(WaitGroup.add(1)).toEqualTypeOf<(self: WaitGroup.WaitGroup) => Effect.Effect<void>>()
      expectTypeOf(WaitGroup.done(wg)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(WaitGroup.wait(wg)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Effect.succeed("s").pipe(WaitGroup.go(wg))).toEqualTypeOf<Effect.Effect<Fiber.Fiber<string>>>()
      expectTypeOf(WaitGroup.count(wg)).toEqualTypeOf<Effect.Effect<number>>()
      // @ts-expect-error onDefect is one of "log", "interrupt", "wait"
      WaitGroup.make({ onDefect: "crash" })
    })
  )

  it.effect("a long chain of releases does not overflow the stack", () =>
    Effect.gen(function* () {
      const groups = yield* Effect.forEach(Array.from({ length: 10_001 }), () => WaitGroup.make())
      for (const wg of groups) yield* WaitGroup.add(wg, 1)
      // Fiber i waits for group i, then releases group i + 1.
      const fibers = yield* Effect.forEach(Array.from({ length: 10_000 }), (_, i) =>
        Effect.forkChild(Effect.andThen(WaitGroup.wait(groups[i]!), WaitGroup.done(groups[i + 1]!)))
      )
      yield* settle
      yield* WaitGroup.done(groups[0]!)
      yield* Fiber.joinAll(fibers)
      yield* WaitGroup.wait(groups[10_000]!)
    })
  )

  it.effect("a long chain of go tasks ending one another does not overflow the stack", () =>
    Effect.gen(function* () {
      const groups = yield* Effect.forEach(Array.from({ length: 10_001 }), () => WaitGroup.make())
      yield* WaitGroup.add(groups[0]!, 1)
      // Task i, counted in group i + 1, waits for group i: its end releases task i + 1.
      for (let i = 0; i < 10_000; i++) yield* WaitGroup.go(groups[i + 1]!, WaitGroup.wait(groups[i]!))
      yield* settle
      yield* WaitGroup.done(groups[0]!)
      yield* WaitGroup.wait(groups[10_000]!)
      expect(yield* WaitGroup.count(groups[5_000]!)).toBe(0)
    })
  )

  it.effect.prop(
    "random task durations and interruptions: wait returns exactly when the last task ends",
    [
      Schema.Array(
        Schema.Struct({
          duration: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 })),
          interruptAt: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 30 })),
          byGo: Schema.Boolean
        })
      ),
      Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 30 }))
    ],
    ([tasks, cancelWaiterAt]) =>
      Effect.gen(function* () {
        const wg = yield* WaitGroup.make()
        // Half the tasks through go, half with add + forkChild + done.
        const fibers = yield* Effect.forEach(tasks, (t) => {
          const work = Effect.sleep(`${t.duration} millis`)
          return t.byGo
            ? WaitGroup.go(wg, work)
            : Effect.andThen(WaitGroup.add(wg, 1), Effect.forkChild(work.pipe(Effect.ensuring(WaitGroup.done(wg)))))
        })
        const end = Math.max(0, ...tasks.map((t) => Math.min(t.duration, t.interruptAt)))
        const waiter = yield* Effect.forkChild(WaitGroup.wait(wg))
        const doomed = yield* Effect.forkChild(WaitGroup.wait(wg))
        yield* settle
        for (let now = 0; now <= 31; now++) {
          for (let i = 0; i < tasks.length; i++) {
            if (tasks[i]!.interruptAt === now) yield* Fiber.interrupt(fibers[i]!)
          }
          if (cancelWaiterAt === now) yield* Fiber.interrupt(doomed)
          yield* settle
          expect(waiter.pollUnsafe() !== undefined, `at ${now}ms (last task ends at ${end}ms)`).toBe(now >= end)
          yield* TestClock.adjust("1 millis")
        }
        yield* Fiber.join(waiter)
        expect(yield* WaitGroup.count(wg)).toBe(0)
        expect(yield* WaitGroup.blocked(wg)).toEqual([])
      }),
    { arbitrary: { size: 20 } }
  )
})

/**
 * Lost wake-ups: Effect's run loop may yield before evaluating any effect once
 * a fiber's op budget (`MaxOpsBeforeYield`) is spent, which can fall between
 * `wait`'s check of the counter and its parking; the last `done` then finds
 * nobody to release. Every budget from 3 to 40 (1 and 2 livelock Effect
 * itself) puts that yield at every point of the operations; a hang becomes a
 * failure through the timeout.
 */
describe("WaitGroup: no lost wake-ups under any op budget", () => {
  it.live("the scope closing while a fiber loops go: every task is stopped, under any op budget", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const wg = yield* WaitGroup.make().pipe(Scope.provide(scope))
        const tasks: Array<Fiber.Fiber<void>> = []
        const looping = yield* Effect.forkChild(
          Effect.forever(
            Effect.map(WaitGroup.go(wg, Effect.never), (task) => {
              tasks.push(task)
            }),
            { disableYield: true }
          )
        )
        yield* Effect.yieldNow
        yield* Scope.close(scope, Exit.void)
        yield* Fiber.interrupt(looping)
        // A task forked just before the close and registered just after it
        // would run forever and keep the counter up.
        for (const task of tasks) expect(task.pollUnsafe()).toBeDefined()
        expect(yield* WaitGroup.count(wg)).toBe(0)
      })
    )
  )

  it.live(
    "a task that has the scope closed at once, from its first step: the close stops it, under any op budget",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          for (let shift = 0; shift < 4; shift++) {
            // The task wakes the closer, which runs at once on the task's stack:
            // possibly before the fiber looping `go` has seen the fork's result.
            const { alive, looping } = yield* closeFromTheFirstTask(
              WaitGroup.make(),
              (wg, task) => WaitGroup.go(wg, task),
              shift
            )
            expect(alive).toBe(0)
            // The loop's first go after the close is refused.
            expect(defectOf(looping)).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
          }
        })
      )
  )

  it.live(
    "a go racing the close is either accepted (its task stopped by the close) or refused, under any op budget",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          for (let shift = 0; shift < 6; shift++) {
            const race = yield* goRacingTheClose(WaitGroup.make(), (wg, task) => WaitGroup.go(wg, task), shift)
            expect(defectOf(race.looping)).toBeInstanceOf(WaitGroup.WaitGroupClosedError)
            expect(race.alive).toBe(0)
            expect(race.startedAfterClose).toBe(0)
            // Every task started belongs to a go that returned (one the close
            // overtook returns too, its task stopped, maybe before it ran).
            expect(race.started).toBeLessThanOrEqual(race.accepted)
            expect(yield* WaitGroup.count(race.group)).toBe(0)
          }
        })
      )
  )

  it.live("rounds of add/done by forked fibers and of go, each awaited by 3 waiters", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const wg = yield* WaitGroup.make()
        let finished = 0
        const task = Effect.andThen(
          Effect.yieldNow,
          Effect.sync(() => finished++)
        )
        for (let round = 0; round < 30; round++) {
          yield* WaitGroup.add(wg, 2)
          yield* Effect.forkChild(Effect.andThen(task, WaitGroup.done(wg)))
          yield* Effect.forkChild(Effect.andThen(task, WaitGroup.done(wg)))
          yield* WaitGroup.go(wg, task)
          const waiters = yield* Effect.forEach([1, 2], () => Effect.forkChild(WaitGroup.wait(wg)))
          yield* WaitGroup.wait(wg)
          yield* Fiber.joinAll(waiters)
          expect(finished).toBe(3 * (round + 1))
        }
        expect(yield* WaitGroup.blocked(wg)).toEqual([])
      })
    )
  )
})

describe("WaitGroup: a defect handed to an interrupted wait", () => {
  it.live(
    "a defect taken by a wait that finds the counter at zero survives an interruption right after, under any op budget",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          for (let shift = 0; shift < 24; shift++) {
            const wg = yield* WaitGroup.make(quiet)
            yield* WaitGroup.go(wg, Effect.die("boom"))
            yield* settle
            // The waiter runs until its op budget is spent, then yields; `shift`
            // moves that yield over `wait` and the steps after it.
            const waiter = yield* Effect.forkChild(Effect.andThen(loop(shift, Effect.void), WaitGroup.wait(wg)))
            yield* Effect.yieldNow
            yield* Fiber.interrupt(waiter)
            const received = defectOf(yield* Fiber.await(waiter)) === "boom"
            const next = yield* Effect.exit(WaitGroup.wait(wg))
            expect(received || defectOf(next) === "boom", `shift ${shift}`).toBe(true)
            if (received) expect(Exit.isSuccess(next)).toBe(true)
            expect(yield* WaitGroup.blocked(wg)).toEqual([])
          }
        })
      )
  )

  it.live(
    "a defect handed to waits interrupted just before they resumed reaches some wait, once, under any op budget",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          for (let shift = 0; shift < 8; shift++) {
            for (const [waiting, interrupted] of [
              [1, 1],
              [2, 1],
              [2, 2]
            ] as const) {
              const wg = yield* WaitGroup.make(quiet)
              yield* WaitGroup.add(wg, 1)
              yield* WaitGroup.go(wg, Effect.die("boom"))
              const waiters = yield* Effect.forEach(Array.from({ length: waiting }), () =>
                Effect.forkChild(WaitGroup.wait(wg))
              )
              yield* settle
              expect((yield* WaitGroup.blocked(wg)).length).toBe(waiting)
              // The interrupted waits run their cancel handlers as steps of their
              // own; `shift` moves this fiber's yields so that the release lands
              // before some of them.
              yield* Effect.andThen(
                loop(shift, Effect.void),
                Effect.suspend(() => {
                  for (let i = 0; i < interrupted; i++) waiters[i]!.interruptUnsafe()
                  return WaitGroup.done(wg)
                })
              )
              const exits = yield* Effect.forEach(waiters, Fiber.await)
              const next = yield* Effect.exit(WaitGroup.wait(wg))
              const received = exits.filter((exit) => defectOf(exit) === "boom").length
              // Some wait gets it: a released waiter, or else the next wait.
              expect(
                received + (defectOf(next) === "boom" ? 1 : 0),
                `shift ${shift}, ${waiting}/${interrupted}`
              ).toBeGreaterThan(0)
              // Once: the next wait gets it only if no released waiter did.
              if (received > 0) expect(Exit.isSuccess(next)).toBe(true)
              expect(Exit.isSuccess(yield* Effect.exit(WaitGroup.wait(wg)))).toBe(true)
              expect(yield* WaitGroup.blocked(wg)).toEqual([])
            }
          }
        })
      )
  )
})

import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as Once from "../src/Once.ts"
import { settle } from "./utils/fibers.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

describe("Once", () => {
  it.effect("Go's TestOnce: 10 concurrent callers, one run, every caller sees it finished", () =>
    Effect.gen(function* () {
      const once = yield* Once.make()
      let o = 0
      const increment = Effect.gen(function* () {
        yield* Effect.yieldNow // the others arrive while it runs
        yield* Effect.sleep("1 millis")
        o++
      })
      const seen: Array<number> = []
      const run = Effect.andThen(
        Once.do(once, increment),
        Effect.sync(() => seen.push(o))
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.forkChild(run))
      yield* settle
      expect((yield* Once.blocked(once)).map((b) => b.op)).toEqual(Array(9).fill("do"))
      expect(yield* Once.isDone(once)).toBe(false)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.joinAll(fibers)
      expect(o).toBe(1)
      expect(seen).toEqual(Array(10).fill(1))
      expect(yield* Once.isDone(once)).toBe(true)
      expect(yield* Once.blocked(once)).toEqual([])
    })
  )

  it.effect("Go's TestOncePanic: a defect makes it done; later calls do not run f and replay the defect", () =>
    Effect.gen(function* () {
      const once = yield* Once.make()
      const first = yield* Effect.exit(Once.do(once, Effect.die("failed")))
      expect(defectOf(first)).toBe("failed")
      expect(yield* Once.isDone(once)).toBe(true)
      let called = false
      const second = yield* Effect.exit(
        Once.do(
          once,
          Effect.sync(() => (called = true))
        )
      )
      expect(called).toBe(false) // "Once.Do called twice"
      // Go's later Do returns normally; here it replays what happened.
      expect(defectOf(second)).toBe("failed")
    })
  )

  it.effect("a typed failure is recorded and replayed to every later caller", () =>
    Effect.gen(function* () {
      const once = yield* Once.make<string>({ name: "db" })
      let runs = 0
      const connect = Effect.suspend(() => {
        runs++
        return Effect.fail("refused")
      })
      expect(yield* Effect.flip(Once.do(once, connect))).toBe("refused")
      expect(yield* Effect.flip(Once.do(once, connect))).toBe("refused")
      expect(yield* Effect.flip(Effect.succeed(1).pipe(Once.do(once)))).toBe("refused")
      expect(runs).toBe(1)
    })
  )

  it.effect("concurrent waiters all get the first run's failure", () =>
    Effect.gen(function* () {
      const once = yield* Once.make<string>()
      const gate = yield* Deferred.make<void>()
      let runs = 0
      const init = Effect.andThen(
        Deferred.await(gate),
        Effect.suspend(() => {
          runs++
          return Effect.fail(`failure ${runs}`)
        })
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 5 }), () =>
        Effect.forkChild(Effect.flip(Once.do(once, init)))
      )
      yield* settle
      expect((yield* Once.blocked(once)).length).toBe(4)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.joinAll(fibers)).toEqual(Array(5).fill("failure 1"))
      expect(runs).toBe(1)
    })
  )

  it.effect("Go's TestOnceFunc / TestOnceValue / TestOnceValues", () =>
    Effect.gen(function* () {
      let calls = 0
      const f = Once.func(Effect.sync(() => calls++))
      yield* Effect.repeat(f, { times: 9 })
      expect(calls).toBe(1)

      let valueCalls = 0
      const g = Once.value(Effect.sync(() => ++valueCalls))
      yield* Effect.repeat(g, { times: 9 })
      expect(yield* g).toBe(1)
      expect(valueCalls).toBe(1)

      // OnceValues: the (T, error) pair is the success and the error channel.
      let valuesCalls = 0
      const h = Once.value(Effect.sync(() => [++valuesCalls, valuesCalls + 1] as const))
      yield* Effect.repeat(h, { times: 9 })
      expect(yield* h).toEqual([1, 2])
      expect(valuesCalls).toBe(1)
      let errCalls = 0
      const k = Once.value(
        Effect.suspend(() => {
          errCalls++
          return Effect.fail(new Error("not found"))
        })
      )
      const e1 = yield* Effect.flip(k)
      const e2 = yield* Effect.flip(k)
      expect(e1.message).toBe("not found")
      expect(e2).toBe(e1) // the same error, replayed
      expect(errCalls).toBe(1)
    })
  )

  it.effect("OnceFunc / OnceValue: called once even with concurrent callers, who all get the value", () =>
    Effect.gen(function* () {
      let calls = 0
      const v = Once.value(
        Effect.gen(function* () {
          const n = ++calls
          yield* Effect.sleep("5 millis")
          return { n }
        })
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.forkChild(v))
      yield* settle
      yield* TestClock.adjust("5 millis")
      const values = yield* Fiber.joinAll(fibers)
      expect(calls).toBe(1)
      expect(new Set(values).size).toBe(1) // the very same object
      let funcCalls = 0
      const f = Once.func(
        Effect.andThen(
          Effect.sleep("5 millis"),
          Effect.sync(() => funcCalls++)
        )
      )
      const runs = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.forkChild(f))
      yield* settle
      yield* TestClock.adjust("5 millis")
      yield* Fiber.joinAll(runs)
      expect(funcCalls).toBe(1)
    })
  )

  it.effect(
    "Go's TestOnceFuncPanic / TestOnceValuePanic / TestOnceValuesPanic: every call dies with the same value",
    () =>
      Effect.gen(function* () {
        const check = (label: string, make: (onCall: () => void) => Effect.Effect<unknown>) =>
          Effect.gen(function* () {
            let calls = 0
            const f = make(() => calls++)
            for (const time of ["first time", "second time"]) {
              const exit = yield* Effect.exit(f)
              expect(defectOf(exit), `${label}: ${time}`).toBe("x")
            }
            expect(calls, label).toBe(1)
          })
        yield* check("OnceFunc", (onCall) => Once.func(Effect.andThen(Effect.sync(onCall), Effect.die("x"))))
        yield* check("OnceValue", (onCall) => Once.value(Effect.andThen(Effect.sync(onCall), Effect.die("x"))))
        yield* check("OnceValues", (onCall) =>
          Once.value(Effect.andThen(Effect.sync(onCall), Effect.die("x")) as Effect.Effect<readonly [number, number]>)
        )
        // A thrown exception is a defect too.
        yield* check("OnceFunc throw", (onCall) =>
          Once.func(
            Effect.sync(() => {
              onCall()
              throw "x"
            })
          )
        )
      })
  )

  it.effect("Go's TestOnceFuncPanicNil: a nil defect is replayed too", () =>
    Effect.gen(function* () {
      let calls = 0
      const f = Once.func(
        Effect.andThen(
          Effect.sync(() => calls++),
          Effect.die(null)
        )
      )
      for (let i = 0; i < 2; i++) {
        const exit = yield* Effect.exit(f)
        expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
        expect(defectOf(exit)).toBe(null)
      }
      expect(calls).toBe(1)
    })
  )

  it.effect("Go's TestOnceFuncGoexit, our way: an initializer that interrupts itself records nothing", () =>
    Effect.gen(function* () {
      // Go: "if f calls Goexit, the results are unspecified" and f runs once.
      // Here self-interruption is interruption: not an outcome, so the next
      // call runs f again.
      let calls = 0
      const f = Once.func(
        Effect.andThen(
          Effect.sync(() => calls++),
          Effect.interrupt
        )
      )
      for (let i = 0; i < 2; i++) {
        const fiber = yield* Effect.forkChild(f)
        expect(isInterruptedOnly(yield* Fiber.await(fiber))).toBe(true)
      }
      expect(calls).toBe(2)
    })
  )

  it.effect("an interrupted initializer records nothing: the next caller runs it again", () =>
    Effect.gen(function* () {
      let runs = 0
      const v = Once.value(
        Effect.andThen(
          Effect.sync(() => ++runs),
          (n) => Effect.as(Effect.sleep("10 millis"), n)
        )
      )
      const first = yield* Effect.forkChild(v)
      yield* settle
      yield* Fiber.interrupt(first)
      expect(runs).toBe(1)
      const second = yield* Effect.forkChild(v)
      yield* settle
      yield* TestClock.adjust("10 millis")
      expect(yield* Fiber.join(second)).toBe(2)
      expect(yield* v).toBe(2)
      expect(runs).toBe(2)
    })
  )

  it.effect("an interrupted initializer hands the run to the longest waiter; the others wait for it", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "init" })
      const ran: Array<string> = []
      const init = (label: string) =>
        Effect.andThen(
          Effect.sync(() => ran.push(label)),
          Effect.sleep("10 millis")
        )
      const a = yield* Effect.forkChild(Once.do(once, init("a")))
      yield* settle
      const b = yield* Effect.forkChild(Once.do(once, init("b")))
      const c = yield* Effect.forkChild(Once.do(once, init("c")))
      yield* settle
      const blocked = yield* Once.blocked(once)
      expect(blocked.map((x) => [x.primitive, x.name, x.op])).toEqual([
        ["Once", "init", "do"],
        ["Once", "init", "do"]
      ])
      yield* Fiber.interrupt(a)
      expect(ran).toEqual(["a", "b"]) // b took over at once, with its own effect
      expect((yield* Once.blocked(once)).length).toBe(1)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(b)
      yield* Fiber.join(c)
      expect(ran).toEqual(["a", "b"])
      expect(yield* Once.isDone(once)).toBe(true)
      expect(yield* Once.blocked(once)).toEqual([])
    })
  )

  it.effect("interrupting a waiting caller does not interrupt the initializer another caller runs", () =>
    Effect.gen(function* () {
      let runs = 0
      let completed = 0
      const v = Once.value(
        Effect.gen(function* () {
          runs++
          yield* Effect.sleep("10 millis")
          completed++
          return "ready"
        })
      )
      const runner = yield* Effect.forkChild(v)
      yield* settle
      const waiter = yield* Effect.forkChild(v)
      const other = yield* Effect.forkChild(v)
      yield* settle
      yield* Fiber.interrupt(waiter)
      expect(isInterruptedOnly(yield* Fiber.await(waiter))).toBe(true)
      yield* TestClock.adjust("10 millis")
      expect(yield* Fiber.join(runner)).toBe("ready")
      expect(yield* Fiber.join(other)).toBe("ready")
      expect([runs, completed]).toEqual([1, 1])
    })
  )

  it.effect("the last waiter of an interrupted run, itself interrupted, leaves it idle for the next caller", () =>
    Effect.gen(function* () {
      const once = yield* Once.make()
      let runs = 0
      const init = Effect.andThen(
        Effect.sync(() => runs++),
        Effect.never
      )
      const a = yield* Effect.forkChild(Once.do(once, init))
      yield* settle
      const b = yield* Effect.forkChild(Once.do(once, init))
      yield* settle
      yield* Fiber.interrupt(b)
      yield* Fiber.interrupt(a)
      expect(runs).toBe(1)
      expect(yield* Once.isDone(once)).toBe(false)
      expect(yield* Once.blocked(once)).toEqual([])
      yield* Once.do(
        once,
        Effect.sync(() => runs++)
      )
      expect(runs).toBe(2)
      expect(yield* Once.isDone(once)).toBe(true)
    })
  )

  it.effect("a defect raised while being interrupted is an outcome, recorded without the interruption", () =>
    Effect.gen(function* () {
      let runs = 0
      const f = Once.func(
        Effect.andThen(
          Effect.sync(() => runs++),
          Effect.never
        ).pipe(Effect.ensuring(Effect.die("finalizer failed")))
      )
      const first = yield* Effect.forkChild(f)
      yield* settle
      yield* Fiber.interrupt(first)
      const replay = yield* Effect.exit(f)
      expect(defectOf(replay)).toBe("finalizer failed")
      expect(Exit.isFailure(replay) && Cause.hasInterrupts(replay.cause)).toBe(false)
      expect(runs).toBe(1)
    })
  )

  it.effect("a recursive call from the initializer's own fiber is a defect, not a deadlock", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "cfg" })
      const exit = yield* Effect.exit(
        Once.do(
          once,
          Effect.suspend(() => Once.do(once, Effect.void))
        )
      )
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(Once.OnceRecursiveError)
      expect((defect as Error).message).toBe("sync: Once.Do called recursively")
      // The defect was the initializer's outcome: recorded and replayed.
      expect(defectOf(yield* Effect.exit(Once.do(once, Effect.void)))).toBeInstanceOf(Once.OnceRecursiveError)

      // The same through a memo that runs itself.
      const self: Effect.Effect<number> = Once.value(Effect.suspend(() => self))
      expect(defectOf(yield* Effect.exit(self))).toBeInstanceOf(Once.OnceRecursiveError)
      // Caught inside the initializer, it is an ordinary value.
      const caught: Effect.Effect<string> = Once.value(
        Effect.suspend(() => caught).pipe(Effect.catchDefect(() => Effect.succeed("recovered")))
      )
      expect(yield* caught).toBe("recovered")
    })
  )

  it.effect("a woken waiter that interrupts another waiter during the release does not break the others", () =>
    Effect.gen(function* () {
      const once = yield* Once.make()
      const gate = yield* Deferred.make<void>()
      const victim = yield* Deferred.make<Fiber.Fiber<void>>()
      const runner = yield* Effect.forkChild(Once.do(once, Deferred.await(gate)))
      yield* settle
      const killer = yield* Effect.forkChild(
        Effect.andThen(Once.do(once, Effect.void), Effect.flatMap(Deferred.await(victim), Fiber.interrupt))
      )
      yield* settle
      const target = yield* Effect.forkChild(Once.do(once, Effect.void))
      const last = yield* Effect.forkChild(Once.do(once, Effect.void))
      yield* Deferred.succeed(victim, target)
      yield* settle
      expect((yield* Once.blocked(once)).length).toBe(3)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(runner)
      yield* Fiber.join(killer)
      yield* Fiber.join(last)
      expect(isInterruptedOnly(yield* Fiber.await(target))).toBe(true)
      expect(yield* Once.blocked(once)).toEqual([])
    })
  )

  it.effect("an initializer that is not an Effect is a defect of the call, not an outcome: nothing is recorded", () =>
    Effect.gen(function* () {
      const notAnEffect = (u: unknown) => u as Effect.Effect<void>
      const once = yield* Once.make()
      // Built without throwing; the defect comes when it runs.
      const bad = Once.do(
        once,
        notAnEffect(() => 1)
      )
      expect(defectOf(yield* Effect.exit(bad))).toMatchObject({
        _tag: "InvalidArgumentError",
        message: "Once.do: expected an Effect, got a function"
      })
      expect(yield* Once.isDone(once)).toBe(false)
      let runs = 0
      yield* Once.do(
        once,
        Effect.sync(() => runs++)
      )
      expect(runs).toBe(1)
      expect(defectOf(yield* Effect.exit(Once.value(notAnEffect("config"))))).toMatchObject({
        message: 'Once.value: expected an Effect, got the string "config"'
      })
      expect(defectOf(yield* Effect.exit(Once.func(notAnEffect(undefined))))).toMatchObject({
        message: "Once.func: expected an Effect, got undefined"
      })
    })
  )

  it.effect("types: a Once carries its error type; a fallible effect needs Once.make<E>()", () =>
    Effect.gen(function* () {
      const plain = yield* Once.make()
      const typed = yield* Once.make<"e">()
      expectTypeOf(Once.do(plain, Effect.succeed(1))).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(Once.do(typed, Effect.succeed(1))).toEqualTypeOf<Effect.Effect<void, "e">>()
      // @ts-expect-error a Once<never> would replay a failure its callers do not expect
      Once.do(plain, Effect.fail("e" as const))
      expectTypeOf(Once.value(Effect.fail("e" as const))).toEqualTypeOf<Effect.Effect<never, "e">>()
      expectTypeOf(Once.func(Effect.succeed(1))).toEqualTypeOf<Effect.Effect<void>>()
    })
  )

  it.effect("Go's TestOnceXGC: the initializer is not kept alive after the first call", () =>
    Effect.gen(function* () {
      v8.setFlagsFromString("--expose-gc")
      const gc = vm.runInNewContext("gc") as () => void
      const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const refs: Array<WeakRef<object>> = []
      const makers = {
        func: (buf: Uint8Array) => Once.func(Effect.sync(() => (buf[0] = 1))),
        value: (buf: Uint8Array) => Once.value(Effect.sync(() => (buf[0] = 1))),
        "func defect": (buf: Uint8Array) =>
          Once.func(
            Effect.andThen(
              Effect.sync(() => (buf[0] = 1)),
              Effect.die("x")
            )
          )
      }
      const memos = Object.values(makers).map((make) => {
        const buf = new Uint8Array(1024)
        refs.push(new WeakRef(buf))
        return make(buf)
      })
      yield* nextTurn
      gc()
      expect(refs.map((r) => r.deref() !== undefined)).toEqual([true, true, true]) // not collected too early
      yield* Effect.forEach(memos, Effect.exit)
      yield* nextTurn
      gc()
      expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true, true])
      yield* Effect.forEach(memos, Effect.exit) // still callable
    })
  )

  it.effect.prop(
    "random interruptions of callers: one completed run at most, every surviving caller gets its value",
    [
      Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 8 })),
      Schema.Array(
        Schema.Struct({
          at: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 30 })),
          caller: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 7 }))
        })
      )
    ],
    ([callers, interrupts]) =>
      Effect.gen(function* () {
        let started = 0
        let completed = 0
        const v = Once.value(
          Effect.gen(function* () {
            const id = ++started
            yield* Effect.sleep("10 millis")
            completed++
            return id
          })
        )
        const fibers = yield* Effect.forEach(Array.from({ length: callers }), () => Effect.forkChild(v))
        yield* settle
        for (let t = 0; t <= 30; t++) {
          for (const i of interrupts) if (i.at === t && i.caller < callers) yield* Fiber.interrupt(fibers[i.caller]!)
          yield* TestClock.adjust("1 millis")
        }
        const exits = yield* Effect.forEach(fibers, Fiber.await)
        const values = exits.flatMap((e) => (Exit.isSuccess(e) ? [e.value] : []))
        expect(exits.every((e) => Exit.isSuccess(e) || isInterruptedOnly(e))).toBe(true)
        expect(completed).toBeLessThanOrEqual(1)
        if (values.length > 0) {
          expect(completed).toBe(1)
          expect(new Set(values).size).toBe(1)
          expect(values[0]).toBe(started) // the run that completed was the last one started
          expect(yield* v).toBe(started) // replayed, no new run
          expect(completed).toBe(1)
        } else {
          // Every caller was interrupted: nothing recorded, a new call runs it.
          expect(completed).toBe(0)
          const fresh = yield* Effect.forkChild(v)
          yield* TestClock.adjust("10 millis")
          expect(yield* Fiber.join(fresh)).toBe(started)
        }
      }),
    { arbitrary: { size: 20 } }
  )
})

/**
 * Lost wake-ups and lost turns. Effect's run loop may yield before evaluating
 * any effect once a fiber's op budget (`MaxOpsBeforeYield`) is spent: between
 * a caller's check (someone runs the initializer) and its parking, so that it
 * would wait for a run that already ended; or right after the step that gave
 * a waiter the turn to run the initializer, so that an interruption delivered
 * then would leave the Once running forever with nobody running it. Every
 * budget from 3 to 40 (1 and 2 livelock Effect itself) puts that yield at
 * every point of the operations; a hang becomes a failure through the timeout.
 */
describe("Once under any op budget", () => {
  it.live("an initializer whose last step ran is recorded: an interruption right after it does not run it again", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        // The runner starts at once and is interrupted wherever the budget
        // makes it yield: before its initializer's last step (nothing
        // recorded, the next call runs it) or after it. An initializer whose
        // last step hands its value straight on (Effect.sync) is recorded in
        // that step, so a run that counted is done: no second run.
        for (const shape of ["do", "func", "value"] as const) {
          for (let pad = 0; pad < 3; pad++) {
            let runs = 0
            const init = Effect.andThen(
              loop(pad, Effect.void),
              Effect.sync(() => ++runs)
            )
            const once = yield* Once.make()
            const call: Effect.Effect<unknown> =
              shape === "do" ? Once.do(once, init) : shape === "func" ? Once.func(init) : Once.value(init)
            const runner = yield* Effect.forkChild(call, { startImmediately: true })
            yield* Fiber.interrupt(runner)
            yield* call
            expect(runs, `${shape}, pad ${pad}`).toBe(1)
          }
        }
      })
    )
  )

  it.live("an Effect.gen initializer interrupted between its last statement and its return runs again", () =>
    Effect.gen(function* () {
      // Effect's run loop may yield before any step, and the step that
      // returns a generator's value is one: an interruption delivered in that
      // yield makes Effect report the run interrupted although its last
      // statement ran. There is no value to record, so the next caller runs
      // the initializer again (the semantics the module doc states).
      let ranAgain = 0
      yield* underEveryBudget(() =>
        Effect.gen(function* () {
          for (let pad = 0; pad < 3; pad++) {
            let runs = 0
            const v = Once.value(
              Effect.gen(function* () {
                yield* loop(pad, Effect.void)
                return ++runs // the last statement
              })
            )
            const runner = yield* Effect.forkChild(v, { startImmediately: true })
            yield* Fiber.interrupt(runner)
            const first = yield* Fiber.await(runner)
            const before = runs
            const second = yield* v
            if (before === 1 && runs === 2) {
              // The first run counted, and was reported interrupted.
              expect(isInterruptedOnly(first)).toBe(true)
              ranAgain++
            } else {
              expect(runs).toBe(1)
            }
            expect(second).toBe(runs)
            expect(yield* v).toBe(runs) // recorded now: no third run
          }
        })
      )
      // Some budget does land the yield on the return step.
      expect(ranAgain).toBeGreaterThan(0)
    })
  )

  it.live("called uninterruptibly, an initializer is never run twice: its outcome is always recorded", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let pad = 0; pad < 3; pad++) {
          let runs = 0
          const v = Once.value(
            Effect.gen(function* () {
              yield* loop(pad, Effect.void)
              return ++runs
            })
          )
          const runner = yield* Effect.forkChild(Effect.uninterruptible(v), { startImmediately: true })
          yield* Fiber.interrupt(runner)
          expect(yield* v).toBe(1)
          expect(runs).toBe(1)
        }
      })
    )
  )

  it.live("4 callers of each of 30 Onces all get the value: no lost wake-up", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let round = 0; round < 30; round++) {
          let runs = 0
          const memo = Once.value(
            Effect.andThen(
              loop(round % 5, Effect.yieldNow),
              Effect.sync(() => ++runs)
            )
          )
          const callers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(memo))
          expect(yield* Fiber.joinAll(callers)).toEqual([1, 1, 1, 1])
          expect(runs).toBe(1)
        }
      })
    )
  )

  it.live("callers interrupted around being given the turn leave it to the next caller", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let round = 0; round < 30; round++) {
          let runs = 0
          const once = yield* Once.make()
          const init = Effect.andThen(
            loop(4, Effect.yieldNow),
            Effect.sync(() => runs++)
          )
          const callers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(Once.do(once, init)))
          yield* loop(round % 4, Effect.yieldNow)
          if (round % 2 === 0) {
            yield* Fiber.interrupt(callers[0]!)
            yield* loop(round % 3, Effect.yieldNow)
            yield* Fiber.interrupt(callers[1]!)
          } else {
            // A waiter leaves while the runner is interrupted: the turn may
            // reach the waiter before its fiber is gone.
            yield* Effect.sync(() => {
              callers[0]!.interruptUnsafe()
              callers[1]!.interruptUnsafe()
            })
          }
          // The last caller, or this one, runs the initializer to its end.
          // A run whose last step (the sync) ran is recorded in that step, so
          // exactly one run counted, however the others were interrupted.
          yield* Once.do(once, init)
          yield* Fiber.await(callers[2]!)
          expect(yield* Once.isDone(once)).toBe(true)
          expect(runs).toBe(1)
          expect(yield* Once.blocked(once)).toEqual([])
        }
      })
    )
  )
})

describe("Once: signatures and values", () => {
  it.effect("types: the only typed error is the initializer's own E", () =>
    Effect.gen(function* () {
      const once = yield* Once.make<"e">()
      const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
      expectTypeOf(Once.make()).toEqualTypeOf<Effect.Effect<Once.Once>>()
      expectTypeOf(Once.make<"e">({ name: "init" })).toEqualTypeOf<Effect.Effect<Once.Once<"e">>>()
      expectTypeOf(Once.makeUnsafe<"e">()).toEqualTypeOf<Once.Once<"e">>()
      expectTypeOf(Once.do(once, typed)).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
      expectTypeOf(Once.do(once)(typed)).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
      expectTypeOf(typed.pipe(Once.do(once))).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
      expectTypeOf(Once.func(typed)).toEqualTypeOf<Effect.Effect<void, "e", "R">>()
      expectTypeOf(Once.value(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(Once.isDone(once)).toEqualTypeOf<Effect.Effect<boolean>>()
    })
  )

  it.effect("a Once is Inspectable: toJSON shows done, running and waiters; String and inspect format it", () =>
    Effect.gen(function* () {
      const once = yield* Once.make({ name: "init" })
      const idle = { _id: "Once", name: "init", done: false, running: false, waiters: 0 }
      expect(once.toJSON()).toEqual(idle)
      const gate = yield* Deferred.make<void>()
      const runner = yield* Effect.forkChild(Once.do(once, Deferred.await(gate)))
      yield* settle
      const waiters = yield* Effect.forEach([1, 2], () => Effect.forkChild(Once.do(once, Effect.void)))
      yield* settle
      expect(once.toJSON()).toEqual({ ...idle, running: true, waiters: 2 })
      expect(String(once)).toBe('{"_id":"Once","name":"init","done":false,"running":true,"waiters":2}')
      expect(inspect(once)).toBe("{ _id: 'Once', name: 'init', done: false, running: true, waiters: 2 }")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll([runner, ...waiters])
      expect(once.toJSON()).toEqual({ ...idle, done: true })
    })
  )

  it.effect("a Once is Pipeable", () =>
    Effect.gen(function* () {
      const once = yield* Once.make()
      let runs = 0
      const init = Effect.sync(() => runs++)
      yield* once.pipe((self) => Once.do(self, init))
      yield* Effect.sync(() => runs++).pipe(Once.do(once))
      expect(runs).toBe(1)
      expect(yield* once.pipe(Once.isDone)).toBe(true)
    })
  )
})

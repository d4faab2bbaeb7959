import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as Chan from "../src/Chan.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Select from "../src/Select.ts"
import * as Ticker from "../src/Ticker.ts"
import * as Timer from "../src/Timer.ts"
import { settle } from "./utils/fibers.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"
import { defectOf } from "./utils/exits.ts"

const any = (u: unknown): any => u
const WANTED = 'want milliseconds (a number), a Duration, or a string such as "500 millis"'

/** Durations no timer or ticker accepts, with the message each gets. */
const badDurations: ReadonlyArray<readonly [unknown, string]> = [
  ["bogus", `invalid duration "bogus": not a duration; ${WANTED}`],
  ["5", `invalid duration "5": not a duration; ${WANTED}`],
  [undefined, `invalid duration undefined: not a duration; ${WANTED}`],
  [null, `invalid duration null: not a duration; ${WANTED}`],
  [true, `invalid duration true: not a duration; ${WANTED}`],
  // Effect's own decoder would read each of these as 0.
  [new Date(5), `invalid duration an instance of Date: not a duration; ${WANTED}`],
  [
    { seconds: Number.POSITIVE_INFINITY, milliseconds: Number.NEGATIVE_INFINITY },
    "invalid duration { seconds: Infinity, milliseconds: -Infinity }: not a number: the fields add up to Infinity - Infinity"
  ],
  [Number.NaN, "invalid duration NaN: not a number"],
  [[1, Number.NaN], "invalid duration [1, NaN]: not a number"],
  [{ seconds: Number.NaN }, "invalid duration { seconds: NaN }: not a number: field seconds is NaN"],
  [{ ms: 5 }, `invalid duration { ms: 5 }: not a duration: unknown field "ms"; ${WANTED}`],
  [
    { seconds: "5" },
    `invalid duration { seconds: "5" }: not a duration: field seconds must be a number, not a string; ${WANTED}`
  ],
  [[1, 2, 3], `invalid duration [1, 2, 3]: not a duration: a pair must be [seconds, nanos], two numbers; ${WANTED}`],
  [-1, "invalid duration -1: must not be negative"],
  ["-5 millis", 'invalid duration "-5 millis": must not be negative'],
  [-1n, "invalid duration -1n: must not be negative"],
  [Number.NEGATIVE_INFINITY, "invalid duration -Infinity: must not be negative"],
  ["-Infinity", 'invalid duration "-Infinity": must not be negative']
]

/**
 * Expects `effect` to die with InvalidDurationError and `message` (a bad
 * duration is a programmer error: a defect, never a typed failure), and
 * building it not to throw.
 */
const diesWith = (message: string, build: () => Effect.Effect<unknown, never, any>) =>
  Effect.gen(function* () {
    let effect: Effect.Effect<unknown, never, any> | undefined
    expect(() => (effect = build()), message).not.toThrow()
    const exit = yield* Effect.exit(effect!)
    const defect = defectOf(exit)
    expect(defect, message).toBeInstanceOf(Timer.InvalidDurationError)
    expect((defect as Error).message).toBe(message)
  })

/**
 * Expects `effect` to be refused with InvalidDurationError and `message`,
 * as a failure or a defect: for a module outside this file's concern
 * (GoContext), whose message must match ours either way.
 */
const refusedWith = (message: string, effect: Effect.Effect<unknown, unknown, any>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    const reason = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(reason, message).toBeInstanceOf(Timer.InvalidDurationError)
    expect((reason as Error).message).toBe(message)
  })

describe("Timer", () => {
  it.effect("after(d) delivers the Clock time once, after d", () =>
    Effect.gen(function* () {
      const c = yield* Timer.after("1 second")
      const waiter = yield* Effect.forkChild(Chan.recv(c))
      yield* TestClock.adjust("999 millis")
      expect(waiter.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(waiter)).toEqual(Option.some(1000))
      yield* TestClock.adjust("1 hour")
      expect(yield* Chan.tryRecv(c)).toEqual({ _tag: "Empty" })
    })
  )

  it.effect("as a select timeout case (Go's `case <-time.After(d)`)", () =>
    Effect.gen(function* () {
      const results = yield* Chan.make<string>()
      const timeout = yield* Timer.after("500 millis")
      const sel = yield* Effect.forkChild(
        Select.select(
          Select.recv(results, (r) => Effect.succeed(Option.getOrElse(r, () => "closed"))),
          Select.recv(timeout, () => Effect.succeed("timed out"))
        )
      )
      yield* settle
      yield* TestClock.adjust("500 millis")
      expect(yield* Fiber.join(sel)).toBe("timed out")
    })
  )

  it.effect("stop before firing: true, and nothing is ever delivered", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      expect(yield* Timer.stop(t)).toBe(true)
      yield* TestClock.adjust("2 seconds")
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
      expect(yield* Timer.stop(t)).toBe(false)
    })
  )

  it.effect("stop after firing: false, and the undelivered value is drained (Go 1.23)", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      yield* TestClock.adjust("1 second")
      expect(yield* Timer.stop(t)).toBe(false)
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
    })
  )

  it.effect("reset re-arms from now and no stale value is received", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      yield* TestClock.adjust("1 second") // fired, value waiting
      expect(yield* Timer.reset(t, "2 seconds")).toBe(false)
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
      yield* TestClock.adjust("1999 millis")
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
      yield* TestClock.adjust("1 millis")
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Received", value: 3000 })
      // It fired and was received: not armed. Reset of an armed timer reports true.
      expect(yield* Timer.reset(t, "1 second")).toBe(false)
      expect(yield* Timer.reset(t, "1 second")).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.len(t.c)).toBe(1)
    })
  )

  it.effect("nothing fires after the scope closes", () =>
    Effect.gen(function* () {
      const c = yield* Effect.scoped(Timer.after("1 second"))
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.tryRecv(c)).toEqual({ _tag: "Empty" })
    })
  )

  it.effect("afterFunc runs once after d; stop says whether it prevented the call", () =>
    Effect.gen(function* () {
      let calls = 0
      const f = yield* Timer.afterFunc(
        "1 second",
        Effect.sync(() => calls++)
      )
      yield* TestClock.adjust("1 second")
      expect(calls).toBe(1)
      expect(yield* f.stop).toBe(false)
      const g = yield* Timer.afterFunc(
        "1 second",
        Effect.sync(() => calls++)
      )
      expect(yield* g.stop).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(calls).toBe(1)
    })
  )

  it.effect("bad durations: each is a defect saying what it got and what is wanted, and changes nothing", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      let calls = 0
      for (const [bad, message] of badDurations) {
        yield* diesWith(message, () => Timer.make(any(bad)))
        yield* diesWith(message, () => Timer.after(any(bad)))
        yield* diesWith(message, () =>
          Timer.afterFunc(
            any(bad),
            Effect.sync(() => calls++)
          )
        )
        yield* diesWith(message, () => Timer.reset(t, any(bad)))
      }
      // The failed resets left the timer armed on its first schedule.
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Received", value: 1000 })
      expect(calls).toBe(0)
      // What Effect's Duration accepts otherwise is accepted.
      for (const good of [{ seconds: 1 }, {}, [1, 0], 1000000n, "1 second", 1.5]) {
        yield* Timer.stop(yield* Timer.make(any(good)))
      }
    }).pipe(Effect.scoped)
  )

  it.effect("afterFunc of something that is not an Effect is a defect, and schedules nothing", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Timer.afterFunc("1 second", "f" as unknown as Effect.Effect<void>))
      expect(defectOf(exit)).toMatchObject({
        _tag: "InvalidArgumentError",
        message: 'Timer.afterFunc: expected an Effect, got the string "f"'
      })
    }).pipe(Effect.scoped)
  )

  it.effect("an infinite duration never fires (Go's largest duration); stop and reset treat it as armed", () =>
    Effect.gen(function* () {
      for (const infinite of [Number.POSITIVE_INFINITY, "Infinity", Duration.infinity, { hours: Infinity }]) {
        const t = yield* Timer.make(any(infinite))
        yield* TestClock.adjust("100000 hours")
        expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
        expect(yield* Timer.stop(t)).toBe(true)
      }
      const t = yield* Timer.make(Number.POSITIVE_INFINITY)
      expect(yield* Timer.reset(t, "1 second")).toBe(true)
      yield* TestClock.adjust("1 second")
      expect((yield* Chan.tryRecv(t.c))._tag).toBe("Received")
      // And back: reset to never.
      expect(yield* Timer.reset(t, Number.POSITIVE_INFINITY)).toBe(false)
      yield* TestClock.adjust("100000 hours")
      expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
      let calls = 0
      const f = yield* Timer.afterFunc(
        Number.POSITIVE_INFINITY,
        Effect.sync(() => calls++)
      )
      yield* TestClock.adjust("100000 hours")
      expect(calls).toBe(0)
      expect(yield* f.stop).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("rejects negative and NaN durations; zero fires at once", () =>
    Effect.gen(function* () {
      for (const bad of [-1, Number.NaN]) {
        expect(defectOf(yield* Effect.exit(Timer.make(bad)))).toBeInstanceOf(Timer.InvalidDurationError)
      }
      const t = yield* Timer.make(0)
      yield* settle
      expect(yield* Chan.recv(t.c)).toEqual(Option.some(0))
    })
  )
})

describe("Ticker", () => {
  it.effect("ticks every interval on the original schedule", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("100 millis")
      const ticks: Array<number> = []
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("100 millis")
        ticks.push(Option.getOrThrow(yield* Chan.recv(ticker.c)))
      }
      expect(ticks).toEqual([100, 200, 300])
    })
  )

  it.effect("drops ticks for a slow receiver: at most one waits", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("100 millis")
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.len(ticker.c)).toBe(1)
      // The waiting tick is the first one; the next comes on schedule.
      expect(yield* Chan.recv(ticker.c)).toEqual(Option.some(100))
      yield* TestClock.adjust("100 millis")
      expect(yield* Chan.recv(ticker.c)).toEqual(Option.some(1100))
    })
  )

  it.effect("stop delivers no more ticks and drains the waiting one; reset restarts from now", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("100 millis")
      yield* TestClock.adjust("100 millis")
      yield* Ticker.stop(ticker)
      expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
      yield* Ticker.reset(ticker, "250 millis")
      yield* TestClock.adjust("250 millis")
      expect(yield* Chan.recv(ticker.c)).toEqual(Option.some(1350))
    })
  )

  it.effect(
    "bad intervals: each is a defect saying what it got and what is wanted; a refused reset keeps ticking",
    () =>
      Effect.gen(function* () {
        const ticker = yield* Ticker.make("100 millis")
        const all: ReadonlyArray<readonly [unknown, string]> = [
          ...badDurations,
          [0, "invalid duration 0: must be positive"],
          ["0 millis", 'invalid duration "0 millis": must be positive']
        ]
        for (const [bad, message] of all) {
          yield* diesWith(message, () => Ticker.make(any(bad)))
          yield* diesWith(message, () => Ticker.tick(any(bad)))
          yield* diesWith(message, () => Ticker.reset(ticker, any(bad)))
        }
        yield* TestClock.adjust("100 millis")
        expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Received", value: 100 })
      }).pipe(Effect.scoped)
  )

  it.effect("an infinite interval never ticks, until a reset", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make(Number.POSITIVE_INFINITY)
      yield* TestClock.adjust("100000 hours")
      expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
      yield* Ticker.reset(ticker, "1 second")
      yield* TestClock.adjust("1 second")
      expect((yield* Chan.tryRecv(ticker.c))._tag).toBe("Received")
      yield* Ticker.reset(ticker, "Infinity")
      yield* TestClock.adjust("100000 hours")
      expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
    }).pipe(Effect.scoped)
  )

  it.effect("rejects zero, negative and NaN intervals (Go panics)", () =>
    Effect.gen(function* () {
      for (const bad of [0, -5, Number.NaN]) {
        expect(defectOf(yield* Effect.exit(Ticker.make(bad)))).toBeInstanceOf(Ticker.InvalidDurationError)
      }
      const ticker = yield* Ticker.make("1 second")
      expect(defectOf(yield* Effect.exit(Ticker.reset(ticker, 0)))).toBeInstanceOf(Ticker.InvalidDurationError)
    })
  )

  it.effect("nothing ticks after the scope closes", () =>
    Effect.gen(function* () {
      const c = yield* Effect.scoped(Ticker.tick("10 millis"))
      yield* TestClock.adjust("1 second")
      expect(yield* Chan.tryRecv(c)).toEqual({ _tag: "Empty" })
    })
  )

  it.effect("an interrupted receiver on a ticker loses no tick for the next one", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("100 millis")
      const r = yield* Effect.forkChild(Chan.recv(ticker.c))
      yield* settle
      yield* Fiber.interrupt(r)
      expect((yield* Chan.blocked(ticker.c)).length).toBe(0)
      yield* TestClock.adjust("100 millis")
      expect(yield* Chan.recv(ticker.c)).toEqual(Option.some(100))
    })
  )
})

describe("constructors and wrappers have no error channel: a bad duration is a defect", () => {
  it("type tests", () => {
    expectTypeOf(Timer.make("1 second")).toEqualTypeOf<Effect.Effect<Timer.Timer, never, Scope.Scope>>()
    expectTypeOf(Timer.after("1 second")).toEqualTypeOf<Effect.Effect<Chan.RecvChan<number>, never, Scope.Scope>>()
    expectTypeOf(Timer.afterFunc("1 second", Effect.log("late"))).toEqualTypeOf<
      Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, never, Scope.Scope>
    >()
    // The call's own requirements stay.
    expectTypeOf(Timer.afterFunc("1 second", Effect.void as Effect.Effect<void, "E", "R">)).toEqualTypeOf<
      Effect.Effect<{ readonly stop: Effect.Effect<boolean> }, never, "R" | Scope.Scope>
    >()
    expectTypeOf(Timer.reset).returns.toEqualTypeOf<Effect.Effect<boolean>>()
    expectTypeOf(Timer.stop).returns.toEqualTypeOf<Effect.Effect<boolean>>()
    expectTypeOf(Ticker.make("1 second")).toEqualTypeOf<Effect.Effect<Ticker.Ticker, never, Scope.Scope>>()
    expectTypeOf(Ticker.tick("1 second")).toEqualTypeOf<Effect.Effect<Chan.RecvChan<number>, never, Scope.Scope>>()
    expectTypeOf(Ticker.reset).returns.toEqualTypeOf<Effect.Effect<void>>()
    expectTypeOf(Ticker.stop).returns.toEqualTypeOf<Effect.Effect<void>>()
  })
})

describe("Timer and Ticker as values: Pipeable and Inspectable", () => {
  it.effect("a timer shows whether it is armed, its duration, when it fires and what waits in its channel", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      expect(t.toJSON()).toStrictEqual({ _id: "Timer", active: true, duration: "1s", firesAt: 1000, pending: 0 })
      yield* TestClock.adjust("1 second")
      expect(t.toJSON()).toStrictEqual({ _id: "Timer", active: false, duration: "1s", firesAt: undefined, pending: 1 })
      expect(yield* Timer.reset(t, "250 millis")).toBe(false)
      expect(t.toJSON()).toStrictEqual({ _id: "Timer", active: true, duration: "250ms", firesAt: 1250, pending: 0 })
      expect(yield* Timer.stop(t)).toBe(true)
      expect(t.toJSON()).toStrictEqual({
        _id: "Timer",
        active: false,
        duration: "250ms",
        firesAt: undefined,
        pending: 0
      })
      const never = yield* Timer.make(Number.POSITIVE_INFINITY)
      expect(never.toJSON()).toStrictEqual({
        _id: "Timer",
        active: true,
        duration: "Infinity",
        firesAt: undefined,
        pending: 0
      })
    }).pipe(Effect.scoped)
  )

  it.effect("a ticker shows whether it runs, its interval and whether a tick waits", () =>
    Effect.gen(function* () {
      const ticker = yield* Ticker.make("100 millis")
      expect(ticker.toJSON()).toStrictEqual({ _id: "Ticker", active: true, interval: "100ms", pending: 0 })
      yield* TestClock.adjust("350 millis")
      expect(ticker.toJSON()).toStrictEqual({ _id: "Ticker", active: true, interval: "100ms", pending: 1 })
      yield* Ticker.stop(ticker)
      expect(ticker.toJSON()).toStrictEqual({ _id: "Ticker", active: false, interval: "100ms", pending: 0 })
      yield* Ticker.reset(ticker, "2 seconds")
      expect(ticker.toJSON()).toStrictEqual({ _id: "Ticker", active: true, interval: "2s", pending: 0 })
    }).pipe(Effect.scoped)
  )

  it.effect("String, Node's inspect and pipe", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      const ticker = yield* Ticker.make("1 second")
      expect(String(t)).toBe('{"_id":"Timer","active":true,"duration":"1s","firesAt":1000,"pending":0}')
      expect(String(ticker)).toBe('{"_id":"Ticker","active":true,"interval":"1s","pending":0}')
      expect(inspect(t)).toBe(inspect(t.toJSON()))
      expect(inspect(ticker)).toBe(inspect(ticker.toJSON()))
      expect(yield* t.pipe(Timer.stop)).toBe(true)
      yield* ticker.pipe(Ticker.stop)
      expect(ticker.pipe((x) => x.toJSON())).toMatchObject({ active: false })
      // The channel of each is a channel value too.
      expect(t.c.toJSON()).toMatchObject({ _id: "Chan", capacity: 1, len: 0 })
    }).pipe(Effect.scoped)
  )
})

/**
 * Effect's run loop may yield before evaluating any effect once a fiber's op
 * budget (`MaxOpsBeforeYield`) is spent. Stop, reset and firing must each
 * decide in one step: otherwise two resets can each start a timer (one is
 * left behind and fires after a stop), or a stop can say it prevented an
 * `afterFunc` call that started meanwhile (and interrupt it half-way). Every
 * budget from 3 to 40 (1 and 2 livelock Effect itself) puts that yield at
 * every point of the operations. On the live clock, with short durations.
 */
describe("Timer and Ticker under any op budget", () => {
  it.live("concurrent resets leave one timer: nothing fires after stop", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const t = yield* Timer.make("1 hour")
        const resetter = loop(10, Effect.andThen(Timer.reset(t, "20 millis"), Effect.yieldNow))
        yield* Fiber.joinAll(yield* Effect.forEach([1, 2], () => Effect.forkChild(resetter)))
        yield* Timer.stop(t)
        yield* Effect.sleep("30 millis")
        expect(yield* Chan.tryRecv(t.c)).toEqual({ _tag: "Empty" })
      })
    )
  )

  it.live("concurrent resets leave one ticker: nothing ticks after stop", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const ticker = yield* Ticker.make("1 hour")
        const resetter = loop(10, Effect.andThen(Ticker.reset(ticker, "5 millis"), Effect.yieldNow))
        yield* Fiber.joinAll(yield* Effect.forEach([1, 2], () => Effect.forkChild(resetter)))
        yield* Ticker.stop(ticker)
        yield* Effect.sleep("20 millis")
        expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
      })
    )
  )

  it.live("afterFunc: a stop that says true comes before the call; a call that started runs to its end", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        for (let i = 0; i < 10; i++) {
          let started = false
          let finished = false
          const f = yield* Timer.afterFunc(
            0,
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
          )
          yield* loop(i % 5, Effect.yieldNow)
          const stopped = yield* f.stop
          if (stopped) {
            yield* Effect.sleep("2 millis") // the call would have started by now
            expect({ started, finished }).toEqual({ started: false, finished: false })
          } else {
            // The call has started: it runs to its end, stop did not interrupt it.
            for (let k = 0; k < 100 && !finished; k++) yield* Effect.yieldNow
            expect({ started, finished }).toEqual({ started: true, finished: true })
          }
        }
      })
    )
  )
})

describe("durations: one decoder for every duration argument", () => {
  it.effect("the same bad input gets the same verdict and message from Timer, Ticker, Select.after and GoContext", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>()
      for (const [bad, message] of badDurations) {
        yield* diesWith(message, () => Timer.make(any(bad)))
        yield* diesWith(message, () => Ticker.make(any(bad)))
        // A select case reports it when the select runs, as a defect.
        const exit = yield* Effect.exit(Select.select(Select.recv(ch), Select.after(any(bad))))
        const defect = defectOf(exit)
        expect(defect, message).toBeInstanceOf(Timer.InvalidDurationError)
        expect((defect as Error).message).toBe(message)
        // A context timeout may be negative (Go: already expired); nothing else differs.
        if (message.endsWith("must not be negative")) {
          const [expired] = yield* GoContext.withTimeout(GoContext.background, any(bad))
          expect(Option.isSome(yield* GoContext.err(expired))).toBe(true)
        } else {
          yield* refusedWith(message, GoContext.withTimeout(GoContext.background, any(bad)))
        }
      }
      expect((yield* Chan.blocked(ch)).length).toBe(0)
    }).pipe(Effect.scoped)
  )

  it.effect("Infinity means never everywhere: no fire, no tick, no timeout, no deadline", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>()
      const timer = yield* Timer.make(Number.POSITIVE_INFINITY)
      const ticker = yield* Ticker.make(Number.POSITIVE_INFINITY)
      const sel = yield* Effect.forkChild(
        Select.select(
          Select.recv(ch, (v) => Effect.succeed(v)),
          Select.after(Number.POSITIVE_INFINITY, () => Effect.succeed("timeout"))
        )
      )
      const [ctx] = yield* GoContext.withTimeout(GoContext.background, Number.POSITIVE_INFINITY)
      expect(GoContext.deadline(ctx)).toEqual(Option.none())
      yield* TestClock.adjust("100000 hours")
      expect(yield* Chan.tryRecv(timer.c)).toEqual({ _tag: "Empty" })
      expect(yield* Chan.tryRecv(ticker.c)).toEqual({ _tag: "Empty" })
      expect(sel.pollUnsafe()).toBeUndefined()
      expect(yield* GoContext.err(ctx)).toEqual(Option.none())
      yield* Chan.send(ch, 1)
      expect(yield* Fiber.join(sel)).toEqual(Option.some(1))
    }).pipe(Effect.scoped)
  )
})

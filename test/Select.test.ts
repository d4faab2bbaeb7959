import { describe, expect, expectTypeOf } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as Timer from "../src/Timer.ts"
import { InvalidDurationError } from "../src/Timer.ts"
import { defectOf } from "./utils/exits.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

describe("Select", () => {
  describe("choice", () => {
    it.effect("chooses uniformly among ready cases: within 10σ over 10k trials (Go's TestSelectFairness)", () =>
      Effect.gen(function* () {
        const trials = 10_000
        const chans = yield* Effect.forEach(range(4), () => Chan.make<number>(trials))
        for (const ch of chans) for (let i = 0; i < trials; i++) yield* Chan.send(ch, i)
        const counts = [0, 0, 0, 0]
        for (let i = 0; i < trials; i++) {
          const which = yield* Select.select(...chans.map((ch, k) => Select.recv(ch, () => Effect.succeed(k))))
          counts[which]!++
        }
        const p = 1 / 4
        const sigma = Math.sqrt(trials * p * (1 - p))
        for (const c of counts) expect(Math.abs(c - trials * p)).toBeLessThan(10 * sigma)
      }).pipe(Random.withSeed(42))
    )

    it.effect("two send cases on one channel each win (Go's TestSelectFairness, send side)", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        const wins = [0, 0]
        for (let i = 0; i < 1000; i++) {
          const which = yield* Select.select(
            Select.send(ch, 0, () => Effect.succeed(0)),
            Select.send(ch, 1, () => Effect.succeed(1))
          )
          wins[which]!++
          yield* Chan.recv(ch)
        }
        expect(wins[0]).toBeGreaterThan(400)
        expect(wins[1]).toBeGreaterThan(400)
      }).pipe(Random.withSeed(7))
    )

    it.effect("parked send cases on one channel each win (Go's TestPseudoRandomSend, capacity 0 and n)", () =>
      Effect.gen(function* () {
        const n = 100
        for (const capacity of [0, n]) {
          const c = yield* Chan.make<number>(capacity)
          const received: Array<number> = []
          // The receiver yields before each receive, so that with capacity 0
          // the select has parked both send cases by the time it arrives.
          const receiver = yield* Effect.forkChild(
            Effect.forEach(range(n), () =>
              Effect.andThen(
                Effect.yieldNow,
                Effect.flatMap(Chan.recv(c), (o) => Effect.sync(() => received.push(Option.getOrThrow(o))))
              )
            )
          )
          for (let i = 0; i < n; i++) yield* Select.select(Select.send(c, 1), Select.send(c, 0))
          yield* Fiber.join(receiver)
          const ones = received.filter((v) => v === 1).length
          expect(ones, `capacity ${capacity}`).toBeGreaterThan(n / 10)
          expect(n - ones, `capacity ${capacity}`).toBeGreaterThan(n / 10)
        }
      }).pipe(Random.withSeed(11))
    )

    it.effect("parked receive cases on one channel each win", () =>
      Effect.gen(function* () {
        const c = yield* Chan.make<number>()
        const wins = [0, 0]
        for (let i = 0; i < 200; i++) {
          const sel = yield* Effect.forkChild(
            Select.select(
              Select.recv(c, () => Effect.succeed(0)),
              Select.recv(c, () => Effect.succeed(1))
            )
          )
          yield* settle
          yield* Chan.send(c, i)
          wins[yield* Fiber.join(sel)]!++
        }
        expect(wins[0]).toBeGreaterThan(60)
        expect(wins[1]).toBeGreaterThan(60)
      }).pipe(Random.withSeed(5))
    )

    it.effect("a seeded Random makes the choice repeatable", () =>
      Effect.gen(function* () {
        const run = Effect.gen(function* () {
          const a = yield* Chan.make<string>(100)
          const b = yield* Chan.make<string>(100)
          for (let i = 0; i < 100; i++) {
            yield* Chan.send(a, "a")
            yield* Chan.send(b, "b")
          }
          const picks: Array<string> = []
          for (let i = 0; i < 50; i++) {
            picks.push(
              yield* Select.select(
                Select.recv(a, (v) => Effect.succeed(Option.getOrThrow(v))),
                Select.recv(b, (v) => Effect.succeed(Option.getOrThrow(v)))
              )
            )
          }
          return picks.join("")
        })
        const first = yield* run.pipe(Random.withSeed(1234))
        const second = yield* run.pipe(Random.withSeed(1234))
        expect(first).toBe(second)
        expect(first).toMatch(/a/)
        expect(first).toMatch(/b/)
      })
    )
  })

  describe("default (otherwise)", () => {
    it.effect("runs only when no case is ready", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        const empty = yield* Select.select(
          Select.recv(ch, () => Effect.succeed("recv")),
          Select.otherwise(() => Effect.succeed("default"))
        )
        expect(empty).toBe("default")
        yield* Chan.send(ch, 1)
        const ready = yield* Select.select(
          Select.recv(ch, () => Effect.succeed("recv")),
          Select.otherwise(() => Effect.succeed("default"))
        )
        expect(ready).toBe("recv")
      })
    )

    it.effect(
      "a value sent and then closed is never missed by a non-blocking select (Go's TestNonblockSelectRace)",
      () =>
        Effect.gen(function* () {
          for (let i = 0; i < 500; i++) {
            const c1 = yield* Chan.make<number>(1)
            const c2 = yield* Chan.make<number>(1)
            yield* Chan.send(c1, 1)
            const other = yield* Effect.forkChild(
              Select.select(
                Select.recv(c1),
                Select.recv(c2),
                Select.otherwise(() => Effect.succeed(Option.none()))
              )
            )
            const mine = yield* Select.select(
              Select.recv(c1, () => Effect.succeed(true)),
              Select.recv(c2, () => Effect.succeed(true)),
              Select.otherwise(() => Effect.succeed(false))
            )
            const theirs = yield* Fiber.join(other)
            // Exactly one of the two selects got the value.
            expect(mine !== Option.isSome(theirs)).toBe(true)
          }
        })
    )

    it.effect("more than one otherwise case is a defect inside the Effect, not a throw", () =>
      Effect.gen(function* () {
        const select = Select.select(
          Select.otherwise(),
          Select.otherwise(() => Effect.succeed(1))
        )
        const exit = yield* Effect.exit(select)
        const defect = defectOf(exit)
        expect(defect).toBeInstanceOf(Select.MultipleDefaultsError)
        expect((defect as Error).message).toBe(
          "multiple defaults in select: got 2 Select.otherwise cases, want at most 1"
        )
      })
    )
  })

  describe("blocking", () => {
    it.effect("parks on every channel and commits exactly the case a sender completes", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 2]) {
          const a = yield* Chan.make<number>(capacity)
          const b = yield* Chan.make<number>(capacity)
          const sel = yield* Effect.forkChild(
            Select.select(
              Select.recv(a, (v) => Effect.succeed(["a", v] as const)),
              Select.recv(b, (v) => Effect.succeed(["b", v] as const))
            )
          )
          yield* settle
          expect((yield* Chan.blocked(a)).map((x) => x.op)).toEqual(["select recv"])
          expect((yield* Chan.blocked(b)).map((x) => x.op)).toEqual(["select recv"])
          yield* Chan.send(b, 5)
          expect(yield* Fiber.join(sel)).toEqual(["b", Option.some(5)])
          // Withdrawn from a: nothing parked there any more.
          expect((yield* Chan.blocked(a)).length).toBe(0)
          expect((yield* Chan.blocked(b)).length).toBe(0)
          expect(yield* Chan.trySend(a, 1)).toBe(capacity > 0)
        }
      })
    )

    it.effect("a parked send case is taken by a receiver", () =>
      Effect.gen(function* () {
        const out = yield* Chan.make<string>()
        const other = yield* Chan.make<string>()
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.send(out, "x", () => Effect.succeed("sent")),
            Select.recv(other, () => Effect.succeed("recv"))
          )
        )
        yield* settle
        expect(yield* Chan.recv(out)).toEqual(Option.some("x"))
        expect(yield* Fiber.join(sel)).toBe("sent")
        expect((yield* Chan.blocked(other)).length).toBe(0)
      })
    )

    it.effect("close wakes a parked receive case with none, and fails a parked send case", () =>
      Effect.gen(function* () {
        const inbox = yield* Chan.make<number>()
        const outbox = yield* Chan.make<number>()
        const receiving = yield* Effect.forkChild(Select.select(Select.recv(inbox)))
        const sending = yield* Effect.forkChild(Select.select(Select.send(outbox, 1)))
        yield* settle
        yield* Chan.close(inbox)
        yield* Chan.close(outbox)
        expect(yield* Fiber.join(receiving)).toEqual(Option.none())
        const failed = yield* Fiber.await(sending)
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* Effect.flip(Fiber.join(sending))).toBeInstanceOf(Chan.ChanClosedError)
        expect((yield* Chan.blocked(inbox)).length + (yield* Chan.blocked(outbox)).length).toBe(0)
      })
    )

    it.effect("a receive case on a closed channel is ready; a send case on a closed channel fails", () =>
      Effect.gen(function* () {
        const closed = yield* Chan.make<number>()
        yield* Chan.close(closed)
        const never = Chan.nil<number>()
        expect(yield* Select.select(Select.recv(closed), Select.recv(never))).toEqual(Option.none())
        const error = yield* Effect.flip(Select.select(Select.send(closed, 1), Select.recv(never)))
        expect(error).toBeInstanceOf(Chan.ChanClosedError)
      })
    )

    it.effect("never pairs its own send and receive on one unbuffered channel", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.send(ch, 1, () => Effect.succeed("send")),
            Select.recv(ch, () => Effect.succeed("recv")),
            Select.after("1 second", () => Effect.succeed("timeout"))
          )
        )
        yield* settle
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(sel)).toBe("timeout")
        expect((yield* Chan.blocked(ch)).length).toBe(0)
      })
    )

    it.effect("the same channel in two cases works", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.recv(ch, () => Effect.succeed(1)),
            Select.recv(ch, () => Effect.succeed(2))
          )
        )
        yield* settle
        expect((yield* Chan.blocked(ch)).length).toBe(2)
        yield* Chan.send(ch, 0)
        expect([1, 2]).toContain(yield* Fiber.join(sel))
        expect((yield* Chan.blocked(ch)).length).toBe(0)
      })
    )

    it.effect("nil-channel cases are never chosen; a select with none but nil cases blocks until interrupted", () =>
      Effect.gen(function* () {
        const real = yield* Chan.make<number>(1)
        const nil = Chan.nil<number>()
        yield* Chan.send(real, 3)
        expect(
          yield* Select.select(
            Select.recv(nil, () => Effect.succeed("nil")),
            Select.recv(real, () => Effect.succeed("real"))
          )
        ).toBe("real")
        const forever = yield* Effect.forkChild(Select.select(Select.recv(nil), Select.send(nil, 1)))
        const empty = yield* Effect.forkChild(Select.select())
        yield* settle
        yield* TestClock.adjust("1 hour")
        expect(forever.pollUnsafe()).toBeUndefined()
        expect(empty.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(forever)
        yield* Fiber.interrupt(empty)
      })
    )
  })

  describe("timeout case", () => {
    it.effect("fires after the duration on the Clock, and not before", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.recv(ch, () => Effect.succeed("value")),
            Select.after("500 millis", () => Effect.succeed("timeout"))
          )
        )
        yield* settle
        yield* TestClock.adjust("499 millis")
        expect(sel.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("1 millis")
        expect(yield* Fiber.join(sel)).toBe("timeout")
        expect((yield* Chan.blocked(ch)).length).toBe(0)
      })
    )

    it.effect("a value before the deadline wins and the timer stops", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.recv(ch, () => Effect.succeed("value")),
            Select.after("500 millis", () => Effect.succeed("timeout"))
          )
        )
        yield* settle
        yield* Chan.send(ch, 1)
        expect(yield* Fiber.join(sel)).toBe("value")
        // The leak check proves the timer fiber is gone.
      })
    )

    it.effect(
      "a bad duration is a defect of the select, as Timer.make rejects it, never a throw or an instant timeout",
      () =>
        Effect.gen(function* () {
          const ch = yield* Chan.make<number>()
          for (const [input, reason] of [
            ["bogus", "not a duration"],
            [Number.NaN, "not a number"],
            [-1, "must not be negative"],
            // Effect's own decoder reads these as 0: the select would time out at once.
            [{ ms: 5 }, 'not a duration: unknown field "ms"'],
            [[1, Number.NaN], "not a number"]
          ] as const) {
            const after = Select.after(input as Duration.Input, () => Effect.succeed("timeout"))
            const exit = yield* Effect.exit(Select.select(Select.recv(ch), after))
            const defect = defectOf(exit)
            expect(defect, String(input)).toBeInstanceOf(InvalidDurationError)
            expect((defect as InvalidDurationError).reason).toBe(reason)
            // Timer.make dies with the same message for the same input.
            const timer = defectOf(yield* Effect.exit(Effect.scoped(Timer.make(input as Duration.Input))))
            expect(timer).toBeInstanceOf(InvalidDurationError)
            expect((defect as Error).message).toBe((timer as Error).message)
          }
          expect((yield* Chan.blocked(ch)).length).toBe(0)
        })
    )

    it.effect("an infinite timeout is never chosen: after(timeout ?? Infinity) is an optional timeout", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const noTimeout: Duration.Input | undefined = undefined
        const sel = yield* Effect.forkChild(
          Select.select(
            Select.recv(ch, (v) => Effect.succeed(v)),
            Select.after(noTimeout ?? Number.POSITIVE_INFINITY, () => Effect.succeed("timeout")),
            Select.after("Infinity", () => Effect.succeed("timeout"))
          )
        )
        yield* settle
        yield* TestClock.adjust("100000 hours")
        expect(sel.pollUnsafe()).toBeUndefined()
        yield* Chan.send(ch, 1)
        expect(yield* Fiber.join(sel)).toEqual(Option.some(1))
        // Alone, it blocks like Go's `select {}`, interruptibly.
        const forever = yield* Effect.forkChild(Select.select(Select.after(Number.POSITIVE_INFINITY)))
        yield* settle
        yield* TestClock.adjust("100000 hours")
        expect(forever.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(forever)
      })
    )

    it.effect("otherwise wins over a timeout case (the timer is never ready at the start)", () =>
      Effect.gen(function* () {
        const result = yield* Select.select(
          Select.after(0, () => Effect.succeed("timeout")),
          Select.otherwise(() => Effect.succeed("default"))
        )
        expect(result).toBe("default")
      })
    )
  })

  describe("bad arguments", () => {
    const any = (u: unknown): any => u

    it.effect("a bad channel or handler is reported when the select runs, never thrown while the case is built", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        const other = yield* Chan.make<number>()
        const cases: ReadonlyArray<readonly [() => Select.Case<unknown, unknown>, string, string]> = [
          [() => Select.recv(any(undefined)), "InvalidArgumentError", "expected a Chan, got undefined"],
          [() => Select.send(any(5), 1), "InvalidArgumentError", "expected a Chan, got the number 5"],
          [() => Select.recv(any({ ...ch })), "CopiedPrimitiveError", "Chan is copied"],
          [
            () => Select.recv(ch, any(5)),
            "InvalidArgumentError",
            "Select.recv: expected a function (the case's handler), got the number 5"
          ],
          [
            () => Select.send(ch, 1, any("f")),
            "InvalidArgumentError",
            `Select.send: expected a function (the case's handler), got the string "f"`
          ],
          [
            () => Select.after(10, any(null)),
            "InvalidArgumentError",
            "Select.after: expected a function (the case's handler), got null"
          ],
          [
            () => Select.otherwise(any(true)),
            "InvalidArgumentError",
            "Select.otherwise: expected a function (the case's handler), got the boolean true"
          ]
        ]
        for (const [build, tag, message] of cases) {
          let bad: Select.Case<unknown, unknown> | undefined
          expect(() => {
            bad = build()
          }, message).not.toThrow()
          const exit = yield* Effect.exit(Select.select(Select.recv(other), bad!))
          const defect = defectOf(exit) as Error & { readonly _tag: string }
          expect(defect?._tag, message).toBe(tag)
          expect(defect.message.startsWith(message), defect.message).toBe(true)
        }
        // Nothing was registered, nothing taken.
        expect((yield* Chan.blocked(other)).length).toBe(0)
        expect(yield* Chan.len(ch)).toBe(0)
      })
    )

    it.effect("an argument that is no case makes the select die instead of blocking forever", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const wanted = "Select.select: expected a case (Select.recv, Select.send, Select.after or Select.otherwise)"
        for (const [bad, got] of [
          [5, "the number 5"],
          [undefined, "undefined"],
          [ch, "a Chan"],
          [[Select.recv(ch)], "an array of length 1"],
          [Select.recv, "the function recv"]
        ] as const) {
          const exit = yield* Effect.exit(Select.select(any(bad) as Select.Case<void>))
          expect(defectOf(exit)).toMatchObject({ _tag: "InvalidArgumentError", message: `${wanted}, got ${got}` })
        }
        expect((yield* Chan.blocked(ch)).length).toBe(0)
      })
    )

    it.effect("a handler that returns no Effect is a tagged defect, ready or parked", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        yield* Chan.send(ch, 1)
        // Ready at once.
        const ready = yield* Effect.exit(Select.select(Select.recv(ch, any(() => 5) as () => Effect.Effect<void>)))
        expect(defectOf(ready)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Select.recv: expected its handler to return an Effect, got the number 5"
        })
        const otherwise = yield* Effect.exit(
          Select.select(Select.recv(ch), Select.otherwise(any(() => "x") as () => Effect.Effect<void>))
        )
        expect(defectOf(otherwise)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: 'Select.otherwise: expected its handler to return an Effect, got the string "x"'
        })
        // Parked, then fired by the timeout.
        const parked = yield* Effect.forkChild(
          Effect.exit(
            Select.select(Select.recv(ch), Select.after(10, any(() => undefined) as () => Effect.Effect<void>))
          )
        )
        yield* settle
        yield* TestClock.adjust(10)
        expect(defectOf(yield* Fiber.join(parked))).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Select.after: expected its handler to return an Effect, got undefined"
        })
      })
    )
  })

  describe("interruption", () => {
    it.effect("an interrupted select leaves no registration on any channel", () =>
      Effect.gen(function* () {
        const a = yield* Chan.make<number>()
        const b = yield* Chan.make<number>(1)
        yield* Chan.send(b, 0)
        const sel = yield* Effect.forkChild(Select.select(Select.recv(a), Select.send(b, 1), Select.after("1 minute")))
        yield* settle
        expect((yield* Chan.blocked(a)).length).toBe(1)
        expect((yield* Chan.blocked(b)).length).toBe(1)
        yield* Fiber.interrupt(sel)
        expect((yield* Chan.blocked(a)).length).toBe(0)
        expect((yield* Chan.blocked(b)).length).toBe(0)
        // The interrupted send case did not send.
        expect(yield* Chan.recv(b)).toEqual(Option.some(0))
        expect(yield* Chan.tryRecv(b)).toEqual({ _tag: "Empty" })
      })
    )

    it.effect.prop(
      "interrupting selects at random points under load loses and duplicates nothing",
      [Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 4 })))],
      ([delays]) =>
        Effect.gen(function* () {
          const capacity = delays.length % 2 === 0 ? 0 : 4
          const a = yield* Chan.make<number>(capacity)
          const b = yield* Chan.make<number>(capacity)
          const received: Array<number> = []
          const record = (o: Option.Option<number>) => Effect.sync(() => Option.isSome(o) && received.push(o.value))
          const selectors = yield* Effect.forEach(range(6), () =>
            Effect.forkChild(Effect.forever(Select.select(Select.recv(a, record), Select.recv(b, record))))
          )
          const sent: Array<number> = []
          let next = 0
          for (const [i, delay] of delays.entries()) {
            const v = next++
            const ok = yield* Chan.trySend(i % 2 === 0 ? a : b, v)
            if (ok) sent.push(v)
            for (let k = 0; k < delay; k++) yield* Effect.yieldNow
            const victim = selectors[i % selectors.length]!
            if (delay % 2 === 1) yield* Fiber.interrupt(victim)
          }
          yield* settle
          yield* Fiber.interruptAll(selectors)
          expect((yield* Chan.blocked(a)).length).toBe(0)
          expect((yield* Chan.blocked(b)).length).toBe(0)
          // Whatever a selector did not get is still in the channels.
          yield* Chan.close(a)
          yield* Chan.close(b)
          for (const ch of [a, b]) {
            while (true) {
              const o = yield* Chan.recv(ch)
              if (Option.isNone(o)) break
              received.push(o.value)
            }
          }
          expect([...received].sort((x, y) => x - y)).toEqual(sent)
        })
    )
  })

  describe("types", () => {
    it("the result is the union of the handlers' results; errors are unioned", () => {
      const nums = Chan.makeUnsafe<number>()
      const strs = Chan.makeUnsafe<string>()
      const program = Select.select(
        Select.recv(nums, (n) => Effect.succeed(Option.getOrElse(n, () => 0))),
        Select.recv(strs, (s) => (Option.isSome(s) ? Effect.succeed(s.value) : Effect.fail("closed" as const))),
        Select.after("1 second", () => Effect.succeed(null))
      )
      expectTypeOf(program).toEqualTypeOf<Effect.Effect<number | string | null, "closed">>()
      const withSend = Select.select(
        Select.send(nums, 1),
        Select.otherwise(() => Effect.succeed(false))
      )
      expectTypeOf(withSend).toEqualTypeOf<Effect.Effect<void | boolean, Chan.ChanClosedError>>()
      const recvView: Chan.RecvChan<number> = nums
      // @ts-expect-error a receive-only view cannot be a send case
      Select.send(recvView, 1)
      // @ts-expect-error a send case checks the value's type
      Select.send(nums, "one")
    })

    it("misuse adds nothing to a case's or a select's types: a bad duration or case is a defect", () => {
      const nums = Chan.makeUnsafe<number>()
      expectTypeOf(Select.recv(nums)).toEqualTypeOf<Select.Case<Option.Option<number>>>()
      expectTypeOf(Select.send(nums, 1)).toEqualTypeOf<Select.Case<void, Chan.ChanClosedError>>()
      expectTypeOf(Select.after("1 second")).toEqualTypeOf<Select.Case<void>>()
      expectTypeOf(Select.after("1 second", () => Effect.succeed(1))).toEqualTypeOf<Select.Case<number>>()
      expectTypeOf(Select.otherwise()).toEqualTypeOf<Select.Case<void>>()
      expectTypeOf(Select.select(Select.recv(nums), Select.after("1 second"))).toEqualTypeOf<
        Effect.Effect<Option.Option<number> | void>
      >()
    })
  })
})

import { inspect } from "node:util"
import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Select from "../src/Select.ts"
import { settle } from "./utils/fibers.ts"
import { underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}
class Other extends Data.TaggedError("Other")<{}> {}

/** Lets forked fibers reach their sleeps, then moves the TestClock. */
const advance = (duration: Duration.Input): Effect.Effect<void> => Effect.andThen(settle, TestClock.adjust(duration))

/** The error or defect an Exit failed with (undefined on success). */
const squashed = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

/**
 * The defect `effect` dies with. Fails the test if it succeeds or fails with
 * a typed error: a programmer error is never one.
 */
const defectOf = (effect: Effect.Effect<unknown, unknown, any>): Effect.Effect<unknown, never, any> =>
  Effect.map(Effect.exit(effect), (exit) => {
    expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause), String(exit)).toBe(true)
    return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
  })

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** An endless generator that counts how many values it produced. */
const counting = () => {
  const state = { produced: 0 }
  const iterable: Iterable<number> = {
    *[Symbol.iterator]() {
      for (;;) yield state.produced++
    }
  }
  return { state, iterable }
}

const sq = Pipeline.map((n: number) => Effect.succeed(n * n))

/** Every channel has nobody parked on it. */
const nobodyBlocked = (chans: ReadonlyArray<Chan.RecvChan<unknown>>) =>
  Effect.gen(function* () {
    for (const ch of chans) expect(yield* Chan.blocked(ch)).toEqual([])
  })

/** A deterministic pseudo-random sequence (LCG). */
const pseudoRandom = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

describe("Pipeline", () => {
  describe("Go blog: Pipelines and cancellation", () => {
    it.effect("gen → sq → sq prints 16 then 81 (sq(sq(gen(2, 3))))", () =>
      Effect.gen(function* () {
        const out = yield* Pipeline.gen(2, 3).pipe(Effect.flatMap(sq), Effect.flatMap(sq))
        expect(yield* Pipeline.collect(out)).toEqual([16, 81])
        // Data-first, nested as in Go.
        const nested = yield* Pipeline.map(
          yield* Pipeline.map(yield* Pipeline.gen(2, 3), (n) => Effect.succeed(n * n)),
          (n) => Effect.succeed(n * n)
        )
        expect(yield* Pipeline.collect(nested)).toEqual([16, 81])
      })
    )

    it.effect("fan-out, fan-in: two sq workers read one channel, merge joins them", () =>
      Effect.gen(function* () {
        const input = yield* Pipeline.from(range(100))
        const c1 = yield* sq(input)
        const c2 = yield* sq(input)
        const merged = yield* Pipeline.merge(c1, c2)
        const out = yield* Pipeline.collect(merged)
        expect(out.sort((a, b) => a - b)).toEqual(range(100).map((n) => n * n))
      })
    )

    it.effect(
      "gen of an array is the blog's buffered gen: every value in a closed channel of len(nums), no fiber",
      () =>
        Effect.gen(function* () {
          const nums = yield* Effect.scoped(Pipeline.gen(2, 3, 4))
          // Its scope has closed: nothing was left to stop.
          expect(Chan.cap(nums)).toBe(3)
          expect(yield* Chan.len(nums)).toBe(3)
          expect(yield* Pipeline.collect(nums)).toEqual([2, 3, 4])
          expect(yield* Pipeline.check(nums)).toBeUndefined()
          const empty = yield* Pipeline.from([], { name: "none" })
          expect(Chan.cap(empty)).toBe(0)
          expect(yield* Chan.recv(empty)).toEqual(Option.none())
          // A capacity, or an iterable that is no array, keeps the sending fiber.
          const lazy = yield* Pipeline.from(new Set([1, 2]))
          expect(Chan.cap(lazy)).toBe(0)
          expect(yield* Chan.blocked(lazy)).toHaveLength(1)
          expect(yield* Pipeline.collect(lazy)).toEqual([1, 2])
          const given = yield* Pipeline.from([1, 2], { capacity: 1 })
          expect(Chan.cap(given)).toBe(1)
          expect(yield* Pipeline.collect(given)).toEqual([1, 2])
        })
    )

    it.effect("merge of no channel is closed at once; merge of closed channels closes", () =>
      Effect.gen(function* () {
        expect(yield* Pipeline.collect(yield* Pipeline.merge())).toEqual([])
        const a = yield* Pipeline.gen<number>()
        const b = yield* Pipeline.gen(1)
        expect(yield* Pipeline.collect(yield* Pipeline.merge(a, b))).toEqual([1])
      })
    )

    it.effect("stopping short: the consumer takes one value and leaves; every stage stops, nothing stays parked", () =>
      Effect.gen(function* () {
        const { state, iterable } = counting()
        let squared = 0
        const chans: Array<Chan.RecvChan<number>> = []
        const first = yield* Effect.scoped(
          Effect.gen(function* () {
            const input = yield* Pipeline.from(iterable)
            const square = Pipeline.map((n: number) =>
              Effect.sync(() => {
                squared++
                return n * n
              })
            )
            const c1 = yield* square(input)
            const c2 = yield* square(input)
            const out = yield* Pipeline.merge(c1, c2)
            chans.push(input, c1, c2, out)
            return yield* Chan.recv(out)
          })
        )
        expect(Option.isSome(first)).toBe(true)
        // Unbuffered channels: each stage is at most one value ahead.
        expect(state.produced).toBeLessThan(10)
        expect(squared).toBeLessThan(10)
        yield* nobodyBlocked(chans)
        const produced = state.produced
        yield* settle
        expect(state.produced).toBe(produced)
      })
    )

    it.effect("bounded parallelism (MD5All): parallel runs f with at most `workers` fibers", () =>
      Effect.gen(function* () {
        let running = 0
        let maxRunning = 0
        const digest = (path: string) =>
          Effect.sync(() => {
            running++
            maxRunning = Math.max(maxRunning, running)
          }).pipe(
            Effect.andThen(Effect.sleep("10 millis")),
            Effect.andThen(
              Effect.sync(() => {
                running--
                return `md5(${path})`
              })
            )
          )
        const paths = range(10).map((i) => `file${i}`)
        const fiber = yield* Effect.forkChild(Pipeline.parallel(paths, digest, { workers: 3 }))
        yield* advance("40 millis")
        expect(yield* Fiber.join(fiber)).toEqual(paths.map((p) => `md5(${p})`))
        expect(maxRunning).toBe(3)
      })
    )
    it.effect(
      "parallel: completion order with ordered: false; the first failure stops the running items and no item starts after it",
      () =>
        Effect.gen(function* () {
          const delays = [30, 10, 15, 1, 5]
          const fiber = yield* Effect.forkChild(
            Pipeline.parallel(delays, (ms) => Effect.as(Effect.sleep(`${ms} millis`), ms), {
              workers: 2,
              ordered: false
            })
          )
          yield* advance("1 second")
          expect(yield* Fiber.join(fiber)).toEqual([10, 15, 1, 30, 5])
          const started: Array<number> = []
          const interrupted: Array<number> = []
          const failing = yield* Effect.forkChild(
            Effect.exit(
              Pipeline.parallel(
                [0, 1, 2, 3, 4, 5],
                (i) =>
                  Effect.andThen(
                    Effect.sync(() => started.push(i)),
                    i === 2
                      ? Effect.andThen(Effect.sleep("5 millis"), Effect.fail(new Boom({ n: i })))
                      : Effect.onInterrupt(Effect.as(Effect.sleep("10 millis"), i), () =>
                          Effect.sync(() => interrupted.push(i))
                        )
                  ),
                { workers: 2 }
              )
            )
          )
          yield* advance("1 second")
          const exit = yield* Fiber.join(failing)
          expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toEqual(new Boom({ n: 2 }))
          expect(started).toEqual([0, 1, 2, 3])
          expect(interrupted).toEqual([3])
        })
    )

    it.effect(
      "parallel: interruption stops every running item; an f that returns no Effect is a defect naming parallel",
      () =>
        Effect.gen(function* () {
          let interrupted = 0
          const fiber = yield* Effect.forkChild(
            Pipeline.parallel(
              [1, 2, 3, 4],
              () => Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++)),
              { workers: 3 }
            )
          )
          yield* settle
          yield* Fiber.interrupt(fiber)
          expect(interrupted).toBe(3)
          const error = yield* defectOf(
            Pipeline.parallel([1], () => 5 as unknown as Effect.Effect<number>, { workers: 1 })
          )
          expect(error).toMatchObject({
            _tag: "InvalidArgumentError",
            message: "Pipeline.parallel: expected f to return an Effect, got the number 5"
          })
        })
    )
  })

  describe("map", () => {
    it.effect("ordered: output keeps input order under random per-item delays", () =>
      Effect.gen(function* () {
        const random = pseudoRandom(42)
        const delays = range(50).map(() => Math.floor(random() * 100))
        let running = 0
        let maxRunning = 0
        const out = yield* Pipeline.from(range(50)).pipe(
          Effect.flatMap(
            Pipeline.map(
              (i: number) =>
                Effect.sync(() => {
                  running++
                  maxRunning = Math.max(maxRunning, running)
                }).pipe(
                  Effect.andThen(Effect.sleep(`${delays[i]!} millis`)),
                  Effect.andThen(
                    Effect.sync(() => {
                      running--
                      return i * 10
                    })
                  )
                ),
              { workers: 4 }
            )
          )
        )
        const fiber = yield* Effect.forkChild(Pipeline.collect(out))
        yield* advance("10 seconds")
        expect(yield* Fiber.join(fiber)).toEqual(range(50).map((i) => i * 10))
        expect(maxRunning).toBe(4)
      })
    )

    it.effect("unordered: results leave as they complete", () =>
      Effect.gen(function* () {
        const delays = [30, 10, 20]
        const out = yield* Pipeline.map(
          yield* Pipeline.from(range(3)),
          (i) => Effect.as(Effect.sleep(`${delays[i]!} millis`), i),
          { workers: 3, ordered: false }
        )
        const fiber = yield* Effect.forkChild(Pipeline.collect(out))
        yield* advance("30 millis")
        expect(yield* Fiber.join(fiber)).toEqual([1, 2, 0])
      })
    )

    it.effect("ordered with a slow head: the others run ahead by a bounded window, then wait", () =>
      Effect.gen(function* () {
        const delays = [50, 10, 10, 10, 10]
        const done: Array<number> = []
        const out = yield* Pipeline.map(
          yield* Pipeline.from(range(5)),
          (i) =>
            Effect.as(Effect.sleep(`${delays[i]!} millis`), i).pipe(Effect.tap(() => Effect.sync(() => done.push(i)))),
          { workers: 2 }
        )
        const fiber = yield* Effect.forkChild(Pipeline.collect(out))
        yield* advance("40 millis")
        // The second worker ran items 1 and 2 while the first was busy with item 0;
        // the window (2 slots for 2 workers) keeps it from running further ahead.
        expect(done).toEqual([1, 2])
        yield* advance("10 millis")
        expect(done).toEqual([1, 2, 0])
        yield* advance("10 millis")
        expect(yield* Fiber.join(fiber)).toEqual([0, 1, 2, 3, 4])
        expect(done).toEqual([1, 2, 0, 3, 4])
      })
    )

    it.effect("bad workers and capacities are defects at the call (InvalidStageOptionError), never typed errors", () =>
      Effect.gen(function* () {
        const input = yield* Pipeline.gen(1)
        for (const workers of [0, -1, 1.5, Number.NaN]) {
          const error = yield* defectOf(Pipeline.map(input, Effect.succeed, { workers }))
          expect(error).toBeInstanceOf(Pipeline.InvalidStageOptionError)
          expect(error).toMatchObject({ option: "workers", value: workers })
          expect(yield* defectOf(Pipeline.map(Effect.succeed, { workers })(input))).toMatchObject({ option: "workers" })
        }
        for (const capacity of [-1, 0.5, Number.POSITIVE_INFINITY]) {
          const built: Array<Effect.Effect<unknown, unknown, Scope.Scope>> = []
          // Reported by the Effect, never thrown while it is built.
          expect(() =>
            built.push(
              Pipeline.from([1], { capacity }),
              Pipeline.map(input, Effect.succeed, { capacity }),
              Pipeline.fromStream(Stream.make(1), { capacity }),
              Pipeline.stage(input, () => Effect.void, { capacity })
            )
          ).not.toThrow()
          for (const effect of built) {
            const error = yield* defectOf(effect)
            expect(error).toBeInstanceOf(Pipeline.InvalidStageOptionError)
            expect(error).toMatchObject({ option: "capacity", value: capacity })
          }
        }
        const error = yield* defectOf(Pipeline.parallel([1], Effect.succeed, { workers: 0 }))
        expect(error).toBeInstanceOf(Pipeline.InvalidStageOptionError)
        expect((error as Error).message).toBe("pipeline: workers must be a positive integer, got 0")
        expect(yield* Pipeline.collect(input)).toEqual([1])
      })
    )

    it.effect("bad options through a cast are shown as given; ordered must be a boolean", () =>
      Effect.gen(function* () {
        const any = (u: unknown): any => u
        const input = yield* Pipeline.gen(1, 2)
        const cases: ReadonlyArray<readonly [object, string]> = [
          [{ workers: "2" }, 'pipeline: workers must be a positive integer, got "2" (a string)'],
          [{ workers: null }, "pipeline: workers must be a positive integer, got null (null)"],
          [{ workers: 0 }, "pipeline: workers must be a positive integer, got 0"],
          [{ capacity: "1" }, 'pipeline: capacity must be a non-negative integer, got "1" (a string)'],
          [{ ordered: "false" }, 'pipeline: ordered must be a boolean, got "false" (a string)'],
          [{ workers: 2, ordered: 0 }, "pipeline: ordered must be a boolean, got 0 (a number)"]
        ]
        for (const [options, message] of cases) {
          const error = yield* defectOf(Pipeline.map(input, Effect.succeed, any(options)))
          expect(error).toBeInstanceOf(Pipeline.InvalidStageOptionError)
          expect((error as Error).message).toBe(message)
        }
        expect(yield* defectOf(Pipeline.map(input, Effect.succeed, any({ ordered: "false" })))).toMatchObject({
          option: "ordered",
          value: "false"
        })
        // Nothing was started: the input is still whole.
        expect(yield* Pipeline.collect(input)).toEqual([1, 2])
      })
    )

    it.effect("arguments of the wrong kind are defects saying what was given, reported by the Effect", () =>
      Effect.gen(function* () {
        const any = (u: unknown): any => u
        const input = yield* Pipeline.gen(1)
        const invalid = (message: string, effect: Effect.Effect<unknown, unknown, any>) =>
          Effect.gen(function* () {
            const exit = yield* Effect.exit(effect)
            const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
            expect(defect, message).toMatchObject({ _tag: "InvalidArgumentError" })
            expect((defect as Error).message).toBe(message)
          })
        yield* invalid("expected a Chan, got undefined", Pipeline.map(any(undefined), Effect.succeed))
        yield* invalid(
          "expected a Chan, got the number 3",
          Pipeline.stage(any(3), () => Effect.void)
        )
        yield* invalid("expected a Chan, got null", Pipeline.merge(input, any(null)))
        yield* invalid("Pipeline.map: expected a function, got the number 5", Pipeline.map(input, any(5)))
        yield* invalid("Pipeline.stage: expected a function, got undefined", Pipeline.stage(input, any(undefined)))
        yield* invalid("Pipeline.from: expected an iterable, got the number 5", Pipeline.from(any(5)))
        yield* invalid(
          "Pipeline.fromStream: expected a Stream, got an array of length 1",
          Pipeline.fromStream(any([1]))
        )
        yield* invalid(
          "Pipeline.map: expected an options object or undefined, got the number 3",
          Pipeline.map(input, Effect.succeed, any(3))
        )
        yield* invalid(
          'Pipeline.from: expected an options object or undefined, got the string "x"',
          Pipeline.from([1], any("x"))
        )
        // Consumers: a bad pipe is a defect, not "no failure".
        yield* invalid("expected a Chan, got undefined", Pipeline.check(any(undefined)))
        yield* invalid('expected a Chan, got the string "p"', Pipeline.failure(any("p")))
        yield* invalid("expected a Chan, got undefined", Pipeline.collect(any(undefined)))
        yield* invalid("expected a Chan, got undefined", Pipeline.drain(any(undefined)))
        yield* invalid(
          "expected a Chan, got undefined",
          Pipeline.forEach(any(undefined), () => Effect.void)
        )
        yield* invalid("Pipeline.forEach: expected a function, got null", Pipeline.forEach(input, any(null)))
        yield* invalid("expected a Chan, got undefined", Stream.runDrain(Pipeline.toStream(any(undefined))))
        // The input was not touched by any of them.
        expect(yield* Pipeline.collect(input)).toEqual([1])
      })
    )

    it.effect.prop(
      "ordered map: any delays, any number of workers, output is the input in order, each item once",
      [
        Schema.Array(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 30 })))),
        Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 6 }))),
        Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 3 })))
      ],
      ([delays, workers, capacity]) =>
        Effect.gen(function* () {
          const calls = new Map<number, number>()
          const out = yield* Pipeline.map(
            yield* Pipeline.from(range(delays.length), { capacity }),
            (i) =>
              Effect.sync(() => calls.set(i, (calls.get(i) ?? 0) + 1)).pipe(
                Effect.andThen(Effect.sleep(`${delays[i]!} millis`)),
                Effect.as(-i)
              ),
            { workers, capacity }
          )
          const fiber = yield* Effect.forkChild(Pipeline.collect(out))
          yield* advance(`${31 * (delays.length + 1)} millis`)
          expect(yield* Fiber.join(fiber)).toEqual(range(delays.length).map((i) => -i))
          for (const i of range(delays.length)) expect(calls.get(i)).toBe(1)
        })
    )
  })

  describe("errors", () => {
    it.effect("the first failure stops every stage and is reported by collect", () =>
      Effect.gen(function* () {
        const { state, iterable } = counting()
        const out = yield* Pipeline.from(iterable).pipe(
          Effect.flatMap(Pipeline.map((n: number) => (n === 5 ? Effect.fail(new Boom({ n })) : Effect.succeed(n)))),
          Effect.flatMap(Pipeline.map((n: number) => Effect.succeed(n + 1)))
        )
        expectTypeOf(out).toEqualTypeOf<Pipeline.Pipe<number, Boom>>()
        const exit = yield* Effect.exit(Pipeline.collect(out))
        expect(squashed(exit)).toEqual(new Boom({ n: 5 }))
        // The endless generator was stopped too.
        const produced = state.produced
        yield* settle
        expect(state.produced).toBe(produced)
        expect(produced).toBeLessThan(10)
        expect(yield* Pipeline.failure(out)).toEqual(Option.some(Cause.fail(new Boom({ n: 5 }))))
      })
    )

    it.effect("a failure in one branch of a merge stops the other branch; forEach and drain report it", () =>
      Effect.gen(function* () {
        const { state, iterable } = counting()
        const slow = yield* Pipeline.map(yield* Pipeline.from(iterable), (n) => Effect.as(Effect.sleep("1 millis"), n))
        const failing = yield* Pipeline.map(yield* Pipeline.gen(1, 2, 3), (n) =>
          n === 3 ? Effect.andThen(Effect.sleep("10 millis"), Effect.fail(new Other())) : Effect.succeed(n)
        )
        const merged = yield* Pipeline.merge(slow, failing)
        expectTypeOf(merged).toEqualTypeOf<Pipeline.Pipe<number, Other>>()
        const seen: Array<number> = []
        const fiber = yield* Effect.forkChild(
          Effect.exit(Pipeline.forEach(merged, (n) => Effect.sync(() => seen.push(n))))
        )
        yield* advance("10 millis")
        expect(squashed(yield* Fiber.join(fiber))).toEqual(new Other())
        const produced = state.produced
        yield* advance("10 millis")
        expect(state.produced).toBe(produced)
        expect(seen).toContain(2)
        expect(squashed(yield* Effect.exit(Pipeline.drain(merged)))).toEqual(new Other())
      })
    )

    it.effect("a defect in a stage reaches the consumer; of two failing workers the first one wins", () =>
      Effect.gen(function* () {
        const died = yield* Pipeline.map(yield* Pipeline.gen(1, 2), () => Effect.die("kaput"))
        const exit = yield* Effect.exit(Pipeline.collect(died))
        expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)

        const out = yield* Pipeline.map(
          yield* Pipeline.from(range(4)),
          (n) => Effect.andThen(Effect.sleep(`${10 * (4 - n)} millis`), Effect.fail(new Boom({ n }))),
          { workers: 4, ordered: false }
        )
        const fiber = yield* Effect.forkChild(Effect.exit(Pipeline.collect(out)))
        yield* advance("40 millis")
        const first = yield* Fiber.join(fiber)
        expect(squashed(first)).toEqual(new Boom({ n: 3 }))
        expect(Exit.isFailure(first) && first.cause.reasons.length).toBe(1)
      })
    )

    it.effect("check: a consumer reading with plain Chan operations learns why the channel closed", () =>
      Effect.gen(function* () {
        const out = yield* Pipeline.map(yield* Pipeline.gen(1, 2, 3), (n) =>
          n === 2 ? Effect.fail(new Boom({ n })) : Effect.succeed(n)
        )
        const seen: Array<number> = []
        yield* Chan.forEach(out, (n) => Effect.sync(() => seen.push(n)))
        expect(seen).toEqual([1])
        expect(squashed(yield* Effect.exit(Pipeline.check(out)))).toEqual(new Boom({ n: 2 }))
        const fine = yield* Pipeline.gen(1)
        yield* Pipeline.drain(fine)
        yield* Pipeline.check(fine)
        expect(yield* Pipeline.failure(fine)).toEqual(Option.none())
      })
    )

    it.effect("stage: a custom stage closes its output when its body ends, and its failure stops the pipeline", () =>
      Effect.gen(function* () {
        const input = yield* Pipeline.gen(1, 2, 3, 4)
        const twiceEven = yield* Pipeline.stage(input, (input, out: Chan.SendChan<number>) =>
          Chan.forEach(input, (n) => (n % 2 === 0 ? Effect.andThen(Chan.send(out, n), Chan.send(out, n)) : Effect.void))
        )
        expectTypeOf(twiceEven).toEqualTypeOf<Pipeline.Pipe<number, Chan.ChanClosedError>>()
        expect(yield* Pipeline.collect(twiceEven)).toEqual([2, 2, 4, 4])
        const failing = yield* Pipeline.stage(yield* Pipeline.gen(1), (_, out: Chan.SendChan<number>) =>
          Effect.andThen(Chan.send(out, 7), Effect.fail(new Other()))
        )
        expect(squashed(yield* Effect.exit(Pipeline.collect(failing)))).toEqual(new Other())
      })
    )
  })

  describe("cancellation", () => {
    it.effect(
      "a stage made in a scope already closed starts no fiber: it takes nothing, and its output closes as interrupted",
      () =>
        Effect.gen(function* () {
          const input = yield* Chan.make<number>(3)
          yield* Chan.send(input, 1)
          const scope = yield* Scope.make()
          yield* Scope.close(scope, Exit.void)
          let called = 0
          const out = yield* Scope.provide(
            Pipeline.map(input, (n) => Effect.sync(() => ++called + n), { workers: 2 }),
            scope
          )
          const exit = yield* Effect.exit(Pipeline.collect(out))
          expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
          expect(called).toBe(0)
          expect(yield* Chan.len(input)).toBe(1)
        })
    )

    it.effect("closing the scope stops stages blocked on send (no consumer) and on recv (idle source)", () =>
      Effect.gen(function* () {
        const source = yield* Chan.make<number>() // never sent on
        const chans: Array<Chan.RecvChan<number>> = [source]
        yield* Effect.scoped(
          Effect.gen(function* () {
            const waiting = yield* Pipeline.map(source, (n) => Effect.succeed(n), { workers: 3 })
            const full = yield* Pipeline.from(range(10)).pipe(Effect.flatMap(sq))
            chans.push(waiting, full)
            yield* settle
            // A stage parked in send (nobody reads `full`) and stages parked in recv on `source`.
            expect((yield* Chan.blocked(full)).map((b) => b.op)).toEqual(["send"])
            expect((yield* Chan.blocked(source)).map((b) => b.op)).toEqual(["recv"])
          })
        )
        yield* nobodyBlocked(chans)
        expect(yield* Chan.isClosed(source)).toBe(false) // the user's own channel is left alone
      })
    )

    it.effect("interrupting a consumer blocked in collect, then closing the scope, stops everything", () =>
      Effect.gen(function* () {
        const chans: Array<Chan.RecvChan<number>> = []
        let interruptedStages = 0
        yield* Effect.scoped(
          Effect.gen(function* () {
            const out = yield* Pipeline.map(
              yield* Pipeline.gen(1, 2, 3),
              (n) =>
                Effect.onInterrupt(Effect.as(Effect.sleep("1 hour"), n), () => Effect.sync(() => interruptedStages++)),
              { workers: 2 }
            )
            chans.push(out)
            const consumer = yield* Effect.forkChild(Pipeline.collect(out))
            yield* settle
            expect((yield* Chan.blocked(out)).map((b) => b.op)).toEqual(["recv"])
            yield* Fiber.interrupt(consumer)
            yield* nobodyBlocked([out])
          })
        )
        expect(interruptedStages).toBe(2)
        yield* nobodyBlocked(chans)
      })
    )

    it.effect("a consumer outside the scope sees an interruption when the stages are stopped under it", () =>
      Effect.gen(function* () {
        // A capacity gives the generator a sending fiber, which the scope's end stops.
        const out = yield* Effect.scoped(Pipeline.from(range(10), { capacity: 0 }))
        yield* settle
        const exit = yield* Effect.exit(Pipeline.collect(out))
        expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
      })
    )

    it.effect("a stage made on a pipeline that already failed stops at once", () =>
      Effect.gen(function* () {
        const failed = yield* Pipeline.map(yield* Pipeline.gen(1), () => Effect.fail(new Boom({ n: 1 })))
        yield* settle
        let called = 0
        const { state, iterable } = counting()
        const other = yield* Pipeline.from(iterable)
        const merged = yield* Pipeline.merge(failed, other)
        const after = yield* Pipeline.map(merged, (n) =>
          Effect.sync(() => {
            called++
            return n
          })
        )
        expect(squashed(yield* Effect.exit(Pipeline.collect(after)))).toEqual(new Boom({ n: 1 }))
        expect(state.produced).toBeLessThan(3)
        expect(called).toBeLessThan(3)
      })
    )
  })

  describe("Stream interop", () => {
    it.effect("fromStream → map → toStream", () =>
      Effect.gen(function* () {
        const input = yield* Pipeline.fromStream(Stream.fromIterable(range(5)))
        const out = yield* Pipeline.map(input, (n) => Effect.succeed(n * 2), { workers: 2 })
        expect(yield* Stream.runCollect(Pipeline.toStream(out))).toEqual([0, 2, 4, 6, 8])
      })
    )

    it.effect("a failing stream fails the pipeline; toStream fails with a stage's failure", () =>
      Effect.gen(function* () {
        const input = yield* Pipeline.fromStream(
          Stream.concat(Stream.fromIterable<number>([1, 2]), Stream.fail(new Other()))
        )
        expectTypeOf(input).toEqualTypeOf<Pipeline.Pipe<number, Other>>()
        const out = yield* sq(input)
        expect(squashed(yield* Effect.exit(Pipeline.collect(out)))).toEqual(new Other())

        const failing = yield* Pipeline.map(yield* Pipeline.gen(1, 2, 3), (n) =>
          n === 3 ? Effect.fail(new Boom({ n })) : Effect.succeed(n)
        )
        const stream: Stream.Stream<number, Boom> = Pipeline.toStream(failing)
        expect(squashed(yield* Effect.exit(Stream.runCollect(stream)))).toEqual(new Boom({ n: 3 }))
      })
    )

    it.effect("a stream consumer can stop early; closing the scope stops the stages", () =>
      Effect.gen(function* () {
        const { state, iterable } = counting()
        const taken = yield* Effect.scoped(
          Effect.flatMap(Pipeline.from(iterable), (input) =>
            Effect.flatMap(sq(input), (out) => Stream.runCollect(Stream.take(Pipeline.toStream(out), 3)))
          )
        )
        expect(taken).toEqual([0, 1, 4])
        const produced = state.produced
        yield* settle
        expect(state.produced).toBe(produced)
      })
    )
  })

  it.effect("a Pipe is a channel: Pipeable and Inspectable as its channel is", () =>
    Effect.gen(function* () {
      const out = yield* Pipeline.gen(1, 2).pipe(
        Effect.flatMap(Pipeline.map((n: number) => Effect.succeed(n * 2), { capacity: 2, name: "doubled" }))
      )
      yield* settle
      expect(out.toJSON()).toMatchObject({ _id: "Chan", name: "doubled", capacity: 2, len: 2 })
      expect(String(out)).toContain('"_id":"Chan","name":"doubled"')
      expect(inspect(out)).toBe(inspect(out.toJSON()))
      expect(yield* out.pipe(Pipeline.collect)).toEqual([2, 4])
      expect(out.toJSON()).toMatchObject({ len: 0, closed: true })
    })
  )

  it.effect("types: every stage's error channel holds only the stages' errors (bad options are defects)", () =>
    Effect.gen(function* () {
      const nums = yield* Pipeline.gen(1, 2)
      const boom = (n: number): Effect.Effect<string, Boom> => Effect.succeed(`${n}`)
      expectTypeOf(Pipeline.from([1, 2], { capacity: 2 })).toEqualTypeOf<
        Effect.Effect<Pipeline.Pipe<number>, never, Scope.Scope>
      >()
      expectTypeOf(Pipeline.fromStream(Stream.fail(new Other()) as Stream.Stream<number, Other>)).toEqualTypeOf<
        Effect.Effect<Pipeline.Pipe<number, Other>, never, Scope.Scope>
      >()
      expectTypeOf(Pipeline.map(nums, boom, { workers: 2, ordered: false, capacity: 1 })).toEqualTypeOf<
        Effect.Effect<Pipeline.Pipe<string, Boom>, never, Scope.Scope>
      >()
      expectTypeOf(Pipeline.map(boom, { workers: 2 })(nums)).toEqualTypeOf<
        Effect.Effect<Pipeline.Pipe<string, Boom>, never, Scope.Scope>
      >()
      expectTypeOf(
        Pipeline.stage(nums, (input, out: Chan.SendChan<string>) => Chan.forEach(input, (n) => Chan.send(out, `${n}`)))
      ).toEqualTypeOf<Effect.Effect<Pipeline.Pipe<string, Chan.ChanClosedError>, never, Scope.Scope>>()
      const failing = yield* Pipeline.map(nums, boom)
      expectTypeOf(Pipeline.merge(failing, nums)).toEqualTypeOf<
        Effect.Effect<Pipeline.Pipe<string | number, Boom>, never, Scope.Scope>
      >()
      expectTypeOf(Pipeline.parallel([1, 2], boom, { workers: 2 })).toEqualTypeOf<Effect.Effect<Array<string>, Boom>>()
      expectTypeOf(Pipeline.collect(failing)).toEqualTypeOf<Effect.Effect<Array<string>, Boom>>()
      const other = (_: string) => Effect.fail(new Other())
      expectTypeOf(Pipeline.forEach(failing, other)).toEqualTypeOf<Effect.Effect<void, Boom | Other>>()
      const ignore = (_: string) => Effect.void
      expectTypeOf(failing.pipe(Pipeline.forEach(ignore))).toEqualTypeOf<Effect.Effect<void, Boom>>()
      expectTypeOf(Pipeline.drain(failing)).toEqualTypeOf<Effect.Effect<void, Boom>>()
      expectTypeOf(Pipeline.check(failing)).toEqualTypeOf<Effect.Effect<void, Boom>>()
      expectTypeOf(Pipeline.toStream(failing)).toEqualTypeOf<Stream.Stream<string, Boom>>()
      expectTypeOf(Pipeline.failure(failing)).toEqualTypeOf<Effect.Effect<Option.Option<Cause.Cause<Boom>>>>()
      yield* Pipeline.drain(failing)
    })
  )

  it.effect("types: errors accumulate along the stages, plain channels add none", () =>
    Effect.gen(function* () {
      const plain = yield* Chan.make<number>()
      const a = yield* Pipeline.map(plain, (n) => (n > 0 ? Effect.succeed(`${n}`) : Effect.fail(new Boom({ n }))))
      expectTypeOf(a).toEqualTypeOf<Pipeline.Pipe<string, Boom>>()
      const b = yield* Pipeline.map(a, (s) => (s === "" ? Effect.fail(new Other()) : Effect.succeed(s.length)))
      expectTypeOf(b).toEqualTypeOf<Pipeline.Pipe<number, Boom | Other>>()
      expectTypeOf(Pipeline.collect(b)).toEqualTypeOf<Effect.Effect<Array<number>, Boom | Other>>()
      expectTypeOf(Pipeline.gen(1, 2)).toEqualTypeOf<Effect.Effect<Pipeline.Pipe<number>, never, Scope.Scope>>()
      expectTypeOf(b).toExtend<Chan.RecvChan<number>>() // a Pipe is a RecvChan
      // @ts-expect-error a Pipe cannot be sent on
      Chan.send(b, 1)
      yield* Chan.close(plain)
    })
  )
})

/**
 * Lost wake-ups. Effect's run loop may yield before evaluating any effect
 * once a fiber's op budget (`MaxOpsBeforeYield`) is spent, which can fall
 * between a stage's channel check and its parking. Every budget from 3 to 40
 * (1 and 2 livelock Effect itself) puts that yield at every point of the
 * stages; a hang becomes a failure through the timeout.
 */
describe("Pipeline: no lost wake-ups under any op budget", () => {
  const items = Array.from({ length: 60 }, (_, i) => i)
  /** `value` after `n` yields: work that ends at uneven times. */
  const loopYields = (n: number, value: number): Effect.Effect<number> =>
    n === 0 ? Effect.succeed(value) : Effect.andThen(Effect.yieldNow, loopYields(n - 1, value))

  it.live("ordered and unordered parallel maps, merged, collected", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const source = yield* Pipeline.from(items, { capacity: 2 })
        const doubled = yield* Pipeline.map(source, (n) => Effect.as(Effect.yieldNow, n * 2), { workers: 3 })
        const plusOne = yield* Pipeline.map(doubled, (n) => Effect.succeed(n + 1), { workers: 2, ordered: false })
        const merged = yield* Pipeline.merge(plusOne, yield* Pipeline.from([-1, -2]))
        const out = yield* Pipeline.collect(merged)
        expect([...out].sort((a, b) => a - b)).toEqual([-2, -1, ...items.map((n) => n * 2 + 1)])
      })
    )
  )

  it.live(
    "ordered map with uneven work: the input order, each item once; a consumer that stops early leaves no fiber",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          const uneven = (n: number) => loopYields(n % 4, n * 3)
          const out = yield* Pipeline.map(yield* Pipeline.from(items), uneven, { workers: 3 })
          expect(yield* Pipeline.collect(out)).toEqual(items.map((n) => n * 3))
          // Stopping short: take 5, then the scope closes every stage.
          yield* Effect.scoped(
            Effect.gen(function* () {
              const short = yield* Pipeline.map(yield* Pipeline.from(items), uneven, { workers: 2 })
              const got: Array<number> = []
              for (let i = 0; i < 5; i++) {
                const next = yield* Chan.recv(short)
                if (Option.isSome(next)) got.push(next.value)
              }
              expect(got).toEqual([0, 3, 6, 9, 12])
            })
          )
        })
      )
  )

  it.live("ordered map whose workers wait on a slow input: each value numbered in input order", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        // The input (buffered) comes in bursts of values sent back to back,
        // with yields between the bursts: workers park on it, and one granted
        // a value, whose resumption comes later, must number it before a
        // running worker takes the next value from the buffer.
        const slow = yield* Pipeline.stage(
          yield* Pipeline.from(items),
          (input, out: Chan.SendChan<number>) =>
            Chan.forEach(input, (n) => Effect.andThen(loopYields(n % 4 === 0 ? 3 : 0, 0), Chan.send(out, n))),
          { capacity: 2 }
        )
        const out = yield* Pipeline.map(slow, (n) => loopYields(n % 2, n), { workers: 4 })
        expect(yield* Pipeline.collect(out)).toEqual(items)
      })
    )
  )

  it.live(
    "ordered map read at once by a receive loop, a select with a timeout and recvAll: every value once, each reader in order",
    () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          // The stage's sends that no reader takes at once wait offered on
          // the output; each reader takes them as it would a parked sender's.
          const out = yield* Pipeline.map(yield* Pipeline.from(items), (n) => loopYields(n % 3, n), { workers: 3 })
          const byRecv = Effect.gen(function* () {
            const got: Array<number> = []
            for (;;) {
              const next = yield* Chan.recv(out)
              if (Option.isNone(next)) return got
              got.push(next.value)
              yield* Effect.yieldNow
            }
          })
          const bySelect = Effect.gen(function* () {
            const got: Array<number> = []
            for (;;) {
              const next = yield* Select.select(
                Select.recv(out, (v) => Effect.succeed(v)),
                Select.after("1 second", () => Effect.succeed(Option.none<number>()))
              )
              if (Option.isNone(next)) return got
              got.push(next.value)
            }
          })
          const byBatch = Effect.gen(function* () {
            const got: Array<number> = []
            for (;;) {
              const batch = yield* Chan.recvAll(out, 4)
              if (batch.length === 0) return got
              got.push(...batch)
            }
          })
          const all = yield* Effect.all([byRecv, bySelect, byBatch], { concurrency: "unbounded" })
          for (const got of all) expect(got).toEqual([...got].sort((a, b) => a - b))
          expect(all.flat().sort((a, b) => a - b)).toEqual(items)
        })
      )
  )

  it.live("ordered map into a buffered output: the input order, the output closed after its last value", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const out = yield* Pipeline.map(yield* Pipeline.from(items), (n) => loopYields(n % 4, n), {
          workers: 3,
          capacity: 2
        })
        const got: Array<number> = []
        yield* Pipeline.forEach(out, (n) =>
          Effect.andThen(
            loopYields(n % 2, 0),
            Effect.sync(() => got.push(n))
          )
        )
        expect(got).toEqual(items)
      })
    )
  )

  it.live("a failing stage stops the pipeline: collect fails, nothing hangs", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const source = yield* Pipeline.from(items)
        const failing = yield* Pipeline.map(
          source,
          (n) => (n === 30 ? Effect.fail("boom" as const) : Effect.as(Effect.yieldNow, n)),
          { workers: 3 }
        )
        expect(yield* Effect.flip(Pipeline.collect(failing))).toBe("boom")
      })
    )
  )
})

import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { inspect } from "node:util"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import { underEveryBudget } from "./utils/budgets.ts"
import { defectOf } from "./utils/exits.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

const any = (u: unknown): any => u

/** Every value until the channel is closed (a `for range` loop). */
const drainAll = <A>(ch: Chan.RecvChan<A>) =>
  Effect.gen(function* () {
    const out: Array<A> = []
    yield* Chan.forEach(ch, (a) => Effect.sync(() => out.push(a)))
    return out
  })

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** 4 producers sending 0..n-1 between them (a quarter each, in order), then a close. */
const fourProducers = (ch: Chan.Chan<number>, n: number) =>
  Effect.forEach(
    range(4),
    (p) => Effect.forEach(range(n / 4), (i) => Chan.send(ch, p * (n / 4) + i), { discard: true }),
    { concurrency: "unbounded", discard: true }
  ).pipe(Effect.andThen(Chan.close(ch)))

describe("Chan", () => {
  describe("make", () => {
    it.effect("a negative, fractional, infinite or NaN capacity is a defect at the call, never a typed error", () =>
      Effect.gen(function* () {
        for (const capacity of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          let built: Effect.Effect<Chan.Chan<number>> | undefined
          expect(() => (built = Chan.make<number>(capacity))).not.toThrow()
          const defect = defectOf(yield* Effect.exit(built!))
          expect(defect).toBeInstanceOf(Chan.InvalidCapacityError)
          expect((defect as Chan.InvalidCapacityError).capacity).toBe(capacity)
        }
        // Unsafe by name: it throws what make dies with.
        expect(() => Chan.makeUnsafe(-3)).toThrow(Chan.InvalidCapacityError)
        expect(() => Chan.makeUnsafe(-3)).toThrow("makechan: size out of range: got capacity -3")
      })
    )

    it.effect("the defect says what was given and what is wanted, with Go's panic text", () =>
      Effect.gen(function* () {
        // A capacity that is no number is shown as given: a string keeps its quotes.
        expect(defectOf(yield* Effect.exit(Chan.make(any("3"))))).toMatchObject({
          _tag: "InvalidCapacityError",
          capacity: "3",
          message: 'makechan: size out of range: got capacity "3", want a non-negative integer'
        })
        expect(new Chan.InvalidCapacityError({ capacity: -1 }).message).toBe(
          "makechan: size out of range: got capacity -1, want a non-negative integer"
        )
      })
    )

    it.effect("options that are not { name?: string } are a defect at the call", () =>
      Effect.gen(function* () {
        for (const [options, message] of [
          [5, "Chan.make: expected an options object ({ name?: string }), got the number 5"],
          [null, "Chan.make: expected an options object ({ name?: string }), got null"],
          [{ name: 7 }, "Chan.make: expected a string (the channel's name) as the name option, got the number 7"]
        ] as const) {
          expect(defectOf(yield* Effect.exit(Chan.make(1, any(options))))).toMatchObject({
            _tag: "InvalidArgumentError",
            message
          })
          expect(() => Chan.makeUnsafe(1, any(options))).toThrow(message.replace("Chan.make", "Chan.makeUnsafe"))
        }
        // A name, or no name, is fine.
        expect((yield* Chan.make<number>(1, { name: "jobs" })).name).toBe("jobs")
        expect((yield* Chan.make<number>(1, { name: undefined })).name).toBe(undefined)
        expect((yield* Chan.make<number>(1, {})).name).toBe(undefined)
      })
    )

    it("constructors have no error channel: bad input is a defect (type tests)", () => {
      expectTypeOf(Chan.make<number>(16)).toEqualTypeOf<Effect.Effect<Chan.Chan<number>>>()
      expectTypeOf(Chan.make<number>(16, { name: "jobs" })).toEqualTypeOf<Effect.Effect<Chan.Chan<number>>>()
      expectTypeOf(Chan.make<number>()).toEqualTypeOf<Effect.Effect<Chan.Chan<number>>>()
      expectTypeOf(Chan.makeUnsafe<number>(16)).toEqualTypeOf<Chan.Chan<number>>()
      expectTypeOf(Chan.fromIterable([1, 2], { capacity: 2 })).toEqualTypeOf<
        Effect.Effect<Chan.RecvChan<number>, never, Scope.Scope>
      >()
      expectTypeOf(Chan.fromStream(Stream.fromIterable(["a"]), { capacity: 2 })).toEqualTypeOf<
        Effect.Effect<Chan.RecvChan<string>, never, Scope.Scope>
      >()
      // The stream's requirements stay; nothing is added to the error channel.
      const rows = Stream.make(1) as Stream.Stream<number, never, "Db">
      expectTypeOf(Chan.fromStream(rows)).toEqualTypeOf<
        Effect.Effect<Chan.RecvChan<number>, never, "Db" | Scope.Scope>
      >()
    })

    it.effect("len and cap (Go's TestLenCap)", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(3)
        expect(Chan.cap(ch)).toBe(3)
        expect(yield* Chan.len(ch)).toBe(0)
        yield* Chan.send(ch, 1)
        yield* Chan.send(ch, 2)
        expect(yield* Chan.len(ch)).toBe(2)
        yield* Chan.recv(ch)
        expect(yield* Chan.len(ch)).toBe(1)
        const unbuffered = yield* Chan.make<number>()
        expect(Chan.cap(unbuffered)).toBe(0)
        expect(yield* Chan.len(unbuffered)).toBe(0)
      })
    )
  })

  describe("unbuffered", () => {
    it.effect("a send completes only when a receiver takes the value", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<string>()
        let sent = false
        const sender = yield* Effect.forkChild(
          Chan.send(ch, "a").pipe(Effect.tap(() => Effect.sync(() => (sent = true))))
        )
        yield* settle
        expect(sent).toBe(false)
        expect((yield* Chan.blocked(ch)).map((b) => b.op)).toEqual(["send"])
        expect(yield* Chan.recv(ch)).toEqual(Option.some("a"))
        yield* Fiber.join(sender)
        expect(sent).toBe(true)
      })
    )

    it.effect("a receiver waits for a sender", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const receiver = yield* Effect.forkChild(Chan.recv(ch))
        yield* settle
        expect(yield* Chan.trySend(ch, 7)).toBe(true)
        expect(yield* Fiber.join(receiver)).toEqual(Option.some(7))
        // No receiver now: trySend on an unbuffered channel says false.
        expect(yield* Chan.trySend(ch, 8)).toBe(false)
      })
    )
  })

  describe("buffered", () => {
    it.effect("sends do not block until the buffer is full", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(2)
        yield* Chan.send(ch, 1)
        yield* Chan.send(ch, 2)
        expect(yield* Chan.trySend(ch, 3)).toBe(false)
        const third = yield* Effect.forkChild(Chan.send(ch, 3))
        yield* settle
        expect((yield* Chan.blocked(ch)).length).toBe(1)
        expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
        yield* Fiber.join(third)
        expect(yield* Chan.recv(ch)).toEqual(Option.some(2))
        expect(yield* Chan.recv(ch)).toEqual(Option.some(3))
      })
    )

    it.effect("FIFO per sender: each sender's values arrive in order (Go's TestChan)", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1, 7, 64]) {
          const ch = yield* Chan.make<[number, number]>(capacity)
          const senders = 4
          const perSender = 500
          yield* Effect.forkChild(
            Effect.forEach(
              range(senders),
              (s) => Effect.forEach(range(perSender), (i) => Chan.send(ch, [s, i]), { discard: true }),
              { concurrency: "unbounded", discard: true }
            ).pipe(Effect.andThen(Chan.close(ch)))
          )
          const got = yield* drainAll(ch)
          expect(got.length).toBe(senders * perSender)
          for (let s = 0; s < senders; s++) {
            expect(got.filter(([from]) => from === s).map(([, i]) => i)).toEqual(range(perSender))
          }
        }
      })
    )

    it.effect("4 producers × 4 consumers deliver every value exactly once (Go's TestMultiConsumer)", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1, 64]) {
          const ch = yield* Chan.make<number>(capacity)
          const n = 4000
          yield* Effect.forkChild(fourProducers(ch, n))
          const parts = yield* Effect.forEach(range(4), () => drainAll(ch), { concurrency: "unbounded" })
          const all = parts.flat().sort((a, b) => a - b)
          expect(all).toEqual(range(n))
          // Work was shared between consumers.
          expect(parts.filter((p) => p.length > 0).length).toBeGreaterThan(1)
        }
      })
    )
  })

  describe("close", () => {
    it.effect("buffered values drain in FIFO order, then every receive yields none forever", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(3)
        yield* Chan.send(ch, 1)
        yield* Chan.send(ch, 2)
        yield* Chan.close(ch)
        expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
        expect(yield* Chan.recv(ch)).toEqual(Option.some(2))
        for (let i = 0; i < 3; i++) expect(yield* Chan.recv(ch)).toEqual(Option.none())
        expect(yield* Chan.tryRecv(ch)).toEqual({ _tag: "Closed" })
      })
    )

    it.effect("send on a closed channel and closing twice fail with ChanClosedError", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1, { name: "jobs" })
        yield* Chan.close(ch)
        const sendError = yield* Effect.flip(Chan.send(ch, 1))
        expect(sendError).toBeInstanceOf(Chan.ChanClosedError)
        expect(sendError.message).toBe("send on closed channel")
        expect(sendError.chanName).toBe("jobs")
        expect(sendError.name).toBe("ChanClosedError")
        expect((yield* Effect.flip(Chan.trySend(ch, 1))).op).toBe("send")
        const closeError = yield* Effect.flip(Chan.close(ch))
        expect(closeError.message).toBe("close of closed channel")
      })
    )

    it.effect("a sender blocked at the moment of closing fails with ChanClosedError", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1]) {
          const ch = yield* Chan.make<number>(capacity)
          if (capacity === 1) yield* Chan.send(ch, 0)
          const blocked = yield* Effect.forkChild(Effect.flip(Chan.send(ch, 1)))
          yield* settle
          yield* Chan.close(ch)
          expect((yield* Fiber.join(blocked))._tag).toBe("ChanClosedError")
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          if (capacity === 1) expect(yield* Chan.recv(ch)).toEqual(Option.some(0))
          expect(yield* Chan.recv(ch)).toEqual(Option.none())
        }
      })
    )

    it.effect("close wakes every blocked receiver with none", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>()
        const receivers = yield* Effect.forEach(range(5), () => Effect.forkChild(Chan.recv(ch)))
        yield* settle
        expect((yield* Chan.blocked(ch)).length).toBe(5)
        yield* Chan.close(ch)
        for (const r of receivers) expect(yield* Fiber.join(r)).toEqual(Option.none())
      })
    )

    it.effect(
      "a non-blocking receive on a channel holding one value and then closed never reports empty (Go's TestNonblockRecvRace)",
      () =>
        Effect.gen(function* () {
          for (let i = 0; i < 200; i++) {
            const ch = yield* Chan.make<number>(1)
            yield* Chan.send(ch, 1)
            const closer = yield* Effect.forkChild(Chan.close(ch))
            const result = yield* Chan.tryRecv(ch)
            expect(result._tag).not.toBe("Empty")
            yield* Fiber.join(closer)
          }
        })
    )
  })

  describe("nil channel", () => {
    it.effect("send and receive block until interrupted; close is a defect", () =>
      Effect.gen(function* () {
        const ch = Chan.nil<number>()
        const recv = yield* Effect.forkChild(Chan.recv(ch))
        const send = yield* Effect.forkChild(Chan.send(ch, 1))
        yield* settle
        expect(recv.pollUnsafe()).toBeUndefined()
        expect(send.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(recv)
        yield* Fiber.interrupt(send)
        expect(yield* Chan.trySend(ch, 1)).toBe(false)
        expect(yield* Chan.tryRecv(ch)).toEqual({ _tag: "Empty" })
        const exit = yield* Effect.exit(Chan.close(ch))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(Chan.CloseOfNilChannelError)
      })
    )
  })

  describe("recvAll", () => {
    it.effect(
      "takes the buffered values in order wherever the buffer's storage starts and wraps, batch after batch",
      () =>
        Effect.gen(function* () {
          // A model queue against random sends, receives and batch receives
          // (whole, or up to a limit) on a channel whose storage wraps.
          let seed = 7
          const random = (n: number) => {
            seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
            return (seed >>> 16) % n
          }
          const batches: Array<[ReadonlyArray<number>, Array<number>]> = []
          for (const capacity of [1, 5, 8, 40]) {
            const ch = yield* Chan.make<number>(capacity)
            const model: Array<number> = []
            let next = 0
            for (let op = 0; op < 3000; op++) {
              const roll = random(4)
              if (roll <= 1 && model.length < capacity) {
                yield* Chan.send(ch, next)
                model.push(next++)
              } else if (roll === 2 && model.length > 0) {
                expect(yield* Chan.recv(ch)).toEqual(Option.some(model.shift()!))
              } else if (model.length > 0) {
                const max = random(2) === 0 ? undefined : 1 + random(capacity)
                const batch = yield* max === undefined ? Chan.recvAll(ch) : Chan.recvAll(ch, max)
                const expected = model.splice(0, max ?? model.length)
                expect(batch).toEqual(expected)
                batches.push([batch, expected])
              }
            }
          }
          // A batch is the caller's: later sends never write into it.
          for (const [batch, expected] of batches) expect(batch).toEqual(expected)
        })
    )

    it.effect("takes every buffered value at once, oldest first, at most max", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(8)
        for (const v of range(5)) yield* Chan.send(ch, v)
        expect(yield* Chan.recvAll(ch, 2)).toEqual([0, 1])
        expect(yield* Chan.len(ch)).toBe(3)
        expect(yield* Chan.recvAll(ch)).toEqual([2, 3, 4])
        expect(yield* Chan.len(ch)).toBe(0)
      })
    )

    it.effect("takes the values of parked senders after the buffer, and their sends complete", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 2]) {
          const ch = yield* Chan.make<number>(capacity)
          for (const v of range(capacity)) yield* Chan.send(ch, v)
          const senders = yield* Effect.forEach(range(3), (i) => Effect.forkChild(Chan.send(ch, capacity + i)))
          yield* settle
          expect((yield* Chan.blocked(ch)).length).toBe(3)
          expect(yield* Chan.recvAll(ch)).toEqual(range(capacity + 3))
          yield* Fiber.joinAll(senders)
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          expect(yield* Chan.len(ch)).toBe(0)
        }
      })
    )

    it.effect("with max, a buffer slot it frees is refilled from a parked sender, as a receive does", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(2)
        yield* Chan.send(ch, 0)
        yield* Chan.send(ch, 1)
        const sender = yield* Effect.forkChild(Chan.send(ch, 2))
        yield* settle
        expect(yield* Chan.recvAll(ch, 1)).toEqual([0])
        yield* Fiber.join(sender)
        expect(yield* Chan.len(ch)).toBe(2)
        expect(yield* Chan.recvAll(ch)).toEqual([1, 2])
      })
    )

    it.effect(
      "with max past the buffer: the buffer, then what parked senders refilled, in order; every send done",
      () =>
        Effect.gen(function* () {
          const ch = yield* Chan.make<number>(3)
          for (const v of range(3)) yield* Chan.send(ch, v)
          const senders = yield* Effect.forEach(range(3), (i) => Effect.forkChild(Chan.send(ch, 3 + i)))
          yield* settle
          expect(yield* Chan.recvAll(ch, 4)).toEqual([0, 1, 2, 3])
          yield* Fiber.joinAll(senders)
          expect(yield* Chan.len(ch)).toBe(2)
          expect(yield* Chan.recvAll(ch)).toEqual([4, 5])
        })
    )

    it.effect("waits for a first value, then returns it with every value ready by the time it resumes", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(4)
        const receiver = yield* Effect.forkChild(Chan.recvAll(ch))
        yield* settle
        expect((yield* Chan.blocked(ch)).map((b) => b.op)).toEqual(["recv"])
        // The first value is handed to the parked receiver; the next two
        // wait in the buffer until it resumes.
        yield* Chan.send(ch, 1)
        yield* Chan.send(ch, 2)
        yield* Chan.send(ch, 3)
        expect(yield* Fiber.join(receiver)).toEqual([1, 2, 3])
      })
    )

    it.effect("an empty array once the channel is closed and drained, values before that", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(4)
        yield* Chan.send(ch, 1)
        yield* Chan.close(ch)
        expect(yield* Chan.recvAll(ch)).toEqual([1])
        expect(yield* Chan.recvAll(ch)).toEqual([])
        expect(yield* Chan.recvAll(ch, 3)).toEqual([])
        // A parked call is woken by the close with nothing.
        const open = yield* Chan.make<number>()
        const receiver = yield* Effect.forkChild(Chan.recvAll(open, 5))
        yield* settle
        yield* Chan.close(open)
        expect(yield* Fiber.join(receiver)).toEqual([])
      })
    )

    it.effect("an interrupted recvAll leaves no waiter and takes nothing", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 4]) {
          const ch = yield* Chan.make<number>(capacity)
          const r = yield* Effect.forkChild(Chan.recvAll(ch))
          yield* settle
          yield* Fiber.interrupt(r)
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          expect(yield* Chan.trySend(ch, 1)).toBe(capacity > 0)
        }
      })
    )

    it.effect("on a nil channel, blocks forever", () =>
      Effect.gen(function* () {
        const r = yield* Effect.forkChild(Chan.recvAll(Chan.nil<number>()))
        yield* settle
        expect(r.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(r)
      })
    )

    it.effect("a max that is not a whole number ≥ 1 is a defect that names it", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        yield* Chan.send(ch, 1)
        for (const max of [0, -1, 1.5, Number.NaN, "3", null]) {
          const defect = defectOf(yield* Effect.exit(Chan.recvAll(ch, any(max))))
          expect(defect).toBeInstanceOf(InvalidArgumentError)
          expect(String(defect)).toContain("Chan.recvAll")
          expect(String(defect)).toContain("a whole number ≥ 1, or Infinity, as max")
        }
        // Nothing was taken.
        expect(yield* Chan.recvAll(ch, Infinity)).toEqual([1])
      })
    )

    it.effect("4 producers × 2 batch consumers deliver every value exactly once", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1, 64]) {
          const ch = yield* Chan.make<number>(capacity)
          const n = 4000
          yield* Effect.forkChild(fourProducers(ch, n))
          const consumer = Effect.gen(function* () {
            const got: Array<number> = []
            for (;;) {
              const batch = yield* Chan.recvAll(ch, 16)
              if (batch.length === 0) return got
              expect(batch.length).toBeLessThanOrEqual(16)
              got.push(...batch)
            }
          })
          const parts = yield* Effect.forEach(range(2), () => consumer, { concurrency: "unbounded" })
          expect(parts.flat().sort((a, b) => a - b)).toEqual(range(n))
        }
      })
    )
  })

  describe("interruption", () => {
    it.effect("an interrupted recv leaves no waiter behind and takes nothing", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 4]) {
          const ch = yield* Chan.make<number>(capacity)
          const r = yield* Effect.forkChild(Chan.recv(ch))
          yield* settle
          yield* Fiber.interrupt(r)
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          if (capacity > 0) {
            yield* Chan.send(ch, 1)
            expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
          } else {
            expect(yield* Chan.trySend(ch, 1)).toBe(false)
          }
        }
      })
    )

    it.effect("an interrupted send leaves no waiter and its value is never delivered", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1]) {
          const ch = yield* Chan.make<number>(capacity)
          if (capacity === 1) yield* Chan.send(ch, 0)
          const s = yield* Effect.forkChild(Chan.send(ch, 99))
          yield* settle
          yield* Fiber.interrupt(s)
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          yield* Chan.close(ch)
          expect(yield* drainAll(ch)).toEqual(capacity === 1 ? [0] : [])
        }
      })
    )

    it.effect("a send interrupted by a fiber its own step resumed completes first: the value is received once", () =>
      Effect.gen(function* () {
        // a's first send completes b's receive but resumes b later; a's second send finds nobody on `ch`,
        // resumes b in its step, and b interrupts a, then waits on `ch`. Effect acts on the interruption
        // after the step: the send it finds b waiting for in that step stands.
        const x = yield* Chan.make<number>(0)
        const ch = yield* Chan.make<string>(0)
        let a: Fiber.Fiber<void, unknown> | undefined
        const b = yield* Effect.forkChild(
          Effect.andThen(
            Chan.recv(x),
            Effect.suspend(() => {
              a!.interruptUnsafe()
              return Chan.recv(ch)
            })
          )
        )
        yield* settle
        a = yield* Effect.forkChild(Effect.andThen(Chan.send(x, 1), Chan.send(ch, "v")))
        const aExit = yield* Fiber.await(a)
        expect(Exit.hasInterrupts(aExit)).toBe(true)
        expect(yield* Fiber.join(b)).toEqual(Option.some("v"))
        expect((yield* Chan.blocked(ch)).length).toBe(0)
      })
    )

    it.effect("a receiver handed a value but interrupted before it resumed gives the value back", () =>
      Effect.gen(function* () {
        // Buffered channels complete a parked receiver at once but resume it
        // later (batching). Interrupt it in between: the value must return
        // to the channel, at the head, in order.
        const ch = yield* Chan.make<number>(4)
        const r = yield* Effect.forkChild(Chan.recv(ch))
        yield* settle
        yield* Effect.uninterruptible(
          Effect.gen(function* () {
            yield* Chan.send(ch, 1) // handed to r, whose wake-up is deferred
            yield* Chan.send(ch, 2)
            r.interruptUnsafe()
          })
        )
        const exit = yield* Fiber.await(r)
        expect(Exit.hasInterrupts(exit)).toBe(true)
        expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
        expect(yield* Chan.recv(ch)).toEqual(Option.some(2))
      })
    )

    it.effect("unbuffered: a receiver handed a value but interrupted before it resumed gives it back", () =>
      Effect.gen(function* () {
        // An unbuffered send completes a parked receiver at once and resumes
        // it later too (when the sender parks): interrupted in between, the
        // receiver returns the value, which the next receive gets.
        const ch = yield* Chan.make<number>()
        const r = yield* Effect.forkChild(Chan.recv(ch))
        yield* settle
        yield* Effect.uninterruptible(
          Effect.gen(function* () {
            yield* Chan.send(ch, 1) // a rendezvous with r, whose resumption is deferred
            r.interruptUnsafe()
          })
        )
        const exit = yield* Fiber.await(r)
        expect(Exit.hasInterrupts(exit)).toBe(true)
        expect((yield* Chan.blocked(ch)).length).toBe(0)
        expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
        // Still a rendezvous afterwards.
        expect(yield* Chan.trySend(ch, 2)).toBe(false)
        expect(yield* Chan.len(ch)).toBe(0)
      })
    )

    it.effect("a value given back keeps len within cap (0 unbuffered) and is received before later values", () =>
      Effect.gen(function* () {
        for (const capacity of [0, 1]) {
          const ch = yield* Chan.make<number>(capacity)
          const r = yield* Effect.forkChild(Chan.recv(ch))
          yield* settle
          // A sender parks behind the hand-over (or fills the one slot).
          const later = yield* Effect.forkChild(Effect.andThen(settle, Chan.send(ch, 2)))
          yield* Effect.uninterruptible(
            Effect.gen(function* () {
              yield* Chan.send(ch, 1) // completes r, whose resumption is deferred
              r.interruptUnsafe()
            })
          )
          yield* Fiber.await(r)
          yield* settle
          // 1 is back in the channel and 2 is buffered or parked: Go's len never exceeds cap.
          expect(yield* Chan.len(ch), `capacity ${capacity}`).toBe(capacity)
          expect(Chan.cap(ch)).toBe(capacity)
          expect(yield* Chan.recv(ch)).toEqual(Option.some(1))
          expect(yield* Chan.recv(ch)).toEqual(Option.some(2))
          yield* Fiber.join(later)
          expect(yield* Chan.len(ch)).toBe(0)
          expect(yield* Chan.trySend(ch, 3)).toBe(capacity > 0)
        }
      })
    )

    it.effect.prop(
      "interrupting random receivers and senders under load loses and duplicates nothing",
      [Schema.Array(Schema.Tuple([Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 5 })), Schema.Boolean]))],
      ([plan]) =>
        Effect.gen(function* () {
          const capacity = plan.length % 3 === 0 ? 0 : plan.length % 3 === 1 ? 1 : 8
          const ch = yield* Chan.make<number>(capacity)
          const sent = new Set<number>()
          const attempted = new Set<number>()
          const received: Array<number> = []
          const fibers: Array<Fiber.Fiber<unknown, unknown>> = []
          let next = 0
          for (const [steps, isSender] of plan) {
            if (isSender) {
              const v = next++
              attempted.add(v)
              fibers.push(
                yield* Effect.forkChild(Chan.send(ch, v).pipe(Effect.tap(() => Effect.sync(() => sent.add(v)))))
              )
            } else {
              fibers.push(
                yield* Effect.forkChild(
                  Chan.recv(ch).pipe(Effect.tap((o) => Effect.sync(() => Option.isSome(o) && received.push(o.value))))
                )
              )
            }
            for (let i = 0; i < steps; i++) yield* Effect.yieldNow
            // Interrupt an earlier fiber every third step.
            if (fibers.length % 3 === 0) yield* Fiber.interrupt(fibers[fibers.length - 2]!)
          }
          yield* settle
          yield* Fiber.interruptAll(fibers)
          expect((yield* Chan.blocked(ch)).length).toBe(0)
          yield* Chan.close(ch)
          received.push(...(yield* drainAll(ch)))
          // Nothing duplicated, nothing invented, every completed send arrived.
          expect(new Set(received).size).toBe(received.length)
          for (const v of received) expect(attempted.has(v)).toBe(true)
          for (const v of sent) expect(received).toContain(v)
        })
    )
  })

  describe("range and conversions", () => {
    it.effect("many fibers ranging over one channel lose nothing", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(16)
        yield* Effect.forkChild(
          Effect.forEach(range(10_000), (i) => Chan.send(ch, i), { discard: true }).pipe(Effect.andThen(Chan.close(ch)))
        )
        const parts = yield* Effect.forEach(range(8), () => drainAll(ch), { concurrency: "unbounded" })
        expect(parts.flat().sort((a, b) => a - b)).toEqual(range(10_000))
      })
    )

    it.effect("toStream ends at close and keeps order", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.fromIterable(range(1000), { capacity: 32 })
        const all = yield* Stream.runCollect(Chan.toStream(ch))
        expect(all).toEqual(range(1000))
      })
    )

    it.effect("fromStream feeds a channel and closes it at the end", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.fromStream(Stream.range(1, 5), { capacity: 2 })
        expect(yield* drainAll(ch)).toEqual([1, 2, 3, 4, 5])
      })
    )

    it.effect("closing the scope stops the producer of fromIterable", () =>
      Effect.gen(function* () {
        let produced = 0
        const infinite = {
          *[Symbol.iterator]() {
            while (true) yield produced++
          }
        }
        const first = yield* Effect.scoped(
          Effect.gen(function* () {
            const ch = yield* Chan.fromIterable(infinite)
            return yield* Chan.recv(ch)
          })
        )
        expect(first).toEqual(Option.some(0))
        const after = produced
        yield* settle
        expect(produced).toBe(after)
      })
    )
  })

  describe("under every op budget", () => {
    // An unbuffered hand-off resumes the parked fiber later, and its reply
    // often completes the first fiber inside its own parking: a yield at any
    // point of that must neither lose a wake-up nor reorder the replies.
    it.live("ping-pong over two unbuffered channels: every reply, in order", () =>
      underEveryBudget(() =>
        Effect.gen(function* () {
          const ping = yield* Chan.make<number>()
          const pong = yield* Chan.make<number>()
          const echo = yield* Effect.forkChild(
            Effect.andThen(
              Chan.forEach(ping, (v) => Chan.send(pong, v)),
              Chan.close(pong)
            )
          )
          const replies: Array<number> = []
          for (let i = 0; i < 200; i++) {
            yield* Chan.send(ping, i)
            const reply = yield* Chan.recv(pong)
            if (Option.isSome(reply)) replies.push(reply.value)
          }
          yield* Chan.close(ping)
          yield* Fiber.join(echo)
          expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => i))
          expect(yield* Chan.recv(pong)).toEqual(Option.none())
        }).pipe(Effect.orDie)
      )
    )

    it.live(
      "two producers and two recvAll consumers, capacity 0, 1 and 8: every value once, each producer's in order",
      () =>
        underEveryBudget(() =>
          Effect.gen(function* () {
            for (const capacity of [0, 1, 8]) {
              const ch = yield* Chan.make<readonly [number, number]>(capacity)
              yield* Effect.forkChild(
                Effect.forEach(
                  range(2),
                  (p) => Effect.forEach(range(100), (i) => Chan.send(ch, [p, i] as const), { discard: true }),
                  { concurrency: "unbounded", discard: true }
                ).pipe(Effect.andThen(Chan.close(ch)))
              )
              const consumer = Effect.gen(function* () {
                const got: Array<readonly [number, number]> = []
                for (;;) {
                  const batch = yield* Chan.recvAll(ch, 3)
                  if (batch.length === 0) return got
                  got.push(...batch)
                }
              })
              const parts = yield* Effect.forEach(range(2), () => consumer, { concurrency: "unbounded" })
              const all = parts.flat()
              expect(all.length).toBe(200)
              for (const part of parts) {
                for (const p of [0, 1]) {
                  const mine = part.filter(([from]) => from === p).map(([, i]) => i)
                  expect(mine).toEqual([...mine].sort((a, b) => a - b))
                }
              }
              for (const p of [0, 1]) {
                expect(
                  all
                    .filter(([from]) => from === p)
                    .map(([, i]) => i)
                    .sort((a, b) => a - b)
                ).toEqual(range(100))
              }
            }
          }).pipe(Effect.orDie)
        )
    )
  })

  describe("Go's channel programs", () => {
    it.effect("fifo daisy chain (test/chan/fifo.go)", () =>
      Effect.gen(function* () {
        // Each link waits for the previous one, then sends its number.
        const n = 100
        const ch = yield* Chan.make<number>()
        let previous = yield* Chan.make<void>()
        const first = previous
        for (let i = 0; i < n; i++) {
          const next = yield* Chan.make<void>()
          const [inp, out] = [previous, next]
          yield* Effect.forkChild(
            Chan.recv(inp).pipe(Effect.andThen(Chan.send(ch, i)), Effect.andThen(Chan.send(out, undefined)))
          )
          previous = next
        }
        yield* Effect.forkChild(Chan.send(first, undefined))
        const got: Array<number> = []
        for (let i = 0; i < n; i++) got.push(Option.getOrThrow(yield* Chan.recv(ch)))
        yield* Chan.recv(previous)
        expect(got).toEqual(range(n))
      })
    )

    it.effect("10k fibers chained `left <- 1 + <-right` (test/chan/daisy/goroutines)", () =>
      Effect.gen(function* () {
        const n = 10_000
        const leftmost = yield* Chan.make<number>()
        let left = leftmost
        for (let i = 0; i < n; i++) {
          const right = yield* Chan.make<number>()
          const [l, r] = [left, right]
          yield* Effect.forkChild(Chan.recv(r).pipe(Effect.flatMap((v) => Chan.send(l, 1 + Option.getOrThrow(v)))))
          left = right
        }
        yield* Effect.forkChild(Chan.send(left, 1))
        expect(yield* Chan.recv(leftmost)).toEqual(Option.some(n + 1))
      })
    )
  })

  describe("bad arguments", () => {
    it.effect("anything but a channel is reported inside the Effect, never thrown while it is built", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(1)
        for (const [bad, tag, message] of [
          [undefined, "InvalidArgumentError", "expected a Chan, got undefined"],
          [5, "InvalidArgumentError", "expected a Chan, got the number 5"],
          [{ ...ch }, "CopiedPrimitiveError", "Chan is copied"]
        ] as const) {
          const built: Array<Effect.Effect<unknown, unknown>> = []
          expect(() => {
            built.push(
              Chan.recv(any(bad)),
              Chan.send(any(bad), 1),
              Chan.send(1)(any(bad)),
              Chan.forEach(any(bad), () => Effect.void),
              Stream.runDrain(Chan.toStream(any(bad))),
              Chan.trySend(any(bad), 1),
              Chan.tryRecv(any(bad)),
              Chan.close(any(bad)),
              Chan.len(any(bad)),
              Chan.isClosed(any(bad)),
              Chan.blocked(any(bad))
            )
          }, message).not.toThrow()
          for (const effect of built) {
            const exit = yield* Effect.exit(effect)
            const defect = Exit.isFailure(exit) ? (Cause.squash(exit.cause) as Error & { _tag: string }) : undefined
            expect(defect?._tag, message).toBe(tag)
            expect(defect!.message.startsWith(message), defect!.message).toBe(true)
          }
        }
      })
    )

    it("cap, a plain number as Go's builtin, throws InvalidArgumentError for anything but a channel", () => {
      expect(() => Chan.cap(any(undefined))).toThrow(InvalidArgumentError)
      expect(() => Chan.cap(any(undefined))).toThrow("expected a Chan, got undefined")
    })

    it.effect("a loop body that is no function, or returns no Effect, is a tagged defect", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(2)
        yield* Chan.send(ch, 1)
        const notFunction = yield* Effect.exit(Chan.forEach(ch, any(5) as () => Effect.Effect<void>))
        expect(defectOf(notFunction)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Chan.forEach: expected a function (the loop body), got the number 5"
        })
        expect(yield* Chan.len(ch)).toBe(1) // nothing was received
        // A value ready at once, and one the loop parks for.
        const noEffect = yield* Effect.exit(Chan.forEach(ch, any(() => 5) as () => Effect.Effect<void>))
        expect(defectOf(noEffect)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Chan.forEach: expected its body to return an Effect, got the number 5"
        })
        const parked = yield* Effect.forkChild(
          Effect.exit(Chan.forEach(ch, any(() => "x") as () => Effect.Effect<void>))
        )
        yield* settle
        yield* Chan.send(ch, 2)
        expect(defectOf(yield* Fiber.join(parked))).toMatchObject({
          _tag: "InvalidArgumentError",
          message: 'Chan.forEach: expected its body to return an Effect, got the string "x"'
        })
      })
    )

    it.effect("fromIterable and fromStream: a bad capacity or name option is a defect, and no producer starts", () =>
      Effect.gen(function* () {
        let pulled = 0
        const counted = {
          *[Symbol.iterator]() {
            pulled++
            yield 1
          }
        }
        const stream = Stream.fromIterable(counted)
        for (const [options, tag, message] of [
          [{ capacity: -1 }, "InvalidCapacityError", "makechan: size out of range: got capacity -1"],
          [{ capacity: 0.5 }, "InvalidCapacityError", "makechan: size out of range: got capacity 0.5"],
          [{ name: 3 }, "InvalidArgumentError", "expected a string (the channel's name) as the name option"],
          [7, "InvalidArgumentError", "expected an options object ({ name?: string }), got the number 7"]
        ] as const) {
          for (const [op, made] of [
            ["Chan.fromIterable", Chan.fromIterable(counted, any(options))],
            ["Chan.fromStream", Chan.fromStream(stream, any(options))]
          ] as const) {
            const defect = defectOf(yield* Effect.exit(Effect.scoped(made))) as Error & { _tag: string }
            expect(defect?._tag, `${op} ${message}`).toBe(tag)
            expect(defect.message).toContain(message)
            if (tag === "InvalidArgumentError") expect(defect.message.startsWith(op), defect.message).toBe(true)
          }
        }
        yield* settle
        expect(pulled).toBe(0)
      })
    )

    it.effect("fromIterable and fromStream refuse what they cannot iterate, at the call", () =>
      Effect.gen(function* () {
        const iterable = yield* Effect.exit(Effect.scoped(Chan.fromIterable(any(5) as Array<number>)))
        expect(defectOf(iterable)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Chan.fromIterable: expected an iterable, got the number 5"
        })
        const stream = yield* Effect.exit(Effect.scoped(Chan.fromStream(any([1, 2]) as Stream.Stream<number>)))
        expect(defectOf(stream)).toMatchObject({
          _tag: "InvalidArgumentError",
          message: "Chan.fromStream: expected a Stream, got an array of length 2"
        })
        // A string is iterable.
        const chars = yield* Effect.scoped(Effect.flatMap(Chan.fromIterable("ab"), drainAll))
        expect(chars).toEqual(["a", "b"])
      })
    )
  })

  describe("as a value: Pipeable and Inspectable", () => {
    const state = (over: Partial<Record<string, unknown>>) => ({
      _id: "Chan",
      name: undefined,
      capacity: 0,
      len: 0,
      closed: false,
      nil: false,
      waitingReceivers: 0,
      waitingSenders: 0,
      ...over
    })

    it.effect("toJSON shows name, cap, len, closed, nil and the parked operations as counts, nothing else", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(2, { name: "jobs" })
        expect(ch.toJSON()).toStrictEqual(state({ name: "jobs", capacity: 2 }))
        yield* Chan.send(ch, 1)
        yield* Chan.send(ch, 2)
        const sender = yield* Effect.forkChild(Chan.send(ch, 3))
        yield* settle
        expect(ch.toJSON()).toStrictEqual(state({ name: "jobs", capacity: 2, len: 2, waitingSenders: 1 }))
        yield* Fiber.interrupt(sender)
        expect(ch.toJSON()).toStrictEqual(state({ name: "jobs", capacity: 2, len: 2 }))
        yield* Chan.close(ch)
        expect(ch.toJSON()).toStrictEqual(state({ name: "jobs", capacity: 2, len: 2, closed: true }))

        // Receivers: plain receives, range loops and select cases each count.
        // Senders: plain sends and select cases.
        const u = yield* Chan.make<number>()
        const out = yield* Chan.make<number>()
        const waiting = yield* Effect.forEach(
          [
            Chan.recv(u),
            Chan.forEach(u, () => Effect.void),
            Select.select(Select.recv(u), Select.send(out, 1)),
            Chan.send(out, 2)
          ],
          (effect) => Effect.forkChild(effect)
        )
        yield* settle
        expect(u.toJSON()).toStrictEqual(state({ waitingReceivers: 3 }))
        expect(out.toJSON()).toStrictEqual(state({ waitingSenders: 2 }))
        yield* Fiber.interruptAll(waiting)
        expect(u.toJSON()).toStrictEqual(state({}))
        expect(out.toJSON()).toStrictEqual(state({}))

        expect(Chan.nil<number>().toJSON()).toStrictEqual(state({ nil: true }))
        // Plain data: it serializes.
        expect(JSON.parse(JSON.stringify(ch))).toEqual({
          ...state({ capacity: 2, len: 2, closed: true }),
          name: "jobs"
        })
      })
    )

    it.effect("String, Node's inspect and console.log print the state; pipe works, on the views too", () =>
      Effect.gen(function* () {
        const ch = yield* Chan.make<number>(4, { name: "jobs" })
        yield* Chan.send(ch, 1)
        const shown =
          '{"_id":"Chan","name":"jobs","capacity":4,"len":1,"closed":false,"nil":false,"waitingReceivers":0,"waitingSenders":0}'
        expect(String(ch)).toBe(shown)
        expect(`${ch}`).toBe(shown)
        expect(inspect(ch)).toBe(inspect(ch.toJSON()))
        expect(Inspectable.toStringUnknown(ch, 0)).toBe(shown)

        const r: Chan.RecvChan<number> = ch
        const s: Chan.SendChan<number> = ch
        expect(String(r)).toBe(shown)
        expect(s.toJSON()).toStrictEqual(ch.toJSON())
        expect(ch.pipe((c) => Chan.cap(c))).toBe(4)
        expect(yield* r.pipe(Chan.recv)).toEqual(Option.some(1))
        yield* s.pipe(Chan.send(2))
        expect(yield* r.pipe(Chan.tryRecv)).toEqual({ _tag: "Received", value: 2 })
        expectTypeOf(r.pipe(Chan.recv)).toEqualTypeOf<Effect.Effect<Option.Option<number>>>()
        expectTypeOf(s.pipe(Chan.send(2))).toEqualTypeOf<Effect.Effect<void, Chan.ChanClosedError>>()
      })
    )

    it("a spread copy is still refused: being a value adds no state a copy could carry", () => {
      const ch = Chan.makeUnsafe<number>(1)
      expect(() => Chan.cap({ ...ch })).toThrow("Chan is copied")
    })
  })

  describe("types", () => {
    it("Chan is assignable to both views; views cannot do the other side's work", () => {
      const ch = Chan.makeUnsafe<number>(1)
      const r: Chan.RecvChan<number> = ch
      const s: Chan.SendChan<number> = ch
      expectTypeOf(Chan.recv(r)).toEqualTypeOf<Effect.Effect<Option.Option<number>>>()
      expectTypeOf(Chan.send(s, 1)).toEqualTypeOf<Effect.Effect<void, Chan.ChanClosedError>>()
      // @ts-expect-error a receive-only view cannot send
      Chan.send(r, 1)
      // @ts-expect-error a receive-only view cannot be closed
      Chan.close(r)
      // @ts-expect-error a send-only view cannot receive
      Chan.recv(s)
      // @ts-expect-error a send-only view cannot be ranged over
      Chan.toStream(s)
      // @ts-expect-error the element type is checked
      Chan.send(s, "one")
      // Covariant receive side, contravariant send side.
      expectTypeOf(r).toExtend<Chan.RecvChan<number | string>>()
      expectTypeOf(s).toExtend<Chan.SendChan<1>>()
      // A RecvChan<number | string> is not a RecvChan<number>, nor a SendChan<1> a SendChan<number>.
      expectTypeOf<Chan.RecvChan<number | string>>().not.toExtend<Chan.RecvChan<number>>()
      expectTypeOf<Chan.SendChan<1>>().not.toExtend<Chan.SendChan<number>>()
    })
  })
})

import { getEventListeners } from "node:events"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { inspect } from "node:util"
import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import * as FiberMonitor from "../src/FiberMonitor.ts"
import * as GoContext from "../src/GoContext.ts"
import { InvalidArgumentError } from "../src/internal/copied.ts"
import * as Select from "../src/Select.ts"
import * as Timer from "../src/Timer.ts"
import { settle } from "./utils/fibers.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

type Ctx = GoContext.GoContext

/** Go's `select { case <-ctx.Done(): return true; default: return false }`. */
const isDone = (ctx: Ctx) => Effect.map(Chan.tryRecv(GoContext.done(ctx)), (r) => r._tag === "Closed")

/** The tag of `ctx.Err()`, or undefined. */
const errTag = (ctx: Ctx) => Effect.map(GoContext.err(ctx), (e) => (Option.isSome(e) ? e.value._tag : undefined))

/** Done, with the given error tag (undefined: not done). */
const expectState = (ctx: Ctx, tag: "CanceledError" | "DeadlineExceededError" | undefined) =>
  Effect.gen(function* () {
    expect(yield* errTag(ctx)).toBe(tag)
    expect(yield* isDone(ctx)).toBe(tag !== undefined)
  })

const causeOf = (ctx: Ctx) => Effect.map(GoContext.cause(ctx), Option.getOrUndefined)

class BoomError extends Data.TaggedError("BoomError")<{}> {}

/**
 * The defect `effect` dies with, run in a scope of its own. Fails the test if
 * it succeeds or fails with a typed error: a programmer error is never one.
 */
const defectOf = (effect: Effect.Effect<unknown, unknown, Scope.Scope>): Effect.Effect<unknown> =>
  Effect.map(Effect.exit(Effect.scoped(effect)), (exit) => {
    expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause), String(exit)).toBe(true)
    return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
  })

/**
 * `fiber` itself, except that it counts the observers added through it and
 * not removed since (those a fiber drops when it ends are not uncounted).
 */
const countingObservers = (fiber: Fiber.Fiber<unknown, unknown>) => {
  let live = 0
  const counted: Fiber.Fiber<unknown, unknown> = Object.create(fiber)
  Object.defineProperty(counted, "addObserver", {
    value: (cb: (exit: Exit.Exit<unknown, unknown>) => void) => {
      live++
      const remove = fiber.addObserver(cb)
      let removed = false
      return () => {
        if (removed) return
        removed = true
        live--
        remove()
      }
    }
  })
  return { fiber: counted, live: () => live }
}

/** How many finalizers `scope` holds (`Scope.State`: one inline, or a map). */
const finalizerCount = (scope: Scope.Scope): number => {
  const state = scope.state
  if (state._tag !== "Open") return 0
  return state.finalizer !== undefined ? 1 : (state.finalizers?.size ?? 0)
}

describe("GoContext", () => {
  describe("background and todo (Go's TestBackground, TestTODO)", () => {
    it.effect("are never done, have no deadline, no error, no cause", () =>
      Effect.gen(function* () {
        for (const ctx of [GoContext.background, GoContext.todo]) {
          yield* expectState(ctx, undefined)
          expect(yield* GoContext.cause(ctx)).toEqual(Option.none())
          expect(GoContext.deadline(ctx)).toEqual(Option.none())
          // done is a nil channel: never chosen in a select.
          const chosen = yield* Select.select(
            Select.recv(GoContext.done(ctx), () => Effect.succeed("done")),
            Select.otherwise(() => Effect.succeed("default"))
          )
          expect(chosen).toBe("default")
        }
        expect(String(GoContext.background)).toBe("context.Background")
        expect(String(GoContext.todo)).toBe("context.TODO")
        expect(GoContext.isGoContext(GoContext.background)).toBe(true)
        expect(GoContext.isGoContext({})).toBe(false)
      })
    )

    it.effect("a fiber waiting on background's done waits until interrupted", () =>
      Effect.gen(function* () {
        const waiter = yield* Effect.forkChild(Chan.recv(GoContext.done(GoContext.background)))
        yield* TestClock.adjust("1000 hours")
        expect(waiter.pollUnsafe()).toBeUndefined()
        yield* Fiber.interrupt(waiter)
        expect(Exit.hasInterrupts(waiter.pollUnsafe()!)).toBe(true)
      })
    )
  })

  describe("as a value: Pipeable and Inspectable", () => {
    it.effect("toJSON shows the label, the deadline and the error's tag; never values nor registrations", () =>
      Effect.gen(function* () {
        expect(GoContext.background.toJSON()).toStrictEqual({
          _id: "GoContext",
          label: "context.Background",
          deadline: undefined,
          err: undefined
        })
        const secret = GoContext.key<{ readonly password: string }>("credentials")
        const [ctx, cancel] = yield* GoContext.withCancel(
          GoContext.withValue(GoContext.background, secret, { password: "hunter2" })
        )
        const [timed] = yield* GoContext.withTimeout(ctx, "1 second")
        yield* GoContext.afterFunc(timed, Effect.void)
        expect(timed.toJSON()).toStrictEqual({
          _id: "GoContext",
          label:
            "context.Background.WithValue(credentials, <object>).WithCancel.WithDeadline(1970-01-01T00:00:01.000Z)",
          deadline: 1000,
          err: undefined
        })
        expect(JSON.stringify(timed)).not.toContain("hunter2")
        yield* TestClock.adjust("1 second")
        expect(timed.toJSON()).toMatchObject({ deadline: 1000, err: "DeadlineExceededError" })
        expect(ctx.toJSON()).toMatchObject({ deadline: undefined, err: undefined })
        yield* cancel
        expect(ctx.toJSON()).toMatchObject({ err: "CanceledError" })
        // Plain data: it serializes.
        expect(JSON.parse(JSON.stringify(ctx))).toEqual({
          _id: "GoContext",
          label: "context.Background.WithValue(credentials, <object>).WithCancel",
          err: "CanceledError"
        })
      }).pipe(Effect.scoped)
    )

    it.effect("String is Go's fmt.Sprint(ctx); Node's inspect shows toJSON; pipe works", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.todo)
        expect(String(ctx)).toBe("context.TODO.WithCancel")
        expect(`${ctx}`).toBe("context.TODO.WithCancel")
        expect(inspect(ctx)).toBe(inspect(ctx.toJSON()))
        expect(inspect(GoContext.background)).toBe(
          "{\n  _id: 'GoContext',\n  label: 'context.Background',\n  deadline: undefined,\n  err: undefined\n}"
        )
        const n = GoContext.key<number>("n")
        const child = ctx.pipe(GoContext.withValue(n, 1))
        expect(child.pipe((c) => GoContext.value(c, n))).toEqual(Option.some(1))
        expect(yield* ctx.pipe(GoContext.err)).toEqual(Option.none())
        const [timed] = yield* ctx.pipe(GoContext.withTimeout("1 second"))
        expect(String(timed)).toBe("context.TODO.WithCancel.WithDeadline(1970-01-01T00:00:01.000Z)")
        expectTypeOf(ctx.pipe(GoContext.withValue(n, 1))).toEqualTypeOf<GoContext.GoContext<GoContext.CanceledError>>()
        yield* cancel
      }).pipe(Effect.scoped)
    )
  })

  describe("withCancel", () => {
    it.effect("cancel propagates synchronously to every derived context (Go's TestWithCancel)", () =>
      Effect.gen(function* () {
        const [c1, cancel] = yield* GoContext.withCancel(GoContext.background)
        expect(String(c1)).toBe("context.Background.WithCancel")
        // Go uses a custom otherContext wrapper here; a value context is ours.
        const o = GoContext.withValue(c1, GoContext.key<number>("k"), 1)
        const [c2] = yield* GoContext.withCancel(o)
        const contexts = [c1, o, c2]
        for (const c of contexts) {
          expect(GoContext.done(c)).toBe(GoContext.done(c))
          yield* expectState(c, undefined)
        }
        // A value context shares its parent's done channel.
        expect(GoContext.done(o)).toBe(GoContext.done(c1))
        yield* cancel
        for (const c of contexts) yield* expectState(c, "CanceledError")
        // Go: cancel is idempotent.
        yield* cancel
        yield* expectState(c1, "CanceledError")
      })
    )

    it.effect("a parent cancels all its children and forgets them (Go's TestParentFinishesChild)", () =>
      Effect.gen(function* () {
        const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
        const [cancelChild] = yield* GoContext.withCancel(parent)
        const valueChild = GoContext.withValue(parent, GoContext.key<string>("key"), "value")
        const [timerChild] = yield* GoContext.withTimeout(valueChild, "1000 hours")
        let afterRan = false
        yield* GoContext.afterFunc(
          parent,
          Effect.sync(() => {
            afterRan = true
          })
        )
        for (const c of [parent, cancelChild, valueChild, timerChild]) yield* expectState(c, undefined)
        // The parent holds the three cancellable children (the value child
        // shares the parent's state and is not one of them).
        expect(yield* GoContext.childCount(parent)).toBe(3)
        yield* cancel
        expect(yield* GoContext.childCount(parent)).toBe(0)
        for (const c of [parent, cancelChild, valueChild, timerChild]) yield* expectState(c, "CanceledError")
        expect(afterRan).toBe(true)
        // A context derived from a cancelled parent is born cancelled.
        const precanceled = GoContext.withValue(parent, GoContext.key<string>("key"), "value")
        yield* expectState(precanceled, "CanceledError")
        const [precanceledCancel] = yield* GoContext.withCancel(parent)
        yield* expectState(precanceledCancel, "CanceledError")
        expect(yield* GoContext.childCount(parent)).toBe(0)
      })
    )

    it.effect("cancelling a child leaves the parent alone and unlinks the child (Go's TestChildFinishesFirst)", () =>
      Effect.gen(function* () {
        const [cancelable, stop] = yield* GoContext.withCancel(GoContext.background)
        for (const parent of [GoContext.background, cancelable] as const) {
          const [child, cancel] = yield* GoContext.withCancel(parent)
          yield* expectState(parent, undefined)
          yield* expectState(child, undefined)
          expect(yield* GoContext.childCount(parent)).toBe(parent === cancelable ? 1 : 0)
          yield* cancel
          expect(yield* GoContext.childCount(parent)).toBe(0)
          yield* expectState(child, "CanceledError")
          yield* expectState(parent, undefined)
        }
        yield* stop
      })
    )

    it.effect(
      "a child of a cancelled parent is born cancelled with the parent's cause (Go's TestWithCancelCanceledParent)",
      () =>
        Effect.gen(function* () {
          const parentCause = new Error("parent cause")
          const [parent, cancel] = yield* GoContext.withCancelCause(GoContext.background)
          yield* cancel(parentCause)
          const [child] = yield* GoContext.withCancel(parent)
          yield* expectState(child, "CanceledError")
          expect(yield* causeOf(child)).toBe(parentCause)
        })
    )

    it.effect("a fiber woken by the parent's done cancels a child (Go's TestInterlockedCancels)", () =>
      Effect.gen(function* () {
        const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
        const [child, cancelChild] = yield* GoContext.withCancel(GoContext.background)
        yield* Effect.forkChild(Effect.andThen(Chan.recv(GoContext.done(parent)), cancelChild))
        yield* settle
        yield* cancelParent
        yield* settle
        yield* expectState(child, "CanceledError")
      })
    )

    it.effect("simultaneous cancels of a tree wake every waiter once (Go's TestSimultaneousCancels)", () =>
      Effect.gen(function* () {
        const [root, cancelRoot] = yield* GoContext.withCancel(GoContext.background)
        const nodes: Array<{ ctx: Ctx; cancel: GoContext.CancelFunc }> = [{ ctx: root, cancel: cancelRoot }]
        for (let i = 0; nodes.length < 100; i++) {
          const [ctx, cancel] = yield* GoContext.withCancel(nodes[i % nodes.length]!.ctx)
          nodes.push({ ctx, cancel })
        }
        let woken = 0
        yield* Effect.forEach(
          nodes,
          ({ ctx }) =>
            Effect.forkChild(
              Effect.andThen(
                Chan.recv(GoContext.done(ctx)),
                Effect.sync(() => woken++)
              )
            ),
          { discard: true }
        )
        yield* settle
        expect(woken).toBe(0)
        // Cancel the root and every node concurrently.
        yield* Effect.forEach(nodes, ({ cancel }) => cancel, { concurrency: "unbounded", discard: true })
        yield* settle
        expect(woken).toBe(nodes.length)
        for (const { ctx } of nodes) yield* expectState(ctx, "CanceledError")
        expect(yield* GoContext.childCount(root)).toBe(0)
      })
    )

    it.effect("a fiber woken by a parent's done finds every descendant already done (two-phase cancel)", () =>
      Effect.gen(function* () {
        const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
        const [child] = yield* GoContext.withCancel(parent)
        const [grandchild] = yield* GoContext.withCancel(child)
        const seen: Array<unknown> = []
        // Create the descendants' channels first so that they are closed
        // after the parent's, and subscribe to their signals.
        GoContext.done(child)
        GoContext.done(grandchild)
        yield* Effect.forkChild(
          Effect.andThen(
            Chan.recv(GoContext.done(parent)),
            Effect.gen(function* () {
              seen.push(yield* errTag(child), yield* errTag(grandchild), yield* isDone(grandchild))
            })
          )
        )
        yield* settle
        yield* cancel
        expect(seen).toEqual(["CanceledError", "CanceledError", true])
      })
    )

    it.effect("a chain of 100 000 contexts cancels from the root without overflowing the stack", () =>
      Effect.gen(function* () {
        const [root, cancel] = yield* GoContext.withCancel(GoContext.background)
        let ctx: Ctx = root
        for (let i = 0; i < 100_000; i++) ctx = (yield* GoContext.withCancel(ctx))[0]
        const leafWaiter = yield* Effect.forkChild(Chan.recv(GoContext.done(ctx)))
        yield* settle
        yield* cancel
        expect(yield* Fiber.join(leafWaiter)).toEqual(Option.none())
        yield* expectState(ctx, "CanceledError")
        // Deep chains print without recursion too.
        expect(String(ctx).split(".WithCancel").length).toBe(100_002)
      })
    )

    it.effect("children that finish first leave nothing behind in the parent (Go's TestCancelRemoves)", () =>
      Effect.gen(function* () {
        const [ctx, cancelCtx] = yield* GoContext.withCancel(GoContext.background)
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        const [, cancel] = yield* GoContext.withCancel(ctx)
        expect(yield* GoContext.childCount(ctx)).toBe(1)
        yield* cancel
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        const [, cancelTimer] = yield* GoContext.withTimeout(ctx, "60 minutes")
        expect(yield* GoContext.childCount(ctx)).toBe(1)
        yield* cancelTimer
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        const { stop } = yield* GoContext.afterFunc(ctx, Effect.void)
        expect(yield* GoContext.childCount(ctx)).toBe(1)
        expect(yield* stop).toBe(true)
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        // Closing the scope of a timer child or an afterFunc unlinks it too.
        yield* Effect.scoped(
          Effect.andThen(GoContext.withTimeout(ctx, "1 hour"), GoContext.afterFunc(ctx, Effect.void))
        )
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        // No growth over many cycles.
        for (let i = 0; i < 10_000; i++) {
          const [, c] = yield* GoContext.withCancel(ctx)
          yield* c
        }
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* expectState(ctx, undefined)
        yield* cancelCtx
      })
    )

    it.effect("a cancel cause is kept: a second cancel does not replace it", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
        yield* cancel("first")
        yield* cancel("second")
        expect(yield* causeOf(ctx)).toBe("first")
        const e = Option.getOrThrow(yield* GoContext.err(ctx))
        expect(e).toBeInstanceOf(GoContext.CanceledError)
        expect(e.message).toBe("context canceled")
        expect(e.cause).toBe("first")
      })
    )
  })

  describe("deadlines", () => {
    it.effect("withDeadline expires at the deadline on the Clock (Go's TestDeadline)", () =>
      Effect.gen(function* () {
        const [c1] = yield* GoContext.withDeadline(GoContext.background, 50)
        const [c2] = yield* GoContext.withDeadline(GoContext.background, new Date(50))
        expect(GoContext.deadline(c1)).toEqual(Option.some(50))
        expect(String(c2)).toBe("context.Background.WithDeadline(1970-01-01T00:00:00.050Z)")
        yield* TestClock.adjust("49 millis")
        yield* expectState(c1, undefined)
        yield* expectState(c2, undefined)
        yield* TestClock.adjust("1 millis")
        yield* expectState(c1, "DeadlineExceededError")
        yield* expectState(c2, "DeadlineExceededError")
        expect(Option.getOrThrow(yield* GoContext.err(c1)).message).toBe("context deadline exceeded")
        // A deadline in the past, or now, is already exceeded (Go).
        const [past] = yield* GoContext.withDeadline(GoContext.background, 0)
        yield* expectState(past, "DeadlineExceededError")
        const [now] = yield* GoContext.withDeadline(GoContext.background, 50)
        yield* expectState(now, "DeadlineExceededError")
        // Through a value layer and a later deadline (Go's otherContext case).
        const [d] = yield* GoContext.withDeadline(GoContext.background, 100)
        const o = GoContext.withValue(d, GoContext.key<number>("k"), 1)
        const [late] = yield* GoContext.withDeadline(o, 1_000_000)
        expect(GoContext.deadline(late)).toEqual(Option.some(100))
        yield* TestClock.adjust("50 millis")
        yield* expectState(late, "DeadlineExceededError")
      })
    )

    it.effect("withTimeout expires after the timeout (Go's TestTimeout)", () =>
      Effect.gen(function* () {
        yield* TestClock.adjust("1 second")
        const [ctx] = yield* GoContext.withTimeout(GoContext.background, "50 millis")
        expect(GoContext.deadline(ctx)).toEqual(Option.some(1050))
        const waiter = yield* Effect.forkChild(Chan.recv(GoContext.done(ctx)))
        yield* TestClock.adjust("49 millis")
        expect(waiter.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("1 millis")
        expect(yield* Fiber.join(waiter)).toEqual(Option.none())
        yield* expectState(ctx, "DeadlineExceededError")
        const [o] = yield* GoContext.withTimeout(GoContext.withValue(ctx, GoContext.key<number>("k"), 1), "1 hour")
        yield* expectState(o, "DeadlineExceededError")
      })
    )

    it.effect(
      "cancel before the timeout: Canceled, and the deadline never overrides it (Go's TestCanceledTimeout)",
      () =>
        Effect.gen(function* () {
          const [outer] = yield* GoContext.withTimeout(GoContext.background, "1 second")
          const o = GoContext.withValue(outer, GoContext.key<number>("k"), 1)
          const [ctx, cancel] = yield* GoContext.withTimeout(o, "2 seconds")
          yield* cancel
          yield* expectState(ctx, "CanceledError")
          yield* TestClock.adjust("3 seconds")
          yield* expectState(ctx, "CanceledError")
          yield* expectState(outer, "DeadlineExceededError")
        })
    )

    it.effect("the timer is served by a fiber that ends as soon as its last context is cancelled early", () =>
      Effect.gen(function* () {
        const monitor = FiberMonitor.make()
        const [ctx, cancel] = yield* GoContext.withTimeout(GoContext.background, "1 hour").pipe(
          FiberMonitor.track(monitor)
        )
        // The fiber serving the timer (and whatever TestClock's sleep runs on).
        const armed = FiberMonitor.live(monitor)
        expect(armed).toBeGreaterThan(0)
        // A deadline later than the parent's starts no timer.
        yield* GoContext.withTimeout(ctx, "2 hours").pipe(FiberMonitor.track(monitor))
        expect(FiberMonitor.live(monitor)).toBe(armed)
        yield* cancel
        expect(FiberMonitor.live(monitor)).toBe(0)
        yield* expectState(ctx, "CanceledError")
      })
    )

    it.effect("a deadline later than the parent's keeps the parent's and needs no timer", () =>
      Effect.gen(function* () {
        const [parent] = yield* GoContext.withTimeout(GoContext.background, "1 second")
        const [child] = yield* GoContext.withTimeout(parent, "1 hour")
        expect(GoContext.deadline(child)).toEqual(Option.some(1000))
        expect(String(child)).toBe("context.Background.WithDeadline(1970-01-01T00:00:01.000Z).WithCancel")
        const [earlier] = yield* GoContext.withTimeout(parent, "100 millis")
        expect(GoContext.deadline(earlier)).toEqual(Option.some(100))
        yield* TestClock.adjust("100 millis")
        yield* expectState(earlier, "DeadlineExceededError")
        yield* expectState(child, undefined)
        yield* TestClock.adjust("900 millis")
        yield* expectState(child, "DeadlineExceededError")
        yield* expectState(parent, "DeadlineExceededError")
      })
    )

    it.effect("closing the scope cancels the context and stops its timer (Go's defer cancel())", () =>
      Effect.gen(function* () {
        const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
        const ctx = yield* Effect.scoped(Effect.map(GoContext.withTimeout(parent, "1 second"), ([c]) => c))
        yield* expectState(ctx, "CanceledError")
        expect(yield* GoContext.childCount(parent)).toBe(0)
        yield* TestClock.adjust("2 seconds")
        yield* expectState(ctx, "CanceledError")
        yield* cancelParent
      })
    )

    it.effect("bad input: NaN and unparseable timeouts, NaN and invalid-Date deadlines are defects at the call", () =>
      Effect.gen(function* () {
        const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
        for (const timeout of [Number.NaN, "soon" as any]) {
          const built: Array<Effect.Effect<unknown, unknown, Scope.Scope>> = []
          // Reported by the Effect, never thrown while it is built.
          expect(() =>
            built.push(
              GoContext.withTimeout(parent, timeout),
              GoContext.withTimeout(timeout)(parent),
              GoContext.withTimeoutCause(parent, timeout, "late"),
              GoContext.withTimeoutCause(timeout, "late")(parent)
            )
          ).not.toThrow()
          for (const effect of built) {
            const e = yield* defectOf(effect)
            expect(e).toBeInstanceOf(GoContext.InvalidDurationError)
            expect((e as GoContext.InvalidDurationError).duration).toBe(timeout)
          }
        }
        expect(((yield* defectOf(GoContext.withTimeout(parent, "soon" as any))) as Error).message).toBe(
          'invalid duration "soon": not a duration; want milliseconds (a number), a Duration, or a string such as "500 millis"'
        )
        for (const deadline of [Number.NaN, new Date("not a date")]) {
          const built: Array<Effect.Effect<unknown, unknown, Scope.Scope>> = []
          expect(() =>
            built.push(
              GoContext.withDeadline(parent, deadline),
              GoContext.withDeadline(deadline)(parent),
              GoContext.withDeadlineCause(parent, deadline, "late"),
              GoContext.withDeadlineCause(deadline, "late")(parent)
            )
          ).not.toThrow()
          for (const effect of built) {
            const e = yield* defectOf(effect)
            expect(e).toBeInstanceOf(GoContext.InvalidDeadlineError)
            expect((e as GoContext.InvalidDeadlineError).deadline).toBe(deadline)
          }
        }
        // Refused before anything was linked under the parent.
        expect(yield* GoContext.childCount(parent)).toBe(0)
        yield* cancel
      })
    )

    it.effect("timeouts are read as Timer reads durations: what Effect would read as 0 is a defect, same message", () =>
      Effect.gen(function* () {
        for (const timeout of [{ ms: 5 }, [1, Number.NaN], { seconds: "5" }, new Date(5)]) {
          const e = yield* defectOf(GoContext.withTimeout(GoContext.background, timeout as any))
          expect(e).toBeInstanceOf(GoContext.InvalidDurationError)
          // (Squashed: whether Timer reports it as a failure or a defect, the message is the point.)
          const timerExit = yield* Effect.exit(Effect.scoped(Timer.make(timeout as any)))
          const timer = Exit.isFailure(timerExit) ? Cause.squash(timerExit.cause) : undefined
          expect((e as Error).message).toBe((timer as Error).message)
          const caused = yield* defectOf(GoContext.withTimeoutCause(GoContext.background, timeout as any, "late"))
          expect((caused as Error).message).toBe((timer as Error).message)
        }
      })
    )

    it.effect("a deadline that is no time says what it got and what is wanted", () =>
      Effect.gen(function* () {
        const want = "not a time; want epoch milliseconds (a number) or a valid Date"
        for (const [deadline, shown] of [
          ["x", '"x"'],
          [Number.NaN, "NaN"],
          [new Date("not a date"), "Invalid Date"],
          [5n, "5n"],
          [undefined, "undefined"]
        ] as const) {
          const e = yield* defectOf(GoContext.withDeadline(GoContext.background, deadline as any))
          expect(e).toBeInstanceOf(GoContext.InvalidDeadlineError)
          expect((e as Error).message).toBe(`invalid deadline ${shown}: ${want}`)
        }
      })
    )

    it.effect("a negative timeout is already exceeded (Go); an infinite one sets no deadline", () =>
      Effect.gen(function* () {
        const [negative] = yield* GoContext.withTimeout(GoContext.background, -5)
        yield* expectState(negative, "DeadlineExceededError")
        const [negativeInfinity] = yield* GoContext.withTimeout(GoContext.background, Number.NEGATIVE_INFINITY)
        yield* expectState(negativeInfinity, "DeadlineExceededError")
        const [zero] = yield* GoContext.withTimeout(GoContext.background, 0)
        yield* expectState(zero, "DeadlineExceededError")
        const [infinite, cancel] = yield* GoContext.withTimeout(GoContext.background, "Infinity")
        expect(GoContext.deadline(infinite)).toEqual(Option.none())
        yield* TestClock.adjust("100000 hours")
        yield* expectState(infinite, undefined)
        yield* cancel
        yield* expectState(infinite, "CanceledError")
      })
    )

    it.effect("pipeable forms", () =>
      Effect.gen(function* () {
        const k = GoContext.key<string>("k")
        const ctx = GoContext.background.pipe(GoContext.withValue(k, "v"))
        expect(ctx.pipe(GoContext.value(k))).toEqual(Option.some("v"))
        const [timed] = yield* ctx.pipe(GoContext.withTimeout("1 second"))
        const [dated] = yield* ctx.pipe(GoContext.withDeadline(500))
        const [caused] = yield* ctx.pipe(GoContext.withTimeoutCause("10 millis", "slow"))
        const [dcaused] = yield* ctx.pipe(GoContext.withDeadlineCause(20, "late"))
        yield* TestClock.adjust("1 second")
        for (const c of [timed, dated, caused, dcaused]) yield* expectState(c, "DeadlineExceededError")
        expect(yield* causeOf(caused)).toBe("slow")
        expect(yield* causeOf(dcaused)).toBe("late")
      })
    )
  })

  describe("values", () => {
    it.effect("nearest value wins, keys compare by identity (Go's TestValues)", () =>
      Effect.gen(function* () {
        const k1 = GoContext.key<string | undefined>("k1")
        const k2 = GoContext.key<string>("k2")
        const k3 = GoContext.key<string>("k3")
        const lookalike = GoContext.key<string>("k1")
        const check = (ctx: Ctx, v1: string | undefined, v2: string | undefined, v3: string | undefined) => {
          expect(Option.getOrUndefined(GoContext.value(ctx, k1))).toBe(v1)
          expect(Option.getOrUndefined(GoContext.value(ctx, k2))).toBe(v2)
          expect(Option.getOrUndefined(GoContext.value(ctx, k3))).toBe(v3)
          expect(GoContext.value(ctx, lookalike)).toEqual(Option.none())
        }
        check(GoContext.background, undefined, undefined, undefined)
        const c1 = GoContext.withValue(GoContext.background, k1, "c1k1")
        check(c1, "c1k1", undefined, undefined)
        expect(String(c1)).toBe("context.Background.WithValue(k1, c1k1)")
        const c2 = GoContext.withValue(c1, k2, "c2k2")
        check(c2, "c1k1", "c2k2", undefined)
        const c3 = GoContext.withValue(c2, k3, "c3k3")
        check(c3, "c1k1", "c2k2", "c3k3")
        // Shadowing with undefined (Go: WithValue(c3, k1, nil)) hides c1's value.
        const c4 = GoContext.withValue(c3, k1, undefined)
        check(c4, undefined, "c2k2", "c3k3")
        expect(GoContext.value(c4, k1)).toEqual(Option.some(undefined))
        // Through cancellable layers.
        const [o1] = yield* GoContext.withCancel(c3)
        const [o2] = yield* GoContext.withTimeout(o1, "1 hour")
        check(o2, "c1k1", "c2k2", "c3k3")
        const o3 = GoContext.withValue(o2, k3, "o3k3")
        check(o3, "c1k1", "c2k2", "o3k3")
      })
    )

    it.effect("withoutCancel keeps values, drops cancellation and deadline (Go's TestWithoutCancel)", () =>
      Effect.gen(function* () {
        const k = GoContext.key<string>("key")
        const [parent, cancel] = yield* GoContext.withTimeout(
          GoContext.withValue(GoContext.background, k, "value"),
          "1 second"
        )
        const ctx = GoContext.withoutCancel(parent)
        expect(String(ctx)).toMatch(/\.WithoutCancel$/)
        expect(GoContext.deadline(ctx)).toEqual(Option.none())
        expect(GoContext.done(ctx)).toBe(GoContext.done(GoContext.background)) // nil channel
        expect(GoContext.value(ctx, k)).toEqual(Option.some("value"))
        const [child] = yield* GoContext.withCancel(ctx)
        expect(yield* GoContext.childCount(parent)).toBe(0)
        yield* cancel
        yield* expectState(parent, "CanceledError")
        yield* expectState(ctx, undefined)
        yield* expectState(child, undefined)
        expect(yield* GoContext.cause(ctx)).toEqual(Option.none())
        // Even of an already-cancelled parent.
        yield* expectState(GoContext.withoutCancel(parent), undefined)
      })
    )
  })

  describe("cause (Go's TestCause)", () => {
    const causeErr = new Error("cause")
    const parentCause = new Error("parentCause")
    const childCause = new Error("childCause")
    type Row = {
      readonly name: string
      readonly ctx: Effect.Effect<Ctx, unknown, Scope.Scope>
      readonly err: "CanceledError" | "DeadlineExceededError" | undefined
      readonly cause: unknown // "err" means the error itself
    }
    const rows: ReadonlyArray<Row> = [
      { name: "Background", ctx: Effect.succeed(GoContext.background), err: undefined, cause: undefined },
      {
        name: "WithCancel",
        ctx: Effect.flatMap(GoContext.withCancel(GoContext.background), ([c, cancel]) => Effect.as(cancel, c)),
        err: "CanceledError",
        cause: "err"
      },
      {
        name: "WithCancelCause",
        ctx: Effect.flatMap(GoContext.withCancelCause(GoContext.background), ([c, cancel]) =>
          Effect.as(cancel(causeErr), c)
        ),
        err: "CanceledError",
        cause: causeErr
      },
      {
        name: "WithCancelCause nil",
        ctx: Effect.flatMap(GoContext.withCancelCause(GoContext.background), ([c, cancel]) => Effect.as(cancel(), c)),
        err: "CanceledError",
        cause: "err"
      },
      {
        name: "WithCancelCause: parent cause before child",
        ctx: Effect.gen(function* () {
          const [parent, cancelParent] = yield* GoContext.withCancelCause(GoContext.background)
          const [child, cancelChild] = yield* GoContext.withCancelCause(parent)
          yield* cancelParent(parentCause)
          yield* cancelChild(childCause)
          return child
        }),
        err: "CanceledError",
        cause: parentCause
      },
      {
        name: "WithCancelCause: parent cause after child",
        ctx: Effect.gen(function* () {
          const [parent, cancelParent] = yield* GoContext.withCancelCause(GoContext.background)
          const [child, cancelChild] = yield* GoContext.withCancelCause(parent)
          yield* cancelChild(childCause)
          yield* cancelParent(parentCause)
          return child
        }),
        err: "CanceledError",
        cause: childCause
      },
      {
        name: "WithCancelCause: parent cause before nil",
        ctx: Effect.gen(function* () {
          const [parent, cancelParent] = yield* GoContext.withCancelCause(GoContext.background)
          const [child, cancelChild] = yield* GoContext.withCancel(parent)
          yield* cancelParent(parentCause)
          yield* cancelChild
          return child
        }),
        err: "CanceledError",
        cause: parentCause
      },
      {
        name: "WithCancelCause: parent cancel before",
        ctx: Effect.gen(function* () {
          const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
          const [child, cancelChild] = yield* GoContext.withCancelCause(parent)
          yield* cancelParent
          yield* cancelChild(childCause)
          return child
        }),
        err: "CanceledError",
        cause: "err"
      },
      {
        name: "WithCancelCause: parent cancel after",
        ctx: Effect.gen(function* () {
          const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
          const [child, cancelChild] = yield* GoContext.withCancelCause(parent)
          yield* cancelChild(childCause)
          yield* cancelParent
          return child
        }),
        err: "CanceledError",
        cause: childCause
      },
      {
        name: "WithTimeout",
        ctx: Effect.map(GoContext.withTimeout(GoContext.background, 0), ([c]) => c),
        err: "DeadlineExceededError",
        cause: "err"
      },
      {
        name: "WithTimeout canceled",
        ctx: Effect.flatMap(GoContext.withTimeout(GoContext.background, "1000 hours"), ([c, cancel]) =>
          Effect.as(cancel, c)
        ),
        err: "CanceledError",
        cause: "err"
      },
      {
        name: "WithTimeoutCause",
        ctx: Effect.map(GoContext.withTimeoutCause(GoContext.background, 0, causeErr), ([c]) => c),
        err: "DeadlineExceededError",
        cause: causeErr
      },
      {
        name: "WithTimeoutCause canceled",
        ctx: Effect.flatMap(GoContext.withTimeoutCause(GoContext.background, "1000 hours", causeErr), ([c, cancel]) =>
          Effect.as(cancel, c)
        ),
        err: "CanceledError",
        cause: "err"
      },
      {
        name: "WithTimeoutCause stacked",
        ctx: Effect.gen(function* () {
          const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
          const [child] = yield* GoContext.withTimeoutCause(ctx, 0, causeErr)
          yield* cancel(parentCause)
          return child
        }),
        err: "DeadlineExceededError",
        cause: causeErr
      },
      {
        name: "WithoutCancel",
        ctx: Effect.succeed(GoContext.withoutCancel(GoContext.background)),
        err: undefined,
        cause: undefined
      },
      {
        name: "WithoutCancel canceled",
        ctx: Effect.flatMap(GoContext.withCancelCause(GoContext.background), ([c, cancel]) =>
          Effect.as(cancel(causeErr), GoContext.withoutCancel(c))
        ),
        err: undefined,
        cause: undefined
      },
      {
        name: "WithoutCancel timeout",
        ctx: Effect.map(GoContext.withTimeoutCause(GoContext.background, 0, causeErr), ([c]) =>
          GoContext.withoutCancel(c)
        ),
        err: undefined,
        cause: undefined
      }
    ]
    for (const row of rows) {
      it.effect(row.name, () =>
        Effect.gen(function* () {
          const ctx = yield* row.ctx
          expect(yield* errTag(ctx)).toBe(row.err)
          const got = yield* causeOf(ctx)
          if (row.cause === "err") expect(got).toBe(Option.getOrThrow(yield* GoContext.err(ctx)))
          else expect(got).toBe(row.cause)
        })
      )
    }
  })

  describe("afterFunc", () => {
    it.effect("runs after cancel, in its own fiber (Go's TestAfterFuncCalledAfterCancel)", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        const donec = yield* Chan.make<void>()
        const { stop } = yield* GoContext.afterFunc(ctx, Effect.orDie(Chan.close(donec)))
        yield* TestClock.adjust("1 hour")
        yield* settle
        expect(yield* Chan.isClosed(donec)).toBe(false)
        yield* cancel
        yield* settle
        expect(yield* Chan.isClosed(donec)).toBe(true)
        expect(yield* stop).toBe(false)
      })
    )

    it.effect("runs after the timeout (Go's TestAfterFuncCalledAfterTimeout)", () =>
      Effect.gen(function* () {
        const [ctx] = yield* GoContext.withTimeout(GoContext.background, "10 millis")
        let ran = 0
        yield* GoContext.afterFunc(
          ctx,
          Effect.sync(() => ran++)
        )
        yield* TestClock.adjust("9 millis")
        expect(ran).toBe(0)
        yield* TestClock.adjust("1 millis")
        yield* settle
        expect(ran).toBe(1)
      })
    )

    it.effect("runs at once on a done context; stop then says false (Go's TestAfterFuncCalledImmediately)", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        yield* cancel
        let ran = 0
        const { stop } = yield* GoContext.afterFunc(
          ctx,
          Effect.sync(() => ran++)
        )
        yield* settle
        expect(ran).toBe(1)
        expect(yield* stop).toBe(false)
        expect(yield* GoContext.childCount(ctx)).toBe(0)
      })
    )

    it.effect("is not called after stop; stop says true once (Go's TestAfterFuncNotCalledAfterStop)", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        let ran = 0
        const { stop } = yield* GoContext.afterFunc(
          ctx,
          Effect.sync(() => ran++)
        )
        expect(yield* stop).toBe(true)
        yield* cancel
        yield* settle
        expect(ran).toBe(0)
        expect(yield* stop).toBe(false)
      })
    )

    it.effect("cancel does not wait for the function (Go's TestAfterFuncCalledAsynchronously)", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        const c = yield* Chan.make<string>()
        // The function blocks until the canceller receives: a synchronous
        // call inside cancel would deadlock.
        yield* GoContext.afterFunc(ctx, Effect.orDie(Chan.send(c, "AfterFunc")))
        yield* cancel
        expect(yield* Chan.recv(c)).toEqual(Option.some("AfterFunc"))
      })
    )

    it.effect("stop after the function started says false and does not interrupt it", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        const gate = yield* Deferred.make<void>()
        let finished = false
        const { stop } = yield* GoContext.afterFunc(
          ctx,
          Effect.andThen(
            Deferred.await(gate),
            Effect.sync(() => {
              finished = true
            })
          )
        )
        yield* cancel
        expect(yield* stop).toBe(false)
        yield* Deferred.succeed(gate, undefined)
        yield* settle
        expect(finished).toBe(true)
      })
    )

    it.effect("on a context that is never done: never runs, stop says true once", () =>
      Effect.gen(function* () {
        let ran = 0
        const { stop } = yield* GoContext.afterFunc(
          GoContext.background,
          Effect.sync(() => ran++)
        )
        yield* TestClock.adjust("1000 hours")
        expect(ran).toBe(0)
        expect(yield* stop).toBe(true)
        expect(yield* stop).toBe(false)
      })
    )

    it.effect("closing the scope unregisters it: nothing runs on a later cancel", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        let ran = 0
        const { stop } = yield* Effect.scoped(
          GoContext.afterFunc(
            ctx,
            Effect.sync(() => ran++)
          )
        )
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* cancel
        yield* settle
        expect(ran).toBe(0)
        expect(yield* stop).toBe(false)
      })
    )

    it.effect("a running function is interrupted when its scope closes", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        let interrupted = false
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* GoContext.afterFunc(
              ctx,
              Effect.onInterrupt(Effect.never, () =>
                Effect.sync(() => {
                  interrupted = true
                })
              )
            )
            yield* cancel
            yield* settle
          })
        )
        expect(interrupted).toBe(true)
      })
    )
  })

  describe("done in a select, and interruption", () => {
    it.effect("done(ctx) is a select case: cancellation wins over a quiet channel", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        const work = yield* Chan.make<number>()
        const loop = yield* Effect.forkChild(
          Select.select(
            Select.recv(work, (v) => Effect.succeed(`work ${Option.getOrElse(v, () => -1)}`)),
            Select.recv(GoContext.done(ctx), () =>
              Effect.map(GoContext.err(ctx), (e) => `stopped: ${Option.getOrThrow(e)._tag}`)
            )
          )
        )
        yield* settle
        expect((yield* Chan.blocked(GoContext.done(ctx))).length).toBe(1)
        yield* cancel
        expect(yield* Fiber.join(loop)).toBe("stopped: CanceledError")
        expect((yield* Chan.blocked(work)).length).toBe(0)
      })
    )

    it.effect("a fiber waiting on done that is interrupted leaves no waiter behind", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        const other = yield* Chan.make<number>()
        const waiters = [
          yield* Effect.forkChild(Chan.recv(GoContext.done(ctx))),
          yield* Effect.forkChild(Select.select(Select.recv(GoContext.done(ctx)), Select.recv(other)))
        ]
        yield* settle
        expect((yield* Chan.blocked(GoContext.done(ctx))).length).toBe(2)
        yield* Fiber.interruptAll(waiters)
        expect((yield* Chan.blocked(GoContext.done(ctx))).length).toBe(0)
        expect((yield* Chan.blocked(other)).length).toBe(0)
        yield* expectState(ctx, undefined)
        yield* cancel
      })
    )
  })

  describe("run", () => {
    it.effect("passes the effect's result and its own errors through", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        expect(yield* GoContext.run(ctx, Effect.succeed(42))).toBe(42)
        const slow = yield* Effect.forkChild(GoContext.run(ctx, Effect.as(Effect.sleep("1 second"), "late")))
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(slow)).toBe("late")
        const e = yield* Effect.flip(GoContext.run(ctx, Effect.fail(new BoomError())))
        expect(e._tag).toBe("BoomError")
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* cancel
      })
    )

    it.effect("cancelling the context interrupts the effect and fails with the context error and its cause", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
        let finalized = false
        const running = yield* Effect.forkChild(
          GoContext.run(
            ctx,
            Effect.never.pipe(
              Effect.ensuring(
                Effect.sync(() => {
                  finalized = true
                })
              )
            )
          )
        )
        yield* settle
        expect(yield* GoContext.childCount(ctx)).toBe(1)
        yield* cancel("shutting down")
        const exit = yield* Fiber.await(running)
        expect(finalized).toBe(true)
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Option.getOrThrow(
          Cause.findErrorOption((exit as Exit.Failure<never, GoContext.ContextError>).cause)
        )
        expect(error._tag).toBe("CanceledError")
        expect(error.cause).toBe("shutting down")
      })
    )

    it.effect("a deadline fails it with DeadlineExceededError", () =>
      Effect.gen(function* () {
        const [ctx] = yield* GoContext.withTimeout(GoContext.background, "1 second")
        const running = yield* Effect.forkChild(
          GoContext.run(ctx, Effect.as(Effect.sleep("1 hour"), "finished")).pipe(
            Effect.catchTag("DeadlineExceededError", () => Effect.succeed("timed out"))
          )
        )
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(running)).toBe("timed out")
      })
    )

    it.effect("on a done context, fails at once without starting the effect", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        yield* cancel
        let started = false
        const e = yield* Effect.flip(
          GoContext.run(
            ctx,
            Effect.sync(() => (started = true))
          )
        )
        expect(e._tag).toBe("CanceledError")
        expect(started).toBe(false)
      })
    )

    it.effect("the effect cancelling its own context is interrupted by it", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        let after = false
        const e = yield* Effect.flip(
          GoContext.run(
            ctx,
            Effect.andThen(
              cancel,
              Effect.andThen(
                Effect.yieldNow,
                Effect.sync(() => {
                  after = true
                })
              )
            )
          )
        )
        expect(e._tag).toBe("CanceledError")
        expect(after).toBe(false)
      })
    )

    it.effect("interrupted from outside: the effect stops, the context is not cancelled, nothing stays linked", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        let finalized = false
        const running = yield* Effect.forkChild(
          GoContext.run(
            ctx,
            Effect.ensuring(
              Effect.never,
              Effect.sync(() => (finalized = true))
            )
          )
        )
        yield* settle
        expect(yield* GoContext.childCount(ctx)).toBe(1)
        yield* Fiber.interrupt(running)
        expect(finalized).toBe(true)
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* expectState(ctx, undefined)
        yield* cancel
      })
    )

    it.effect("many runs leave nothing linked to the context", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        for (let i = 0; i < 1000; i++) {
          yield* GoContext.run(ctx, i % 2 === 0 ? Effect.void : Effect.yieldNow)
        }
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* cancel
      })
    )

    it.effect("provides CurrentGoContext; pipeable form; nested runs", () =>
      Effect.gen(function* () {
        const k = GoContext.key<string>("request")
        const [outer, cancelOuter] = yield* GoContext.withCancel(GoContext.withValue(GoContext.background, k, "r1"))
        expect(yield* GoContext.CurrentGoContext).toBe(GoContext.background)
        const seen = yield* Effect.service(GoContext.CurrentGoContext).pipe(
          Effect.map((ctx) => GoContext.value(ctx, k)),
          GoContext.run(outer)
        )
        expect(seen).toEqual(Option.some("r1"))
        // An inner context of the outer one: cancelling the outer stops the inner run.
        const [inner] = yield* GoContext.withCancel(outer)
        const nested = yield* Effect.forkChild(GoContext.run(outer, GoContext.run(inner, Effect.never)))
        yield* settle
        yield* cancelOuter
        const e = yield* Effect.flip(Fiber.join(nested))
        expect(e._tag).toBe("CanceledError")
      })
    )
  })

  describe("runWithTimeout", () => {
    /** The context the fiber runs under. */
    const innermost = Effect.gen(function* () {
      return yield* GoContext.CurrentGoContext
    })

    it.effect("a call that ends in time: its value; its context is cancelled when it ends, nothing stays armed", () =>
      Effect.gen(function* () {
        const monitor = FiberMonitor.make()
        let inside: Ctx | undefined
        const value = yield* GoContext.runWithTimeout(
          Effect.andThen(
            Effect.map(innermost, (ctx) => {
              inside = ctx
            }),
            Effect.as(Effect.sleep("100 millis"), 42)
          ),
          "1 second"
        ).pipe(
          Effect.forkChild,
          Effect.tap(() => TestClock.adjust("100 millis")),
          Effect.flatMap(Fiber.join)
        )
        expect(value).toBe(42)
        expect(String(inside)).toBe("context.Background.WithDeadline(1970-01-01T00:00:01.000Z)")
        expect(GoContext.deadline(inside!)).toEqual(Option.some(1000))
        // Go's defer cancel(): the call's context ended with it.
        yield* expectState(inside!, "CanceledError")
        yield* Effect.andThen(GoContext.runWithTimeout(Effect.void, "1 hour"), Effect.void).pipe(
          FiberMonitor.track(monitor)
        )
        expect(FiberMonitor.live(monitor)).toBe(0)
      })
    )

    it.effect("past the deadline the call is interrupted and fails with DeadlineExceededError", () =>
      Effect.gen(function* () {
        let interrupted = false
        const call = yield* Effect.forkChild(
          Effect.never.pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                interrupted = true
              })
            ),
            GoContext.runWithTimeout("50 millis")
          )
        )
        yield* TestClock.adjust("49 millis")
        expect(call.pollUnsafe()).toBeUndefined()
        yield* TestClock.adjust("1 millis")
        const error = yield* Effect.flip(Fiber.join(call))
        expect(error._tag).toBe("DeadlineExceededError")
        expect(error.message).toBe("context deadline exceeded")
        expect(interrupted).toBe(true)
      })
    )

    it.effect("derives from the current context: its values, its cancellation, its earlier deadline", () =>
      Effect.gen(function* () {
        const user = GoContext.key<string>("user")
        const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
        const valued = GoContext.withValue(parent, user, "ann")
        const seen = yield* GoContext.run(
          valued,
          GoContext.runWithTimeout(
            Effect.map(innermost, (ctx) => GoContext.value(ctx, user)),
            "1 second"
          )
        )
        expect(seen).toEqual(Option.some("ann"))
        // Cancelling the parent fails the call with the parent's error.
        const call = yield* Effect.forkChild(GoContext.run(parent, GoContext.runWithTimeout(Effect.never, "1 hour")))
        yield* settle
        // The run's hook and the call's context.
        expect(yield* GoContext.childCount(parent)).toBe(2)
        yield* cancel
        expect((yield* Effect.flip(Fiber.join(call)))._tag).toBe("CanceledError")
        // A parent deadline that comes first is kept.
        const [early] = yield* GoContext.withTimeout(GoContext.background, "10 millis")
        const deadlines = yield* GoContext.run(
          early,
          GoContext.runWithTimeout(Effect.map(innermost, GoContext.deadline), "1 hour")
        )
        expect(deadlines).toEqual(Option.some(10))
        yield* TestClock.adjust("10 millis")
        expect((yield* Effect.flip(GoContext.run(early, GoContext.runWithTimeout(Effect.void, "1 hour"))))._tag).toBe(
          "DeadlineExceededError"
        )
      }).pipe(Effect.scoped)
    )

    it.effect("a zero or negative timeout fails at once without starting the call; an infinite one sets none", () =>
      Effect.gen(function* () {
        let started = 0
        const call = Effect.sync(() => {
          started++
          return "ran"
        })
        for (const timeout of [0, -5, "0 millis"] as const) {
          expect((yield* Effect.flip(GoContext.runWithTimeout(call, timeout)))._tag).toBe("DeadlineExceededError")
        }
        expect(started).toBe(0)
        expect(yield* GoContext.runWithTimeout(Effect.map(innermost, GoContext.deadline), "Infinity")).toEqual(
          Option.none()
        )
      })
    )

    it.effect("interrupted from outside: the call is interrupted, its context cancelled and unlinked", () =>
      Effect.gen(function* () {
        const [parent, cancel] = yield* GoContext.withCancel(GoContext.background)
        const call = yield* Effect.forkChild(GoContext.run(parent, GoContext.runWithTimeout(Effect.never, "1 hour")))
        yield* settle
        // The run's hook and the call's context.
        expect(yield* GoContext.childCount(parent)).toBe(2)
        yield* Fiber.interrupt(call)
        expect(yield* GoContext.childCount(parent)).toBe(0)
        yield* expectState(parent, undefined)
        yield* cancel
      })
    )

    it.effect("bad input is a defect at the call: a timeout that is no duration, an effect that is none", () =>
      Effect.gen(function* () {
        const badTimeout = yield* defectOf(GoContext.runWithTimeout(Effect.void, "soon" as any))
        expect((badTimeout as Error).message).toContain("soon")
        const notEffect = yield* defectOf(GoContext.runWithTimeout(42 as any, "1 second"))
        expect(notEffect).toBeInstanceOf(InvalidArgumentError)
        expect((notEffect as Error).message).toContain("GoContext.runWithTimeout")
      })
    )

    it.effect("types: the call's errors and the context's", () =>
      Effect.sync(() => {
        const call = Effect.fail(new BoomError()) as Effect.Effect<number, BoomError>
        expectTypeOf(GoContext.runWithTimeout(call, "1 second")).toEqualTypeOf<
          Effect.Effect<number, BoomError | GoContext.CanceledError | GoContext.DeadlineExceededError>
        >()
        expectTypeOf(call.pipe(GoContext.runWithTimeout(10))).toEqualTypeOf<
          Effect.Effect<number, BoomError | GoContext.CanceledError | GoContext.DeadlineExceededError>
        >()
      })
    )
  })

  describe("current and fromFiber", () => {
    it.effect("interrupting the fiber cancels its current context; the cause is the interruption", () =>
      Effect.gen(function* () {
        const ctxs = yield* Deferred.make<Ctx>()
        const fiber = yield* Effect.forkChild(
          Effect.scoped(
            Effect.andThen(
              Effect.flatMap(GoContext.current, (ctx) => Deferred.succeed(ctxs, ctx)),
              Effect.never
            )
          )
        )
        const ctx = yield* Deferred.await(ctxs)
        yield* expectState(ctx, undefined)
        yield* Fiber.interrupt(fiber)
        yield* expectState(ctx, "CanceledError")
        const cause = yield* causeOf(ctx)
        expect(Cause.isCause(cause) && Cause.hasInterruptsOnly(cause)).toBe(true)
      })
    )

    it.effect("closing the scope cancels it, with no cause on success", () =>
      Effect.gen(function* () {
        const ctx = yield* Effect.scoped(GoContext.current)
        yield* expectState(ctx, "CanceledError")
        expect(yield* causeOf(ctx)).toBe(Option.getOrThrow(yield* GoContext.err(ctx)))
      })
    )

    it.effect("fromFiber(other): cancelled when that fiber ends; born cancelled if it has", () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const worker = yield* Effect.forkChild(Effect.andThen(Deferred.await(gate), Effect.fail(new BoomError())))
        const ctx = yield* GoContext.fromFiber(worker)
        expect(String(ctx)).toBe(`context.Background.FromFiber(#${worker.id})`)
        yield* expectState(ctx, undefined)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.await(worker)
        yield* expectState(ctx, "CanceledError")
        const cause = yield* causeOf(ctx)
        expect(Cause.isCause(cause) && Cause.hasFails(cause)).toBe(true)
        const late = yield* GoContext.fromFiber(worker)
        yield* expectState(late, "CanceledError")
      })
    )

    it.effect("inside run: derives from the running context, keeps its values and is cancelled with it", () =>
      Effect.gen(function* () {
        const k = GoContext.key<number>("n")
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.withValue(GoContext.background, k, 7))
        const derived = yield* Deferred.make<Ctx>()
        const running = yield* Effect.forkChild(
          GoContext.run(
            ctx,
            Effect.scoped(
              Effect.andThen(
                Effect.flatMap(GoContext.current, (c) => Deferred.succeed(derived, c)),
                Effect.never
              )
            )
          )
        )
        const c = yield* Deferred.await(derived)
        expect(GoContext.value(c, k)).toEqual(Option.some(7))
        yield* expectState(c, undefined)
        yield* cancel
        yield* expectState(c, "CanceledError")
        expect((yield* Effect.flip(Fiber.join(running)))._tag).toBe("CanceledError")
      })
    )
  })

  describe("AbortSignal", () => {
    it.effect("toAbortSignal aborts on cancel with the context error (carrying the cause) as reason", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
        const signal = yield* GoContext.toAbortSignal(ctx)
        expect(yield* GoContext.toAbortSignal(ctx)).toBe(signal)
        const reasons: Array<unknown> = []
        signal.addEventListener("abort", () => reasons.push(signal.reason))
        expect(signal.aborted).toBe(false)
        yield* cancel("bye")
        expect(signal.aborted).toBe(true)
        expect(reasons.length).toBe(1)
        expect(reasons[0]).toBeInstanceOf(GoContext.CanceledError)
        expect((reasons[0] as GoContext.CanceledError).cause).toBe("bye")
        // Already done: an aborted signal.
        const [timedOut] = yield* GoContext.withTimeout(GoContext.background, 0)
        const late = yield* GoContext.toAbortSignal(timedOut)
        expect(late.aborted).toBe(true)
        expect(late.reason).toBeInstanceOf(GoContext.DeadlineExceededError)
        // Never done: a signal that never aborts.
        const never = yield* GoContext.toAbortSignal(GoContext.withoutCancel(ctx))
        expect(never.aborted).toBe(false)
      })
    )

    it.effect("fromAbortSignal follows a real AbortController", () =>
      Effect.gen(function* () {
        const controller = new AbortController()
        const ctx = yield* GoContext.fromAbortSignal(controller.signal)
        const waiter = yield* Effect.forkChild(Chan.recv(GoContext.done(ctx)))
        yield* settle
        yield* expectState(ctx, undefined)
        const reason = new Error("user left")
        controller.abort(reason)
        yield* Fiber.join(waiter)
        yield* expectState(ctx, "CanceledError")
        expect(yield* causeOf(ctx)).toBe(reason)
        // An already-aborted signal gives a cancelled context.
        const pre = yield* GoContext.fromAbortSignal(AbortSignal.abort("early"))
        yield* expectState(pre, "CanceledError")
        expect(yield* causeOf(pre)).toBe("early")
      })
    )

    it.effect("fromAbortSignal: a child of the given parent; closing the scope cancels it and drops the listener", () =>
      Effect.gen(function* () {
        const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
        const controller = new AbortController()
        const ctx = yield* Effect.scoped(
          Effect.tap(GoContext.fromAbortSignal(controller.signal, parent), () =>
            Effect.sync(() => expect(getEventListeners(controller.signal, "abort").length).toBe(1))
          )
        )
        expect(getEventListeners(controller.signal, "abort").length).toBe(0)
        yield* expectState(ctx, "CanceledError")
        expect(yield* GoContext.childCount(parent)).toBe(0)
        controller.abort("too late")
        expect(yield* causeOf(ctx)).not.toBe("too late")
        const ctx2 = yield* GoContext.fromAbortSignal(new AbortController().signal, parent)
        yield* cancelParent
        yield* expectState(ctx2, "CanceledError")
      })
    )

    it.live("cancelling a context aborts a real fetch to a local server", () =>
      Effect.gen(function* () {
        const requested = yield* Deferred.make<void>()
        const server = yield* Effect.acquireRelease(
          Effect.callback<http.Server>((resume) => {
            // The server never answers: only the abort can end the request.
            const s = http.createServer(() => Effect.runSync(Deferred.succeed(requested, undefined)))
            s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
          }),
          (s) =>
            Effect.callback<void>((resume) => {
              s.closeAllConnections()
              s.close(() => resume(Effect.void))
            })
        )
        const port = (server.address() as AddressInfo).port
        const [ctx, cancel] = yield* GoContext.withCancelCause(GoContext.background)
        const signal = yield* GoContext.toAbortSignal(ctx)
        const request = yield* Effect.forkChild(
          Effect.tryPromise({ try: () => fetch(`http://127.0.0.1:${port}/`, { signal }), catch: (e) => e })
        )
        yield* Deferred.await(requested)
        yield* cancel("client gave up")
        const e = yield* Effect.flip(Fiber.join(request))
        expect(e).toBeInstanceOf(GoContext.CanceledError)
        expect((e as GoContext.CanceledError).cause).toBe("client gave up")
      })
    )
  })

  describe("bad arguments", () => {
    const any = (u: unknown): any => u

    it.effect("anything but a context is a tagged defect inside the Effect, never a TypeError nor a throw", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        for (const [bad, tag, message] of [
          [undefined, "InvalidArgumentError", "expected a GoContext, got undefined"],
          [5, "InvalidArgumentError", "expected a GoContext, got the number 5"],
          [{ ...ctx }, "CopiedPrimitiveError", "GoContext is copied"]
        ] as const) {
          const built: Array<Effect.Effect<unknown, unknown, Scope.Scope>> = []
          expect(() => {
            built.push(
              GoContext.withCancel(any(bad)),
              GoContext.withCancelCause(any(bad)),
              GoContext.withTimeout(any(bad), "1 second"),
              GoContext.withTimeout("1 second")(any(bad)),
              GoContext.withDeadline(any(bad), 1000),
              GoContext.withTimeoutCause(any(bad), "1 second", "late"),
              GoContext.withDeadlineCause(any(bad), 1000, "late"),
              GoContext.err(any(bad)),
              GoContext.cause(any(bad)),
              GoContext.childCount(any(bad)),
              GoContext.toAbortSignal(any(bad)),
              GoContext.afterFunc(any(bad), Effect.void),
              GoContext.run(any(bad), Effect.void),
              GoContext.run(any(bad))(Effect.void)
            )
            // (An undefined parent is the background.)
            if (bad !== undefined) built.push(GoContext.fromAbortSignal(new AbortController().signal, any(bad)))
          }, message).not.toThrow()
          for (const effect of built) {
            const exit = yield* Effect.exit(Effect.scoped(effect))
            const defect = Exit.isFailure(exit) ? (Cause.squash(exit.cause) as Error & { _tag: string }) : undefined
            expect(defect?._tag, message).toBe(tag)
            expect(defect!.message.startsWith(message), defect!.message).toBe(true)
          }
        }
        // The parent kept nothing of the refused calls.
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* cancel
      }).pipe(Effect.scoped)
    )

    it.effect("the functions that return a plain value throw InvalidArgumentError, as Go panics on nil", () =>
      Effect.gen(function* () {
        const k = GoContext.key<number>("k")
        const throwsInvalid = (f: () => unknown, message: string) => {
          let thrown: unknown
          try {
            f()
          } catch (e) {
            thrown = e
          }
          expect(thrown, message).toBeInstanceOf(InvalidArgumentError)
          expect((thrown as Error).message).toBe(message)
        }
        throwsInvalid(() => GoContext.withValue(any(undefined), k, 1), "expected a GoContext, got undefined")
        throwsInvalid(() => GoContext.withValue(k, 1)(any(null)), "expected a GoContext, got null")
        throwsInvalid(
          () => GoContext.withValue(GoContext.background, any("k"), 1),
          'GoContext.withValue: expected a Key (made by GoContext.key), got the string "k"'
        )
        // Not a context without a parent (which would read as a root).
        throwsInvalid(() => GoContext.withoutCancel(any(undefined)), "expected a GoContext, got undefined")
        throwsInvalid(() => GoContext.done(any(undefined)), "expected a GoContext, got undefined")
        throwsInvalid(() => GoContext.deadline(any(undefined)), "expected a GoContext, got undefined")
        throwsInvalid(() => GoContext.value(any(undefined), k), "expected a GoContext, got undefined")
      })
    )

    it.effect("an effect, a fiber or a signal that is not one is a tagged defect", () =>
      Effect.gen(function* () {
        const [ctx, cancel] = yield* GoContext.withCancel(GoContext.background)
        for (const [effect, message] of [
          [GoContext.run(ctx, any(5)), "GoContext.run: expected an Effect, got the number 5"],
          [GoContext.run(GoContext.background, any(5)), "GoContext.run: expected an Effect, got the number 5"],
          [GoContext.afterFunc(ctx, any("f")), 'GoContext.afterFunc: expected an Effect, got the string "f"'],
          [GoContext.fromFiber(any(undefined)), "GoContext.fromFiber: expected a Fiber, got undefined"],
          [
            GoContext.fromAbortSignal(any({})),
            "GoContext.fromAbortSignal: expected an AbortSignal, got an empty object"
          ]
        ] as const) {
          const exit = yield* Effect.exit(Effect.scoped(effect as Effect.Effect<unknown, unknown, Scope.Scope>))
          expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause), message).toBe(true)
          expect(Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined).toMatchObject({
            _tag: "InvalidArgumentError",
            message
          })
        }
        expect(yield* GoContext.childCount(ctx)).toBe(0)
        yield* cancel
      }).pipe(Effect.scoped)
    )
  })

  describe("random layers (Go's TestLayersCancel / TestLayersTimeout)", () => {
    const Layer = Schema.Struct({
      kind: Schema.Literals(["value", "cancel", "timeout"]),
      timeout: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))
    })
    it.effect.prop(
      "values, deadlines and errors of every layer follow from its ancestors",
      [
        Schema.Array(Layer).check(Schema.isMinLength(1)),
        Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 150 })),
        Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 }))
      ],
      ([layers, advance, pick]) =>
        Effect.gen(function* () {
          const keys = layers.map((_, i) => GoContext.key<number>(`k${i}`))
          const ctxs: Array<Ctx> = []
          const cancels: Array<{ layer: number; cancel: GoContext.CancelFunc }> = []
          let ctx: Ctx = GoContext.background
          for (let i = 0; i < layers.length; i++) {
            const layer = layers[i]!
            if (layer.kind === "value") ctx = GoContext.withValue(ctx, keys[i]!, i)
            else if (layer.kind === "cancel") {
              const [c, cancel] = yield* GoContext.withCancel(ctx)
              ctx = c
              cancels.push({ layer: i, cancel })
            } else {
              const [c, cancel] = yield* GoContext.withTimeout(ctx, layer.timeout)
              ctx = c
              cancels.push({ layer: i, cancel })
            }
            ctxs.push(ctx)
          }
          const deadlineOf = (i: number) => {
            let d: number | undefined
            for (let j = 0; j <= i; j++) {
              const l = layers[j]!
              if (l.kind === "timeout" && (d === undefined || l.timeout < d)) d = l.timeout
            }
            return d
          }
          for (let i = 0; i < ctxs.length; i++) {
            const d = deadlineOf(i)
            expect(GoContext.deadline(ctxs[i]!)).toEqual(d === undefined ? Option.none() : Option.some(d))
            for (let j = 0; j < layers.length; j++) {
              const expected = layers[j]!.kind === "value" && j <= i ? Option.some(j) : Option.none()
              expect(GoContext.value(ctxs[i]!, keys[j]!)).toEqual(expected)
            }
            yield* expectState(ctxs[i]!, undefined)
          }
          yield* TestClock.adjust(advance)
          const cancelled = cancels.length > 0 ? cancels[pick % cancels.length]!.layer : layers.length
          yield* cancels.length > 0 ? cancels[pick % cancels.length]!.cancel : Effect.void
          for (let i = 0; i < ctxs.length; i++) {
            const d = deadlineOf(i)
            // The first layer at or above i whose own cancellation happened.
            const expired = d !== undefined && d <= advance
            yield* expectState(
              ctxs[i]!,
              expired ? "DeadlineExceededError" : i >= cancelled ? "CanceledError" : undefined
            )
          }
        })
    )
  })

  describe("a cancelled context keeps nothing registered", () => {
    type Made = {
      /** The context, made in the open scope; `cancel` cancels it one way or another. */
      readonly ctx: Ctx
      readonly cancel: Effect.Effect<void>
      /** Registrations outside the scope and the tree (abort listeners). */
      readonly outside?: () => number
    }
    /** A scope of the test's own, closed with the test (also when an assertion fails). */
    const openScope = Effect.acquireRelease(Scope.make(), (scope) => Scope.close(scope, Exit.void))
    /** A fiber that runs until interrupted, whose current context is `parent`. */
    const forkUnder = (parent: Ctx) =>
      Effect.provideService(Effect.forkChild(Effect.never), GoContext.CurrentGoContext, parent)
    const rows: ReadonlyArray<{
      readonly name: string
      readonly make: (parent: Ctx, cancelParent: Effect.Effect<void>) => Effect.Effect<Made, unknown, Scope.Scope>
    }> = [
      {
        name: "withTimeout, by its cancel",
        make: (parent) => Effect.map(GoContext.withTimeout(parent, "1 hour"), ([ctx, cancel]) => ({ ctx, cancel }))
      },
      {
        name: "withTimeout, by its deadline",
        make: (parent) =>
          Effect.map(GoContext.withTimeout(parent, "1 second"), ([ctx]) => ({
            ctx,
            cancel: TestClock.adjust("1 second")
          }))
      },
      {
        name: "withTimeoutCause, by its parent",
        make: (parent, cancelParent) =>
          Effect.map(GoContext.withTimeoutCause(parent, "1 hour", "slow"), ([ctx]) => ({ ctx, cancel: cancelParent }))
      },
      {
        name: "withDeadline, by its cancel",
        make: (parent) =>
          Effect.map(GoContext.withDeadline(parent, new Date(8.64e15)), ([ctx, cancel]) => ({ ctx, cancel }))
      },
      {
        name: "withDeadlineCause, by its deadline",
        make: (parent) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(GoContext.withDeadlineCause(parent, now + 1000, "late"), ([ctx]) => ({
              ctx,
              cancel: TestClock.adjust("1 second")
            }))
          )
      },
      {
        name: "withTimeout with no deadline of its own (infinite), by its parent",
        make: (parent, cancelParent) =>
          Effect.map(GoContext.withTimeout(parent, Number.POSITIVE_INFINITY), ([ctx]) => ({
            ctx,
            cancel: cancelParent
          }))
      },
      {
        name: "fromAbortSignal, by the signal",
        make: (parent) => {
          const controller = new AbortController()
          return Effect.map(GoContext.fromAbortSignal(controller.signal, parent), (ctx) => ({
            ctx,
            cancel: Effect.sync(() => controller.abort("gone")),
            outside: () => getEventListeners(controller.signal, "abort").length
          }))
        }
      },
      {
        name: "fromAbortSignal, by its parent",
        make: (parent, cancelParent) => {
          const controller = new AbortController()
          return Effect.map(GoContext.fromAbortSignal(controller.signal, parent), (ctx) => ({
            ctx,
            cancel: cancelParent,
            outside: () => getEventListeners(controller.signal, "abort").length
          }))
        }
      },
      {
        name: "fromFiber, by the fiber's end",
        make: (parent) =>
          Effect.flatMap(forkUnder(parent), (fiber) =>
            Effect.map(GoContext.fromFiber(fiber), (ctx) => ({
              ctx,
              cancel: Fiber.interrupt(fiber)
            }))
          )
      },
      {
        name: "fromFiber, by its parent",
        make: (parent, cancelParent) =>
          Effect.flatMap(forkUnder(parent), (fiber) => {
            const observed = countingObservers(fiber)
            return Effect.map(GoContext.fromFiber(observed.fiber), (ctx) => ({
              ctx,
              // The fiber lives on: its observer must go with the context.
              cancel: cancelParent,
              outside: observed.live
            }))
          })
      }
    ]
    for (const row of rows) {
      it.effect(`${row.name}: nothing in the open scope, the parent or the signal`, () =>
        Effect.gen(function* () {
          // The scope stays open across the cancellation, as a long-lived
          // server scope does (Go: `defer cancel()` in a long function).
          const scope = yield* openScope
          for (let i = 0; i < 3; i++) {
            const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
            const made = yield* Scope.provide(row.make(parent, cancelParent), scope)
            expect(finalizerCount(scope)).toBeGreaterThan(0)
            expect(made.outside?.() ?? 1).toBe(1)
            yield* made.cancel
            expect(yield* errTag(made.ctx)).toBeDefined()
            expect(finalizerCount(scope)).toBe(0)
            expect(made.outside?.() ?? 0).toBe(0)
            expect(yield* GoContext.childCount(parent)).toBe(0)
          }
        })
      )
    }

    it.effect("a context born done (past deadline, done parent, closed scope) registers nothing", () =>
      Effect.gen(function* () {
        const scope = yield* openScope
        const [done, cancelDone] = yield* GoContext.withCancel(GoContext.background)
        yield* cancelDone
        const [past] = yield* Scope.provide(GoContext.withTimeout(GoContext.background, -1), scope)
        yield* expectState(past, "DeadlineExceededError")
        const [orphan] = yield* Scope.provide(GoContext.withTimeout(done, "1 hour"), scope)
        yield* expectState(orphan, "CanceledError")
        const controller = new AbortController()
        yield* Scope.provide(GoContext.fromAbortSignal(controller.signal, done), scope)
        expect(getEventListeners(controller.signal, "abort").length).toBe(0)
        const aborted = yield* Scope.provide(GoContext.fromAbortSignal(AbortSignal.abort("early")), scope)
        yield* expectState(aborted, "CanceledError")
        expect(finalizerCount(scope)).toBe(0)
        // A closed scope cancels at once (it can run no later finalizer).
        yield* Scope.close(scope, Exit.void)
        const [late] = yield* Scope.provide(GoContext.withTimeout(GoContext.background, "1 hour"), scope)
        yield* expectState(late, "CanceledError")
      })
    )

    it.effect("cancelled children leave the scope as it was; cancelling a parent releases its whole live subtree", () =>
      Effect.gen(function* () {
        const scope = yield* openScope
        const [parent, cancelParent] = yield* Scope.provide(
          GoContext.withTimeout(GoContext.background, "1 hour"),
          scope
        )
        const parentOnly = finalizerCount(scope)
        for (let i = 0; i < 100; i++) {
          const [, cancel] = yield* Scope.provide(GoContext.withTimeout(parent, "1 minute"), scope)
          yield* cancel
        }
        expect(finalizerCount(scope)).toBe(parentOnly)
        expect(yield* GoContext.childCount(parent)).toBe(0)
        for (let i = 0; i < 10; i++) yield* Scope.provide(GoContext.withTimeout(parent, `${i + 1} minutes`), scope)
        expect(finalizerCount(scope)).toBeGreaterThan(parentOnly)
        yield* cancelParent
        expect(finalizerCount(scope)).toBe(0)
      })
    )
  })

  describe("types", () => {
    it.effect("the context's error type is tracked through run", () =>
      Effect.gen(function* () {
        const [cancelCtx] = yield* GoContext.withCancel(GoContext.background)
        const [timeoutCtx] = yield* GoContext.withTimeout(GoContext.background, "1 second")
        const boom: Effect.Effect<number, BoomError> = Effect.succeed(1)
        expectTypeOf(GoContext.run(GoContext.background, boom)).toEqualTypeOf<Effect.Effect<number, BoomError>>()
        expectTypeOf(GoContext.run(cancelCtx, boom)).toEqualTypeOf<
          Effect.Effect<number, BoomError | GoContext.CanceledError>
        >()
        expectTypeOf(GoContext.run(timeoutCtx, boom)).toEqualTypeOf<
          Effect.Effect<number, BoomError | GoContext.CanceledError | GoContext.DeadlineExceededError>
        >()
        expectTypeOf(GoContext.withoutCancel(timeoutCtx)).toEqualTypeOf<GoContext.GoContext<never>>()
        expectTypeOf(GoContext.err(cancelCtx)).toEqualTypeOf<Effect.Effect<Option.Option<GoContext.CanceledError>>>()
        // A context that can never be cancelled is usable wherever one that can is expected.
        expectTypeOf(GoContext.background).toExtend<GoContext.GoContext>()
        expectTypeOf(GoContext.withoutCancel(timeoutCtx)).toExtend<GoContext.GoContext>()
      })
    )

    it.effect(
      "constructors: bad input is a defect, so the error channel is empty; only run adds the context's errors",
      () =>
        Effect.gen(function* () {
          type Derived<E extends GoContext.ContextError> = Effect.Effect<
            readonly [GoContext.GoContext<E>, GoContext.CancelFunc],
            never,
            Scope.Scope
          >
          const bg = GoContext.background
          const [cancelCtx] = yield* GoContext.withCancel(bg)
          expectTypeOf(GoContext.withCancel(bg)).toEqualTypeOf<
            Effect.Effect<readonly [GoContext.GoContext<GoContext.CanceledError>, GoContext.CancelFunc]>
          >()
          expectTypeOf(GoContext.withCancelCause(cancelCtx)).toEqualTypeOf<
            Effect.Effect<readonly [GoContext.GoContext<GoContext.CanceledError>, GoContext.CancelCauseFunc]>
          >()
          expectTypeOf(GoContext.withTimeout(bg, "300 millis")).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.withTimeout("300 millis")(cancelCtx)).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(bg.pipe(GoContext.withTimeout(300))).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.withTimeoutCause(bg, "300 millis", "late")).toEqualTypeOf<
            Derived<GoContext.ContextError>
          >()
          expectTypeOf(GoContext.withTimeoutCause("300 millis", "late")(bg)).toEqualTypeOf<
            Derived<GoContext.ContextError>
          >()
          expectTypeOf(GoContext.withDeadline(bg, 1000)).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.withDeadline(new Date(1000))(bg)).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.withDeadlineCause(bg, 1000, "late")).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.withDeadlineCause(1000, "late")(bg)).toEqualTypeOf<Derived<GoContext.ContextError>>()
          expectTypeOf(GoContext.fromAbortSignal(new AbortController().signal)).toEqualTypeOf<
            Effect.Effect<GoContext.GoContext<GoContext.CanceledError>, never, Scope.Scope>
          >()
          expectTypeOf(GoContext.fromFiber).returns.toEqualTypeOf<
            Effect.Effect<GoContext.GoContext, never, Scope.Scope>
          >()
          expectTypeOf(GoContext.current).toEqualTypeOf<Effect.Effect<GoContext.GoContext, never, Scope.Scope>>()
          expectTypeOf(GoContext.afterFunc(cancelCtx, Effect.void)).toEqualTypeOf<
            Effect.Effect<GoContext.AfterFunc, never, Scope.Scope>
          >()
          expectTypeOf(cancelCtx.pipe(GoContext.afterFunc(Effect.void))).toEqualTypeOf<
            Effect.Effect<GoContext.AfterFunc, never, Scope.Scope>
          >()
          const query: Effect.Effect<string, BoomError> = Effect.succeed("row")
          expectTypeOf(GoContext.run(cancelCtx, query)).toEqualTypeOf<
            Effect.Effect<string, BoomError | GoContext.CanceledError>
          >()
          expectTypeOf(query.pipe(GoContext.run(cancelCtx))).toEqualTypeOf<
            Effect.Effect<string, BoomError | GoContext.CanceledError>
          >()
          // A program that makes a timeout context and runs under it can fail
          // only with what it can handle: its own error and the context's.
          const program = Effect.flatMap(GoContext.withTimeout(bg, "300 millis"), ([ctx]) => GoContext.run(ctx, query))
          expectTypeOf(program).toEqualTypeOf<
            Effect.Effect<string, BoomError | GoContext.CanceledError | GoContext.DeadlineExceededError, Scope.Scope>
          >()
        })
    )

    it.effect("typed keys and a receive-only done channel", () =>
      Effect.gen(function* () {
        const n = GoContext.key<number>("n")
        const ctx = GoContext.withValue(GoContext.background, n, 1)
        expectTypeOf(GoContext.value(ctx, n)).toEqualTypeOf<Option.Option<number>>()
        // @ts-expect-error a number key does not take a string
        GoContext.withValue(GoContext.background, n, "one")
        // Keys are invariant.
        expectTypeOf<GoContext.Key<number | string>>().not.toExtend<GoContext.Key<number>>()
        expectTypeOf<GoContext.Key<number>>().not.toExtend<GoContext.Key<number | string>>()
        // Built, not run (closing a nil channel is a defect).
        // @ts-expect-error done(ctx) is receive-only
        Chan.close(GoContext.done(ctx))
        yield* Effect.void
      })
    )
  })
})

/**
 * Effect's run loop may yield before evaluating any effect once a fiber's op
 * budget (`MaxOpsBeforeYield`) is spent, so a context constructor's steps can
 * be separated by other fibers' work (a parent cancelled before the deadline
 * timer is registered) or by an interruption (after the new context was
 * linked under its parent, before its cancel was added to the scope). Every
 * budget from 3 to 40 (1 and 2 livelock Effect itself) puts that yield at
 * every point of the constructors; a hang becomes a failure through the
 * timeout.
 */
describe("GoContext under any op budget", () => {
  it.live("a deadline context whose parent is cancelled while it is made keeps no timer running", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const monitor = FiberMonitor.make()
        yield* Effect.gen(function* () {
          for (let round = 0; round < 20; round++) {
            const [parent, cancelParent] = yield* GoContext.withCancel(GoContext.background)
            const canceller = yield* Effect.forkChild(Effect.andThen(loop(round % 4, Effect.yieldNow), cancelParent))
            const [child] = yield* GoContext.withTimeout(parent, "1 hour")
            yield* Fiber.join(canceller)
            expect(Option.isSome(yield* GoContext.err(child))).toBe(true)
          }
        }).pipe(Effect.orDie, FiberMonitor.track(monitor))
        // Every context is cancelled: no deadline timer is left sleeping.
        expect(FiberMonitor.live(monitor)).toBe(0)
      })
    )
  )

  it.live("a constructor interrupted half-way leaves nothing linked under the parent", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const [parent] = yield* GoContext.withCancel(GoContext.background)
        const makers: Array<Effect.Effect<unknown, unknown, Scope.Scope>> = [
          GoContext.withTimeout(parent, "1 hour"),
          GoContext.withDeadline(parent, new Date(8.64e15)),
          Effect.asVoid(GoContext.afterFunc(parent, Effect.void)),
          Effect.asVoid(GoContext.fromAbortSignal(new AbortController().signal, parent)),
          Effect.asVoid(GoContext.run(parent, GoContext.current)),
          GoContext.run(parent, GoContext.runWithTimeout(Effect.never, "1 hour"))
        ]
        for (let round = 0; round < 40; round++) {
          const make = makers[round % makers.length]!
          const fiber = yield* Effect.forkChild(Effect.scoped(Effect.andThen(Effect.orDie(make), Effect.never)))
          yield* loop(round % 6, Effect.yieldNow)
          yield* Fiber.interrupt(fiber)
        }
        expect(yield* GoContext.childCount(parent)).toBe(0)
      })
    )
  )
})

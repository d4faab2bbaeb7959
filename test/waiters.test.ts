import { describe, expect, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as TestClock from "effect/testing/TestClock"
import * as Chan from "../src/Chan.ts"
import {
  cancel,
  handsOver,
  park,
  register,
  Waiter,
  WaiterList,
  waitFor,
  wake,
  wakeLater
} from "../src/internal/waiters.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

const parked = <A>(ch: Chan.Chan<A>) => Effect.map(Chan.blocked(ch), (bs) => bs.map((b) => b.since))

describe("waiters: the time a fiber parked (since)", () => {
  it.effect("is the provided Clock's time, exactly (TestClock)", () =>
    Effect.gen(function* () {
      const ch = yield* Chan.make<number>()
      yield* TestClock.adjust("3 seconds")
      const a = yield* Effect.forkChild(Chan.recv(ch))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const b = yield* Effect.forkChild(Chan.recv(ch))
      yield* settle
      expect(yield* parked(ch)).toEqual([3000, 5000])
      yield* Fiber.interrupt(a)
      yield* Fiber.interrupt(b)
    })
  )

  it.live("under the live clock, is read once per synchronous run and refreshed by the next one", () =>
    // No op-budget yield may split the first "synchronous run" in two.
    Effect.provideService(
      Effect.gen(function* () {
        let now = 1_000
        const spy = vi.spyOn(Date, "now").mockImplementation(() => now)
        const ch = yield* Chan.make<number>()
        const a = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        // Same synchronous run: the wall clock is not read again.
        now = 2_000
        const b = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        // A later run (after a macrotask, hence after the expiring microtask).
        yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
        now = 3_000
        const c = yield* Effect.forkChild(Chan.recv(ch), { startImmediately: true })
        const since = yield* parked(ch)
        spy.mockRestore()
        expect(since).toEqual([1_000, 1_000, 3_000])
        yield* Fiber.interrupt(a)
        yield* Fiber.interrupt(b)
        yield* Fiber.interrupt(c)
      }),
      Scheduler.PreventSchedulerYield,
      true
    )
  )
})

// -----------------------------------------------------------------------------
// The park protocol, on a toy primitive: one token, handed over FIFO.
// -----------------------------------------------------------------------------

/** One token: `take` waits for it, `give` hands it to the longest waiter or frees it. */
class Token {
  free = true
  readonly waiters = new WaiterList<Waiter>("Token", undefined)
  /** How many times a waiter that left gave back a token it had been granted. */
  givenBack = 0
  /** `give` hands the token over now (wake) or resumes the waiter later (wakeLater). */
  readonly later: boolean
  constructor(later: boolean) {
    this.later = later
  }
}

const attempt = (t: Token) => (): Exit.Exit<void> | undefined => {
  if (!t.free) return undefined
  t.free = false
  return Exit.void
}

const onCancel = (t: Token) => (_: Waiter, granted: Exit.Exit<void> | undefined) => {
  if (granted === undefined) return
  t.givenBack++
  giveNow(t)
}

const giveNow = (t: Token): void => {
  for (let next = t.waiters.shift(); next !== undefined; next = t.waiters.shift()) {
    if (t.later) {
      wakeLater(next, Exit.void, Fiber.getCurrent()!)
      return
    }
    if (wake(next, Exit.void)) return
  }
  t.free = true
}

const take = (t: Token): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    if (handsOver(fiber) && attempt(t)() !== undefined) return Exit.void
    return park(new Waiter(), fiber, attempt(t), t.waiters, onCancel(t))
  })

const give = (t: Token): Effect.Effect<void> => Effect.sync(() => giveNow(t))

describe("waiters: the park protocol", () => {
  for (const later of [false, true]) {
    it.live(
      `a grant and an interruption meeting: the token is given back exactly once, under every op budget (${later ? "wakeLater" : "wake"})`,
      () =>
        underEveryBudget(() =>
          Effect.gen(function* () {
            for (let shift = 0; shift < 12; shift++) {
              const giveFirst = shift % 2 === 0
              const t = new Token(later)
              yield* take(t)
              let held = 0
              const taker = yield* Effect.forkChild(
                Effect.andThen(
                  loop(shift, Effect.void),
                  Effect.uninterruptibleMask((restore) =>
                    restore(take(t)).pipe(Effect.andThen(Effect.sync(() => held++)))
                  )
                )
              )
              yield* loop(shift % 3, Effect.yieldNow)
              // One step: hand the parked taker the token and interrupt it,
              // in either order.
              yield* Effect.sync(() => {
                if (giveFirst) giveNow(t)
                taker.interruptUnsafe()
                if (!giveFirst) giveNow(t)
              })
              yield* Fiber.await(taker)
              if (held === 1) yield* give(t)
              // The token exists once: either the taker got it and gave it
              // up, or it went back (once) and is free now.
              expect(t.free, `shift ${shift}`).toBe(true)
              expect(t.givenBack).toBeLessThanOrEqual(1)
              expect(held + t.givenBack).toBeLessThanOrEqual(1)
              expect(t.waiters.size).toBe(0)
            }
          })
        )
    )
  }

  it.live("a contended token is never held twice and never lost, with random interruptions (every op budget)", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const t = new Token(true)
        let inside = 0
        let worst = 0
        const worker = loop(
          20,
          Effect.uninterruptibleMask((restore) =>
            restore(take(t)).pipe(
              Effect.andThen(
                Effect.sync(() => {
                  inside++
                  worst = Math.max(worst, inside)
                }).pipe(
                  Effect.andThen(restore(Effect.yieldNow)),
                  Effect.ensuring(
                    Effect.andThen(
                      Effect.sync(() => inside--),
                      give(t)
                    )
                  )
                )
              )
            )
          )
        )
        const fibers = yield* Effect.forEach(Array.from({ length: 6 }), () => Effect.forkChild(worker))
        for (let i = 0; i < 4; i++) {
          yield* loop(i * 3, Effect.yieldNow)
          yield* Fiber.interrupt(fibers[i]!)
        }
        yield* Fiber.joinAll(fibers.slice(4))
        expect(worst).toBe(1)
        expect(t.free).toBe(true)
        expect(t.waiters.size).toBe(0)
      })
    )
  )

  it.effect(
    "a node registered before it parks takes a grant it got in between; one that leaves first gives it back",
    () =>
      Effect.gen(function* () {
        // Granted between register and park: the park returns at once.
        const t = new Token(false)
        t.free = false
        const node = new Waiter()
        const fiber = yield* Effect.withFiber((f) => Effect.succeed(f))
        register(t.waiters, node, fiber)
        giveNow(t) // t.waiters had our node: the grant is recorded on it
        expect(node.grant).toBeDefined()
        expect(t.waiters.size).toBe(0)
        yield* waitFor(node, fiber, onCancel(t))
        expect(t.free).toBe(false) // we hold it
        // Registered, granted, then withdrawn without parking: given back once.
        const other = new Waiter()
        register(t.waiters, other, fiber)
        giveNow(t)
        cancel(other, onCancel(t))
        cancel(other, onCancel(t))
        expect(t.givenBack).toBe(1)
        expect(t.free).toBe(true)
        // A waker skips a node whose fiber left.
        const gone = new Waiter()
        register(t.waiters, gone, fiber)
        cancel(gone, onCancel(t))
        expect(wake(gone, Exit.void)).toBe(false)
      })
  )

  it.effect("removal is O(1) from anywhere in the list: neighbours relink, order and size stay right", () =>
    Effect.sync(() => {
      const list = new WaiterList<Waiter>("Token", undefined)
      const nodes = Array.from({ length: 1000 }, (_, i) => {
        const node = new Waiter()
        node.op = String(i)
        list.push(node)
        return node
      })
      // Remove every third node, from the middle outwards.
      const removed = new Set<number>()
      for (let i = 500, j = 501; i >= 0 || j < 1000; i -= 3, j += 3) {
        if (i >= 0 && list.remove(nodes[i]!)) removed.add(i)
        if (j < 1000 && list.remove(nodes[j]!)) removed.add(j)
      }
      expect(list.remove(nodes[500]!)).toBe(false) // already out: nothing changes
      const order: Array<number> = []
      for (let n = list.head; n !== undefined; n = n.next as Waiter | undefined) order.push(Number(n.op))
      expect(order).toEqual(nodes.map((_, i) => i).filter((i) => !removed.has(i)))
      expect(list.size).toBe(order.length)
      expect(Number(list.tail!.op)).toBe(order.at(-1))
    })
  )
})

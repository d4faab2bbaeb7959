import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import * as RWMutex from "../src/RWMutex.ts"
import { settle } from "./utils/fibers.ts"
import { defectOf } from "./utils/exits.ts"
import { loop, underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

/** Writer flag, reader count and the ops of the blocked fibers, in arrival order. */
const state = (rw: RWMutex.RWMutex) =>
  Effect.all({
    writer: RWMutex.isLocked(rw),
    readers: RWMutex.readerCount(rw),
    blocked: Effect.map(RWMutex.blocked(rw), (bs) => bs.map((b) => b.op))
  })

/** Forks a fiber that holds the lock (for reading or writing) until `gate` opens. */
const hold = (rw: RWMutex.RWMutex, kind: "r" | "w", gate: Latch.Latch, log?: Array<string>, id?: string) =>
  Effect.forkChild(
    (kind === "r" ? RWMutex.withRLock(rw) : RWMutex.withLock(rw))(
      Effect.andThen(
        Effect.sync(() => log?.push(id ?? kind)),
        gate.await
      )
    )
  )

describe("RWMutex", () => {
  // Go: TestParallelReaders / doTestParallelReaders(numReaders, gomaxprocs).
  for (const n of [1, 3, 4, 10]) {
    it.effect(`${n} readers hold the lock at the same time (Go's TestParallelReaders)`, () =>
      Effect.gen(function* () {
        const rw = yield* RWMutex.make()
        const unlock = yield* Latch.make()
        let locked = 0
        const fibers = yield* Effect.forEach(Array.from({ length: n }), () =>
          Effect.forkChild(
            Effect.gen(function* () {
              yield* RWMutex.rLock(rw)
              locked++
              yield* unlock.await
              yield* RWMutex.rUnlock(rw)
            })
          )
        )
        yield* settle
        // Every reader got in while the others still hold it: none waits.
        expect(locked).toBe(n)
        expect(yield* state(rw)).toEqual({ writer: false, readers: n, blocked: [] })
        yield* unlock.open
        yield* Fiber.joinAll(fibers)
        expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
      })
    )
  }

  // Go: TestRWMutex's TryLock / TryRLock cases.
  it.effect("tryLock and tryRLock (Go's TestRWMutex)", () =>
    Effect.gen(function* () {
      const m = yield* RWMutex.make()
      yield* RWMutex.lock(m)
      expect(yield* RWMutex.tryLock(m)).toBe(false) // TryLock succeeded with mutex locked
      expect(yield* RWMutex.tryRLock(m)).toBe(false) // TryRLock succeeded with mutex locked
      yield* RWMutex.unlock(m)
      expect(yield* RWMutex.tryLock(m)).toBe(true) // TryLock failed with mutex unlocked
      yield* RWMutex.unlock(m)
      expect(yield* RWMutex.tryRLock(m)).toBe(true) // TryRLock failed with mutex unlocked
      expect(yield* RWMutex.tryRLock(m)).toBe(true) // TryRLock failed with mutex rlocked
      expect(yield* RWMutex.tryLock(m)).toBe(false) // TryLock succeeded with mutex rlocked
      yield* RWMutex.rUnlock(m)
      yield* RWMutex.rUnlock(m)
      expect(yield* state(m)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  // Go: HammerRWMutex(gomaxprocs, numReaders, numIterations). Readers add 1
  // to `activity`, writers 10000: a reader must see 1..9999, a writer 10000.
  for (const numReaders of [1, 3, 10, 5]) {
    it.effect(
      `excludes writers from readers and each other: ${numReaders} readers, 2 writers (Go's HammerRWMutex)`,
      () =>
        Effect.gen(function* () {
          const rw = yield* RWMutex.make()
          const iterations = 200
          let activity = 0
          const violations: Array<string> = []
          const reader = Effect.repeat(
            RWMutex.withRLock(rw)(
              Effect.gen(function* () {
                const n = (activity += 1)
                if (n < 1 || n >= 10000) violations.push(`rlock(${n})`)
                yield* Effect.yieldNow
                activity -= 1
              })
            ),
            { times: iterations - 1 }
          )
          const writer = Effect.repeat(
            RWMutex.withLock(rw)(
              Effect.gen(function* () {
                const n = (activity += 10000)
                if (n !== 10000) violations.push(`wlock(${n})`)
                yield* Effect.yieldNow
                activity -= 10000
              })
            ),
            { times: iterations - 1 }
          )
          const half = Math.floor(numReaders / 2)
          const tasks = [
            writer,
            ...Array.from({ length: half }, () => reader),
            writer,
            ...Array.from({ length: numReaders - half }, () => reader)
          ]
          yield* Effect.forEach(tasks, (t) => t, { concurrency: "unbounded", discard: true })
          expect(violations).toEqual([])
          expect(activity).toBe(0)
          expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
        })
    )
  }

  it.effect("writer preference: once a writer waits, new readers queue behind it and tryRLock fails", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const log: Array<string> = []
      const r1Gate = yield* Latch.make()
      const wGate = yield* Latch.make()
      const r2Gate = yield* Latch.make()
      const r1 = yield* hold(rw, "r", r1Gate, log, "r1")
      yield* settle
      const w = yield* hold(rw, "w", wGate, log, "w")
      yield* settle
      // The writer waits for r1; a new reader may not join r1.
      expect(yield* RWMutex.tryRLock(rw)).toBe(false)
      expect(yield* RWMutex.tryLock(rw)).toBe(false)
      const r2 = yield* hold(rw, "r", r2Gate, log, "r2")
      yield* settle
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock", "rLock"] })
      // r1 leaves: the lock goes to the writer, not to the reader that queued behind it.
      yield* r1Gate.open
      yield* Fiber.join(r1)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: ["rLock"] })
      yield* wGate.open
      yield* Fiber.join(w)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: [] })
      yield* r2Gate.open
      yield* Fiber.join(r2)
      expect(log).toEqual(["r1", "w", "r2"])
      expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  it.effect("readers queued behind a writer are admitted together when it leaves, before the next writer", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const log: Array<string> = []
      const gates = yield* Effect.forEach(Array.from({ length: 8 }), () => Latch.make())
      const [w1Gate, r1Gate, r2Gate, r3Gate, w2Gate, r4Gate, r5Gate, w3Gate] = gates as [
        Latch.Latch,
        Latch.Latch,
        Latch.Latch,
        Latch.Latch,
        Latch.Latch,
        Latch.Latch,
        Latch.Latch,
        Latch.Latch
      ]
      const w1 = yield* hold(rw, "w", w1Gate, log, "w1")
      yield* settle
      const r1 = yield* hold(rw, "r", r1Gate, log, "r1")
      const r2 = yield* hold(rw, "r", r2Gate, log, "r2")
      const r3 = yield* hold(rw, "r", r3Gate, log, "r3")
      const w2 = yield* hold(rw, "w", w2Gate, log, "w2")
      yield* settle
      const r4 = yield* hold(rw, "r", r4Gate, log, "r4")
      yield* settle
      expect(yield* state(rw)).toEqual({
        writer: true,
        readers: 0,
        blocked: ["rLock", "rLock", "rLock", "lock", "rLock"]
      })
      // w1 leaves: every reader waiting at that moment gets in at once — as in
      // Go, also r4, which arrived after w2 — and w2 keeps waiting.
      yield* w1Gate.open
      yield* Fiber.join(w1)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 4, blocked: ["lock"] })
      // w2 waits for that batch only: a reader arriving now queues behind it.
      const r5 = yield* hold(rw, "r", r5Gate, log, "r5")
      const w3 = yield* hold(rw, "w", w3Gate, log, "w3")
      yield* settle
      expect(yield* state(rw)).toEqual({ writer: false, readers: 4, blocked: ["lock", "rLock", "lock"] })
      yield* Effect.forEach([r1Gate, r2Gate, r3Gate], (g) => g.open)
      yield* Fiber.joinAll([r1, r2, r3])
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock", "rLock", "lock"] })
      yield* r4Gate.open
      yield* Fiber.join(r4)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: ["rLock", "lock"] })
      // w2 leaves: r5 goes before w3 although w3 also waits.
      yield* w2Gate.open
      yield* Fiber.join(w2)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock"] })
      yield* r5Gate.open
      yield* Fiber.join(r5)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: [] })
      yield* w3Gate.open
      yield* Fiber.join(w3)
      expect(log).toEqual(["w1", "r1", "r2", "r3", "r4", "w2", "r5", "w3"])
      expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  it.effect("writers are served in FIFO order", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.rLock(rw)
      const order: Array<number> = []
      const fibers = yield* Effect.forEach([1, 2, 3, 4], (i) =>
        Effect.forkChild(
          RWMutex.withLock(rw)(
            Effect.andThen(
              Effect.yieldNow,
              Effect.sync(() => order.push(i))
            )
          )
        )
      )
      yield* settle
      yield* RWMutex.rUnlock(rw)
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([1, 2, 3, 4])
    })
  )

  it.effect("neither side starves: alternating streams of readers and writers all get through in turn", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const log: Array<string> = []
      // Each critical section lasts one second of TestClock time, and a new
      // reader and a new writer arrive every half second.
      const section = (id: string) =>
        Effect.andThen(
          Effect.sync(() => log.push(id)),
          Effect.sleep("1 second")
        )
      const fibers: Array<Fiber.Fiber<void>> = []
      for (let i = 0; i < 6; i++) {
        fibers.push(yield* Effect.forkChild(RWMutex.withRLock(rw)(section(`r${i}`))))
        fibers.push(yield* Effect.forkChild(RWMutex.withLock(rw)(section(`w${i}`))))
        yield* settle
        yield* TestClock.adjust("500 millis")
      }
      yield* TestClock.adjust("1 minute")
      yield* Fiber.joinAll(fibers)
      // t=0 r0 holds; w0 waits, so r1 (t=0.5) queues although only readers
      // hold the lock. t=1 w0 holds; r2, r3, w1..w3 queue. t=2 w0 leaves:
      // r1..r3 get in together although w1 waited before r2 and r3. t=3 w1
      // holds; t=4 r4, r5 (queued behind w1) get in before w2; then the
      // remaining writers, one by one. Without writer preference w0 would
      // wait for ever-overlapping readers; without reader batches the readers
      // would wait behind every writer.
      expect(log).toEqual(["r0", "w0", "r1", "r2", "r3", "w1", "r4", "r5", "w2", "w3", "w4", "w5"])
    })
  )

  it.effect("a reader of an admitted batch interrupted by another before it resumed holds nothing", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.lock(rw)
      let second: Fiber.Fiber<void> | undefined
      // The first reader, once admitted, interrupts the second before the
      // writer's unlock gets to wake it, then leaves.
      const first = yield* Effect.forkChild(
        RWMutex.rLock(rw).pipe(
          Effect.andThen(Effect.sync(() => second!.interruptUnsafe())),
          Effect.andThen(RWMutex.rUnlock(rw))
        )
      )
      second = yield* Effect.forkChild(RWMutex.rLock(rw))
      yield* settle
      const writer = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      yield* RWMutex.unlock(rw)
      yield* Fiber.join(first)
      expect(Exit.hasInterrupts(yield* Fiber.await(second))).toBe(true)
      // The second reader's read lock must not linger: the writer gets in.
      yield* Fiber.join(writer)
      expect(yield* RWMutex.readerCount(rw)).toBe(0)
      yield* RWMutex.unlock(rw)
    })
  )

  it.effect("withLock / withRLock of something that is not an Effect is a defect that takes no lock", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const write = yield* Effect.exit(RWMutex.withLock(rw)("x" as unknown as Effect.Effect<void>))
      expect(defectOf(write)).toMatchObject({
        _tag: "InvalidArgumentError",
        message: 'RWMutex.withLock: expected an Effect, got the string "x"'
      })
      const read = yield* Effect.exit(RWMutex.withRLock(rw)(undefined as unknown as Effect.Effect<void>))
      expect(defectOf(read)).toMatchObject({
        _tag: "InvalidArgumentError",
        message: "RWMutex.withRLock: expected an Effect, got undefined"
      })
      expect(yield* RWMutex.isLocked(rw)).toBe(false)
      expect(yield* RWMutex.readerCount(rw)).toBe(0)
    })
  )

  describe("misuse is a defect with Go's message (Go's misuse_test.go)", () => {
    const cases: ReadonlyArray<{
      readonly name: string
      readonly setup: (rw: RWMutex.RWMutex) => Effect.Effect<void>
      readonly misuse: (rw: RWMutex.RWMutex) => Effect.Effect<void>
      readonly error: new (...args: Array<any>) => Error
      readonly message: string
    }> = [
      {
        name: "RWMutex.Unlock: Unlock of an unlocked RWMutex",
        setup: () => Effect.void,
        misuse: RWMutex.unlock,
        error: RWMutex.UnlockOfUnlockedRWMutexError,
        message: "sync: Unlock of unlocked RWMutex"
      },
      {
        name: "RWMutex.Unlock2: Unlock of a read-locked RWMutex",
        setup: RWMutex.rLock,
        misuse: RWMutex.unlock,
        error: RWMutex.UnlockOfUnlockedRWMutexError,
        message: "sync: Unlock of unlocked RWMutex"
      },
      {
        name: "RWMutex.RUnlock: RUnlock of an unlocked RWMutex",
        setup: () => Effect.void,
        misuse: RWMutex.rUnlock,
        error: RWMutex.RUnlockOfUnlockedRWMutexError,
        message: "sync: RUnlock of unlocked RWMutex"
      },
      {
        name: "RWMutex.RUnlock2: RUnlock of a write-locked RWMutex",
        setup: RWMutex.lock,
        misuse: RWMutex.rUnlock,
        error: RWMutex.RUnlockOfUnlockedRWMutexError,
        message: "sync: RUnlock of unlocked RWMutex"
      },
      {
        name: "RWMutex.RUnlock3: one RUnlock too many",
        setup: (rw) => Effect.andThen(RWMutex.rLock(rw), RWMutex.rUnlock(rw)),
        misuse: RWMutex.rUnlock,
        error: RWMutex.RUnlockOfUnlockedRWMutexError,
        message: "sync: RUnlock of unlocked RWMutex"
      }
    ]
    for (const c of cases) {
      it.effect(c.name, () =>
        Effect.gen(function* () {
          const rw = yield* RWMutex.make({ name: "table" })
          yield* c.setup(rw)
          const before = yield* state(rw)
          const defect = defectOf(yield* Effect.exit(c.misuse(rw)))
          expect(defect).toBeInstanceOf(c.error)
          expect((defect as Error).message).toBe(c.message)
          expect(defect).toMatchObject({ _tag: c.error.name, name: c.error.name, mutexName: "table" })
          // The failed call changed nothing.
          expect(yield* state(rw)).toEqual(before)
        })
      )
    }
  })

  it.effect("an interrupted rLock leaves the queue and holds nothing", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.lock(rw)
      const a = yield* Effect.forkChild(RWMutex.rLock(rw))
      const b = yield* Effect.forkChild(RWMutex.rLock(rw))
      yield* settle
      expect((yield* state(rw)).blocked).toEqual(["rLock", "rLock"])
      yield* Fiber.interrupt(a)
      expect((yield* state(rw)).blocked).toEqual(["rLock"])
      yield* RWMutex.unlock(rw)
      yield* Fiber.join(b)
      // Only b got in.
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: [] })
      yield* RWMutex.rUnlock(rw)
      expect(yield* RWMutex.tryLock(rw)).toBe(true)
    })
  )

  it.effect("an interrupted lock leaves the queue; the next writer gets the lock", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.rLock(rw)
      const a = yield* Effect.forkChild(RWMutex.lock(rw))
      const b = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      yield* Fiber.interrupt(a)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock"] })
      yield* RWMutex.rUnlock(rw)
      yield* Fiber.join(b)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: [] })
      yield* RWMutex.unlock(rw)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  it.effect("the last waiting writer interrupted: the readers queued behind it are admitted", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.rLock(rw)
      const w1 = yield* Effect.forkChild(RWMutex.lock(rw))
      const w2 = yield* Effect.forkChild(RWMutex.lock(rw))
      yield* settle
      const r2 = yield* Effect.forkChild(RWMutex.rLock(rw))
      const r3 = yield* Effect.forkChild(RWMutex.rLock(rw))
      yield* settle
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock", "lock", "rLock", "rLock"] })
      // w2 still waits: the readers stay behind it.
      yield* Fiber.interrupt(w1)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: ["lock", "rLock", "rLock"] })
      // Nobody left to wait for: r2 and r3 join the reader that holds the lock.
      yield* Fiber.interrupt(w2)
      yield* Fiber.joinAll([r2, r3])
      expect(yield* state(rw)).toEqual({ writer: false, readers: 3, blocked: [] })
      yield* Effect.forEach([1, 2, 3], () => RWMutex.rUnlock(rw))
      expect(yield* RWMutex.tryLock(rw)).toBe(true)
    })
  )

  it.effect("a waiting writer interrupted while another writer holds the lock: readers keep waiting for that one", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.lock(rw)
      const w2 = yield* Effect.forkChild(RWMutex.lock(rw))
      const r = yield* Effect.forkChild(RWMutex.rLock(rw))
      yield* settle
      yield* Fiber.interrupt(w2)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: ["rLock"] })
      yield* RWMutex.unlock(rw)
      yield* Fiber.join(r)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: [] })
      yield* RWMutex.rUnlock(rw)
    })
  )

  it.effect("withRLock and withLock release on success, failure, defect and interruption", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const free = { writer: false, readers: 0, blocked: [] }
      for (const [withIt, held] of [
        [RWMutex.withRLock(rw), { writer: false, readers: 1, blocked: [] }],
        [RWMutex.withLock(rw), { writer: true, readers: 0, blocked: [] }]
      ] as const) {
        expect(yield* withIt(Effect.succeed(1))).toBe(1)
        expect(yield* state(rw)).toEqual(free)
        expect(yield* Effect.flip(withIt(Effect.fail("e")))).toBe("e")
        expect(yield* state(rw)).toEqual(free)
        const died = yield* Effect.exit(withIt(Effect.die("d")))
        expect(defectOf(died)).toBe("d")
        expect(yield* state(rw)).toEqual(free)
        const inside = yield* Effect.forkChild(withIt(Effect.never))
        yield* settle
        expect(yield* state(rw)).toEqual(held)
        yield* Fiber.interrupt(inside)
        expect(yield* state(rw)).toEqual(free)
      }
    })
  )

  it.effect("withRLock / withLock interrupted while waiting release nothing they do not hold", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.lock(rw)
      const reading = yield* Effect.forkChild(RWMutex.withRLock(rw)(Effect.void))
      const writing = yield* Effect.forkChild(RWMutex.withLock(rw)(Effect.void))
      yield* settle
      yield* Fiber.interrupt(writing)
      yield* Fiber.interrupt(reading)
      expect(yield* state(rw)).toEqual({ writer: true, readers: 0, blocked: [] })
      yield* RWMutex.unlock(rw)
      yield* RWMutex.rLock(rw)
      const writing2 = yield* Effect.forkChild(RWMutex.withLock(rw)(Effect.void))
      yield* settle
      yield* Fiber.interrupt(writing2)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 1, blocked: [] })
      yield* RWMutex.rUnlock(rw)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  it.effect("withRLock and withLock are dual and keep the effect's types", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      const a = yield* Effect.succeed(1).pipe(RWMutex.withRLock(rw))
      const b = yield* RWMutex.withRLock(Effect.succeed(2), rw)
      const c = yield* Effect.succeed(3).pipe(RWMutex.withLock(rw))
      const d = yield* RWMutex.withLock(Effect.succeed(4), rw)
      expect([a, b, c, d]).toEqual([1, 2, 3, 4])
      const typed = RWMutex.withLock(rw)(Effect.fail("e" as const) as Effect.Effect<number, "e", "R">)
      expectTypeOf(typed).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
      expectTypeOf(RWMutex.withRLock(typed, rw)).toEqualTypeOf<Effect.Effect<number, "e", "R">>()
    })
  )

  it.effect("blocked lists readers and writers in arrival order, with name and TestClock time", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "table" })
      yield* RWMutex.lock(rw)
      const fibers: Array<Fiber.Fiber<void>> = []
      for (const op of ["rLock", "lock", "rLock", "lock"] as const) {
        fibers.push(yield* Effect.forkChild(op === "lock" ? RWMutex.lock(rw) : RWMutex.rLock(rw)))
        yield* settle
        yield* TestClock.adjust("1 second")
      }
      const bs = yield* RWMutex.blocked(rw)
      expect(bs.map((b) => [b.primitive, b.name, b.op, b.since, b.fiberId])).toEqual(
        fibers.map((f, i) => ["RWMutex", "table", i % 2 === 0 ? "rLock" : "lock", i * 1000, f.id])
      )
      yield* Fiber.interruptAll(fibers)
      expect(yield* RWMutex.blocked(rw)).toEqual([])
      yield* RWMutex.unlock(rw)
    })
  )

  it.effect("a long chain of hand-offs between readers and writers does not overflow the stack", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* RWMutex.lock(rw)
      let done = 0
      const fibers = yield* Effect.forEach(Array.from({ length: 20_000 }), (_, i) =>
        Effect.forkChild((i % 2 === 0 ? RWMutex.withLock(rw) : RWMutex.withRLock(rw))(Effect.sync(() => done++)))
      )
      yield* settle
      yield* RWMutex.unlock(rw)
      yield* Fiber.joinAll(fibers)
      expect(done).toBe(20_000)
      expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
    })
  )

  it.effect.prop(
    "any schedule of readers and writers, with any subset interrupted while waiting: exclusion holds, the rest get through, nothing leaks",
    [
      Schema.Array(
        Schema.Struct({ write: Schema.Boolean, interrupt: Schema.Boolean, yields: Schema.Literals([0, 1, 2, 3]) })
      )
    ],
    ([script]) =>
      Effect.gen(function* () {
        const rw = yield* RWMutex.make()
        let readers = 0
        let writers = 0
        const violations: Array<string> = []
        const entered: Array<number> = []
        const section = (i: number, write: boolean, yields: number) =>
          Effect.gen(function* () {
            if (write) writers++
            else readers++
            if (writers > 1 || (writers === 1 && readers > 0)) violations.push(`${i}: w=${writers} r=${readers}`)
            entered.push(i)
            for (let k = 0; k < yields; k++) yield* Effect.yieldNow
            if (write) writers--
            else readers--
          })
        // Everyone queues behind a writer, so each interruption hits a waiter.
        yield* RWMutex.lock(rw)
        const fibers = yield* Effect.forEach(script, ({ write, yields }, i) =>
          Effect.forkChild((write ? RWMutex.withLock(rw) : RWMutex.withRLock(rw))(section(i, write, yields)))
        )
        yield* settle
        expect((yield* RWMutex.blocked(rw)).length).toBe(script.length)
        yield* Effect.forEach(fibers, (f, i) => (script[i]!.interrupt ? Fiber.interrupt(f) : Effect.void))
        expect((yield* RWMutex.blocked(rw)).length).toBe(script.filter((s) => !s.interrupt).length)
        yield* RWMutex.unlock(rw)
        const exits = yield* Effect.forEach(fibers, Fiber.await)
        expect(violations).toEqual([])
        expect(exits.map(Exit.isSuccess)).toEqual(script.map((s) => !s.interrupt))
        expect([...entered].sort((a, b) => a - b)).toEqual(script.flatMap((s, i) => (s.interrupt ? [] : [i])))
        // Writers among themselves keep their arrival order.
        const writerOrder = entered.filter((i) => script[i]!.write)
        expect(writerOrder).toEqual([...writerOrder].sort((a, b) => a - b))
        expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
      })
  )
})

/**
 * Lost wake-ups and lost grants. Effect's run loop may yield before
 * evaluating any effect once a fiber's op budget (`MaxOpsBeforeYield`) is
 * spent: between a lock call's check and its parking (a lost wake-up: the
 * fiber parks although the lock was released meanwhile), or right after the
 * step that handed it the lock (an interruption delivered then must not keep
 * the lock). Every budget from 3 to 40 (1 and 2 livelock Effect itself) puts
 * that yield at every point of the operations; a hang becomes a failure
 * through the timeout.
 */
describe("RWMutex under any op budget", () => {
  it.live("2 readers and 2 writers contend, plain and with*Lock: no lost wake-up", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const rw = yield* RWMutex.make()
        let readers = 0
        let writers = 0
        let broken = false
        const read = Effect.sync(() => {
          readers++
          if (writers > 0) broken = true
          readers--
        })
        const write = Effect.sync(() => {
          writers++
          if (writers > 1 || readers > 0) broken = true
          writers--
        })
        const reader = Effect.andThen(
          Effect.andThen(RWMutex.rLock(rw), Effect.andThen(read, RWMutex.rUnlock(rw))),
          RWMutex.withRLock(rw)(read)
        )
        const writer = Effect.andThen(
          Effect.andThen(RWMutex.lock(rw), Effect.andThen(write, RWMutex.unlock(rw))),
          RWMutex.withLock(rw)(write)
        )
        const fibers = yield* Effect.forEach([reader, writer, reader, writer], (body) =>
          Effect.forkChild(loop(100, body))
        )
        yield* Fiber.joinAll(fibers)
        expect(broken).toBe(false)
        expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
      })
    )
  )

  it.live("withLock / withRLock interrupted right after locking at once hold nothing (default budget)", () =>
    Effect.gen(function* () {
      for (const write of [true, false]) {
        // Each fiber first spends a different number of steps, so that the
        // budget runs out at a different point of the locking loop.
        for (let shift = 0; shift < 64; shift++) {
          const rw = yield* RWMutex.make()
          const critical = write ? RWMutex.withLock(rw)(Effect.void) : RWMutex.withRLock(rw)(Effect.void)
          const fiber = yield* Effect.forkChild(
            Effect.andThen(loop(shift, Effect.void), Effect.forever(critical, { disableYield: true }))
          )
          yield* Effect.yieldNow // the fiber runs until its budget is spent, then yields
          yield* Fiber.interrupt(fiber)
          expect({ write, shift, ...(yield* state(rw)) }).toEqual({
            write,
            shift,
            writer: false,
            readers: 0,
            blocked: []
          })
        }
      }
    })
  )

  it.live("withLock / withRLock interrupted while being granted hold nothing (every op budget)", () =>
    underEveryBudget(() =>
      Effect.gen(function* () {
        const rw = yield* RWMutex.make()
        const holders = yield* Effect.forEach([RWMutex.withLock(rw), RWMutex.withRLock(rw)], (withIt) =>
          Effect.forkChild(loop(100, withIt(Effect.yieldNow)))
        )
        for (let i = 0; i < 100; i++) {
          const withIt = i % 2 === 0 ? RWMutex.withLock(rw) : RWMutex.withRLock(rw)
          const victim = yield* Effect.forkChild(withIt(Effect.yieldNow))
          yield* loop(i % 7, Effect.yieldNow)
          yield* Fiber.interrupt(victim)
        }
        yield* Fiber.joinAll(holders)
        expect(yield* state(rw)).toEqual({ writer: false, readers: 0, blocked: [] })
      })
    )
  )
})

describe("RWMutex: signatures and values", () => {
  it.effect("types: no operation has a typed error", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      expectTypeOf(RWMutex.make()).toEqualTypeOf<Effect.Effect<RWMutex.RWMutex>>()
      expectTypeOf(RWMutex.make({ name: "routes" })).toEqualTypeOf<Effect.Effect<RWMutex.RWMutex>>()
      expectTypeOf(RWMutex.makeUnsafe()).toEqualTypeOf<RWMutex.RWMutex>()
      expectTypeOf(RWMutex.rLock(rw)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(RWMutex.rUnlock(rw)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(RWMutex.tryRLock(rw)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(RWMutex.lock(rw)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(RWMutex.unlock(rw)).toEqualTypeOf<Effect.Effect<void>>()
      expectTypeOf(RWMutex.tryLock(rw)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(RWMutex.isLocked(rw)).toEqualTypeOf<Effect.Effect<boolean>>()
      expectTypeOf(RWMutex.readerCount(rw)).toEqualTypeOf<Effect.Effect<number>>()
      // withRLock / withLock keep the effect's types: see "withRLock and withLock are dual".
    })
  )

  it.effect("an RWMutex is Inspectable: toJSON shows holders and waiters, String and inspect format it", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make({ name: "routes" })
      const empty = { _id: "RWMutex", name: "routes", locked: false, readers: 0, waitingReaders: 0, waitingWriters: 0 }
      expect(rw.toJSON()).toEqual(empty)
      yield* RWMutex.rLock(rw)
      yield* RWMutex.rLock(rw)
      const writer = yield* Effect.forkChild(RWMutex.withLock(rw)(Effect.void))
      yield* settle
      const reader = yield* Effect.forkChild(RWMutex.withRLock(rw)(Effect.void))
      yield* settle
      expect(rw.toJSON()).toEqual({ ...empty, readers: 2, waitingReaders: 1, waitingWriters: 1 })
      expect(String(rw)).toBe(
        '{"_id":"RWMutex","name":"routes","locked":false,"readers":2,"waitingReaders":1,"waitingWriters":1}'
      )
      expect(inspect(rw)).toContain("_id: 'RWMutex'")
      yield* RWMutex.rUnlock(rw)
      expect(rw.toJSON()).toEqual({ ...empty, readers: 1, waitingReaders: 1, waitingWriters: 1 })
      yield* RWMutex.lock(rw).pipe(Effect.forkChild, Effect.andThen(settle))
      expect(rw.toJSON()).toEqual({ ...empty, readers: 1, waitingReaders: 1, waitingWriters: 2 })
      yield* RWMutex.rUnlock(rw)
      yield* Fiber.joinAll([writer, reader])
      // The first writer went, then the reader; the last writer holds the lock now.
      expect(rw.toJSON()).toEqual({ ...empty, locked: true })
      yield* RWMutex.unlock(rw)
      expect(rw.toJSON()).toEqual(empty)
    })
  )

  it.effect("an RWMutex is Pipeable", () =>
    Effect.gen(function* () {
      const rw = yield* RWMutex.make()
      yield* rw.pipe(RWMutex.rLock)
      expect(yield* rw.pipe(RWMutex.readerCount)).toBe(1)
      expect(yield* rw.pipe(RWMutex.tryLock)).toBe(false)
      yield* rw.pipe(RWMutex.rUnlock)
      expect(yield* rw.pipe(RWMutex.tryLock)).toBe(true)
      expect(yield* rw.pipe(RWMutex.isLocked)).toBe(true)
      yield* rw.pipe(RWMutex.unlock)
    })
  )
})

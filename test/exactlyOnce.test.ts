/**
 * Exactly once at the hand-over: a value a receive takes reaches the code
 * that consumes it (the caller's continuation, a select handler, a forEach
 * body), or goes back to the channel — wherever the receiving fiber is
 * interrupted. The interruption must land in every gap between the take and
 * the consumer: each scenario runs under every op budget from 3 to 40
 * (where the run loop's yield falls), with the receiver's start shifted by
 * 0..11 steps and the interruption 0..2 yields after the value arrives.
 * Before the fix, a receive that took its value on its fast path or at the
 * re-check inside its registration lost it (e.g. budget 3: a select
 * registering when the value arrives, interrupted right after its re-check).
 *
 * The same holds for grants: a lock, read lock or permits that a call takes
 * reach the caller, or are released; before the fix a lock taken on the
 * fast path, or passed back through an exit guard after the park, was kept
 * by a fiber whose call ended interrupted.
 */
import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scheduler from "effect/Scheduler"
import * as Chan from "../src/Chan.ts"
import { chanOf, offer } from "../src/internal/chan.ts"
import * as Mutex from "../src/Mutex.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import { budgets, loop } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"

type Record = (value: Option.Option<number>) => Effect.Effect<void>

/** A receiver that consumes at most one value through `record`. */
type Consumer = (ch: Chan.Chan<number>, record: Record) => Effect.Effect<unknown>

const schedulers = [
  ["default", undefined],
  ["sync", new Scheduler.MixedScheduler("sync")]
] as const

/**
 * Runs `consumer` against one value under every budget, shift and
 * interruption point; returns the runs in which the value was lost or
 * duplicated.
 */
const sweep = (capacity: number, consumer: Consumer, by: "send" | "offer" = "send") =>
  Effect.gen(function* () {
    const bad: Array<string> = []
    for (const [schedulerName, scheduler] of schedulers) {
      for (const budget of budgets) {
        for (let shift = 0; shift < 12; shift++) {
          for (let late = 0; late < 3; late++) {
            const run = Effect.gen(function* () {
              const ch = yield* Chan.make<number>(capacity)
              const got: Array<number> = []
              const record: Record = (o) =>
                Effect.sync(() => {
                  if (Option.isSome(o)) got.push(o.value)
                })
              const receiver = yield* Effect.forkChild(Effect.andThen(loop(shift, Effect.void), consumer(ch, record)))
              yield* Effect.yieldNow
              // Unbuffered: a sender parks until the receiver takes the value.
              // Offered: the value waits on the channel with no fiber behind it,
              // as an ordered Pipeline stage leaves a send its reader has not taken.
              const sender = capacity === 0 && by === "send" ? yield* Effect.forkChild(Chan.send(ch, 7)) : undefined
              if (by === "offer") {
                yield* Effect.withFiber((fiber) => {
                  offer(chanOf(ch), 7, () => {}, fiber)
                  return Effect.void
                })
              } else if (sender === undefined) yield* Chan.trySend(ch, 7)
              for (let i = 0; i < late; i++) yield* Effect.yieldNow
              yield* Effect.sync(() => receiver.interruptUnsafe())
              yield* Fiber.await(receiver)
              // Let an unbuffered sender finish or park before looking.
              for (let i = 0; i < 100 && sender !== undefined && sender.pollUnsafe() === undefined; i++) {
                if ((yield* Chan.blocked(ch)).length > 0) break
                yield* Effect.yieldNow
              }
              // What did not reach `record` must still be in the channel.
              const left = yield* Chan.tryRecv(ch)
              if (sender !== undefined) yield* Fiber.interrupt(sender)
              return got.length + (left._tag === "Received" ? 1 : 0)
            }).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, budget))
            const count = yield* scheduler === undefined
              ? run
              : run.pipe(Effect.provideService(Scheduler.Scheduler, scheduler))
            if (count !== 1) {
              bad.push(`${schedulerName} budget ${budget} shift ${shift} late ${late}: ${count} copies`)
            }
          }
        }
      }
    }
    return bad
  }).pipe(Effect.orDie)

const consumers: ReadonlyArray<readonly [string, Consumer]> = [
  [
    "Select.recv handler (two cases on the channel and a timeout)",
    (ch, record) => Select.select(Select.recv(ch, record), Select.recv(ch, record), Select.after("1 hour"))
  ],
  [
    "Select.recv without a handler, result recorded inside a mask",
    (ch, record) =>
      Effect.uninterruptibleMask((restore) =>
        restore(
          Select.select(
            Select.recv(ch),
            Select.after("1 hour", () => Effect.succeed(Option.none<number>()))
          )
        ).pipe(Effect.flatMap(record))
      )
  ],
  [
    "Chan.recv inside uninterruptibleMask(restore => restore(recv).pipe(record))",
    (ch, record) => Effect.uninterruptibleMask((restore) => restore(Chan.recv(ch)).pipe(Effect.flatMap(record)))
  ],
  ["Chan.forEach body", (ch, record) => Chan.forEach(ch, (v) => record(Option.some(v)))],
  [
    "Chan.recvAll inside uninterruptibleMask(restore => restore(recvAll).pipe(record each))",
    (ch, record) =>
      Effect.uninterruptibleMask((restore) =>
        restore(Chan.recvAll(ch)).pipe(
          Effect.flatMap((batch) => Effect.forEach(batch, (v) => record(Option.some(v)), { discard: true }))
        )
      )
  ],
  [
    "Chan.tryRecv in a loop, recorded inside a mask",
    (ch, record) =>
      Effect.uninterruptibleMask((restore) =>
        restore(Chan.tryRecv(ch)).pipe(
          Effect.flatMap((r) => (r._tag === "Received" ? record(Option.some(r.value)) : Effect.fail("again" as const)))
        )
      ).pipe(Effect.eventually)
  ]
]

describe("a value taken by a receive reaches its consumer or goes back, wherever the receiver is interrupted", () => {
  for (const capacity of [0, 1]) {
    for (const [name, consumer] of consumers) {
      it.live(`${name}, capacity ${capacity}`, () =>
        Effect.gen(function* () {
          const bad = yield* sweep(capacity, consumer)
          expect(bad.slice(0, 5), `${bad.length} runs lost or duplicated the value`).toEqual([])
        })
      )
    }
  }
})

describe("a value a stage left offered on its output reaches its reader or goes back, wherever the reader is interrupted", () => {
  for (const [name, consumer] of consumers) {
    it.live(`${name}, capacity 0`, () =>
      Effect.gen(function* () {
        const bad = yield* sweep(0, consumer, "offer")
        expect(bad.slice(0, 5), `${bad.length} runs lost or duplicated the value`).toEqual([])
      })
    )
  }
})

/** A lock-like primitive under test: take it (saying whether), release it, and whether it is free. */
interface Grant {
  readonly take: Effect.Effect<boolean>
  readonly release: Effect.Effect<void>
  /** Held by the test itself, so that `take` parks; undone by `unhold`. */
  readonly hold: Effect.Effect<void>
  readonly unhold: Effect.Effect<void>
  readonly isFree: Effect.Effect<boolean>
}

const grants: ReadonlyArray<readonly [string, Effect.Effect<Grant>]> = [
  [
    "Mutex.lock",
    Effect.map(Mutex.make(), (mu) => ({
      take: Effect.as(Mutex.lock(mu), true),
      release: Mutex.unlock(mu),
      hold: Mutex.lock(mu),
      unhold: Mutex.unlock(mu),
      isFree: Effect.tap(Mutex.tryLock(mu), (ok) => (ok ? Mutex.unlock(mu) : Effect.void))
    }))
  ],
  [
    "Mutex.tryLock",
    Effect.map(Mutex.make(), (mu) => ({
      take: Mutex.tryLock(mu),
      release: Mutex.unlock(mu),
      hold: Mutex.lock(mu),
      unhold: Mutex.unlock(mu),
      isFree: Effect.tap(Mutex.tryLock(mu), (ok) => (ok ? Mutex.unlock(mu) : Effect.void))
    }))
  ],
  [
    "RWMutex.rLock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: Effect.as(RWMutex.rLock(rw), true),
      release: RWMutex.rUnlock(rw),
      hold: RWMutex.lock(rw),
      unhold: RWMutex.unlock(rw),
      isFree: Effect.tap(RWMutex.tryLock(rw), (ok) => (ok ? RWMutex.unlock(rw) : Effect.void))
    }))
  ],
  [
    "RWMutex.lock",
    Effect.map(RWMutex.make(), (rw) => ({
      take: Effect.as(RWMutex.lock(rw), true),
      release: RWMutex.unlock(rw),
      hold: RWMutex.rLock(rw),
      unhold: RWMutex.rUnlock(rw),
      isFree: Effect.tap(RWMutex.tryLock(rw), (ok) => (ok ? RWMutex.unlock(rw) : Effect.void))
    }))
  ],
  [
    "Semaphore.acquire",
    Effect.map(Semaphore.make(3), (sem) => ({
      take: Effect.as(Semaphore.acquire(sem, 2), true),
      release: Semaphore.release(sem, 2),
      hold: Semaphore.acquire(sem, 2),
      unhold: Semaphore.release(sem, 2),
      isFree: Effect.map(Semaphore.available(sem), (n) => n === 3)
    }))
  ],
  [
    "Semaphore.tryAcquire",
    Effect.map(Semaphore.make(3), (sem) => ({
      take: Semaphore.tryAcquire(sem, 2),
      release: Semaphore.release(sem, 2),
      hold: Semaphore.acquire(sem, 2),
      unhold: Semaphore.release(sem, 2),
      isFree: Effect.map(Semaphore.available(sem), (n) => n === 3)
    }))
  ]
]

describe("a lock or permits a call takes reach its caller or are released, wherever the caller is interrupted", () => {
  for (const [name, makeGrant] of grants) {
    it.live(name, () =>
      Effect.gen(function* () {
        const bad: Array<string> = []
        for (const [schedulerName, scheduler] of schedulers) {
          for (const budget of budgets) {
            for (const contended of [false, true]) {
              for (let shift = 0; shift < 8; shift++) {
                for (let late = 0; late < 3; late++) {
                  const run = Effect.gen(function* () {
                    const g = yield* makeGrant
                    if (contended) yield* g.hold
                    let held = false
                    const taker = yield* Effect.forkChild(
                      Effect.andThen(
                        loop(shift, Effect.void),
                        Effect.uninterruptibleMask((restore) =>
                          restore(g.take).pipe(Effect.flatMap((took) => Effect.sync(() => (held = took))))
                        )
                      )
                    )
                    yield* Effect.yieldNow
                    if (contended) yield* g.unhold
                    for (let i = 0; i < late; i++) yield* Effect.yieldNow
                    yield* Effect.sync(() => taker.interruptUnsafe())
                    yield* Fiber.await(taker)
                    if (held) yield* g.release
                    return yield* g.isFree
                  }).pipe(Effect.provideService(Scheduler.MaxOpsBeforeYield, budget))
                  const free = yield* scheduler === undefined
                    ? run
                    : run.pipe(Effect.provideService(Scheduler.Scheduler, scheduler))
                  if (!free)
                    bad.push(`${schedulerName} budget ${budget} contended ${contended} shift ${shift} late ${late}`)
                }
              }
            }
          }
        }
        expect(bad.slice(0, 5), `${bad.length} runs leaked the grant`).toEqual([])
      })
    )
  }
})

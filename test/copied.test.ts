import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Chan from "../src/Chan.ts"
import * as Cond from "../src/Cond.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import { CopiedPrimitiveError } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import { it } from "./utils/leak.ts"

/** Runs `use` and expects it to die with CopiedPrimitiveError naming `primitive`. */
const diesCopied = (primitive: string, use: () => Effect.Effect<unknown, unknown>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(Effect.suspend(use))
    expect(Exit.isFailure(exit)).toBe(true)
    const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(defect).toBeInstanceOf(CopiedPrimitiveError)
    expect((defect as CopiedPrimitiveError).primitive).toBe(primitive)
    expect((defect as Error).message).toMatch(new RegExp(`^${primitive} is copied`))
  })

describe("copied primitives (Go's copylocks)", () => {
  it.effect("a spread copy of a WaitGroup is refused instead of sharing half its state", () =>
    Effect.gen(function* () {
      const wg = yield* WaitGroup.make()
      yield* WaitGroup.add(wg, 1)
      const copy: WaitGroup.WaitGroup = { ...wg }
      yield* diesCopied("WaitGroup", () => WaitGroup.done(copy))
      // The original is untouched.
      expect(yield* WaitGroup.count(wg)).toBe(1)
      yield* WaitGroup.done(wg)
    }))

  it.effect("every primitive refuses a copy", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make()
      yield* diesCopied("Mutex", () => Mutex.lock({ ...mu }))
      const rw = yield* RWMutex.make()
      yield* diesCopied("RWMutex", () => RWMutex.rLock({ ...rw }))
      const cond = yield* Cond.make(mu)
      yield* diesCopied("Cond", () => Cond.signal({ ...cond }))
      const once = yield* Once.make()
      yield* diesCopied("Once", () => Once.do({ ...once }, Effect.void))
      const sem = yield* Semaphore.make(1)
      yield* diesCopied("Semaphore", () => Semaphore.acquire({ ...sem }, 1))
      const ch = yield* Chan.make<number>(1)
      yield* diesCopied("Chan", () => Chan.send({ ...ch }, 1))
      yield* diesCopied("Chan", () => Chan.recv({ ...ch }))
      yield* diesCopied("Chan", () => Select.select(Select.recv({ ...ch })))
      const g = yield* ErrGroup.make()
      yield* diesCopied("ErrGroup", () => ErrGroup.wait({ ...g }))
      const flight = yield* SingleFlight.make<number>()
      yield* diesCopied("SingleFlight", () => SingleFlight.do({ ...flight }, "k", Effect.succeed(1)))
      // Object.assign makes the same kind of copy.
      yield* diesCopied("Mutex", () => Mutex.unlock(Object.assign({}, mu)))
    }))
})

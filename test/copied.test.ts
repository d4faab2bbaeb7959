import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Chan from "../src/Chan.ts"
import * as Cond from "../src/Cond.ts"
import * as ErrGroup from "../src/ErrGroup.ts"
import * as GoContext from "../src/GoContext.ts"
import * as Index from "../src/index.ts"
import { CopiedPrimitiveError, InvalidArgumentError, show } from "../src/internal/copied.ts"
import * as Mutex from "../src/Mutex.ts"
import * as Once from "../src/Once.ts"
import * as RWMutex from "../src/RWMutex.ts"
import * as Select from "../src/Select.ts"
import * as Semaphore from "../src/Semaphore.ts"
import * as SingleFlight from "../src/SingleFlight.ts"
import * as Ticker from "../src/Ticker.ts"
import * as Timer from "../src/Timer.ts"
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

/** Runs `use` and expects it to die with InvalidArgumentError whose message is `message`. */
const diesInvalid = (message: string, use: () => Effect.Effect<unknown, unknown, any>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(Effect.scoped(Effect.suspend(use)))
    const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(defect, message).toBeInstanceOf(InvalidArgumentError)
    expect((defect as InvalidArgumentError)._tag).toBe("InvalidArgumentError")
    expect((defect as Error).message).toBe(message)
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
    })
  )

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
    })
  )

  it.effect("a timer or ticker refuses a copy too", () =>
    Effect.gen(function* () {
      const t = yield* Timer.make("1 second")
      yield* diesCopied("Timer", () => Timer.stop({ ...t }))
      yield* diesCopied("Timer", () => Timer.reset({ ...t }, "1 second"))
      const ticker = yield* Ticker.make("1 second")
      yield* diesCopied("Ticker", () => Ticker.stop({ ...ticker }))
      yield* diesCopied("Ticker", () => Ticker.reset({ ...ticker }, "1 second"))
      // The originals still work.
      expect(yield* Timer.stop(t)).toBe(true)
      yield* Ticker.stop(ticker)
    }).pipe(Effect.scoped)
  )

  it.effect(
    "something that is no primitive at all is not called a copy: it says what was given and what is wanted",
    () =>
      Effect.gen(function* () {
        const mu = yield* Mutex.make()
        const rw = yield* RWMutex.make()
        const ch = yield* Chan.make<number>(1)
        const any = (u: unknown): any => u
        yield* diesInvalid("expected a Mutex, got undefined", () => Mutex.lock(any(undefined)))
        yield* diesInvalid("expected a Mutex, got null", () => Mutex.unlock(any(null)))
        yield* diesInvalid("expected a Mutex, got an RWMutex", () => Mutex.tryLock(any(rw)))
        yield* diesInvalid("expected a Mutex, got an empty object", () => Mutex.withLock(any({}))(Effect.void))
        yield* diesInvalid("expected an RWMutex, got a Mutex", () => RWMutex.rLock(any(mu)))
        yield* diesInvalid("expected an RWMutex, got the number 3", () => RWMutex.lock(any(3)))
        yield* diesInvalid("expected a Cond, got an object with keys {name}", () => Cond.signal(any({ name: "c" })))
        yield* diesInvalid('expected a Once, got the string "once"', () => Once.do(any("once"), Effect.void))
        yield* diesInvalid("expected a Semaphore, got a Chan", () => Semaphore.acquire(any(ch), 1))
        yield* diesInvalid("expected a Semaphore, got the boolean true", () => Semaphore.release(any(true), 1))
        yield* diesInvalid("expected a Timer, got undefined", () => Timer.stop(any(undefined)))
        yield* diesInvalid("expected a Ticker, got a Chan", () => Ticker.stop(any(ch)))
        yield* diesInvalid("expected a Chan, got undefined", () => Chan.recv(any(undefined)))
        yield* diesInvalid("expected a Chan, got a Mutex", () => Chan.send(any(mu), 1))
        yield* diesInvalid("expected a WaitGroup, got an array of length 0", () => WaitGroup.done(any([])))
        yield* diesInvalid("expected an ErrGroup, got the function f", () => ErrGroup.wait(any(function f() {})))
        yield* diesInvalid("expected a SingleFlight, got an Effect", () =>
          SingleFlight.do(any(Effect.void), "k", Effect.succeed(1))
        )
        // A copy of one primitive passed as another is no copy of that other.
        yield* diesInvalid("expected a Cond, got a Mutex", () => Cond.broadcast(any({ ...mu })))
      })
  )

  it("InvalidArgumentError is exported beside CopiedPrimitiveError, for users to match", () => {
    expect(Index.InvalidArgumentError).toBe(InvalidArgumentError)
    expect(Index.CopiedPrimitiveError).toBe(CopiedPrimitiveError)
  })

  it("values in an operation's text are written as in code: quoted strings, -0, booleans, bigints", () => {
    expect(show("3")).toBe('"3"')
    expect(show(-0)).toBe("-0")
    expect(show(Number.NaN)).toBe("NaN")
    expect(show(true)).toBe("true")
    expect(show(3n)).toBe("3n")
    expect(show(null)).toBe("null")
    expect(show(undefined)).toBe("undefined")
    expect(show({})).toBe("an empty object")
  })

  it.effect("a bad primitive argument is reported by the Effect, never thrown while building it", () =>
    Effect.gen(function* () {
      const any = (u: unknown): any => u
      // Each is only built here; running it dies (see the test above).
      const built = [
        Once.do(any(undefined), Effect.void),
        Once.do(any(undefined))(Effect.void),
        Cond.waitUntil(any(undefined), () => true),
        Cond.make(any(undefined)),
        Timer.stop(any(undefined)),
        Timer.reset(any(undefined), "1 second"),
        Ticker.stop(any(undefined)),
        Ticker.reset(any(undefined), "1 second"),
        Semaphore.acquire(any(undefined), 1),
        Semaphore.withPermits(any(undefined), 1)(Effect.void),
        Mutex.withLock(any(undefined))(Effect.void),
        RWMutex.withRLock(any(undefined))(Effect.void),
        Chan.recv(any(undefined)),
        Chan.send(any(undefined), 1),
        Chan.forEach(any(undefined), () => Effect.void),
        Select.select(Select.recv(any(undefined))),
        Select.select(Select.send(any(undefined), 1)),
        GoContext.withCancel(any(undefined)),
        GoContext.run(any(undefined), Effect.void)
      ]
      for (const effect of built) {
        const exit = yield* Effect.exit(Effect.scoped(effect as Effect.Effect<unknown, unknown, any>))
        const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        expect(defect).toBeInstanceOf(InvalidArgumentError)
      }
    })
  )
})

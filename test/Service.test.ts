import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import * as Mutex from "../src/Mutex.ts"
import * as Semaphore from "../src/Semaphore.ts"
import { settle } from "./utils/fibers.ts"
import { it } from "./utils/leak.ts"

// --- What an application writes -------------------------------------------

/** At most N database calls at once, app-wide. */
class DbLimit extends Semaphore.Service<DbLimit>()("app/DbLimit") {}
/** Another limit: a distinct service, a distinct semaphore. */
class ApiLimit extends Semaphore.Service<ApiLimit>()("app/ApiLimit") {}
/** One writer of the config file at a time, app-wide. */
class ConfigLock extends Mutex.Service<ConfigLock>()("app/ConfigLock") {}

// Instrumentation: how many "queries" run at once.
const meter = () => {
  const m = { now: 0, max: 0 }
  const query = Effect.gen(function* () {
    m.now++
    m.max = Math.max(m.max, m.now)
    yield* Effect.sleep("10 millis")
    m.now--
  })
  return { m, query }
}

// A module of the application: it only knows the DbLimit service.
const runQueries = (query: Effect.Effect<void>, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => query.pipe(DbLimit.withPermits(1)), {
    concurrency: "unbounded",
    discard: true
  })

/** Runs `self` to completion on the TestClock, stepping 10ms at a time. */
const runClocked = <A, E>(self: Effect.Effect<A, E>, steps: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(self)
    for (let i = 0; i < steps; i++) {
      yield* settle
      yield* TestClock.adjust("10 millis")
    }
    return yield* Fiber.join(fiber)
  })

describe("Service: Semaphore.Service", () => {
  it.effect("the limit is configured once, by the layer; the code using it does not change", () =>
    Effect.gen(function* () {
      const prod = meter()
      yield* runClocked(runQueries(prod.query, 25).pipe(Effect.provide(DbLimit.layer(10))), 3)
      expect(prod.m.max).toBe(10)
      // Swapped in a test: one at a time.
      const test = meter()
      yield* runClocked(runQueries(test.query, 5).pipe(Effect.provide(DbLimit.layer(1))), 5)
      expect(test.m.max).toBe(1)
    })
  )

  it.effect("swapping in a hand-made semaphore lets a test watch the queue", () =>
    Effect.gen(function* () {
      const sem = yield* Semaphore.make(2, { name: "test-db" })
      const { m, query } = meter()
      const program = yield* Effect.forkChild(runQueries(query, 5).pipe(Effect.provide(Layer.succeed(DbLimit, sem))))
      yield* settle
      expect(m.now).toBe(2)
      expect(yield* Semaphore.available(sem)).toBe(0)
      expect((yield* Semaphore.blocked(sem)).map((b) => [b.name, b.op])).toEqual(
        Array(3).fill(["test-db", "acquire(1)"])
      )
      yield* TestClock.adjust("30 millis")
      yield* Fiber.join(program)
      expect(m.max).toBe(2)
      expect(yield* Semaphore.available(sem)).toBe(2)
    })
  )

  it.effect("the layer names the semaphore after the service key, and every user shares it", () =>
    Effect.gen(function* () {
      const program = Effect.gen(function* () {
        const sem = yield* DbLimit
        expect(sem.name).toBe("app/DbLimit")
        expect(sem.size).toBe(3)
        yield* DbLimit.acquire(2)
        // Another part of the application, same layer: the same semaphore.
        expect(yield* DbLimit.available).toBe(1)
        expect(yield* DbLimit.tryAcquire(2)).toBe(false)
        expect(yield* DbLimit.tryAcquire(1)).toBe(true)
        const waiter = yield* Effect.forkChild(DbLimit.acquire(1))
        yield* settle
        expect(yield* Semaphore.blocked(sem)).toMatchObject([
          { primitive: "Semaphore", name: "app/DbLimit", op: "acquire(1)" }
        ])
        yield* DbLimit.release(3)
        yield* Fiber.join(waiter)
        yield* DbLimit.release(1)
        expect(yield* DbLimit.available).toBe(3)
        // A different service class is a different semaphore.
        expect(yield* ApiLimit.available).toBe(7)
        expect((yield* ApiLimit).name).toBe("app/ApiLimit")
      })
      yield* program.pipe(Effect.provide(Layer.mergeAll(DbLimit.layer(3), ApiLimit.layer(7))))
    })
  )

  it.effect("the size can come from configuration; a bad size fails the layer with a typed error", () =>
    Effect.gen(function* () {
      const fromConfig = DbLimit.layer(Config.Int("DB_CONCURRENCY"))
      const size = yield* DbLimit.available.pipe(
        Effect.provide(fromConfig),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DB_CONCURRENCY: 4 })))
      )
      expect(size).toBe(4)
      const negative = yield* Effect.flip(
        DbLimit.available.pipe(
          Effect.provide(fromConfig),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DB_CONCURRENCY: -1 })))
        )
      )
      expect(negative).toBeInstanceOf(Semaphore.InvalidPermitsError)
      expect(yield* Effect.flip(DbLimit.available.pipe(Effect.provide(DbLimit.layer(1.5))))).toMatchObject({
        _tag: "InvalidPermitsError",
        op: "make",
        permits: 1.5
      })
    })
  )

  it.effect("a size that is neither a number nor an Effect (through a cast) fails the layer saying what it got", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(DbLimit.available.pipe(Effect.provide(DbLimit.layer("3" as any))))
      expect(error).toMatchObject({ _tag: "InvalidPermitsError", op: "make", permits: "3" })
      expect(error.message).toBe(
        'semaphore: make("3"): the permit count must be a non-negative safe integer, not a string'
      )
    })
  )

  it.effect("accessors fail with the same typed errors as the functions", () =>
    Effect.gen(function* () {
      const errors = yield* Effect.all([
        Effect.flip(DbLimit.acquire(3)),
        Effect.flip(DbLimit.withPermits(-1)(Effect.void)),
        Effect.flip(DbLimit.release(Number.NaN))
      ]).pipe(Effect.provide(DbLimit.layer(2)))
      expect(errors.map((e) => e._tag)).toEqual([
        "PermitsExceedSizeError",
        "InvalidPermitsError",
        "InvalidPermitsError"
      ])
    })
  )

  it.effect("types: accessors require the service; the layer provides it", () =>
    Effect.gen(function* () {
      expectTypeOf(DbLimit.withPermits(1)(Effect.succeed(1))).toEqualTypeOf<
        Effect.Effect<number, Semaphore.InvalidPermitsError | Semaphore.PermitsExceedSizeError, DbLimit>
      >()
      expectTypeOf(DbLimit.layer(10)).toEqualTypeOf<Layer.Layer<DbLimit, Semaphore.InvalidPermitsError>>()
      expectTypeOf(DbLimit.layer(Config.Int("N"))).toEqualTypeOf<
        Layer.Layer<DbLimit, Semaphore.InvalidPermitsError | Config.ConfigError>
      >()
      expectTypeOf(DbLimit.available).toEqualTypeOf<Effect.Effect<number, never, DbLimit>>()
      expectTypeOf(DbLimit.key).toEqualTypeOf<"app/DbLimit">()
      // @ts-expect-error a Semaphore service holds a Semaphore
      Layer.succeed(DbLimit, yield* Mutex.make())
    })
  )
})

describe("Service: Mutex.Service", () => {
  it.effect("one lock for the whole application, provided by its layer", () =>
    Effect.gen(function* () {
      let inside = 0
      let overlap = false
      const rewriteConfig = Effect.gen(function* () {
        inside++
        if (inside > 1) overlap = true
        yield* Effect.sleep("1 millis")
        inside--
      }).pipe(ConfigLock.withLock)
      const fiber = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 5 }), () => rewriteConfig, {
          concurrency: "unbounded",
          discard: true
        }).pipe(Effect.provide(ConfigLock.layer))
      )
      yield* settle
      yield* TestClock.adjust("5 millis")
      yield* Fiber.join(fiber)
      expect(overlap).toBe(false)
      expect(inside).toBe(0)
    })
  )

  it.effect("swapped in a test: the test holds the lock and releases the program when it wants", () =>
    Effect.gen(function* () {
      const mu = yield* Mutex.make({ name: "test-lock" })
      yield* Mutex.lock(mu)
      let wrote = false
      const program = yield* Effect.forkChild(
        Effect.sync(() => (wrote = true)).pipe(ConfigLock.withLock, Effect.provide(Layer.succeed(ConfigLock, mu)))
      )
      yield* settle
      expect(wrote).toBe(false)
      expect((yield* Mutex.blocked(mu)).map((b) => b.name)).toEqual(["test-lock"])
      yield* Mutex.unlock(mu)
      yield* Fiber.join(program)
      expect(wrote).toBe(true)
      expect(yield* Mutex.isLocked(mu)).toBe(false)
    })
  )

  it.effect("accessors: lock, tryLock, unlock, and the name is the service key", () =>
    Effect.gen(function* () {
      const program = Effect.gen(function* () {
        expect((yield* ConfigLock).name).toBe("app/ConfigLock")
        yield* ConfigLock.lock
        expect(yield* ConfigLock.tryLock).toBe(false)
        yield* ConfigLock.unlock
        expect(yield* ConfigLock.tryLock).toBe(true)
        yield* ConfigLock.unlock
        return yield* Mutex.isLocked(yield* ConfigLock)
      })
      expect(yield* program.pipe(Effect.provide(ConfigLock.layer))).toBe(false)
      expectTypeOf(ConfigLock.withLock(Effect.succeed(1))).toEqualTypeOf<Effect.Effect<number, never, ConfigLock>>()
      expectTypeOf(ConfigLock.layer).toEqualTypeOf<Layer.Layer<ConfigLock>>()
    })
  )
})

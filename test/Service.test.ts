import { describe, expect, expectTypeOf } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import * as Mutex from "../src/Mutex.ts"
import * as Semaphore from "../src/Semaphore.ts"
import { defectOf } from "./utils/exits.ts"
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

  it.effect("the size can come from configuration; a bad configured size fails the layer with a ConfigError", () =>
    Effect.gen(function* () {
      const withConfig = (value: unknown) =>
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DB_CONCURRENCY: value })))
      const fromConfig = DbLimit.layer(Config.Int("DB_CONCURRENCY"))
      expect(yield* DbLimit.available.pipe(Effect.provide(fromConfig), withConfig(4))).toBe(4)
      // A value the config itself reads but no semaphore can have: a ConfigError saying what was wrong.
      for (const bad of [-1, -100]) {
        const error = yield* Effect.flip(DbLimit.available.pipe(Effect.provide(fromConfig), withConfig(bad)))
        expect(error).toBeInstanceOf(Config.ConfigError)
        expect(error.message).toBe(
          `SchemaError(semaphore: make(${bad}): the permit count must be a non-negative safe integer (the configured size of app/DbLimit))`
        )
      }
      // A value the config rejects: its own ConfigError, naming the key.
      const notInt = yield* Effect.flip(DbLimit.available.pipe(Effect.provide(fromConfig), withConfig(1.5)))
      expect(notInt).toBeInstanceOf(Config.ConfigError)
      expect(notInt.message).toContain("DB_CONCURRENCY")
      // Still a Config after Config.map: checked the same way.
      const doubled = DbLimit.layer(Config.Int("DB_CONCURRENCY").pipe(Config.map((n) => n * 2)))
      expect(yield* DbLimit.available.pipe(Effect.provide(doubled), withConfig(3))).toBe(6)
      expect(yield* Effect.flip(DbLimit.available.pipe(Effect.provide(doubled), withConfig(-3)))).toBeInstanceOf(
        Config.ConfigError
      )
    })
  )

  it.effect("a bad literal size is a defect of the layer, InvalidPermitsError, with what was given", () =>
    Effect.gen(function* () {
      for (const bad of [1.5, -1, Number.NaN]) {
        const defect = defectOf(yield* Effect.exit(DbLimit.available.pipe(Effect.provide(DbLimit.layer(bad)))))
        expect(defect).toBeInstanceOf(Semaphore.InvalidPermitsError)
        expect(defect).toMatchObject({ _tag: "InvalidPermitsError", op: "make", permits: bad })
      }
      // Building the layer throws nothing: the defect comes when it is built.
      expect(() => DbLimit.layer(-1)).not.toThrow()
    })
  )

  it.effect("a size from another Effect: its failure is the layer's; a bad size it produces is a defect", () =>
    Effect.gen(function* () {
      const fromEffect = (size: Effect.Effect<number, "unavailable">) =>
        Effect.exit(DbLimit.available.pipe(Effect.provide(DbLimit.layer(size))))
      expect(yield* fromEffect(Effect.succeed(5))).toEqual(Exit.succeed(5))
      expect(yield* fromEffect(Effect.fail("unavailable"))).toEqual(Exit.fail("unavailable"))
      expect(defectOf(yield* fromEffect(Effect.succeed(-2)))).toMatchObject({
        _tag: "InvalidPermitsError",
        op: "make",
        permits: -2
      })
    })
  )

  it.effect("a size that is neither a number nor an Effect (through a cast) is a defect saying what it got", () =>
    Effect.gen(function* () {
      const error = defectOf(yield* Effect.exit(DbLimit.available.pipe(Effect.provide(DbLimit.layer("3" as any)))))
      expect(error).toMatchObject({ _tag: "InvalidPermitsError", op: "make", permits: "3" })
      expect((error as Error).message).toBe(
        'semaphore: make("3"): the permit count must be a non-negative safe integer, not a string'
      )
      // A Config of something else than a number, through a cast: a ConfigError saying what it got.
      const notANumber = yield* Effect.flip(
        DbLimit.available.pipe(
          Effect.provide(DbLimit.layer(Config.String("N") as any as Config.Config<number>)),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ N: "ten" })))
        )
      )
      expect(notANumber.message).toBe(
        'SchemaError(semaphore: make("ten"): the permit count must be a non-negative safe integer, not a string (the configured size of app/DbLimit))'
      )
    })
  )

  it.effect("accessors die with the same defects as the functions", () =>
    Effect.gen(function* () {
      let ran = false
      const exits = yield* Effect.all([
        Effect.exit(DbLimit.acquire(3)),
        Effect.exit(DbLimit.tryAcquire(3)),
        Effect.exit(DbLimit.withPermits(-1)(Effect.sync(() => (ran = true)))),
        Effect.exit(DbLimit.release(Number.NaN)),
        Effect.exit(DbLimit.release(1))
      ]).pipe(Effect.provide(DbLimit.layer(2)))
      expect(exits.map((exit) => (defectOf(exit) as { _tag: string } | undefined)?._tag)).toEqual([
        "PermitsExceedSizeError",
        "PermitsExceedSizeError",
        "InvalidPermitsError",
        "InvalidPermitsError",
        "ReleasedMoreThanHeldError"
      ])
      expect(ran).toBe(false)
    })
  )

  it.effect("an accessor run without the service's layer dies as yielding the key does, and runs nothing", () =>
    Effect.gen(function* () {
      let ran = false
      // Cast: the types require the service, and this checks the run when it is missing.
      const unprovided = (effect: Effect.Effect<unknown, unknown, DbLimit>) =>
        Effect.exit(effect as Effect.Effect<unknown, unknown>)
      const exits = [
        yield* unprovided(DbLimit.withPermits(1)(Effect.sync(() => (ran = true)))),
        yield* unprovided(DbLimit.acquire(1)),
        yield* unprovided(DbLimit)
      ]
      for (const exit of exits) expect(String(defectOf(exit))).toBe("Error: Service not found: app/DbLimit")
      expect(ran).toBe(false)
    })
  )

  it.effect("types: accessors require the service and have no typed error; the layer provides it", () =>
    Effect.gen(function* () {
      const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
      expectTypeOf(DbLimit.withPermits(1)(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R" | DbLimit>>()
      expectTypeOf(DbLimit.withPermits(1)(Effect.succeed(1))).toEqualTypeOf<Effect.Effect<number, never, DbLimit>>()
      expectTypeOf(typed.pipe(DbLimit.withPermits(1))).toEqualTypeOf<Effect.Effect<number, "e", "R" | DbLimit>>()
      expectTypeOf(DbLimit.acquire(1)).toEqualTypeOf<Effect.Effect<void, never, DbLimit>>()
      expectTypeOf(DbLimit.tryAcquire(1)).toEqualTypeOf<Effect.Effect<boolean, never, DbLimit>>()
      expectTypeOf(DbLimit.release(1)).toEqualTypeOf<Effect.Effect<void, never, DbLimit>>()
      expectTypeOf(DbLimit.available).toEqualTypeOf<Effect.Effect<number, never, DbLimit>>()
      expectTypeOf(DbLimit.layer(10)).toEqualTypeOf<Layer.Layer<DbLimit>>()
      expectTypeOf(DbLimit.layer(Config.Int("N"))).toEqualTypeOf<Layer.Layer<DbLimit, Config.ConfigError>>()
      expectTypeOf(DbLimit.layer(Effect.succeed(1) as Effect.Effect<number, "e", "R">)).toEqualTypeOf<
        Layer.Layer<DbLimit, "e", "R">
      >()
      expectTypeOf(DbLimit.key).toEqualTypeOf<"app/DbLimit">()
      expectTypeOf(Semaphore.Service<DbLimit>()("app/DbLimit")).toEqualTypeOf<
        Semaphore.SemaphoreService<DbLimit, "app/DbLimit">
      >()
      // @ts-expect-error a Semaphore service holds a Semaphore
      Layer.succeed(DbLimit, yield* Mutex.make())
      // @ts-expect-error the size is a number
      DbLimit.layer(Config.String("N"))
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
    })
  )

  it.effect("types: the layer cannot fail; accessors require the service and keep the effect's types", () =>
    Effect.gen(function* () {
      const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
      expectTypeOf(ConfigLock.withLock(Effect.succeed(1))).toEqualTypeOf<Effect.Effect<number, never, ConfigLock>>()
      expectTypeOf(ConfigLock.withLock(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R" | ConfigLock>>()
      expectTypeOf(typed.pipe(ConfigLock.withLock)).toEqualTypeOf<Effect.Effect<number, "e", "R" | ConfigLock>>()
      expectTypeOf(ConfigLock.layer).toEqualTypeOf<Layer.Layer<ConfigLock>>()
      expectTypeOf(ConfigLock.lock).toEqualTypeOf<Effect.Effect<void, never, ConfigLock>>()
      expectTypeOf(ConfigLock.unlock).toEqualTypeOf<Effect.Effect<void, never, ConfigLock>>()
      expectTypeOf(ConfigLock.tryLock).toEqualTypeOf<Effect.Effect<boolean, never, ConfigLock>>()
      expectTypeOf(ConfigLock.key).toEqualTypeOf<"app/ConfigLock">()
      expectTypeOf(Mutex.Service<ConfigLock>()("app/ConfigLock")).toEqualTypeOf<
        Mutex.MutexService<ConfigLock, "app/ConfigLock">
      >()
      // @ts-expect-error a Mutex service holds a Mutex
      Layer.succeed(ConfigLock, yield* Semaphore.make(1))
    })
  )
})

import { expect, expectTypeOf } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Metric, Schedule } from "effect"
import { Redis, type RedisError } from "effect/persistence/Redis"
import { Diagnostics, Mutex, RedisSync, Semaphore, Telemetry } from "../src/index.ts"
import * as Scripts from "../src/internal/redis/scripts.ts"
import { RedisSemaphore, start } from "../src/internal/redis/semaphore.ts"
import { underEveryBudget } from "./utils/budgets.ts"
import { it } from "./utils/leak.ts"
import { describeRedis, freshName, redisLayer, useRedis, withRedisOn } from "./utils/redis.ts"

describeRedis("RedisSync: Semaphore and Mutex on Redis", () => {
  const server = useRedis()
  const fresh = freshName
  /** Runs `body` with Redis provided; every test uses fresh names, and a short lease so that grace periods are short. */
  const withRedis = withRedisOn(server)
  // Long enough that a loaded machine does not lose a renewal (a third of it), short enough to wait out the grace.
  const lease = "1 second"
  /** Waits out the grace a new name starts with (one lease). */
  const pastGrace = Effect.sleep("1050 millis")
  /** A fiber inside `withPermits` of a fresh Semaphore(1), for good, once it holds. */
  const holdingForever = Effect.gen(function* () {
    const name = fresh("sem")
    const sem = yield* RedisSync.semaphore(name, 1, { lease })
    yield* pastGrace
    const started = yield* Deferred.make<void>()
    const holder = yield* Effect.forkChild(
      Semaphore.withPermits(sem, 1)(Effect.andThen(Deferred.succeed(started, undefined), Effect.never))
    )
    yield* Deferred.await(started)
    return { name, holder }
  })

  it.live("two processes' semaphores with one name share its permits, FIFO, with growing fencing tokens", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("sem")
        const a = yield* RedisSync.semaphore(name, 2, { lease })
        const b = yield* RedisSync.semaphore(name, 2, { lease })
        yield* pastGrace
        yield* Semaphore.acquire(a, 2)
        expect(yield* Semaphore.available(b)).toBe(0)
        expect(yield* Semaphore.tryAcquire(b, 1)).toBe(false)
        const order: Array<string> = []
        const tokens: Array<number | undefined> = []
        // Records who ran, and under which fencing token.
        const record = (who: string) =>
          Effect.flatMap(RedisSync.FencingToken, (t) =>
            Effect.sync(() => {
              order.push(who)
              tokens.push(t)
            })
          )
        // b asks for 2 first, then a for 1: the 1 must not overtake the 2 (no barging).
        const big = yield* Effect.forkChild(Semaphore.withPermits(b, 2)(record("b2")))
        yield* Effect.sleep("50 millis")
        const small = yield* Effect.forkChild(Semaphore.withPermits(a, 1)(record("a1")))
        yield* Effect.sleep("50 millis")
        yield* Semaphore.release(a, 1)
        yield* Effect.sleep("50 millis")
        expect(order).toEqual([])
        yield* Semaphore.release(a, 1)
        yield* Fiber.join(big)
        yield* Fiber.join(small)
        expect(order).toEqual(["b2", "a1"])
        expect(tokens[0]).toBeTypeOf("number")
        expect(tokens[1]).toBeGreaterThan(tokens[0]!)
        expect(yield* Semaphore.available(a)).toBe(2)
      })
    )
  )

  it.live("an interrupted waiter leaves the Redis queue, and a grant it never saw goes back", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("sem")
        const a = yield* RedisSync.semaphore(name, 1, { lease })
        const b = yield* RedisSync.semaphore(name, 1, { lease })
        yield* pastGrace
        yield* Semaphore.acquire(a, 1)
        const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(Semaphore.acquire(b, 1)))
        yield* Effect.sleep("50 millis")
        expect((yield* Semaphore.blocked(b)).length).toBe(3)
        yield* Effect.forEach(waiters, Fiber.interrupt)
        expect((yield* Semaphore.blocked(b)).length).toBe(0)
        const queue = yield* Effect.promise(() => server().command("ZCARD", `effect-go:semaphore:{${name}}:queue`))
        expect(queue).toBe(0)
        yield* Semaphore.release(a, 1)
        expect(yield* Semaphore.available(b)).toBe(1)
      })
    )
  )

  it.live("a Mutex service swaps onto Redis with one layer; withLock excludes across processes", () => {
    class Lock extends Mutex.Service<Lock, RedisSync.RedisSyncError>()("test/Lock") {}
    const name = fresh("mu")
    const run = Effect.gen(function* () {
      let inside = 0
      let most = 0
      const critical = Effect.gen(function* () {
        inside++
        most = Math.max(most, inside)
        yield* Effect.sleep("2 millis")
        inside--
      })
      yield* Effect.forEach(Array.from({ length: 20 }), () => Lock.withLock(critical), { concurrency: "unbounded" })
      return most
    })
    const layer = () =>
      RedisSync.layerMutex(Lock, { name, lease }).pipe(Layer.provide(redisLayer(server().url)), Layer.fresh)
    return Effect.gen(function* () {
      // Warm the name past its grace with one client.
      yield* Effect.provide(Effect.andThen(pastGrace, Lock.tryLock), layer()).pipe(Effect.flatMap(() => Effect.void))
      const [one, two] = yield* Effect.all([Effect.provide(run, layer()), Effect.provide(run, layer())], {
        concurrency: 2
      })
      expect(one).toBe(1)
      expect(two).toBe(1)
    })
  })

  it.live("the blocked-fiber dump shows this process's Redis waiters and holders; Mutex.blocked agrees", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("mu")
        const mu = yield* RedisSync.mutex(name, { lease })
        yield* pastGrace
        const held = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(
          Mutex.withLock(mu)(Effect.andThen(Deferred.succeed(held, undefined), Effect.never))
        )
        yield* Deferred.await(held)
        const waiter = yield* Effect.forkChild(Mutex.lock(mu))
        yield* Effect.sleep("50 millis")
        expect((yield* Mutex.blocked(mu)).map((b) => [b.op, b.fiberId])).toEqual([["lock", waiter.id]])
        const dump = yield* Diagnostics.dump
        const mine = dump.primitives.find((p) => p.name === name)
        expect(mine?.kind).toBe("Mutex (Redis)")
        expect(mine?.blocked.map((b) => b.fiber.id)).toEqual([waiter.id])
        expect(mine?.heldBy.map((h) => h.fiber.id)).toEqual([holder.id])
        expect(Diagnostics.format(dump)).toContain(`Mutex (Redis) "${name}"`)
        yield* Fiber.interrupt(waiter)
        yield* Fiber.interrupt(holder)
        expect(yield* Mutex.blocked(mu)).toEqual([])
        expect(yield* Mutex.isLocked(mu)).toBe(false)
      })
    )
  )

  it.live("under a Telemetry layer, a wait for a Redis grant is one sample of the wait-time histogram", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("mu")
        const a = yield* RedisSync.mutex(name, { lease })
        const b = yield* RedisSync.mutex(name, { lease })
        yield* pastGrace
        yield* Mutex.lock(a)
        const waiter = yield* Effect.forkChild(Mutex.withLock(b)(Effect.void))
        yield* Effect.sleep("30 millis")
        yield* Mutex.unlock(a)
        yield* Fiber.join(waiter)
        const series = (yield* Metric.snapshot).find(
          (m) =>
            m.id === Telemetry.waitDuration &&
            m.type === "Histogram" &&
            m.attributes?.[Telemetry.attributes.kind] === "Mutex (Redis)" &&
            m.attributes?.[Telemetry.attributes.name] === name
        ) as Extract<Metric.Metric.Snapshot, { type: "Histogram" }> | undefined
        expect(series?.state.count).toBe(1)
        expect(series?.state.sum).toBeGreaterThanOrEqual(0.025)
      }).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))
    )
  )

  it.live("a holder whose lease is gone from Redis is interrupted and withPermits fails with LeaseLostError", () =>
    withRedis(
      Effect.gen(function* () {
        const { name, holder } = yield* holdingForever
        yield* Effect.promise(() => server().command("DEL", `effect-go:semaphore:{${name}}:held`))
        const exit = yield* Fiber.await(holder)
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "LeaseLostError" })
      })
    )
  )

  it.live("Redis unreachable while holding: the holder fails with LeaseLostError before its lease could lapse", () =>
    withRedis(
      Effect.gen(function* () {
        const { holder } = yield* holdingForever
        const killedAt = performance.now()
        yield* Effect.promise(() => server().kill())
        const exit = yield* Fiber.await(holder)
        const after = performance.now() - killedAt
        yield* Effect.promise(() => server().start())
        // Wait for the client to be back before the scope closes it.
        yield* Effect.flatMap(Redis, (redis) => redis.send("PING")).pipe(
          Effect.retry({ times: 50, schedule: Schedule.spaced("100 millis") })
        )
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "LeaseLostError" })
        // Given up when two thirds of the 1 s lease passed unconfirmed (checked every third): before it
        // could lapse, and without waiting for a give-back Redis cannot take.
        expect(after).toBeLessThan(1000)
      })
    )
  )

  it.live("a renewal answered after its waiter was granted by a message does not take the grant back", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("sem")
        const redis = yield* Redis
        // Renewals are answered 150 ms after Redis ran them: a grant's message overtakes the answer.
        const slow: Redis["Service"] = {
          ...redis,
          eval: (script) =>
            (script as unknown) === Scripts.renew
              ? (...params) => Effect.tap(redis.eval(script)(...params), () => Effect.sleep("150 millis"))
              : redis.eval(script)
        }
        const options = { name, size: 1, leaseMs: 900, base: `effect-go:semaphore:{${name}}` }
        const holder = new RedisSemaphore(yield* start({ ...options, redis, primitive: "Semaphore" }))
        const engine = yield* start({ ...options, redis: slow, primitive: "Semaphore" })
        const waiter = new RedisSemaphore(engine)
        yield* Effect.sleep("950 millis")
        yield* Semaphore.acquire(holder, 1)
        const held = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Semaphore.withPermits(
            waiter,
            1
          )(Effect.andThen(Deferred.succeed(held, undefined), Effect.sleep("400 millis")))
        )
        yield* Effect.sleep("50 millis")
        // The renewal runs now (the ticket waits), the release grants it, then the renewal's answer arrives.
        const renewal = yield* Effect.forkChild(engine.renewOnce())
        yield* Effect.sleep("20 millis")
        yield* Semaphore.release(holder, 1)
        yield* Deferred.await(held)
        yield* Fiber.join(renewal)
        expect(Exit.isSuccess(yield* Fiber.await(fiber))).toBe(true)
      })
    )
  )

  it.live(
    "under every op budget: releases at once give back distinct permits, and interrupted acquires leave nothing held",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("sem")
          const sem = yield* RedisSync.semaphore(name, 2, { lease })
          yield* pastGrace
          yield* underEveryBudget(() =>
            Effect.gen(function* () {
              yield* Semaphore.acquire(sem, 1)
              yield* Semaphore.acquire(sem, 1)
              // Two releases in flight together: each must pick its own permit.
              yield* Effect.all([Semaphore.release(sem, 1), Semaphore.release(sem, 1)], { concurrency: 2 })
              // Acquires interrupted at once, as their grants land, or not at all.
              const fibers = yield* Effect.forEach([0, 1, 2], () =>
                Effect.forkChild(
                  Effect.uninterruptibleMask((restore) =>
                    Effect.andThen(restore(Semaphore.acquire(sem, 1)), Semaphore.release(sem, 1))
                  )
                )
              )
              yield* Effect.yieldNow
              yield* Fiber.interrupt(fibers[1]!)
              yield* Effect.forEach(fibers, Fiber.await)
            })
          )
          expect(yield* Semaphore.available(sem)).toBe(2)
          expect((sem as RedisSemaphore).engine.holding.size).toBe(0)
        })
      ),
    60_000
  )

  it.live("bad arguments are defects naming what was given and what is wanted", () =>
    withRedis(
      Effect.gen(function* () {
        const bad = yield* Effect.exit(RedisSync.semaphore("x", -1))
        expect(String(Cause.squash((bad as Exit.Failure<unknown, unknown>).cause))).toContain("-1")
        const noName = yield* Effect.exit(RedisSync.mutex(""))
        expect(String(Cause.squash((noName as Exit.Failure<unknown, unknown>).cause))).toContain("non-empty string")
        const badLease = yield* Effect.exit(RedisSync.mutex("y", { lease: -5 }))
        expect(Exit.isFailure(badLease) && Cause.hasDies(badLease.cause)).toBe(true)
        const notOptions = yield* Effect.exit(RedisSync.mutex("y", 5 as never))
        expect(String(Cause.squash((notOptions as Exit.Failure<unknown, unknown>).cause))).toContain(
          "options { prefix?, lease? }"
        )
        const name = fresh("sem")
        yield* RedisSync.semaphore(name, 3, { lease })
        const other = yield* Effect.exit(RedisSync.semaphore(name, 4, { lease }))
        expect(String(Cause.squash((other as Exit.Failure<unknown, unknown>).cause))).toContain("has size 3 in Redis")
      })
    )
  )

  it("types: a service declared with RedisSyncError takes both layers; one declared without cannot be put on Redis", () => {
    class Dist extends Semaphore.Service<Dist, RedisSync.RedisSyncError>()("types/Dist") {}
    class Plain extends Semaphore.Service<Plain>()("types/Plain") {}
    class DistLock extends Mutex.Service<DistLock, RedisSync.RedisSyncError>()("types/DistLock") {}
    class PlainLock extends Mutex.Service<PlainLock>()("types/PlainLock") {}
    expectTypeOf(Dist.layer(10)).toEqualTypeOf<Layer.Layer<Dist>>()
    expectTypeOf(RedisSync.layerSemaphore(Dist, 10)).toEqualTypeOf<Layer.Layer<Dist, RedisError, Redis>>()
    expectTypeOf(RedisSync.layerMutex(DistLock)).toEqualTypeOf<Layer.Layer<DistLock, RedisError, Redis>>()
    // @ts-expect-error: Plain's operations cannot fail, so it cannot be kept in Redis
    RedisSync.layerSemaphore(Plain, 10)
    // @ts-expect-error: likewise for a Mutex
    RedisSync.layerMutex(PlainLock)
    const typed = Effect.succeed(1) as Effect.Effect<number, "e", "R">
    expectTypeOf(Dist.withPermits(1)(typed)).toEqualTypeOf<
      Effect.Effect<number, "e" | RedisSync.RedisSyncError, "R" | Dist>
    >()
    expectTypeOf(Plain.withPermits(1)(typed)).toEqualTypeOf<Effect.Effect<number, "e", "R" | Plain>>()
    expectTypeOf(DistLock.lock).toEqualTypeOf<Effect.Effect<void, RedisSync.RedisSyncError, DistLock>>()
    const sem = {} as Semaphore.Semaphore<RedisSync.RedisSyncError>
    expectTypeOf(Semaphore.acquire(sem, 1)).toEqualTypeOf<Effect.Effect<void, RedisSync.RedisSyncError>>()
    expectTypeOf(Semaphore.withPermits(typed, sem, 1)).toEqualTypeOf<
      Effect.Effect<number, "e" | RedisSync.RedisSyncError, "R">
    >()
    // An in-memory Semaphore is a Semaphore of any error, not the other way round.
    const memory = {} as Semaphore.Semaphore
    expectTypeOf(memory).toExtend<Semaphore.Semaphore<RedisSync.RedisSyncError>>()
    expectTypeOf(sem).not.toExtend<Semaphore.Semaphore>()
  })
})

/**
 * Rate limiters kept in Redis (src/internal/redis/rate.ts), against a real
 * redis-server: Go's semantics as in test/Rate.test.ts, now shared by every
 * limiter made with one name, across fibers and across processes
 * (test/fixtures/rate/wait.ts). Time is Redis' (`TIME`), so these tests run
 * on the live clock, with limits slow enough (or margins wide enough) that
 * scheduling does not change their outcome.
 */
import { expect, expectTypeOf } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type { Redis, RedisError } from "effect/persistence/Redis"
import type * as Scope from "effect/Scope"
import { CopiedPrimitiveError, InvalidArgumentError } from "../src/internal/copied.ts"
import type { RedisSyncError } from "../src/internal/redis/common.ts"
import { layerLimiter, limiter as makeLimiter } from "../src/RedisSync.ts"
import * as Rate from "../src/Rate.ts"
import { defectOf, isInterruptedOnly } from "./utils/exits.ts"
import { it } from "./utils/leak.ts"
import { spawnNode } from "./utils/processes.ts"
import { describeRedis, freshName, redisLayer, useRedis, withRedisOn } from "./utils/redis.ts"

/** Prints a measured figure (kept in the test output). */
const report = (what: string, value: unknown) => {
  process.stdout.write(`[RateRedis] ${what}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`)
}

const hourly = Rate.every("1 hour")

describeRedis("Rate on Redis", () => {
  const server = useRedis()
  const fresh = freshName
  const withRedis = withRedisOn(server)

  it.live("two limiters with one name share one bucket: allow, tokens, a burst above which allowN says false", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lim")
        const a = yield* makeLimiter(name, { limit: hourly, burst: 3 })
        const b = yield* makeLimiter(name, { limit: hourly, burst: 3 })
        expect(yield* Rate.tokens(b)).toBe(3)
        expect(yield* Rate.allow(a)).toBe(true)
        expect(yield* Rate.allowN(b, 2)).toBe(true)
        expect(yield* Rate.allow(a)).toBe(false)
        expect(yield* Rate.allowN(b, 4)).toBe(false) // above the burst
        expect(yield* Rate.tokens(a)).toBeCloseTo(0, 2)
        expect([yield* Rate.limit(b), yield* Rate.burst(b)]).toEqual([hourly, 3])
        expect(yield* Rate.allowN(a, 0)).toBe(true)
        // A spread copy is refused as one, as an in-memory limiter's is.
        const copy = { ...a } as Rate.Limiter<RedisError>
        expect(defectOf(yield* Effect.exit(Rate.allow(copy)))).toBeInstanceOf(CopiedPrimitiveError)
      })
    )
  )

  it.live(
    "reserve books across processes; cancel gives back the last booking's tokens, once; a booking above the burst is not ok",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("lim")
          const a = yield* makeLimiter(name, { limit: 10, burst: 2 })
          const b = yield* makeLimiter(name, { limit: 10, burst: 2 })
          expect(yield* Rate.allowN(a, 2)).toBe(true)
          const r = yield* Rate.reserveN(b, 2)
          expect(r.ok).toBe(true)
          const delay = Duration.toMillis(yield* r.delay)
          expect(delay).toBeGreaterThan(150)
          expect(delay).toBeLessThanOrEqual(200)
          expect(yield* Rate.tokens(a)).toBeLessThan(-1.5)
          yield* r.cancel
          const back = yield* Rate.tokens(a)
          expect(back).toBeGreaterThan(-0.5)
          expect(back).toBeLessThan(1)
          yield* r.cancel // once
          expect(yield* Rate.tokens(a)).toBeLessThan(back + 0.5)
          const tooBig = yield* Rate.reserveN(a, 3)
          expect(tooBig.ok).toBe(false)
          expect(Duration.equals(yield* tooBig.delay, Duration.infinity)).toBe(true)
          yield* tooBig.cancel
          expect(inspectOf(r)).toContain("Reservation")
        })
      )
  )

  it.live("a booking made after another keeps the tokens the first gives back (Go's CancelAt)", () =>
    withRedis(
      Effect.gen(function* () {
        const lim = yield* makeLimiter(fresh("lim"), { limit: hourly, burst: 1 })
        yield* Rate.allow(lim)
        const first = yield* Rate.reserve(lim)
        const second = yield* Rate.reserve(lim)
        expect(yield* Rate.tokens(lim)).toBeCloseTo(-2, 2)
        yield* first.cancel
        expect(yield* Rate.tokens(lim)).toBeCloseTo(-2, 2)
        yield* second.cancel
        expect(yield* Rate.tokens(lim)).toBeCloseTo(-1, 2)
      })
    )
  )

  it.live("wait waits for its token, in Redis' time, across limiters", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lim")
        const a = yield* makeLimiter(name, { limit: 20, burst: 1 })
        const b = yield* makeLimiter(name, { limit: 20, burst: 1 })
        yield* Rate.wait(a) // the bucket's token
        const start = Date.now()
        yield* Rate.wait(b)
        yield* Rate.wait(a)
        const took = Date.now() - start
        report("two waits at 20/s took (ms)", took)
        expect(took).toBeGreaterThanOrEqual(90)
        expect(took).toBeLessThan(400)
      })
    )
  )

  it.live("waitN above the burst is a defect with Go's message; an infinite limit ignores the burst", () =>
    withRedis(
      Effect.gen(function* () {
        const lim = yield* makeLimiter(fresh("lim"), { limit: 10, burst: 3 })
        const defect = defectOf(yield* Effect.exit(Rate.waitN(lim, 4)))
        expect(defect).toBeInstanceOf(Rate.WaitExceedsBurstError)
        expect((defect as Error).message).toBe("rate: Wait(n=4) exceeds limiter's burst 3")
        expect(yield* Rate.tokens(lim)).toBeCloseTo(3, 2) // it took nothing
        const free = yield* makeLimiter(fresh("lim"), { limit: Rate.inf, burst: 0 })
        yield* Rate.waitN(free, 1000)
        expect(yield* Rate.allowN(free, 1_000_000)).toBe(true)
        expect(yield* Rate.limit(free)).toBe(Rate.inf)
      })
    )
  )

  it.live("an interrupted wait leaves the tokens as they were", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lim")
        const lim = yield* makeLimiter(name, { limit: hourly, burst: 1 })
        const other = yield* makeLimiter(name, { limit: hourly, burst: 1 })
        expect(yield* Rate.allow(lim)).toBe(true)
        const before = yield* Rate.tokens(lim)
        const waiter = yield* Effect.forkChild(Rate.wait(lim))
        yield* Effect.sleep("50 millis")
        expect(yield* Rate.tokens(other)).toBeCloseTo(before - 1, 2) // booked
        yield* Fiber.interrupt(waiter)
        expect(isInterruptedOnly(yield* Fiber.await(waiter))).toBe(true)
        expect(yield* Rate.tokens(other)).toBeCloseTo(before, 2)
      })
    )
  )

  it.live(
    "a wait, allow or reserve interrupted at any moment of its round trip takes a token only if its caller saw it",
    () =>
      withRedis(
        Effect.gen(function* () {
          const runs: Array<string> = []
          for (let i = 0; i < 30; i++) {
            const lim = yield* makeLimiter(fresh("lim"), { limit: hourly, burst: 1 })
            let returned = false
            const op =
              i % 3 === 0
                ? Effect.map(Rate.wait(lim), () => {
                    returned = true
                  })
                : i % 3 === 1
                  ? Effect.map(Rate.allow(lim), (ok) => {
                      returned = ok
                    })
                  : Effect.map(Rate.reserve(lim), (r) => {
                      returned = r.ok
                    })
            const victim = yield* Effect.forkChild(op)
            // From at once to well after the reply.
            if (i % 10 > 0) yield* Effect.sleep(Duration.micros(BigInt(100 * (i % 10) ** 2)))
            yield* Fiber.interrupt(victim)
            const taken = 1 - (yield* Rate.tokens(lim))
            runs.push(returned ? "returned" : "interrupted")
            expect({ i, returned, taken: Math.abs(taken - (returned ? 1 : 0)) < 0.01 }).toEqual({
              i,
              returned,
              taken: true
            })
          }
          // Both ways were seen.
          expect(runs).toContain("returned")
          expect(runs).toContain("interrupted")
        })
      )
  )

  it.live("setLimit and setBurst reach every limiter with the name, bringing the bucket up to date first", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lim")
        const a = yield* makeLimiter(name, { limit: hourly, burst: 2 })
        const b = yield* makeLimiter(name, { limit: hourly, burst: 2 })
        yield* Rate.allowN(a, 2)
        yield* Rate.setBurst(b, 5)
        expect(yield* Rate.burst(a)).toBe(5)
        expect(yield* Rate.tokens(a)).toBeCloseTo(0, 2) // kept its tokens
        yield* Rate.setLimit(a, 100)
        expect(yield* Rate.limit(b)).toBe(100)
        yield* Effect.sleep("100 millis")
        expect(yield* Rate.tokens(b)).toBeGreaterThan(5 - 0.01) // refilled at the new limit, capped at the new burst
        expect(yield* Rate.tokens(b)).toBeLessThanOrEqual(5)
      })
    )
  )

  it.live(
    "the settings a limiter is made with are adopted when new; the same settings keep a setLimit made since",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("lim")
          const first = yield* makeLimiter(name, { limit: 10, burst: 2 })
          yield* Rate.setLimit(first, 5)
          const same = yield* makeLimiter(name, { limit: 10, burst: 2 })
          expect(yield* Rate.limit(same)).toBe(5) // a restart with the same settings keeps the change
          const redeployed = yield* makeLimiter(name, { limit: 20, burst: 4 })
          expect([yield* Rate.limit(redeployed), yield* Rate.burst(redeployed)]).toEqual([20, 4])
          expect(yield* Rate.allowN(redeployed, 1)).toBe(true)
          // A limiter still made with the old settings adopts them back: processes sharing a name must agree on them.
          expect(yield* Rate.limit(first)).toBe(10)
        })
      )
  )

  it.live("keys stay under the prefix; a name with Lua and glob metacharacters is a name, not code or a pattern", () =>
    withRedis(
      Effect.gen(function* () {
        const prefix = `p${Date.now()}`
        const name = `a*b'c]]d{e}f"--[[x]]%s\\`
        const a = yield* makeLimiter(name, { limit: hourly, burst: 2, prefix })
        const b = yield* makeLimiter(name, { limit: hourly, burst: 2, prefix })
        const bystander = yield* makeLimiter("a", { limit: hourly, burst: 2, prefix })
        expect(yield* Rate.allow(a)).toBe(true)
        expect(yield* Rate.allow(b)).toBe(true)
        expect(yield* Rate.allow(a)).toBe(false)
        expect(yield* Rate.allowN(bystander, 2)).toBe(true)
        const keys = yield* Effect.promise(() => server().keys(`${prefix}*`))
        expect(keys).toEqual([`${prefix}:rate:{${name}}:state`, `${prefix}:rate:{a}:state`].sort())
        // The default prefix.
        const plain = fresh("plain")
        yield* Rate.allow(yield* makeLimiter(plain, { limit: 1, burst: 1 }))
        expect(yield* Effect.promise(() => server().keys(`*${plain}*`))).toEqual([`effect-go:rate:{${plain}}:state`])
      })
    )
  )

  it.live("a Redis that lost its data starts the bucket again, full, with the limiter's settings", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lim")
        const lim = yield* makeLimiter(name, { limit: hourly, burst: 2 })
        yield* Rate.allowN(lim, 2)
        yield* Effect.promise(() => server().command("DEL", `effect-go:rate:{${name}}:state`))
        expect(yield* Rate.tokens(lim)).toBe(2)
        expect(yield* Rate.allowN(lim, 2)).toBe(true)
      })
    )
  )

  it.live("a bad name, limit, burst or prefix is a defect when the limiter is made", () =>
    withRedis(
      Effect.gen(function* () {
        const cases: ReadonlyArray<readonly [Effect.Effect<unknown, never, Redis | Scope.Scope>, string]> = [
          [
            makeLimiter("", { limit: 1, burst: 1 }),
            'RedisSync.limiter: expected a non-empty string (the name), got the string ""'
          ],
          [
            makeLimiter("x", { limit: -1, burst: 1 }),
            "expected a limit: events per second, a number 0 or more (Rate.inf for no limit), got the number -1"
          ],
          [
            makeLimiter("x", { limit: 1, burst: 0.5 }),
            "expected a burst: a non-negative safe integer, got the number 0.5"
          ],
          [makeLimiter("x", { limit: 1, burst: 1, prefix: "" }), "a non-empty string (the `prefix` option)"],
          [
            makeLimiter("x", undefined as unknown as { limit: number; burst: number }),
            "expected options { limit, burst, prefix? }, got undefined"
          ]
        ]
        for (const [effect, message] of cases) {
          const defect = defectOf(yield* Effect.exit(Effect.scoped(effect)))
          expect(defect).toBeInstanceOf(InvalidArgumentError)
          expect((defect as Error).message).toContain(message)
        }
      })
    )
  )

  it.live("Rate.Service declared with RedisSyncError takes a Redis layer; its accessors fail with RedisError", () =>
    Effect.gen(function* () {
      class ApiLimit extends Rate.Service<ApiLimit, RedisSyncError>()("app/RedisApiLimit") {}
      const name = fresh("svc")
      const live = layerLimiter(ApiLimit, { limit: hourly, burst: 2, name }).pipe(
        Layer.provide(redisLayer(server().url))
      )
      expectTypeOf(ApiLimit.wait).toEqualTypeOf<Effect.Effect<void, RedisSyncError, ApiLimit>>()
      // A limiter holds no lease: declared with RedisError alone, the service takes the Redis layer too.
      class RedisErrorOnly extends Rate.Service<RedisErrorOnly, RedisError>()("app/RedisApiLimitPlain") {}
      expectTypeOf(layerLimiter(RedisErrorOnly, { limit: 1, burst: 1 })).toEqualTypeOf<
        Layer.Layer<RedisErrorOnly, never, Redis>
      >()
      expectTypeOf(RedisErrorOnly.wait).toEqualTypeOf<Effect.Effect<void, RedisError, RedisErrorOnly>>()
      const program = Effect.gen(function* () {
        expect(yield* ApiLimit.allowN(2)).toBe(true)
        expect(yield* ApiLimit.allow).toBe(false)
        const lim = yield* ApiLimit
        expect(lim.name).toBe(name)
        expect(lim.toJSON()).toEqual({ _id: "Limiter", name, store: "redis", key: `effect-go:rate:{${name}}:state` })
      })
      yield* program.pipe(Effect.provide(live))
      // The same service, in memory, for a test.
      expect(yield* ApiLimit.allow.pipe(Effect.provide(ApiLimit.layer({ limit: 1, burst: 1 })))).toBe(true)

      class Plain extends Rate.Service<Plain>()("app/Plain") {}
      // @ts-expect-error a service declared without the error a Redis layer adds
      layerLimiter(Plain, { limit: 1, burst: 1 })
      expectTypeOf(makeLimiter("x", { limit: 1, burst: 1 })).toEqualTypeOf<
        Effect.Effect<Rate.Limiter<RedisError>, never, Redis | Scope.Scope>
      >()
    })
  )

  it.live("a Redis that cannot be reached fails the operation with RedisError, a typed error", () =>
    Effect.gen(function* () {
      // A layer to a port nobody listens on fails when it is built; a limiter
      // whose Redis goes away fails its calls instead.
      const name = fresh("lim")
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const lim = yield* makeLimiter(name, { limit: 1, burst: 1 })
            yield* Effect.promise(() => server().stop())
            return yield* Rate.allow(lim).pipe(Effect.timeout("3 seconds"))
          })
        ).pipe(Effect.provide(redisLayer(server().url, { socket: { reconnectStrategy: false } })))
      )
      yield* Effect.promise(() => server().start())
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = Cause.findErrorOption(exit.cause)
        expect(error._tag === "Some" ? (error.value as { _tag: string })._tag : Cause.pretty(exit.cause)).toBe(
          "RedisError"
        )
      }
    })
  )

  it.live(
    "3 processes of 4 fibers waiting for 10 s hold the rate within 1%, and are never ahead of the bucket",
    () =>
      Effect.promise(async () => {
        const limit = 200
        const burst = 10
        const seconds = 10
        const name = fresh("procs")
        const children = [0, 1, 2].map(() =>
          spawnNode(new URL("./fixtures/rate/wait.ts", import.meta.url), [
            JSON.stringify({ url: server().url, name, limit, burst, fibers: 4 })
          ])
        )
        try {
          await Promise.all(children.map((c) => c.waitForLine((l) => l.ev === "ready", 20_000)))
          // The bucket is full by now (each process booked no token to load the scripts).
          const startAt = Date.now() + 200
          const stopAt = startAt + seconds * 1000
          for (const c of children) c.send({ startAt, stopAt })
          const done = await Promise.all(
            children.map((c) => c.waitForLine<{ grants: Array<number> }>((l) => l.ev === "done", 30_000))
          )
          const all = done.flatMap((d) => d.grants)
          const within = all.filter((at) => at >= startAt && at < stopAt).length
          const ideal = burst + limit * seconds
          const error = (within - ideal) / ideal
          const perSecond = Array.from(
            { length: seconds },
            (_, s) => all.filter((at) => at >= startAt + s * 1000 && at < startAt + (s + 1) * 1000).length
          )
          report("grants in 10 s from 3 processes (ideal: burst + limit × 10 s)", { within, ideal, error })
          report("grants per second", perSecond)
          report(
            "grants per process",
            done.map((d) => d.grants.length)
          )
          expect(Math.abs(error)).toBeLessThanOrEqual(0.01)
          // Never ahead of the bucket: by any grant's time, at most burst + limit × time since the start were
          // granted (a process noted a grant late, never early; the start may be early by a timer's rounding).
          const sorted = all.filter((at) => at < stopAt).sort((a, b) => a - b)
          let ahead = Number.NEGATIVE_INFINITY
          for (const [i, at] of sorted.entries()) {
            ahead = Math.max(ahead, i + 1 - (burst + (limit * (at - (startAt - 5))) / 1000))
          }
          report("most grants ahead of burst + limit × elapsed, at any grant", ahead)
          expect(ahead).toBeLessThanOrEqual(1)
          // Every process was served.
          for (const d of done) expect(d.grants.length).toBeGreaterThan(ideal / 10)
        } finally {
          for (const c of children) c.kill("SIGKILL")
        }
      }),
    60_000
  )
})

const inspectOf = (u: unknown): string => String(u)

import { expect, expectTypeOf } from "@effect/vitest"
import { Cause, Context, Deferred, Effect, Exit, Fiber, Layer, Schema } from "effect"
import type * as Duration from "effect/Duration"
import { Redis } from "effect/persistence/Redis"
import type * as Scope from "effect/Scope"
import { type RedisSync, SingleFlight } from "../src/index.ts"
import { RemoteFlightError, layerSingleFlight, singleFlight } from "../src/RedisSync.ts"
import { it } from "./utils/leak.ts"
import { type NodeProcess, spawnNode } from "./utils/processes.ts"
import { describeRedis, freshName, redisLayer, startRedis, useRedis, withRedisOn } from "./utils/redis.ts"

class HttpError extends Schema.TaggedError<HttpError>()("HttpError", { status: Schema.Number }) {}

const worker = new URL("./fixtures/singleflight/worker.ts", import.meta.url)

describeRedis("RedisSync: SingleFlight on Redis", () => {
  const server = useRedis()
  const fresh = freshName
  const withRedis = withRedisOn(server)
  const lease: Duration.Input = "600 millis"
  const numbers = { success: Schema.Number, error: HttpError, lease } as const
  const leaseKey = (name: string, key: string, prefix = "effect-go") => `${prefix}:singleflight:{${name}}:lease:${key}`
  const resultKey = (name: string, key: string, prefix = "effect-go") =>
    `${prefix}:singleflight:{${name}}:result:${key}`
  const command = (...args: ReadonlyArray<string>) => Effect.promise(() => server().command(...args))
  /** Polls `check` every 5 ms until it holds; the test's timeout bounds it. */
  const until = (check: Effect.Effect<boolean>): Effect.Effect<void> =>
    Effect.flatMap(check, (ok) => (ok ? Effect.void : Effect.andThen(Effect.sleep(5), until(check))))
  /** Until the flight `name`/`key` led somewhere is waited for by `n` flights elsewhere. */
  const joined = (name: string, key: string, n: number, prefix?: string) =>
    until(Effect.map(command("HGET", leaseKey(name, key, prefix), "joined"), (j) => Number(j) >= n))
  const leads = (name: string, key: string, prefix?: string) =>
    until(Effect.map(command("EXISTS", leaseKey(name, key, prefix)), (n) => n === 1))
  /**
   * A group on a redis-server of its own (which the test may kill), and
   * the server. Whatever happens, Redis is back and answering before the
   * group's client closes: closing waits for the commands queued meanwhile.
   */
  const groupOnOwnRedis = (what: string) =>
    Effect.gen(function* () {
      const own = yield* Effect.acquireRelease(
        Effect.promise(() => startRedis()),
        (s) => Effect.promise(() => s.close())
      )
      const name = fresh(what)
      const client = yield* Layer.build(redisLayer(own.url))
      const group = yield* Effect.provideContext(singleFlight(name, numbers), client)
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => own.start()).pipe(
          Effect.andThen(Effect.flatMap(Redis, (r) => r.send("PING"))),
          Effect.provideContext(client),
          Effect.timeout("10 seconds"),
          Effect.ignore
        )
      )
      return { own, name, group }
    })
  const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
    if (Exit.isSuccess(exit)) throw new Error("expected a defect, got a success")
    const found = Cause.findDefect(exit.cause)
    if (found._tag === "Failure") throw new Error(`expected a defect, got ${Cause.pretty(exit.cause)}`)
    return found.success
  }

  it.live("two groups of one name share a flight: it runs once, both get its value, shared says so", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("share")
        const a = yield* singleFlight(name, numbers)
        const b = yield* singleFlight(name, numbers)
        let runs = 0
        const gate = yield* Deferred.make<void>()
        const work = (v: number) =>
          Effect.andThen(
            Deferred.await(gate),
            Effect.sync(() => {
              runs++
              return v
            })
          )
        const leader = yield* Effect.forkChild(SingleFlight.do(a, "k", work(1)))
        yield* leads(name, "k")
        const followers = yield* Effect.forEach([2, 3], (v) => Effect.forkChild(SingleFlight.do(b, "k", work(v))))
        yield* joined(name, "k", 1)
        // Two callers in b share b's one local flight, which follows a's.
        yield* until(Effect.map(SingleFlight.blocked(b), (blocked) => blocked.length === 2))
        expect(yield* SingleFlight.keys(b)).toEqual(["k"])
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(leader)).toEqual({ value: 1, shared: true })
        for (const f of followers) expect(yield* Fiber.join(f)).toEqual({ value: 1, shared: true })
        expect(runs).toBe(1)
        // A flight nobody else joined is not shared; it publishes for one lease, then nothing is left.
        expect(yield* SingleFlight.do(a, "alone", Effect.succeed(7))).toEqual({ value: 7, shared: false })
        expect(yield* command("EXISTS", leaseKey(name, "alone"))).toBe(0)
        expect(yield* command("EXISTS", resultKey(name, "alone"))).toBe(1)
      })
    )
  )

  it.live("a typed failure reaches the followers decoded by the error schema", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("fail")
        const a = yield* singleFlight(name, numbers)
        const b = yield* singleFlight(name, numbers)
        const gate = yield* Deferred.make<void>()
        const leader = yield* Effect.forkChild(
          SingleFlight.do(a, "k", Effect.andThen(Deferred.await(gate), Effect.fail(new HttpError({ status: 503 }))))
        )
        yield* leads(name, "k")
        const follower = yield* Effect.forkChild(SingleFlight.do(b, "k", Effect.succeed(0)))
        yield* joined(name, "k", 1)
        yield* Deferred.succeed(gate, undefined)
        const mine = yield* Fiber.await(leader)
        const theirs = yield* Fiber.await(follower)
        for (const exit of [mine, theirs]) {
          expect(Exit.isFailure(exit)).toBe(true)
          const error = Cause.findErrorOption((exit as Exit.Failure<unknown, unknown>).cause)
          expect(error._tag === "Some" && error.value).toBeInstanceOf(HttpError)
          expect(error._tag === "Some" && (error.value as HttpError).status).toBe(503)
        }
      })
    )
  )

  it.live(
    "a defect, an interruption from inside or a value its schema cannot encode reaches the followers as a defect naming the key",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("defect")
          const a = yield* singleFlight(name, numbers)
          const b = yield* singleFlight(name, numbers)
          const gate = yield* Deferred.make<void>()
          const boom = new Error("boom")
          const cases = [
            { key: "dies", effect: Effect.die(boom), reason: "died (Error: boom)" },
            { key: "interrupts", effect: Effect.interrupt, reason: "was interrupted" },
            {
              key: "unencodable",
              effect: Effect.succeed("not a number" as unknown as number),
              reason: "succeeded with a value its success schema cannot encode"
            }
          ]
          const leaders = yield* Effect.forEach(cases, (c) =>
            Effect.forkChild(SingleFlight.do(a, c.key, Effect.andThen(Deferred.await(gate), c.effect)))
          )
          yield* Effect.forEach(cases, (c) => leads(name, c.key))
          const followers = yield* Effect.forEach(cases, (c) =>
            Effect.forkChild(SingleFlight.do(b, c.key, Effect.succeed(0)))
          )
          yield* Effect.forEach(cases, (c) => joined(name, c.key, 1))
          yield* Deferred.succeed(gate, undefined)
          // The leader's callers get the outcome as it is.
          expect(defectOf(yield* Fiber.await(leaders[0]!))).toBe(boom)
          const interrupted = yield* Fiber.await(leaders[1]!)
          expect(Exit.isFailure(interrupted) && Cause.hasInterruptsOnly(interrupted.cause)).toBe(true)
          expect(yield* Fiber.join(leaders[2]!)).toEqual({ value: "not a number", shared: true })
          for (let i = 0; i < cases.length; i++) {
            const defect = defectOf(yield* Fiber.await(followers[i]!))
            expect(defect).toBeInstanceOf(RemoteFlightError)
            expect(defect).toMatchObject({ name, key: cases[i]!.key })
            expect((defect as RemoteFlightError).message).toContain(JSON.stringify(cases[i]!.key))
            expect((defect as RemoteFlightError).reason).toContain(cases[i]!.reason)
          }
        })
      )
  )

  it.live("a follower whose message is lost finds the outcome by its fallback re-check", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("lost")
        // A leader nobody hears from: a lease set by hand, then an outcome set by hand, unpublished.
        yield* command("HSET", leaseKey(name, "k"), "owner", "ghost", "joined", "0")
        yield* command("PEXPIRE", leaseKey(name, "k"), "60000")
        const b = yield* singleFlight(name, numbers)
        const follower = yield* Effect.forkChild(SingleFlight.do(b, "k", Effect.succeed(0)))
        yield* joined(name, "k", 1)
        yield* command("DEL", leaseKey(name, "k"))
        yield* command("HSET", resultKey(name, "k"), "owner", "ghost", "outcome", "s42")
        yield* command("PEXPIRE", resultKey(name, "k"), "60000")
        expect(yield* Fiber.join(follower)).toEqual({ value: 42, shared: true })
      })
    )
  )

  it.live("a leader whose lease is gone from Redis is interrupted and its callers fail with LeaseLostError", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("leaselost")
        const a = yield* singleFlight(name, numbers)
        const interrupted = yield* Deferred.make<void>()
        const leader = yield* Effect.forkChild(
          SingleFlight.do(
            a,
            "k",
            Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined))
          )
        )
        yield* leads(name, "k")
        yield* command("DEL", leaseKey(name, "k"))
        const exit = yield* Fiber.await(leader)
        expect(Deferred.isDoneUnsafe(interrupted)).toBe(true)
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({
          _tag: "LeaseLostError",
          primitive: "SingleFlight",
          name
        })
      })
    )
  )

  it.live(
    "a leader whose renewals fail (Redis down) is interrupted within a lease, with LeaseLostError; the group works once Redis is back",
    () =>
      Effect.gen(function* () {
        const { own, name, group: a } = yield* groupOnOwnRedis("down")
        const leader = yield* Effect.forkChild(SingleFlight.do(a, "k", Effect.never))
        yield* until(
          Effect.map(
            Effect.promise(() => own.command("EXISTS", leaseKey(name, "k"))),
            (n) => n === 1
          )
        )
        yield* Effect.promise(() => own.kill())
        const downAt = Date.now()
        const exit = yield* Fiber.await(leader)
        expect(Date.now() - downAt).toBeLessThan(600)
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({
          _tag: "LeaseLostError",
          reason: "not renewed in time"
        })
        yield* Effect.promise(() => own.start())
        expect(yield* SingleFlight.do(a, "k", Effect.succeed(1))).toEqual({ value: 1, shared: false })
      }).pipe(Effect.scoped)
  )

  it.live(
    "a leader that begins just after a renewal, with Redis then down, is given up two thirds of a lease later, before its lease could lapse",
    () =>
      Effect.gen(function* () {
        const { own, name, group: a } = yield* groupOnOwnRedis("phase")
        // Renewals run every third of the 600 ms lease from the group's start: begin 30 ms after the first.
        yield* Effect.sleep("230 millis")
        const startedAt = Date.now()
        const leader = yield* Effect.forkChild(SingleFlight.do(a, "k", Effect.never))
        yield* until(
          Effect.map(
            Effect.promise(() => own.command("EXISTS", leaseKey(name, "k"))),
            (n) => n === 1
          )
        )
        yield* Effect.promise(() => own.kill())
        const exit = yield* Fiber.await(leader)
        // Two thirds of the lease after it began (with a twelfth's slack for the check), not at the renewal
        // after next, when its lease has lapsed in Redis.
        expect(Date.now() - startedAt).toBeLessThan(500)
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "LeaseLostError" })
      }).pipe(Effect.scoped)
  )

  it.live(
    "within a process callers share one flight; doFork, keys, blocked and a recursive call behave as in memory",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("local")
          const a = yield* singleFlight(name, numbers)
          let runs = 0
          const gate = yield* Deferred.make<void>()
          const first = yield* SingleFlight.doFork(
            a,
            "k",
            Effect.andThen(
              Deferred.await(gate),
              Effect.sync(() => ++runs)
            )
          )
          yield* leads(name, "k")
          const second = yield* SingleFlight.doFork(
            a,
            "k",
            Effect.sync(() => ++runs)
          )
          yield* until(Effect.map(SingleFlight.blocked(a), (blocked) => blocked.length === 2))
          expect((yield* SingleFlight.blocked(a))[0]).toMatchObject({ primitive: "SingleFlight", name, op: "do(k)" })
          expect(yield* SingleFlight.keys(a)).toEqual(["k"])
          yield* Deferred.succeed(gate, undefined)
          expect(yield* Fiber.join(first)).toEqual({ value: 1, shared: true })
          expect(yield* Fiber.join(second)).toEqual({ value: 1, shared: true })
          expect(runs).toBe(1)
          expect(yield* SingleFlight.keys(a)).toEqual([])
          const recursive = yield* Effect.exit(
            SingleFlight.do(
              a,
              "r",
              Effect.suspend(() => SingleFlight.do(a, "r", Effect.succeed(1))).pipe(Effect.map((r) => r.value))
            )
          )
          expect(defectOf(recursive)).toBeInstanceOf(SingleFlight.SingleFlightRecursiveError)
          expect(String(a)).toContain("SingleFlight")
        })
      )
  )

  it.live("forget: this process's next call runs its own effect instead of joining the flight begun before", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("forget")
        const a = yield* singleFlight(name, numbers)
        const b = yield* singleFlight(name, numbers)
        const gate = yield* Deferred.make<void>()
        const before = yield* Effect.forkChild(SingleFlight.do(a, "k", Effect.as(Deferred.await(gate), 1)))
        yield* leads(name, "k")
        // In the leading process and in another one.
        yield* SingleFlight.forget(a, "k")
        yield* SingleFlight.forget(b, "k")
        expect(yield* SingleFlight.do(a, "k", Effect.succeed(2))).toEqual({ value: 2, shared: false })
        expect(yield* SingleFlight.do(b, "k", Effect.succeed(3))).toEqual({ value: 3, shared: false })
        // Such a call's effect stops when its callers leave.
        const leaving = yield* Effect.forkChild(SingleFlight.do(b, "k", Effect.never))
        yield* until(Effect.map(SingleFlight.blocked(b), (blocked) => blocked.length === 1))
        yield* Fiber.interrupt(leaving)
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(before)).toEqual({ value: 1, shared: false })
        // The outcome published by the flight begun before is not given to this process after its forget.
        expect(yield* SingleFlight.do(b, "k", Effect.succeed(4))).toEqual({ value: 4, shared: false })
        // Another process gets it: forget acts on the process that calls it.
        const c = yield* singleFlight(name, numbers)
        expect(yield* SingleFlight.do(c, "k", Effect.succeed(5))).toEqual({ value: 1, shared: true })
        // Once the flight the forget named is over, the next flight is shared again.
        yield* SingleFlight.forget(c, "k")
        expect(yield* SingleFlight.do(c, "k", Effect.succeed(6))).toEqual({ value: 6, shared: false })
        expect(yield* SingleFlight.do(b, "k", Effect.succeed(7))).toEqual({ value: 6, shared: true })
      })
    )
  )

  it.live("interrupting every caller of the leader gives its lease back at once, and a follower leads", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("leave")
        // A long lease: a takeover by the lease lapsing would take seconds.
        const long = { ...numbers, lease: "20 seconds" as Duration.Input }
        const a = yield* singleFlight(name, long)
        const interrupted = yield* Deferred.make<void>()
        const callers = yield* Effect.forEach([1, 2], () =>
          Effect.forkChild(
            SingleFlight.do(
              a,
              "k",
              Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined))
            )
          )
        )
        yield* leads(name, "k")
        yield* Effect.forEach(callers, Fiber.interrupt)
        expect(Deferred.isDoneUnsafe(interrupted)).toBe(true)
        expect(yield* command("EXISTS", leaseKey(name, "k"))).toBe(0)
        expect(yield* SingleFlight.keys(a)).toEqual([])

        // With a follower in another process, waiting.
        const last = yield* Effect.forkChild(SingleFlight.do(a, "k", Effect.never))
        yield* leads(name, "k")
        const child = spawnNode(worker, [
          JSON.stringify({ url: server().url, name, lease: "20 seconds", mode: "follow", key: "k" })
        ])
        yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
        yield* joined(name, "k", 1)
        const started = Date.now()
        yield* Fiber.interrupt(last)
        const result = yield* Effect.promise(() => child.waitForLine((l) => l.ev === "result"))
        expect(result).toMatchObject({ value: `taken over by ${child.pid}`, shared: false })
        expect(Date.now() - started).toBeLessThan(2_000)
      })
    )
  )

  it.live("across 3 processes, one flight per key: each key's effect runs once and every caller gets its value", () =>
    Effect.gen(function* () {
      const name = fresh("procs")
      const counter = `test-runs-${name}`
      const keys = ["a", "b", "c", "d"]
      const children: Array<NodeProcess> = []
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          for (const c of children) c.kill("SIGKILL")
        })
      )
      for (let i = 0; i < 3; i++) {
        children.push(
          spawnNode(worker, [
            JSON.stringify({
              url: server().url,
              name,
              lease: "2 seconds",
              mode: "contend",
              keys,
              callers: 3,
              holdMs: 400,
              counter
            })
          ])
        )
      }
      yield* Effect.promise(() => Promise.all(children.map((c) => c.waitForLine((l) => l.ev === "ready"))))
      for (const c of children) c.send({ ev: "go" })
      yield* Effect.promise(() => Promise.all(children.map((c) => c.waitForLine((l) => l.ev === "done"))))
      for (const key of keys) {
        expect(yield* command("GET", `${counter}:${key}`)).toBe("1")
        const results = children.flatMap((c) => c.lines.filter((l) => l.ev === "result" && l.key === key))
        expect(results.length).toBe(9)
        expect(new Set(results.map((r) => r.value)).size).toBe(1)
        expect(results.every((r) => r.shared === true)).toBe(true)
      }
      yield* command("DEL", ...keys.map((key) => `${counter}:${key}`))
    }).pipe(Effect.scoped)
  )

  it.live(
    "a leader process killed mid-flight: a follower leads within a lease and a renewal period, and gets an outcome",
    () =>
      withRedis(
        Effect.gen(function* () {
          const name = fresh("killed")
          const leader = spawnNode(worker, [JSON.stringify({ url: server().url, name, lease, mode: "lead", key: "k" })])
          yield* Effect.addFinalizer(() => Effect.sync(() => leader.kill("SIGKILL")))
          yield* Effect.promise(() => leader.waitForLine((l) => l.ev === "leading"))
          const b = yield* singleFlight(name, numbers)
          let ran = 0
          const follower = yield* Effect.forkChild(
            SingleFlight.do(
              b,
              "k",
              Effect.sync(() => ++ran)
            )
          )
          yield* joined(name, "k", 1)
          leader.kill("SIGKILL")
          yield* Effect.promise(() => leader.exited)
          const killedAt = Date.now()
          expect(yield* Fiber.join(follower)).toEqual({ value: 1, shared: false })
          const took = Date.now() - killedAt
          // A lease (600 ms) plus a renewal period (200 ms), and slack for a loaded machine.
          expect(took).toBeLessThan(600 + 200 + 400)
          expect(ran).toBe(1)
        })
      )
  )

  it.live("nothing is left under the prefix once the flights have ended and their outcomes' time has passed", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("clean")
        const prefix = `clean-${Date.now()}`
        const a = yield* singleFlight(name, { ...numbers, prefix })
        const b = yield* singleFlight(name, { ...numbers, prefix })
        const gate = yield* Deferred.make<void>()
        const outcomes: Array<Effect.Effect<number, HttpError>> = [
          Effect.succeed(1),
          Effect.fail(new HttpError({ status: 500 })),
          Effect.die("boom"),
          Effect.interrupt
        ]
        const leaders = yield* Effect.forEach(outcomes, (o, i) =>
          Effect.forkChild(SingleFlight.do(a, `k${i}`, Effect.andThen(Deferred.await(gate), o)))
        )
        yield* Effect.forEach(outcomes, (_, i) => leads(name, `k${i}`, prefix))
        const followers = yield* Effect.forEach(outcomes, (_, i) =>
          Effect.forkChild(SingleFlight.do(b, `k${i}`, Effect.succeed(0)))
        )
        yield* Effect.forEach(outcomes, (_, i) => joined(name, `k${i}`, 1, prefix))
        // And one leader whose callers leave.
        const leaving = yield* Effect.forkChild(SingleFlight.do(a, "gone", Effect.never))
        yield* leads(name, "gone", prefix)
        yield* Fiber.interrupt(leaving)
        yield* Deferred.succeed(gate, undefined)
        yield* Effect.forEach([...leaders, ...followers], Fiber.await)
        expect((yield* Effect.promise(() => server().keys(`${prefix}:*`))).length).toBeGreaterThan(0)
        yield* Effect.sleep("700 millis")
        expect(yield* Effect.promise(() => server().keys(`${prefix}:*`))).toEqual([])
      })
    )
  )

  it.live("a key with glob and Lua metacharacters is a key like any other", () =>
    withRedis(
      Effect.gen(function* () {
        const name = fresh("meta")
        const a = yield* singleFlight(name, numbers)
        const b = yield* singleFlight(name, numbers)
        const odd = "a*b?c[d]'e]]{f}\"g\\h%s"
        const alike = "aXb?c[d]'e]]{f}\"g\\h%s" // matched by `odd` as a glob
        let runs = 0
        const gate = yield* Deferred.make<void>()
        const work = (v: number) =>
          Effect.andThen(
            Deferred.await(gate),
            Effect.sync(() => {
              runs++
              return v
            })
          )
        const leaders = yield* Effect.forEach([odd, alike], (key, i) =>
          Effect.forkChild(SingleFlight.do(a, key, work(i)))
        )
        yield* leads(name, odd)
        yield* leads(name, alike)
        const followers = yield* Effect.forEach([odd, alike], (key) =>
          Effect.forkChild(SingleFlight.do(b, key, work(9)))
        )
        yield* joined(name, odd, 1)
        yield* joined(name, alike, 1)
        yield* Deferred.succeed(gate, undefined)
        expect(yield* Fiber.join(leaders[0]!)).toEqual({ value: 0, shared: true })
        expect(yield* Fiber.join(leaders[1]!)).toEqual({ value: 1, shared: true })
        expect(yield* Fiber.join(followers[0]!)).toEqual({ value: 0, shared: true })
        expect(yield* Fiber.join(followers[1]!)).toEqual({ value: 1, shared: true })
        expect(runs).toBe(2)
        expect(yield* command("EXISTS", resultKey(name, odd))).toBe(1)
        // Forgetting one drops its outcome only.
        yield* SingleFlight.forget(b, odd)
        expect(yield* command("EXISTS", resultKey(name, odd))).toBe(0)
        expect(yield* command("EXISTS", resultKey(name, alike))).toBe(1)
      })
    )
  )

  it.live("keys of any type through a `key` option; a Context.Service swaps onto Redis with one layer", () => {
    class Reports extends Context.Service<
      Reports,
      SingleFlight.SingleFlight<string, HttpError | RedisSync.RedisSyncError, readonly [string, number]>
    >()("test/Reports") {}
    const name = fresh("layer")
    const options = {
      success: Schema.String,
      error: HttpError,
      lease,
      name,
      key: ([tenant, day]: readonly [string, number]) => `${tenant}/${day}`
    }
    const layer = () => layerSingleFlight(Reports, options).pipe(Layer.provide(redisLayer(server().url)), Layer.fresh)
    const program = (value: string) =>
      Effect.gen(function* () {
        const g = yield* Reports
        return yield* SingleFlight.do(g, ["acme", 7] as const, Effect.as(Effect.sleep("300 millis"), value))
      })
    return Effect.gen(function* () {
      const [one, two] = yield* Effect.all(
        [Effect.provide(program("one"), layer()), Effect.provide(Effect.delay(program("two"), "100 millis"), layer())],
        { concurrency: 2 }
      )
      expect(one).toEqual({ value: "one", shared: true })
      expect(two).toEqual({ value: "one", shared: true })
      expect(yield* Effect.promise(() => server().keys(`effect-go:singleflight:{${name}}:*`))).toEqual([
        `effect-go:singleflight:{${name}}:result:acme/7`
      ])
      // The in-memory layer of the same service.
      const local = yield* Effect.provide(program("local"), Layer.effect(Reports, SingleFlight.make()))
      expect(local).toEqual({ value: "local", shared: false })
    })
  })

  it.live("bad arguments are defects naming what was given and what is wanted", () =>
    withRedis(
      Effect.gen(function* () {
        const message = (exit: Exit.Exit<unknown, unknown>) => String((defectOf(exit) as Error).message)
        expect(message(yield* Effect.exit(singleFlight("", numbers)))).toContain("non-empty string (the name)")
        expect(message(yield* Effect.exit(singleFlight("x", { ...numbers, lease: -5 })))).toContain("-5")
        expect(message(yield* Effect.exit(singleFlight("x", { ...numbers, prefix: "" })))).toContain("`prefix`")
        expect(
          message(yield* Effect.exit(singleFlight("x", { ...numbers, success: 3 as unknown as Schema.Codec<number> })))
        ).toContain("a Schema (the `success` option)")
        expect(
          message(
            yield* Effect.exit(singleFlight("x", { ...numbers, error: undefined as unknown as Schema.Codec<never> }))
          )
        ).toContain("the `error` option")
        expect(message(yield* Effect.exit(singleFlight("x", undefined as unknown as typeof numbers)))).toContain(
          "an options object"
        )
        expect(
          message(yield* Effect.exit(singleFlight("x", { ...numbers, key: "no" as unknown as (k: number) => string })))
        ).toContain("the `key` option")

        const name = fresh("bad")
        const g = yield* singleFlight(name, numbers)
        const untyped = g as unknown as SingleFlight.SingleFlight<number, unknown, unknown>
        expect(message(yield* Effect.exit(SingleFlight.do(untyped, 42, Effect.succeed(1))))).toContain(
          "expected a string key (give the group a `key` option to use other keys), got the number 42"
        )
        expect(message(yield* Effect.exit(SingleFlight.do(g, "k", 1 as unknown as Effect.Effect<number>)))).toContain(
          "an Effect"
        )
        expect(
          message(yield* Effect.exit(SingleFlight.doFork(g, "k", 1 as unknown as Effect.Effect<number>)))
        ).toContain("an Effect")
        expect(message(yield* Effect.exit(SingleFlight.forget(untyped, {})))).toContain("a string key")
        const keyed = yield* singleFlight(fresh("bad"), {
          ...numbers,
          key: (k: number) => (k > 0 ? String(k) : (k as never))
        })
        expect(message(yield* Effect.exit(SingleFlight.do(keyed, -1, Effect.succeed(1))))).toContain(
          "expected a string from the group's `key` option, got the number -1"
        )
        const thrown = new Error("no key for you")
        const throwing = yield* singleFlight(fresh("bad"), {
          ...numbers,
          key: (_: number): string => {
            throw thrown
          }
        })
        expect(defectOf(yield* Effect.exit(SingleFlight.do(throwing, 1, Effect.succeed(1))))).toBe(thrown)
        // Nothing reached Redis.
        expect(yield* Effect.promise(() => server().keys(`effect-go:singleflight:{${name}}:*`))).toEqual([])
      })
    )
  )

  it("types: the value carries the group's errors and keys; keys that are not strings need a `key` option", () => {
    const strings = singleFlight("t", { success: Schema.Number, error: HttpError })
    expectTypeOf(strings).toEqualTypeOf<
      Effect.Effect<
        SingleFlight.SingleFlight<number, HttpError | RedisSync.RedisSyncError, string>,
        import("effect/persistence/Redis").RedisError,
        Redis | Scope.Scope
      >
    >()
    const tuples = singleFlight("t", {
      success: Schema.String,
      error: Schema.Never,
      key: (k: readonly [string, number]) => k.join("/")
    })
    expectTypeOf(tuples).toEqualTypeOf<
      Effect.Effect<
        SingleFlight.SingleFlight<string, RedisSync.RedisSyncError, readonly [string, number]>,
        import("effect/persistence/Redis").RedisError,
        Redis | Scope.Scope
      >
    >()
    class Numbers extends Context.Service<
      Numbers,
      SingleFlight.SingleFlight<number, RedisSync.RedisSyncError, number>
    >()("test/Numbers") {}
    // @ts-expect-error: keys that are not strings need a `key` option
    layerSingleFlight(Numbers, { success: Schema.Number, error: Schema.Never })
    layerSingleFlight(Numbers, { success: Schema.Number, error: Schema.Never, key: String })
    // A service declared without RedisSyncError in its errors cannot be given a Redis layer.
    class NoRedis extends Context.Service<NoRedis, SingleFlight.SingleFlight<number, HttpError>>()("test/NoRedis") {}
    // @ts-expect-error: its operations would fail with errors its type does not admit
    layerSingleFlight(NoRedis, { success: Schema.Number, error: HttpError })
  })
})

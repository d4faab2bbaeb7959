/**
 * The consumer smoke program: an application that installed the packed
 * effect-go beside its own `effect` and uses every module through the
 * package's exports, as a user would. `npm run smoke` compiles it with
 * strict NodeNext settings (no skipLibCheck) and runs it on the system Node
 * and on Node 24; it exits non-zero if a check fails.
 *
 * It checks that the package installs, resolves, type-checks and runs, not
 * each module's semantics (the test suite does that): one small scenario per
 * module, with a known answer.
 */
import { Cause, Data, Deferred, Effect, Exit, Fiber, Metric, Option } from "effect"
import { Square } from "./task.js"
import * as EffectGo from "effect-go"
import {
  Chan,
  Cond,
  Diagnostics,
  ErrGroup,
  FiberMonitor,
  GoContext,
  Mutex,
  Once,
  Pipeline,
  Rate,
  RedisSync,
  RWMutex,
  Select,
  Semaphore,
  SingleFlight,
  Telemetry,
  Testing,
  Threads,
  Ticker,
  Timer,
  WaitGroup,
  WorkerPool
} from "effect-go"
import * as ChanSubpath from "effect-go/Chan"
import * as CondSubpath from "effect-go/Cond"
import * as DiagnosticsSubpath from "effect-go/Diagnostics"
import * as ErrGroupSubpath from "effect-go/ErrGroup"
import * as FiberMonitorSubpath from "effect-go/FiberMonitor"
import * as GoContextSubpath from "effect-go/GoContext"
import * as MutexSubpath from "effect-go/Mutex"
import * as OnceSubpath from "effect-go/Once"
import * as PipelineSubpath from "effect-go/Pipeline"
import * as RateSubpath from "effect-go/Rate"
import * as RedisSyncSubpath from "effect-go/RedisSync"
import * as RWMutexSubpath from "effect-go/RWMutex"
import * as SelectSubpath from "effect-go/Select"
import * as SemaphoreSubpath from "effect-go/Semaphore"
import * as SingleFlightSubpath from "effect-go/SingleFlight"
import * as TelemetrySubpath from "effect-go/Telemetry"
import * as TestingSubpath from "effect-go/Testing"
import * as ThreadsSubpath from "effect-go/Threads"
import * as NodeThreads from "effect-go/NodeThreads"
import * as TickerSubpath from "effect-go/Ticker"
import * as TimerSubpath from "effect-go/Timer"
import * as WaitGroupSubpath from "effect-go/WaitGroup"
import * as WorkerPoolSubpath from "effect-go/WorkerPool"

const passed: Array<string> = []

/** Fails the run (a defect) unless `actual` and `expected` print the same. */
const expectEqual = (name: string, actual: unknown, expected: unknown): Effect.Effect<void> =>
  Effect.sync(() => {
    const got = JSON.stringify(actual)
    const wanted = JSON.stringify(expected)
    if (got !== wanted) throw new Error(`${name}: got ${got}, wanted ${wanted}`)
    passed.push(name)
  })

/**
 * Constructors have no typed errors: a bad argument is a defect. Passing a
 * constructor through this function pins that in the package's types.
 */
const noTypedErrors = <A, R>(self: Effect.Effect<A, never, R>): Effect.Effect<A, never, R> => self

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}

const exportsMap = Effect.gen(function* () {
  // Each subpath is the very module the root re-exports: one copy of each module.
  const same = [
    EffectGo.Chan === ChanSubpath,
    EffectGo.Cond === CondSubpath,
    EffectGo.Diagnostics === DiagnosticsSubpath,
    EffectGo.ErrGroup === ErrGroupSubpath,
    EffectGo.FiberMonitor === FiberMonitorSubpath,
    EffectGo.GoContext === GoContextSubpath,
    EffectGo.Mutex === MutexSubpath,
    EffectGo.Once === OnceSubpath,
    EffectGo.Pipeline === PipelineSubpath,
    EffectGo.Rate === RateSubpath,
    EffectGo.RedisSync === RedisSyncSubpath,
    EffectGo.RWMutex === RWMutexSubpath,
    EffectGo.Select === SelectSubpath,
    EffectGo.Semaphore === SemaphoreSubpath,
    EffectGo.SingleFlight === SingleFlightSubpath,
    EffectGo.Telemetry === TelemetrySubpath,
    EffectGo.Testing === TestingSubpath,
    EffectGo.Threads === ThreadsSubpath,
    EffectGo.Ticker === TickerSubpath,
    EffectGo.Timer === TimerSubpath,
    EffectGo.WaitGroup === WaitGroupSubpath,
    EffectGo.WorkerPool === WorkerPoolSubpath
  ]
  yield* expectEqual(
    "exports: every subpath is the module the root re-exports",
    same,
    same.map(() => true)
  )
  // A variable specifier keeps the compiler from resolving it: Node must refuse it.
  const internal: string = "effect-go/internal/waiters"
  const refused = yield* Effect.promise(() =>
    import(internal).then(
      () => "imported",
      (e: unknown) => (e as { code?: string }).code
    )
  )
  yield* expectEqual("exports: internal modules are closed", refused, "ERR_PACKAGE_PATH_NOT_EXPORTED")
})

const chan = Effect.gen(function* () {
  const ch = yield* noTypedErrors(Chan.make<number>(3))
  yield* Effect.forkChild(Effect.forEach([1, 2, 3], (n) => Chan.send(ch, n)).pipe(Effect.andThen(Chan.close(ch))))
  let sum = 0
  yield* Chan.forEach(ch, (n) => Effect.sync(() => (sum += n)))
  yield* expectEqual("Chan: range over a closed channel", sum, 6)
  yield* expectEqual("Chan: receive after close", Option.isNone(yield* Chan.recv(ch)), true)
})

const select = Effect.gen(function* () {
  const ready = yield* Chan.make<string>(1)
  const idle = yield* Chan.make<string>()
  yield* Chan.send(ready, "hi")
  const got = yield* Select.select(
    Select.recv(ready, (v) => Effect.succeed(Option.getOrElse(v, () => "closed"))),
    Select.recv(idle, () => Effect.succeed("idle")),
    Select.after("1 second", () => Effect.succeed("timeout"))
  )
  yield* expectEqual("Select: the ready case", got, "hi")
  const fallback = yield* Select.select(
    Select.recv(idle, () => Effect.succeed("idle")),
    Select.otherwise(() => Effect.succeed("default"))
  )
  yield* expectEqual("Select: otherwise when nothing is ready", fallback, "default")
})

const timers = Effect.scoped(
  Effect.gen(function* () {
    const timer = yield* noTypedErrors(Timer.make("5 millis"))
    yield* expectEqual("Timer: fires once", Option.isSome(yield* Chan.recv(timer.c)), true)
    const stopped = yield* noTypedErrors(Timer.make("1 hour"))
    yield* expectEqual("Timer: stop before it fires", yield* Timer.stop(stopped), true)
    const ticker = yield* noTypedErrors(Ticker.make("2 millis"))
    let ticks = 0
    for (let i = 0; i < 3; i++) if (Option.isSome(yield* Chan.recv(ticker.c))) ticks++
    yield* Ticker.stop(ticker)
    yield* expectEqual("Ticker: three ticks", ticks, 3)
  })
)

const locks = Effect.gen(function* () {
  const mu = yield* noTypedErrors(Mutex.make())
  let counter = 0
  yield* Effect.forEach(
    Array.from({ length: 50 }),
    () => Mutex.withLock(mu)(Effect.sync(() => counter++).pipe(Effect.andThen(Effect.yieldNow))),
    { concurrency: "unbounded", discard: true }
  )
  yield* expectEqual("Mutex: 50 locked increments", counter, 50)

  const rw = yield* noTypedErrors(RWMutex.make())
  const table = new Map<string, number>()
  yield* RWMutex.withLock(rw)(Effect.sync(() => table.set("a", 1)))
  const read = yield* RWMutex.withRLock(rw)(Effect.sync(() => table.get("a")))
  yield* expectEqual("RWMutex: read after write", read, 1)

  const cmu = yield* Mutex.make()
  const cond = yield* noTypedErrors(Cond.make(cmu))
  let ready = false
  const waiter = yield* Effect.forkChild(Mutex.withLock(cmu)(Cond.waitUntil(cond, () => ready)))
  yield* Effect.yieldNow
  yield* Mutex.withLock(cmu)(Effect.sync(() => (ready = true)))
  yield* Cond.broadcast(cond)
  yield* expectEqual("Cond: broadcast wakes the waiter", Exit.isSuccess(yield* Fiber.await(waiter)), true)

  const sem = yield* noTypedErrors(Semaphore.make(2))
  let running = 0
  let peak = 0
  yield* Effect.forEach(
    Array.from({ length: 10 }),
    () =>
      Semaphore.withPermits(
        sem,
        1
      )(
        Effect.sync(() => (peak = Math.max(peak, ++running))).pipe(
          Effect.andThen(Effect.sleep("1 millis")),
          Effect.ensuring(Effect.sync(() => running--))
        )
      ),
    { concurrency: "unbounded", discard: true }
  )
  yield* expectEqual("Semaphore: at most 2 at once", peak, 2)
})

const once = Effect.gen(function* () {
  let runs = 0
  const load = Once.value(Effect.sync(() => ++runs))
  const [a, b] = yield* Effect.all([load, load], { concurrency: 2 })
  yield* expectEqual("Once: one run for every caller", [a, b, runs], [1, 1, 1])
  yield* noTypedErrors(Once.make())
})

const groups = Effect.scoped(
  Effect.gen(function* () {
    const wg = yield* noTypedErrors(WaitGroup.make())
    let done = 0
    for (let i = 0; i < 10; i++)
      yield* WaitGroup.go(
        wg,
        Effect.sync(() => done++)
      )
    yield* WaitGroup.wait(wg)
    yield* expectEqual("WaitGroup: wait sees every task", done, 10)

    const g = yield* noTypedErrors(ErrGroup.make<Boom>())
    yield* ErrGroup.go(g, Effect.fail(new Boom({ n: 1 })))
    yield* ErrGroup.go(g, Effect.never)
    const failure = yield* ErrGroup.wait(g).pipe(Effect.flip)
    yield* expectEqual("ErrGroup: the first failure, the others interrupted", failure.n, 1)
    const doubled = yield* ErrGroup.forEach([1, 2, 3], (n) => Effect.succeed(n * 2), { limit: 2 })
    yield* expectEqual("ErrGroup: forEach in input order", doubled, [2, 4, 6])

    const pool = yield* noTypedErrors(
      WorkerPool.make({ workers: 2, queue: 10, process: (j: number) => Effect.succeed(j * 10) })
    )
    const jobs = yield* Effect.forEach([1, 2, 3, 4], (j) => WorkerPool.submit(pool, j))
    yield* WorkerPool.shutdown(pool)
    yield* expectEqual("WorkerPool: every job joined", yield* Effect.forEach(jobs, WorkerPool.join), [10, 20, 30, 40])

    const sq = Pipeline.map((n: number) => Effect.succeed(n * n))
    const squares = yield* noTypedErrors(Pipeline.gen(2, 3)).pipe(
      Effect.flatMap(sq),
      Effect.flatMap(sq),
      Effect.flatMap(Pipeline.collect)
    )
    yield* expectEqual("Pipeline: gen → sq → sq", squares, [16, 81])
    const parallel = yield* Pipeline.parallel([1, 2, 3], (n) => Effect.succeed(n + 1), { workers: 2, ordered: true })
    yield* expectEqual("Pipeline: parallel, ordered", parallel, [2, 3, 4])

    const flights = yield* noTypedErrors(SingleFlight.make<number>())
    let calls = 0
    const slow = Effect.sync(() => ++calls).pipe(Effect.delay("5 millis"))
    const results = yield* Effect.forEach(Array.from({ length: 5 }), () => SingleFlight.do(flights, "key", slow), {
      concurrency: "unbounded"
    })
    yield* expectEqual(
      "SingleFlight: one call for 5 callers",
      [calls, ...results.map((r) => r.value)],
      [1, 1, 1, 1, 1, 1]
    )
  })
)

const contexts = Effect.scoped(
  Effect.gen(function* () {
    const [ctx] = yield* GoContext.withTimeout(GoContext.background, "5 millis")
    const timedOut = yield* GoContext.run(ctx, Effect.never).pipe(
      Effect.as("finished"),
      Effect.catchTag("DeadlineExceededError", () => Effect.succeed("deadline exceeded"))
    )
    yield* expectEqual("GoContext: run stops at the deadline", timedOut, "deadline exceeded")
    const [child, cancel] = yield* GoContext.withCancel(GoContext.background)
    yield* cancel
    const closed = yield* Chan.recv(GoContext.done(child))
    yield* expectEqual("GoContext: cancel closes done", Option.isNone(closed), true)
  })
)

const monitor = Effect.gen(function* () {
  const m = FiberMonitor.make()
  yield* FiberMonitor.track(
    m,
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(Effect.never)
      yield* Fiber.interrupt(fiber)
    })
  )
  yield* expectEqual("FiberMonitor: nothing left alive", FiberMonitor.live(m), 0)
})

const diagnostics = Effect.gen(function* () {
  const a = yield* Mutex.make({ name: "a" })
  const b = yield* Mutex.make({ name: "b" })
  // Each fiber takes one lock, waits until both are taken, then wants the
  // other: a lock-order inversion.
  const bothLocked = yield* Deferred.make<void>()
  let locked = 0
  const transfer = (from: Mutex.Mutex, to: Mutex.Mutex) =>
    Effect.gen(function* () {
      if (++locked === 2) yield* Deferred.succeed(bothLocked, undefined)
      yield* Deferred.await(bothLocked)
      yield* Mutex.withLock(to)(Effect.void)
    }).pipe(Mutex.withLock(from))
  const ab = yield* Effect.forkChild(transfer(a, b))
  const ba = yield* Effect.forkChild(transfer(b, a))
  yield* Effect.sleep("10 millis")
  const dump = yield* Diagnostics.dump
  yield* expectEqual(
    "Diagnostics: the dump shows both mutexes with one fiber blocked on each",
    dump.primitives
      .filter((p) => p.name === "a" || p.name === "b")
      .map((p) => [p.name, p.blocked.length])
      .sort(),
    [
      ["a", 1],
      ["b", 1]
    ]
  )
  const found = yield* Diagnostics.findDeadlocks
  yield* expectEqual(
    "Diagnostics: the detector finds the cycle",
    found.map((d) => [d.kind, d.fibers.length]),
    [["cycle", 2]]
  )
  const failed = yield* Diagnostics.failDeadlocked(found[0]!)
  yield* expectEqual("Diagnostics: failDeadlocked ends both fibers", failed, 2)
  const exits = [yield* Fiber.await(ab), yield* Fiber.await(ba)]
  yield* expectEqual(
    "Diagnostics: they die with DeadlockError",
    exits.map((e) => Exit.isFailure(e) && Cause.squash(e.cause) instanceof Diagnostics.DeadlockError),
    [true, true]
  )
})

const testing = Effect.gen(function* () {
  const leak = yield* Effect.flip(
    Testing.leakCheck(
      Effect.gen(function* () {
        const jobs = yield* Chan.make<number>(0, { name: "jobs" })
        // Named "startWorker" where it is forked; it names itself "worker" once it runs.
        yield* Effect.forkDetach(Chan.recv(jobs).pipe(Effect.withSpan("worker"))).pipe(Effect.withSpan("startWorker"))
      }),
      { name: "smoke" }
    )
  )
  yield* expectEqual(
    "Testing: leakCheck names the leaked fiber",
    [leak._tag, leak.leaked, leak.fibers],
    ["FiberLeakError", 1, [{ name: "startWorker", count: 1 }]]
  )
  yield* expectEqual(
    "Testing: the leak shows where it is blocked",
    leak.blocked?.primitives.map((p) => [p.kind, p.name, p.blocked[0]?.fiber.name, p.blocked[0]?.op]),
    [["Chan", "jobs", "worker", "recv"]]
  )
  let raced = 0
  const report = yield* Testing.explore(
    (chaos) =>
      Effect.gen(function* () {
        let seats = 1
        const book = Effect.gen(function* () {
          if (seats > 0) {
            yield* Effect.yieldNow
            seats--
          }
        })
        yield* Effect.all([book, book], { concurrency: "unbounded" })
        if (seats < 0) {
          raced++
          return yield* chaos.fail(`oversold: ${seats}`)
        }
      }),
    { seed: 1, runs: 50 }
  )
  yield* expectEqual(
    "Testing: explore finds the check-then-act race, and it reproduces",
    [report.failure?.kind, report.failure?.message, report.failure?.reproduced, raced > 0],
    ["failed", "oversold: -1", true, true]
  )
})

const telemetry = Effect.gen(function* () {
  const replies = yield* Chan.make<number>(0, { name: "replies" })
  const receiver = yield* Effect.forkChild(Chan.recv(replies))
  yield* Effect.sleep("5 millis")
  yield* Chan.send(replies, 1)
  yield* Fiber.join(receiver)
  const series = (yield* Metric.snapshot).filter(
    (m) =>
      m.id === Telemetry.waitDuration &&
      m.attributes?.[Telemetry.attributes.name] === "replies" &&
      m.attributes?.[Telemetry.attributes.operation] === "recv"
  )
  yield* expectEqual(
    "Telemetry: one parked receive, one sample",
    series.map((m) => (m.type === "Histogram" ? m.state.count : -1)),
    [1]
  )
}).pipe(Effect.provide(Telemetry.layer({ spanThreshold: false })))

// Two threads (Node's worker_threads, the compiled out/thread.js) square numbers.
const threads = Effect.gen(function* () {
  const squares = yield* Threads.make(Square, { threads: 2 })
  const results = yield* Effect.forEach([1, 2, 3, 4], Threads.run(squares), { concurrency: 4 })
  yield* expectEqual("Threads: four jobs on two threads", results, [1, 4, 9, 16])
}).pipe(Effect.scoped, Effect.provide(NodeThreads.layer(new URL("./thread.js", import.meta.url))))

const rate = Effect.gen(function* () {
  const limiter = yield* noTypedErrors(Rate.make(Rate.every("1 second"), 2))
  const allowed = yield* Effect.forEach([1, 2, 3], () => Rate.allow(limiter))
  yield* expectEqual("Rate: a burst of 2, then refused", allowed, [true, true, false])
})

// A limit that may be kept in Redis, on its in-memory layer: the default.
class DbLimit extends Semaphore.Service<DbLimit, RedisSync.RedisSyncError>()("smoke/DbLimit") {}

const redisSync = Effect.gen(function* () {
  const result = yield* DbLimit.withPermits(1)(Effect.succeed("ran"))
  yield* expectEqual("RedisSync: a limit declared for Redis runs on its in-memory layer", result, "ran")
  yield* expectEqual("RedisSync: its Redis layer exists", typeof RedisSync.layerSemaphore(DbLimit, 2), "object")
}).pipe(Effect.provide(DbLimit.layer(2)))

const main = Effect.gen(function* () {
  yield* exportsMap
  yield* chan
  yield* select
  yield* timers
  yield* locks
  yield* once
  yield* groups
  yield* contexts
  yield* monitor
  yield* diagnostics
  yield* testing
  yield* telemetry
  yield* threads
  yield* rate
  yield* redisSync
})

// A hang is a failure too.
const watchdog = setTimeout(() => {
  console.error(`smoke: timed out after ${passed.length} checks; last passed: ${passed.at(-1) ?? "none"}`)
  process.exit(1)
}, 20_000)

Effect.runPromiseExit(main).then((exit) => {
  clearTimeout(watchdog)
  if (Exit.isSuccess(exit)) {
    console.log(`smoke: ${passed.length} checks passed on Node ${process.version}`)
  } else {
    console.error(`smoke: failed after ${passed.length} checks\n${Cause.pretty(exit.cause)}`)
    process.exitCode = 1
  }
})

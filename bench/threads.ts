/**
 * The threads row: CPU-bound jobs on two threads (`Threads`, over Node's
 * `worker_threads`) against the same jobs on the program's own thread, on
 * this machine, in one process.
 *
 * The work is a deterministic loop of pure JavaScript (threads/work.ts),
 * calibrated once to ~1 ms and ~50 µs per job. Contestants, run in
 * alternating order in every round so that load from other processes hits
 * them alike:
 * - "1 thread: WorkerPool workers: 1" — the in-process pool, the baseline;
 * - "2 threads: WorkerPool over Threads" — `WorkerPool.make({ workers: 2,
 *   process: Threads.run(threads) })`;
 * - "2 threads: Threads.run, forEach concurrency 2" — the same threads
 *   without the pool;
 * - "2 threads: raw worker_threads (floor)" — bare `Worker`s and
 *   `postMessage`, no Effect and no Schema: what the platform allows;
 * - Go, the same loop through two goroutines at GOMAXPROCS=1 and 2
 *   (threads/go, when a Go toolchain is on PATH).
 * Speed-ups are per round (the baseline's time over the contestant's, in
 * the same round), then the median and range over the rounds.
 *
 * Also: the hop of an empty job (sequential, and two in flight: wall time
 * and main-thread busy time per job, from the event loop's utilization),
 * how long each thread sits idle between two jobs (the round trip through
 * the main thread, which a thread waits out),
 * the break-even job size (a sweep of job sizes: where two threads start
 * to beat one), the time to start threads, and the resident memory of an
 * idle thread (4 threads started in a fresh process, RSS delta after a
 * full collection, divided by 4).
 *
 * `node bench/tools/threads.ts [--quick]` runs this row alone.
 */
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import { execFile, spawnSync } from "node:child_process"
import { cpus, loadavg } from "node:os"
import { dirname, join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import * as NodeThreads from "../src/NodeThreads.ts"
import * as Threads from "../src/Threads.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import { fmtRatio, mdTable, median, roundOrder, textTable } from "./harness.ts"
import { Work } from "./threads/task.ts"
import { work } from "./threads/work.ts"

// -----------------------------------------------------------------------------
// Results
// -----------------------------------------------------------------------------

export interface Stats {
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface ContestantResult {
  readonly name: string
  /** Wall time per job (µs). */
  readonly usPerJob: Stats
  /** Main-thread busy time per job (µs): event-loop utilization over the run. */
  readonly mainUsPerJob: Stats
  /** The baseline's time over this contestant's, per round. */
  readonly speedup: Stats
  /**
   * How long a thread sat idle between two jobs (µs; the median of each
   * run): the round trip through the main thread. Undefined in-process.
   */
  readonly threadIdleUs: Stats | undefined
}

export interface SizeResult {
  /** The job size it was calibrated to (µs). */
  readonly targetUs: number
  readonly iterations: number
  readonly jobs: number
  readonly contestants: ReadonlyArray<ContestantResult>
  /** Go at GOMAXPROCS=1 and 2 (ns per job), if measured. */
  readonly go?: { readonly p1: number; readonly p2: number } | undefined
}

export interface HopResult {
  readonly name: string
  readonly wallUs: Stats
  readonly mainUs: Stats
}

export interface ThreadsResult {
  readonly quick: boolean
  readonly cores: number
  /** Load average (1 min) before and after the row. */
  readonly load: readonly [number, number]
  /** ns per iteration of the loop, in-process (the calibration). */
  readonly nsPerIteration: number
  readonly rounds: number
  readonly sizes: ReadonlyArray<SizeResult>
  readonly sweep: ReadonlyArray<{
    readonly targetUs: number
    readonly jobs: number
    /** WorkerPool over 2 threads vs the 1-thread pool. */
    readonly speedup: Stats
    /** Raw worker_threads vs the 1-thread pool. */
    readonly rawSpeedup: Stats
  }>
  /** The job size (µs) where 2 threads start to beat the 1-thread pool, interpolated; undefined if not in the sweep. */
  readonly breakEvenUs: number | undefined
  readonly rawBreakEvenUs: number | undefined
  readonly hops: ReadonlyArray<HopResult>
  /** ms until `Threads.make` returns (all threads ready), and for a raw Worker to say it is ready. */
  readonly startup: {
    readonly one: Stats
    readonly two: Stats
    readonly raw: Stats
    readonly close: Stats
  }
  /** RSS per idle thread (bytes), 4 threads in a fresh process. */
  readonly rss: {
    readonly threads: Stats | undefined
    readonly raw: Stats | undefined
    readonly error?: string | undefined
  }
  readonly go: { readonly measured: boolean; readonly source: string }
  /** The issue's target: 2 threads at ≥ 1.8× the 1-thread pool for 1 ms jobs. */
  readonly target: { readonly wanted: number; readonly got: number; readonly met: boolean }
}

const stats = (xs: ReadonlyArray<number>): Stats =>
  xs.length === 0
    ? { median: Number.NaN, min: Number.NaN, max: Number.NaN }
    : { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }

// -----------------------------------------------------------------------------
// Calibration
// -----------------------------------------------------------------------------

/** Where the loop's hashes go, so that they are computed. */
const sink = new Int32Array(1)
/** What the threads' jobs answered in the current run: each thread's idle time before the job (µs). */
let idle: Array<number> = []

/** ns per iteration of the loop on this thread: the best of a few warm runs of 20 ms. */
const calibrate = (): number => {
  for (let i = 0; i < 5; i++) sink[0]! ^= work(200_000)
  let probe = 1_000_000
  const runs: Array<number> = []
  for (let i = 0; i < 7; i++) {
    const started = performance.now()
    sink[0]! ^= work(probe)
    const ns = ((performance.now() - started) * 1e6) / probe
    runs.push(ns)
    probe = Math.max(100_000, Math.round(20e6 / ns))
  }
  return Math.min(...runs)
}

// -----------------------------------------------------------------------------
// Contestants
// -----------------------------------------------------------------------------

type WorkThreads = Threads.Threads<number, number, never>

/** One timed run: wall ms and main-thread busy ms. */
interface Run {
  readonly wallMs: number
  readonly mainMs: number
  /** Median idle time of a thread before a job (µs); NaN in-process. */
  readonly idleUs: number
}

const timed = async (body: () => Promise<unknown>): Promise<Run> => {
  idle = []
  const elu = performance.eventLoopUtilization()
  const started = performance.now()
  await body()
  const wallMs = performance.now() - started
  const mainMs = performance.eventLoopUtilization(elu).active
  // A thread's first job in the run reports its idle time since the last run: left out.
  const idleUs = idle.length === 0 ? Number.NaN : median(idle.filter((t) => t > 0 && t < wallMs * 500))
  return { wallMs, mainMs, idleUs }
}

/** Submits every job to `pool` (waiting while its queue is full), then joins them all. */
const throughPool = <E>(pool: WorkerPool.WorkerPool<number, number, E>, iterations: number, jobs: number) =>
  Effect.gen(function* () {
    const handles: Array<WorkerPool.Job<number, E>> = new Array(jobs)
    for (let i = 0; i < jobs; i++) handles[i] = yield* WorkerPool.submit(pool, iterations)
    for (let i = 0; i < jobs; i++) idle.push(yield* WorkerPool.join(handles[i]!))
  })

const inProcessPool = (iterations: number, jobs: number) =>
  Effect.scoped(
    Effect.flatMap(
      WorkerPool.make({
        workers: 1,
        queue: 16,
        process: (n: number) =>
          Effect.sync(() => {
            sink[0]! ^= work(n)
            return 0 // no thread, no idle time
          })
      }),
      (pool) => throughPool(pool, iterations, jobs)
    )
  )

const threadsPool = (threads: WorkThreads, iterations: number, jobs: number) =>
  Effect.scoped(
    Effect.flatMap(WorkerPool.make({ workers: threads.capacity, queue: 16, process: Threads.run(threads) }), (pool) =>
      throughPool(pool, iterations, jobs)
    )
  )

const threadsForEach = (threads: WorkThreads, iterations: number, jobs: number, inFlight: number) =>
  Effect.forEach(
    Array.from({ length: jobs }, () => iterations),
    (n) =>
      Effect.map(Threads.run(threads, n), (t) => {
        idle.push(t)
      }),
    { concurrency: inFlight, discard: true }
  )

const here = dirname(fileURLToPath(import.meta.url))
const entry = join(here, "threads", "worker.ts")
const rawEntry = join(here, "threads", "raw.worker.ts")

/** Bare worker_threads: each worker takes the next job when it answers. */
class RawThreads {
  readonly workers: Array<Worker>
  constructor(workers: Array<Worker>) {
    this.workers = workers
  }
  static async start(n: number): Promise<RawThreads> {
    const workers = Array.from({ length: n }, () => new Worker(rawEntry))
    await Promise.all(workers.map(ready))
    return new RawThreads(workers)
  }
  /** Runs `jobs` jobs with at most `inFlight` in flight (one per worker). */
  run(iterations: number, jobs: number, inFlight = this.workers.length): Promise<void> {
    return new Promise((resolve, reject) => {
      let sent = 0
      let done = 0
      const used = this.workers.slice(0, inFlight)
      for (const w of used) {
        const onMessage = (t: number) => {
          idle.push(t)
          done++
          if (sent < jobs) {
            sent++
            w.postMessage(iterations)
          } else {
            w.off("message", onMessage)
            w.off("error", reject)
            if (done === jobs) resolve()
          }
        }
        w.on("message", onMessage)
        w.on("error", reject)
        if (sent < jobs) {
          sent++
          w.postMessage(iterations)
        }
      }
    })
  }
  terminate(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.terminate()))
  }
}

/** Resolves when a raw worker says it is ready. */
const ready = (w: Worker): Promise<void> =>
  new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (m !== "ready") return
      w.off("message", onMessage)
      w.off("error", reject)
      resolve()
    }
    w.on("message", onMessage)
    w.once("error", reject)
  })

// -----------------------------------------------------------------------------
// Go
// -----------------------------------------------------------------------------

const goDir = join(here, "threads", "go")

/** ns per job at GOMAXPROCS 1 and 2, by iterations; undefined when Go cannot run. */
const runGo = (sizes: ReadonlyArray<{ iterations: number; jobs: number }>) => {
  const r = spawnSync("go", ["run", ".", ...sizes.map((s) => `${s.iterations}:${s.jobs}`)], {
    cwd: goDir,
    encoding: "utf8",
    timeout: 120_000
  })
  if (r.error !== undefined || r.status !== 0) {
    return { figures: undefined, source: `not measured (${r.error?.message ?? r.stderr.trim().slice(-200)})` }
  }
  const figures = new Map<number, { p1: number; p2: number }>()
  for (const line of r.stdout.split("\n")) {
    const m = /^procs=(\d) iterations=(\d+) jobs=\d+ ns\/job=([\d.]+)/.exec(line)
    if (m === null) continue
    const it = Number(m[2])
    const f = figures.get(it) ?? { p1: Number.NaN, p2: Number.NaN }
    figures.set(it, m[1] === "1" ? { ...f, p1: Number(m[3]) } : { ...f, p2: Number(m[3]) })
  }
  const version = spawnSync("go", ["version"], { encoding: "utf8" }).stdout.trim().split(" ")[2] ?? "go"
  return { figures, source: `measured in this run (${version}, two goroutines reading one channel, median of 3)` }
}

// -----------------------------------------------------------------------------
// Resident memory per idle thread: a fresh process
// -----------------------------------------------------------------------------

const RSS_THREADS = 4

const rssInChild = (kind: "threads" | "raw"): Promise<number> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--no-warnings", fileURLToPath(import.meta.url), "--rss-child", kind],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`${error.message.split("\n")[0]} ${stderr.trim().slice(-200)}`))
        const perThread = Number(stdout.trim().split("\n").pop())
        if (!Number.isFinite(perThread)) return reject(new Error(`unreadable child output: ${stdout.slice(-200)}`))
        resolve(perThread)
      }
    )
  })

const settledRss = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const gc = globalThis.gc as () => void
  gc()
  gc()
  return process.memoryUsage().rss
}

/** The child: prints the RSS delta per idle thread (bytes). */
const rssChild = async (kind: "threads" | "raw"): Promise<void> => {
  const before = await settledRss()
  if (kind === "raw") {
    const raw = await RawThreads.start(RSS_THREADS)
    const after = await settledRss()
    console.log((after - before) / RSS_THREADS)
    await raw.terminate()
    return
  }
  const scope = Effect.runSync(Scope.make())
  await Effect.runPromise(
    Threads.make(Work, { threads: RSS_THREADS }).pipe(Scope.provide(scope), Effect.provide(NodeThreads.layer(entry)))
  )
  const after = await settledRss()
  console.log((after - before) / RSS_THREADS)
  await Effect.runPromise(Scope.close(scope, { _tag: "Success", value: undefined } as never))
}

// -----------------------------------------------------------------------------
// The row
// -----------------------------------------------------------------------------

/** Where `speedup` crosses 1.0 along the sweep, interpolated on a log scale of job size. */
const crossing = (points: ReadonlyArray<{ targetUs: number; s: number }>): number | undefined => {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    if (a.s < 1 && b.s >= 1) {
      const t = (1 - a.s) / (b.s - a.s)
      return Math.exp(Math.log(a.targetUs) + t * (Math.log(b.targetUs) - Math.log(a.targetUs)))
    }
  }
  if (points.length > 0 && points[0]!.s >= 1) return points[0]!.targetUs
  return undefined
}

export const threadsRow = async (options: { quick: boolean; log?: (line: string) => void }): Promise<ThreadsResult> => {
  const log = options.log ?? (() => {})
  const quick = options.quick
  const load0 = loadavg()[0]!
  const nsPerIteration = calibrate()
  const iterationsFor = (us: number) => Math.max(1, Math.round((us * 1000) / nsPerIteration))
  log(`threads: ${nsPerIteration.toFixed(3)} ns per iteration; 1 ms = ${iterationsFor(1000)} iterations`)

  const rounds = quick ? 2 : 5
  const mainSizes = [
    { targetUs: 1000, jobs: quick ? 100 : 400 },
    { targetUs: 50, jobs: quick ? 1000 : 4000 }
  ].map((s) => ({ ...s, iterations: iterationsFor(s.targetUs) }))
  const sweepUs = [10, 50, 100, 250, 500, 1000]
  const sweepRounds = quick ? 1 : 3
  // Enough jobs for ~60 ms (quick: 25 ms) of work on one thread, within bounds.
  const sweepJobs = (us: number) =>
    Math.max(40, Math.min(quick ? 500 : 1500, Math.round((quick ? 25_000 : 60_000) / us)))

  const layer = NodeThreads.layer(entry)
  const scope = Effect.runSync(Scope.make())
  const run = <A, E>(effect: Effect.Effect<A, E, Threads.ThreadPlatform | Scope.Scope>): Promise<A> =>
    Effect.runPromise(effect.pipe(Scope.provide(scope), Effect.provide(layer)))
  const closeScope = () => Effect.runPromise(Scope.close(scope, { _tag: "Success", value: undefined } as never))

  try {
    // Start-up: threads started and closed in a scope of their own, against a raw Worker.
    const startup = {
      one: [] as Array<number>,
      two: [] as Array<number>,
      raw: [] as Array<number>,
      close: [] as Array<number>
    }
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      for (const n of [1, 2] as const) {
        const s = Effect.runSync(Scope.make())
        const started = performance.now()
        await Effect.runPromise(Threads.make(Work, { threads: n }).pipe(Scope.provide(s), Effect.provide(layer)))
        ;(n === 1 ? startup.one : startup.two).push(performance.now() - started)
        const closing = performance.now()
        await Effect.runPromise(Scope.close(s, { _tag: "Success", value: undefined } as never))
        startup.close.push(performance.now() - closing)
      }
      const started = performance.now()
      const raw = await RawThreads.start(1)
      startup.raw.push(performance.now() - started)
      await raw.terminate()
    }
    log(`threads: start-up ${median(startup.one).toFixed(0)} ms (1 thread), ${median(startup.two).toFixed(0)} ms (2)`)

    const threads = await run(Threads.make(Work, { threads: 2, name: "bench" }))
    const pipelined = await run(Threads.make(Work, { threads: 2, jobsPerThread: 2, name: "bench, 2 jobs per thread" }))
    const raw = await RawThreads.start(2)

    type Contestant = { name: string; run: (iterations: number, jobs: number) => Promise<unknown> }
    const baseline: Contestant = {
      name: "1 thread: WorkerPool workers: 1",
      run: (it, jobs) => Effect.runPromise(inProcessPool(it, jobs))
    }
    const pool2: Contestant = {
      name: "2 threads: WorkerPool over Threads",
      run: (it, jobs) => Effect.runPromise(threadsPool(threads, it, jobs))
    }
    const direct2: Contestant = {
      name: "2 threads: Threads.run, forEach concurrency 2",
      run: (it, jobs) => Effect.runPromise(threadsForEach(threads, it, jobs, 2))
    }
    const pipelined2: Contestant = {
      name: "2 threads, jobsPerThread: 2: WorkerPool over Threads",
      run: (it, jobs) => Effect.runPromise(threadsPool(pipelined, it, jobs))
    }
    const raw2: Contestant = {
      name: "2 threads: raw worker_threads (floor)",
      run: (it, jobs) => raw.run(it, jobs)
    }

    /** Rounds of `contestants` on one job size: per contestant its runs, and its speed-ups over the first. */
    const measure = async (contestants: ReadonlyArray<Contestant>, iterations: number, jobs: number, n: number) => {
      // Warm-up: every contestant once, on fewer jobs.
      for (const c of contestants) await c.run(iterations, Math.max(10, jobs >> 3))
      const runs = contestants.map(() => [] as Array<Run>)
      for (let r = 0; r < n; r++) {
        // Each contestant follows each other equally often (see `roundOrder`).
        for (const i of roundOrder(contestants.length, r))
          runs[i]!.push(await timed(() => contestants[i]!.run(iterations, jobs)))
      }
      return contestants.map((c, i) => ({
        name: c.name,
        usPerJob: stats(runs[i]!.map((x) => (x.wallMs * 1000) / jobs)),
        mainUsPerJob: stats(runs[i]!.map((x) => (x.mainMs * 1000) / jobs)),
        speedup: stats(runs[i]!.map((x, r) => runs[0]![r]!.wallMs / x.wallMs)),
        threadIdleUs: Number.isNaN(runs[i]![0]!.idleUs) ? undefined : stats(runs[i]!.map((x) => x.idleUs))
      }))
    }

    const sizes: Array<SizeResult> = []
    for (const s of mainSizes) {
      const contestants = await measure([baseline, pool2, direct2, pipelined2, raw2], s.iterations, s.jobs, rounds)
      sizes.push({ ...s, contestants })
      log(
        `threads: ${s.targetUs} µs × ${s.jobs}: ${contestants
          .slice(1)
          .map((c) => `${c.name.replace(/^2 threads: /, "")} ${fmtRatio(c.speedup.median)}`)
          .join(", ")}`
      )
    }

    const sweep: Array<ThreadsResult["sweep"][number]> = []
    for (const us of sweepUs) {
      const jobs = sweepJobs(us)
      const [, p, w] = await measure([baseline, pool2, raw2], iterationsFor(us), jobs, sweepRounds)
      sweep.push({ targetUs: us, jobs, speedup: p!.speedup, rawSpeedup: w!.speedup })
    }
    const breakEvenUs = crossing(sweep.map((x) => ({ targetUs: x.targetUs, s: x.speedup.median })))
    const rawBreakEvenUs = crossing(sweep.map((x) => ({ targetUs: x.targetUs, s: x.rawSpeedup.median })))
    log(`threads: break-even ${breakEvenUs === undefined ? "not in the sweep" : `${breakEvenUs.toFixed(0)} µs`}`)

    // The hop: empty jobs, one at a time and two in flight.
    const hopJobs = quick ? 500 : 2000
    const hopContestants: Array<{ name: string; run: () => Promise<unknown> }> = [
      { name: "Threads.run, sequential", run: () => Effect.runPromise(threadsForEach(threads, 0, hopJobs, 1)) },
      { name: "Threads.run, 2 in flight", run: () => Effect.runPromise(threadsForEach(threads, 0, hopJobs, 2)) },
      {
        name: "WorkerPool over Threads, 2 workers",
        run: () => Effect.runPromise(threadsPool(threads, 0, hopJobs))
      },
      { name: "raw worker_threads, sequential", run: () => raw.run(0, hopJobs, 1) },
      { name: "raw worker_threads, 2 in flight", run: () => raw.run(0, hopJobs, 2) }
    ]
    for (const c of hopContestants) await c.run()
    const hopRuns = hopContestants.map(() => [] as Array<Run>)
    for (let r = 0; r < rounds; r++) {
      for (const i of roundOrder(hopContestants.length, r)) {
        hopRuns[i]!.push(await timed(hopContestants[i]!.run))
      }
    }
    const hops = hopContestants.map((c, i) => ({
      name: c.name,
      wallUs: stats(hopRuns[i]!.map((x) => (x.wallMs * 1000) / hopJobs)),
      mainUs: stats(hopRuns[i]!.map((x) => (x.mainMs * 1000) / hopJobs))
    }))
    await raw.terminate()
    await closeScope()

    // Go, on the same iterations.
    const goSizes = [
      ...mainSizes,
      ...sweepUs.map((us) => ({ targetUs: us, iterations: iterationsFor(us), jobs: sweepJobs(us) }))
    ]
    const go = runGo(goSizes)
    const withGo = sizes.map((s) => ({ ...s, go: go.figures?.get(s.iterations) }))

    // Memory per idle thread, in fresh processes.
    let rss: ThreadsResult["rss"]
    try {
      const t: Array<number> = []
      const w: Array<number> = []
      for (let r = 0; r < (quick ? 1 : 2); r++) {
        t.push(await rssInChild("threads"))
        w.push(await rssInChild("raw"))
      }
      rss = { threads: stats(t), raw: stats(w) }
    } catch (error) {
      rss = { threads: undefined, raw: undefined, error: error instanceof Error ? error.message : String(error) }
    }

    const got = sizes[0]!.contestants[1]!.speedup.median
    return {
      quick,
      cores: cpus().length,
      load: [load0, loadavg()[0]!],
      nsPerIteration,
      rounds,
      sizes: withGo,
      sweep,
      breakEvenUs,
      rawBreakEvenUs,
      hops,
      startup: {
        one: stats(startup.one),
        two: stats(startup.two),
        raw: stats(startup.raw),
        close: stats(startup.close)
      },
      rss,
      go: { measured: go.figures !== undefined, source: go.source },
      target: { wanted: 1.8, got, met: got >= 1.8 }
    }
  } finally {
    await closeScope()
  }
}

// -----------------------------------------------------------------------------
// Reporting
// -----------------------------------------------------------------------------

const range = (s: Stats, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
const ratioRange = (s: Stats) => `${fmtRatio(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`

const tables = (r: ThreadsResult, table: typeof mdTable) => {
  const sizeTables = r.sizes.map((s) => {
    const rows = s.contestants.map((c) => [
      c.name,
      range(c.usPerJob, 1),
      range(c.mainUsPerJob, 1),
      c.threadIdleUs === undefined ? "" : range(c.threadIdleUs, 1),
      ratioRange(c.speedup)
    ])
    if (s.go !== undefined) {
      const p1 = s.go.p1 / 1000
      const p2 = s.go.p2 / 1000
      rows.push(["Go, GOMAXPROCS=1", p1.toFixed(1), "", "", ""])
      rows.push(["Go, GOMAXPROCS=2", p2.toFixed(1), "", "", `${fmtRatio(p1 / p2)} over GOMAXPROCS=1`])
    }
    return {
      title: `${s.targetUs >= 1000 ? `${s.targetUs / 1000} ms` : `${s.targetUs} µs`} jobs (${s.iterations} iterations) × ${s.jobs}`,
      text: table(
        ["contestant", "wall µs/job", "main-thread µs/job", "thread idle µs/job", "speed-up over 1 thread"],
        rows
      )
    }
  })
  const sweep = table(
    ["job size", "jobs", "WorkerPool over 2 Threads", "raw worker_threads (floor)"],
    r.sweep.map((x) => [`${x.targetUs} µs`, String(x.jobs), ratioRange(x.speedup), ratioRange(x.rawSpeedup)])
  )
  const hops = table(
    ["empty job", "wall µs/job", "main-thread µs/job"],
    r.hops.map((h) => [h.name, range(h.wallUs, 1), range(h.mainUs, 1)])
  )
  const other = table(
    ["measure", "median (min–max)"],
    [
      ["Threads.make, 1 thread (ms to ready)", range(r.startup.one)],
      ["Threads.make, 2 threads (ms to ready)", range(r.startup.two)],
      ["raw Worker (ms to ready)", range(r.startup.raw)],
      ["closing the scope of idle threads (ms)", range(r.startup.close)],
      [
        `RSS per idle thread (${RSS_THREADS} in a fresh process)`,
        r.rss.threads === undefined
          ? `not measured: ${r.rss.error}`
          : `${mb(r.rss.threads.median)} (${mb(r.rss.threads.min)}–${mb(r.rss.threads.max)})`
      ],
      [
        "RSS per idle raw Worker (floor)",
        r.rss.raw === undefined ? "not measured" : `${mb(r.rss.raw.median)} (${mb(r.rss.raw.min)}–${mb(r.rss.raw.max)})`
      ]
    ]
  )
  return { sizeTables, sweep, hops, other }
}

const breakEven = (us: number | undefined) =>
  us === undefined ? "not reached in the sweep (10 µs–1 ms)" : `≈ ${us.toFixed(0)} µs per job`

const summary = (r: ThreadsResult) =>
  [
    `Target: 2 threads ≥ ${r.target.wanted}× the 1-thread pool on 1 ms jobs: ${fmtRatio(r.target.got)} — ${r.target.met ? "met" : "NOT met"}.`,
    `Break-even job size (WorkerPool over 2 Threads vs 1 thread): ${breakEven(r.breakEvenUs)}; raw worker_threads: ${breakEven(r.rawBreakEvenUs)}.`,
    `Machine: ${r.cores} cores, load average ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}; loop ${r.nsPerIteration.toFixed(3)} ns/iteration; ${r.rounds} rounds, contestants alternating${r.quick ? " (quick)" : ""}. Go: ${r.go.source}.`
  ].join("\n")

/** The row as Markdown. */
export const threadsMarkdown = (r: ThreadsResult): string => {
  const t = tables(r, mdTable)
  return [
    "### CPU-bound jobs on threads",
    "",
    summary(r)
      .split("\n")
      .map((l) => `${l}  `)
      .join("\n"),
    "",
    ...t.sizeTables.flatMap((s) => [`**${s.title}**`, "", s.text, ""]),
    "**Break-even: speed-up of 2 threads over the 1-thread pool by job size**",
    "",
    t.sweep,
    "",
    "**The hop: an empty job**",
    "",
    t.hops,
    "",
    "**Start-up and memory**",
    "",
    t.other,
    ""
  ].join("\n")
}

/** The row as plain text, for the console. */
export const threadsText = (r: ThreadsResult): string => {
  const t = tables(r, textTable)
  return [
    summary(r),
    "",
    ...t.sizeTables.flatMap((s) => [s.title, s.text, ""]),
    "Break-even: speed-up of 2 threads over the 1-thread pool by job size",
    t.sweep,
    "",
    "The hop: an empty job",
    t.hops,
    "",
    "Start-up and memory",
    t.other
  ].join("\n")
}

// The child of the RSS measure: `node --expose-gc bench/threads.ts --rss-child threads|raw` prints bytes per thread.
if (import.meta.main && process.argv[2] === "--rss-child") {
  await rssChild(process.argv[3] === "raw" ? "raw" : "threads")
  process.exit(0)
}

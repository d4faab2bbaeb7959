/**
 * effect-go benchmarks: `npm run bench [-- options]`.
 *
 *   --quick            a smoke run (fewer samples, shorter samples, smaller
 *                      growth sizes); also BENCH_QUICK=1
 *   --filter REGEX     only the sections whose id matches (row ids: pingpong,
 *                      spsc-cap1, spsc-cap64, spsc-cap1024, mpmc-4x4, select-4,
 *                      mutex-64, waitgroup-100k, bounded-10k-limit100,
 *                      crawler, threads, redis, memory-recv, memory-lock,
 *                      memory-acquire, growth-items, growth-waiters); also
 *                      BENCH_FILTER
 *   --sched MODE       default | microtask | both (default: both)
 *   --samples N        samples per contestant (default 9, quick 3)
 *   --target-ms N      calibrated duration of one sample (default 50, quick 15)
 *   --soak             run the soak (10M channel ops, 1M lock hand-offs) instead
 *   --soak-scale X     scale the soak's operation counts (default 1)
 *   --out FILE         where to write the Markdown report
 *
 * A full, unfiltered run writes bench/RESULTS.md; a quick or filtered run
 * writes bench/RESULTS.partial.md (ignored by git); the soak writes
 * bench/SOAK.md. Go's figures for the same workloads come from the program
 * in bench/go (see its README.md). bench/tools holds profiling and one-off
 * measurement helpers that are not part of this suite.
 */
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { itemsSeries, pick, waitersSeries, type ItemsSeries, type WaitersSeries } from "./growth.ts"
import {
  contestantLabel,
  fmtBytes,
  fmtNs,
  type Measured,
  measureRow,
  type RunConfig,
  type SchedulerMode,
  textTable
} from "./harness.ts"
import { type MemoryResult, measureMemory, memoryContestants } from "./memory.ts"
import {
  environment,
  environmentMarkdown,
  finishEnvironment,
  itemsTable,
  mdTable,
  memoryTable,
  ratioTable,
  rowTable,
  summarize,
  targets,
  waitersTables
} from "./report.ts"
import { writeChart } from "./chart.ts"
import { type ThreadsResult, threadsMarkdown, threadsRow, threadsText } from "./threads.ts"
import {
  type CrawlerResult,
  crawlerMarkdown,
  crawlerRow,
  type PartCost,
  partCosts,
  partsMarkdown,
  type SwapResult,
  swapMarkdown,
  swapRow
} from "./crawler.ts"
import { makeRows } from "./rows.ts"
import { redisLocks } from "./redis/peers.ts"
import { redisServerInstalled } from "../test/utils/redis.ts"
import { goReference } from "./goref.ts"
import { runSoak, soakMarkdown } from "./soak.ts"

// -----------------------------------------------------------------------------
// Command line
// -----------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name: string): boolean => argv.includes(`--${name}`)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  if (i >= 0) return argv[i + 1]
  const eq = argv.find((a) => a.startsWith(`--${name}=`))
  return eq?.slice(name.length + 3)
}

const quick = flag("quick") || process.env.BENCH_QUICK === "1"
const filterSource = option("filter") ?? process.env.BENCH_FILTER
const sched = option("sched") ?? "both"
const schedulers: ReadonlyArray<SchedulerMode> =
  sched === "default" ? ["default"] : sched === "microtask" || sched === "sync" ? ["sync"] : ["default", "sync"]

const config: RunConfig = {
  quick,
  samples: Number(option("samples") ?? (quick ? 3 : 9)),
  targetMs: Number(option("target-ms") ?? (quick ? 15 : 50)),
  schedulers,
  filter: filterSource === undefined ? undefined : new RegExp(filterSource, "i"),
  log: (line) => console.log(line),
  warmupMs: quick ? 60 : 300,
  warmupOps: quick ? 10_000 : 50_000
}
const log = config.log
const wanted = (id: string): boolean => config.filter === undefined || config.filter.test(id)
const benchDir = (file: string): string => fileURLToPath(new URL(file, import.meta.url))

// -----------------------------------------------------------------------------
// Soak
// -----------------------------------------------------------------------------

if (flag("soak")) {
  const env = environment()
  const scale = Number(option("soak-scale") ?? (quick ? 0.1 : 1))
  const results = await runSoak(log, scale)
  finishEnvironment(env)
  const md = `# effect-go soak\n\n${environmentMarkdown(env, `soak, scale ${scale}`)}\n\n${soakMarkdown(results)}`
  const out = option("out") ?? benchDir("SOAK.md")
  writeFileSync(out, md)
  log(`\n${soakMarkdown(results).split("\n\n")[0]}\n\nwritten: ${out}`)
  process.exit(0)
}

// -----------------------------------------------------------------------------
// Throughput rows
// -----------------------------------------------------------------------------

const started = performance.now()
const env = environment()
const goRef = goReference(log)
log(`Go figures: ${goRef.source}`)
const rows = makeRows(config, goRef.figures)
const results: Array<Measured> = []

log(
  `effect-go benchmarks — ${quick ? "quick" : "full"} run, ${config.samples} samples of ~${config.targetMs} ms, ` +
    `schedulers: ${schedulers.join(", ")}${config.filter ? `, filter /${config.filter.source}/` : ""}`
)
log(`Node ${process.version}, ${env.cpu} × ${env.cores}, load ${env.loadStart}\n`)

const chosenRows = rows.filter((r) => wanted(r.id))
for (const [index, row] of chosenRows.entries()) {
  log(
    `== [row ${index + 1} of ${chosenRows.length}, ${((performance.now() - started) / 1000).toFixed(0)} s] ${row.title} [${row.id}] (ns per ${row.unit}; Go: ${row.go ? `${row.go.p1} at P=1, ${row.go.p2} at P=2` : "—"})`
  )
  for (const c of row.contestants) {
    if (c.skip !== undefined) log(`   ${contestantLabel(c).padEnd(62)} skipped: ${c.skip}`)
  }
  for (const m of await measureRow(
    row,
    row.contestants.filter((c) => c.skip === undefined),
    config
  )) {
    results.push(m)
    log(
      `   ${contestantLabel(m.contestant).padEnd(62)} ${
        m.error !== undefined
          ? `error: ${m.error}`
          : `${fmtNs(m.median).padStart(9)}  (${fmtNs(m.min)}–${fmtNs(m.max)}, n=${m.n})`
      }`
    )
  }
  log("")
}

// -----------------------------------------------------------------------------
// A real service: the crawler
// -----------------------------------------------------------------------------

let crawler: CrawlerResult | undefined
let crawlerParts: ReadonlyArray<PartCost> = []
let crawlerSwaps: ReadonlyArray<SwapResult> = []
if (wanted("crawler")) {
  log(
    `== [${((performance.now() - started) / 1000).toFixed(0)} s] A real service: the crawler, effect-go and plain Effect`
  )
  crawler = await crawlerRow({ quick, log: (line) => log(`   ${line}`) })
  crawlerParts = await partCosts({ quick })
  crawlerSwaps = await swapRow({ quick })
  log(crawlerMarkdown(crawler))
  log(`\n${partsMarkdown(crawlerParts)}\n`)
  log(`${swapMarkdown(crawlerSwaps)}\n`)
}

// -----------------------------------------------------------------------------
// Every core: CPU-bound jobs on threads
// -----------------------------------------------------------------------------

let threads: ThreadsResult | undefined
if (wanted("threads")) {
  log(`== [${((performance.now() - started) / 1000).toFixed(0)} s] CPU-bound jobs on threads`)
  threads = await threadsRow({ quick, log: (line) => log(`   ${line}`) })
  log(`${threadsText(threads)}\n`)
}

// -----------------------------------------------------------------------------
// Beyond one process: locks on Redis
// -----------------------------------------------------------------------------

let redis: string | undefined
if (wanted("redis")) {
  if (redisServerInstalled) {
    log(`== [${((performance.now() - started) / 1000).toFixed(0)} s] Locks on Redis, between processes`)
    redis = (await redisLocks()).markdown
    log(`${redis}\n`)
  } else {
    log("== redis-server is not installed: skipping the Redis locks section (apt-get install redis-server)")
  }
}

// -----------------------------------------------------------------------------
// Memory
// -----------------------------------------------------------------------------

const memoryResults: Array<MemoryResult> = []
// Go's figure is taken with 100k goroutines; resident memory is only comparable at the same N.
const memoryN = 100_000
const memoryRuns = quick ? 1 : 3
const memoryWanted = memoryContestants().filter((c) => wanted(`memory-${c.on}`))
if (memoryWanted.length > 0) {
  log(
    `== [${((performance.now() - started) / 1000).toFixed(0)} s] Memory per blocked fiber (${memoryN.toLocaleString("en-US")} fibers, median of ${memoryRuns})`
  )
  for (const c of memoryWanted) {
    const r = await measureMemory(c, memoryN, memoryRuns)
    memoryResults.push(r)
    log(
      `   ${c.on.padEnd(8)} ${c.name.padEnd(52)} ${
        c.skip ??
        (r.error !== undefined
          ? `error: ${r.error}`
          : `heap ${Math.round(r.median)} B, resident ${Math.round(r.rss.median)} B`)
      }`
    )
  }
  log("")
}

// -----------------------------------------------------------------------------
// Growth
// -----------------------------------------------------------------------------

let items: Array<ItemsSeries> = []
if (wanted("growth-items")) {
  const sizes = quick ? [1_000, 10_000, 50_000] : [1_000, 10_000, 100_000, 1_000_000]
  log(`== [${((performance.now() - started) / 1000).toFixed(0)} s] Growth with items: ns/op at ${sizes.join(", ")}`)
  const series: Array<[string, string, string]> = [
    ["effect-go SPSC Chan(64)", "spsc-cap64", "effect-go Chan(64)"],
    ["effect-go ping-pong Chan(0)", "pingpong", "effect-go Chan(0)"],
    ["effect-go MPMC 4×4 Chan(64)", "mpmc-4x4", "effect-go Chan(64)"],
    ["effect-go Select over 4", "select-4", "effect-go Select"],
    ["effect-go Mutex, 64 fibers", "mutex-64", "effect-go Mutex lock/unlock"],
    ["Effect SPSC Queue.bounded(64)", "spsc-cap64", "Effect Queue.bounded(64)"]
  ]
  // The growth contestants come from rows built for the default scheduler.
  const defaultRows = makeRows({ ...config, schedulers: ["default"] }, goRef.figures)
  for (const [label, rowId, name] of series) {
    const c = pick(defaultRows, rowId, name)
    if (c === undefined) continue
    const s = await itemsSeries(label, c, sizes, quick ? 2 : 3, quick ? 10 : 60)
    items.push(s)
    log(
      `   ${label.padEnd(40)} ${s.points.map((p) => fmtNs(p.nsPerOp).padStart(8)).join(" ")}${s.error ? ` error: ${s.error}` : ""}`
    )
  }
  log("")
}

let waiters: Array<WaitersSeries> = []
if (wanted("growth-waiters")) {
  const sizes = quick ? [1, 100, 10_000] : [1, 100, 10_000, 100_000]
  log(
    `== [${((performance.now() - started) / 1000).toFixed(0)} s] Growth with waiters: park / wake / interrupt-middle, ns per op, at W = ${sizes.join(", ")}`
  )
  waiters = await waitersSeries(sizes, quick ? 2_000 : 10_000, quick ? 1 : 4)
  for (const s of waiters) {
    log(
      `   ${s.label.padEnd(40)} ${
        s.skip ??
        s.points
          .map((p) => `W=${p.waiters}: ${p.skipped ?? `${fmtNs(p.parkNs)}/${fmtNs(p.wakeNs)}/${fmtNs(p.interruptNs)}`}`)
          .join("  ")
      }${s.error ? ` error: ${s.error}` : ""}`
    )
  }
  log("")
}
items = items.filter((s) => s.points.length > 0 || s.error !== undefined)

// -----------------------------------------------------------------------------
// Report
// -----------------------------------------------------------------------------

finishEnvironment(env)
const ranRows = rows.filter((r) => wanted(r.id))
const summaries = ranRows.flatMap((row) => schedulers.map((mode) => summarize(row, results, mode)))
const verdicts = targets(results, summaries, memoryResults, goRef.figures, crawler, threads)
const pending = rows.flatMap((row) =>
  row.contestants.filter((c) => c.skip?.startsWith("pending")).map((c) => `${row.title}: ${c.name} — ${c.skip}`)
)
const memoryPending = memoryResults.filter((r) => r.contestant.skip !== undefined)
const waitersPending = waiters.filter((s) => s.skip !== undefined)
const allPending = [
  ...new Set([
    ...pending,
    ...memoryPending.map((r) => `Memory, blocked on ${r.contestant.on}: ${r.contestant.name} — ${r.contestant.skip}`),
    ...waitersPending.map((s) => `Growth with waiters: ${s.label} — ${s.skip}`)
  ])
]

const [ratioHeader, ratioRows] = ratioTable(summaries)
log("== Ratios (ns per op; a ratio below 1× means effect-go is faster)")
log(textTable(ratioHeader, ratioRows))
log("\n== Targets")
log(
  textTable(
    ["target", "figures", "met"],
    verdicts.map((v) => [v.target, v.figures, v.met === undefined ? "pending" : v.met ? "yes" : "NO"])
  )
)
if (allPending.length > 0) log(`\n== Pending\n${allPending.map((p) => `- ${p}`).join("\n")}`)

const elapsed = (performance.now() - started) / 1000
const partial = quick || config.filter !== undefined || schedulers.length < 2
const mode = `${quick ? "quick" : "full"}${config.filter ? `, filter /${config.filter.source}/` : ""}; ${config.samples} samples per contestant of ~${config.targetMs} ms each, three times as many for the fixed-size rows (one full workload run per sample after a warm-up, taken in rounds across the row's contestants, each following every other equally often; heap collected before each row, not between samples: see bench/harness.ts); schedulers: ${schedulers.map((s) => (s === "sync" ? "microtask" : "default")).join(", ")}; took ${elapsed.toFixed(0)} s`

const section = (title: string, body: string) => `## ${title}\n\n${body}\n`
const md = [
  "# effect-go benchmark results\n",
  "Generated by `npm run bench` (bench/run.ts). Do not edit by hand: re-run it.\n",
  `${environmentMarkdown(env, mode)}\n`,
  section(
    "Ratios",
    "ns per operation. A ratio below 1× means effect-go is faster (fewer ns per op); above 1× slower. " +
      "effect-go is the row's first effect-go contestant (Go's own program, ported), and the ratios are its; " +
      '"best effect-go way" is the row\'s fastest effect-go contestant when it is another one (the throughput targets use it); ' +
      '"best Effect" and "best JS peer" are the fastest of their kind in the row. ' +
      '"default" is Effect\'s default scheduler (yields through `setImmediate`); "microtask" is ' +
      '`new Scheduler.MixedScheduler("sync")` provided through the `Scheduler` reference; JS peers do not depend on it. ' +
      `Go figures are ${goRef.source}; JavaScript runs on one thread, so P=1 is the like-for-like one.\n\n` +
      mdTable(ratioHeader, ratioRows, 2)
  ),
  section(
    "Targets",
    mdTable(
      ["target", "figures", "met"],
      verdicts.map((v) => [v.target, v.figures, v.met === undefined ? "pending" : v.met ? "yes" : "**no**"]),
      2
    )
  ),
  section(
    "Rows",
    ranRows
      .map((row) => {
        const [h, r] = rowTable(row, results)
        const notes = row.contestants.filter((c) => c.note !== undefined && c.scheduler !== "sync")
        return `### ${row.title} (\`${row.id}\`, ns per ${row.unit}; Go ${row.go ? `${row.go.p1} at P=1, ${row.go.p2} at P=2` : "—"})\n\n${mdTable(h, r, 2)}${
          notes.length > 0 ? `\n\n${notes.map((c) => `- ${c.name}: ${c.note}`).join("\n")}` : ""
        }\n`
      })
      .join("\n")
  ),
  crawler !== undefined
    ? section(
        "A real service: the crawler",
        "The same service written three times, in one process, on the same seeded in-process upstream and key lists, the versions alternating round by round (bench/crawler.ts): " +
          "with effect-go as its documentation recommends (`ErrGroup.forEach({ limit })`, `GoContext.runWithTimeout` (Go's `WithTimeout` + `defer cancel()` around each fetch), `SingleFlight`, `Semaphore.Service`, `Pipeline.parallel` for the ordered transform), " +
          "and in plain Effect (`forEach` with `concurrency`, `Effect.timeout`, `Cache` with `timeToLive: 0`, Effect's `Semaphore` as a service, `forEach` for the transform); " +
          "a third version is plain Effect with the transform as Effect's own concurrent ordered stage (`Stream.mapEffect`), the design of a channel stage in Effect alone. " +
          "CPU per request is `process.cpuUsage()` over a round divided by its requests; fibers per request counts every fork (Effect's global fiber id).\n\n" +
          crawlerMarkdown(crawler) +
          "\n\n### What bounds it\n\nEach part of a request both ways, 16 at once, CPU µs per use (median of alternating rounds):\n\n" +
          partsMarkdown(crawlerParts) +
          "\n\nThe same parts in place: the effect-go version with one part done plain Effect's way, the versions alternating round by round (each following every other equally often), CPU µs per request, and its change from the effect-go version run in the same round. " +
          "The service waits on its upstream most of the time, so each request's code runs cold, and a part can cost there several times what it costs in the tight loop above. A change whose middle half spans zero is within what moves from round to round:\n\n" +
          swapMarkdown(crawlerSwaps)
      )
    : "",
  threads !== undefined ? section("Every core: threads", threadsMarkdown(threads)) : "",
  redis !== undefined
    ? section(
        "Beyond one process: locks on Redis",
        "Each contestant in real child processes against a private redis-server on 127.0.0.1 (no persistence), " +
          "used as its documentation recommends (bench/redis/peers.ts and bench/redis/contestants/).\n\n" +
          redis
      )
    : "",
  memoryResults.length > 0
    ? section(
        "Memory per blocked fiber",
        `N fibers (or async tasks) parked, each contestant in a fresh Node process (default V8 flags), divided by N; median of ${memoryRuns} runs (processes). ` +
          "Live heap: the heapUsed delta after a full GC — the fiber, its continuation stack, its waiter node and the parent's reference to it. " +
          "Resident memory: the RSS delta after a full GC, the way Go's figure is taken; beyond the live heap it holds the young generation V8 grows (tens of MB, reused, not per fiber) during the burst of forks, so it falls per fiber as N grows. " +
          `Go's figure (${fmtBytes(goRef.figures.memory.p2)} at P=2, ${fmtBytes(goRef.figures.memory.p1)} at P=1) is the runtime.MemStats.Sys delta per goroutine blocked on a receive, stack included, with 100,000 goroutines.\n\n` +
          mdTable(...memoryTable(memoryResults, goRef.figures), 3) +
          memoryResults
            .filter((r) => r.contestant.note !== undefined)
            .map((r) => `\n- ${r.contestant.name} (${r.contestant.on}): ${r.contestant.note}`)
            .join("")
      )
    : "",
  items.length > 0 || waiters.length > 0
    ? section(
        "Growth",
        (items.length > 0
          ? "### With items (ns per operation, median; ± is half the interquartile range)\n\n" +
            "The fixed cost of a run (creating the channel, forking the workers) is spread over n operations, so n = 1,000 is higher; from 10k on, a flat line means O(1) per operation.\n\n" +
            mdTable(...itemsTable(items)) +
            "\n\n"
          : "") +
          (waiters.length > 0
            ? `### With waiters\n\nW fibers parked on one primitive (plus up to 100 more that are interrupted from the middle of the list, one at a time), default scheduler, rounds repeated until about ${quick ? "2,000" : "10,000"} operations per point (one round at 100k); a primitive whose point takes more than ${quick ? 1 : 4} s is not run at larger sizes.\n\n` +
              waitersTables(waiters)
                .map(([title, t]) => `#### ${title}\n\n${mdTable(...t)}`)
                .join("\n\n")
            : "")
      )
    : "",
  allPending.length > 0 ? section("Pending rows", allPending.map((p) => `- ${p}`).join("\n")) : "",
  section(
    "Method",
    [
      "- Harness: one sample is one whole workload run of n operations (calibrated so that a sample takes the target time, or fixed by the row: 100k locks, 100k spawned tasks, 10k bounded tasks); each contestant of a row is warmed up first, then the samples are taken in rounds, one run of every contestant per round in an order where each follows every other equally often (a Williams design: the next run collects a run's garbage, so a fixed predecessor would charge one contestant for another's), so that drift and bursts of load fall on all of them alike; the heap is collected before the row, outside the timed region, not between samples.",
      "- Every contestant of a row runs in the same process, their samples interleaved in rounds; medians over the samples, spread = (max − min) / median.",
      "- Effect-based loops use `Effect.whileLoop`, loop bodies are built once and re-run, workers are forked with `Effect.forkChild` and joined with `Fiber.joinAll`; JS peers use plain async functions. Tasks in the bounded row yield once (`Effect.yieldNow`; `await undefined` for Promise-based peers), as Go's program calls `runtime.Gosched()`.",
      "- ts-chan is run twice: as shipped (each send/recv waits for a macrotask turn unless one already passed — its guard against microtask starvation) and with `setUnsafe(true)`, which removes that guard.",
      "- Floors are not peers: a minimal Promise-resolver channel/lock with no close, select or cancellation, a synchronous ring buffer, a 100-worker Promise pool.",
      "- Soak results are in bench/SOAK.md (`npm run bench -- --soak`)."
    ].join("\n")
  )
]
  .filter((s) => s !== "")
  .join("\n")

const out = option("out") ?? benchDir(partial ? "RESULTS.partial.md" : "RESULTS.md")
writeFileSync(out, md)
log(`\nwritten: ${out} (${elapsed.toFixed(0)} s)`)
if (!partial && option("out") === undefined) {
  writeChart(out, benchDir("chart.svg"))
  log(`written: ${benchDir("chart.svg")}`)
}

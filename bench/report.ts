/**
 * Tables, ratios and target verdicts, for the console and for RESULTS.md.
 */
import { execSync } from "node:child_process"
import { readFileSync } from "node:fs"
import * as os from "node:os"
import type { ItemsSeries, WaitersSeries } from "./growth.ts"
import {
  contestantLabel,
  fmtBytes,
  fmtInt,
  fmtNs,
  fmtRatio,
  type Measured,
  mdTable,
  type Row,
  type SchedulerMode,
  spreadPct
} from "./harness.ts"
import type { CrawlerResult } from "./crawler.ts"
import type { ThreadsResult } from "./threads.ts"
import type { MemoryResult } from "./memory.ts"
import type { GoFigures } from "./goref.ts"

// -----------------------------------------------------------------------------
// Environment
// -----------------------------------------------------------------------------

const pkgVersion = (name: string): string => {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version
  } catch {
    return "?"
  }
}

const git = (args: string): string => {
  try {
    return execSync(`git ${args}`, { cwd: new URL("..", import.meta.url), stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim()
  } catch {
    return "?"
  }
}

export interface Environment {
  readonly date: string
  readonly cpu: string
  readonly cores: number
  readonly memory: string
  readonly os: string
  readonly node: string
  readonly v8: string
  readonly packages: Record<string, string>
  readonly commit: string
  readonly loadStart: string
  loadEnd: string
}

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ")

export const environment = (): Environment => {
  const dirty = git("status --porcelain -- src").length > 0
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? "?",
    cores: os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    packages: Object.fromEntries(
      ["effect", "mitata", "ts-chan", "async-mutex", "p-limit", "p-queue"].map((p) => [p, pkgVersion(p)])
    ),
    commit: `${git("rev-parse --short HEAD")}${dirty ? " (src/ has uncommitted changes)" : ""}`,
    loadStart: loadavg(),
    loadEnd: ""
  }
}

export const finishEnvironment = (env: Environment): void => {
  env.loadEnd = loadavg()
}

export const environmentMarkdown = (env: Environment, mode: string): string =>
  [
    `- Date: ${env.date}`,
    `- Machine: ${env.cpu}, ${env.cores} cores, ${env.memory}; ${env.os}`,
    `- Load average (1/5/15 min) at start: ${env.loadStart}; at end: ${env.loadEnd} — other work was running, so read absolute numbers as magnitudes and compare within a row`,
    `- Node ${env.node} (V8 ${env.v8}), effect-go 0.1.0 at ${env.commit}`,
    `- Packages: ${Object.entries(env.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `- Mode: ${mode}`
  ].join("\n")

// -----------------------------------------------------------------------------
// Ratios
// -----------------------------------------------------------------------------

const ok = (m: Measured | undefined): m is Measured => m !== undefined && Number.isFinite(m.median)

const bestOf = (ms: ReadonlyArray<Measured>): Measured | undefined =>
  ms
    .filter(ok)
    .reduce<Measured | undefined>((best, m) => (best === undefined || m.median < best.median ? m : best), undefined)

export interface RowSummary {
  readonly row: Row
  readonly mode: SchedulerMode
  /** The row's first effect-go contestant (Go's own program, ported). */
  readonly effectGo: Measured | undefined
  /**
   * The row's fastest effect-go contestant: the way a user of the library
   * would do it best (for the bounded-task row, a group or pool with a limit
   * rather than Go's channel-as-semaphore over 10k goroutines).
   */
  readonly bestEffectGo: Measured | undefined
  readonly effect: Measured | undefined
  readonly peer: Measured | undefined
  readonly floor: Measured | undefined
}

export const summarize = (row: Row, results: ReadonlyArray<Measured>, mode: SchedulerMode): RowSummary => {
  const mine = results.filter((m) => m.row.id === row.id)
  const inMode = (m: Measured) => m.contestant.scheduler === mode
  return {
    row,
    mode,
    effectGo: mine.find((m) => m.contestant.kind === "effect-go" && inMode(m) && ok(m)),
    bestEffectGo: bestOf(mine.filter((m) => m.contestant.kind === "effect-go" && inMode(m))),
    effect: bestOf(mine.filter((m) => m.contestant.kind === "effect" && inMode(m))),
    peer: bestOf(mine.filter((m) => m.contestant.kind === "peer")),
    floor: bestOf(mine.filter((m) => m.contestant.kind === "floor"))
  }
}

const ratio = (a: Measured | undefined, b: Measured | undefined | number): number => {
  const bv = typeof b === "number" ? b : b?.median
  return ok(a) && bv !== undefined && Number.isFinite(bv) ? a.median / bv : Number.NaN
}

/** The ratio table: one line per row and scheduler. */
export const ratioTable = (summaries: ReadonlyArray<RowSummary>): [Array<string>, Array<Array<string>>] => {
  const header = [
    "row",
    "sched.",
    "effect-go ns/op",
    "best effect-go way",
    "best Effect",
    "÷ Effect",
    "best JS peer",
    "÷ peer",
    "Go P=1 / P=2",
    "÷ Go (P=1)",
    "÷ Go (P=2)"
  ]
  const rows = summaries.map((s) => [
    s.row.title,
    s.mode === "sync" ? "microtask" : "default",
    ok(s.effectGo) ? fmtNs(s.effectGo.median) : "pending",
    !ok(s.bestEffectGo) || s.bestEffectGo === s.effectGo
      ? "same"
      : `${fmtNs(s.bestEffectGo.median)} (${s.bestEffectGo.contestant.name.replace(/^effect-go /, "")})`,
    ok(s.effect) ? `${fmtNs(s.effect.median)} (${s.effect.contestant.name.replace(/^Effect /, "")})` : "n/a",
    fmtRatio(ratio(s.effectGo, s.effect)),
    ok(s.peer) ? `${fmtNs(s.peer.median)} (${s.peer.contestant.name})` : "n/a",
    fmtRatio(ratio(s.effectGo, s.peer)),
    s.row.go === undefined ? "—" : `${s.row.go.p1} / ${s.row.go.p2}`,
    fmtRatio(ratio(s.effectGo, s.row.go?.p1 ?? Number.NaN)),
    fmtRatio(ratio(s.effectGo, s.row.go?.p2 ?? Number.NaN))
  ])
  return [header, rows]
}

/** Detail table of one row: every contestant. */
export const rowTable = (row: Row, results: ReadonlyArray<Measured>): [Array<string>, Array<Array<string>>] => {
  const header = ["contestant", "kind", "n", `ns/${row.unit} (median)`, "spread (max−min)/median", "ops/s", "÷ Go P=1"]
  const rows = row.contestants.map((c) => {
    const m = results.find((r) => r.row.id === row.id && r.contestant === c)
    if (c.skip !== undefined) return [contestantLabel(c), c.kind, "—", "skipped", c.skip, "", ""]
    if (m === undefined) return [contestantLabel(c), c.kind, "—", "not run", "", "", ""]
    if (m.error !== undefined) return [contestantLabel(c), c.kind, "—", "error", m.error.slice(0, 80), "", ""]
    return [
      contestantLabel(c),
      c.kind,
      fmtInt(m.n),
      fmtNs(m.median),
      `±${(spreadPct(m) / 2).toFixed(0)}% (${fmtNs(m.min)}–${fmtNs(m.max)})`,
      fmtInt(Math.round(1e9 / m.median)),
      row.go === undefined ? "—" : fmtRatio(m.median / row.go.p1)
    ]
  })
  return [header, rows]
}

// -----------------------------------------------------------------------------
// Targets
// -----------------------------------------------------------------------------

export interface Verdict {
  readonly target: string
  readonly figures: string
  readonly met: boolean | undefined
}

const find = (results: ReadonlyArray<Measured>, rowId: string, name: string, mode?: SchedulerMode) =>
  results.find(
    (m) =>
      m.row.id === rowId &&
      m.contestant.name === name &&
      (mode === undefined || m.contestant.scheduler === mode) &&
      ok(m)
  )

const verdict = (target: string, figures: string, met: boolean | undefined): Verdict => ({ target, figures, met })

export const targets = (
  results: ReadonlyArray<Measured>,
  summaries: ReadonlyArray<RowSummary>,
  memory: ReadonlyArray<MemoryResult>,
  go: GoFigures,
  crawler?: CrawlerResult | undefined,
  threads?: ThreadsResult | undefined
): Array<Verdict> => {
  const out: Array<Verdict> = []
  const modes: ReadonlyArray<SchedulerMode> = ["default", "sync"]
  const label = (mode: SchedulerMode) => (mode === "sync" ? "microtask" : "default")
  const cmp = (
    target: string,
    rowId: string,
    mine: string,
    theirs: string,
    factor: number,
    mode: SchedulerMode
  ): Verdict | undefined => {
    const a = find(results, rowId, mine, mode)
    const b = find(results, rowId, theirs, mode)
    if (a === undefined || b === undefined) return undefined
    const x = b.median / a.median
    return verdict(
      `${target} [${label(mode)}]`,
      `${fmtNs(a.median)} vs ${fmtNs(b.median)} ns → ${x.toFixed(2)}× the throughput`,
      x >= factor
    )
  }
  for (const mode of modes) {
    const v = [
      cmp(
        "SPSC cap 64 ≥ 3× Queue.bounded(64)",
        "spsc-cap64",
        "effect-go Chan(64)",
        "Effect Queue.bounded(64)",
        3,
        mode
      ),
      cmp(
        "Unbuffered ping-pong no slower than Queue.bounded(0)",
        "pingpong",
        "effect-go Chan(0)",
        "Effect Queue.bounded(0)",
        1,
        mode
      ),
      cmp("MPMC 4×4 ≥ 2× Queue.bounded(64)", "mpmc-4x4", "effect-go Chan(64)", "Effect Queue.bounded(64)", 2, mode),
      cmp(
        "Batch receive: Chan(64) recvAll no slower per item than Queue.bounded(64) takeAll",
        "spsc-cap64",
        "effect-go Chan(64), recvAll",
        "Effect Queue.bounded(64), takeAll",
        1,
        mode
      ),
      cmp(
        "Batch receive: Chan(1024) recvAll no slower per item than Queue.bounded(1024) takeAll",
        "spsc-cap1024",
        "effect-go Chan(1024), recvAll",
        "Effect Queue.bounded(1024), takeAll",
        1,
        mode
      ),
      cmp(
        "Select over 4 recv ≥ ½ the throughput of plain recv",
        "select-4",
        "effect-go Select",
        "effect-go plain recv (1 chan, cap 16)",
        0.5,
        mode
      )
    ]
    for (const x of v) if (x !== undefined) out.push(x)
  }
  for (const on of ["recv", "lock", "acquire"] as const) {
    const m = memory.find((r) => r.contestant.on === on && r.contestant.kind === "effect-go")
    if (m === undefined) continue
    out.push(
      verdict(
        `≤ 1.5 KB per fiber blocked on ${on}`,
        Number.isFinite(m.median)
          ? `${fmtBytes(m.median)} (${m.contestant.name})`
          : (m.contestant.skip ?? m.error ?? "—"),
        Number.isFinite(m.median) ? m.median <= 1536 : undefined
      )
    )
  }
  // Resident memory, the way Go's figure is taken; the floor is the least an
  // Effect fiber parked with an interruption handler keeps (Deferred.await).
  const rssOf = (r: MemoryResult | undefined) =>
    r !== undefined && Number.isFinite(r.rss.median) ? r.rss.median : undefined
  const floor = memory.find((r) => r.contestant.name === "Effect Deferred.await")
  for (const on of ["recv", "lock", "acquire"] as const) {
    const m = memory.find((r) => r.contestant.on === on && r.contestant.kind === "effect-go")
    const rss = rssOf(m)
    if (m === undefined || rss === undefined) continue
    const floorRss = rssOf(floor)
    out.push(
      verdict(
        `Resident memory per fiber blocked on ${on} ≤ 0.5× Go's (P=2)`,
        `${fmtBytes(rss)} (${m.contestant.name}) vs Go ${fmtBytes(go.memory.p2)} → ${fmtRatio(rss / go.memory.p2)}` +
          (floorRss !== undefined
            ? `; floor (Effect Deferred.await) ${fmtBytes(floorRss)} → ${fmtRatio(floorRss / go.memory.p2)}`
            : ""),
        rss <= 0.5 * go.memory.p2
      )
    )
  }
  const channelAndLock = ["pingpong", "spsc-cap1", "spsc-cap64", "spsc-cap1024", "mpmc-4x4", "mutex-64"]
  for (const mode of modes) {
    for (const s of summaries.filter((s) => s.mode === mode && channelAndLock.includes(s.row.id))) {
      if (!ok(s.effectGo) || !ok(s.effect)) continue
      out.push(
        verdict(
          `Ahead of Effect on ${s.row.title} [${label(mode)}]`,
          `${fmtNs(s.effectGo.median)} vs ${fmtNs(s.effect.median)} (${s.effect.contestant.name}) → ${fmtRatio(ratio(s.effectGo, s.effect))}`,
          s.effectGo.median < s.effect.median
        )
      )
    }
  }
  const aheadOfPeers = ["spsc-cap1", "spsc-cap64", "spsc-cap1024", "mpmc-4x4", "select-4", "bounded-10k-limit100"]
  for (const mode of modes) {
    for (const s of summaries.filter((s) => s.mode === mode && aheadOfPeers.includes(s.row.id))) {
      // Throughput targets: the library's best way to do the workload.
      const mine = s.bestEffectGo
      if (!ok(mine) || !ok(s.peer)) continue
      out.push(
        verdict(
          `Ahead of every JS peer on ${s.row.title} [${label(mode)}]`,
          `${fmtNs(mine.median)} (${mine.contestant.name}) vs ${fmtNs(s.peer.median)} (${s.peer.contestant.name}) → ${fmtRatio(ratio(mine, s.peer))}`,
          mine.median < s.peer.median
        )
      )
    }
  }
  for (const s of summaries.filter((s) => s.row.handoff === true)) {
    if (!ok(s.effectGo) || !ok(s.peer)) continue
    const r = ratio(s.effectGo, s.peer)
    const limit = s.mode === "sync" ? 1 : 2
    out.push(
      verdict(
        s.mode === "sync"
          ? `Hand-off row ahead of the best peer: ${s.row.title} [microtask]`
          : `Hand-off row within 2× of the best peer: ${s.row.title} [default]`,
        `${fmtNs(s.effectGo.median)} vs ${fmtNs(s.peer.median)} (${s.peer.contestant.name}) → ${fmtRatio(r)}`,
        s.mode === "sync" ? r < limit : r <= limit
      )
    )
  }
  if (crawler !== undefined) {
    out.push(
      verdict(
        "Crawler: effect-go's CPU per request ≤ plain Effect's",
        `${crawler.go.cpuPerRequest.median.toFixed(0)} vs ${crawler.effect.cpuPerRequest.median.toFixed(0)} µs → ${fmtRatio(crawler.cpuRatio)}`,
        crawler.cpuRatio <= 1
      ),
      verdict(
        "Crawler: effect-go's requests/s ≥ plain Effect's",
        `${crawler.go.requestsPerSecond.median.toFixed(0)} vs ${crawler.effect.requestsPerSecond.median.toFixed(0)} → ${fmtRatio(crawler.throughputRatio)}`,
        crawler.throughputRatio >= 1
      )
    )
  }
  const oneMs = threads?.sizes.find((size) => size.targetUs === 1000)
  if (oneMs !== undefined) {
    const speedup = (name: string) => oneMs.contestants.find((c) => c.name === name)?.speedup.median
    const best = Math.max(
      ...oneMs.contestants
        .filter((c) => c.name.includes("over Threads") || c.name.includes("Threads.run"))
        .map((c) => c.speedup.median)
    )
    const raw = speedup("2 threads: raw worker_threads (floor)")
    out.push(
      verdict(
        "Threads: 2 threads ≥ 1.8× the single-thread pool on 1 ms jobs",
        `${fmtRatio(best)} (best way over Threads)${raw !== undefined ? `; floor, raw worker_threads: ${fmtRatio(raw)}` : ""}${
          oneMs.go !== undefined ? `; Go GOMAXPROCS 2 ÷ 1: ${fmtRatio(oneMs.go.p1 / oneMs.go.p2)}` : ""
        }`,
        best >= 1.8
      )
    )
  }
  return out
}

// -----------------------------------------------------------------------------
// Memory and growth
// -----------------------------------------------------------------------------

export const memoryTable = (
  results: ReadonlyArray<MemoryResult>,
  go: GoFigures
): [Array<string>, Array<Array<string>>] => [
  [
    "blocked on",
    "contestant",
    "kind",
    "fibers",
    "live heap per fiber (median)",
    "min–max",
    "resident memory per fiber (median)",
    "min–max",
    `resident ÷ Go (P=2, ${fmtBytes(go.memory.p2)})`
  ],
  results.map((r) => [
    r.contestant.on,
    r.contestant.name,
    r.contestant.kind,
    fmtInt(r.n),
    r.contestant.skip ?? (r.error !== undefined ? `error: ${r.error.slice(0, 60)}` : fmtBytes(r.median)),
    Number.isFinite(r.min) ? `${fmtBytes(r.min)}–${fmtBytes(r.max)}` : "",
    Number.isFinite(r.rss.median) ? fmtBytes(r.rss.median) : "",
    Number.isFinite(r.rss.min) ? `${fmtBytes(r.rss.min)}–${fmtBytes(r.rss.max)}` : "",
    Number.isFinite(r.rss.median) ? fmtRatio(r.rss.median / go.memory.p2) : ""
  ])
]

export const itemsTable = (series: ReadonlyArray<ItemsSeries>): [Array<string>, Array<Array<string>>] => {
  const sizes = [...new Set(series.flatMap((s) => s.points.map((p) => p.n)))].sort((a, b) => a - b)
  return [
    ["workload (ns/op)", ...sizes.map((n) => `n = ${fmtInt(n)}`), "largest ÷ 10k"],
    series.map((s) => {
      const at = (n: number) => s.points.find((p) => p.n === n)
      const base = at(10_000)?.nsPerOp ?? Number.NaN
      const last = s.points[s.points.length - 1]?.nsPerOp ?? Number.NaN
      return [
        s.label,
        ...sizes.map((n) => {
          const p = at(n)
          if (p !== undefined) return `${fmtNs(p.nsPerOp)} ±${(p.spreadPct / 2).toFixed(0)}%`
          if (s.failedAt === n) return s.error?.startsWith("hung") ? "**hung**" : "error"
          return "—"
        }),
        fmtRatio(last / base)
      ]
    })
  ]
}

export const waitersTables = (
  series: ReadonlyArray<WaitersSeries>
): Array<[string, [Array<string>, Array<Array<string>>]]> => {
  const sizes = [...new Set(series.flatMap((s) => s.points.map((p) => p.waiters)))].sort((a, b) => a - b)
  const one = (title: string, get: (p: WaitersSeries["points"][number]) => number) =>
    [
      title,
      [
        ["primitive", ...sizes.map((w) => `W = ${fmtInt(w)}`), "largest ÷ smallest"],
        series.map((s) => {
          if (s.skip !== undefined) return [s.label, ...sizes.map(() => "—"), s.skip]
          const points = sizes.map((w) => s.points.find((q) => q.waiters === w))
          const vals = points.map((p) => (p === undefined ? Number.NaN : get(p)))
          const measured = vals.filter(Number.isFinite)
          return [
            s.label + (s.error !== undefined ? ` (${s.error.slice(0, 90)})` : ""),
            ...points.map((p, i) => (p?.skipped !== undefined ? "too slow" : fmtNs(vals[i]!))),
            fmtRatio(measured[measured.length - 1]! / measured[0]!)
          ]
        })
      ]
    ] as [string, [Array<string>, Array<Array<string>>]]
  return [
    one("Park one more fiber (fork + run until parked), ns per fiber", (p) => p.parkNs),
    one("Wake the head waiter (FIFO hand-off, until the woken fiber is done), ns per wake", (p) => p.wakeNs),
    one(
      "Interrupt a waiter in the middle of the list, ns per interrupt (median of single interrupts)",
      (p) => p.interruptNs
    )
  ]
}

export { mdTable }

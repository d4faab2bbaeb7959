/**
 * The benchmark harness: contestants, calibration, sampling in alternating
 * rounds, and the statistics every table is built from.
 *
 * A contestant runs a whole workload of `n` operations per call and the
 * harness divides by `n`: these are throughput benchmarks of concurrent
 * programs (fibers, promises), not micro-benchmarks of one call, so each
 * sample is one full run. The contestants of a row are sampled in rounds,
 * one run each per round, in an order that changes from round to round so
 * that each follows every other equally often ({@link roundOrder}); the heap is collected
 * (`--expose-gc`) before the row, outside the timed region, and not between
 * samples (see {@link measureRow}).
 */
import * as Effect from "effect/Effect"
import * as Scheduler from "effect/Scheduler"

/** Which scheduler an Effect-based contestant runs under. */
export type SchedulerMode = "default" | "sync"

/** Who a contestant is, for the ratio columns. */
export type Kind = "effect-go" | "effect" | "peer" | "floor" | "ref"

/** One contestant in one row: runs `n` operations of the row's workload. */
export interface Contestant {
  readonly name: string
  readonly kind: Kind
  /** Set on Effect-based contestants (one entry per scheduler). */
  readonly scheduler?: SchedulerMode | undefined
  /** Runs the workload with `n` operations; resolves when every fiber/task is done. */
  readonly run: (n: number) => Promise<void>
  /** A fixed workload size (the row defines it, e.g. 100k tasks); otherwise calibrated. */
  readonly fixedN?: number | undefined
  /** Largest `n` worth running (very slow contestants). */
  readonly maxN?: number | undefined
  /** Why this contestant is skipped (pending module, not applicable...). */
  readonly skip?: string | undefined
  /** A note printed under the row. */
  readonly note?: string | undefined
}

/** Go reference figures, ns per operation (bench/go/README.md). */
export interface GoFigure {
  readonly p2: number
  readonly p1: number
}

/** A throughput row: one workload, many contestants. */
export interface Row {
  readonly id: string
  readonly title: string
  /** What one operation is ("round trip", "item", "lock", "task"). */
  readonly unit: string
  readonly go?: GoFigure | undefined
  readonly contestants: ReadonlyArray<Contestant>
  /** Hand-off rows are judged against peers with the "within 2×" target. */
  readonly handoff?: boolean | undefined
}

/** Options that the command line sets. */
export interface RunConfig {
  readonly quick: boolean
  /** Samples per contestant (each sample is one full run). */
  readonly samples: number
  /** Wanted duration of one sample, in milliseconds (calibration target). */
  readonly targetMs: number
  readonly schedulers: ReadonlyArray<SchedulerMode>
  readonly filter: RegExp | undefined
  readonly log: (line: string) => void
  /** Least warm-up per contestant, in milliseconds, and in operations (default 300 ms, 50k). */
  readonly warmupMs?: number | undefined
  readonly warmupOps?: number | undefined
}

/** What was measured for one contestant. */
export interface Measured {
  readonly row: Row
  readonly contestant: Contestant
  readonly n: number
  /** ns per operation: median, min, max, and every sample. */
  readonly median: number
  readonly min: number
  readonly max: number
  readonly samples: ReadonlyArray<number>
  readonly error?: string | undefined
}

// -----------------------------------------------------------------------------
// Effect runners
// -----------------------------------------------------------------------------

/**
 * The scheduler provided for each mode: none for "default" (Effect's own
 * `MixedScheduler("async")`, which yields through `setImmediate`), and
 * `MixedScheduler("sync")` (microtasks) for "sync". bench/tools/hops.ts
 * replaces them with counting ones.
 */
export const schedulerFor: Record<SchedulerMode, Scheduler.Scheduler | undefined> = {
  default: undefined,
  sync: new Scheduler.MixedScheduler("sync")
}

/** Runs an Effect workload under the given scheduler mode (see {@link schedulerFor}). */
export const runEffect = <A, E>(effect: Effect.Effect<A, E>, mode: SchedulerMode): Promise<A> => {
  const scheduler = schedulerFor[mode]
  return Effect.runPromise(
    scheduler === undefined ? effect : Effect.provideService(effect, Scheduler.Scheduler, scheduler)
  )
}

/** An Effect-based contestant before it is expanded per scheduler: its workload of `n` operations. */
export type EffectSpec = Omit<Contestant, "run" | "scheduler"> & {
  readonly effect: (n: number) => Effect.Effect<unknown, unknown>
}

/**
 * An Effect-based contestant, expanded into one contestant per scheduler.
 */
export const effectContestant = (config: RunConfig, spec: EffectSpec): Array<Contestant> =>
  config.schedulers.map((mode) => ({
    ...spec,
    scheduler: mode,
    run: (n: number) => runEffect(spec.effect(n), mode).then(() => undefined)
  }))

/** A loop of `n` steps as a single fiber (Effect's own `whileLoop` primitive). */
export const times = <E>(n: number, body: (i: number) => Effect.Effect<unknown, E>): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i < n, body: () => body(i++), step: () => {} })
  })

// -----------------------------------------------------------------------------
// Measuring
// -----------------------------------------------------------------------------

const gc: () => void =
  typeof globalThis.gc === "function"
    ? (globalThis.gc as () => void)
    : () => {
        throw new Error("run with --expose-gc (npm run bench does)")
      }

export const collect = (): void => {
  gc()
  gc()
}

const nowNs = (): number => performance.now() * 1e6

/** How long one run may take before it is declared hung (a lost wake-up leaves fibers parked forever). */
export const HANG_MS = 15_000

/** Thrown when a run has not finished after {@link HANG_MS}. */
export class HungError extends Error {
  constructor(what: string, ms: number) {
    super(`hung: ${what} did not finish within ${ms / 1000} s (fibers parked for good, or far too slow)`)
  }
}

/**
 * Rejects with {@link HungError} if `promise` does not settle within `ms`.
 * The hung fibers are left behind (nothing can wake them), but the suite
 * goes on and reports the row as hung.
 */
export const guard = <A>(promise: Promise<A>, what: string, ms = HANG_MS): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HungError(what, ms)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The contestant with every run guarded against hangs. */
export const guarded = (c: Contestant): Contestant => ({
  ...c,
  run: (n) => guard(c.run(n), `${contestantLabel(c)} with n=${n}`)
})

/** Rounds to 1, 2 or 5 × a power of ten, so that sizes are readable. */
const niceRound = (x: number): number => {
  const p = 10 ** Math.floor(Math.log10(x))
  const m = x / p
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p
}

/** Least warm-up per contestant, in milliseconds. */
export const WARMUP_MS = 300

/**
 * Warms the contestant up (the JIT needs tens of thousands of operations
 * before a fiber loop reaches its steady speed: a ping-pong measured after
 * 10k round trips is 3× slower than after 100k) and picks `n` so that one
 * sample takes about `targetMs`. Warm-up lasts at least `WARMUP_MS` (or
 * `2 × targetMs` if longer), two runs and 50k operations, growing `n` while
 * runs are shorter than a quarter of the target.
 */
const calibrate = async (c: Contestant, config: RunConfig): Promise<number> => {
  const maxN = c.maxN ?? 2_000_000
  const warmupNs = Math.max(config.warmupMs ?? WARMUP_MS, 2 * config.targetMs) * 1e6
  const warmupOps = config.warmupOps ?? 50_000
  let n = c.fixedN ?? 1_000
  let spent = 0
  let runs = 0
  let ops = 0
  let perOp = Number.NaN
  while (runs < 2 || spent < warmupNs || (ops < warmupOps && spent < 10 * warmupNs)) {
    const t0 = nowNs()
    await c.run(n)
    const dt = nowNs() - t0
    spent += dt
    runs++
    ops += n
    perOp = dt / n
    if (c.fixedN === undefined && dt < (config.targetMs * 1e6) / 4 && n < maxN) n = Math.min(maxN, n * 4)
  }
  if (c.fixedN !== undefined) return c.fixedN
  return Math.max(1_000, Math.min(maxN, niceRound((config.targetMs * 1e6) / perOp)))
}

/**
 * Measures the contestants of a row side by side: each is warmed up and
 * calibrated first, then the samples are taken in rounds, one run of every
 * contestant per round, in the order {@link roundOrder} gives. A contestant
 * measured in one block, before or after the others, is measured in a
 * different machine state (running first was worth about 10%, and a burst
 * of load on a shared machine lands on one contestant); in rounds, drift
 * and bursts fall on all of them alike, and their ratios hold.
 *
 * The heap is collected once, before the warm-ups, not before every sample:
 * a forced full GC (`gc()`) throws away optimized code and inline-cache
 * feedback, so every sample would start by re-optimizing, which costs most
 * where call sites are most polymorphic (Effect's run loop, far less a
 * Promise-based peer) and would measure deoptimization rather than the
 * workload. A program at work never calls `gc()`.
 */
export const measureRow = async (
  row: Row,
  contestants: ReadonlyArray<Contestant>,
  config: RunConfig
): Promise<Array<Measured>> => {
  const entries = contestants.map((contestant) => ({
    contestant,
    c: guarded(contestant),
    n: 0,
    samples: [] as Array<number>,
    error: undefined as string | undefined
  }))
  const fail = (e: (typeof entries)[number], error: unknown): void => {
    e.error = error instanceof Error ? error.message : String(error)
  }
  collect()
  for (const e of entries) {
    try {
      e.n = await calibrate(e.c, config)
    } catch (error) {
      fail(e, error)
    }
  }
  // A fixed-size workload (Go's 10k or 100k tasks) makes short samples that
  // a GC pause can double: take three times as many.
  const rounds = entries.some((e) => e.c.fixedN !== undefined) ? 3 * config.samples : config.samples
  for (let round = 0; round < rounds; round++) {
    for (const index of roundOrder(entries.length, round)) {
      const e = entries[index]!
      if (e.error !== undefined) continue
      try {
        const t0 = nowNs()
        await e.c.run(e.n)
        e.samples.push((nowNs() - t0) / e.n)
      } catch (error) {
        fail(e, error)
      }
    }
  }
  return entries.map((e) =>
    e.error !== undefined || e.samples.length === 0
      ? {
          row,
          contestant: e.contestant,
          n: 0,
          median: Number.NaN,
          min: Number.NaN,
          max: Number.NaN,
          samples: [],
          error: e.error ?? "no sample"
        }
      : {
          row,
          contestant: e.contestant,
          n: e.n,
          median: median(e.samples),
          min: Math.min(...e.samples),
          max: Math.max(...e.samples),
          samples: e.samples
        }
  )
}

/**
 * The order in which `k` contestants run in round `round`: a Williams
 * design, in which each contestant follows every other equally often (over
 * every `k` rounds for an even `k`, every `2k` for an odd one) and runs in
 * each position equally often.
 *
 * What a contestant leaves behind is paid by the one that runs next: the
 * garbage of a 100k-task run is collected during the next run, and it is not
 * collected in between (see {@link measureRow}). A plain rotation gives every
 * contestant the same predecessor in every round: with Promise.all's 100k
 * promises always run just before it, the WaitGroup row's first contestant
 * measured about 1.5× its cost in an order that varies.
 */
export const roundOrder = (k: number, round: number): Array<number> => {
  // The first row: 0, 1, k−1, 2, k−2, …; row r adds r to each (mod k). For
  // an odd k the rows of the second k rounds are the first k reversed.
  const row = round % (k % 2 === 0 ? k : 2 * k)
  const shift = row % k
  const order = new Array<number>(k)
  for (let j = 0; j < k; j++) {
    const first = j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : k - j / 2
    order[j] = (first + shift) % k
  }
  return row < k ? order : order.reverse()
}

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** (max − min) / median, as a percentage: the spread reported beside every median. */
export const spreadPct = (m: { readonly median: number; readonly min: number; readonly max: number }): number =>
  ((m.max - m.min) / m.median) * 100

// -----------------------------------------------------------------------------
// Formatting
// -----------------------------------------------------------------------------

export const fmtNs = (ns: number): string => {
  if (!Number.isFinite(ns)) return "—"
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`
  if (ns >= 100) return ns.toFixed(0)
  return ns.toFixed(1)
}

export const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×` : "—")

export const fmtInt = (n: number): string => n.toLocaleString("en-US")

export const fmtBytes = (b: number): string => (Number.isFinite(b) ? `${Math.round(b).toLocaleString("en-US")} B` : "—")

/** A Markdown table; columns after the first are right-aligned unless `left` says otherwise. */
export const mdTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  left = 1
): string => {
  const align = header.map((_, i) => (i < left ? "---" : "---:"))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
  return [line(header), line(align), ...rows.map(line)].join("\n")
}

/** A plain-text table for the console. */
export const textTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  left = 1
): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const pad = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  return [pad(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(pad)].join("\n")
}

export const contestantLabel = (c: Contestant): string =>
  c.scheduler === undefined ? c.name : `${c.name} [${c.scheduler === "sync" ? "microtask" : "default"}]`

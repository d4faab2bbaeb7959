/**
 * Go's figures for the benchmark rows: measured in the same run, on the same
 * machine, by the Go reference program (bench/go) when a Go toolchain is on
 * PATH (Debian: `apt-get install golang-go`), at GOMAXPROCS=1 and 2, the
 * median of three runs each; otherwise the figures recorded in
 * bench/go/README.md, marked as such in the report. Figures from another
 * machine move a ratio severalfold (the contended mutex most), so a run
 * uses its own whenever it can.
 */
import { spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { GoFigure } from "./harness.ts"

/** The Go figure of every row, and the memory per blocked goroutine (bytes). */
export interface GoFigures {
  readonly pingpong: GoFigure
  readonly spsc1: GoFigure
  readonly spsc64: GoFigure
  readonly spsc1024: GoFigure
  readonly mpmc: GoFigure
  readonly select: GoFigure
  readonly mutex: GoFigure
  readonly waitgroup: GoFigure
  readonly bounded: GoFigure
  readonly memory: GoFigure
}

/** Where the figures come from, for the report. */
export interface GoReference {
  readonly figures: GoFigures
  /** "measured in this run (go1.19.8, median of 3 runs per GOMAXPROCS)" or "recorded ...". */
  readonly source: string
  readonly measured: boolean
}

/** The figures of bench/go/README.md: go1.19.8 on this project's machine kind, 2026-11-22. */
export const RECORDED: GoFigures = {
  pingpong: { p2: 291, p1: 298 },
  spsc1: { p2: 124, p1: 118 },
  spsc64: { p2: 48, p1: 39 },
  spsc1024: { p2: 51, p1: 35 },
  mpmc: { p2: 51, p1: 39 },
  select: { p2: 158, p1: 142 },
  mutex: { p2: 40, p1: 6.4 },
  waitgroup: { p2: 186, p1: 1016 },
  bounded: { p2: 478, p1: 1710 },
  memory: { p2: 2666, p1: 2135 }
}

/** The program's workload names, by figure. */
const WORKLOADS: Record<keyof GoFigures, string> = {
  pingpong: "unbuffered-pingpong",
  spsc1: "buffered-spsc-cap1",
  spsc64: "buffered-spsc-cap64",
  spsc1024: "buffered-spsc-cap1024",
  mpmc: "mpmc-4x4-cap64",
  select: "select-recv-4",
  mutex: "mutex-contended-64",
  waitgroup: "waitgroup-spawn-join",
  bounded: "bounded-10k-limit100",
  memory: "blocked-goroutine-memory"
}

const RUNS = 3

const goDir = join(dirname(fileURLToPath(import.meta.url)), "go")

/** One run of the Go program at `procs`: its figure per workload name, or undefined when it cannot run. */
const runOnce = (procs: 1 | 2): Map<string, number> | undefined => {
  const r = spawnSync("go", ["run", "."], {
    cwd: goDir,
    env: { ...process.env, GOMAXPROCS: String(procs) },
    encoding: "utf8",
    timeout: 120_000
  })
  if (r.error !== undefined || r.status !== 0) return undefined
  const figures = new Map<string, number>()
  for (const line of r.stdout.split("\n")) {
    const m = /^(\S+)\s+.*(?:ns\/op|bytes\/blocked)=([\d.]+)/.exec(line)
    if (m !== null) figures.set(m[1]!, Number(m[2]))
  }
  return figures
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** The Go toolchain's version, or undefined when there is none. */
const goVersion = (): string | undefined => {
  const r = spawnSync("go", ["version"], { encoding: "utf8" })
  return r.error !== undefined || r.status !== 0 ? undefined : /go\d[\w.]*/.exec(r.stdout)?.[0]
}

/** Go's figures: measured now when a toolchain is present, else the recorded ones. */
export const goReference = (log: (line: string) => void): GoReference => {
  const recorded: GoReference = {
    figures: RECORDED,
    source: "recorded in bench/go/README.md (go1.19.8, this machine kind, 2026-11-22): no Go toolchain on PATH",
    measured: false
  }
  const version = goVersion()
  if (version === undefined) return recorded
  const runs: Record<1 | 2, Array<Map<string, number>>> = { 1: [], 2: [] }
  for (let i = 0; i < RUNS; i++) {
    for (const procs of [1, 2] as const) {
      const figures = runOnce(procs)
      if (figures === undefined) {
        log(`Go reference program failed at GOMAXPROCS=${procs}; using the recorded figures`)
        return recorded
      }
      runs[procs].push(figures)
    }
  }
  const figure = (name: string, procs: 1 | 2): number => median(runs[procs].map((m) => m.get(name) ?? Number.NaN))
  const figures = Object.fromEntries(
    Object.entries(WORKLOADS).map(([key, name]) => [key, { p1: figure(name, 1), p2: figure(name, 2) }])
  ) as unknown as GoFigures
  if (Object.values(figures).some((f) => !Number.isFinite(f.p1) || !Number.isFinite(f.p2))) {
    log("Go reference program printed an unexpected report; using the recorded figures")
    return recorded
  }
  return {
    figures,
    source: `measured in this run on this machine (${version}, bench/go, median of ${RUNS} runs per GOMAXPROCS)`,
    measured: true
  }
}

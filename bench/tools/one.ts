/**
 * Runs one contestant of one throughput row on its own, repeatedly, with no
 * warm-up, calibration or statistics: the process holds nothing but that
 * workload, for a CPU profile (then bench/tools/profile-summary.ts) or for
 * comparing two trees side by side. Prints ns per operation for each
 * repetition.
 *
 *   npx node --cpu-prof --cpu-prof-dir=bench/profiles --experimental-strip-types --no-warnings \
 *     --expose-gc bench/tools/one.ts pingpong "effect-go Chan(0)" default 200000 5
 *
 * Arguments: row id, contestant name (exact, as in RESULTS.md without the
 * scheduler), scheduler (default | microtask), n (ignored by fixed-size
 * rows), repetitions.
 */
import { contestantLabel, type RunConfig, type SchedulerMode } from "../harness.ts"
import { makeRows } from "../rows.ts"

const [rowId, name, sched = "default", nArg = "100000", repArg = "5"] = process.argv.slice(2)
const mode: SchedulerMode = sched === "microtask" || sched === "sync" ? "sync" : "default"
const config: RunConfig = {
  quick: false,
  samples: 1,
  targetMs: 100,
  schedulers: [mode],
  filter: undefined,
  log: console.log
}
const rows = makeRows(config)
const row = rows.find((r) => r.id === rowId)
const c = row?.contestants.find((x) => x.name === name)
if (row === undefined || c === undefined) {
  console.error(`no contestant "${name}" in row "${rowId}"; rows: ${rows.map((r) => r.id).join(", ")}`)
  if (row !== undefined) console.error(`contestants: ${row.contestants.map((x) => x.name).join(" | ")}`)
  process.exit(2)
}
const n = c.fixedN ?? Number(nArg)
for (let r = 0; r < Number(repArg); r++) {
  const t0 = performance.now()
  await c.run(n)
  console.log(`${contestantLabel(c)}: ${(((performance.now() - t0) * 1e6) / n).toFixed(0)} ns/op (n=${n})`)
}

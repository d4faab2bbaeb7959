/**
 * Counts scheduler work per operation for one Effect-based contestant of a
 * throughput row: tasks handed to Effect's dispatcher (fiber starts,
 * `yieldNow`, op-budget yields, effect-go's deferred wake-up flushes), the
 * `setImmediate` (or microtask) turns that run them, and op-budget yields.
 * It says where a row's time goes; its ns/op (one counted run after one
 * warm-up run) is not a benchmark figure.
 *
 *   npx node --experimental-strip-types --no-warnings --expose-gc \
 *     bench/tools/hops.ts spsc-cap1 "effect-go Chan(1)" default 100000
 *
 * Arguments: row id, contestant name (exact), scheduler (default |
 * microtask), n (ignored by fixed-size rows).
 */
import * as Scheduler from "effect/Scheduler"
import { type RunConfig, type SchedulerMode, schedulerFor } from "../harness.ts"
import { makeRows } from "../rows.ts"

const [rowId, name, sched = "default", nArg = "100000"] = process.argv.slice(2)
const mode: SchedulerMode = sched === "microtask" || sched === "sync" ? "sync" : "default"

const counts = { dispatcherTasks: 0, turns: 0, budgetYields: 0 }

/** Effect's MixedScheduler, counting what passes through it. */
class CountingScheduler extends Scheduler.MixedScheduler {
  constructor(executionMode: "sync" | "async") {
    const base = new Scheduler.MixedScheduler(executionMode)
    super(executionMode, (f) => {
      counts.turns++
      return base.setImmediate(f)
    })
  }
  override shouldYield(fiber: Parameters<Scheduler.Scheduler["shouldYield"]>[0]): boolean {
    const yes = super.shouldYield(fiber)
    if (yes) counts.budgetYields++
    return yes
  }
  override makeDispatcher() {
    const d = super.makeDispatcher()
    const schedule = d.scheduleTask.bind(d)
    d.scheduleTask = (task, priority) => {
      counts.dispatcherTasks++
      schedule(task, priority)
    }
    return d
  }
}

const config: RunConfig = {
  quick: false,
  samples: 1,
  targetMs: 100,
  schedulers: [mode],
  filter: undefined,
  log: console.log
}
const rows = makeRows(config)
const c = rows.find((r) => r.id === rowId)?.contestants.find((x) => x.name === name && x.scheduler === mode)
if (c === undefined) {
  console.error(`no Effect-based contestant "${name}" in row "${rowId}"`)
  process.exit(2)
}
const n = c.fixedN ?? Number(nArg)
await c.run(n) // warm-up, uncounted
schedulerFor[mode] = new CountingScheduler(mode === "sync" ? "sync" : "async")
const t0 = performance.now()
await c.run(n)
const ns = ((performance.now() - t0) * 1e6) / n
const per = (x: number) => (x / n).toFixed(3)
console.log(
  `${name} [${mode === "sync" ? "microtask" : "default"}] n=${n}: ${ns.toFixed(0)} ns/op; per op: ` +
    `${per(counts.dispatcherTasks)} dispatcher tasks, ${per(counts.turns)} ${mode === "sync" ? "microtask" : "setImmediate"} turns, ` +
    `${per(counts.budgetYields)} op-budget yields`
)

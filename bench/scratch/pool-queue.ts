// WorkerPool with a buffered job queue vs queue 0, on the bounded row's workload.
//   pool-queue.ts [queues, default 0,100,1000,10000] [runs, default 12; 200 for --cpu-prof]
// Prints the per-job ns of the last 8 runs.
import * as Effect from "effect/Effect"
import * as WorkerPool from "../../src/WorkerPool.ts"
import { times } from "../harness.ts"
const N = 10_000
const RUNS = Number(process.argv[3] ?? 12)
const run = async (queue: number) => {
  const eff = Effect.scoped(
    Effect.flatMap(WorkerPool.make({ workers: 100, queue, process: () => Effect.yieldNow }), (pool) =>
      Effect.andThen(times(N, (i) => WorkerPool.submit(pool, i)), WorkerPool.shutdown(pool))
    )
  )
  const out: Array<number> = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    await Effect.runPromise(eff as Effect.Effect<unknown, unknown>)
    out.push(((performance.now() - t0) * 1e6) / N)
  }
  console.log(`queue ${queue}: ${out.slice(-8).map((x) => x.toFixed(0)).join(" ")}`)
}
for (const q of (process.argv[2] ?? "0,100,1000,10000").split(",").map(Number)) await run(q)

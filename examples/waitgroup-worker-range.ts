/**
 * sync.WaitGroup · "Correct Usage Patterns — Pattern 4: Worker Pool with
 * WaitGroup": the pool is handed a receive-only job channel; each worker
 * ranges over it until the producer closes it.
 *
 * Go:
 *   func workerPool(jobs <-chan Job, workers int) {
 *       var wg sync.WaitGroup
 *       for i := 0; i < workers; i++ {
 *           wg.Add(1)
 *           go func() {
 *               defer wg.Done()
 *               for job := range jobs { process(job) } // Range exits when jobs closed
 *           }()
 *       }
 *       wg.Wait() // All workers finished
 *   }
 *
 * `jobs` is a `Chan.RecvChan<Job>` — Go's `<-chan Job`: the pool can
 * receive but cannot close it (a type error), so only the producer decides
 * when the work ends. The producer here is `Chan.fromIterable`, which closes
 * the channel after the last job.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as WaitGroup from "../src/WaitGroup.ts"
import * as Example from "./Example.ts"

interface Job {
  readonly id: number
}

const workerPool = (jobs: Chan.RecvChan<Job>, workers: number) =>
  Effect.gen(function* () {
    const wg = yield* WaitGroup.make()
    const processed = new Array<number>(workers + 1).fill(0)
    for (let i = 1; i <= workers; i++) {
      yield* WaitGroup.go(
        wg,
        Chan.forEach(jobs, (job) =>
          Effect.sleep(`${5 + (job.id % 3) * 5} millis`).pipe(Effect.andThen(Effect.sync(() => processed[i]!++)))
        )
      )
    }
    yield* WaitGroup.wait(wg)
    return processed.slice(1)
  }).pipe(Effect.scoped)

const program = Effect.gen(function* () {
  const jobs = yield* Chan.fromIterable(
    Array.from({ length: 12 }, (_, i) => ({ id: i + 1 })),
    { capacity: 4 }
  )
  const processed = yield* workerPool(jobs, 3)
  yield* Console.log(`all workers finished: ${processed.map((n, i) => `worker ${i + 1} processed ${n}`).join(", ")}`)
  yield* Console.log(`jobs processed: ${processed.reduce((a, b) => a + b, 0)}`)
}).pipe(Effect.scoped)

export const example = Example.make({
  name: "waitgroup-worker-range",
  section: "sync.WaitGroup · Correct Usage Patterns · Pattern 4: Worker Pool with WaitGroup",
  title: "workers range over a receive-only job channel; wait returns when the producer has closed it",
  uses: ["WaitGroup", "Chan"],
  program,
  expected: [
    /^all workers finished: worker 1 processed \d+, worker 2 processed \d+, worker 3 processed \d+$/,
    "jobs processed: 12"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Go Concurrency · "Fan-Out, Fan-In", on every core: a CPU-bound pipeline
 * stage whose two workers compute on two threads, and a worker pool over
 * the same threads that cancels a job stuck in a loop.
 *
 * In Go, a stage fanned out to two goroutines computes on two cores:
 *
 *   func count(in <-chan chunk) <-chan result {
 *     out := make(chan result)
 *     go func() {
 *       for c := range in { out <- result{c, countPrimes(c.from, c.to)} }
 *       close(out)
 *     }()
 *     return out
 *   }
 *   c1, c2 := count(chunks), count(chunks) // fan-out
 *   for r := range merge(c1, c2) { ... }   // fan-in
 *
 * Here the stage is `Pipeline.map(chunks, Threads.run(threads), { workers:
 * 2, ordered: true })`: two fibers read the chunks, each hands its chunk to
 * a thread and waits for the count; the results come out in input order.
 * The threads serve threads/primes.task.ts with threads/primes.worker.ts.
 *
 * Then a `WorkerPool` runs on the same threads (`process:
 * Threads.run(threads)`), with its whole contract: submit, join, cancel,
 * shutdown. A job far too big (the primes between 10^12 and 10^13) is
 * cancelled while it runs. Its thread is in a synchronous loop and cannot
 * see the interruption, so once the interruption's grace (100 ms) has
 * passed its thread is terminated, and a new thread takes its place: the
 * pool goes on at full strength.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as NodeThreads from "../src/NodeThreads.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Threads from "../src/Threads.ts"
import * as WorkerPool from "../src/WorkerPool.ts"
import * as Example from "./Example.ts"
import { CountPrimes } from "./threads/primes.task.ts"

const chunk = 250_000
const chunks = Array.from({ length: 8 }, (_, i) => ({ from: i * chunk, to: (i + 1) * chunk }))

/**
 * Waits `ms` of real time. A thread runs in real time whatever the clock of
 * the fibers says (the examples' tests run them on a test clock).
 */
const realDelay = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const program = Effect.gen(function* () {
  const threads = yield* Threads.make(CountPrimes, { threads: 2, name: "primes" })
  const count = Threads.run(threads)

  // The stage: two workers, each computing on a thread; results in input order.
  const counted = yield* Pipeline.map(yield* Pipeline.from(chunks), count, { workers: threads.size, ordered: true })
  let total = 0
  const stageThreads = new Set<number>()
  yield* Pipeline.forEach(counted, (r) => {
    total += r.primes
    stageThreads.add(r.thread)
    return Console.log(`[${r.from}, ${r.to}): ${r.primes} primes`)
  })
  yield* Console.log(`primes below ${chunks.length * chunk}: ${total}, counted on ${stageThreads.size} threads`)

  // A pool over the same threads; cancel a job that would run for days.
  const pool = yield* WorkerPool.make({ workers: threads.size, queue: 4, process: count })
  const tooBig = yield* WorkerPool.submit(pool, { from: 1e12, to: 1e13 })
  yield* realDelay(200) // it is now deep in its loop, on its thread
  yield* WorkerPool.cancel(tooBig) // returns once the job has stopped: its thread terminated
  const outcome = yield* Effect.exit(WorkerPool.join(tooBig))
  yield* Console.log(`the big job was cancelled: ${Exit.isFailure(outcome) && Cause.hasInterruptsOnly(outcome.cause)}`)
  // Its thread's replacement starts in the background.
  while ((yield* Threads.alive(threads)) < threads.size) yield* realDelay(20)
  const after = yield* Effect.all([WorkerPool.run(pool, chunks[0]!), WorkerPool.run(pool, chunks[1]!)], {
    concurrency: 2
  })
  const fresh = after.filter((r) => !stageThreads.has(r.thread)).length
  yield* Console.log(`threads alive: ${yield* Threads.alive(threads)}; new threads among them: ${fresh}`)
  yield* Console.log(`the pool goes on: ${after[0]!.primes} and ${after[1]!.primes} primes counted again`)
  yield* WorkerPool.shutdown(pool)
}).pipe(Effect.scoped, Effect.provide(NodeThreads.layer(new URL("./threads/primes.worker.ts", import.meta.url))))

export const example = Example.make({
  name: "threads-cpu-stage",
  section: "Go Concurrency · Fan-Out, Fan-In",
  title: "a CPU-bound stage on two threads, and a WorkerPool on the same threads replacing a cancelled job's thread",
  uses: ["Threads", "NodeThreads", "Pipeline", "WorkerPool"],
  program,
  expected: [
    "[0, 250000): 22044 primes",
    "[250000, 500000): 19494 primes",
    "[500000, 750000): 18700 primes",
    "[750000, 1000000): 18260 primes",
    "[1000000, 1250000): 17971 primes",
    "[1250000, 1500000): 17686 primes",
    "[1500000, 1750000): 17453 primes",
    "[1750000, 2000000): 17325 primes",
    "primes below 2000000: 148933, counted on 2 threads",
    "the big job was cancelled: true",
    "threads alive: 2; new threads among them: 1",
    "the pool goes on: 22044 and 19494 primes counted again"
  ]
})

if (import.meta.main) Example.runMain(example)

/**
 * Coordination Guide · "Common Mistakes and Gotchas" #6: a one-shot select
 * processes a single job and then the worker exits.
 *
 * Go:
 *   // ❌ Processes a single job then exits select
 *   func worker(in <-chan Job) {
 *     select {
 *     case j := <-in:
 *       _ = j.Run()
 *     }
 *   }
 *   // ✅ Loop or range over the channel
 *   func workerFixed(in <-chan Job) {
 *     for j := range in { _ = j.Run() }
 *   }
 *
 * The bug can be written in effect-go too — a select is one choice, as in
 * Go — so the example reports it clearly: after the buggy worker returns,
 * `Chan.len` shows the jobs nobody will run. The fix is `Chan.forEach`
 * (Go's `for j := range in`), which ends when the channel is closed and
 * drained.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Chan from "../src/Chan.ts"
import * as Select from "../src/Select.ts"
import * as Example from "./Example.ts"

type Job = { readonly id: number }
const run = (job: Job) => Console.log(`  ran job ${job.id}`)

// ❌ one select: one job
const worker = (input: Chan.RecvChan<Job>) =>
  Select.select(Select.recv(input, (j) => (j._tag === "Some" ? run(j.value) : Effect.void)))

// ✅ range over the channel
const workerFixed = (input: Chan.RecvChan<Job>) => Chan.forEach(input, run)

const jobs = (n: number) =>
  Effect.gen(function* () {
    const ch = yield* Chan.make<Job>(n)
    for (let id = 1; id <= n; id++) yield* Chan.send(ch, { id })
    yield* Chan.close(ch)
    return ch
  })

const program = Effect.gen(function* () {
  yield* Console.log("one-shot select:")
  const a = yield* jobs(3)
  yield* worker(a)
  yield* Console.log(`worker returned with ${yield* Chan.len(a)} of 3 jobs never run`)

  yield* Console.log("range over the channel:")
  const b = yield* jobs(3)
  yield* workerFixed(b)
  yield* Console.log(`worker returned with ${yield* Chan.len(b)} of 3 jobs never run`)
})

export const example = Example.make({
  name: "mistakes-one-shot-select",
  section: "Coordination Guide · Common Mistakes #6 (one-shot select)",
  title: "a single select runs one job; Chan.forEach runs them all",
  uses: ["Chan", "Select"],
  program,
  expected: [
    "one-shot select:",
    "ran job 1",
    "worker returned with 2 of 3 jobs never run",
    "range over the channel:",
    "ran job 1",
    "ran job 2",
    "ran job 3",
    "worker returned with 0 of 3 jobs never run"
  ]
})

if (import.meta.main) Example.runMain(example)

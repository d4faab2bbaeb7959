/**
 * Every example, in tour order: the Coordination Guide and Go Concurrency
 * (ending with the examples on threads, then the testing kit's examples,
 * which follow Go Concurrency's rules and its data-race gotchas), then WaitGroup Deep Dive, Correctness &
 * Trade-offs, sync.WaitGroup and the cheat sheet (the documents are listed
 * in Example.ts). Each list lives in a file of its own so that they can grow
 * independently.
 */
import * as boundedParallelismMd5Threads from "./bounded-parallelism-md5-threads.ts"
import type { Example } from "./Example.ts"
import { examples as coordinationAndGoConcurrency } from "./list-coordination-go-concurrency.ts"
import { examples as waitGroupAndTradeOffs } from "./list-waitgroup-trade-offs.ts"
import * as threadsCpuStage from "./threads-cpu-stage.ts"
import * as testingDeadlockAssertion from "./testing-deadlock-assertion.ts"
import * as testingExplore from "./testing-explore.ts"
import * as testingLeakCheck from "./testing-leak-check.ts"
import * as telemetryOtel from "./telemetry-otel.ts"
import * as telemetryWaitTimes from "./telemetry-wait-times.ts"

/**
 * Threads (`Threads`, `effect-go/NodeThreads`): Go Concurrency sections
 * whose goroutines do CPU-bound work, run on every core as Go runs them.
 */
const threads: ReadonlyArray<Example> = [boundedParallelismMd5Threads.example, threadsCpuStage.example]

/**
 * The testing kit (`Testing`, `effect-go/vitest`) and telemetry: Go
 * Concurrency sections, tested and measured the way Go tests and profiles them.
 */
const testingKit: ReadonlyArray<Example> = [
  testingLeakCheck.example,
  testingDeadlockAssertion.example,
  testingExplore.example,
  telemetryWaitTimes.example,
  telemetryOtel.example
]

export const examples: ReadonlyArray<Example> = [
  ...coordinationAndGoConcurrency,
  ...threads,
  ...testingKit,
  ...waitGroupAndTradeOffs
]

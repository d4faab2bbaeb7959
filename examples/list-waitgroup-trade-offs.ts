/**
 * The examples of WaitGroup Deep Dive, Correctness & Trade-offs and
 * sync.WaitGroup, then the cheat sheet, in tour order.
 */
import * as addBeforeGo from "./add-before-go.ts"
import * as batchProcessResults from "./batch-process-results.ts"
import * as bugAddInsideGoroutine from "./bug-add-inside-goroutine.ts"
import * as bugCopiedWaitgroup from "./bug-copied-waitgroup.ts"
import * as bugForgotDone from "./bug-forgot-done.ts"
import * as bugNegativeCounter from "./bug-negative-counter.ts"
import * as bugReuseWithoutWait from "./bug-reuse-without-wait.ts"
import * as concurrentFetchTimeout from "./concurrent-fetch-timeout.ts"
import * as debugDeadlock from "./debug-deadlock.ts"
import * as closeResultsAfterWait from "./close-results-after-wait.ts"
import * as doneOnPanic from "./done-on-panic.ts"
import type { Example } from "./Example.ts"
import * as exerciseBounded10000 from "./exercise-bounded-10000.ts"
import * as exerciseLeakDetection from "./exercise-leak-detection.ts"
import * as exerciseNegativeCounter from "./exercise-negative-counter.ts"
import * as exercisePassByValue from "./exercise-pass-by-value.ts"
import * as exerciseThousandItems from "./exercise-thousand-items.ts"
import * as goCheatsheet from "./go-cheatsheet.ts"
import * as goroutineLeakUnclosedChannel from "./goroutine-leak-unclosed-channel.ts"
import * as goroutineMonitoring from "./goroutine-monitoring.ts"
import * as hierarchicalWaitgroups from "./hierarchical-waitgroups.ts"
import * as mutexVsChannelCounter from "./mutex-vs-channel-counter.ts"
import * as parallelFetch from "./parallel-fetch.ts"
import * as parallelProcess from "./parallel-process.ts"
import * as parallelWrite from "./parallel-write.ts"
import * as processBounded from "./process-bounded.ts"
import * as processItems from "./process-items.ts"
import * as taskManager from "./task-manager.ts"
import * as waitgroupThreeStagePipeline from "./waitgroup-three-stage-pipeline.ts"
import * as waitgroupWorkerPool from "./waitgroup-worker-pool.ts"
import * as waitgroupWithContext from "./waitgroup-with-context.ts"
import * as waitgroupWorkerRange from "./waitgroup-worker-range.ts"
import * as rateLimitApi from "./rate-limit-api.ts"
import * as workerPoolJobs from "./worker-pool-jobs.ts"

export const examples: ReadonlyArray<Example> = [
  // WaitGroup Deep Dive
  waitgroupWorkerPool.example,
  waitgroupThreeStagePipeline.example,
  batchProcessResults.example,
  waitgroupWithContext.example,
  taskManager.example,
  hierarchicalWaitgroups.example,
  goroutineMonitoring.example,
  // Correctness & Trade-offs
  workerPoolJobs.example,
  rateLimitApi.example,
  concurrentFetchTimeout.example,
  mutexVsChannelCounter.example,
  debugDeadlock.example,
  // sync.WaitGroup
  processItems.example,
  addBeforeGo.example,
  doneOnPanic.example,
  closeResultsAfterWait.example,
  waitgroupWorkerRange.example,
  bugAddInsideGoroutine.example,
  bugForgotDone.example,
  bugNegativeCounter.example,
  bugReuseWithoutWait.example,
  bugCopiedWaitgroup.example,
  parallelWrite.example,
  parallelFetch.example,
  parallelProcess.example,
  processBounded.example,
  goroutineLeakUnclosedChannel.example,
  exerciseThousandItems.example,
  exerciseNegativeCounter.example,
  exercisePassByValue.example,
  exerciseLeakDetection.example,
  exerciseBounded10000.example,
  // Cheat sheet: the Go → effect-go cheat sheet (docs/cheatsheet.md), run
  goCheatsheet.example
]

/** Examples for seed documents 002, 003 and 004, in tour order. */
import * as batchProcessResults from "./batch-process-results.ts"
import type { Example } from "./Example.ts"
import * as goroutineMonitoring from "./goroutine-monitoring.ts"
import * as hierarchicalWaitgroups from "./hierarchical-waitgroups.ts"
import * as taskManager from "./task-manager.ts"
import * as waitgroupThreeStagePipeline from "./waitgroup-three-stage-pipeline.ts"
import * as waitgroupWorkerPool from "./waitgroup-worker-pool.ts"

export const examples: ReadonlyArray<Example> = [
  // 002 · sync.WaitGroup deep dive
  waitgroupWorkerPool.example,
  waitgroupThreeStagePipeline.example,
  batchProcessResults.example,
  taskManager.example,
  hierarchicalWaitgroups.example,
  goroutineMonitoring.example
]

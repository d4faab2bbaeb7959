/**
 * The examples of the Coordination Guide ("Concurrency Coordination: Advanced
 * Developer Guide") and of Go Concurrency, in tour order.
 */
import * as atomicRunningFlag from "./atomic-running-flag.ts"
import * as boundedParallelismMd5 from "./bounded-parallelism-md5.ts"
import * as condReady from "./cond-ready.ts"
import * as errgroupFetchTimeout from "./errgroup-fetch-timeout.ts"
import * as errgroupFirstError from "./errgroup-first-error.ts"
import type { Example } from "./Example.ts"
import * as fanOutFanIn from "./fan-out-fan-in.ts"
import * as formatDeadlock from "./format-deadlock.ts"
import * as mistakesCondIf from "./mistakes-cond-if.ts"
import * as mistakesDataRace from "./mistakes-data-race.ts"
import * as mistakesLeakOnError from "./mistakes-leak-on-error.ts"
import * as mistakesOneShotSelect from "./mistakes-one-shot-select.ts"
import * as mistakesWaitgroupAdd from "./mistakes-waitgroup-add.ts"
import * as mistakesWaitgroupCopy from "./mistakes-waitgroup-copy.ts"
import * as nilChannelMerge from "./nil-channel-merge.ts"
import * as onceInit from "./once-init.ts"
import * as pipelineDoneCancel from "./pipeline-done-cancel.ts"
import * as pipelineSquares from "./pipeline-squares.ts"
import * as safeMapMutex from "./safe-map-mutex.ts"
import * as selectRandomDrain from "./select-random-drain.ts"
import * as sharedMapCopy from "./shared-map-copy.ts"
import * as sharedSliceAppend from "./shared-slice-append.ts"
import * as stopDoneChannels from "./stop-done-channels.ts"
import * as waitgroupFanOut from "./waitgroup-fan-out.ts"
import * as withoutCancelPublish from "./without-cancel-publish.ts"
import * as workerContextTicker from "./worker-context-ticker.ts"
import * as workerLifecycle from "./worker-lifecycle.ts"

export const examples: ReadonlyArray<Example> = [
  // Coordination Guide
  waitgroupFanOut.example,
  onceInit.example,
  condReady.example,
  errgroupFetchTimeout.example,
  mistakesOneShotSelect.example,
  mistakesWaitgroupAdd.example,
  mistakesWaitgroupCopy.example,
  mistakesCondIf.example,
  mistakesLeakOnError.example,
  mistakesDataRace.example,
  // Go Concurrency
  workerContextTicker.example,
  workerLifecycle.example,
  stopDoneChannels.example,
  pipelineSquares.example,
  fanOutFanIn.example,
  pipelineDoneCancel.example,
  boundedParallelismMd5.example,
  selectRandomDrain.example,
  nilChannelMerge.example,
  errgroupFirstError.example,
  withoutCancelPublish.example,
  safeMapMutex.example,
  atomicRunningFlag.example,
  sharedSliceAppend.example,
  sharedMapCopy.example,
  formatDeadlock.example
]

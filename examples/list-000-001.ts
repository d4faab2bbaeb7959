/** Examples for seed documents 000 and 001, in tour order. */
import * as condReady from "./cond-ready.ts"
import type { Example } from "./Example.ts"
import * as mistakesCondIf from "./mistakes-cond-if.ts"
import * as mistakesDataRace from "./mistakes-data-race.ts"
import * as mistakesOneShotSelect from "./mistakes-one-shot-select.ts"
import * as mistakesWaitgroupAdd from "./mistakes-waitgroup-add.ts"
import * as mistakesWaitgroupCopy from "./mistakes-waitgroup-copy.ts"
import * as onceInit from "./once-init.ts"
import * as pipelineSquares from "./pipeline-squares.ts"
import * as waitgroupFanOut from "./waitgroup-fan-out.ts"

export const examples: ReadonlyArray<Example> = [
  // Seed 000
  waitgroupFanOut.example,
  onceInit.example,
  condReady.example,
  mistakesOneShotSelect.example,
  mistakesWaitgroupAdd.example,
  mistakesWaitgroupCopy.example,
  mistakesCondIf.example,
  mistakesDataRace.example,
  // Seed 001
  pipelineSquares.example
]

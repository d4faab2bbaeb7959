/** Examples for seed documents 000 and 001, in tour order. */
import type { Example } from "./Example.ts"
import * as pipelineSquares from "./pipeline-squares.ts"

export const examples: ReadonlyArray<Example> = [pipelineSquares.example]

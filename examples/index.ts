/**
 * Every example, in tour order. Add new examples here.
 */
import type { Example } from "./Example.ts"
import * as pipelineSquares from "./pipeline-squares.ts"

export const examples: ReadonlyArray<Example> = [pipelineSquares.example]
